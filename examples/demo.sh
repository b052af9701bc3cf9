#!/usr/bin/env bash
# kubectl-immutable, end to end, against a real registry on this machine:
#
#   bash examples/demo.sh
#
# Installs docker-registry, skopeo and a C compiler (build-essential: ring, under rustls, has C
# in it) if they are missing (Debian packages, via apt-get), builds the plugin, starts the CNCF
# Distribution registry on a free loopback port, pushes tiny OCI images under the names
# examples/manifests uses (nginx:1.27 as a linux/amd64 + linux/arm64 index), then pins the
# manifests, checks them, records a lock file and pins again from the lock with the registry
# stopped. Everything it writes goes to a temporary directory, removed on exit with the
# registry; the repository is left as it was.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
MANIFESTS=examples/manifests
REGISTRY_BIN=/usr/bin/docker-registry

OCI_INDEX=application/vnd.oci.image.index.v1+json
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar

if [[ -t 1 ]]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

# Prints a command as one would type it (plugin by name, temp dir as $TMP), then runs it.
run() {
    local shown="$*"
    shown=${shown//"$PLUGIN"/kubectl-immutable}
    shown=${shown//"$RESOLVE"/resolve}
    shown=${shown//"$TMP"/\$TMP}
    printf '$ %s\n' "$shown"
    "$@"
}

# expect STATUS COMMAND...: runs COMMAND, which must exit with STATUS.
expect() {
    local want=$1 got=0
    shift
    "$@" || got=$?
    ((got == want)) || die "expected exit status $want, got $got"
    printf '(exit status %s, as expected)\n' "$got"
}

# ---------------------------------------------------------------------------------------------
step "Tools"
command -v cargo >/dev/null ||
    die "cargo not found: install Rust 1.89 or newer (https://rustup.rs) and run again"
missing=()
[[ -x $REGISTRY_BIN ]] || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
command -v cc >/dev/null || missing+=(build-essential)
if ((${#missing[@]})); then
    sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
        sudo=(sudo)
    fi
    echo "installing ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
fi
"$REGISTRY_BIN" --version
skopeo --version

step "Build: cargo build --release"
cargo build --release --bin kubectl-immutable --example resolve
TARGET=${CARGO_TARGET_DIR:-target}/release
if [[ $TARGET != /* ]]; then TARGET=$PWD/$TARGET; fi
PLUGIN=$TARGET/kubectl-immutable
RESOLVE=$TARGET/examples/resolve

# ---------------------------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-immutable-demo.XXXXXX")
REGISTRY_PID=
stop_registry() {
    if [[ -n $REGISTRY_PID ]]; then
        kill "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
        REGISTRY_PID=
    fi
}
cleanup() {
    stop_registry
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The status line of GET /v2/ on 127.0.0.1:PORT, empty if nothing answers (bash's /dev/tcp,
# so that curl is not needed).
http_status() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1"
        printf 'GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        IFS= read -r -t 5 line <&3
        printf '%s' "${line%$'\r'}"
    ) 2>/dev/null || true
}

step "Registry: $REGISTRY_BIN serve, storage in \$TMP"
mkdir "$TMP/storage"
for _attempt in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 40000))
    [[ -z $(http_status "$PORT") ]] || continue # taken
    cat >"$TMP/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $TMP/storage
http:
  addr: 127.0.0.1:$PORT
  secret: kubectl-immutable-demo
EOF
    "$REGISTRY_BIN" serve "$TMP/config.yml" >"$TMP/registry.log" 2>&1 &
    REGISTRY_PID=$!
    for _ in $(seq 200); do
        [[ $(http_status "$PORT") == *" 200"* ]] && break 2
        kill -0 "$REGISTRY_PID" 2>/dev/null || break
        sleep 0.05
    done
    stop_registry
done
[[ -n $REGISTRY_PID ]] || die "the registry did not start: $(cat "$TMP/registry.log")"
REGISTRY=127.0.0.1:$PORT
echo "listening on http://$REGISTRY (pid $REGISTRY_PID)"

# ---------------------------------------------------------------------------------------------
# Images, written as an OCI image layout (oci-layout, index.json, blobs/sha256/) as
# tests/support/src/registry.rs does: an uncompressed one-file tar layer, a config naming the image
# (so each image has a digest of its own) and a manifest; an index for several platforms.
LAYOUT=$TMP/layout
mkdir -p "$LAYOUT/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$LAYOUT/oci-layout"
REFS=()
declare -A PLATFORM_DIGEST

# blob MEDIA_TYPE FILE: moves FILE into the blob store; sets DIGEST and DESC (its descriptor).
blob() {
    local hex size
    hex=$(sha256sum "$2")
    hex=${hex%% *}
    size=$(stat -c %s "$2")
    mv "$2" "$LAYOUT/blobs/sha256/$hex"
    DIGEST=sha256:$hex
    DESC=$(printf '{"mediaType":"%s","digest":"%s","size":%s}' "$1" "$DIGEST" "$size")
}

# oci_image OS ARCH DESCRIPTION: layer, config and manifest; DIGEST and DESC are the manifest's.
oci_image() {
    local os=$1 arch=$2 description=$3 layer config format
    rm -rf "$TMP/rootfs"
    mkdir -p "$TMP/rootfs/etc"
    printf 'kubectl-immutable demo image for %s/%s\n' "$os" "$arch" \
        >"$TMP/rootfs/etc/kubectl-immutable-demo"
    tar --create --file "$TMP/blob" --directory "$TMP/rootfs" --format ustar --sort name \
        --mtime @0 --owner 0 --group 0 --numeric-owner --mode u=rwX,go=rX etc
    blob "$OCI_LAYER" "$TMP/blob"
    layer=$DESC
    # Uncompressed, so the layer's diff ID is its digest.
    format='{"created":"1970-01-01T00:00:00Z","architecture":"%s","os":"%s",'
    format+='"config":{"Labels":{"org.opencontainers.image.description":"%s"}},'
    format+='"rootfs":{"type":"layers","diff_ids":["%s"]}}'
    # shellcheck disable=SC2059 # the format is built above
    printf "$format" "$arch" "$os" "$description" "$DIGEST" >"$TMP/blob"
    blob "$OCI_CONFIG" "$TMP/blob"
    config=$DESC
    printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' \
        "$OCI_MANIFEST" "$config" "$layer" >"$TMP/blob"
    blob "$OCI_MANIFEST" "$TMP/blob"
}

# oci_index DESCRIPTION OS/ARCH...: one image per platform and an index of them.
oci_index() {
    local description=$1 platform entries=()
    shift
    for platform; do
        oci_image "${platform%%/*}" "${platform#*/}" "$description"
        PLATFORM_DIGEST[$description $platform]=$DIGEST
        entries+=("${DESC%\}},\"platform\":{\"os\":\"${platform%%/*}\",\"architecture\":\"${platform#*/}\"}}")
    done
    (
        IFS=,
        printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' "$OCI_INDEX" "${entries[*]}"
    ) >"$TMP/blob"
    blob "$OCI_INDEX" "$TMP/blob"
}

# oci_name NAME: names the last image or index in the layout's index.json.
oci_name() {
    REFS+=("${DESC%\}},\"annotations\":{\"org.opencontainers.image.ref.name\":\"$1\"}}")
}

step "Images: OCI layout in \$TMP/layout, pushed with skopeo copy"
oci_index docker.io/library/nginx:1.27 linux/amd64 linux/arm64
oci_name nginx
oci_image linux amd64 docker.io/library/busybox:1.36
oci_name busybox
oci_image linux amd64 quay.io/prometheus/prometheus:v2.53.0
oci_name prometheus
(
    IFS=,
    printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s]}' "$OCI_INDEX" "${REFS[*]}"
) >"$LAYOUT/index.json"

# skopeo refuses to copy without a trust policy; don't depend on the system's.
printf '{"default":[{"type":"insecureAcceptAnything"}]}' >"$TMP/policy.json"
declare -A PUSHED
# push LAYOUT_NAME REPOSITORY:TAG: pushes under the mirror prefix, records the digest.
push() {
    # --all: the whole index, not only this machine's platform; --preserve-digests: fail
    # rather than re-encode a manifest into another digest.
    skopeo --policy "$TMP/policy.json" copy --quiet --all --preserve-digests \
        --digestfile "$TMP/digest" --dest-tls-verify=false --dest-no-creds \
        "oci:$LAYOUT:$1" "docker://$REGISTRY/$2"
    PUSHED[$2]=$(<"$TMP/digest")
    printf '%-60s %s\n' "$REGISTRY/$2" "${PUSHED[$2]}"
}
push nginx docker.io/library/nginx:1.27
push busybox docker.io/library/busybox:1.36
push prometheus quay.io/prometheus/prometheus:v2.53.0
NGINX_ARM64=${PLATFORM_DIGEST[docker.io/library/nginx:1.27 linux/arm64]}
echo "  (nginx:1.27 is an index: linux/amd64 ${PLATFORM_DIGEST[docker.io/library/nginx:1.27 linux/amd64]:0:19}…, linux/arm64 ${NGINX_ARM64:0:19}…)"

# Names stay as written (nginx:1.27, quay.io/...); the mirrors say where to ask for them.
REGISTRY_FLAGS=(
    --registry-mirror "docker.io=$REGISTRY/docker.io"
    --registry-mirror "quay.io=$REGISTRY/quay.io"
    --insecure-registry "$REGISTRY"
)

# ---------------------------------------------------------------------------------------------
step "Pin: a copy of $MANIFESTS in \$TMP/pinned, rewritten in place, digests recorded in a lock"
cp -r "$MANIFESTS" "$TMP/pinned"
run "$PLUGIN" pin -f "$TMP/pinned" -R --in-place --lock "$TMP/immutable.lock" "${REGISTRY_FLAGS[@]}"

step "What changed: diff -u input output (only the image values)"
for file in "$MANIFESTS"/*; do
    name=${file##*/}
    diff -u --label "$file" --label "\$TMP/pinned/$name" "$file" "$TMP/pinned/$name" || true
done

for name in docker.io/library/nginx:1.27 docker.io/library/busybox:1.36 \
    quay.io/prometheus/prometheus:v2.53.0; do
    pinned="${name#docker.io/library/}@${PUSHED[$name]}"
    grep -rqF "$pinned" "$TMP/pinned" || die "$pinned is not in the pinned manifests"
done
echo "ok: every pinned digest is the one skopeo pushed"

step "The lock file"
run cat "$TMP/immutable.lock"

step "One platform: --platform linux/arm64 pins nginx:1.27's arm64 manifest, not the index"
pod='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}'
echo "$ echo '$pod' | kubectl-immutable pin -f - --platform linux/arm64 --registry-mirror … --insecure-registry …"
arm64=$(echo "$pod" | "$PLUGIN" pin -q -f - --platform linux/arm64 "${REGISTRY_FLAGS[@]}")
echo "$arm64"
[[ $arm64 == *"nginx:1.27@$NGINX_ARM64"* ]] || die "expected nginx:1.27@$NGINX_ARM64"
echo "ok: the linux/arm64 entry of the index"

step "The library: cargo run --example resolve (examples/resolve.rs) against the same registry"
run "$RESOLVE" "$REGISTRY/docker.io/library/nginx:1.27" --insecure-registry "$REGISTRY" |
    tee "$TMP/resolved"
grep -qF -- "-> ${PUSHED[docker.io/library/nginx:1.27]}" "$TMP/resolved" ||
    die "resolve did not print the pushed index digest"

step "CI gate: --check on the input lists the unpinned images and exits 1 (no network)"
expect 1 run "$PLUGIN" pin -f "$MANIFESTS" -R --check

step "CI gate: --check on the output exits 0"
expect 0 run "$PLUGIN" pin -f "$TMP/pinned" -R --check

step "Offline: registry stopped, the lock file alone pins a fresh copy the same way"
stop_registry
echo "registry stopped"
cp -r "$MANIFESTS" "$TMP/offline"
run "$PLUGIN" pin -f "$TMP/offline" -R --in-place --offline --lock "$TMP/immutable.lock"
run diff -r "$TMP/pinned" "$TMP/offline"
echo "ok: identical to the online result"

step "Done: registry stopped, \$TMP removed on exit; $MANIFESTS untouched"
