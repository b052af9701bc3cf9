#!/usr/bin/env bash
# Builds the release archives this machine can build and renders the krew manifest from
# plugins/immutable.yaml.in with their sha256, so that a release never hand-edits a hash.
#
#   scripts/release.sh --url-base URL [--homepage URL] [--out DIR] [--binary PATH]
#
#   --url-base URL   where the archives will be downloaded from (the manifest's `uri` is
#                    URL/ARCHIVE); default: Cargo.toml's `repository` + /releases/download/vVERSION
#   --homepage URL   the manifest's homepage; default: Cargo.toml's `homepage`, else `repository`
#   --out DIR        where archives, SHA256SUMS and immutable.yaml go (default: dist/)
#   --binary PATH    package this already built binary for the host platform instead of
#                    running `cargo build --release` (the tests pass their own build)
#
# Per platform (linux/amd64, linux/arm64, darwin/amd64, darwin/arm64, windows/amd64):
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
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

die() {
	echo "release: error: $*" >&2
	exit 2
}
note() { echo "release: $*" >&2; }

out="dist"
url_base=""
homepage=""
binary=""
while (($#)); do
	case "$1" in
	--out) out="${2:?--out needs a directory}"; shift 2 ;;
	--url-base) url_base="${2:?--url-base needs a URL}"; shift 2 ;;
	--homepage) homepage="${2:?--homepage needs a URL}"; shift 2 ;;
	--binary) binary="${2:?--binary needs a path}"; shift 2 ;;
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
repository="$(package_key repository)"
homepage="${homepage:-$(package_key homepage)}"
homepage="${homepage:-$repository}"
if [[ -z "$url_base" && -n "$repository" ]]; then
	url_base="${repository%/}/releases/download/$tag"
fi
[[ -n "$url_base" ]] || die "no download location: pass --url-base URL (or set repository in Cargo.toml)"
[[ -n "$homepage" ]] || die "no homepage: pass --homepage URL (or set homepage or repository in Cargo.toml)"
url_base="${url_base%/}"

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

# make_archive OS BINARY ARCHIVE
make_archive() {
	local os="$1" built="$2" archive="$3" stage
	stage="$work/stage-$os-$(basename "$archive")"
	mkdir -p "$stage"
	cp "$built" "$stage/$(bin_name "$os")"
	chmod 0755 "$stage/$(bin_name "$os")"
	# Symbols and debug info are no use to a user and are most of a binary's size. The host's
	# strip only knows the host's binaries.
	if [[ "$os" == "$host_os" ]] && command -v strip >/dev/null; then
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

built=()
left_out=()
for platform in "${platforms[@]}"; do
	read -r os arch target <<<"$platform"
	archive="kubectl-immutable-$tag-$os-$arch.tar.gz"
	if [[ "$os/$arch" == "$host_os/$host_arch" ]]; then
		if [[ -z "$binary" ]]; then
			note "building $os/$arch"
			cargo build --release --locked
			binary="$root/target/release/$(bin_name "$os")"
		fi
		reported="$("$binary" --version)"
		[[ "$reported" == "kubectl-immutable $version" || "$reported" == "kubectl-immutable $version "* ]] ||
			die "$binary --version says '$reported', not version $version"
		check_generated "$binary"
		make_archive "$os" "$binary" "$out/$archive"
		built+=("$os $arch $archive")
	elif [[ -f "$out/$archive" ]]; then
		listing="$(tar -tzf "$out/$archive")"
		grep -qx "\(\./\)\?$(bin_name "$os")" <<<"$listing" ||
			die "$out/$archive has no $(bin_name "$os")"
		note "using $archive, already in $out"
		built+=("$os $arch $archive")
	elif grep -qx "$target" <<<"$installed_targets" &&
		cargo build --release --locked --target "$target" >&2; then
		make_archive "$os" "$root/target/$target/release/$(bin_name "$os")" "$out/$archive"
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

manifest="$out/immutable.yaml"
{
	echo "# Rendered by scripts/release.sh from $template for $tag; do not edit by hand."
	fill "$head_part" VERSION "$tag" HOMEPAGE "$homepage"
	echo
	for entry in "${built[@]}"; do
		read -r os arch archive <<<"$entry"
		files=""
		for file in "$(bin_name "$os")" $(archive_files "$os"); do
			files+="    - from: $file"$'\n'"      to: ."$'\n'
		done
		fill "$block" OS "$os" ARCH "$arch" URL_BASE "$url_base" ARCHIVE "$archive" \
			SHA256 "$(sha256 "$out/$archive")" BIN "$(bin_name "$os")" FILES "${files%$'\n'}" VERSION "$tag"
		echo
	done
	for platform in "${left_out[@]}"; do
		echo "  # $platform: no archive was built for this release"
	done
	[[ -z "$tail_part" ]] || printf '%s\n' "$tail_part"
} >"$manifest"

(cd "$out" && for entry in "${built[@]}"; do
	read -r _ _ archive <<<"$entry"
	echo "$(sha256 "$archive")  $archive"
done) >"$out/SHA256SUMS"

note "wrote $manifest (${#built[@]} platform(s)${left_out[*]:+; left out: ${left_out[*]}})"
for entry in "${built[@]}"; do
	read -r _ _ archive <<<"$entry"
	echo "$out/$archive"
done
echo "$out/SHA256SUMS"
echo "$manifest"
