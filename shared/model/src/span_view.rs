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

use std::ops::Range;

use bytes::Bytes;

use crate::api_v2::SpanRefType;
use crate::time::{micros_from_duration, micros_from_timestamp};
use crate::wkt::{Duration, Timestamp};
use crate::{SpanId, TraceId};

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

/// A field's value by wire type.
#[derive(Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32,
    Len(&'a [u8]),
}

/// Reads a varint as prost does: at most 10 bytes, the tenth at most 1.
#[inline]
fn varint(rest: &mut &[u8]) -> Option<u64> {
    // Field keys and short lengths take one byte.
    if let Some((&byte, tail)) = rest.split_first()
        && byte < 0x80
    {
        *rest = tail;
        return Some(u64::from(byte));
    }
    let mut value = 0u64;
    for (index, &byte) in rest.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte < 0x80 {
            if index == 9 && byte > 1 {
                return None;
            }
            *rest = rest.get(index + 1..)?;
            return Some(value);
        }
    }
    None
}

/// The next field of a message: `Some(Ok(..))`, `None` at its end, `Some(Err(()))` when
/// malformed (or a group, which no api_v2 field is).
#[inline]
fn next_field<'a>(rest: &mut &'a [u8]) -> Option<Result<(u32, Wire<'a>), ()>> {
    if rest.is_empty() {
        return None;
    }
    Some(read_field(rest).ok_or(()))
}

#[inline]
fn read_field<'a>(rest: &mut &'a [u8]) -> Option<(u32, Wire<'a>)> {
    let key = u32::try_from(varint(rest)?).ok()?;
    let field = key >> 3;
    if field == 0 {
        return None;
    }
    let wire = match key & 7 {
        0 => Wire::Varint(varint(rest)?),
        1 => {
            let (bytes, tail) = rest.split_first_chunk::<8>()?;
            *rest = tail;
            Wire::Fixed64(u64::from_le_bytes(*bytes))
        }
        2 => {
            let length = usize::try_from(varint(rest)?).ok()?;
            let bytes = rest.get(..length)?;
            *rest = rest.get(length..)?;
            Wire::Len(bytes)
        }
        5 => {
            *rest = rest.get(4..)?;
            Wire::Fixed32
        }
        _ => return None,
    };
    Some((field, wire))
}

/// Calls `each` with every field of a message; `None` when malformed or when `each` declines.
fn for_each_field<'a>(
    mut rest: &'a [u8],
    mut each: impl FnMut(u32, Wire<'a>) -> Option<()>,
) -> Option<()> {
    while let Some(field) = next_field(&mut rest) {
        let (number, wire) = field.ok()?;
        each(number, wire)?;
    }
    Some(())
}

/// Marks singular field `number` seen; `None` when it was already.
fn once(seen: &mut u32, number: u32) -> Option<()> {
    let bit = 1u32.checked_shl(number)?;
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

fn text(wire: Wire<'_>) -> Option<&str> {
    match wire {
        Wire::Len(bytes) => std::str::from_utf8(bytes).ok(),
        _ => None,
    }
}

fn bytes(wire: Wire<'_>) -> Option<&[u8]> {
    match wire {
        Wire::Len(bytes) => Some(bytes),
        _ => None,
    }
}

fn number(wire: Wire<'_>) -> Option<u64> {
    match wire {
        Wire::Varint(value) => Some(value),
        _ => None,
    }
}

/// A `Timestamp` or `Duration` message: (seconds, nanos).
fn seconds_nanos(wire: Wire<'_>) -> Option<(i64, i32)> {
    let (mut seconds, mut nanos, mut seen) = (0, 0, 0);
    for_each_field(bytes(wire)?, |field, wire| {
        once(&mut seen, field)?;
        match field {
            1 => seconds = number(wire)? as i64,
            2 => nanos = number(wire)? as i32,
            _ => return None,
        }
        Some(())
    })?;
    Some((seconds, nanos))
}

/// A `KeyValue` message, checked; its strings checked as UTF-8 with `check_text` (a tag read
/// again after `parse` is not).
fn key_value(wire: Wire<'_>, check_text: bool) -> Option<TagView<'_>> {
    let string = |wire| match check_text {
        true => text(wire).map(str::as_bytes),
        false => bytes(wire),
    };
    let (mut key, mut v_type, mut v_str) = (&[][..], 0i32, &[][..]);
    let (mut v_bool, mut v_int64, mut v_float64, mut v_binary) = (false, 0i64, 0f64, &[][..]);
    let mut seen = 0;
    for_each_field(bytes(wire)?, |field, wire| {
        once(&mut seen, field)?;
        match (field, wire) {
            (1, _) => key = string(wire)?,
            (2, _) => v_type = number(wire)? as i32,
            (3, _) => v_str = string(wire)?,
            (4, _) => v_bool = number(wire)? != 0,
            (5, _) => v_int64 = number(wire)? as i64,
            (6, Wire::Fixed64(bits)) => v_float64 = f64::from_bits(bits),
            (7, _) => v_binary = bytes(wire)?,
            _ => return None,
        }
        Some(())
    })?;
    let value = match v_type {
        1 => TagValue::Bool(v_bool),
        2 => TagValue::Int64(v_int64),
        3 => TagValue::Float64(v_float64),
        4 => TagValue::Binary(v_binary),
        _ => TagValue::Str(v_str),
    };
    Some(TagView { key, value })
}

/// The `v_str` of a `KeyValue` whose key is `span.kind` (what `matching::span_kind` reads).
fn span_kind_of<'a>(tag: Wire<'a>, view: &TagView<'a>) -> Option<&'a str> {
    if view.key != b"span.kind" {
        return None;
    }
    let mut v_str = "";
    for_each_field(bytes(tag)?, |field, wire| {
        if field == 3 {
            v_str = text(wire)?;
        }
        Some(())
    })?;
    Some(v_str)
}

/// A `Log` message, checked; `Some(has_timestamp)`.
fn log(wire: Wire<'_>) -> Option<bool> {
    let mut seen = 0;
    for_each_field(bytes(wire)?, |field, wire| {
        match field {
            1 => {
                once(&mut seen, field)?;
                seconds_nanos(wire)?;
            }
            2 => {
                key_value(wire, true)?;
            }
            _ => return None,
        }
        Some(())
    })?;
    Some(seen != 0)
}

/// A `SpanRef` message, checked: (trace id, span id, reference type).
fn reference(wire: Wire<'_>) -> Option<(&[u8], &[u8], i32)> {
    let (mut trace_id, mut span_id, mut ref_type, mut seen) = (&[][..], &[][..], 0, 0);
    for_each_field(bytes(wire)?, |field, wire| {
        once(&mut seen, field)?;
        match field {
            1 => trace_id = bytes(wire)?,
            2 => span_id = bytes(wire)?,
            3 => ref_type = number(wire)? as i32,
            _ => return None,
        }
        Some(())
    })?;
    Some((trace_id, span_id, ref_type))
}

/// A `Process` message, checked: its service name.
fn process(wire: Wire<'_>) -> Option<&str> {
    let (mut service, mut seen) = ("", 0);
    for_each_field(bytes(wire)?, |field, wire| {
        match field {
            1 => {
                once(&mut seen, field)?;
                service = text(wire)?;
            }
            2 => {
                key_value(wire, true)?;
            }
            _ => return None,
        }
        Some(())
    })?;
    Some(service)
}

/// A span's protobuf bytes, checked once by [`SpanView::parse`], with what the view read kept
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
        let Some(view) = SpanView::parse(&bytes) else {
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

impl<'a> SpanView<'a> {
    /// Checks `bytes` as an api_v2 span; `None` when the view declines them (see the module).
    pub fn parse(bytes: &'a [u8]) -> Option<SpanView<'a>> {
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
                    service_name = Some(process(wire)?);
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
    /// lists: its tags, its process tags and its log fields), in one walk, in the order the
    /// bytes hold them.
    pub fn for_each_searchable_tag(&self, mut each: impl FnMut(TagView<'a>)) {
        // The bytes were checked by `parse`: the walk succeeds.
        let _ = for_each_field(self.bytes, |field, wire| {
            match field {
                8 => each(key_value(wire, false)?),
                // A log's fields and a process's tags are both field 2 of their message.
                9 | 10 => for_each_field(bytes(wire)?, |inner, wire| {
                    if inner == 2 {
                        each(key_value(wire, false)?);
                    }
                    Some(())
                })?,
                _ => {}
            }
            Some(())
        });
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use prost::Message;

    use super::*;
    use crate::api_v2::{KeyValue, Log, Process, Span, SpanRef};
    use crate::kafka::decode_protobuf;

    /// What the view must agree with: the decoded span's fields, read as storage reads them.
    fn expected_tags(span: &Span) -> Vec<(String, String)> {
        let process_tags = span.process.iter().flat_map(|p| p.tags.iter());
        let log_fields = span.logs.iter().flat_map(|log| log.fields.iter());
        span.tags
            .iter()
            .chain(process_tags)
            .chain(log_fields)
            .map(|tag| (tag.key.clone(), value_string(tag)))
            .collect()
    }

    fn value_string(tag: &KeyValue) -> String {
        match tag.v_type {
            1 => tag.v_bool.to_string(),
            2 => tag.v_int64.to_string(),
            3 => tag.v_float64.to_string(),
            4 => tag.v_binary.iter().map(|b| format!("{b:02x}")).collect(),
            _ => tag.v_str.clone(),
        }
    }

    fn viewed_tags(view: &SpanView<'_>) -> Vec<(String, String)> {
        let mut tags = Vec::new();
        view.for_each_searchable_tag(|tag| {
            let mut value = Vec::new();
            tag.value.write_to(&mut value);
            let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
            tags.push((text(tag.key), text(&value)));
        });
        tags
    }

    fn assert_agrees(span: &Span, view: &SpanView<'_>) {
        assert_eq!(Ok(view.trace_id), span.trace_id());
        assert_eq!(Ok(view.span_id), span.span_id());
        assert_eq!(view.operation_name, span.operation_name);
        let start = span.start_time.as_ref().map(micros_from_timestamp);
        assert_eq!(view.start_micros, start.unwrap_or(0));
        let duration = span.duration.as_ref().map(micros_from_duration);
        assert_eq!(view.duration_micros, duration.unwrap_or(0));
        assert_eq!(
            view.service_name,
            span.process.as_ref().map(|p| p.service_name.as_str())
        );
        let kind = span.tags.iter().find(|tag| tag.key == "span.kind");
        assert_eq!(view.span_kind, kind.map(|t| t.v_str.as_str()).unwrap_or(""));
        let (mut viewed, mut expected) = (viewed_tags(view), expected_tags(span));
        viewed.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        expected.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        assert_eq!(viewed, expected);
        assert_eq!(view.parent_span_id(), span.parent_span_id());
    }

    proptest! {
        #[test]
        fn the_view_reads_what_prost_decodes(span in crate::testing::span()) {
            let bytes = span.encode_to_vec();
            let view = SpanView::parse(&bytes).expect("an encoded span is viewed");
            assert_agrees(&span, &view);
            let encoded = EncodedSpan::parse(Bytes::from(bytes.clone())).expect("viewed");
            prop_assert_eq!(encoded.view(), view);
            let normalized = decode_protobuf(&bytes);
            prop_assert_eq!(view.kafka_ready, normalized.as_ref().ok() == Some(&span));
        }

        /// Whatever the view accepts, prost decodes to the same fields: truncated and altered
        /// bytes are either declined or read alike.
        #[test]
        fn damaged_bytes_are_declined_or_read_as_prost_reads_them(
            span in crate::testing::span(),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = span.encode_to_vec();
            let at = flip.index(bytes.len().max(1));
            if let Some(target) = bytes.get_mut(at) {
                *target = byte;
            }
            for bytes in [&bytes[..cut.index(bytes.len() + 1)], &bytes[..]] {
                if let Some(view) = SpanView::parse(bytes) {
                    let decoded = Span::decode(bytes).expect("prost decodes what the view accepts");
                    assert_agrees(&decoded, &view);
                    if view.kafka_ready {
                        prop_assert_eq!(decode_protobuf(bytes).ok(), Some(decoded));
                    }
                }
            }
        }
    }

    fn span() -> Span {
        Span {
            trace_id: TraceId::new(1, 2).to_bytes().to_vec(),
            span_id: SpanId(3).to_bytes().to_vec(),
            operation_name: "op".into(),
            start_time: Some(Timestamp::default()),
            duration: Some(Duration::default()),
            process: Some(Process {
                service_name: "svc".into(),
                tags: vec![KeyValue::bool("p", true)],
            }),
            tags: vec![
                KeyValue::string("span.kind", "server"),
                KeyValue::binary("b", vec![0xab, 1]),
            ],
            logs: vec![Log {
                timestamp: Some(Timestamp::default()),
                fields: vec![KeyValue::float64("f", 1.5)],
            }],
            references: vec![
                SpanRef::new(TraceId::new(1, 2), SpanId(9), SpanRefType::FollowsFrom),
                SpanRef::new(TraceId::new(7, 7), SpanId(7), SpanRefType::ChildOf),
                SpanRef::new(TraceId::new(1, 2), SpanId(8), SpanRefType::ChildOf),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn tags_read_in_encoded_order_with_their_values_formatted() {
        let bytes = span().encode_to_vec();
        let view = SpanView::parse(&bytes).unwrap();
        assert!(view.kafka_ready);
        assert_eq!(view.span_kind, "server");
        assert_eq!(
            view.parent_span_id(),
            Some(SpanId(8)),
            "the first CHILD_OF in the trace"
        );
        let tags = viewed_tags(&view);
        let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("span.kind", "server"),
                ("b", "ab01"),
                ("f", "1.5"),
                ("p", "true")
            ]
        );
    }

    #[test]
    fn an_encoded_span_keeps_what_its_view_read() {
        let bytes = Bytes::from(span().encode_to_vec());
        let encoded = EncodedSpan::parse(bytes.clone()).unwrap();
        assert_eq!(encoded.view(), SpanView::parse(&bytes).unwrap());
        assert_eq!(encoded.view().parent_span_id(), Some(SpanId(8)));
        let declined = Bytes::from_static(&[0x68, 0x01]);
        assert_eq!(EncodedSpan::parse(declined.clone()), Err(declined));
    }

    #[test]
    fn spans_decode_protobuf_would_change_are_not_kafka_ready() {
        let short_trace = Span {
            trace_id: 2u64.to_be_bytes().to_vec(),
            ..span()
        };
        let no_start = Span {
            start_time: None,
            ..span()
        };
        let bad_reference = Span {
            references: vec![SpanRef {
                trace_id: vec![1, 2, 3],
                ..Default::default()
            }],
            ..span()
        };
        for changed in [short_trace, no_start, bad_reference] {
            let bytes = changed.encode_to_vec();
            let view = SpanView::parse(&bytes).unwrap();
            assert!(!view.kafka_ready, "{changed:?}");
        }
        let short = Span {
            trace_id: 2u64.to_be_bytes().to_vec(),
            ..span()
        }
        .encode_to_vec();
        assert_eq!(
            SpanView::parse(&short).unwrap().trace_id,
            TraceId::new(0, 2)
        );
    }

    #[test]
    fn unknown_repeated_and_malformed_fields_are_declined() {
        let bytes = span().encode_to_vec();
        let unknown = [bytes.as_slice(), &[0x68, 0x01]].concat(); // field 13, varint
        let operation_twice = [bytes.as_slice(), &[0x1a, 0x01, b'x']].concat();
        let bad_utf8 = [bytes.as_slice(), &[0x62, 0x01, 0xff]].concat(); // warnings: 0xff
        let bad_span_id = Span {
            span_id: vec![1],
            ..span()
        }
        .encode_to_vec();
        for declined in [unknown, operation_twice, bad_utf8, bad_span_id] {
            assert_eq!(SpanView::parse(&declined), None);
        }
        assert_eq!(SpanView::parse(&bytes[..bytes.len() - 1]), None);
        assert!(SpanView::parse(&[]).is_none(), "no ids");
    }
}
