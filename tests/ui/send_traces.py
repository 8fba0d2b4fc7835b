"""Send the browser tests' traces to a running all-in-one with the Python OpenTelemetry SDK.

The SDK's own OTLP/HTTP exporter (protobuf ``POST /v1/traces``) does the sending, one
``TracerProvider`` per service so each span carries its service's resource:

- ``checkout`` traces: ``web-frontend`` ``GET /checkout`` calls ``cart-service`` (which calls
  ``redis``) and ``payment-service``; one of them fails in ``payment-service`` (status ERROR,
  an ``exception`` event);
- ``compare_a`` / ``compare_b``: the same request, B also calling ``fraud-check`` and slower in
  ``cart-service``, for the compare page;
- ``skewed``: ``mobile-app`` ``sync`` whose ``sync-api`` child starts before it (the child's
  host clock is behind), so the query's clock-skew adjuster adds a warning;
- ``big``: one ``bulk-loader`` trace of exactly ``--big-spans`` spans (a root, batches, items in
  ``bulk-storage``), for the 10,000-span timeline.

Times are set explicitly (ending a few seconds before now) so durations are known. Prints one
JSON document ``{"traces": {name: trace id hex}, "spans": total}`` and exits 0 when the
exporter reported SUCCESS for every batch, non-zero otherwise.

Usage: python send_traces.py --endpoint http://127.0.0.1:4318/v1/traces [--big-spans 10000]
Environment: the SDK venv of tests/clients/live/install.sh (otel-python).
"""

import argparse
import json
import sys
import threading
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind
from opentelemetry.trace.status import Status, StatusCode

MS = 1_000_000  # nanoseconds


class Outcome:
    """What every exporter reported, added up."""

    def __init__(self):
        self.lock = threading.Lock()
        self.failures = 0
        self.exported = 0


class CheckingExporter(SpanExporter):
    """Delegates to the real exporter and counts what succeeded in a shared Outcome."""

    def __init__(self, inner, outcome):
        self.inner = inner
        self.outcome = outcome

    def export(self, spans):
        result = self.inner.export(spans)
        with self.outcome.lock:
            if result == SpanExportResult.SUCCESS:
                self.outcome.exported += len(spans)
            else:
                self.outcome.failures += 1
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


class Services:
    """One tracer (and exporter) per service name, their results added up in one Outcome."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.outcome = Outcome()
        self.providers = {}

    def tracer(self, service):
        if service not in self.providers:
            resource = Resource.create({"service.name": service, "host.name": f"{service}-1"})
            provider = TracerProvider(resource=resource)
            provider.add_span_processor(
                BatchSpanProcessor(
                    CheckingExporter(
                        OTLPSpanExporter(endpoint=self.endpoint, timeout=30), self.outcome
                    ),
                    max_queue_size=50_000,
                    max_export_batch_size=1000,
                    schedule_delay_millis=200,
                )
            )
            self.providers[service] = provider
        return self.providers[service].get_tracer("spur.ui.e2e", "1.0.0")

    def finish(self):
        ok = all(p.force_flush(timeout_millis=60_000) for p in self.providers.values())
        for provider in self.providers.values():
            provider.shutdown()
        return ok and self.outcome.failures == 0


def span(services, service, name, start, duration, parent=None, kind=SpanKind.INTERNAL,
         attributes=None, events=(), error=None):
    """Starts and ends one span at explicit times (ns); returns it."""
    tracer = services.tracer(service)
    context = trace.set_span_in_context(parent) if parent is not None else None
    current = tracer.start_span(name, context=context, kind=kind, attributes=attributes or {},
                                start_time=start)
    for event_name, offset, event_attributes in events:
        current.add_event(event_name, event_attributes, timestamp=start + offset)
    if error:
        current.set_status(Status(StatusCode.ERROR, error))
    current.end(end_time=start + duration)
    return current


def checkout(services, start, fail=False, fraud=False, slow_cart=False):
    """web-frontend → cart-service → redis, web-frontend → payment-service (→ fraud-check)."""
    cart_ms = 40 if slow_cart else 12
    total_ms = 20 + cart_ms + 30 + (15 if fraud else 0)
    root = span(services, "web-frontend", "GET /checkout", start, total_ms * MS,
                kind=SpanKind.SERVER,
                attributes={"http.method": "GET", "http.route": "/checkout",
                            "http.status_code": 500 if fail else 200},
                events=[("request received", 1 * MS, {"user.id": "u-42"})],
                error="payment failed" if fail else None)
    client = span(services, "web-frontend", "HTTP GET cart", start + 2 * MS, (cart_ms + 2) * MS,
                  parent=root, kind=SpanKind.CLIENT, attributes={"peer.service": "cart-service"})
    cart = span(services, "cart-service", "GET /cart", start + 3 * MS, cart_ms * MS,
                parent=client, kind=SpanKind.SERVER, attributes={"cart.items": 3})
    span(services, "redis", "HGETALL", start + 4 * MS, (cart_ms - 4) * MS, parent=cart,
         kind=SpanKind.SERVER, attributes={"db.system": "redis"})
    pay_start = start + (6 + cart_ms) * MS
    pay_client = span(services, "web-frontend", "HTTP POST charge", pay_start,
                      (28 + (15 if fraud else 0)) * MS, parent=root, kind=SpanKind.CLIENT)
    pay = span(services, "payment-service", "POST /charge", pay_start + 1 * MS,
               (26 + (15 if fraud else 0)) * MS, parent=pay_client, kind=SpanKind.SERVER,
               attributes={"payment.amount": 19.99},
               events=[("exception", 20 * MS, {"exception.type": "CardDeclined",
                                               "exception.message": "card declined"})]
               if fail else [],
               error="card declined" if fail else None)
    if fraud:
        span(services, "fraud-check", "score", pay_start + 3 * MS, 14 * MS, parent=pay,
             kind=SpanKind.SERVER, attributes={"fraud.score": 0.12})
    return "%032x" % root.get_span_context().trace_id


def skewed(services, start):
    """A child on another host that starts 30 ms before its parent: a clock-skew warning."""
    root = span(services, "mobile-app", "sync", start, 100 * MS, kind=SpanKind.CLIENT)
    span(services, "sync-api", "POST /sync", start - 30 * MS, 20 * MS, parent=root,
         kind=SpanKind.SERVER)
    return "%032x" % root.get_span_context().trace_id


def big(services, start, total):
    """A bulk-loader trace of exactly `total` spans: a root, batches of up to 100 items."""
    per_batch = 100
    batches = max((total - 1 + per_batch) // (per_batch + 1), 1)
    items = total - 1 - batches
    root = span(services, "bulk-loader", "load everything", start, (batches * 10 + 5) * MS,
                kind=SpanKind.SERVER, attributes={"batches": batches})
    made = 1
    for b in range(batches):
        count = min(per_batch, items - b * per_batch)
        batch_start = start + (b * 10 + 1) * MS
        batch = span(services, "bulk-loader", f"batch {b}", batch_start, 9 * MS, parent=root,
                     attributes={"batch.index": b, "batch.size": count})
        made += 1
        for i in range(count):
            item_start = batch_start + (i * 80_000)
            span(services, "bulk-storage", "write item", item_start, 70_000, parent=batch,
                 kind=SpanKind.SERVER, attributes={"item.index": i},
                 error="disk full" if (b == batches - 1 and i == count - 1) else None)
            made += 1
    assert made == total, (made, total)
    return "%032x" % root.get_span_context().trace_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--big-spans", type=int, default=10_000)
    args = parser.parse_args()

    services = Services(args.endpoint)
    now = time.time_ns()
    traces = {}
    for i in range(4):
        traces[f"checkout_{i}"] = checkout(services, now - (60 - i * 5) * 1000 * MS)
    traces["checkout_error"] = checkout(services, now - 30_000 * MS, fail=True)
    traces["compare_a"] = checkout(services, now - 20_000 * MS)
    traces["compare_b"] = checkout(services, now - 15_000 * MS, fraud=True, slow_cart=True)
    traces["skewed"] = skewed(services, now - 12_000 * MS)
    traces["big"] = big(services, now - 10_000 * MS, args.big_spans)
    ok = services.finish()
    print(json.dumps({"traces": traces, "spans": services.outcome.exported}))
    if not ok:
        print(f"export failed ({services.outcome.failures} failed calls)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
