//! The trace JSON of Jaeger's HTTP API and UI (`/api/traces`): hex ids, microsecond times,
//! typed tag values (int64 beyond ±(2^53−1) as a string, binary as base64), and processes
//! de-duplicated into a `processes` map keyed `p1, p2, …` in order of first appearance.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use crate::api_v2::{KeyValue, Process, Span, SpanRefType, ValueType};
use crate::time::{micros_from_duration, micros_from_timestamp};
use crate::{SpanId, TraceId};

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UiTrace {
    #[serde(rename = "traceID")]
    pub trace_id: String,
    pub spans: Vec<UiSpan>,
    /// Sorted by key, as Go's encoder writes maps.
    pub processes: BTreeMap<String, UiProcess>,
    pub warnings: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiSpan {
    #[serde(rename = "traceID")]
    pub trace_id: String,
    #[serde(rename = "spanID")]
    pub span_id: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub flags: u32,
    pub operation_name: String,
    pub references: Vec<UiReference>,
    pub start_time: i64,
    pub duration: i64,
    pub tags: Vec<UiKeyValue>,
    pub logs: Vec<UiLog>,
    #[serde(rename = "processID")]
    pub process_id: String,
    pub warnings: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UiReference {
    #[serde(rename = "refType")]
    pub ref_type: &'static str,
    #[serde(rename = "traceID")]
    pub trace_id: String,
    #[serde(rename = "spanID")]
    pub span_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UiKeyValue {
    pub key: String,
    #[serde(rename = "type")]
    pub value_type: &'static str,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UiLog {
    pub timestamp: i64,
    pub fields: Vec<UiKeyValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiProcess {
    pub service_name: String,
    pub tags: Vec<UiKeyValue>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// Converts the spans of one trace (each carrying its process) to the UI form.
pub fn trace_to_ui(spans: &[Span], warnings: &[String]) -> UiTrace {
    let mut processes: Vec<(&Process, String)> = Vec::new();
    let empty_process = Process::default();
    let mut ui_spans = Vec::with_capacity(spans.len());
    for span in spans {
        let process = span.process.as_ref().unwrap_or(&empty_process);
        let process_id = match processes.iter().find(|(known, _)| *known == process) {
            Some((_, id)) => id.clone(),
            None => {
                let id = format!("p{}", processes.len() + 1);
                processes.push((process, id.clone()));
                id
            }
        };
        ui_spans.push(span_to_ui(span, process_id));
    }
    UiTrace {
        trace_id: spans
            .first()
            .map(|span| trace_hex(&span.trace_id))
            .unwrap_or_default(),
        spans: ui_spans,
        processes: processes
            .into_iter()
            .map(|(process, id)| {
                let ui = UiProcess {
                    service_name: process.service_name.clone(),
                    tags: process.tags.iter().map(key_value_to_ui).collect(),
                };
                (id, ui)
            })
            .collect(),
        warnings: (!warnings.is_empty()).then(|| warnings.to_vec()),
    }
}

fn span_to_ui(span: &Span, process_id: String) -> UiSpan {
    UiSpan {
        trace_id: trace_hex(&span.trace_id),
        span_id: span_hex(&span.span_id),
        flags: span.flags,
        operation_name: span.operation_name.clone(),
        references: span
            .references
            .iter()
            .map(|reference| UiReference {
                ref_type: if reference.ref_type == SpanRefType::FollowsFrom as i32 {
                    "FOLLOWS_FROM"
                } else {
                    "CHILD_OF"
                },
                trace_id: trace_hex(&reference.trace_id),
                span_id: span_hex(&reference.span_id),
            })
            .collect(),
        start_time: span
            .start_time
            .as_ref()
            .map(micros_from_timestamp)
            .unwrap_or(0),
        duration: span
            .duration
            .as_ref()
            .map(micros_from_duration)
            .unwrap_or(0),
        tags: span.tags.iter().map(key_value_to_ui).collect(),
        logs: span
            .logs
            .iter()
            .map(|log| UiLog {
                timestamp: log
                    .timestamp
                    .as_ref()
                    .map(micros_from_timestamp)
                    .unwrap_or(0),
                fields: log.fields.iter().map(key_value_to_ui).collect(),
            })
            .collect(),
        process_id,
        warnings: (!span.warnings.is_empty()).then(|| span.warnings.clone()),
    }
}

/// One tag in the UI form: its type name and a typed JSON value.
pub fn key_value_to_ui(tag: &KeyValue) -> UiKeyValue {
    let (value_type, value) = match ValueType::try_from(tag.v_type).unwrap_or(ValueType::String) {
        ValueType::String => ("string", Value::String(tag.v_str.clone())),
        ValueType::Bool => ("bool", Value::Bool(tag.v_bool)),
        ValueType::Int64 if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&tag.v_int64) => {
            ("int64", Value::from(tag.v_int64))
        }
        ValueType::Int64 => ("int64", Value::String(tag.v_int64.to_string())),
        ValueType::Float64 => match serde_json::Number::from_f64(tag.v_float64) {
            Some(number) => ("float64", Value::Number(number)),
            // NaN and infinities have no JSON number form.
            None => ("float64", Value::String(tag.v_float64.to_string())),
        },
        ValueType::Binary => (
            "binary",
            Value::String(base64::engine::general_purpose::STANDARD.encode(&tag.v_binary)),
        ),
    };
    UiKeyValue {
        key: tag.key.clone(),
        value_type,
        value,
    }
}

fn trace_hex(bytes: &[u8]) -> String {
    TraceId::from_bytes(bytes).unwrap_or_default().to_string()
}

fn span_hex(bytes: &[u8]) -> String {
    SpanId::from_bytes(bytes).unwrap_or_default().to_string()
}
