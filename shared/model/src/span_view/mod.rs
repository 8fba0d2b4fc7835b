//! A zero-copy view of one api_v2 `Span` encoded in protobuf, as a Kafka message carries it.
//!
//! One walk over the bytes checks them without allocating and keeps what storage needs to key
//! and index a span: ids, times, service, operation and span kind. Tags are then read in place.
//! Storage can thus keep the very bytes it was given instead of decoding every string into the
//! model and encoding it again.
//!
//! The view reads only what prost's decoder reads the same way. It declines (`None`) malformed
//! bytes, unknown fields, a singular field given twice and trace or span ids of the wrong
//! length; callers then take the general path (`Span::decode`), which gives the definitive
//! answer. [`SpanView::kafka_ready`] tells whether [`crate::kafka::decode_protobuf`] would take
//! the span unchanged, so its bytes can be stored as they are.

use crate::api_v2::SpanRefType;
use crate::time::{micros_from_duration, micros_from_timestamp};
use crate::wkt::{Duration, Timestamp};
use crate::{SpanId, TraceId};

mod encoded;
mod messages;
mod processes;
#[cfg(test)]
mod tests;
mod wire;

pub use encoded::EncodedSpan;
use messages::{key_value, log, process, reference, seconds_nanos, span_kind_of};
pub use processes::CheckedProcesses;
use wire::{bytes, for_each_field, number, once, text};

/// One span's bytes, checked, with the fields storage keys and indexes by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanView<'a> {
    bytes: &'a [u8],
    /// The trace id as the span carries it (references name their parent's trace this way).
    trace_id_bytes: &'a [u8],
    /// The trace id, widened to 16 bytes when the span carries 8.
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub operation_name: &'a str,
    /// Start time in microseconds since the epoch (0 when absent).
    pub start_micros: i64,
    /// Duration in microseconds (0 when absent).
    pub duration_micros: i64,
    /// The process's service name; `None` when the span has no process.
    pub service_name: Option<&'a str>,
    /// The first `span.kind` tag's string value, or `""` (as `matching::span_kind` reads it).
    pub span_kind: &'a str,
    /// True when `decode_protobuf` takes these bytes and changes nothing of the span: trace ids
    /// of 16 bytes, valid reference ids, start time, duration and every log's timestamp present.
    pub kafka_ready: bool,
}

/// One tag read in place. Its strings are bytes: [`SpanView::parse`] checked them as UTF-8
/// once, so reading the tags again does not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TagView<'a> {
    pub key: &'a [u8],
    pub value: TagValue<'a>,
}

/// A tag's value by its `v_type` (an unknown type reads as a string, as Jaeger does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TagValue<'a> {
    Str(&'a [u8]),
    Bool(bool),
    Int64(i64),
    Float64(f64),
    Binary(&'a [u8]),
}

impl TagValue<'_> {
    /// Writes the value as `matching::tag_value_string` formats it (hex for binary).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        // Writing into a Vec cannot fail.
        let _ = match self {
            TagValue::Str(text) => out.write_all(text),
            TagValue::Bool(value) => write!(out, "{value}"),
            TagValue::Int64(value) => write!(out, "{value}"),
            TagValue::Float64(value) => write!(out, "{value}"),
            TagValue::Binary(bytes) => bytes.iter().try_for_each(|b| write!(out, "{b:02x}")),
        };
    }
}

impl<'a> SpanView<'a> {
    /// Checks `bytes` as an api_v2 span; `None` when the view declines them (see the module).
    pub fn parse(bytes: &'a [u8]) -> Option<SpanView<'a>> {
        Self::check(bytes, None)
    }

    /// [`SpanView::parse`] for one of many spans: a process whose bytes `checked` holds is not
    /// checked again (the spans of one process carry the same process bytes).
    pub fn parse_with(bytes: &'a [u8], checked: &mut CheckedProcesses) -> Option<SpanView<'a>> {
        Self::check(bytes, Some(checked))
    }

    fn check(bytes: &'a [u8], mut checked: Option<&mut CheckedProcesses>) -> Option<SpanView<'a>> {
        let (mut trace_id, mut span_id): (&[u8], &[u8]) = (&[], &[]);
        let (mut operation_name, mut span_kind) = ("", None);
        let (mut start, mut duration) = (None, None);
        let mut service_name = None;
        let (mut references_ready, mut logs_ready) = (true, true);
        let mut seen = 0;
        for_each_field(bytes, |field, wire| {
            match field {
                1 => {
                    once(&mut seen, field)?;
                    trace_id = self::bytes(wire)?;
                }
                2 => {
                    once(&mut seen, field)?;
                    span_id = self::bytes(wire)?;
                }
                3 => {
                    once(&mut seen, field)?;
                    operation_name = text(wire)?;
                }
                4 => {
                    let (trace_id, span_id, _) = reference(wire)?;
                    references_ready &= trace_id.len() == 16 && span_id.len() == 8;
                }
                5 => {
                    once(&mut seen, field)?;
                    number(wire)?;
                }
                6 => {
                    once(&mut seen, field)?;
                    start = Some(seconds_nanos(wire)?);
                }
                7 => {
                    once(&mut seen, field)?;
                    duration = Some(seconds_nanos(wire)?);
                }
                8 => {
                    let tag = key_value(wire, true)?;
                    if span_kind.is_none() {
                        span_kind = span_kind_of(wire, &tag);
                    }
                }
                9 => logs_ready &= log(wire)?,
                10 => {
                    once(&mut seen, field)?;
                    let message = self::bytes(wire)?;
                    service_name = Some(match checked.as_deref_mut() {
                        Some(checked) => checked.service(message)?,
                        None => process(message)?,
                    });
                }
                11 | 12 => {
                    if field == 11 {
                        once(&mut seen, field)?;
                    }
                    text(wire)?;
                }
                _ => return None,
            }
            Some(())
        })?;
        let (widened, trace_id_bytes) = (trace_id.len() == 8, trace_id);
        let trace_id = TraceId::from_bytes(trace_id).ok()?;
        let span_id = SpanId::from_bytes(span_id).ok()?;
        let micros = |(seconds, nanos)| micros_from_timestamp(&Timestamp { seconds, nanos });
        let duration_micros = |(seconds, nanos)| micros_from_duration(&Duration { seconds, nanos });
        Some(SpanView {
            bytes,
            trace_id_bytes,
            trace_id,
            span_id,
            operation_name,
            start_micros: start.map(micros).unwrap_or(0),
            duration_micros: duration.map(duration_micros).unwrap_or(0),
            service_name,
            span_kind: span_kind.unwrap_or(""),
            kafka_ready: !widened
                && references_ready
                && logs_ready
                && start.is_some()
                && duration.is_some(),
        })
    }

    /// The span's bytes, as given.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Jaeger's `ParentSpanID()`, as `Span::parent_span_id` reads it: the first CHILD_OF
    /// reference in the same trace, else the first FOLLOWS_FROM in the same trace, else none.
    pub fn parent_span_id(&self) -> Option<SpanId> {
        let first_of = |kind: SpanRefType| {
            let mut found = None;
            // The bytes were checked by `parse`: the walk succeeds.
            let _ = for_each_field(self.bytes, |field, wire| {
                if field == 4 && found.is_none() {
                    let (trace_id, span_id, ref_type) = reference(wire)?;
                    if ref_type == kind as i32 && trace_id == self.trace_id_bytes {
                        found = Some(SpanId::from_bytes(span_id).ok());
                    }
                }
                Some(())
            });
            found.flatten()
        };
        first_of(SpanRefType::ChildOf).or_else(|| first_of(SpanRefType::FollowsFrom))
    }

    /// Calls `each` with every tag the span can be found by (what `matching::searchable_tags`
    /// lists: its tags, its log fields and its process tags).
    pub fn for_each_searchable_tag(&self, mut each: impl FnMut(TagView<'a>)) {
        if let Some(process) = self.for_each_own_tag(&mut each) {
            for_each_process_tag(process, each);
        }
    }

    /// Calls `each` with the span's own searchable tags (its tags and log fields, in the order
    /// the bytes hold them) and returns its process's bytes, whose tags
    /// [`for_each_process_tag`] gives: a caller seeing many spans of one process can handle
    /// those once.
    pub fn for_each_own_tag(&self, mut each: impl FnMut(TagView<'a>)) -> Option<&'a [u8]> {
        let mut process = None;
        // The bytes were checked by `parse`: the walk succeeds.
        let _ = for_each_field(self.bytes, |field, wire| {
            match field {
                8 => each(key_value(wire, false)?),
                9 => for_each_fields_tag(bytes(wire)?, &mut each)?,
                10 => process = Some(bytes(wire)?),
                _ => {}
            }
            Some(())
        });
        process
    }
}

/// Calls `each` with the tags of a process given as its protobuf bytes (as
/// [`SpanView::for_each_own_tag`] returns them); stops at the first malformed field.
pub fn for_each_process_tag<'a>(process: &'a [u8], mut each: impl FnMut(TagView<'a>)) {
    let _ = for_each_fields_tag(process, &mut each);
}

/// A log's fields and a process's tags are both field 2 of their message.
fn for_each_fields_tag<'a>(message: &'a [u8], each: &mut impl FnMut(TagView<'a>)) -> Option<()> {
    for_each_field(message, |inner, wire| {
        if inner == 2 {
            each(key_value(wire, false)?);
        }
        Some(())
    })
}
