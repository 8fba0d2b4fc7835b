#!/usr/bin/env bash
# The distributed pipeline on this machine, for a newcomer to watch (`make demo`):
#
#   spur-loadgen --OTLP gRPC--> spur-collector --> Kafka (topic spur-demo) --> spur-ingester
#     --> Cassandra (keyspace spur_demo) <-- spur-query (API + web UI)      spur-agent (UDP) --^
#
# Starts the local Kafka and Cassandra (deploy/local, left as they were found: stopped at the end
# only when this script started them), release builds of the collector, agent, ingester and
# query on Jaeger's default ports, and spur-loadgen sending a small shop's traces (8 services:
# frontend, checkout, cart, payment, ...) at DEMO_RATE spans/s (default 50). Prints the URLs;
# Ctrl-C stops everything it started. Logs under deploy/local/.data/demo (SPUR_DATA/demo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/spur/target}
RATE=${DEMO_RATE:-50}
DATA=${SPUR_DATA:-$PWD/deploy/local/.data}
LOGS=$DATA/demo
TOPIC=spur-demo
KEYSPACE=spur_demo
mkdir -p "$LOGS"

log() { printf '[demo] %s\n' "$*" >&2; }

# Jaeger's default ports must be free (another all-in-one or demo would hold them).
for port in 4317 4318 9411 14250 14268 14269 14270 14271 16685 16686 16687 5778; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port is in use: stop what holds it (make run? another demo?) first"
    exit 1
  fi
done

log "building the release binaries (the first time takes a few minutes)"
cargo build -q --release -p spur-collector -p spur-agent -p spur-ingester -p spur-query -p spur-loadgen
BIN=$CARGO_TARGET_DIR/release

STARTED_SERVERS=()
for server in kafka cassandra; do
  if ! bash deploy/local/services.sh status "$server" >/dev/null 2>&1; then
    STARTED_SERVERS+=("$server")
  fi
done
PIDS=()
stop() {
  trap - EXIT INT TERM
  log "stopping"
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((${#STARTED_SERVERS[@]})); then
    bash deploy/local/services.sh down "${STARTED_SERVERS[@]}"
  fi
  log "stopped"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting Kafka and Cassandra (deploy/local/services.sh)"
SPUR_KAFKA_TOPICS=$TOPIC bash deploy/local/services.sh up kafka cassandra

wait_ready() { # name url
  local _
  for _ in $(seq 1200); do curl -sf "$2" >/dev/null && return 0; sleep 0.1; done
  log "$1 did not become ready: see $LOGS/$1.log"
  exit 1
}
run() { # name binary env... -- args...
  local name=$1 binary=$2
  shift 2
  local env=()
  while (($#)) && [[ $1 != -- ]]; do env+=("$1"); shift; done
  shift || true
  env "${env[@]}" RUST_LOG=info "$BIN/$binary" "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=($!)
}

STORE=(SPAN_STORAGE_TYPE=cassandra CASSANDRA_SERVERS=127.0.0.1 CASSANDRA_KEYSPACE=$KEYSPACE)
run ingester spur-ingester "${STORE[@]}" CASSANDRA_CREATE_SCHEMA=true KAFKA_CONSUMER_TOPIC=$TOPIC \
  KAFKA_CONSUMER_GROUP_ID=spur-demo -- --admin.http.host-port=127.0.0.1:14270
wait_ready ingester http://127.0.0.1:14270/ready
run query spur-query "${STORE[@]}"
run collector spur-collector SPAN_STORAGE_TYPE=kafka KAFKA_PRODUCER_TOPIC=$TOPIC
wait_ready collector http://127.0.0.1:14269/ready
run agent spur-agent -- --reporter.grpc.host-port=127.0.0.1:14250
wait_ready query http://127.0.0.1:16687/ready
wait_ready agent http://127.0.0.1:14271/ready
run loadgen spur-loadgen -- --protocol otlp --endpoint http://127.0.0.1:4317 --rate "$RATE" \
  --duration 31536000 --services 8 --batch 10 --concurrency 1 --seed "$RANDOM"

cat <<EOF

Spur's pipeline is running (loadgen -> collector -> Kafka -> ingester -> Cassandra -> query).

  Web UI, search          http://localhost:16686/search?service=frontend
  Service dependencies    http://localhost:16686/dependencies   (links appear within ~10 s)
  Query HTTP API          http://localhost:16686/api/services
  Metrics                 http://localhost:14269/metrics (collector)   http://localhost:14270/metrics (ingester)
                          http://localhost:16687/metrics (query)       http://localhost:14271/metrics (agent)
  Send your own           OTLP 4317 (gRPC) / 4318 (HTTP), Zipkin 9411, Jaeger 14250 / 14268,
                          agent UDP 6831 (compact) / 6832 (binary)
  Logs                    $LOGS

Load: about $RATE spans/s from spur-loadgen over OTLP gRPC. Ctrl-C stops everything.
EOF

# Until Ctrl-C, or until one of the processes dies.
while true; do
  for pid in "${PIDS[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "a process exited (pid $pid): see the logs in $LOGS"
      exit 1
    fi
  done
  sleep 2
done
