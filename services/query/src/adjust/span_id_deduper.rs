//! Jaeger's `SpanIDDeduper`: Zipkin-style clients give the client and the server side of an RPC
//! the same span id, but the UI needs unique ids. A server span (`span.kind=server`) whose id is
//! also a client span's gets the lowest id above every id handed out so far that no span in the
//! trace uses, becomes a child of the shared id (the client span), and spans that named the
//! shared id as their parent are re-parented to the new id. Other id collisions are left alone
//! (the clock-skew adjuster flags them).

use std::collections::{HashMap, HashSet};

use spur_model::SpanId;
use spur_model::api_v2::Span;

use super::support::{has_span_kind, parent_id_or_zero, replace_parent_id, span_id_or_zero};

/// Jaeger's warning when the id space above the largest handed-out id is exhausted.
pub(super) const WARNING_TOO_MANY_SPANS: &str =
    "cannot assign unique span ID, too many spans in the trace";

pub(super) fn dedupe_span_ids(spans: &mut [Span]) {
    let used: HashSet<SpanId> = spans.iter().map(span_id_or_zero).collect();
    let client_ids: HashSet<SpanId> = spans
        .iter()
        .filter(|span| has_span_kind(span, "client"))
        .map(span_id_or_zero)
        .collect();
    let mut ids = UniqueIds {
        used: &used,
        max_used: 0,
    };
    let mut old_to_new: HashMap<SpanId, SpanId> = HashMap::new();
    for span in spans.iter_mut() {
        let shared = span_id_or_zero(span);
        if !has_span_kind(span, "server") || !client_ids.contains(&shared) {
            continue;
        }
        let Some(new_id) = ids.next() else {
            span.warnings.push(WARNING_TOO_MANY_SPANS.to_string());
            continue;
        };
        old_to_new.insert(shared, new_id);
        // The previously shared id (the client span) becomes the server span's parent.
        replace_parent_id(span, shared);
        span.span_id = new_id.to_bytes().to_vec();
    }
    for span in spans.iter_mut() {
        let Some(&new_parent) = old_to_new.get(&parent_id_or_zero(span)) else {
            continue;
        };
        if span_id_or_zero(span) != new_parent {
            replace_parent_id(span, new_parent);
        }
    }
}

/// Hands out ids above the largest one handed out so far that no span of the trace uses.
struct UniqueIds<'a> {
    used: &'a HashSet<SpanId>,
    max_used: u64,
}

impl UniqueIds<'_> {
    fn next(&mut self) -> Option<SpanId> {
        // Jaeger never hands out u64::MAX itself.
        let id = (self.max_used.checked_add(1)?..u64::MAX)
            .find(|id| !self.used.contains(&SpanId(*id)))?;
        self.max_used = id;
        Some(SpanId(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::{id, parent, span, with_kind};

    #[test]
    fn server_span_sharing_a_client_id_gets_a_new_id_and_its_children_follow() {
        let mut spans = vec![
            with_kind(span(1, None), "client"),
            with_kind(span(1, None), "server"),
            span(2, Some(1)),
        ];
        dedupe_span_ids(&mut spans);
        // 3 is the lowest id above 0 not in {1, 2}.
        assert_eq!((id(&spans[0]), parent(&spans[0])), (1, None));
        assert_eq!((id(&spans[1]), parent(&spans[1])), (3, Some(1)));
        assert_eq!((id(&spans[2]), parent(&spans[2])), (2, Some(3)));
        assert!(spans.iter().all(|s| s.warnings.is_empty()));
    }

    #[test]
    fn server_span_keeps_its_parent_reference_slot_when_it_had_one() {
        // Zipkin shared span: the server half names the client's parent (0x10).
        let mut spans = vec![
            with_kind(span(1, Some(0x10)), "client"),
            with_kind(span(1, Some(0x10)), "server"),
        ];
        dedupe_span_ids(&mut spans);
        assert_eq!(spans[1].references.len(), 1);
        assert_eq!(parent(&spans[1]), Some(1));
        assert_eq!(id(&spans[1]), 2);
    }

    #[test]
    fn ids_shared_without_a_client_span_are_left_alone() {
        let mut spans = vec![
            with_kind(span(1, None), "server"),
            with_kind(span(1, None), "server"),
            span(1, None),
        ];
        let before = spans.clone();
        dedupe_span_ids(&mut spans);
        assert_eq!(spans, before);
    }

    #[test]
    fn new_ids_skip_used_ones_and_run_out_below_u64_max() {
        let used: HashSet<SpanId> = [SpanId(5)].into_iter().collect();
        let mut ids = UniqueIds {
            used: &used,
            max_used: 4,
        };
        assert_eq!(ids.next(), Some(SpanId(6)));
        let mut ids = UniqueIds {
            used: &used,
            max_used: u64::MAX - 1,
        };
        assert_eq!(ids.next(), None);
    }
}
