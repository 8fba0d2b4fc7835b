//! Helpers the adjusters share: Jaeger's key-value ordering (`KeyValue.Compare`), the span-kind
//! test, parent-reference lookup and replacement (`Span.ParentSpanID` / `ReplaceParentID`), and
//! nanosecond arithmetic on protobuf times. It owns no adjustment of its own.

use std::cmp::Ordering;

use spur_model::SpanId;
use spur_model::api_v2::{KeyValue, Span, SpanRef, SpanRefType, ValueType};
use spur_model::wkt::{Duration, Timestamp};

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Jaeger's order on tags: key, then value type, then each value field in turn.
pub(super) fn compare_key_values(a: &KeyValue, b: &KeyValue) -> Ordering {
    a.key
        .cmp(&b.key)
        .then(a.v_type.cmp(&b.v_type))
        .then_with(|| a.v_str.cmp(&b.v_str))
        .then(a.v_bool.cmp(&b.v_bool))
        .then(a.v_int64.cmp(&b.v_int64))
        .then_with(|| {
            a.v_float64
                .partial_cmp(&b.v_float64)
                .unwrap_or(Ordering::Equal)
        })
        .then_with(|| a.v_binary.cmp(&b.v_binary))
}

/// Jaeger's `KeyValues.Sort`.
pub(super) fn sort_key_values(tags: &mut [KeyValue]) {
    tags.sort_by(compare_key_values);
}

/// Jaeger's `HasSpanKind`: the first `span.kind` tag, as a string, equals `kind`.
pub(super) fn has_span_kind(span: &Span, kind: &str) -> bool {
    span.tags
        .iter()
        .find(|tag| tag.key == "span.kind")
        .is_some_and(|tag| tag.v_type == ValueType::String as i32 && tag.v_str == kind)
}

/// The span's id; an id that does not decode reads as 0, as Jaeger's zero value.
pub(super) fn span_id_or_zero(span: &Span) -> SpanId {
    span.span_id().unwrap_or_default()
}

/// Jaeger's `ParentSpanID()`: 0 when the span has no parent in its own trace.
pub(super) fn parent_id_or_zero(span: &Span) -> SpanId {
    span.parent_span_id().unwrap_or_default()
}

fn ref_span_id(reference: &SpanRef) -> Option<SpanId> {
    SpanId::from_bytes(&reference.span_id).ok()
}

/// Jaeger's `ReplaceParentID`: rewrites the reference that names the current parent, or, when
/// there is none, prepends a CHILD_OF reference to `new_parent` (unless it is 0 or already named).
pub(super) fn replace_parent_id(span: &mut Span, new_parent: SpanId) {
    let old_parent = parent_id_or_zero(span);
    let trace_id = span.trace_id.clone();
    if let Some(reference) = span
        .references
        .iter_mut()
        .find(|r| r.trace_id == trace_id && ref_span_id(r) == Some(old_parent))
    {
        reference.span_id = new_parent.to_bytes().to_vec();
        return;
    }
    if new_parent.0 == 0 {
        return;
    }
    let already_named = span
        .references
        .iter()
        .any(|r| r.trace_id == trace_id && ref_span_id(r) == Some(new_parent));
    if already_named {
        return;
    }
    let reference = SpanRef {
        trace_id,
        span_id: new_parent.to_bytes().to_vec(),
        ref_type: SpanRefType::ChildOf as i32,
    };
    span.references.insert(0, reference);
}

/// Nanoseconds since the epoch (a missing timestamp is the epoch).
pub(super) fn timestamp_nanos(timestamp: Option<&Timestamp>) -> i128 {
    timestamp.map_or(0, |t| {
        i128::from(t.seconds) * NANOS_PER_SECOND + i128::from(t.nanos)
    })
}

/// A timestamp from nanoseconds since the epoch.
pub(super) fn timestamp_from_nanos(nanos: i128) -> Timestamp {
    let seconds = nanos.div_euclid(NANOS_PER_SECOND);
    Timestamp {
        seconds: i64::try_from(seconds).unwrap_or(if seconds < 0 { i64::MIN } else { i64::MAX }),
        // rem_euclid is in 0..1e9, which fits an i32.
        nanos: nanos.rem_euclid(NANOS_PER_SECOND) as i32,
    }
}

/// Nanoseconds of a duration (a missing duration is zero).
pub(super) fn duration_nanos(duration: Option<&Duration>) -> i128 {
    duration.map_or(0, |d| {
        i128::from(d.seconds) * NANOS_PER_SECOND + i128::from(d.nanos)
    })
}

/// Clamps nanoseconds to Go's `time.Duration` range, as Go's `Time.Sub` saturates.
pub(super) fn saturate_to_i64(nanos: i128) -> i64 {
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}
