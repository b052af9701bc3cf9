#!/usr/bin/env bash
# The YAML reference reader (tests/oracle/goyaml): go-yaml v2 (kubectl) and v3 (Compose) from
# Debian's golang-gopkg-yaml.v2-dev and .v3-dev, built with Debian's Go, module-less (GOPATH
# /usr/share/gocode, where Debian installs Go sources), as the control plane is built.
#
#   test-oracle.sh build      build it once into the cache, keyed by its source's hash, and print
#                             the binary's path (idempotent: a later run only prints it)
#   test-oracle.sh packages   print the Debian packages `build` needs, one a line
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-immutable/goyaml-HASH/goyaml
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(golang-go golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev)
SOURCE=tests/oracle/goyaml/main.go

case "${1:-}" in
packages)
	printf '%s\n' "${PACKAGES[@]}"
	;;
build)
	hash=$(cat "$SOURCE" /usr/share/gocode/src/gopkg.in/yaml.v2/*.go /usr/share/gocode/src/gopkg.in/yaml.v3/*.go 2>/dev/null |
		sha256sum | cut -c1-16)
	dir="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-immutable/goyaml-$hash"
	if [[ ! -x "$dir/goyaml" ]]; then
		[[ -d /usr/share/gocode/src/gopkg.in/yaml.v2 && -d /usr/share/gocode/src/gopkg.in/yaml.v3 ]] ||
			{ echo "[test-oracle] missing: apt-get install ${PACKAGES[*]}" >&2; exit 1; }
		mkdir -p "$dir"
		(cd tests/oracle/goyaml && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$dir/gocache" \
			CGO_ENABLED=0 go build -o "$dir/goyaml.tmp" .)
		rm -rf "$dir/gocache"
		mv "$dir/goyaml.tmp" "$dir/goyaml"
		# Builds of an older source are not run again.
		find "$(dirname "$dir")" -maxdepth 1 -name 'goyaml-*' ! -path "$dir" -exec rm -rf {} +
	fi
	echo "$dir/goyaml"
	;;
*)
	echo "usage: $0 build|packages" >&2
	exit 2
	;;
esac
