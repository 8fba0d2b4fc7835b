//! The senders' descriptions mapped to the spans Jaeger's translators make of them (the rules
//! in the parent module's documentation): OTLP, Zipkin v2 and Jaeger thrift, plus the JSON
//! readers they share.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use spur_model::api_v2::{KeyValue, Log, Process, SpanRef, SpanRefType};
use spur_model::time::{
    duration_from_micros, duration_from_nanos, timestamp_from_micros, timestamp_from_nanos,
};
use spur_model::{SpanId, TraceId};

use super::{Expected, Format};

pub(super) fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {value}"))
}

pub(super) fn integer(value: &Value, key: &str) -> i64 {
    value[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} is not an integer in {value}"))
}

pub(super) fn nanos(value: &Value, key: &str) -> u64 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a u64 in {value}"))
}

pub(super) fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not a list in {value}"))
}

pub(super) fn object<'a>(value: &'a Value, key: &str) -> &'a serde_json::Map<String, Value> {
    value[key]
        .as_object()
        .unwrap_or_else(|| panic!("{key} is not an object in {value}"))
}

pub(super) fn trace_id(hex: &str) -> TraceId {
    TraceId::from_hex(hex).unwrap_or_else(|e| panic!("trace id {hex}: {e}"))
}

pub(super) fn span_id(hex: &str) -> SpanId {
    SpanId::from_hex(hex).unwrap_or_else(|e| panic!("span id {hex}: {e}"))
}

pub(super) fn parent(span: &Value) -> Option<SpanId> {
    span["parent_span_id_hex"].as_str().map(span_id)
}

pub(super) fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex {hex}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A `{"type", "value"}` description as the Jaeger tag it becomes. Arrays (OTLP only) become
/// their compact JSON text, as pdata's `AsString` writes it.
pub(super) fn typed_tag(key: &str, typed: &Value) -> KeyValue {
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

pub(super) fn typed_tags(map: &serde_json::Map<String, Value>) -> Vec<KeyValue> {
    map.iter()
        .map(|(key, typed)| typed_tag(key, typed))
        .collect()
}

/// `[{key, type, value}]`, the Go sender's ordered tag lists.
pub(super) fn tag_list(items: &[Value]) -> Vec<KeyValue> {
    items
        .iter()
        .map(|item| typed_tag(text(item, "key"), item))
        .collect()
}

pub(super) fn format_tag(format: Format) -> KeyValue {
    KeyValue::string("internal.span.format", format.label())
}

/// OTLP → Jaeger as contrib's `traces_to_jaegerproto` does it (see spur_model::otlp).
pub(super) fn expect_otlp(doc: &Value) -> Vec<Expected> {
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
pub(super) fn expect_zipkin(doc: &Value) -> Vec<Expected> {
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
pub(super) fn expect_jaeger(doc: &Value) -> Vec<Expected> {
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
