//! The api_v2 messages nested in a span (timestamps, tags, logs, references, the process),
//! each checked field by field as prost reads it.

use super::wire::{Wire, bytes, for_each_field, number, once, text};
use super::{TagValue, TagView};

/// A `Timestamp` or `Duration` message: (seconds, nanos).
pub(super) fn seconds_nanos(wire: Wire<'_>) -> Option<(i64, i32)> {
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
pub(super) fn key_value(wire: Wire<'_>, check_text: bool) -> Option<TagView<'_>> {
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
pub(super) fn span_kind_of<'a>(tag: Wire<'a>, view: &TagView<'a>) -> Option<&'a str> {
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
pub(super) fn log(wire: Wire<'_>) -> Option<bool> {
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
pub(super) fn reference(wire: Wire<'_>) -> Option<(&[u8], &[u8], i32)> {
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

/// A `Process` message given as its bytes, checked: its service name.
pub(super) fn process(message: &[u8]) -> Option<&str> {
    let (mut service, mut seen) = ("", 0);
    for_each_field(message, |field, wire| {
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
