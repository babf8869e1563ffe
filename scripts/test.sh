#!/usr/bin/env bash
# README command 2: install what is missing, then run every test — lint, unit and integration tests on
# SQLite (and on PostgreSQL when TEST_POSTGRES_URL is set), and the Playwright suite in Chromium
# against a built server. Under CI=true a missing PostgreSQL or Chromium fails the run; it is never
# skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# tools/venv first: its python3 has the official Dropbox SDK the sandbox conformance test runs
export PATH="$PWD/tools/venv/bin:$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
# the Python SDK conformance test fails instead of skipping when its tools are missing
export DROPBOX_SANDBOX_REQUIRE_PYTHON=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

step "formatting and lints"
cargo fmt --all -- --check || fail "cargo fmt --all would change files"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -p server --features bench --bins -- -D warnings   # the bench binaries
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "the browser build pulls no server-only crate"
leaked=$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none \
  | grep -E '^(sea-orm|sqlx[a-z-]*|domain|entity|migration|tokio-postgres|argon2|tower-sessions) ' || true)
[ -z "$leaked" ] || fail "server-only crates in the wasm build: $leaked"

step "unit and integration tests (SQLite)"
cargo test --workspace --exclude frontend

if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  step "integration tests (PostgreSQL at ${TEST_POSTGRES_URL%%@*}@…)"
  TEST_DATABASE=postgres cargo test -p server --test api
elif [ "${CI:-}" = "true" ]; then
  fail "TEST_POSTGRES_URL is not set: CI must run the integration tests on PostgreSQL"
else
  printf '\n!!! PostgreSQL integration tests NOT run: set TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres\n'
fi

step "benchmarks, smoke run (tiny sizes, goals not judged: they only must not rot)"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
cargo test -p server --features bench --bin load-bench --bin bench-report
cargo build -p server --features bench --bins
export WHARF_BENCH_SMOKE=1
"$target_dir/debug/load-bench" 1 1
"$target_dir/debug/picker-bench" 1 1200
"$target_dir/debug/transfer-bench" 24 1
unset WHARF_BENCH_SMOKE

step "browser tests (Playwright, Chromium)"
command -v chromium >/dev/null 2>&1 || fail "chromium is not installed (scripts/setup.sh installs Debian's package)"
e2e="$PWD/target/e2e"
rm -rf "$e2e" && mkdir -p "$e2e"
export WHARF_DATA_DIR="$e2e/data"
export DATABASE_URL="sqlite://$e2e/wharf.db?mode=rwc"
export LEPTOS_SITE_ADDR="${E2E_SITE_ADDR:-127.0.0.1:3100}"
export LEPTOS_RELOAD_PORT="${E2E_RELOAD_PORT:-3101}"
export WHARF_SANDBOX_ADDR="${E2E_SANDBOX_ADDR:-127.0.0.1:3102}"
unset DROPBOX_APP_KEY DROPBOX_APP_SECRET   # the browser tests run against the built-in Sandbox Dropbox
export WHARF_SANDBOX_CONTROL_API=1         # …and script its faults and read its request log
cargo leptos end-to-end --split
