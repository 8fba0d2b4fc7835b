#!/usr/bin/env bash
# Pipeline benchmark (issue #13, `make bench-pipeline`): spur-loadgen drives a release
# spur-collector over OTLP gRPC into a fresh topic of the local Kafka; a release spur-ingester
# drains it into each store (STORES, default: cassandra elasticsearch opensearch) and a release
# spur-query reads it back. Per store, two phases of DURATION seconds each:
#   fixed       loadgen at RATE spans/s
#   saturation  loadgen as fast as the collector answers (--rate 0, 8 requests in flight)
# and, through both, a lag probe (deploy/bench/pipeline_probe.py) sends one trace a second over
# OTLP/HTTP and times until GET /api/traces/{id} returns it. Printed per phase: spans/s
# acknowledged by the collector, spans/s end to end (written into the store, from the phase's
# start until every acknowledged span is written), lag p50/p99, and CPU (% of one core over the
# phase and the drain, at most DRAIN_LIMIT s after the load) and peak RSS of the collector, the
# ingester and the query service.
#
#   bash deploy/bench/pipeline.sh                          # RATE=2000 DURATION=30
#   STORES=elasticsearch DURATION=10 bash deploy/bench/pipeline.sh
#
# Servers: the local Kafka, Cassandra, Elasticsearch and OpenSearch (`make services-up`; started
# here when down, left running). Data: topic spur-bench-pipeline-<pid>-<store> (deleted after its
# store's phases), Cassandra keyspace
# spur_pipeline_bench (reused by every run), index prefix spur-pipeline-bench (deleted before and
# after). Ports 25250-25699 on 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/spur/target}
RATE=${RATE:-2000}
DURATION=${DURATION:-30}
STORES=${STORES:-cassandra elasticsearch opensearch}
PARTITIONS=${PARTITIONS:-3}
# How long a phase waits, after the load, for the ingester to write every acknowledged span; the
# row then shows how many it wrote in the time.
DRAIN_LIMIT=${DRAIN_LIMIT:-120}
KEYSPACE=spur_pipeline_bench
PREFIX=spur-pipeline-bench

cargo build -q --release -p spur-collector -p spur-loadgen -p spur-ingester -p spur-query
cargo build -q --release -p spur-e2e --example kafka_topic
BIN=$CARGO_TARGET_DIR/release
# shellcheck disable=SC2086
bash deploy/local/services.sh up kafka $STORES >/dev/null
HZ=$(getconf CLK_TCK)
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT
trap "exit 130" INT
trap "exit 143" TERM

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_mib() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
written() { curl -sf http://127.0.0.1:25270/metrics | awk '/^spur_ingester_spans_written_total/ {s += $NF} END {print s + 0}'; }
wait_ready() { # url
  local _
  for _ in $(seq 600); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
  echo "not ready: $1" >&2
  return 1
}

search_url() { if [[ $1 == elasticsearch ]]; then echo http://127.0.0.1:9200; else echo http://127.0.0.1:9201; fi; }
delete_indices() { # store
  local url names
  url=$(search_url "$1")
  names=$(curl -sf "$url/_cat/indices/$PREFIX-*?h=index&expand_wildcards=all" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
  [[ -z $names ]] || curl -sf -X DELETE "$url/$names" >/dev/null
}

store_env() { # store
  case $1 in
    cassandra) echo "SPAN_STORAGE_TYPE=cassandra CASSANDRA_SERVERS=127.0.0.1 CASSANDRA_KEYSPACE=$KEYSPACE CASSANDRA_CREATE_SCHEMA=true" ;;
    elasticsearch | opensearch)
      echo "SPAN_STORAGE_TYPE=$1 ES_SERVER_URLS=$(search_url "$1") ES_INDEX_PREFIX=$PREFIX ES_NUM_SHARDS=1 ES_NUM_REPLICAS=0" ;;
    *) echo "unknown store $1" >&2; return 1 ;;
  esac
}

# phase STORE NAME RATE: one load phase with the lag probe; prints a table row.
phase() {
  local store=$1 name=$2 rate=$3 before t0 t1 summary acked target lag ticks0=() ticks1=() i pid
  local lagfile="$WORK/lag-$store-${name//[^a-z0-9]/-}.json"
  before=$(written)
  for pid in "${PIDS[@]}"; do ticks0+=("$(cpu_ticks "$pid")"); done
  python3 deploy/bench/pipeline_probe.py http://127.0.0.1:25318/v1/traces http://127.0.0.1:25686 \
    "$DURATION" >"$lagfile" &
  local probe=$!
  t0=$(date +%s.%N)
  summary=$("$BIN/spur-loadgen" --protocol otlp --endpoint http://127.0.0.1:25317 --rate "$rate" \
    --duration "$DURATION" --batch 100 --concurrency 8 --span-bytes 500)
  acked=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["acked_spans"])' "$summary")
  target=$((before + acked))
  local drain_end=$((SECONDS + DRAIN_LIMIT))
  while ((SECONDS < drain_end)); do
    [[ $(written) -ge $target ]] && break
    sleep 0.05
  done
  t1=$(date +%s.%N)
  for pid in "${PIDS[@]}"; do ticks1+=("$(cpu_ticks "$pid")"); done
  wait "$probe" || true
  lag=$(cat "$lagfile")
  local cpu=() rss=()
  for i in "${!PIDS[@]}"; do
    cpu+=("$(( (ticks1[i] - ticks0[i]) * 100 / HZ ))")
    rss+=("$(peak_mib "${PIDS[i]}")")
  done
  python3 - "$store" "$name" "$summary" "$before" "$(written)" "$acked" "$t0" "$t1" "$lag" \
    "${cpu[*]}" "${rss[*]}" <<'PY'
import json, sys
store, name, summary, before, after, acked, t0, t1, lag, cpu, rss = sys.argv[1:]
summary, lag = json.loads(summary), json.loads(lag)
seconds = float(t1) - float(t0)
cpu = [int(c) / seconds for c in cpu.split()]
rss = rss.split()
fmt = lambda v: "n/a" if v is None else f"{v:.2f}"
print(f"| {store} | {name} | {summary['spans_per_second']:.0f} | "
      f"{(float(after) - float(before)) / seconds:.0f} ({float(after) - float(before):.0f} of {acked} in {seconds:.1f} s) | "
      f"{fmt(lag['p50'])} / {fmt(lag['p99'])} ({lag['samples']} probes, {lag['missing']} missing) | "
      f"{cpu[0]:.0f}% / {cpu[1]:.0f}% / {cpu[2]:.0f}% | {rss[0]} / {rss[1]} / {rss[2]} |")
PY
}

run_store() { # store
  local store=$1 topic env
  topic="spur-bench-pipeline-$$-$store"
  "$BIN/examples/kafka_topic" create "$topic" "$PARTITIONS" >/dev/null
  [[ $store == cassandra ]] || delete_indices "$store"
  read -r -a env <<<"$(store_env "$store")"
  env SPAN_STORAGE_TYPE=kafka KAFKA_PRODUCER_TOPIC="$topic" KAFKA_PRODUCER_BROKERS=127.0.0.1:9092 RUST_LOG=warn \
    "$BIN/spur-collector" --collector.grpc-server.host-port= --collector.http-server.host-port= \
    --collector.zipkin.host-port= --collector.otlp.grpc.host-port=127.0.0.1:25317 \
    --collector.otlp.http.host-port=127.0.0.1:25318 --admin.http.host-port=127.0.0.1:25269 \
    >"$WORK/collector-$store.log" 2>&1 &
  PIDS+=($!)
  env "${env[@]}" KAFKA_CONSUMER_BROKERS=127.0.0.1:9092 KAFKA_CONSUMER_TOPIC="$topic" \
    KAFKA_CONSUMER_GROUP_ID="bench-pipeline-$$-$store" RUST_LOG=warn \
    "$BIN/spur-ingester" --admin.http.host-port=127.0.0.1:25270 >"$WORK/ingester-$store.log" 2>&1 &
  PIDS+=($!)
  wait_ready http://127.0.0.1:25270/ready
  env "${env[@]}" RUST_LOG=warn "$BIN/spur-query" --query.http-server.host-port=127.0.0.1:25686 \
    --query.grpc-server.host-port= --admin.http.host-port=127.0.0.1:25687 >"$WORK/query-$store.log" 2>&1 &
  PIDS+=($!)
  wait_ready http://127.0.0.1:25269/ready
  wait_ready http://127.0.0.1:25687/ready
  phase "$store" "fixed $RATE/s" "$RATE"
  phase "$store" saturation 0
  cleanup
  [[ $store == cassandra ]] || delete_indices "$store"
  "$BIN/examples/kafka_topic" delete "$topic" >/dev/null
}

WORK=$(mktemp -d)
echo "pipeline benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), RATE=$RATE DURATION=${DURATION}s, logs in $WORK"
echo
echo "| store | phase | sent spans/s (acked) | into the store, spans/s | lag p50 / p99 (s) | CPU collector / ingester / query | peak RSS MiB collector / ingester / query |"
echo "|---|---|---|---|---|---|---|"
for store in $STORES; do run_store "$store"; done
