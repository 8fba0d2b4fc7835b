//! Test-only span builders for the adjusters' unit tests: one trace id, ids from integers, times
//! in microseconds, hosts as a process `ip` tag.

use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, micros_from_timestamp, timestamp_from_micros};
use spur_model::{SpanId, TraceId};

pub(super) const TRACE: TraceId = TraceId::new(0, 0xabc);

/// A span of [`TRACE`] with a CHILD_OF reference to `parent` when given.
pub(super) fn span(id: u64, parent: Option<u64>) -> Span {
    Span {
        trace_id: TRACE.to_bytes().to_vec(),
        span_id: SpanId(id).to_bytes().to_vec(),
        operation_name: format!("op-{id}"),
        references: parent
            .map(|p| vec![SpanRef::new(TRACE, SpanId(p), SpanRefType::ChildOf)])
            .unwrap_or_default(),
        start_time: Some(timestamp_from_micros(0)),
        duration: Some(duration_from_micros(0)),
        process: Some(Process {
            service_name: "svc".to_string(),
            tags: Vec::new(),
        }),
        ..Default::default()
    }
}

pub(super) fn with_kind(mut span: Span, kind: &str) -> Span {
    span.tags.push(KeyValue::string("span.kind", kind));
    span
}

pub(super) fn timed(mut span: Span, start_micros: i64, duration_micros: i64) -> Span {
    span.start_time = Some(timestamp_from_micros(start_micros));
    span.duration = Some(duration_from_micros(duration_micros));
    span
}

pub(super) fn on_host(mut span: Span, ip: &str) -> Span {
    if let Some(process) = span.process.as_mut() {
        process.tags.push(KeyValue::string("ip", ip));
    }
    span
}

pub(super) fn with_log_at(mut span: Span, micros: i64) -> Span {
    span.logs.push(Log {
        timestamp: Some(timestamp_from_micros(micros)),
        fields: vec![KeyValue::string("event", "x")],
    });
    span
}

pub(super) fn start_micros(span: &Span) -> i64 {
    micros_from_timestamp(&span.start_time.unwrap_or_default())
}

pub(super) fn id(span: &Span) -> u64 {
    span.span_id().map(|id| id.0).unwrap_or_default()
}

pub(super) fn parent(span: &Span) -> Option<u64> {
    span.parent_span_id().map(|id| id.0)
}
