#!/usr/bin/env bash
# Prepare the browser tests of the web UI (tests/ui/run.sh):
#
#   - Debian's chromium (apt-get, when /usr/bin/chromium is missing);
#   - playwright-core, pinned in package.json + package-lock.json, by `npm ci` into
#     tests/ui/node_modules (gitignored), redone only when the lock file changes;
#   - the Python OpenTelemetry SDK that sends the traces (tests/clients/live/install.sh otel-python).
#
# Every step runs under `timeout` (SPUR_INSTALL_TIMEOUT, default 600 s). Exits non-zero on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INSTALL_TIMEOUT="${SPUR_INSTALL_TIMEOUT:-600}"
CHROMIUM="${SPUR_CHROMIUM:-/usr/bin/chromium}"
log() { printf '==> %s\n' "$*"; }

if [ ! -x "$CHROMIUM" ]; then
  log "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  timeout "$INSTALL_TIMEOUT" apt-get update -q
  timeout "$INSTALL_TIMEOUT" apt-get install -y -q chromium
fi
"$CHROMIUM" --version 2>/dev/null | grep -i chromium

want="$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ ! -d "$HERE/node_modules/playwright-core" ] || [ "$(cat "$HERE/node_modules/.spur-stamp" 2>/dev/null)" != "$want" ]; then
  log "npm ci in $HERE"
  (cd "$HERE" && timeout "$INSTALL_TIMEOUT" npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$HERE/node_modules/.spur-stamp"
fi
(cd "$HERE" && node -e 'require("playwright-core")')

bash "$HERE/../clients/live/install.sh" otel-python
log "browser tests ready"
