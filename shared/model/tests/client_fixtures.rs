//! Golden tests on what real Jaeger and Zipkin client libraries sent (captured by
//! `tests/fixtures/clients/capture.sh`): each payload decodes into spans whose every field matches
//! the `.expected.json` the capture program wrote from the library's own span objects.
//! (The OpenTelemetry captures are checked in `otlp_fixtures.rs`.)
#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected input

use serde_json::Value;
use spur_model::api_v2::{Batch, KeyValue, Process, Span, ValueType};
use spur_model::time::{micros_from_duration, micros_from_timestamp};
use spur_model::{DecodeError, SpanId, TraceId, thrift, zipkin};

type Decoder = fn(&[u8]) -> Result<Batch, DecodeError>;

fn read(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/clients/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("fixture {path} is missing: {error}"))
}

/// Decodes the fixture's files; every span comes back with its effective process.
fn decode(name: &str, decoder: Decoder) -> (Vec<Span>, Value) {
    let expected: Value = serde_json::from_slice(&read(&format!("{name}.expected.json"))).unwrap();
    let mut spans = Vec::new();
    for file in expected["fixture_files"].as_array().unwrap() {
        let file = file.as_str().unwrap();
        let batch = decoder(&read(file)).unwrap_or_else(|error| panic!("{file}: {error}"));
        for span in batch.spans {
            let process = span.process.clone().or_else(|| batch.process.clone());
            spans.push(Span { process, ..span });
        }
    }
    assert_eq!(
        spans.len(),
        expected["spans"].as_array().unwrap().len(),
        "{name}: span count"
    );
    (spans, expected)
}

fn find<'a>(tags: &'a [KeyValue], key: &str) -> &'a KeyValue {
    tags.iter()
        .find(|tag| tag.key == key)
        .unwrap_or_else(|| panic!("tag {key} missing from {tags:?}"))
}

/// Checks one decoded tag against `{"type": ..., "value": ...}`.
fn assert_tag(tag: &KeyValue, expected: &Value) {
    let value = &expected["value"];
    let kind = ValueType::try_from(tag.v_type).unwrap();
    match expected["type"].as_str().unwrap() {
        "string" => assert_eq!(
            (kind, tag.v_str.as_str()),
            (ValueType::String, value.as_str().unwrap()),
            "{tag:?}"
        ),
        "bool" => assert_eq!(
            (kind, tag.v_bool),
            (ValueType::Bool, value.as_bool().unwrap()),
            "{tag:?}"
        ),
        "int64" => assert_eq!(
            (kind, tag.v_int64),
            (ValueType::Int64, value.as_i64().unwrap()),
            "{tag:?}"
        ),
        "float64" => assert_eq!(
            (kind, tag.v_float64),
            (ValueType::Float64, value.as_f64().unwrap()),
            "{tag:?}"
        ),
        "binary" => {
            let hex: String = tag
                .v_binary
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect();
            assert_eq!(
                (kind, hex.as_str()),
                (ValueType::Binary, value.as_str().unwrap()),
                "{tag:?}"
            )
        }
        other => panic!("unexpected tag type {other}"),
    }
}

fn assert_tags(tags: &[KeyValue], expected: &Value) {
    for (key, value) in expected.as_object().unwrap() {
        assert_tag(find(tags, key), value);
    }
}

fn by_span_id<'a>(spans: &'a [Span], hex: &str) -> Vec<&'a Span> {
    let id = SpanId::from_hex(hex).unwrap();
    spans
        .iter()
        .filter(|span| span.span_id().unwrap() == id)
        .collect()
}

/// Fields every format carries: ids, parent, name, service, times.
fn assert_common(span: &Span, expected: &Value) {
    let trace_id = TraceId::from_hex(expected["trace_id_hex"].as_str().unwrap()).unwrap();
    assert_eq!(span.trace_id().unwrap(), trace_id);
    assert_eq!(
        span.operation_name,
        expected["operation_name"].as_str().unwrap()
    );
    let process: &Process = span.process.as_ref().unwrap();
    assert_eq!(
        process.service_name,
        expected["service_name"].as_str().unwrap()
    );
    let start = micros_from_timestamp(span.start_time.as_ref().unwrap());
    assert_eq!(
        start,
        expected["start_time_us"].as_i64().unwrap(),
        "{}",
        span.operation_name
    );
    let duration = micros_from_duration(span.duration.as_ref().unwrap());
    assert_eq!(
        duration,
        expected["duration_us"].as_i64().unwrap(),
        "{}",
        span.operation_name
    );
    let parent = expected["parent_span_id_hex"]
        .as_str()
        .map(|hex| SpanId::from_hex(hex).unwrap());
    assert_eq!(span.parent_span_id(), parent, "{}", span.operation_name);
}

fn check_jaeger_client(name: &str, decoder: Decoder) {
    let (spans, expected) = decode(name, decoder);
    let process = &expected["process"];
    for want in expected["spans"].as_array().unwrap() {
        let found = by_span_id(&spans, want["span_id_hex"].as_str().unwrap());
        let [span] = found.as_slice() else {
            panic!("{name}: span {want} not found once")
        };
        assert_common(span, want);
        assert_eq!(span.flags, want["flags"].as_u64().unwrap() as u32);
        assert_tags(&span.tags, &want["tags"]);
        assert_tags(&span.tags, &want["extra_tags"]);
        assert_eq!(
            find(&span.tags, "span.kind").v_str,
            want["kind"].as_str().unwrap()
        );
        let logs = want["logs"].as_array().unwrap();
        assert_eq!(span.logs.len(), logs.len());
        for (log, want_log) in span.logs.iter().zip(logs) {
            let timestamp = micros_from_timestamp(log.timestamp.as_ref().unwrap());
            assert_eq!(timestamp, want_log["timestamp_us"].as_i64().unwrap());
            assert_tags(&log.fields, &want_log["fields"]);
        }
        let process_tags = &span.process.as_ref().unwrap().tags;
        assert_tags(process_tags, &process["tags"]);
        for key in process["tags_expected_present"].as_array().unwrap() {
            find(process_tags, key.as_str().unwrap());
        }
    }
}

#[test]
fn python_jaeger_client_compact_datagram() {
    check_jaeger_client("jaeger-client-python.compact.bin", |bytes| {
        thrift::decode_agent_compact(bytes).map(|decoded| decoded.batch)
    });
}

#[test]
fn node_jaeger_client_binary_datagram() {
    check_jaeger_client("jaeger-client-node.binary.bin", |bytes| {
        thrift::decode_agent_binary(bytes).map(|decoded| decoded.batch)
    });
}

#[test]
fn go_jaeger_client_http_thrift_body() {
    check_jaeger_client("jaeger-client-go.http-binary.bin", |bytes| {
        thrift::decode_batch_binary(bytes).map(|decoded| decoded.batch)
    });
}

fn check_zipkin(name: &str, decoder: Decoder) {
    let (spans, expected) = decode(name, decoder);
    for want in expected["spans"].as_array().unwrap() {
        let found = by_span_id(&spans, want["span_id_hex"].as_str().unwrap());
        let kind = want["kind"].as_str().unwrap();
        let span = found
            .iter()
            .find(|span| find(&span.tags, "span.kind").v_str == kind)
            .unwrap_or_else(|| panic!("{name}: no {kind} span {}", want["span_id_hex"]));
        assert_common(span, want);
        assert_eq!(span.flags & 2 != 0, want["debug"].as_bool().unwrap());
        assert_tags(&span.tags, &want["tags"]);
        let annotations = want["annotations"].as_array().unwrap();
        assert_eq!(
            span.logs.len(),
            annotations.len(),
            "{name}: logs of {}",
            span.operation_name
        );
        for (log, annotation) in span.logs.iter().zip(annotations) {
            let timestamp = micros_from_timestamp(log.timestamp.as_ref().unwrap());
            assert_eq!(timestamp, annotation["timestamp_us"].as_i64().unwrap());
            assert_eq!(
                find(&log.fields, "event").v_str,
                annotation["value"].as_str().unwrap()
            );
        }
        let local = &want["local_endpoint"];
        let process_tags = &span.process.as_ref().unwrap().tags;
        if let Some(ipv4) = local["ipv4"].as_str() {
            assert_eq!(find(process_tags, "ip").v_str, ipv4);
        }
        let remote = &want["remote_endpoint"];
        if remote.is_object() {
            assert_eq!(
                find(&span.tags, "peer.service").v_str,
                remote["service_name"].as_str().unwrap()
            );
            assert_eq!(
                find(&span.tags, "peer.ipv4").v_str,
                remote["ipv4"].as_str().unwrap()
            );
            assert_eq!(
                find(&span.tags, "peer.port").v_int64,
                remote["port"].as_i64().unwrap()
            );
        }
    }
}

#[test]
fn py_zipkin_v1_json() {
    check_zipkin("py_zipkin.v1.json", zipkin::decode_v1_json);
}

#[test]
fn py_zipkin_v2_json() {
    check_zipkin("py_zipkin.v2.json", zipkin::decode_v2_json);
}

#[test]
fn py_zipkin_v2_protobuf() {
    check_zipkin("py_zipkin.v2.proto.bin", zipkin::decode_v2_proto);
}
