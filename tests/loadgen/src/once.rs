//! `--once-file`: one small trace as OTLP/JSON, the body `POST /v1/traces` (port 4318) accepts,
//! for a first trace by hand (`curl -H 'Content-Type: application/json' --data @file …`).
//!
//! The JSON is opentelemetry-proto's serde form (lowerCamelCase keys, hex trace and span ids,
//! integer enums, 64-bit integers as strings) with default-valued fields left out, as the
//! protobuf JSON mapping does by default, so the sample stays readable.

use std::io::Write as _;
use std::path::Path;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
use serde_json::Value;

use crate::error::Error;
use crate::spans::{GeneratedSpan, TraceGen, scope};

/// Services the sample trace may cross.
const SAMPLE_SERVICES: usize = 3;
/// Span counts a sample trace may have: enough to show a tree, few enough to read.
const SAMPLE_SPANS: std::ops::RangeInclusive<usize> = 4..=6;

/// One trace of 4–6 spans across two or three services, one `ResourceSpans` per service in
/// order of first appearance.
pub fn sample_request(seed: u64, now_unix_nanos: u64) -> ExportTraceServiceRequest {
    let mut generator = TraceGen::new(SAMPLE_SERVICES, 0, seed, now_unix_nanos);
    let mut trace = generator.next_trace();
    for _ in 0..1_000 {
        let services = distinct_services(&trace);
        if SAMPLE_SPANS.contains(&trace.len()) && services.len() >= 2 {
            break;
        }
        trace = generator.next_trace();
    }
    let scope = scope();
    let resource_spans = distinct_services(&trace)
        .into_iter()
        .map(|service| ResourceSpans {
            resource: generator.resources().get(service).cloned(),
            scope_spans: vec![ScopeSpans {
                scope: Some(scope.clone()),
                spans: trace
                    .iter()
                    .filter(|generated| generated.service == service)
                    .map(|generated| generated.span.clone())
                    .collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// The sample as pretty OTLP/JSON text, ending in a newline.
pub fn sample_json(seed: u64, now_unix_nanos: u64) -> Result<String, Error> {
    let mut value = serde_json::to_value(sample_request(seed, now_unix_nanos))?;
    prune_defaults(&mut value);
    let mut text = String::new();
    write_pretty(&value, 0, &mut text)?;
    text.push('\n');
    Ok(text)
}

/// Writes the sample to `path`, or to stdout when `path` is `-`.
pub fn write(path: &Path, seed: u64, now_unix_nanos: u64) -> Result<(), Error> {
    let text = sample_json(seed, now_unix_nanos)?;
    let write_error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    if path == Path::new("-") {
        return std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(write_error);
    }
    std::fs::write(path, text).map_err(write_error)
}

/// Keys in the order people read a span (ids, name, kind, times, then the rest); keys not
/// listed follow in alphabetical order.
const KEY_ORDER: &[&str] = &[
    "resource",
    "scope",
    "traceId",
    "spanId",
    "parentSpanId",
    "flags",
    "name",
    "version",
    "kind",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "key",
    "value",
    "attributes",
    "status",
    "scopeSpans",
    "spans",
];

/// Pretty-prints like `serde_json::to_string_pretty`, with object keys in [`KEY_ORDER`]
/// (`serde_json::Value` keeps them sorted, which puts a span's attributes before its ids).
fn write_pretty(value: &Value, indent: usize, out: &mut String) -> Result<(), Error> {
    let pad = |depth: usize| "  ".repeat(depth);
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort_by_key(|key| {
                let rank = KEY_ORDER.iter().position(|known| known == key);
                (rank.unwrap_or(KEY_ORDER.len()), key.as_str())
            });
            out.push_str("{\n");
            for (index, key) in keys.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                out.push_str(&serde_json::to_string(key)?);
                out.push_str(": ");
                write_pretty(&fields[key.as_str()], indent + 1, out)?;
                out.push_str(if index + 1 < keys.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (index, item) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                write_pretty(item, indent + 1, out)?;
                out.push_str(if index + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar)?),
    }
    Ok(())
}

fn distinct_services(trace: &[GeneratedSpan]) -> Vec<usize> {
    let mut services = Vec::new();
    for generated in trace {
        if !services.contains(&generated.service) {
            services.push(generated.service);
        }
    }
    services
}

/// Removes fields holding their default (`""`, `0`, `false`, `[]`, `{}`, `null`), except the
/// members of an `AnyValue` (`stringValue`, `intValue`, …), where the field is the value.
fn prune_defaults(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (_, field) in fields.iter_mut() {
                prune_defaults(field);
            }
            fields.retain(|key, field| key.ends_with("Value") || !is_default(field));
        }
        Value::Array(items) => items.iter_mut().for_each(prune_defaults),
        _ => {}
    }
}

fn is_default(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000_000_000;

    #[test]
    fn the_sample_is_one_small_trace_across_services() {
        let request = sample_request(1, NOW);
        assert!((2..=3).contains(&request.resource_spans.len()));
        let spans: Vec<_> = request
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .flat_map(|scope| &scope.spans)
            .collect();
        assert!(SAMPLE_SPANS.contains(&spans.len()));
        assert!(spans.iter().all(|span| span.trace_id == spans[0].trace_id));
    }

    #[test]
    fn pretty_output_is_the_same_json_with_ids_first() {
        let text = sample_json(3, NOW).unwrap();
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        let mut expected = serde_json::to_value(sample_request(3, NOW)).unwrap();
        prune_defaults(&mut expected);
        assert_eq!(reparsed, expected);
        let span = text.find("\"traceId\"").unwrap();
        assert!(span < text[span..].find("\"attributes\"").unwrap() + span);
        assert!(text.ends_with("}\n") && text.contains("\n  \"resourceSpans\": [\n"));
    }

    #[test]
    fn pruning_keeps_values_and_drops_defaults() {
        let mut value = serde_json::json!({
            "traceState": "", "droppedAttributesCount": 0, "events": [], "status": {"code": 0},
            "kind": 2, "attributes": [{"key": "a", "value": {"boolValue": false}}],
            "x": {"stringValue": ""}
        });
        prune_defaults(&mut value);
        assert_eq!(
            value,
            serde_json::json!({
                "kind": 2, "attributes": [{"key": "a", "value": {"boolValue": false}}],
                "x": {"stringValue": ""}
            })
        );
    }
}
