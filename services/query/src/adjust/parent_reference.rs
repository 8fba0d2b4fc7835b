//! Jaeger's `ParentReference` adjuster: the Jaeger UI takes a span's first reference as its
//! parent, so the first CHILD_OF reference in the span's own trace swaps places with the first
//! reference; without one, the first same-trace reference of another type does. References to
//! other traces never move to the front.

use spur_model::api_v2::{Span, SpanRefType};

pub(super) fn parent_reference_first(spans: &mut [Span]) {
    for span in spans {
        let same_trace = |index: &usize| span.references[*index].trace_id == span.trace_id;
        let indexes = 0..span.references.len();
        let first_child_of = indexes
            .clone()
            .filter(same_trace)
            .find(|&i| span.references[i].ref_type == SpanRefType::ChildOf as i32);
        let parent = first_child_of.or_else(|| indexes.clone().find(same_trace));
        if let Some(index) = parent.filter(|&index| index != 0) {
            span.references.swap(0, index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::{TRACE, span};
    use spur_model::api_v2::SpanRef;
    use spur_model::{SpanId, TraceId};

    fn refs(kinds: &[(TraceId, u64, SpanRefType)]) -> Vec<SpanRef> {
        kinds
            .iter()
            .map(|&(trace, id, kind)| SpanRef::new(trace, SpanId(id), kind))
            .collect()
    }

    #[test]
    fn child_of_moves_first() {
        let other = TraceId::new(0, 0xdef);
        let mut s = span(9, None);
        s.references = refs(&[
            (TRACE, 1, SpanRefType::FollowsFrom),
            (other, 2, SpanRefType::ChildOf),
            (TRACE, 3, SpanRefType::ChildOf),
        ]);
        let mut spans = vec![s];
        parent_reference_first(&mut spans);
        assert_eq!(
            spans[0].references,
            refs(&[
                (TRACE, 3, SpanRefType::ChildOf),
                (other, 2, SpanRefType::ChildOf),
                (TRACE, 1, SpanRefType::FollowsFrom),
            ])
        );
    }

    #[test]
    fn without_child_of_the_first_same_trace_reference_moves_first() {
        let other = TraceId::new(0, 0xdef);
        let mut s = span(9, None);
        s.references = refs(&[
            (other, 2, SpanRefType::FollowsFrom),
            (TRACE, 1, SpanRefType::FollowsFrom),
        ]);
        let mut spans = vec![s];
        parent_reference_first(&mut spans);
        assert_eq!(
            spans[0].references,
            refs(&[
                (TRACE, 1, SpanRefType::FollowsFrom),
                (other, 2, SpanRefType::FollowsFrom),
            ])
        );
    }
}
