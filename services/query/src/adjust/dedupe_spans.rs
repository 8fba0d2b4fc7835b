//! Drops exact duplicate spans. Kafka and client retries deliver at least once, and a backend
//! without a primary key on spans (Elasticsearch, for one) stores each delivery, so a trace can
//! hold the same span twice. Spans are duplicates only when every field is equal, compared on
//! their protobuf encoding (Jaeger v2's `DeduplicateSpans` hashes the span the same way); the
//! first copy is kept in place. Jaeger v1.57's HTTP adjusters have no such step.

use std::collections::HashSet;

use prost::Message;
use spur_model::api_v2::Span;

pub(super) fn drop_duplicate_spans(spans: Vec<Span>) -> Vec<Span> {
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(spans.len());
    spans
        .into_iter()
        .filter(|span| seen.insert(span.encode_to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::{span, timed};
    use spur_model::api_v2::KeyValue;

    #[test]
    fn drops_exact_duplicates_keeping_first_copy_in_order() {
        let a = timed(span(1, None), 10, 5);
        let b = timed(span(2, Some(1)), 11, 1);
        let spans = vec![a.clone(), b.clone(), a.clone(), b.clone(), a.clone()];
        assert_eq!(drop_duplicate_spans(spans), vec![a, b]);
    }

    #[test]
    fn keeps_spans_that_differ_in_any_field() {
        let a = span(1, None);
        let mut tagged = a.clone();
        tagged.tags.push(KeyValue::bool("error", true));
        let later = timed(a.clone(), 1, 0);
        let spans = vec![a, tagged, later];
        assert_eq!(drop_duplicate_spans(spans.clone()), spans);
    }
}
