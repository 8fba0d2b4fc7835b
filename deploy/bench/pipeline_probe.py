"""Lag probe of the pipeline benchmark (deploy/bench/pipeline.sh): the time from sending a trace
to the collector until the query service returns it.

Every INTERVAL seconds for DURATION seconds it sends one small trace with a fresh id (OTLP/JSON,
`POST /v1/traces` on the collector's OTLP/HTTP port), then polls `GET /api/traces/{id}` on the
query service every 20 ms until the trace is found (at most 60 s; a trace not found by then is
counted as missing). Prints one JSON line: samples, missing, p50, p99 and max in seconds.
Standard library only.

usage: pipeline_probe.py OTLP_HTTP_URL QUERY_URL DURATION [INTERVAL]
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

POLL = 0.02
GIVE_UP = 60.0


def trace_body(trace_id, span_id):
    now = time.time_ns()
    return json.dumps({
        "resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "bench-lag-probe"}}]},
            "scopeSpans": [{"spans": [{
                "traceId": trace_id, "spanId": span_id, "name": "probe", "kind": 2,
                "startTimeUnixNano": str(now - 1_000_000), "endTimeUnixNano": str(now),
            }]}],
        }]
    }).encode()


def found(query, trace_id):
    try:
        with urllib.request.urlopen(f"{query}/api/traces/{trace_id}", timeout=5) as response:
            return response.status == 200 and json.load(response)["data"]
    except (urllib.error.URLError, ValueError, KeyError):
        return False


def probe(otlp, query, lags, missing, lock):
    trace_id, span_id = os.urandom(16).hex(), os.urandom(8).hex()
    request = urllib.request.Request(otlp, data=trace_body(trace_id, span_id),
                                     headers={"Content-Type": "application/json"})
    sent = time.monotonic()
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except urllib.error.URLError:
        with lock:
            missing.append(trace_id)
        return
    while time.monotonic() - sent < GIVE_UP:
        if found(query, trace_id):
            with lock:
                lags.append(time.monotonic() - sent)
            return
        time.sleep(POLL)
    with lock:
        missing.append(trace_id)


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    otlp, query, duration = sys.argv[1], sys.argv[2].rstrip("/"), float(sys.argv[3])
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    lags, missing, lock, threads = [], [], threading.Lock(), []
    end = time.monotonic() + duration
    while time.monotonic() < end:
        thread = threading.Thread(target=probe, args=(otlp, query, lags, missing, lock))
        thread.start()
        threads.append(thread)
        time.sleep(interval)
    for thread in threads:
        thread.join(GIVE_UP + 15)
    print(json.dumps({
        "samples": len(lags), "missing": len(missing),
        "p50": percentile(lags, 50), "p99": percentile(lags, 99),
        "max": max(lags) if lags else None,
    }))


if __name__ == "__main__":
    main()
