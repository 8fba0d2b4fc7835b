//! [`EncodedSpan`]: a span's bytes, checked once, with what the view read kept beside them.

use std::ops::Range;

use bytes::Bytes;

use super::{CheckedProcesses, SpanView};
use crate::{SpanId, TraceId};

/// beside them: later stages (dependency links, storage keys) read it without walking the bytes
/// again. Only [`EncodedSpan::parse`] makes one, so the two always agree.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedSpan {
    bytes: Bytes,
    trace_id_bytes: Range<usize>,
    trace_id: TraceId,
    span_id: SpanId,
    operation_name: Range<usize>,
    start_micros: i64,
    duration_micros: i64,
    service_name: Option<Range<usize>>,
    span_kind: Range<usize>,
    kafka_ready: bool,
}

impl EncodedSpan {
    /// Checks `bytes` as [`SpanView::parse`] does; gives them back when the view declines them.
    pub fn parse(bytes: Bytes) -> Result<EncodedSpan, Bytes> {
        Self::check(bytes, None)
    }

    /// [`EncodedSpan::parse`] for one of many spans, as [`SpanView::parse_with`] checks them.
    pub fn parse_with(bytes: Bytes, checked: &mut CheckedProcesses) -> Result<EncodedSpan, Bytes> {
        Self::check(bytes, Some(checked))
    }

    fn check(bytes: Bytes, checked: Option<&mut CheckedProcesses>) -> Result<EncodedSpan, Bytes> {
        let Some(view) = SpanView::check(&bytes, checked) else {
            return Err(bytes);
        };
        let base = bytes.as_ptr() as usize;
        let range = |part: &[u8]| {
            let start = (part.as_ptr() as usize).wrapping_sub(base).min(bytes.len());
            start..(start + part.len()).min(bytes.len())
        };
        Ok(EncodedSpan {
            trace_id_bytes: range(view.trace_id_bytes),
            trace_id: view.trace_id,
            span_id: view.span_id,
            operation_name: range(view.operation_name.as_bytes()),
            start_micros: view.start_micros,
            duration_micros: view.duration_micros,
            service_name: view.service_name.map(|name| range(name.as_bytes())),
            span_kind: range(view.span_kind.as_bytes()),
            kafka_ready: view.kafka_ready,
            bytes,
        })
    }

    /// The view `parse` read (its strings are checked again: a few short slices).
    pub fn view(&self) -> SpanView<'_> {
        let bytes = self.bytes.as_ref();
        let text = |range: &Range<usize>| {
            bytes
                .get(range.clone())
                .and_then(|part| std::str::from_utf8(part).ok())
                .unwrap_or("")
        };
        SpanView {
            bytes,
            trace_id_bytes: bytes.get(self.trace_id_bytes.clone()).unwrap_or(&[]),
            trace_id: self.trace_id,
            span_id: self.span_id,
            operation_name: text(&self.operation_name),
            start_micros: self.start_micros,
            duration_micros: self.duration_micros,
            service_name: self.service_name.as_ref().map(text),
            span_kind: text(&self.span_kind),
            kafka_ready: self.kafka_ready,
        }
    }

    /// The span's bytes, as given.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}
