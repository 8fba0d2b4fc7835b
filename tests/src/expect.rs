//! What Kafka (`collector_clients.rs`) or the query service (`pipeline.rs`) must hold after a
//! live sender of [`crate::clients`] ran: the sender's description of its spans mapped the way
//! Jaeger's translators map them, and the comparison with the decoded messages or the stored
//! spans, field by field (stored spans: times to the microsecond, as every store keeps them).
//!
//! The rules, applied to the libraries' own values (never to the bytes that were sent):
//! - OTLP ([`expect_otlp`]) as contrib's `traces_to_jaegerproto`, which Jaeger's collector uses:
//!   scope tags, attributes typed (arrays as compact JSON text, bytes as binary), `span.kind`,
//!   `otel.status_code` + `error` + `otel.status_description`, events as logs with an `event`
//!   field, the parent as CHILD_OF then links as FOLLOWS_FROM, resource attributes as process
//!   tags, no flags, exact nanosecond times;
//! - Zipkin v2 ([`expect_zipkin`]) and Jaeger thrift ([`expect_jaeger`]) as `spur-model`
//!   documents Jaeger's converters (µs times).
//!
//! Every span then also carries the collector's `internal.span.format` tag. Owned elsewhere:
//! running senders, the collector, Kafka and the stores. Test support: it panics on a mismatch.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use serde_json::Value;
use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{
    duration_from_micros, duration_from_nanos, micros_from_duration, micros_from_timestamp,
    timestamp_from_micros, timestamp_from_nanos,
};
use spur_model::wkt::{Duration as ProtoDuration, Timestamp};
use spur_model::{SpanId, TraceId};

/// Spans in the one trace every sender emits.
pub const SPANS: usize = 3;

/// The `internal.span.format` tag the collector adds, which also picks the expectation rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Otlp,
    Zipkin,
    Jaeger,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Otlp => "otlp",
            Format::Zipkin => "zipkin",
            Format::Jaeger => "jaeger",
        }
    }
}

/// One message as read back.
pub struct Received {
    pub key: Option<String>,
    pub partition: i32,
    pub span: Span,
}

/// One span as it must be stored.
#[derive(Debug)]
struct Expected {
    trace_id: TraceId,
    span_id: SpanId,
    operation_name: String,
    references: Vec<SpanRef>,
    flags: u32,
    start: Timestamp,
    duration: ProtoDuration,
    start_us: i64,
    duration_us: i64,
    tags: Vec<KeyValue>,
    logs: Vec<Log>,
    process: Process,
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {value}"))
}

fn integer(value: &Value, key: &str) -> i64 {
    value[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} is not an integer in {value}"))
}

fn nanos(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a u64 in {value}"))
}

fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not a list in {value}"))
}

fn object<'a>(value: &'a Value, key: &str) -> &'a serde_json::Map<String, Value> {
    value[key]
        .as_object()
        .unwrap_or_else(|| panic!("{key} is not an object in {value}"))
}

fn trace_id(hex: &str) -> TraceId {
    TraceId::from_hex(hex).unwrap_or_else(|e| panic!("trace id {hex}: {e}"))
}

fn span_id(hex: &str) -> SpanId {
    SpanId::from_hex(hex).unwrap_or_else(|e| panic!("span id {hex}: {e}"))
}

fn parent(span: &Value) -> Option<SpanId> {
    span["parent_span_id_hex"].as_str().map(span_id)
}

fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex {hex}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A `{"type", "value"}` description as the Jaeger tag it becomes. Arrays (OTLP only) become
/// their compact JSON text, as pdata's `AsString` writes it.
fn typed_tag(key: &str, typed: &Value) -> KeyValue {
    let value = &typed["value"];
    match typed["type"].as_str() {
        Some("string") => KeyValue::string(key, value.as_str().unwrap()),
        Some("bool") => KeyValue::bool(key, value.as_bool().unwrap()),
        Some("int64") => KeyValue::int64(key, value.as_i64().unwrap()),
        Some("float64") => KeyValue::float64(key, value.as_f64().unwrap()),
        Some("binary") => KeyValue::binary(key, unhex(value.as_str().unwrap())),
        Some("array") => {
            let raw: Vec<Value> = value
                .as_array()
                .unwrap()
                .iter()
                .map(|item| match item["type"].as_str() {
                    Some("string" | "bool" | "int64" | "float64") => item["value"].clone(),
                    other => panic!("no rule here for {other:?} inside an array"),
                })
                .collect();
            KeyValue::string(key, serde_json::to_string(&raw).unwrap())
        }
        other => panic!("unknown value type {other:?} for {key}"),
    }
}

fn typed_tags(map: &serde_json::Map<String, Value>) -> Vec<KeyValue> {
    map.iter()
        .map(|(key, typed)| typed_tag(key, typed))
        .collect()
}

/// `[{key, type, value}]`, the Go sender's ordered tag lists.
fn tag_list(items: &[Value]) -> Vec<KeyValue> {
    items
        .iter()
        .map(|item| typed_tag(text(item, "key"), item))
        .collect()
}

fn format_tag(format: Format) -> KeyValue {
    KeyValue::string("internal.span.format", format.label())
}

/// OTLP → Jaeger as contrib's `traces_to_jaegerproto` does it (see spur_model::otlp).
fn expect_otlp(doc: &Value) -> Vec<Expected> {
    let resource = object(doc, "resource");
    let service_name = text(&resource["service.name"], "value").to_owned();
    let process = Process {
        service_name,
        tags: resource
            .iter()
            .filter(|(key, _)| key.as_str() != "service.name")
            .map(|(key, typed)| typed_tag(key, typed))
            .collect(),
    };
    list(doc, "spans")
        .iter()
        .map(|span| {
            let trace = trace_id(text(span, "trace_id_hex"));
            let parent = parent(span);
            let mut references: Vec<SpanRef> = parent
                .map(|p| SpanRef::new(trace, p, SpanRefType::ChildOf))
                .into_iter()
                .collect();
            for link in list(span, "links") {
                let attributes = object(link, "attributes");
                let ref_type = match attributes.get("opentracing.ref_type") {
                    Some(t) if t["type"] == "string" && t["value"] == "child_of" => {
                        SpanRefType::ChildOf
                    }
                    _ => SpanRefType::FollowsFrom,
                };
                let (link_trace, link_span) = (
                    trace_id(text(link, "trace_id_hex")),
                    span_id(text(link, "span_id_hex")),
                );
                if link_trace == trace && Some(link_span) == parent {
                    references[0].ref_type = ref_type as i32;
                } else {
                    references.push(SpanRef::new(link_trace, link_span, ref_type));
                }
            }

            let scope = &span["scope"];
            let mut tags = Vec::new();
            for (key, field) in [
                ("otel.scope.name", "name"),
                ("otel.scope.version", "version"),
            ] {
                if !text(scope, field).is_empty() {
                    tags.push(KeyValue::string(key, text(scope, field)));
                }
            }
            tags.extend(typed_tags(object(span, "attributes")));
            tags.push(KeyValue::string("span.kind", text(span, "kind")));
            let status = &span["status"];
            match text(status, "code") {
                "error" => {
                    tags.push(KeyValue::string("otel.status_code", "ERROR"));
                    tags.push(KeyValue::bool("error", true));
                }
                "ok" => tags.push(KeyValue::string("otel.status_code", "OK")),
                _ => {}
            }
            if !text(status, "message").is_empty() {
                tags.push(KeyValue::string(
                    "otel.status_description",
                    text(status, "message"),
                ));
            }
            if !text(span, "trace_state").is_empty() {
                tags.push(KeyValue::string(
                    "w3c.tracestate",
                    text(span, "trace_state"),
                ));
            }
            tags.push(format_tag(Format::Otlp));

            let logs = list(span, "events")
                .iter()
                .map(|event| {
                    let attributes = object(event, "attributes");
                    let mut fields = Vec::new();
                    if !attributes.contains_key("event") && !text(event, "name").is_empty() {
                        fields.push(KeyValue::string("event", text(event, "name")));
                    }
                    fields.extend(typed_tags(attributes));
                    Log {
                        timestamp: Some(timestamp_from_nanos(nanos(event, "time_unix_nano"))),
                        fields,
                    }
                })
                .collect();

            let (start, end) = (
                nanos(span, "start_time_unix_nano"),
                nanos(span, "end_time_unix_nano"),
            );
            let elapsed = i64::try_from(end - start).unwrap();
            Expected {
                trace_id: trace,
                span_id: span_id(text(span, "span_id_hex")),
                operation_name: text(span, "name").to_owned(),
                references,
                flags: 0,
                start: timestamp_from_nanos(start),
                duration: duration_from_nanos(elapsed),
                start_us: i64::try_from(start / 1000).unwrap(),
                duration_us: elapsed / 1000,
                tags,
                logs,
                process: process.clone(),
            }
        })
        .collect()
}

/// Zipkin v2 → Jaeger as spur-model maps it (its documented reading of Jaeger's converter): tags
/// as strings in order (`error` → bool `error` plus `error.message`), then the remote
/// endpoint's `peer.*` tags, then `span.kind`; annotations → logs with an `event` field; the
/// local endpoint → the process (`ip`); the sampled flag.
fn expect_zipkin(doc: &Value) -> Vec<Expected> {
    list(doc, "spans")
        .iter()
        .map(|span| {
            let trace = trace_id(text(span, "trace_id"));
            let mut tags = Vec::new();
            for (key, value) in object(span, "tags") {
                let value = value.as_str().unwrap();
                if key == "error" {
                    tags.push(KeyValue::bool("error", true));
                    if !value.is_empty() && value != "true" {
                        tags.push(KeyValue::string("error.message", value));
                    }
                } else {
                    tags.push(KeyValue::string(key, value));
                }
            }
            let remote = &span["remote_endpoint"];
            if remote.is_object() {
                if let Some(name) = remote["service_name"].as_str().filter(|n| !n.is_empty()) {
                    tags.push(KeyValue::string("peer.service", name));
                }
                for (field, key) in [("ipv4", "peer.ipv4"), ("ipv6", "peer.ipv6")] {
                    if let Some(address) = remote[field].as_str() {
                        tags.push(KeyValue::string(key, address));
                    }
                }
                if let Some(port) = remote["port"].as_i64().filter(|p| *p != 0) {
                    tags.push(KeyValue::int64("peer.port", port));
                }
            }
            if let Some(kind) = span["kind"].as_str() {
                tags.push(KeyValue::string("span.kind", kind));
            }
            tags.push(format_tag(Format::Zipkin));

            let local = &span["local_endpoint"];
            let mut process_tags = Vec::new();
            if let Some(ipv4) = local["ipv4"].as_str() {
                process_tags.push(KeyValue::string("ip", ipv4));
            }
            if let Some(ipv6) = local["ipv6"].as_str() {
                process_tags.push(KeyValue::string("ipv6", ipv6));
            }
            let (start_us, duration_us) =
                (integer(span, "start_time_us"), integer(span, "duration_us"));
            Expected {
                trace_id: trace,
                span_id: span_id(text(span, "span_id_hex")),
                operation_name: text(span, "name").to_owned(),
                references: parent(span)
                    .map(|p| SpanRef::new(trace, p, SpanRefType::ChildOf))
                    .into_iter()
                    .collect(),
                flags: if span["debug"] == true { 3 } else { 1 },
                start: timestamp_from_micros(start_us),
                duration: duration_from_micros(duration_us),
                start_us,
                duration_us,
                tags,
                logs: list(span, "annotations")
                    .iter()
                    .map(|a| Log {
                        timestamp: Some(timestamp_from_micros(integer(a, "timestamp_us"))),
                        fields: vec![KeyValue::string("event", text(a, "value"))],
                    })
                    .collect(),
                process: Process {
                    service_name: text(local, "service_name").to_owned(),
                    tags: process_tags,
                },
            }
        })
        .collect()
}

/// Jaeger thrift → the model: values as the library built its thrift structs, a non-zero
/// parent prepended as CHILD_OF unless a reference already names it.
fn expect_jaeger(doc: &Value) -> Vec<Expected> {
    let process = Process {
        service_name: text(doc, "service_name").to_owned(),
        tags: tag_list(list(doc, "process_tags")),
    };
    list(doc, "spans")
        .iter()
        .map(|span| {
            let trace = trace_id(text(span, "trace_id_hex"));
            let mut references: Vec<SpanRef> = list(span, "references")
                .iter()
                .map(|r| {
                    let ref_type = match text(r, "type") {
                        "child_of" => SpanRefType::ChildOf,
                        _ => SpanRefType::FollowsFrom,
                    };
                    SpanRef::new(
                        trace_id(text(r, "trace_id_hex")),
                        span_id(text(r, "span_id_hex")),
                        ref_type,
                    )
                })
                .collect();
            if let Some(parent) = parent(span) {
                let parent_bytes = parent.to_bytes();
                let named = references.iter().any(|r| {
                    r.span_id.as_slice() == parent_bytes && r.trace_id == trace.to_bytes()
                });
                if !named {
                    references.insert(0, SpanRef::new(trace, parent, SpanRefType::ChildOf));
                }
            }
            let mut tags = tag_list(list(span, "tags"));
            tags.push(format_tag(Format::Jaeger));
            let (start_us, duration_us) =
                (integer(span, "start_time_us"), integer(span, "duration_us"));
            Expected {
                trace_id: trace,
                span_id: span_id(text(span, "span_id_hex")),
                operation_name: text(span, "name").to_owned(),
                references,
                flags: u32::try_from(integer(span, "flags")).unwrap(),
                start: timestamp_from_micros(start_us),
                duration: duration_from_micros(duration_us),
                start_us,
                duration_us,
                tags,
                logs: list(span, "logs")
                    .iter()
                    .map(|l| Log {
                        timestamp: Some(timestamp_from_micros(integer(l, "timestamp_us"))),
                        fields: tag_list(list(l, "fields")),
                    })
                    .collect(),
                process: process.clone(),
            }
        })
        .collect()
}

/// Tags compared as a multiset: the description's JSON objects need not keep the libraries'
/// order, and Jaeger's readers do not depend on it.
fn sorted(tags: &[KeyValue]) -> Vec<KeyValue> {
    let mut tags = tags.to_vec();
    tags.sort_by_cached_key(|tag| (tag.key.clone(), format!("{tag:?}")));
    tags
}

fn sorted_logs(logs: &[Log]) -> Vec<Log> {
    logs.iter()
        .map(|log| Log {
            timestamp: log.timestamp,
            fields: sorted(&log.fields),
        })
        .collect()
}

/// The description must be the known trace: one root, two children of it, named as sent.
fn check_shape(doc: &Value, expected: &[Expected]) {
    assert_eq!(expected.len(), SPANS, "the sender described {doc}");
    let mut names: Vec<&str> = expected.iter().map(|e| e.operation_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["child-op", "root-op", "second-child-op"]);
    let root = expected
        .iter()
        .find(|e| e.operation_name == "root-op")
        .unwrap();
    assert!(root.references.is_empty(), "the root has no parent");
    for child in expected.iter().filter(|e| e.operation_name != "root-op") {
        assert_eq!(child.trace_id, root.trace_id, "one trace");
        assert_eq!(
            child.references[0].span_id,
            root.span_id.to_bytes(),
            "{} is a child of the root",
            child.operation_name
        );
    }
}

/// Jaeger's key: the trace id's hex form, 16 digits when the high half is zero.
fn jaeger_key(trace: TraceId) -> String {
    if trace.high == 0 {
        format!("{:016x}", trace.low)
    } else {
        format!("{:016x}{:016x}", trace.high, trace.low)
    }
}

fn assert_span(actual: &Span, expected: &Expected, exact_nanos: bool) {
    let what = format!("{} ({:016x})", expected.operation_name, expected.span_id.0);
    assert_eq!(
        actual.trace_id().unwrap(),
        expected.trace_id,
        "{what}: trace id"
    );
    assert_eq!(
        actual.span_id().unwrap(),
        expected.span_id,
        "{what}: span id"
    );
    assert_eq!(
        actual.operation_name, expected.operation_name,
        "{what}: name"
    );
    assert_eq!(actual.references, expected.references, "{what}: references");
    let expected_parent = expected
        .references
        .first()
        .filter(|r| r.trace_id == expected.trace_id.to_bytes())
        .map(|r| SpanId::from_bytes(&r.span_id).unwrap());
    assert_eq!(actual.parent_span_id(), expected_parent, "{what}: parent");
    assert_eq!(actual.flags, expected.flags, "{what}: flags");
    let start = actual.start_time.unwrap_or_default();
    let duration = actual.duration.unwrap_or_default();
    assert_eq!(
        micros_from_timestamp(&start),
        expected.start_us,
        "{what}: start µs"
    );
    assert_eq!(
        micros_from_duration(&duration),
        expected.duration_us,
        "{what}: duration µs"
    );
    if exact_nanos {
        assert_eq!(start, expected.start, "{what}: start, exact");
        assert_eq!(duration, expected.duration, "{what}: duration, exact");
    }
    assert_eq!(sorted(&actual.tags), sorted(&expected.tags), "{what}: tags");
    let mut expected_logs = expected.logs.clone();
    if !exact_nanos {
        // Stores keep log times to the microsecond, as span times.
        for log in &mut expected_logs {
            if let Some(time) = log.timestamp.as_mut() {
                time.nanos -= time.nanos % 1_000;
            }
        }
    }
    assert_eq!(
        sorted_logs(&actual.logs),
        sorted_logs(&expected_logs),
        "{what}: logs"
    );
    let process = actual.process.clone().unwrap_or_default();
    assert_eq!(
        process.service_name, expected.process.service_name,
        "{what}: service name"
    );
    assert_eq!(
        sorted(&process.tags),
        sorted(&expected.process.tags),
        "{what}: process tags"
    );
    assert!(
        actual.warnings.is_empty(),
        "{what}: warnings {:?}",
        actual.warnings
    );
}

fn tag<'a>(span: &'a Span, key: &str) -> Option<&'a KeyValue> {
    span.tags.iter().find(|tag| tag.key == key)
}

/// Everything Kafka holds must be the described trace, each span once, keyed by its trace id.
pub fn compare(format: Format, doc: &Value, service: &str, received: &[Received]) {
    let expected = expected(format, doc);
    let spans: Vec<Span> = received.iter().map(|r| r.span.clone()).collect();
    compare_spans(format, &expected, service, &spans, true);
    let key = jaeger_key(expected[0].trace_id);
    for message in received {
        assert_eq!(message.key.as_deref(), Some(key.as_str()), "message key");
        assert_eq!(
            message.partition, received[0].partition,
            "one trace, one partition"
        );
    }
}

/// The spans a store returns for the described trace must be it, each span once, with times
/// to the microsecond.
pub fn compare_stored(format: Format, doc: &Value, service: &str, stored: &[Span]) {
    let expected = expected(format, doc);
    compare_spans(format, &expected, service, stored, false);
}

/// The trace id the sender reported.
pub fn trace_id_of(format: Format, doc: &Value) -> TraceId {
    expected(format, doc)[0].trace_id
}

fn expected(format: Format, doc: &Value) -> Vec<Expected> {
    let expected = match format {
        Format::Otlp => expect_otlp(doc),
        Format::Zipkin => expect_zipkin(doc),
        Format::Jaeger => expect_jaeger(doc),
    };
    check_shape(doc, &expected);
    expected
}

fn compare_spans(
    format: Format,
    expected: &[Expected],
    service: &str,
    received: &[Span],
    exact_nanos: bool,
) {
    let mut by_id: BTreeMap<SpanId, &Span> = BTreeMap::new();
    for span in received {
        let id = span.span_id().unwrap();
        assert!(
            by_id.insert(id, span).is_none(),
            "span {id:?} arrived more than once"
        );
    }
    assert_eq!(received.len(), expected.len(), "spans: {received:#?}");
    for want in expected {
        let got = by_id
            .get(&want.span_id)
            .unwrap_or_else(|| panic!("{} never arrived", want.operation_name));
        assert_eq!(
            want.process.service_name, service,
            "the sender used its service name"
        );
        assert_span(got, want, exact_nanos);
    }

    // The error mapping, spelled out: only the child that failed carries `error`=true.
    for span in received {
        let error = tag(span, "error");
        if span.operation_name == "child-op" {
            assert_eq!(
                error,
                Some(&KeyValue::bool("error", true)),
                "child-op is an error"
            );
        } else {
            assert_eq!(error, None, "{} is not an error", span.operation_name);
        }
        assert_eq!(
            tag(span, "internal.span.format"),
            Some(&format_tag(format)),
            "{}: format tag",
            span.operation_name
        );
    }
}

/// A tag as the Jaeger client senders print it: `{key, type, value}`.
pub fn neutral(tag: &KeyValue) -> Value {
    use spur_model::api_v2::ValueType;
    let (kind, value) = match tag.v_type() {
        ValueType::String => ("string", Value::from(tag.v_str.clone())),
        ValueType::Bool => ("bool", Value::from(tag.v_bool)),
        ValueType::Int64 => ("int64", Value::from(tag.v_int64)),
        ValueType::Float64 => ("float64", Value::from(tag.v_float64)),
        ValueType::Binary => ("binary", Value::from(hex(&tag.v_binary))),
    };
    serde_json::json!({"key": tag.key, "type": kind, "value": value})
}

/// Lower-case hex of bytes (ids, binary tag values).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sorted_values(mut values: Vec<Value>) -> Vec<Value> {
    values.sort_by_key(Value::to_string);
    values
}

/// The spans a store returns for the trace `jaeger_python.py` described (through the agent,
/// which forwards over gRPC: `format` is then `proto`): each span once, ids, parent, name, µs
/// times, tags (plus the collector's format tag), logs and the process exactly.
pub fn compare_jaeger_client(doc: &Value, service: &str, format: &str, stored: &[Span]) {
    let sent = list(doc, "spans");
    assert_eq!(stored.len(), sent.len(), "each span once: {stored:#?}");
    for want in sent {
        let name = text(want, "operation_name");
        let got = stored
            .iter()
            .find(|span| hex(&span.span_id) == text(want, "span_id"))
            .unwrap_or_else(|| panic!("{name} never arrived"));
        assert_eq!(
            hex(&got.trace_id),
            text(want, "trace_id"),
            "{name}: trace id"
        );
        assert_eq!(got.operation_name, name, "{name}: name");
        let parent = got.parent_span_id().map(|id| format!("{:016x}", id.0));
        assert_eq!(
            parent.as_deref(),
            want["parent_id"].as_str(),
            "{name}: parent"
        );
        let start = got.start_time.unwrap_or_default();
        let duration = got.duration.unwrap_or_default();
        assert_eq!(
            micros_from_timestamp(&start),
            integer(want, "start_time_us"),
            "{name}: start"
        );
        assert_eq!(
            micros_from_duration(&duration),
            integer(want, "duration_us"),
            "{name}: duration"
        );
        let mut want_tags = list(want, "tags").to_vec();
        want_tags.push(
            serde_json::json!({"key": "internal.span.format", "type": "string", "value": format}),
        );
        assert_eq!(
            sorted_values(got.tags.iter().map(neutral).collect()),
            sorted_values(want_tags),
            "{name}: tags"
        );
        let logs: Vec<Value> = got
            .logs
            .iter()
            .map(|log| {
                serde_json::json!({
                    "timestamp_us": micros_from_timestamp(&log.timestamp.unwrap_or_default()),
                    "fields": log.fields.iter().map(neutral).collect::<Vec<_>>(),
                })
            })
            .collect();
        assert_eq!(Value::from(logs), want["logs"], "{name}: logs");
        let process = got.process.clone().unwrap_or_default();
        assert_eq!(process.service_name, service, "{name}: service");
        assert_eq!(
            sorted_values(process.tags.iter().map(neutral).collect()),
            sorted_values(list(doc, "process_tags").to_vec()),
            "{name}: process tags"
        );
        assert!(
            got.warnings.is_empty(),
            "{name}: warnings {:?}",
            got.warnings
        );
    }
}
