"""Send one known trace to a running collector's Zipkin port with ``py_zipkin``.

py_zipkin builds and encodes the spans (``Encoding.V2_JSON``: a Zipkin v2 JSON array); the
transport handler here only POSTs py_zipkin's bytes to ``/api/v2/spans`` with
``Content-Type: application/json`` (what py_zipkin's own ``SimpleHTTPTransport`` does) and
records the HTTP status, so a refused request fails this program instead of vanishing in a
logging handler. The trace is a root and two children; see ``emit``.

On success it prints to stdout one JSON document describing the spans as py_zipkin's own
span objects report them (captured in ``ZipkinBatchSender.add_span`` just before encoding;
the values are never read back from the bytes sent) and exits 0. It exits non-zero unless
every POST was answered 202 and all three spans were sent.

Usage: python py_zipkin_sender.py --endpoint http://127.0.0.1:9411 --service NAME
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import version as dist_version

from py_zipkin import Encoding, Kind, logging_helper
from py_zipkin.transport import BaseTransportHandler
from py_zipkin.zipkin import zipkin_span

LOCAL_HOST, LOCAL_PORT = "127.0.0.1", 8080
# 192.0.2.0/24 is TEST-NET-1 (documentation only): it is just data here.
REMOTE_SERVICE, REMOTE_HOST, REMOTE_PORT = "spur-live-remote-db", "192.0.2.10", 5432
POST_TIMEOUT_S = 10

# Zipkin tags are strings: the string forms of the typed tags the other senders use.
ROOT_TAGS = {"str.tag": "hello", "bool.tag": "true", "int.tag": "42", "float.tag": "3.5"}

# py_zipkin's JSON encoders compute microseconds as int(seconds * 1000000).
def micros(seconds):
    return int(seconds * 1000000)


# --- the library's own span objects, recorded just before it encodes them ---------------
_recorded = []
_original_add_span = logging_helper.ZipkinBatchSender.add_span


def _recording_add_span(self, internal_span):
    _recorded.append(internal_span)
    return _original_add_span(self, internal_span)


logging_helper.ZipkinBatchSender.add_span = _recording_add_span


class PostingTransport(BaseTransportHandler):
    """POSTs each encoded batch to ``<base>/api/v2/spans`` and keeps every answer."""

    def __init__(self, base_url):
        super().__init__()
        self.url = base_url.rstrip("/") + "/api/v2/spans"
        self.answers = []

    def get_max_payload_bytes(self):
        return None

    def send(self, payload):
        body = payload.encode("utf-8") if isinstance(payload, str) else payload
        request = urllib.request.Request(
            self.url, body, {"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=POST_TIMEOUT_S) as response:
                self.answers.append((response.status, response.read().decode("utf-8", "replace")))
        except urllib.error.HTTPError as error:
            self.answers.append((error.code, error.read().decode("utf-8", "replace")))
        except OSError as error:
            self.answers.append((None, str(error)))


def emit(transport, service):
    """The known trace: ``root-op`` (SERVER, string tags) with children ``child-op`` (CLIENT,
    a remote endpoint, one annotation, an ``error`` tag) and ``second-child-op`` (PRODUCER,
    one tag). 128-bit trace id; one POST for the three spans."""
    with zipkin_span(
        service_name=service,
        span_name="root-op",
        transport_handler=transport,
        sample_rate=100.0,
        encoding=Encoding.V2_JSON,
        kind=Kind.SERVER,
        host=LOCAL_HOST,
        port=LOCAL_PORT,
        use_128bit_trace_id=True,
        binary_annotations=dict(ROOT_TAGS),
    ):
        time.sleep(0.001)
        with zipkin_span(service_name=service, span_name="child-op", kind=Kind.CLIENT) as child:
            child.add_sa_binary_annotation(
                port=REMOTE_PORT, service_name=REMOTE_SERVICE, host=REMOTE_HOST
            )
            time.sleep(0.002)
            child.add_annotation("something happened")
            child.update_binary_annotations({"error": "child failed on purpose"})
            time.sleep(0.002)
        with zipkin_span(
            service_name=service, span_name="second-child-op", kind=Kind.PRODUCER
        ) as second:
            second.update_binary_annotations({"child.index": "2"})
            time.sleep(0.001)
        time.sleep(0.001)


def endpoint_doc(endpoint):
    if endpoint is None:
        return None
    return {
        "service_name": endpoint.service_name,
        "ipv4": endpoint.ipv4,
        "ipv6": endpoint.ipv6,
        "port": endpoint.port,
    }


def describe_span(span):
    return {
        "trace_id": span.trace_id,
        "span_id_hex": span.span_id,
        "parent_span_id_hex": span.parent_id,
        "name": span.name,
        "kind": span.kind.value.lower() if span.kind != Kind.LOCAL else None,
        "start_time_us": micros(span.timestamp),
        "duration_us": micros(span.duration),
        "shared": bool(span.shared),
        "debug": bool(span.debug),
        "local_endpoint": endpoint_doc(span.local_endpoint),
        "remote_endpoint": endpoint_doc(span.remote_endpoint),
        # Tag order as the library holds it, which is the order it encodes.
        "tags": {key: str(value) for key, value in span.tags.items()},
        "annotations": [
            {"value": value, "timestamp_us": micros(ts)} for value, ts in span.annotations.items()
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", required=True, help="collector base URL, port 9411")
    parser.add_argument("--service", required=True)
    args = parser.parse_args()

    transport = PostingTransport(args.endpoint)
    emit(transport, args.service)
    refused = [answer for answer in transport.answers if answer[0] != 202]
    if refused or not transport.answers or len(_recorded) != 3:
        print(
            "sending failed: answers %s, %d of 3 spans recorded"
            % (transport.answers, len(_recorded)),
            file=sys.stderr,
        )
        return 1

    doc = {
        "sender": "py_zipkin-v2-json",
        "library": {"name": "py_zipkin", "version": dist_version("py_zipkin")},
        "transport": {"path": "/api/v2/spans", "content_type": "application/json"},
        "posts": len(transport.answers),
        "service_name": args.service,
        "spans": [describe_span(span) for span in _recorded],
    }
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
