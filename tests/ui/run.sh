#!/usr/bin/env bash
# The web UI's browser tests: build spur-all-in-one, start it on free loopback ports with a
# temporary data directory, send traces with the Python OpenTelemetry SDK (send_traces.py),
# then drive headless chromium through every page with playwright-core (`node --test e2e.mjs`).
# Screenshots and the 10,000-span timing go to tests/ui/artifacts/ (SPUR_UI_ARTIFACTS).
#
#   bash tests/ui/install.sh   # once: chromium, playwright-core, the SDK's venv
#   bash tests/ui/run.sh         # unit.test.mjs (no browser) and e2e.mjs
#   bash tests/ui/run.sh bench   # bench.mjs on the release binary: the 10,000-span trace page
#
# SPUR_UI_RELEASE=1 builds and runs the release binary for the tests too; SPUR_UI_BASE_PATH=/jaeger
# serves the UI under --query.base-path (the tests then run below it). The all-in-one's log is
# kept in the artifacts directory; it is stopped (SIGTERM, by pid) and its data removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPUR_CACHE:-$HOME/.cache/spur}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
ARTIFACTS="${SPUR_UI_ARTIFACTS:-$HERE/artifacts}"
PYTHON="$CACHE/fixtures-venv-otel/bin/python"
log() { printf '==> %s\n' "$*"; }

[ -d "$HERE/node_modules/playwright-core" ] && [ -x "$PYTHON" ] || {
  echo "missing browser-test environment: run bash tests/ui/install.sh" >&2
  exit 1
}

MODE="${1:-test}"
case "$MODE" in test|bench) ;; *) echo "usage: run.sh [test|bench]" >&2; exit 2 ;; esac
profile=debug
build_flags=()
if [ "${SPUR_UI_RELEASE:-0}" = 1 ] || [ "$MODE" = bench ]; then profile=release; build_flags=(--release); fi
log "building spur-all-in-one ($profile)"
(cd "$ROOT" && cargo build -q -p spur-all-in-one "${build_flags[@]}")
BINARY="$CARGO_TARGET_DIR/$profile/spur-all-in-one"

# Eight free TCP ports on 127.0.0.1, chosen by the kernel.
read -r -a PORTS <<< "$(python3 -c '
import socket
sockets = [socket.socket() for _ in range(8)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
for s in sockets: s.close()')"

DATA="$(mktemp -d -t spur-ui-XXXXXX)"
mkdir -p "$ARTIFACTS"
[ "$MODE" = test ] && rm -f "$ARTIFACTS"/*.png "$ARTIFACTS"/trace-*.json
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

log "starting the all-in-one (query on 127.0.0.1:${PORTS[6]})"
env -u SPAN_STORAGE_TYPE BADGER_DIRECTORY_VALUE="$DATA/values" "$BINARY" \
  --collector.grpc-server.host-port="127.0.0.1:${PORTS[0]}" \
  --collector.http-server.host-port="127.0.0.1:${PORTS[1]}" \
  --collector.zipkin.host-port="127.0.0.1:${PORTS[2]}" \
  --collector.otlp.grpc.host-port="127.0.0.1:${PORTS[3]}" \
  --collector.otlp.http.host-port="127.0.0.1:${PORTS[4]}" \
  --admin.http.host-port="127.0.0.1:${PORTS[5]}" \
  --query.http-server.host-port="127.0.0.1:${PORTS[6]}" \
  --query.grpc-server.host-port="127.0.0.1:${PORTS[7]}" \
  --processor.jaeger-compact.server-host-port= \
  --processor.jaeger-binary.server-host-port= \
  --dependencies.flush-interval=1s \
  --query.base-path="${SPUR_UI_BASE_PATH:-/}" \
  > "$ARTIFACTS/all-in-one.log" 2>&1 &
PID=$!
for _ in $(seq 300); do
  curl -fsS "http://127.0.0.1:${PORTS[5]}/" > /dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$ARTIFACTS/all-in-one.log" >&2; exit 1; }
  sleep 0.1
done

log "sending traces with the Python OpenTelemetry SDK"
timeout 300 "$PYTHON" "$HERE/send_traces.py" --endpoint "http://127.0.0.1:${PORTS[4]}/v1/traces" \
  > "$ARTIFACTS/sent.json"
cat "$ARTIFACTS/sent.json"

cd "$HERE"
BASE_PATH="${SPUR_UI_BASE_PATH:-/}"
export SPUR_UI_URL="http://127.0.0.1:${PORTS[6]}${BASE_PATH%/}/" SPUR_UI_SENT="$ARTIFACTS/sent.json" SPUR_UI_ARTIFACTS="$ARTIFACTS"
if [ "$MODE" = bench ]; then
  log "benchmark of the trace page"
  timeout 600 node bench.mjs
else
  log "UI unit tests and browser tests"
  timeout 600 node --test --test-concurrency=1 unit.test.mjs e2e.mjs
fi
