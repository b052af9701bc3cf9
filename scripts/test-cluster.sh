#!/usr/bin/env bash
# The test control plane: a real etcd, kube-apiserver and kube-controller-manager on loopback.
#
#   test-cluster.sh build   fetch and build kube-apiserver and kube-controller-manager v1.20.2 once
#                           into the cache (idempotent: a later run only verifies them)
#   test-cluster.sh up      start a cluster by hand and print its kubeconfig path
#   test-cluster.sh down    stop it
#   test-cluster.sh env     print `export KUBECONFIG=...` for the running cluster
#   test-cluster.sh packages  print the Debian packages `build` needs, one a line
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-immutable/k8s-v1.20.2/: bin/, build.log, the
# downloaded source package, and cluster/ with the state and logs of `up`.
set -euo pipefail

K8S_VERSION=v1.20.2
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-immutable/k8s-$K8S_VERSION"
BIN_DIR="$CACHE_DIR/bin"
STATE_DIR="$CACHE_DIR/cluster"
BINARIES=(kube-apiserver kube-controller-manager)
# Debian's reflect2 1.0.2: the vendored 1.0.1 crashes map iteration under Go >= 1.18.
REFLECT2_DIR=/usr/share/gocode/src/github.com/modern-go/reflect2
# curl is for `up` (waiting for /readyz).
PACKAGES=(etcd-server golang-go rsync jq make openssl curl golang-github-modern-go-reflect2-dev)

log() { printf '[test-cluster] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

binaries_ok() {
	local bin
	for bin in "${BINARIES[@]}"; do
		[[ -x "$BIN_DIR/$bin" ]] || return 1
		"$BIN_DIR/$bin" --version 2>/dev/null | grep -q "$K8S_VERSION" || return 1
	done
}

install_packages() {
	local missing=() pkg
	for pkg in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	((${#missing[@]} == 0)) && return 0
	log "installing ${missing[*]}"
	local sudo=()
	((EUID == 0)) || sudo=(sudo)
	if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
		"${sudo[@]}" apt-get update
		"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
	fi
}

# The host of the system's Debian mirror, so the source comes from where the binaries come from.
debian_mirror() {
	local url
	url=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
		grep -v -- '-security' | head -n1 | tr -d ' ' || true)
	echo "${url:-http://deb.debian.org/debian}"
}

# Downloads the `kubernetes` source package of bookworm with a private sources list and lists
# directory, leaving the system's apt configuration and lists untouched.
fetch_source() {
	local apt_dir="$CACHE_DIR/apt" dl_dir="$CACHE_DIR/download"
	mkdir -p "$apt_dir/lists/partial" "$dl_dir"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) bookworm main" \
		>"$apt_dir/sources.list"
	local apt_opts=(
		-o "Dir::Etc::SourceList=$apt_dir/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::Cache::pkgcache="
		-o "Dir::Cache::srcpkgcache="
		# The cache lives under $HOME, which the _apt sandbox user may not read.
		-o "APT::Sandbox::User=root"
	)
	if ! compgen -G "$dl_dir/kubernetes_*.orig.tar.*" >/dev/null; then
		log "fetching the kubernetes source package (bookworm)"
		apt-get "${apt_opts[@]}" update >&2
		(cd "$dl_dir" && apt-get "${apt_opts[@]}" source --download-only kubernetes) >&2
	fi
	compgen -G "$dl_dir/kubernetes_*.orig.tar.*" | head -n1
}

build() {
	if binaries_ok; then
		log "binaries present and verified in $BIN_DIR"
		return 0
	fi
	install_packages
	mkdir -p "$CACHE_DIR"
	local orig src="$CACHE_DIR/src" build_log="$CACHE_DIR/build.log"
	orig=$(fetch_source)
	[[ -n "$orig" ]] || die "no kubernetes .orig tarball downloaded"

	log "unpacking $(basename "$orig")"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$orig" -C "$src" --strip-components=1
	[[ -f "$src/cmd/kube-apiserver/apiserver.go" ]] || die "unexpected layout of $orig"

	log "replacing vendored reflect2 with Debian's $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"
	rm -rf "$src/vendor/github.com/modern-go/reflect2"
	mkdir -p "$src/vendor/github.com/modern-go/reflect2"
	find "$REFLECT2_DIR" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
		-exec cp {} "$src/vendor/github.com/modern-go/reflect2/" \;

	# Like Debian's debian/rules: a GOPATH whose src/k8s.io/kubernetes is the tree. The build
	# runs in GOPATH mode with the vendor folder and keeps its Go cache in the tree's _output.
	local gopath="$CACHE_DIR/gopath"
	mkdir -p "$gopath/src/k8s.io"
	ln -sfn "$src" "$gopath/src/k8s.io/kubernetes"

	log "building ${BINARIES[*]} (a few minutes; log: $build_log)"
	local started=$SECONDS
	if ! (
		cd "$gopath/src/k8s.io/kubernetes" &&
			env GOPATH="$gopath" CGO_ENABLED=0 KUBE_GIT_VERSION="$K8S_VERSION" KUBE_GIT_TREE_STATE=clean \
				make WHAT="cmd/kube-apiserver cmd/kube-controller-manager"
	) >"$build_log" 2>&1; then
		tail -n 40 "$build_log" >&2
		die "build failed; full log: $build_log"
	fi
	log "built in $((SECONDS - started))s"

	mkdir -p "$BIN_DIR"
	local bin
	for bin in "${BINARIES[@]}"; do
		install -m 0755 "$src/_output/local/bin/linux/amd64/$bin" "$BIN_DIR/$bin"
	done
	binaries_ok || die "the built binaries do not report $K8S_VERSION"
	# The tree and its Go cache take gigabytes and are not needed once the binaries are in place.
	rm -rf "$src" "$gopath"
	local v
	for bin in "${BINARIES[@]}"; do
		v=$("$BIN_DIR/$bin" --version)
		log "$bin: $v"
	done
	log "binaries in $BIN_DIR"
}

# A port on which nothing accepts connections (bash's /dev/tcp fails to connect to it).
free_port() {
	local port
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	die "no free loopback port found"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
	binaries_ok || die "binaries missing or broken in $BIN_DIR: run 'bash scripts/test-cluster.sh build'"
	command -v etcd >/dev/null || die "etcd missing: run 'bash scripts/test-cluster.sh build'"
	if pid_alive "$STATE_DIR/kube-apiserver.pid"; then
		echo "$STATE_DIR/kubeconfig"
		return 0
	fi
	down_quiet
	rm -rf "$STATE_DIR"
	mkdir -p "$STATE_DIR/certs"
	local d=$STATE_DIR
	local etcd_client etcd_peer api_port
	etcd_client=$(free_port)
	etcd_peer=$(free_port)
	api_port=$(free_port)

	openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
	local admin_token user_token
	admin_token=$(openssl rand -hex 16)
	user_token=$(openssl rand -hex 16)
	{
		echo "$admin_token,admin,admin,system:masters"
		echo "$user_token,nobody,nobody"
	} >"$d/tokens.csv"

	etcd --name test --data-dir "$d/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
		--listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-cluster "test=http://127.0.0.1:$etcd_peer" >"$d/etcd.log" 2>&1 &
	echo $! >"$d/etcd.pid"

	"$BIN_DIR/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_client" \
		--secure-port "$api_port" --bind-address 127.0.0.1 --cert-dir "$d/certs" \
		--token-auth-file "$d/tokens.csv" --authorization-mode RBAC \
		--service-cluster-ip-range 10.0.0.0/24 \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$d/sa.key" --service-account-signing-key-file "$d/sa.key" \
		--disable-admission-plugins ServiceAccount --insecure-port 0 >"$d/kube-apiserver.log" 2>&1 &
	echo $! >"$d/kube-apiserver.pid"

	local server="https://127.0.0.1:$api_port"
	write_kubeconfig "$d/kubeconfig" "$server" admin "$admin_token"
	write_kubeconfig "$d/kubeconfig-nobody" "$server" nobody "$user_token"

	local deadline=$((SECONDS + 60))
	until curl -fsS --cacert "$d/certs/apiserver.crt" -H "Authorization: Bearer $admin_token" \
		"$server/readyz" >/dev/null 2>&1; do
		if ! pid_alive "$d/kube-apiserver.pid"; then
			tail -n 30 "$d/kube-apiserver.log" >&2
			die "kube-apiserver exited; log: $d/kube-apiserver.log"
		fi
		((SECONDS < deadline)) || {
			tail -n 30 "$d/kube-apiserver.log" >&2
			die "kube-apiserver not ready after 60s; log: $d/kube-apiserver.log"
		}
		sleep 0.2
	done

	"$BIN_DIR/kube-controller-manager" --kubeconfig "$d/kubeconfig" --leader-elect=false \
		--controllers='*,-nodelifecycle' --secure-port=0 --port=0 \
		--service-account-private-key-file "$d/sa.key" >"$d/kube-controller-manager.log" 2>&1 &
	echo $! >"$d/kube-controller-manager.pid"

	log "ready at $server (logs in $d); a no-rights user's kubeconfig: $d/kubeconfig-nobody"
	echo "$d/kubeconfig"
}

write_kubeconfig() {
	local file=$1 server=$2 user=$3 token=$4
	cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $server
    certificate-authority: $STATE_DIR/certs/apiserver.crt
users:
- name: $user
  user:
    token: $token
contexts:
- name: $user@test
  context:
    cluster: test
    user: $user
current-context: $user@test
EOF
	chmod 600 "$file"
}

down_quiet() {
	local name pidfile
	for name in kube-controller-manager kube-apiserver etcd; do
		pidfile="$STATE_DIR/$name.pid"
		if pid_alive "$pidfile"; then
			kill "$(cat "$pidfile")" 2>/dev/null || true
			for _ in $(seq 50); do
				pid_alive "$pidfile" || break
				sleep 0.1
			done
			pid_alive "$pidfile" && kill -9 "$(cat "$pidfile")" 2>/dev/null
		fi
		rm -f "$pidfile"
	done
}

down() {
	down_quiet
	log "stopped"
}

env_cmd() {
	pid_alive "$STATE_DIR/kube-apiserver.pid" || die "no cluster running: run 'bash scripts/test-cluster.sh up'"
	echo "export KUBECONFIG=$STATE_DIR/kubeconfig"
}

case "${1:-}" in
build) build ;;
up) up ;;
down) down ;;
env) env_cmd ;;
packages) printf '%s\n' "${PACKAGES[@]}" ;;
*)
	echo "usage: $0 build|up|down|env|packages" >&2
	exit 2
	;;
esac
