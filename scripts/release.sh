#!/usr/bin/env bash
# Builds the release archives and renders the krew manifest from plugins/immutable.yaml.in with
# their sha256, so that a release never hand-edits a hash. The release workflow
# (.github/workflows/release.yml) runs it once per platform with --target, then once with
# --manifest-only over the five archives.
#
#   scripts/release.sh --url-base URL [--homepage URL] [--out DIR] [--tag TAG]
#                      [--target TRIPLE]... [--binary PATH] [--manifest-only]
#
#   --url-base URL   where the archives will be downloaded from (the manifest's `uri` is
#                    URL/ARCHIVE); default: Cargo.toml's `repository` + /releases/download/vVERSION
#   --homepage URL   the manifest's homepage; default: Cargo.toml's `homepage`, else `repository`
#   --out DIR        where archives, SHA256SUMS, immutable.yaml and .krew.yaml go (default: dist/)
#   --tag TAG        refuse to run unless TAG is v + Cargo.toml's version (the pushed tag)
#   --target TRIPLE  build this platform's archive only (repeatable): one of the five Rust
#                    targets below; the host's is built and checked, another's cross-built
#                    (its Rust target installed) and packed without running it
#   --binary PATH    package this already built binary instead of running `cargo build`: for the
#                    host platform, or with one --target for that platform (the tests pass their
#                    own build, or a stand-in for a platform this machine cannot build)
#   --manifest-only  build nothing: render the manifest, .krew.yaml and SHA256SUMS from the five
#                    archives in DIR (built by --target runs and copied in); one missing is an error
#
# Per platform (linux/amd64 x86_64-unknown-linux-gnu, linux/arm64 aarch64-unknown-linux-gnu,
# darwin/amd64 x86_64-apple-darwin, darwin/arm64 aarch64-apple-darwin, windows/amd64
# x86_64-pc-windows-msvc), without --target or --manifest-only:
#   - the host's: built here (or --binary) and packed;
#   - another, whose archive is already in DIR (built on such a machine and copied in): used as
#     it is, after checking it holds the binary;
#   - another, whose Rust target is installed (rustup) and links here: cross-built and packed;
#   - else: left out of the manifest, with a note here and a comment in the manifest. A hash is
#     never made up.
#
# Each archive is a .tar.gz of the binary (kubectl-immutable, .exe on Windows), LICENSE, the Helm 4
# post-renderer plugin helm/immutable/plugin.yaml and, on Linux and macOS, the kubectl completion
# helper kubectl_complete-immutable. Archives are
# reproducible: sorted names, owner 0, mtime of the last commit (SOURCE_DATE_EPOCH).
#
# .krew.yaml is the same manifest as a krew-release-bot template: `{{ .TagName }}` for the version
# and `{{addURIAndSha "URL" .TagName }}` for each archive, which the bot fills in from the release.
set -euo pipefail

# --out and --binary are relative to where the script is run from; the rest to the repository.
caller="$(pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

die() {
	echo "release: error: $*" >&2
	exit 2
}
# Empty arrays under `set -u` need bash 4.4 (macOS ships 3.2: brew install bash).
((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 4))) ||
	die "bash 4.4 or later is needed, this is $BASH_VERSION"
note() { echo "release: $*" >&2; }

out="dist"
url_base=""
homepage=""
binary=""
expected_tag=""
manifest_only=""
targets=()
while (($#)); do
	case "$1" in
	--out) out="${2:?--out needs a directory}" && [[ "$out" == /* ]] || out="$caller/$out"; shift 2 ;;
	--url-base) url_base="${2:?--url-base needs a URL}"; shift 2 ;;
	--homepage) homepage="${2:?--homepage needs a URL}"; shift 2 ;;
	--binary) binary="${2:?--binary needs a path}" && [[ "$binary" == /* ]] || binary="$caller/$binary"; shift 2 ;;
	--tag) expected_tag="${2:?--tag needs a tag}"; shift 2 ;;
	--target) targets+=("${2:?--target needs a Rust target triple}"); shift 2 ;;
	--manifest-only) manifest_only=1; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done

# The [package] table's own keys, not a dependency's.
package_key() {
	awk -v key="$1" '
		/^\[/ { in_package = ($0 == "[package]") }
		in_package && $1 == key && $2 == "=" {
			value = $0; sub(/^[^=]*= *"/, "", value); sub(/".*$/, "", value); print value; exit
		}' Cargo.toml
}
version="$(package_key version)"
[[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]] ||
	die "Cargo.toml's version '$version' is not semver"
tag="v$version"
[[ -z "$expected_tag" || "$expected_tag" == "$tag" ]] ||
	die "the tag $expected_tag is not Cargo.toml's version $version (v$version)"
repository="$(package_key repository)"
homepage="${homepage:-$(package_key homepage)}"
homepage="${homepage:-$repository}"
if [[ -z "$url_base" && -n "$repository" ]]; then
	url_base="${repository%/}/releases/download/$tag"
fi
[[ -n "$url_base" ]] || die "no download location: pass --url-base URL (or set repository in Cargo.toml)"
[[ -n "$homepage" ]] || die "no homepage: pass --homepage URL (or set homepage or repository in Cargo.toml)"
url_base="${url_base%/}"

[[ -z "$manifest_only" || (${#targets[@]} -eq 0 && -z "$binary") ]] ||
	die "--manifest-only builds nothing: no --target or --binary with it"
((${#targets[@]} <= 1)) || [[ -z "$binary" ]] || die "--binary packs one platform: give one --target with it"
if [[ -n "$binary" ]]; then
	[[ -x "$binary" ]] || die "--binary $binary is not an executable file"
	binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# pack DIR ARCHIVE FILE...: a reproducible tar.gz of FILE... in DIR.
pack() {
	local dir="$1" archive="$2"
	shift 2
	# (grep -q in a pipeline would close it early: with pipefail, a spurious failure.)
	if [[ "$(tar --version 2>/dev/null)" == *"GNU tar"* ]]; then
		tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner \
			--mtime="@$SOURCE_DATE_EPOCH" -cf - "$@" | gzip -9 -n >"$archive"
	else
		tar -C "$dir" -cf - "$@" | gzip -9 -n >"$archive"
	fi
}

# archive_files OS: what goes beside the binary.
archive_files() {
	if [[ "$1" == windows ]]; then echo LICENSE; else echo LICENSE kubectl_complete-immutable; fi
}

bin_name() { if [[ "$1" == windows ]]; then echo kubectl-immutable.exe; else echo kubectl-immutable; fi; }

# make_archive OS ARCH BINARY ARCHIVE
make_archive() {
	local os="$1" arch="$2" built="$3" archive="$4" stage
	stage="$work/stage-$os-$(basename "$archive")"
	mkdir -p "$stage"
	cp "$built" "$stage/$(bin_name "$os")"
	chmod 0755 "$stage/$(bin_name "$os")"
	# Symbols and debug info are no use to a user and are most of a binary's size. The host's
	# strip only knows the host's binaries.
	if [[ "$os/$arch" == "$host_os/$host_arch" ]] && command -v strip >/dev/null; then
		strip "$stage/$(bin_name "$os")" 2>/dev/null || true
	fi
	cp LICENSE "$stage/LICENSE"
	if [[ "$os" != windows ]]; then
		cp completions/kubectl_complete-immutable "$stage/"
		chmod 0755 "$stage/kubectl_complete-immutable"
	fi
	chmod 0644 "$stage/LICENSE"
	# Helm 4's post-renderer plugin, for `helm plugin install ./helm/immutable` (not krew's).
	mkdir -p "$stage/helm/immutable"
	cp plugins/helm/immutable/plugin.yaml "$stage/helm/immutable/plugin.yaml"
	chmod 0644 "$stage/helm/immutable/plugin.yaml"
	# shellcheck disable=SC2046
	pack "$stage" "$archive" "$(bin_name "$os")" $(archive_files "$os") helm
}

case "$(uname -s)" in
Linux) host_os=linux ;;
Darwin) host_os=darwin ;;
MINGW* | MSYS* | CYGWIN*) host_os=windows ;;
*) host_os="$(uname -s | tr '[:upper:]' '[:lower:]')" ;;
esac
case "$(uname -m)" in
x86_64 | amd64) host_arch=amd64 ;;
aarch64 | arm64) host_arch=arm64 ;;
*) host_arch="$(uname -m)" ;;
esac

# The shipped completion scripts and man pages must be what this build generates.
check_generated() {
	local plugin="$1" fresh="$work/generated" stale=()
	"$plugin" __generate "$fresh" >/dev/null
	for file in "$fresh"/completions/* "$fresh"/man/*; do
		local committed="${file#"$fresh"/}"
		cmp -s "$file" "$committed" || stale+=("$committed")
	done
	((${#stale[@]} == 0)) ||
		die "stale: ${stale[*]}; refresh them with \`cargo run --quiet -- __generate .\` and commit"
}

installed_targets=""
if command -v rustup >/dev/null; then
	installed_targets="$(rustup target list --installed 2>/dev/null || true)"
fi

# os arch rust-target
platforms=(
	"linux amd64 x86_64-unknown-linux-gnu"
	"linux arm64 aarch64-unknown-linux-gnu"
	"darwin amd64 x86_64-apple-darwin"
	"darwin arm64 aarch64-apple-darwin"
	"windows amd64 x86_64-pc-windows-msvc"
)

# Cargo's own output folder, wherever CARGO_TARGET_DIR puts it.
target_dir="${CARGO_TARGET_DIR:-$root/target}"

for wanted in "${targets[@]}"; do
	printf '%s\n' "${platforms[@]}" | grep -q " $wanted\$" ||
		die "--target $wanted is none of the five release targets (see --help)"
done
selected() {
	local target="$1" wanted
	for wanted in "${targets[@]}"; do [[ "$wanted" == "$target" ]] && return 0; done
	return 1
}

# check_host_binary OS BINARY: the binary says this version, and the completion scripts and man
# pages shipped are what it generates.
check_host_binary() {
	local reported
	reported="$("$2" --version)"
	[[ "$reported" == "kubectl-immutable $version" || "$reported" == "kubectl-immutable $version "* ]] ||
		die "$2 --version says '$reported', not version $version"
	check_generated "$2"
}

# build OS ARCH TARGET ARCHIVE: the archive of a --target platform, built here.
build() {
	local os="$1" arch="$2" target="$3" archive="$4" built_binary="$binary"
	if [[ "$os/$arch" == "$host_os/$host_arch" ]]; then
		if [[ -z "$built_binary" ]]; then
			note "building $os/$arch ($target)"
			cargo build --release --locked --target "$target" >&2
			built_binary="$target_dir/$target/release/$(bin_name "$os")"
		fi
		check_host_binary "$os" "$built_binary"
	elif [[ -n "$built_binary" ]]; then
		note "packing $built_binary as $os/$arch: it cannot run here, so its --version is not checked"
	else
		note "cross-building $os/$arch ($target)"
		# The host's strip does not know another platform's binaries: the linker strips them.
		cargo build --release --locked --target "$target" --config 'profile.release.strip="symbols"' >&2 ||
			die "cannot build $target here (rustup target add $target, and its C compiler and linker)"
		built_binary="$target_dir/$target/release/$(bin_name "$os")"
	fi
	make_archive "$os" "$arch" "$built_binary" "$out/$archive"
}

# in_out OS ARCHIVE: an archive already in DIR, checked to hold the binary.
in_out() {
	local listing
	listing="$(tar -tzf "$out/$2")"
	grep -qx "\(\./\)\?$(bin_name "$1")" <<<"$listing" || die "$out/$2 has no $(bin_name "$1")"
	note "using $2, already in $out"
}

if [[ -n "$manifest_only" ]]; then
	absent=()
	for platform in "${platforms[@]}"; do
		read -r os arch _ <<<"$platform"
		[[ -f "$out/kubectl-immutable-$tag-$os-$arch.tar.gz" ]] || absent+=("kubectl-immutable-$tag-$os-$arch.tar.gz")
	done
	((${#absent[@]} == 0)) || die "--manifest-only renders all five platforms; not in $out: ${absent[*]}"
fi

built=()
left_out=()
for platform in "${platforms[@]}"; do
	read -r os arch target <<<"$platform"
	archive="kubectl-immutable-$tag-$os-$arch.tar.gz"
	if [[ -n "$manifest_only" ]]; then
		in_out "$os" "$archive"
		built+=("$os $arch $archive")
	elif ((${#targets[@]})); then
		if selected "$target"; then
			build "$os" "$arch" "$target" "$archive"
			built+=("$os $arch $archive")
		elif [[ -f "$out/$archive" ]]; then
			in_out "$os" "$archive"
			built+=("$os $arch $archive")
		else
			left_out+=("$os/$arch")
		fi
	elif [[ "$os/$arch" == "$host_os/$host_arch" ]]; then
		if [[ -z "$binary" ]]; then
			note "building $os/$arch"
			cargo build --release --locked
			binary="$target_dir/release/$(bin_name "$os")"
		fi
		check_host_binary "$os" "$binary"
		make_archive "$os" "$arch" "$binary" "$out/$archive"
		built+=("$os $arch $archive")
	elif [[ -f "$out/$archive" ]]; then
		in_out "$os" "$archive"
		built+=("$os $arch $archive")
	elif grep -qx "$target" <<<"$installed_targets" &&
		cargo build --release --locked --target "$target" --config 'profile.release.strip="symbols"' >&2; then
		make_archive "$os" "$arch" "$target_dir/$target/release/$(bin_name "$os")" "$out/$archive"
		built+=("$os $arch $archive")
	else
		note "left out $os/$arch: no $archive in $out and no $target toolchain here; build it on" \
			"such a machine (scripts/release.sh there), copy the archive into $out, run this again"
		left_out+=("$os/$arch")
	fi
done
((${#built[@]})) || die "no archive could be built or found"

# Render the manifest: the template's header comments give way to a rendered-by line; the
# platform block is repeated per archive.
template="plugins/immutable.yaml.in"
head_part="$(sed -n '/^apiVersion:/,/^#@begin platform$/p' "$template" | sed '$d')"
block="$(sed -n '/^#@begin platform$/,/^#@end platform$/p' "$template" | sed '1d;$d')"
tail_part="$(sed -n '/^#@end platform$/,$p' "$template" | sed '1d')"
[[ -n "$head_part" && -n "$block" ]] || die "$template has no '#@begin platform' ... '#@end platform' block"

fill() {
	local text="$1" key value
	shift
	while (($#)); do
		key="$1" value="$2"
		shift 2
		text="${text//"{{$key}}"/"$value"}"
	done
	printf '%s' "$text"
}

# render FORM: the manifest (FORM=manifest) or the krew-release-bot template (FORM=bot), for
# which the version is the bot's `{{ .TagName }}` and each archive's uri and sha256 its
# `addURIAndSha` of the same URL with the tag in it replaced.
render() {
	local form="$1" version="$tag" entry os arch archive files file uri_and_sha
	[[ "$form" == bot ]] && version="{{ .TagName }}"
	if [[ "$form" == bot ]]; then
		echo "# krew-release-bot's template, rendered by scripts/release.sh from $template for $tag."
	else
		echo "# Rendered by scripts/release.sh from $template for $tag; do not edit by hand."
	fi
	fill "$head_part" VERSION "$version" HOMEPAGE "$homepage"
	echo
	for entry in "${built[@]}"; do
		read -r os arch archive <<<"$entry"
		files=""
		for file in "$(bin_name "$os")" $(archive_files "$os"); do
			files+="    - from: $file"$'\n'"      to: ."$'\n'
		done
		if [[ "$form" == bot ]]; then
			uri_and_sha="{{addURIAndSha \"${url_base//"$tag"/"{{ .TagName }}"}/${archive//"$tag"/"{{ .TagName }}"}\" .TagName }}"
		else
			uri_and_sha="uri: $url_base/$archive"$'\n'"    sha256: $(sha256 "$out/$archive")"
		fi
		fill "$block" OS "$os" ARCH "$arch" URI_AND_SHA256 "$uri_and_sha" BIN "$(bin_name "$os")" \
			FILES "${files%$'\n'}" VERSION "$version"
		echo
	done
	for platform in "${left_out[@]}"; do
		echo "  # $platform: no archive was built for this release"
	done
	[[ -z "$tail_part" ]] || printf '%s\n' "$tail_part"
}

manifest="$out/immutable.yaml"
render manifest >"$manifest"
render bot >"$out/.krew.yaml"

(cd "$out" && for entry in "${built[@]}"; do
	read -r _ _ archive <<<"$entry"
	echo "$(sha256 "$archive")  $archive"
done) >"$out/SHA256SUMS"

note "wrote $manifest and $out/.krew.yaml (${#built[@]} platform(s)${left_out[*]:+; left out: ${left_out[*]}})"
for entry in "${built[@]}"; do
	read -r _ _ archive <<<"$entry"
	echo "$out/$archive"
done
echo "$out/SHA256SUMS"
echo "$manifest"
echo "$out/.krew.yaml"
