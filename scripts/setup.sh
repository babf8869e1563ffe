#!/usr/bin/env bash
# Installs what Wharf needs to build, run and test on Debian 12, and nothing that is already there.
# Idempotent and quick when everything is present. Every tool comes from apt, crates.io or npm:
# nothing here downloads a prebuilt binary or a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10   # 0.3.11 needs rustc >= 1.96; 0.3.10 is the same code and builds on 1.95
BINARYEN_VERSION=132.0.0      # Debian's binaryen 108 produces wasm that fails to hydrate: never use it
DROPBOX_PY_VERSION=12.2.4     # the official Dropbox Python SDK, run against the sandbox as a conformance test
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# the benches (scripts/bench.sh, and their smoke run in the tests): load generator, nginx and rclone
# as peers
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
[ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v rclone >/dev/null 2>&1 || need_apt+=(rclone)   # a peer of the listing and upload benches
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy rustfmt

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  echo "setup: cargo install cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on two cores)"
  # no_downloads: cargo-leptos never fetches wasm-bindgen / wasm-opt itself; it uses what is on PATH
  cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION" --features no_downloads
fi

# The wasm-bindgen CLI must equal the wasm-bindgen crate pinned in Cargo.toml exactly.
WB=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB\$"; then
  echo "setup: cargo install wasm-bindgen-cli $WB"
  # no --locked: its own lockfile pins a webpki-roots version the registry no longer has
  cargo install wasm-bindgen-cli --version "$WB"
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  echo "setup: npm install binaryen@$BINARYEN_VERSION into tools/"
  npm install --prefix tools --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  echo "setup: npm ci in end2end/ (Playwright without its browser download)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi

# A private virtualenv, so neither the system Python nor PEP 668 get in the way.
if ! tools/venv/bin/python3 -c "import dropbox, sys; sys.exit(dropbox.__version__ != '$DROPBOX_PY_VERSION')" 2>/dev/null; then
  echo "setup: Dropbox Python SDK $DROPBOX_PY_VERSION into tools/venv"
  python3 -m venv tools/venv
  tools/venv/bin/pip install --quiet --disable-pip-version-check "dropbox==$DROPBOX_PY_VERSION"
fi
