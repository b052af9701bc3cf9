#!/usr/bin/env bash
# Every cargo-fuzz target of fuzz/ for a bounded time each, as CI runs them: no panic, no input
# that takes longer than TIMEOUT seconds, and the allocation bound below, or a failure with the
# input left in fuzz/artifacts/TARGET/ (`cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-…`
# replays it).
#
#   bash scripts/fuzz.sh                 every target, FUZZ_SECONDS (20) each
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh compose    one target, longer
#
# Installs cargo-fuzz from crates.io when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[fuzz] %s\n' "$*" >&2; }

# The targets (fuzz/Cargo.toml), each with the files of tests/data that seed it.
targets=(locate reference compose dockerfile registry_answer)
seeds() {
	case "$1" in
	locate) find tests/data/bad tests/data/rewrite -name '*.yaml' -size -64k ;;
	reference) ;;
	compose) find tests/data -name '*compose*.y*ml' -size -64k ;;
	dockerfile) find tests/data -name '*Dockerfile*' -size -64k ;;
	registry_answer) ;;
	esac
}

seconds="${FUZZ_SECONDS:-20}"
# The stated bound: no single allocation above 128 MiB (the readers' own limit on text in
# values, 64 MiB, lets an ARG expansion build a string that large, and no more), no more than
# 2 GiB resident (ASan's shadow memory and quarantine included), no input taking more than 10 s.
malloc_limit_mb=128
rss_limit_mb=2048
timeout=10

((${#@})) && targets=("$@")

if ! command -v cargo-fuzz >/dev/null; then
	log "installing cargo-fuzz from crates.io"
	cargo install cargo-fuzz --locked
fi

# cargo-fuzz builds with nightly-only flags (`-Zsanitizer=address`, and the sanitizer coverage
# libFuzzer steers by); the only toolchain here is stable and no nightly can be fetched.
# RUSTC_BOOTSTRAP=1 lets a stable rustc take those flags, as the compiler's own build does. The
# address sanitizer stays: libFuzzer's -malloc_limit_mb needs its allocation hooks.
export RUSTC_BOOTSTRAP=1
# Outside the clone, so a machine that has built once rebuilds only what changed.
target_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-immutable/fuzz-target"

started=$SECONDS
log "building ${targets[*]}"
for target in "${targets[@]}"; do
	(cd fuzz && cargo fuzz build --target-dir "$target_dir" "$target")
done
log "built in $((SECONDS - started)) s"

corpora=$(mktemp -d)
trap 'rm -rf "$corpora"' EXIT
for target in "${targets[@]}"; do
	corpus="$corpora/$target"
	mkdir -p "$corpus"
	while IFS= read -r seed; do
		cp "$seed" "$corpus/$(printf '%s' "$seed" | tr / _)"
	done < <(seeds "$target")
	log "$target: ${seconds} s from $(find "$corpus" -type f | wc -l) seeds"
	log_file="$corpora/$target.log"
	if ! (cd fuzz && cargo fuzz run --target-dir "$target_dir" "$target" "$corpus" -- \
		-max_total_time="$seconds" -timeout="$timeout" \
		-malloc_limit_mb="$malloc_limit_mb" -rss_limit_mb="$rss_limit_mb" \
		-print_final_stats=1) >"$log_file" 2>&1; then
		tail -n 60 "$log_file" >&2
		log "$target FAILED: the input is in fuzz/artifacts/$target/"
		exit 1
	fi
	log "$target: $(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$log_file" | grep -o '[0-9]*$') inputs, no failure"
done
log "done in $((SECONDS - started)) s"
