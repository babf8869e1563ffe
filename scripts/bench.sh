#!/usr/bin/env bash
# Every benchmark in one command: builds release, runs each bench (Wharf and its peers side by side
# in one run), and writes docs/benchmarks.md and README's "Measured" table from their result rows.
#
#   scripts/bench.sh            # a few rounds of each (about 10 minutes once built)
#   scripts/bench.sh --quick    # one round of each, smaller files (about 3 minutes once built)
#
# Exits 1 when a bench did not finish or a goal was missed (the report is written either way).
# Run it on a quiet machine: nothing else building or testing. Needs root for emptying the page
# cache between transfers (without it the transfer rounds are less comparable; said in the report).
set -uo pipefail
cd "$(dirname "$0")/.."
mode=full
case "${1:-}" in
  --quick) mode=quick ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
esac

# setup.sh also installs Debian's wrk (the load generator) and nginx (the static-file ceiling).
scripts/setup.sh || exit 1
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

echo "==> building release"
# The site (wasm, JavaScript, CSS, hash.txt) as Wharf ships it; the server and the benches in one
# cargo build (a server built by cargo-leptos as well would be built twice: it sets other variables).
scripts/build-site.sh || exit 1
# Erased components, as cargo-leptos builds them (always-erase-components in Cargo.toml): a server
# rendering typed views for an erased wasm would not hydrate where a component renders nothing.
RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components" \
  cargo build --release -p server --features bench --bins || exit 1

# Let the build's load die down (up to 2 minutes) so the first bench does not share the cores.
for _ in $(seq 1 24); do
  awk '{ exit !($1 < 0.7) }' /proc/loadavg && break
  sleep 5
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "==> load average before the benches: $load_before"
out="$PWD/target/bench"
mkdir -p "$out"
results="$out/results.jsonl"
rm -f "$results"
export WHARF_BENCH_OUT="$results"
target="${CARGO_TARGET_DIR:-$PWD/target}"
failed=()
run() {
  local name=$1; shift
  echo "==> $name $*"
  "$target/release/$name" "$@" 2>&1 | tee "$out/$name.log"
  local status=${PIPESTATUS[0]}
  # 1 is a missed goal (its rows are in the report); anything else is a bench that broke.
  if [ "$status" -gt 1 ]; then failed+=("$name"); fi
  [ "$status" -eq 0 ] || goals_missed=1
}
goals_missed=0
if [ "$mode" = quick ]; then
  WHARF_SITE="$PWD/target/site" run load-bench 3 1
  run picker-bench 1
  run transfer-bench 256 1
else
  WHARF_SITE="$PWD/target/site" run load-bench 10 3
  run picker-bench 5
  run transfer-bench 1024 5
fi

BENCH_MODE=$mode BENCH_DATE=$(date -u +%Y-%m-%dT%H:%MZ) BENCH_COMMIT=$(git rev-parse --short HEAD) \
BENCH_LOAD="$load_before" BENCH_FAILED="${failed[*]:-}" \
  "$target/release/bench-report" "$results" docs/benchmarks.md README.md || exit 1

if [ ${#failed[@]} -gt 0 ]; then echo "bench: did not finish: ${failed[*]}" >&2; exit 1; fi
exit "$goals_missed"
