//! Trace adjusters: the fixes Jaeger's HTTP API applies to a trace's spans before returning them
//! (Jaeger v1.57 `querysvc.StandardAdjusters`; the gRPC API returns spans raw). Each adjuster is
//! a pure function in its own file; [`adjust_with`] runs them in this order:
//!
//! 1. [`dedupe_spans`]: drop exact duplicate spans (at-least-once delivery; not in Jaeger v1);
//! 2. [`span_id_deduper`]: give server spans that share a client span's id a new id;
//! 3. [`clock_skew`]: flag missing parents and duplicate ids, shift children on other hosts into
//!    their parents (disabled by default: only a warning is added);
//! 4. [`ip_tag`]: numeric `ip`/`peer.ipv4` tags to dotted strings;
//! 5. [`otel_tag`]: `otel.library.*` span tags to the process, process tags sorted;
//! 6. [`sort_log_fields`]: `event` first in each log, the other fields by key;
//! 7. [`bad_span_references`]: drop references with a zero trace id;
//! 8. [`parent_reference`]: the parent reference first;
//!
//! and finally sorts the spans by start time. Problems found go to each span's `warnings`; no
//! adjuster fails. Fetching traces and encoding them live in the HTTP module, not here.

mod bad_span_references;
mod clock_skew;
mod dedupe_spans;
mod go_duration;
mod ip_tag;
mod otel_tag;
mod parent_reference;
mod sort_log_fields;
mod span_id_deduper;
mod support;

#[cfg(test)]
mod fixtures;

use std::time::Duration;

use spur_model::api_v2::Span;

/// Settings of the adjusters (Jaeger's `query.max-clock-skew-adjustment`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdjustOptions {
    /// The largest shift the clock-skew adjuster applies; 0 (the default, as in Jaeger) disables
    /// shifting, and spans that would have moved get a warning instead.
    pub max_clock_skew_adjustment: Duration,
}

/// Applies Jaeger's HTTP adjusters to one trace's spans, in Jaeger's order, with default options
/// (clock-skew adjustment disabled).
pub fn adjust(spans: Vec<Span>) -> Vec<Span> {
    adjust_with(spans, &AdjustOptions::default())
}

/// Applies the adjusters with the given options; see the module documentation for the order.
pub fn adjust_with(spans: Vec<Span>, options: &AdjustOptions) -> Vec<Span> {
    // Duplicates go before the id deduper: two copies of one server span would otherwise get
    // two different new ids and no longer be equal.
    let mut spans = dedupe_spans::drop_duplicate_spans(spans);
    span_id_deduper::dedupe_span_ids(&mut spans);
    clock_skew::adjust_clock_skew(&mut spans, options.max_clock_skew_adjustment);
    ip_tag::adjust_ip_tags(&mut spans);
    otel_tag::move_library_tags(&mut spans);
    sort_log_fields::sort_log_fields(&mut spans);
    bad_span_references::drop_bad_references(&mut spans);
    parent_reference::parent_reference_first(&mut spans);
    spans.sort_by_key(|span| span.start_time.unwrap_or_default());
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixtures::{id, on_host, parent, span, start_micros, timed, with_kind};

    #[test]
    fn duplicated_server_span_is_deduplicated_before_ids_are_rewritten() {
        let client = on_host(
            timed(with_kind(span(1, None), "client"), 0, 100),
            "10.0.0.1",
        );
        let server = on_host(
            timed(with_kind(span(1, None), "server"), 10, 80),
            "10.0.0.2",
        );
        let spans = adjust(vec![client, server.clone(), server]);
        assert_eq!(spans.len(), 2);
        assert_eq!((id(&spans[1]), parent(&spans[1])), (2, Some(1)));
        assert!(spans.iter().all(|s| s.warnings.is_empty()));
    }

    #[test]
    fn runs_every_adjuster_and_sorts_by_start_time() {
        let root = on_host(timed(span(1, None), 1_000, 100), "10.0.0.1");
        let child = on_host(timed(span(2, Some(1)), 500, 50), "10.0.0.2");
        let orphan = timed(span(3, Some(0x42)), 2_000, 1);
        let input = vec![orphan, root.clone(), child.clone(), root];

        let spans = adjust(input.clone());
        assert_eq!(spans.iter().map(id).collect::<Vec<_>>(), [2, 1, 3]);
        assert_eq!(
            spans[0].warnings,
            ["clock skew adjustment disabled; not applying calculated delta of 525µs"]
        );
        assert_eq!(
            spans[2].warnings,
            ["invalid parent span IDs=0000000000000042; skipping clock skew adjustment"]
        );

        let options = AdjustOptions {
            max_clock_skew_adjustment: Duration::from_secs(1),
        };
        let spans = adjust_with(input, &options);
        assert_eq!(spans.iter().map(id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(start_micros(&spans[1]), 1_025);
    }
}
