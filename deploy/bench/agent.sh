#!/usr/bin/env bash
# Agent intake benchmark (issue #7): a release `spur-agent` pinned to one core takes thrift
# compact datagrams of ~10 spans from a paced sender on loopback and forwards them to a release
# `spur-collector` (memory store) on the other core. For each rate it prints the datagrams the
# agent decoded, the kernel's UDP receive-buffer drops (/proc/net/snmp RcvbufErrors, whole
# machine, before/after), the agent's CPU per second and per datagram, its peak RSS, and what
# the reporter delivered or dropped (by reason).
#
#   bash deploy/bench/agent.sh              # RATES="25000 50000 75000" SECONDS_PER_RUN=10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/spur/target}
RATES=${RATES:-"25000 50000 75000"}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
AGENT_CPU=${AGENT_CPU:-0}
OTHER_CPU=${OTHER_CPU:-1}
BUFFER=${BUFFER:-8388608}

cargo build -q --release -p spur-collector -p spur-agent --bins --example udp_blast
BIN=$CARGO_TARGET_DIR/release
clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rcvbuf_errors() { awk '/^Udp:/ && ++n == 2 {print $6}' /proc/net/snmp; }
metric() { curl -sf "http://127.0.0.1:24271/metrics" | awk -v m="$1" 'index($0, m) == 1 {s += $NF} END {print s + 0}'; }
# The kernel caps SO_RCVBUF at net.core.rmem_max; raise it when allowed (root), as an operator would.
sysctl -qw net.core.rmem_max="$BUFFER" 2>/dev/null || true

SPAN_STORAGE_TYPE=memory MEMORY_MAX_TRACES=10000 RUST_LOG=warn taskset -c "$OTHER_CPU" "$BIN/spur-collector" \
  --collector.grpc-server.host-port=127.0.0.1:24250 --collector.http-server.host-port= \
  --collector.zipkin.host-port= --collector.otlp.enabled=false --admin.http.host-port=127.0.0.1:24269 \
  --collector.queue-size=200000 >/dev/null 2>&1 &
collector=$!
trap 'kill $collector 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:24269/ >/dev/null && break; sleep 0.1; done

for rate in $RATES; do
  RUST_LOG=warn taskset -c "$AGENT_CPU" "$BIN/spur-agent" --reporter.grpc.host-port=127.0.0.1:24250 \
    --processor.jaeger-compact.server-host-port=127.0.0.1:26831 --processor.jaeger-binary.server-host-port= \
    --processor.jaeger-compact.server-socket-buffer-size="$BUFFER" \
    --http-server.host-port= --admin.http.host-port=127.0.0.1:24271 >/dev/null 2>&1 &
  agent=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:24271/ready >/dev/null && break; sleep 0.1; done
  drops_before=$(rcvbuf_errors)
  before=$(cpu_ticks "$agent")
  started=$(date +%s.%N)
  result=$(taskset -c "$OTHER_CPU" "$BIN/examples/udp_blast" 127.0.0.1:26831 "$rate" "$SECONDS_PER_RUN" 10)
  sleep 1
  after=$(cpu_ticks "$agent")
  window=$(python3 -c "import sys; print(float(sys.argv[1]) - float(sys.argv[2]))" "$(date +%s.%N)" "$started")
  drops_after=$(rcvbuf_errors)
  peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
  decoded=$(metric 'jaeger_agent_thrift_udp_server_packets_processed_total')
  queue_dropped=$(metric 'jaeger_agent_thrift_udp_server_packets_dropped_total')
  submitted=$(metric 'jaeger_agent_reporter_spans_submitted_total')
  span_drops=$(metric 'spur_agent_spans_dropped_total')
  kill -TERM "$agent"; wait "$agent" || true
  python3 - "$rate" "$result" "$before" "$after" "$clock_ticks" "$peak_kib" "$decoded" "$queue_dropped" \
    "$((drops_after - drops_before))" "$submitted" "$span_drops" "$window" <<'PY'
import json, sys
rate, result, before, after, ticks, peak, decoded, qdrop, kdrop, submitted, span_drops, window = sys.argv[1:]
r = json.loads(result)
cpu = (int(after) - int(before)) / int(ticks)
decoded = float(decoded)
print(f"rate {int(rate):>6}/s: sent {r['sent']} datagrams ({r['datagrams_per_second']:.0f}/s, {r['mean_datagram_bytes']:.0f} B, "
      f"{r['spans_per_datagram']} spans); agent decoded {decoded:.0f} ({decoded / r['seconds']:.0f}/s); "
      f"kernel drops {kdrop}; decode-queue drops {float(qdrop):.0f}; agent CPU {cpu / float(window):.2f} cores = "
      f"{cpu / max(decoded, 1) * 1e6:.1f} us/datagram; peak RSS {int(peak) / 1024:.1f} MiB; "
      f"spans forwarded {float(submitted):.0f}, dropped {float(span_drops):.0f}")
PY
done
