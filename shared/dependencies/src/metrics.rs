//! The dependency derivation's metrics (Jaeger has none for it).

pub const LINKS_STORED: &str = "spur_dependencies_calls_stored_total";
pub const STORE_ERRORS: &str = "spur_dependencies_store_errors_total";
pub const SPANS_TRACKED: &str = "spur_dependencies_spans_tracked";
pub const SPANS_UNTRACKED: &str = "spur_dependencies_spans_untracked_total";

/// Registers the descriptions once per process (repeated calls are harmless).
pub fn describe() {
    metrics::describe_counter!(
        LINKS_STORED,
        "parent-to-child service calls stored as dependency links"
    );
    metrics::describe_counter!(
        STORE_ERRORS,
        "dependency link writes that failed (their counts are kept for the next flush)"
    );
    metrics::describe_gauge!(
        SPANS_TRACKED,
        "spans remembered to pair with parents or children arriving later"
    );
    metrics::describe_counter!(
        SPANS_UNTRACKED,
        "spans left out of the dependency graph, by reason (too_many_services, invalid_id)"
    );
}
