"""Send one known trace to a running jaeger-agent (spur-agent) with the Python ``jaeger-client``.

The library's own UDP reporter does the sending: thrift COMPACT ``Agent.emitBatch`` datagrams
to ``--agent host:port`` (the agent's 6831). The trace is ``root-op`` (server) with a child
``child-op`` (client, error, one log). UDP gives no answer, so success means the library
flushed without error; the Rust test then waits for the spans at the collector.

It prints to stdout one JSON document describing the spans as the library's own span objects
report them (ids, names, parent, start and duration in microseconds, tags, logs) and the
process (service, tags), and exits 0; non-zero on any error. Diagnostics go to stderr.

Environment: tests/clients/live/install.sh (target jaeger-python).

Usage: python jaeger_python.py --agent HOST:PORT --service NAME
"""

import argparse
import json
import sys
import time

from jaeger_client import Config
from jaeger_client import thrift as jthrift
from jaeger_client.thrift_gen.jaeger import ttypes as jttypes
from opentracing.ext import tags as ot_tags

TYPES = {
    jttypes.TagType.STRING: ("string", lambda t: t.vStr),
    jttypes.TagType.BOOL: ("bool", lambda t: t.vBool),
    jttypes.TagType.LONG: ("int64", lambda t: t.vLong),
    jttypes.TagType.DOUBLE: ("float64", lambda t: t.vDouble),
}


def neutral(tag):
    kind, value = TYPES[tag.vType]
    return {"key": tag.key, "type": kind, "value": value(tag)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", required=True)
    parser.add_argument("--service", required=True)
    args = parser.parse_args()
    host, port = args.agent.rsplit(":", 1)
    config = Config(
        config={
            "sampler": {"type": "const", "param": 1},
            "local_agent": {"reporting_host": host, "reporting_port": int(port)},
            "generate_128bit_trace_id": True,
            "reporter_batch_size": 10,
            "reporter_flush_interval": 0.1,
            "logging": False,
        },
        service_name=args.service,
        validate=True,
    )
    tracer = config.new_tracer()
    root = tracer.start_span("root-op")
    root.set_tag("str.tag", "hello")
    root.set_tag("bool.tag", True)
    root.set_tag("int.tag", 42)
    root.set_tag("float.tag", 3.5)
    root.set_tag(ot_tags.SPAN_KIND, ot_tags.SPAN_KIND_RPC_SERVER)
    child = tracer.start_span("child-op", child_of=root)
    child.set_tag(ot_tags.SPAN_KIND, ot_tags.SPAN_KIND_RPC_CLIENT)
    child.set_tag(ot_tags.ERROR, True)
    time.sleep(0.002)
    child.log_kv({"event": "something happened", "event.count": 3})
    child.finish()
    root.finish()
    # close() flushes the reporter's queue; give its IO loop a bounded moment to send.
    tracer.close()
    time.sleep(1.0)

    spans = []
    for span in (child, root):
        spans.append(
            {
                "trace_id": "%032x" % span.trace_id,
                "span_id": "%016x" % span.span_id,
                "parent_id": "%016x" % span.parent_id if span.parent_id else None,
                "operation_name": span.operation_name,
                "start_time_us": jthrift.timestamp_micros(span.start_time),
                "duration_us": jthrift.timestamp_micros(span.end_time - span.start_time),
                "tags": [neutral(t) for t in span.tags],
                "logs": [
                    {"timestamp_us": log.timestamp, "fields": [neutral(f) for f in log.fields]}
                    for log in span.logs
                ],
            }
        )
    process_tags = []
    for key, value in tracer.tags.items():
        if isinstance(value, bool):
            process_tags.append({"key": key, "type": "bool", "value": value})
        elif isinstance(value, int):
            process_tags.append({"key": key, "type": "int64", "value": value})
        else:
            process_tags.append({"key": key, "type": "string", "value": str(value)})
    json.dump({"service": args.service, "process_tags": process_tags, "spans": spans}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
