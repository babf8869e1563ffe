#!/usr/bin/env bash
# README command 1: install what is missing, build (release), migrate and start Wharf on
# http://127.0.0.1:3000 with SQLite in data/. The first start prints how to sign in.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
export DATABASE_URL="${DATABASE_URL:-sqlite://data/wharf.db?mode=rwc}"
export WHARF_DATA_DIR="${WHARF_DATA_DIR:-data}"
export LEPTOS_ENV="${LEPTOS_ENV:-PROD}"
# The site (wasm, JavaScript, CSS) first, size-optimised; then `serve` builds the server only, runs
# it, and stops it on Ctrl-C.
scripts/build-site.sh
exec cargo leptos serve --release --split --server-only
