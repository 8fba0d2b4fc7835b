//! Jaeger's `OTelTagAdjuster`: OTLP's instrumentation scope arrives as the span tags
//! `otel.library.name` and `otel.library.version`; they describe the emitting library, not the
//! operation, so they move to the process tags (keeping the other span tags in order). The
//! process tags are then sorted, as Jaeger does for every span.

use spur_model::api_v2::{Process, Span};

use super::support::sort_key_values;

const LIBRARY_KEYS: [&str; 2] = ["otel.library.name", "otel.library.version"];

pub(super) fn move_library_tags(spans: &mut [Span]) {
    for span in spans {
        let (library, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut span.tags)
            .into_iter()
            .partition(|tag| LIBRARY_KEYS.contains(&tag.key.as_str()));
        span.tags = kept;
        if library.is_empty() && span.process.is_none() {
            continue;
        }
        let process = span.process.get_or_insert_with(Process::default);
        process.tags.extend(library);
        sort_key_values(&mut process.tags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::span;
    use spur_model::api_v2::KeyValue;

    #[test]
    fn library_tags_move_to_the_sorted_process_tags() {
        let mut s = span(1, None);
        s.tags = vec![
            KeyValue::string("otel.library.version", "1.2"),
            KeyValue::string("b", "x"),
            KeyValue::string("otel.library.name", "io.opentelemetry.grpc"),
            KeyValue::string("a", "y"),
        ];
        if let Some(process) = s.process.as_mut() {
            process.tags = vec![KeyValue::string("z", "1"), KeyValue::string("host", "h")];
        }
        let mut spans = vec![s];
        move_library_tags(&mut spans);
        assert_eq!(
            spans[0].tags,
            vec![KeyValue::string("b", "x"), KeyValue::string("a", "y")]
        );
        assert_eq!(
            spans[0].process.clone().unwrap_or_default().tags,
            vec![
                KeyValue::string("host", "h"),
                KeyValue::string("otel.library.name", "io.opentelemetry.grpc"),
                KeyValue::string("otel.library.version", "1.2"),
                KeyValue::string("z", "1"),
            ]
        );
    }

    #[test]
    fn a_span_without_process_gets_one_for_the_library_tags() {
        let mut s = span(1, None);
        s.process = None;
        s.tags = vec![KeyValue::string("otel.library.name", "lib")];
        let mut spans = vec![s];
        move_library_tags(&mut spans);
        assert!(spans[0].tags.is_empty());
        assert_eq!(
            spans[0].process.clone().unwrap_or_default().tags,
            vec![KeyValue::string("otel.library.name", "lib")]
        );
    }
}
