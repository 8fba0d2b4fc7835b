#!/usr/bin/env bash
# Ingester drain benchmark (issue #8): fills a fresh topic of the local Kafka with SPANS spans
# (spur-collector writing to Kafka, fed by spur-loadgen over Jaeger gRPC, batches of 100 spans
# of ~500 B from 10 services), then times a release `spur-ingester` draining it into a fresh
# embedded store, pinned to one core, until every span is written. Prints spans/s (over the whole run, and from the first span written), the
# ingester's CPU per span and its peak RSS; beside it, the store's own bulk-write rate on the
# same spans (no Kafka, same core) and the ingester draining into the in-memory store (its own
# cost without the store's).
#
#   bash deploy/bench/ingester.sh            # SPANS=500000 PARTITIONS=3
#   TOPIC=spur-bench-ingest-123 bash deploy/bench/ingester.sh   # drain a topic filled before, again
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/spur/target}
SPANS=${SPANS:-500000}
PARTITIONS=${PARTITIONS:-3}
INGESTER_CPU=${INGESTER_CPU:-0}

cargo build -q --release -p spur-collector -p spur-loadgen -p spur-ingester
cargo build -q --release -p spur-e2e --example kafka_topic
cargo build -q --release -p spur-ingester --example store_rate
BIN=$CARGO_TARGET_DIR/release
bash deploy/local/services.sh up kafka >/dev/null
clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
written() { curl -sf http://127.0.0.1:24270/metrics | awk '/^spur_ingester_spans_written_total/ {s += $NF} END {print s + 0}'; }

topic=${TOPIC:-}
if [[ -n $topic ]]; then
  SPANS=$("$BIN/examples/kafka_topic" count "$topic")
  echo "draining $topic again: $SPANS messages"
else
  topic="spur-bench-ingest-$$"
  "$BIN/examples/kafka_topic" create "$topic" "$PARTITIONS"
  SPAN_STORAGE_TYPE=kafka KAFKA_PRODUCER_TOPIC=$topic KAFKA_PRODUCER_BROKERS=127.0.0.1:9092 RUST_LOG=warn \
    "$BIN/spur-collector" --collector.grpc-server.host-port=127.0.0.1:24250 --collector.http-server.host-port= \
    --collector.zipkin.host-port= --collector.otlp.enabled=false --admin.http.host-port=127.0.0.1:24269 >/dev/null 2>&1 &
  collector=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:24269/ >/dev/null && break; sleep 0.1; done
  "$BIN/spur-loadgen" --protocol jaeger --endpoint http://127.0.0.1:24250 --spans "$SPANS" --batch 100 \
    --span-bytes 500 --concurrency 8 >/dev/null
  kill -TERM "$collector"; wait "$collector" || true
  echo "topic $topic holds $("$BIN/examples/kafka_topic" count "$topic") messages"
fi

# drain NAME ENV...: a release spur-ingester pinned to INGESTER_CPU drains the topic (a fresh
# consumer group) into the storage ENV names, timed until every span is written; prints a line.
drain() {
  local name=$1 data started ended ticks peak_kib done_spans ingester
  shift
  data=$(mktemp -d)
  started=$(date +%s.%N)
  env "$@" BADGER_DIRECTORY_VALUE="$data" KAFKA_CONSUMER_BROKERS=127.0.0.1:9092 \
    KAFKA_CONSUMER_TOPIC="$topic" KAFKA_CONSUMER_GROUP_ID="bench-$$-$name" RUST_LOG=warn \
    taskset -c "$INGESTER_CPU" "$BIN/spur-ingester" --admin.http.host-port=127.0.0.1:24270 >/dev/null 2>&1 &
  ingester=$!
  local first="" count
  for _ in $(seq 6000); do
    count=$(written) || count=0
    [[ -z $first && $count -gt 0 ]] && first=$(date +%s.%N)
    [[ $count -ge $SPANS ]] && break
    sleep 0.05
  done
  ended=$(date +%s.%N)
  ticks=$(cpu_ticks "$ingester")
  peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$ingester/status")
  done_spans=$(written)
  kill -TERM "$ingester"
  wait "$ingester" || true
  rm -rf "$data"
  python3 - "$name" "$SPANS" "$done_spans" "$started" "${first:-$started}" "$ended" "$ticks" "$clock_ticks" "$peak_kib" <<'PY'
import sys
name, spans, done, start, first, end, ticks, hz, peak = sys.argv[1:]
seconds = float(end) - float(start)
draining = float(end) - float(first)
cpu = int(ticks) / int(hz)
print(f"ingester into {name}: drained {float(done):.0f} of {spans} spans in {seconds:.1f} s = {float(done) / seconds:.0f} spans/s "
      f"({float(done) / max(draining, 1e-9):.0f} spans/s from the first span written, after {float(first) - float(start):.1f} s "
      f"of start-up and group join); CPU {cpu:.1f} s = {cpu / max(float(done), 1) * 1e6:.2f} us/span; peak RSS {int(peak) / 1024:.0f} MiB")
PY
}

# The store's own bulk-write rate on the same spans (decoded beforehand, no Kafka), same core.
echo "embedded store alone: $(taskset -c "$INGESTER_CPU" "$BIN/examples/store_rate" "$topic")"
# The ingester into the embedded store (its indexing and compaction on the same core).
drain embedded SPAN_STORAGE_TYPE=embedded
# The ingester's own cost: Kafka, decoding, batching, offsets, into an in-memory store kept
# small (10,000 traces, oldest evicted) so its growth does not count.
drain memory SPAN_STORAGE_TYPE=memory MEMORY_MAX_TRACES=10000
