//! Jaeger's `SortLogFields`: in every log, the first string `event` field moves to the front
//! (swapping places with the field that was there) and the fields after it are sorted by key
//! (then type and value, Jaeger's tag order).

use spur_model::api_v2::{Span, ValueType};

use super::support::sort_key_values;

pub(super) fn sort_log_fields(spans: &mut [Span]) {
    for log in spans.iter_mut().flat_map(|span| span.logs.iter_mut()) {
        let event = log
            .fields
            .iter()
            .position(|field| field.key == "event" && field.v_type == ValueType::String as i32);
        let sorted_from = match event {
            Some(index) => {
                log.fields.swap(0, index);
                1
            }
            None => 0,
        };
        if log.fields.len() > 1 {
            sort_key_values(&mut log.fields[sorted_from..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::span;
    use spur_model::api_v2::{KeyValue, Log};

    fn keys(span: &Span, log: usize) -> Vec<&str> {
        span.logs[log]
            .fields
            .iter()
            .map(|f| f.key.as_str())
            .collect()
    }

    #[test]
    fn event_first_then_fields_by_key() {
        let mut s = span(1, None);
        s.logs = vec![
            Log {
                timestamp: None,
                fields: vec![
                    KeyValue::string("message", "m"),
                    KeyValue::string("level", "info"),
                    KeyValue::string("event", "retry"),
                    KeyValue::string("attempt", "2"),
                ],
            },
            Log {
                timestamp: None,
                fields: vec![
                    KeyValue::int64("event", 3),
                    KeyValue::string("b", "b"),
                    KeyValue::string("a", "a"),
                ],
            },
        ];
        let mut spans = vec![s];
        sort_log_fields(&mut spans);
        assert_eq!(keys(&spans[0], 0), ["event", "attempt", "level", "message"]);
        // A non-string `event` is sorted like any other field.
        assert_eq!(keys(&spans[0], 1), ["a", "b", "event"]);
    }
}
