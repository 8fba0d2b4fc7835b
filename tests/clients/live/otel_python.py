"""Send one known trace to a running collector with the Python OpenTelemetry SDK.

The SDK's own OTLP exporter does the sending: ``opentelemetry-exporter-otlp-proto-grpc``
(``--protocol grpc``, port 4317, ``TraceService/Export``) or
``opentelemetry-exporter-otlp-proto-http`` (``--protocol http``, port 4318, protobuf
``POST /v1/traces``). The trace is a root and two children; see ``emit``.

On success it prints to stdout one JSON document describing the spans as the SDK's own
``ReadableSpan`` objects report them (ids, names, parents, exact nanosecond times,
attributes, events, links, status, scope) and the resource, and exits 0. It exits non-zero
when the exporter did not report SUCCESS for every span. Diagnostics go to stderr.

It owns sending and describing; comparing with what the collector stored is the Rust test's
job (tests/tests/collector_clients.rs). Environment: tests/clients/live/install.sh.

Usage: python otel_python.py --protocol grpc|http --endpoint ENDPOINT --service NAME
                             [--compression gzip|none]
  ENDPOINT: ``127.0.0.1:4317`` for grpc, ``http://127.0.0.1:4318/v1/traces`` for http.
"""

import argparse
import json
import sys
import threading
import time
from importlib.metadata import version as dist_version

import grpc
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcExporter,
)
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpExporter,
)
from opentelemetry.sdk import version as sdk_version
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.status import Status, StatusCode

SCOPE_NAME = "spur.live.sender"
SCOPE_VERSION = "1.0.0"
# Every wait below is bounded; the Rust test also runs this program under a timeout.
EXPORT_TIMEOUT_S = 10
FLUSH_TIMEOUT_MS = 15000

KIND_NAMES = {
    SpanKind.INTERNAL: "internal",
    SpanKind.SERVER: "server",
    SpanKind.CLIENT: "client",
    SpanKind.PRODUCER: "producer",
    SpanKind.CONSUMER: "consumer",
}
STATUS_NAMES = {
    StatusCode.UNSET: "unset",
    StatusCode.OK: "ok",
    StatusCode.ERROR: "error",
}

ROOT_ATTRS = {
    "str.tag": "hello",
    "bool.tag": True,
    "int.tag": 42,
    "float.tag": 3.5,
    "bytes.tag": b"\x01\x02\xfe\xff",
    "array.tag": ["a", "b"],
}


class RecordingExporter(SpanExporter):
    """Delegates to the real exporter and keeps what it was given and what it answered."""

    def __init__(self, inner):
        self.inner = inner
        self.lock = threading.Lock()
        self.spans = []
        self.results = []

    def export(self, spans):
        result = self.inner.export(spans)
        with self.lock:
            self.spans.extend(spans)
            self.results.append((len(spans), result))
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


def make_exporter(protocol, endpoint, compression):
    if protocol == "grpc":
        return GrpcExporter(
            endpoint=endpoint,
            insecure=True,
            compression=(
                grpc.Compression.Gzip if compression == "gzip" else grpc.Compression.NoCompression
            ),
            timeout=EXPORT_TIMEOUT_S,
        )
    return HttpExporter(
        endpoint=endpoint,
        compression=(
            HttpCompression.Gzip if compression == "gzip" else HttpCompression.NoCompression
        ),
        timeout=EXPORT_TIMEOUT_S,
    )


def emit(exporter, service):
    """The known trace: ``root-op`` (server, typed attributes, status unset) with children
    ``child-op`` (client, one event, status ERROR) and ``second-child-op`` (producer, status
    OK, a link to ``child-op``). All three go out in one export call."""
    resource = Resource.create({"service.name": service, "deployment.environment": "test"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_export_batch_size=512, schedule_delay_millis=60000)
    )
    tracer = provider.get_tracer(SCOPE_NAME, SCOPE_VERSION)

    root = tracer.start_span("root-op", kind=SpanKind.SERVER, attributes=ROOT_ATTRS)
    ctx = trace.set_span_in_context(root)
    child = tracer.start_span("child-op", context=ctx, kind=SpanKind.CLIENT)
    time.sleep(0.002)
    child.add_event("something happened", {"event.count": 3})
    child.set_status(Status(StatusCode.ERROR, "child failed on purpose"))
    time.sleep(0.002)
    child.end()
    second = tracer.start_span(
        "second-child-op",
        context=ctx,
        kind=SpanKind.PRODUCER,
        attributes={"child.index": 2, "messaging.destination": "queue-a"},
        links=[Link(child.get_span_context(), {"link.kind": "sibling"})],
    )
    time.sleep(0.001)
    second.set_status(Status(StatusCode.OK))
    second.end()
    time.sleep(0.001)
    root.end()

    flushed = provider.force_flush(timeout_millis=FLUSH_TIMEOUT_MS)
    provider.shutdown()
    return flushed, provider.resource


def typed(value):
    """An attribute value as ``{"type", "value"}``; binary as hex, arrays as typed lists."""
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int64", "value": value}
    if isinstance(value, float):
        return {"type": "float64", "value": value}
    if isinstance(value, bytes):
        return {"type": "binary", "value": value.hex()}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (tuple, list)):
        return {"type": "array", "value": [typed(item) for item in value]}
    raise TypeError(type(value))


def typed_map(attributes):
    # Insertion order is kept: the translator writes tags in attribute order.
    return {key: typed(value) for key, value in (attributes or {}).items()}


def describe_span(span):
    ctx = span.get_span_context()
    parent = span.parent
    return {
        "trace_id_hex": "%032x" % ctx.trace_id,
        "span_id_hex": "%016x" % ctx.span_id,
        "parent_span_id_hex": "%016x" % parent.span_id if parent else None,
        "name": span.name,
        "kind": KIND_NAMES[span.kind],
        "start_time_unix_nano": span.start_time,
        "end_time_unix_nano": span.end_time,
        "attributes": typed_map(span.attributes),
        "events": [
            {
                "name": event.name,
                "time_unix_nano": event.timestamp,
                "attributes": typed_map(event.attributes),
            }
            for event in span.events
        ],
        "links": [
            {
                "trace_id_hex": "%032x" % link.context.trace_id,
                "span_id_hex": "%016x" % link.context.span_id,
                "attributes": typed_map(link.attributes),
            }
            for link in span.links
        ],
        "status": {
            "code": STATUS_NAMES[span.status.status_code],
            "message": span.status.description or "",
        },
        "trace_state": str(ctx.trace_state.to_header()) if ctx.trace_state else "",
        "scope": {
            "name": span.instrumentation_scope.name,
            "version": span.instrumentation_scope.version or "",
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--protocol", choices=["grpc", "http"], required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--compression", choices=["gzip", "none"], default="none")
    args = parser.parse_args()

    exporter = RecordingExporter(make_exporter(args.protocol, args.endpoint, args.compression))
    flushed, resource = emit(exporter, args.service)
    if not flushed:
        print("force_flush did not finish within %d ms" % FLUSH_TIMEOUT_MS, file=sys.stderr)
        return 1
    failed = [(n, r.name) for n, r in exporter.results if r != SpanExportResult.SUCCESS]
    exported = sum(n for n, _ in exporter.results)
    if failed or exported != 3:
        print(
            "export did not succeed: results %s, %d of 3 spans exported"
            % ([(n, r.name) for n, r in exporter.results], exported),
            file=sys.stderr,
        )
        return 1

    dist = "opentelemetry-exporter-otlp-proto-" + args.protocol
    doc = {
        "sender": "otel-python-" + args.protocol,
        "library": {
            "name": dist,
            "version": dist_version(dist),
            "sdk_version": sdk_version.__version__,
        },
        "transport": {"protocol": args.protocol, "compression": args.compression},
        "export_calls": len(exporter.results),
        "service_name": args.service,
        "resource": typed_map(resource.attributes),
        "spans": [describe_span(span) for span in exporter.spans],
    }
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
