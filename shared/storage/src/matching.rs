//! Query semantics shared by every backend: whether a span matches a [`TraceQuery`], the string
//! form of tag values, and a span's kind. Backends use their indexes to find candidates, then
//! these functions to decide, so all of them answer alike.

use spur_model::api_v2::{KeyValue, Span, ValueType};
use spur_model::time::{micros_from_duration, micros_from_timestamp};

use crate::TraceQuery;

/// The string a tag value is compared with in queries: strings as-is, `true`/`false`, decimal
/// integers and floats (Rust's shortest round-trip form), lower-case hex for binary.
pub fn tag_value_string(tag: &KeyValue) -> String {
    match ValueType::try_from(tag.v_type).unwrap_or(ValueType::String) {
        ValueType::String => tag.v_str.clone(),
        ValueType::Bool => tag.v_bool.to_string(),
        ValueType::Int64 => tag.v_int64.to_string(),
        ValueType::Float64 => tag.v_float64.to_string(),
        ValueType::Binary => tag
            .v_binary
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
    }
}

/// The span's `span.kind` tag value, or `""` when it has none.
pub fn span_kind(span: &Span) -> &str {
    span.tags
        .iter()
        .find(|tag| tag.key == "span.kind")
        .map(|tag| tag.v_str.as_str())
        .unwrap_or("")
}

pub fn service_name(span: &Span) -> &str {
    span.process
        .as_ref()
        .map(|process| process.service_name.as_str())
        .unwrap_or("")
}

pub fn start_micros(span: &Span) -> i64 {
    span.start_time
        .as_ref()
        .map(micros_from_timestamp)
        .unwrap_or(0)
}

pub fn duration_micros(span: &Span) -> i64 {
    span.duration
        .as_ref()
        .map(micros_from_duration)
        .unwrap_or(0)
}

/// Every tag a span can be found by: its tags, its process tags, and its log fields.
pub fn searchable_tags(span: &Span) -> impl Iterator<Item = &KeyValue> {
    let process_tags = span.process.iter().flat_map(|process| process.tags.iter());
    let log_fields = span.logs.iter().flat_map(|log| log.fields.iter());
    span.tags.iter().chain(process_tags).chain(log_fields)
}

fn has_tag(span: &Span, key: &str, value: &str) -> bool {
    searchable_tags(span).any(|tag| tag.key == key && tag_value_string(tag) == value)
}

/// Whether this one span satisfies every condition of the query.
pub fn span_matches(span: &Span, query: &TraceQuery) -> bool {
    if service_name(span) != query.service_name {
        return false;
    }
    if let Some(operation) = &query.operation_name
        && span.operation_name != *operation
    {
        return false;
    }
    let start = start_micros(span);
    if start < query.start_time_min || start > query.start_time_max {
        return false;
    }
    let duration = duration_micros(span);
    if query.duration_min.is_some_and(|min| duration < min)
        || query.duration_max.is_some_and(|max| duration > max)
    {
        return false;
    }
    query
        .tags
        .iter()
        .all(|(key, value)| has_tag(span, key, value))
}
