#!/usr/bin/env bash
# The release site (wasm, JavaScript, CSS in target/site) as Wharf ships it; scripts/run.sh and
# scripts/bench.sh call it. Debug builds (tests, `cargo leptos watch`) do not come here.
#
# The browser's wasm is built without the source locations Rust compiles into every panic and
# `unwrap` (`-Zlocation-detail=none`: file names and line numbers a person in a browser never
# reads; the panic's message still reaches the console). Measured on 8 Dec, one by one against the
# plain release build (fill page's first view / all wasm, brotli): 573 / 1,005 KB plain; 539 / 983
# with this flag; 533 / 977 adding the standard library built from source (`-Zbuild-std`, needs
# rust-src); 522 / 965 adding `-Cpanic=immediate-abort` (no panic message at all). Only the flag is
# used: the rest is 1–3 % more for a second toolchain component and silent panics.
# The flag is unstable on the stable toolchain (RUSTC_BOOTSTRAP); a toolchain that no longer takes
# it gets the plain release build, with a warning, rather than no site.
set -euo pipefail
cd "$(dirname "$0")/.."

if RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zlocation-detail=none" \
  cargo leptos build --release --split --frontend-only; then
  exit 0
fi
echo "build-site: the wasm without source locations did not build with $(rustc --version);" \
  "building the plain release wasm" >&2
cargo leptos build --release --split --frontend-only
