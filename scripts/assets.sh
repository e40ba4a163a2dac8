#!/usr/bin/env bash
# Builds the consoles' third-party assets from npm (package.json, pinned by package-lock.json, which records no
# registry address) into lightspeedpay/dashboard/static/vendor/ (ignored: nothing third-party is committed).
# Also installs the JS SDK's build tools in sdks/js/node_modules. Safe to run again: npm runs only when a lock
# changed. Usage: scripts/assets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null 2>&1 || { echo "error: the consoles' assets need Node.js and npm: apt-get install nodejs npm" >&2; exit 1; }
out=lightspeedpay/dashboard/static/vendor
stamp=node_modules/.lsp-assets
want="$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  printf '\033[1m==> %s\033[0m\n' "installing the consoles' assets (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
mkdir -p "$out"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
cp node_modules/htmx-ext-sse/dist/sse.min.js "$out/htmx-ext-sse.min.js"
cp node_modules/uplot/dist/uPlot.iife.min.js "$out/uPlot.iife.min.js"
cp node_modules/uplot/dist/uPlot.min.css "$out/uPlot.min.css"
# axe-core (a dev dependency) stays in node_modules/axe-core/axe.min.js, where the browser tests read it

# the TypeScript/JavaScript SDK's toolchain (typescript, @types/node), pinned by sdks/js/package-lock.json: its
# tests build it with tsc (tests/sdks/test_js_sdk.py); npm runs only when that lock changed
sdk_stamp=sdks/js/node_modules/.lsp-sdk-js
sdk_want="$(sha256sum sdks/js/package-lock.json | cut -c1-16)"
if [ ! -f "$sdk_stamp" ] || [ "$(cat "$sdk_stamp")" != "$sdk_want" ]; then
  printf '\033[1m==> %s\033[0m\n' "installing the JS SDK's toolchain (npm ci in sdks/js)"
  (cd sdks/js && npm ci --no-audit --no-fund --loglevel=error)
  echo "$sdk_want" > "$sdk_stamp"
fi
