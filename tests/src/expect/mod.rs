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
use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef};
use spur_model::time::{micros_from_duration, micros_from_timestamp};
use spur_model::wkt::{Duration as ProtoDuration, Timestamp};
use spur_model::{SpanId, TraceId};

mod translate;
use translate::{expect_jaeger, expect_otlp, expect_zipkin, format_tag, integer, list, text};

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
