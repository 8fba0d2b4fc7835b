#!/usr/bin/env bash
# Runs every cargo-fuzz target of spur-model for a bounded time each (default 30 s), seeded with
# the real-client and Jaeger golden fixtures. Needs a nightly toolchain (falls back to
# RUSTC_BOOTSTRAP on stable) and cargo-fuzz (installed from crates.io when missing).
set -euo pipefail
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
fixtures=$repo/tests/fixtures

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

seed() { # target, fixture files...
  local corpus=$here/corpus/$1; shift
  mkdir -p "$corpus"
  for file in "$@"; do [ -f "$file" ] && cp "$file" "$corpus/"; done
}
seed thrift_agent_compact "$fixtures"/clients/jaeger-client-python.compact.bin "$fixtures"/jaeger-go/agent.emitBatch-compact.bin
seed thrift_agent_binary "$fixtures"/clients/jaeger-client-node.binary.bin "$fixtures"/jaeger-go/agent.emitBatch-binary.bin
seed thrift_batch_binary "$fixtures"/clients/jaeger-client-go.http-binary.bin "$fixtures"/jaeger-go/batch.thrift-binary.bin
seed zipkin_v1_json "$fixtures"/clients/py_zipkin.v1.json
seed zipkin_v2_json "$fixtures"/clients/py_zipkin.v2.json
seed zipkin_v2_proto "$fixtures"/clients/py_zipkin.v2.proto.bin
seed otlp_proto "$fixtures"/clients/otel-python.otlp-http.bin "$fixtures"/clients/otel-python.otlp-grpc.bin
seed otlp_json "$fixtures"/clients/otel-node.otlp-http.json
seed kafka_protobuf "$fixtures"/jaeger-go/span.protobuf.bin "$fixtures"/jaeger-go/edge.span.protobuf.bin
seed kafka_json "$fixtures"/jaeger-go/span.jsonpb.json "$fixtures"/jaeger-go/edge.span.jsonpb.json

cd "$here"
failed=()
for target in $(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^spur-model-fuzz$'); do
  echo "== fuzzing $target for ${seconds}s"
  if ! "${fuzz[@]}" run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048; then
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets that found a crash: ${failed[*]} (inputs under $here/artifacts/)" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without a crash"
