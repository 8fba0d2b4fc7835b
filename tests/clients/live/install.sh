#!/usr/bin/env bash
# Prepare the environments of the live client senders in this directory, which
# tests/tests/collector_clients.rs runs against an in-process collector and
# tests/tests/pipeline.rs against the whole pipeline (runner: tests/src/clients.rs).
#
#   bash tests/clients/live/install.sh [TARGET...]
#
# TARGETs (default: all): otel-python zipkin-python go-jaeger node-otel
#
# Nothing is installed in the repo. The pins are the wire-fixture pins
# (tests/fixtures/clients: requirements-otel.txt, requirements-zipkin.txt,
# package.json + package-lock.json; go.mod/go.sum here copy that directory's),
# and the environments are the very ones capture.sh uses, found and stamped the
# same way (a sha256 of the pin files in .spur-stamp; rebuilt only when it
# changes), so the two scripts share them without rebuilding each other's:
#
#   ${SPUR_CACHE:-$HOME/.cache/spur}/fixtures-venv-otel     Python OTel SDK + OTLP exporters
#   ${SPUR_CACHE:-$HOME/.cache/spur}/fixtures-venv-zipkin   py_zipkin
#   ${SPUR_CACHE:-$HOME/.cache/spur}/fixtures-node          npm ci of the fixtures' lock file
#   ${SPUR_CACHE:-$HOME/.cache/spur}/fixtures-go/{mod,build} Go module and build caches
#   ${SPUR_CACHE:-$HOME/.cache/spur}/live-clients/bin/jaeger-go   the Go sender, built here
#   ${SPUR_CACHE:-$HOME/.cache/spur}/live-clients/<target>.ready  touched after each success
#
# The Rust test fails (never skips) when a target's environment is missing or
# its .ready marker is older than one of its pin or source files.
#
# Every install step runs under `timeout` (SPUR_INSTALL_TIMEOUT, default 600 s).
# Concurrent runs of this script wait for each other (a lock in the cache).
# Exits non-zero if any target failed.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FIXTURES="$(cd "$HERE/../../fixtures/clients" && pwd)"
CACHE="${SPUR_CACHE:-$HOME/.cache/spur}"
LIVE="$CACHE/live-clients"
PYTHON="${PYTHON:-python3}"
INSTALL_TIMEOUT="${SPUR_INSTALL_TIMEOUT:-600}"

ALL_TARGETS=(otel-python zipkin-python jaeger-python go-jaeger node-otel)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
for t in "${TARGETS[@]}"; do
  case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *) echo "unknown target: $t" >&2; exit 2 ;; esac
done

export PYTHONDONTWRITEBYTECODE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
START=$(date +%s)
FAILED=()
log() { printf '==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; FAILED+=("$1"); }

mkdir -p "$LIVE/bin" || exit 1
exec 9>"$LIVE/.install.lock"
flock -w $((2 * INSTALL_TIMEOUT)) 9 || { echo "another install.sh held the lock too long" >&2; exit 1; }

stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Same directory, pin file and stamp as capture.sh's ensure_venv (keep them in step).
ensure_venv() { # name
  local req="$FIXTURES/requirements-$1.txt" venv="$CACHE/fixtures-venv-$1"
  local want; want="$(stamp_of "$req")"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.spur-stamp" 2>/dev/null)" != "$want" ]; then
    log "creating venv $venv"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || return 1
    timeout "$INSTALL_TIMEOUT" "$venv/bin/pip" install -q -r "$req" || return 1
    echo "$want" > "$venv/.spur-stamp"
  fi
}

# Same directory, pin files and stamp as capture.sh's ensure_node (keep them in step).
ensure_node() {
  local dir="$CACHE/fixtures-node"
  local want; want="$(stamp_of "$FIXTURES/package.json" "$FIXTURES/package-lock.json")"
  if [ ! -d "$dir/node_modules" ] || [ "$(cat "$dir/.spur-stamp" 2>/dev/null)" != "$want" ]; then
    log "npm ci in $dir"
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    cp "$FIXTURES/package.json" "$FIXTURES/package-lock.json" "$dir/" || return 1
    (cd "$dir" && timeout "$INSTALL_TIMEOUT" npm ci --no-audit --no-fund --loglevel=error) || return 1
    echo "$want" > "$dir/.spur-stamp"
  fi
}

# The module and build caches are capture.sh's (Go keeps both safe for concurrent use).
build_go() {
  (
    export GOMODCACHE="$CACHE/fixtures-go/mod" GOCACHE="$CACHE/fixtures-go/build"
    export GOFLAGS="-mod=readonly -buildvcs=false"
    cd "$HERE" && timeout "$INSTALL_TIMEOUT" go build -o "$LIVE/bin/jaeger-go" ./jaeger-go
  )
}

# Import what the sender imports, so a broken environment shows here, not in the test.
check_python() { # name module...
  local py="$CACHE/fixtures-venv-$1/bin/python"
  shift
  timeout 60 "$py" -c "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]" "$@"
}

check_node() {
  (cd "$HERE" && NODE_PATH="$CACHE/fixtures-node/node_modules" timeout 60 node -e '
    for (const m of ["@opentelemetry/api", "@opentelemetry/sdk-trace-base",
                     "@opentelemetry/resources", "@opentelemetry/exporter-trace-otlp-http"]) require(m);')
}

install_target() { # target
  case "$1" in
    otel-python)
      ensure_venv otel && check_python otel grpc \
        opentelemetry.sdk.trace opentelemetry.exporter.otlp.proto.grpc.trace_exporter \
        opentelemetry.exporter.otlp.proto.http.trace_exporter ;;
    zipkin-python)
      ensure_venv zipkin && check_python zipkin py_zipkin.zipkin py_zipkin.transport ;;
    jaeger-python)
      ensure_venv jaeger && check_python jaeger jaeger_client opentracing ;;
    go-jaeger)
      build_go ;;
    node-otel)
      ensure_node && check_node ;;
  esac
}

for t in "${TARGETS[@]}"; do
  t0=$(date +%s)
  log "$t"
  if install_target "$t"; then
    touch "$LIVE/$t.ready"
  else
    rm -f "$LIVE/$t.ready"
    fail "$t"
  fi
  log "$t done in $(( $(date +%s) - t0 ))s"
done

log "finished in $(( $(date +%s) - START ))s"
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo "failed targets: ${FAILED[*]}" >&2
  exit 1
fi
