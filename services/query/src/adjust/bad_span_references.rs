//! Jaeger's `SpanReferences` adjuster: drops references whose trace id is zero (and, in Spur's
//! byte-level model, references whose trace id does not decode), adding a warning per dropped
//! reference worded as Jaeger's (`Invalid span reference removed {TraceID:… SpanID:… RefType:…}`,
//! Go's `%+v` of its generated struct).

use std::fmt::Write as _;

use spur_model::api_v2::{Span, SpanRef, SpanRefType};
use spur_model::{SpanId, TraceId};

pub(super) fn drop_bad_references(spans: &mut [Span]) {
    for span in spans {
        if span.references.iter().all(is_valid) {
            continue;
        }
        let (valid, invalid): (Vec<_>, Vec<_>) = std::mem::take(&mut span.references)
            .into_iter()
            .partition(is_valid);
        span.references = valid;
        span.warnings.extend(
            invalid.iter().map(|reference| {
                format!("Invalid span reference removed {}", go_struct(reference))
            }),
        );
    }
}

fn is_valid(reference: &SpanRef) -> bool {
    TraceId::from_bytes(&reference.trace_id).is_ok_and(|id| !id.is_zero())
}

/// Go's `%+v` of Jaeger's generated `SpanRef`, gogo-protobuf bookkeeping fields included.
fn go_struct(reference: &SpanRef) -> String {
    let trace_id = TraceId::from_bytes(&reference.trace_id)
        .map_or_else(|_| hex(&reference.trace_id), |id| id.to_string());
    let span_id = SpanId::from_bytes(&reference.span_id)
        .map_or_else(|_| hex(&reference.span_id), |id| id.to_string());
    let ref_type = SpanRefType::try_from(reference.ref_type).map_or_else(
        |_| reference.ref_type.to_string(),
        |t| t.as_str_name().to_string(),
    );
    format!(
        "{{TraceID:{trace_id} SpanID:{span_id} RefType:{ref_type} XXX_NoUnkeyedLiteral:{{}} \
         XXX_unrecognized:[] XXX_sizecache:0}}"
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::{TRACE, span};

    #[test]
    fn references_with_a_zero_trace_id_are_dropped_with_a_warning() {
        let mut s = span(2, Some(1));
        s.references.push(SpanRef::new(
            TraceId::new(0, 0),
            SpanId(0xff),
            SpanRefType::FollowsFrom,
        ));
        s.references.push(SpanRef::new(
            TraceId::new(7, 0),
            SpanId(3),
            SpanRefType::FollowsFrom,
        ));
        let mut spans = vec![s, span(3, Some(2))];
        let untouched = spans[1].clone();
        drop_bad_references(&mut spans);
        assert_eq!(
            spans[0].references,
            vec![
                SpanRef::new(TRACE, SpanId(1), SpanRefType::ChildOf),
                SpanRef::new(TraceId::new(7, 0), SpanId(3), SpanRefType::FollowsFrom),
            ]
        );
        assert_eq!(
            spans[0].warnings,
            vec![
                "Invalid span reference removed {TraceID:0000000000000000 \
                 SpanID:00000000000000ff RefType:FOLLOWS_FROM XXX_NoUnkeyedLiteral:{} \
                 XXX_unrecognized:[] XXX_sizecache:0}"
                    .to_string()
            ]
        );
        assert_eq!(spans[1], untouched);
    }

    #[test]
    fn references_whose_trace_id_does_not_decode_are_dropped() {
        let mut s = span(2, None);
        s.references.push(SpanRef {
            trace_id: vec![1, 2, 3],
            span_id: SpanId(1).to_bytes().to_vec(),
            ref_type: SpanRefType::ChildOf as i32,
        });
        let mut spans = vec![s];
        drop_bad_references(&mut spans);
        assert!(spans[0].references.is_empty());
        assert!(spans[0].warnings[0].contains("TraceID:010203 "));
    }
}
