#!/usr/bin/env bash
# Collector throughput into real Kafka (issue #5's benchmark). Starts the local Kafka, a fresh
# topic, a release `spur-collector` pinned to one core (SPAN_STORAGE_TYPE=kafka), and
# `spur-loadgen` on the other core sending batches of 100 spans of ~500 bytes as fast as the
# collector takes them, over OTLP gRPC and Jaeger gRPC in turn. For each it prints spans/s
# acknowledged, the collector's CPU per span, its peak RSS, spans refused, and whether the
# topic holds every acknowledged span (zero unexplained drops).
#
#   bash deploy/bench/collector.sh            # SECONDS_PER_RUN=20 CONCURRENCY=8
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/spur/target}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
CONCURRENCY=${CONCURRENCY:-8}
COLLECTOR_CPU=${COLLECTOR_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}

cargo build -q --release -p spur-collector -p spur-loadgen
cargo build -q --release -p spur-e2e --example kafka_topic
BIN=$CARGO_TARGET_DIR/release
bash deploy/local/services.sh up kafka >/dev/null

clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
admin=127.0.0.1:14269

for protocol in otlp jaeger; do
  topic="spur-bench-$protocol-$$"
  "$BIN/examples/kafka_topic" create "$topic" 3
  log=$(mktemp)
  SPAN_STORAGE_TYPE=kafka KAFKA_PRODUCER_TOPIC=$topic KAFKA_PRODUCER_BROKERS=127.0.0.1:9092 \
    RUST_LOG=warn \
    taskset -c "$COLLECTOR_CPU" "$BIN/spur-collector" \
    --collector.grpc-server.host-port=127.0.0.1:14250 --collector.http-server.host-port=127.0.0.1:14268 \
    --collector.otlp.grpc.host-port=127.0.0.1:4317 --collector.otlp.http.host-port=127.0.0.1:4318 \
    --collector.zipkin.host-port=127.0.0.1:9411 --admin.http.host-port=$admin >"$log" 2>&1 &
  collector=$!
  for _ in $(seq 100); do curl -sf "http://$admin/" >/dev/null && break; sleep 0.1; done
  endpoint=http://127.0.0.1:4317
  [[ $protocol == jaeger ]] && endpoint=http://127.0.0.1:14250
  before=$(cpu_ticks "$collector")
  result=$(taskset -c "$LOADGEN_CPU" "$BIN/spur-loadgen" --protocol "$protocol" --endpoint "$endpoint" \
    --rate 0 --duration "$SECONDS_PER_RUN" --batch 100 --span-bytes 500 --concurrency "$CONCURRENCY")
  after=$(cpu_ticks "$collector")
  peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$collector/status")
  refused=$(curl -sf "http://$admin/metrics" | awk '/^spur_collector_spans_refused_total/ {s += $NF} END {print s + 0}')
  kill -TERM "$collector"
  wait "$collector" || true
  stored=$("$BIN/examples/kafka_topic" count "$topic")
  python3 - "$protocol" "$result" "$before" "$after" "$clock_ticks" "$peak_kib" "$refused" "$stored" <<'PY'
import json, sys
protocol, result, before, after, ticks, peak_kib, refused, stored = sys.argv[1:]
r = json.loads(result)
cpu = (int(after) - int(before)) / int(ticks)
acked = r["acked_spans"]
print(f"{protocol:6} acked {acked} spans in {r['seconds']:.1f} s = {r['spans_per_second']:.0f} spans/s; "
      f"collector CPU {cpu:.2f} s = {cpu / max(acked, 1) * 1e6:.2f} us/span; peak RSS {int(peak_kib) / 1024:.0f} MiB; "
      f"mean span {r['mean_span_bytes']:.0f} B; refused {refused}; failed requests {r['failed_requests']}; "
      f"in topic {stored} ({'all acked spans delivered' if int(stored) >= acked else 'MISSING ' + str(acked - int(stored))})")
PY
  rm -f "$log"
done
