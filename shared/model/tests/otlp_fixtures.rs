//! Real SDK captures from `tests/fixtures/clients/` decoded and checked against the
//! `.expected.json` written next to each capture (what the SDK says it sent).
//!
//! The expected document describes the OTLP spans; the checks here apply Jaeger's mapping to it
//! (span kind, status and scope tags, the parent reference retyped by a link to the parent).
#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected input

use std::path::PathBuf;

use serde_json::Value as Json;

use spur_model::DecodeError;
use spur_model::api_v2::{Batch, KeyValue, Span, SpanRefType, ValueType};
use spur_model::otlp::{decode_json, decode_proto};
use spur_model::time::{micros_from_duration, micros_from_timestamp};

type Decoder = fn(&[u8]) -> Result<Vec<Batch>, DecodeError>;

/// Tags the mapping adds beyond a span's own attributes.
const MAPPING_TAGS: [&str; 7] = [
    "otel.scope.name",
    "otel.scope.version",
    "span.kind",
    "otel.status_code",
    "error",
    "otel.status_description",
    "w3c.tracestate",
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clients")
}

/// Decodes every file the expected document lists; `None` when the capture is absent.
fn load(name: &str, decode: Decoder) -> Option<(Vec<Batch>, Json)> {
    let dir = fixtures_dir();
    let expected = std::fs::read(dir.join(format!("{name}.expected.json"))).ok()?;
    let expected: Json = serde_json::from_slice(&expected).unwrap();
    let files: Vec<String> = match expected["fixture_files"].as_array() {
        Some(files) => files
            .iter()
            .map(|file| file.as_str().unwrap().to_owned())
            .collect(),
        None => vec![name.to_owned()],
    };
    let mut batches = Vec::new();
    for file in files {
        let payload = std::fs::read(dir.join(&file)).unwrap();
        batches.extend(decode(&payload).unwrap_or_else(|error| panic!("{file}: {error}")));
    }
    Some((batches, expected))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn find<'a>(tags: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    tags.iter().find(|tag| tag.key == key)
}

/// The JSON text Jaeger stores for an array attribute, for the simple values fixtures hold.
fn array_text(items: &[Json]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| match item["type"].as_str().unwrap() {
            "string" => serde_json::to_string(item["value"].as_str().unwrap()).unwrap(),
            "float64" => item["value"].as_f64().unwrap().to_string(),
            _ => item["value"].to_string(),
        })
        .collect();
    format!("[{}]", parts.join(","))
}

fn check_tag(tag: &KeyValue, expected: &Json) {
    let value = &expected["value"];
    let context = format!("tag {} = {expected}", tag.key);
    match expected["type"].as_str().unwrap() {
        "string" => assert_eq!(tag.v_str, value.as_str().unwrap(), "{context}"),
        "bool" => {
            assert_eq!(tag.v_type, ValueType::Bool as i32, "{context}");
            assert_eq!(tag.v_bool, value.as_bool().unwrap(), "{context}");
        }
        "int64" => {
            assert_eq!(tag.v_type, ValueType::Int64 as i32, "{context}");
            assert_eq!(tag.v_int64, value.as_i64().unwrap(), "{context}");
        }
        "float64" => {
            assert_eq!(tag.v_type, ValueType::Float64 as i32, "{context}");
            assert_eq!(tag.v_float64, value.as_f64().unwrap(), "{context}");
        }
        "binary" => {
            assert_eq!(tag.v_type, ValueType::Binary as i32, "{context}");
            assert_eq!(hex(&tag.v_binary), value.as_str().unwrap(), "{context}");
        }
        "array" => assert_eq!(
            tag.v_str,
            array_text(value.as_array().unwrap()),
            "{context}"
        ),
        other => panic!("unknown fixture type {other}"),
    }
    if matches!(expected["type"].as_str(), Some("string" | "array")) {
        assert_eq!(tag.v_type, ValueType::String as i32, "{context}");
    }
}

fn check_attributes(tags: &[KeyValue], attributes: &Json, skip: &[&str]) {
    for (key, expected) in attributes.as_object().unwrap() {
        let tag = find(tags, key).unwrap_or_else(|| panic!("missing tag {key}"));
        check_tag(tag, expected);
    }
    for tag in tags {
        assert!(
            attributes.get(&tag.key).is_some() || skip.contains(&tag.key.as_str()),
            "unexpected tag {}",
            tag.key
        );
    }
}

fn check_span(span: &Span, expected: &Json) {
    let name = expected["operation_name"].as_str().unwrap();
    assert_eq!(span.operation_name, name);
    assert_eq!(
        hex(&span.trace_id),
        expected["trace_id_hex"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(span.trace_id.len(), 16);
    let start = micros_from_timestamp(span.start_time.as_ref().unwrap());
    assert_eq!(start, expected["start_time_us"].as_i64().unwrap(), "{name}");
    let duration = micros_from_duration(span.duration.as_ref().unwrap());
    assert_eq!(
        duration,
        expected["duration_us"].as_i64().unwrap(),
        "{name}"
    );
    assert_eq!(span.flags, 0);
    assert!(span.process.is_none());

    // References: the parent first, then links; a link to the parent retypes it instead.
    let parent = expected["parent_span_id_hex"].as_str();
    let mut references: Vec<(String, String, SpanRefType)> = Vec::new();
    if let Some(parent) = parent {
        references.push((hex(&span.trace_id), parent.to_owned(), SpanRefType::ChildOf));
    }
    for link in expected["links"].as_array().unwrap() {
        let ref_type = match link["attributes"]["opentracing.ref_type"]["value"].as_str() {
            Some("child_of") => SpanRefType::ChildOf,
            _ => SpanRefType::FollowsFrom,
        };
        let (trace, id) = (
            link["trace_id_hex"].as_str().unwrap(),
            link["span_id_hex"].as_str().unwrap(),
        );
        if parent == Some(id) && trace == hex(&span.trace_id) {
            references[0].2 = ref_type;
        } else {
            references.push((trace.to_owned(), id.to_owned(), ref_type));
        }
    }
    let actual: Vec<(String, String, SpanRefType)> = span
        .references
        .iter()
        .map(|r| {
            (
                hex(&r.trace_id),
                hex(&r.span_id),
                SpanRefType::try_from(r.ref_type).unwrap(),
            )
        })
        .collect();
    assert_eq!(actual, references, "{name}");

    let tags = &span.tags;
    let kind = expected["kind"].as_str().unwrap();
    if kind != "unspecified" {
        assert_eq!(find(tags, "span.kind").unwrap().v_str, kind, "{name}");
    }
    let scope = &expected["scope"];
    for (field, key) in [
        ("name", "otel.scope.name"),
        ("version", "otel.scope.version"),
    ] {
        match scope[field].as_str().filter(|value| !value.is_empty()) {
            Some(value) => assert_eq!(find(tags, key).unwrap().v_str, value, "{name}"),
            None => assert!(find(tags, key).is_none(), "{name}"),
        }
    }
    let status = &expected["status"];
    let code = find(tags, "otel.status_code").map(|tag| tag.v_str.as_str());
    match status["code"].as_str().unwrap() {
        "error" => {
            assert_eq!(code, Some("ERROR"), "{name}");
            assert!(find(tags, "error").unwrap().v_bool, "{name}");
        }
        "ok" => assert_eq!(code, Some("OK"), "{name}"),
        _ => assert_eq!(code, None, "{name}"),
    }
    let description = find(tags, "otel.status_description").map(|tag| tag.v_str.as_str());
    assert_eq!(
        description,
        status["message"].as_str().filter(|m| !m.is_empty()),
        "{name}"
    );
    if expected["tags_exhaustive"].as_bool() == Some(true) {
        check_attributes(tags, &expected["tags"], &MAPPING_TAGS);
    }

    let events = expected["events"].as_array().unwrap();
    assert_eq!(span.logs.len(), events.len(), "{name}");
    for (log, event) in span.logs.iter().zip(events) {
        let timestamp = micros_from_timestamp(log.timestamp.as_ref().unwrap());
        assert_eq!(timestamp, event["timestamp_us"].as_i64().unwrap(), "{name}");
        assert_eq!(
            find(&log.fields, "event").unwrap().v_str,
            event["name"].as_str().unwrap()
        );
        check_attributes(&log.fields, &event["attributes"], &["event"]);
    }
}

fn check(batches: &[Batch], expected: &Json) {
    let service = expected["process"]["service_name"].as_str().unwrap();
    let attributes = &expected["resource"]["attributes"];
    for batch in batches {
        let process = batch.process.as_ref().unwrap();
        assert_eq!(process.service_name, service);
        for key in expected["process"]["tags_expected_present"]
            .as_array()
            .unwrap()
        {
            assert!(
                find(&process.tags, key.as_str().unwrap()).is_some(),
                "process tag {key}"
            );
        }
        let mut resource_tags = attributes.clone();
        if let Some(map) = resource_tags.as_object_mut() {
            map.remove("service.name");
        }
        if expected["resource"]["attributes_exhaustive"].as_bool() == Some(true) {
            check_attributes(&process.tags, &resource_tags, &[]);
        }
    }
    let spans: Vec<&Span> = batches.iter().flat_map(|batch| &batch.spans).collect();
    let expected_spans = expected["spans"].as_array().unwrap();
    assert_eq!(spans.len(), expected_spans.len());
    for expected_span in expected_spans {
        let id = expected_span["span_id_hex"].as_str().unwrap();
        let span = spans.iter().find(|span| hex(&span.span_id) == id).unwrap();
        check_span(span, expected_span);
    }
}

#[test]
fn python_sdk_grpc_capture() {
    let (batches, expected) = load("otel-python.otlp-grpc.bin", decode_proto).expect("fixture");
    assert_eq!(batches.len(), 1);
    check(&batches, &expected);
}

#[test]
fn python_sdk_http_protobuf_capture() {
    let (batches, expected) = load("otel-python.otlp-http.bin", decode_proto).expect("fixture");
    assert_eq!(batches.len(), 1);
    check(&batches, &expected);
}

#[test]
fn node_sdk_http_json_capture() {
    let (batches, expected) = load("otel-node.otlp-http.json", decode_json).expect("fixture");
    assert_eq!(batches.len(), 1);
    check(&batches, &expected);
    // The child links to its own parent without `opentracing.ref_type`: as in Jaeger, that link
    // turns the parent reference into FOLLOWS_FROM instead of adding a second reference.
    let child = batches[0]
        .spans
        .iter()
        .find(|span| span.operation_name == "child-op")
        .unwrap();
    assert_eq!(child.references.len(), 1);
    assert_eq!(
        child.references[0].ref_type,
        SpanRefType::FollowsFrom as i32
    );
}
