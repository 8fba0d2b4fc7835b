#!/usr/bin/env bash
# Builds the Jaeger v1 programs the interoperability tests run as peers, from the Go module
# proxy at the version pinned in go.mod (github.com/jaegertracing/jaeger v1.75.0):
#
#   ${SPUR_CACHE:-$HOME/.cache/spur}/jaeger/<version>/jaeger-query
#
# Rebuilt only when go.mod/go.sum change (a stamp beside the binary). `go install pkg@version`
# refuses Jaeger (its go.mod has a replace directive), hence this small module of ours.
# Cold: about 5 minutes on two cores (module download and compile), cached afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${SPUR_CACHE:-$HOME/.cache/spur}
version=$(awk '$1 == "github.com/jaegertracing/jaeger" {print $2}' "$here/go.mod")
[[ -n $version ]] || { echo "jaeger version not found in $here/go.mod" >&2; exit 1; }
out=$cache/jaeger/$version
stamp=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -d' ' -f1)
if [[ -x $out/jaeger-query && -f $out/.stamp && $(cat "$out/.stamp") == "$stamp" ]]; then
  echo "[jaeger] jaeger-query $version cached at $out"
  exit 0
fi
mkdir -p "$out"
export GOMODCACHE=${GOMODCACHE:-$cache/jaeger/gomod} GOCACHE=${GOCACHE:-$cache/jaeger/gocache}
export GOFLAGS=-mod=mod
echo "[jaeger] building jaeger-query $version (cold: minutes)"
cd "$here"
timeout "${SPUR_INSTALL_TIMEOUT:-1200}" go build -o "$out/jaeger-query" github.com/jaegertracing/jaeger/cmd/query
echo "$stamp" >"$out/.stamp"
echo "[jaeger] built $out/jaeger-query"
