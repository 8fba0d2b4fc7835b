//! The backend's metrics. Jaeger's names where Jaeger has the metric (jaeger-interfaces §8.5:
//! `jaeger_bulk_index_*` per bulk request, `jaeger_index_create_*`), so dashboards built for
//! Jaeger's Elasticsearch writer keep working; Spur's own under `spur_storage_elasticsearch_*`.

use std::time::Instant;

/// Bulk requests sent, succeeded (`inserts`: requests without a failed item) and failed.
pub const BULK_ATTEMPTS: &str = "jaeger_bulk_index_attempts_total";
pub const BULK_INSERTS: &str = "jaeger_bulk_index_inserts_total";
pub const BULK_ERRORS: &str = "jaeger_bulk_index_errors_total";
pub const BULK_LATENCY_OK: &str = "jaeger_bulk_index_latency_ok";
pub const BULK_LATENCY_ERR: &str = "jaeger_bulk_index_latency_err";
/// Index templates and rollover indices created (`jaeger_index_create_*`).
pub const INDEX_CREATE_ATTEMPTS: &str = "jaeger_index_create_attempts_total";
pub const INDEX_CREATE_ERRORS: &str = "jaeger_index_create_errors_total";
/// Documents written, by `kind` (`span`, `service`, `dependencies`) (Spur's).
pub const DOCUMENTS_WRITTEN: &str = "spur_storage_elasticsearch_documents_written_total";
/// Bulk items refused, by `kind` and `reason` (`retried`: a retryable refusal that is sent
/// again; `rejected`: a refusal that is final, the write fails) (Spur's).
pub const ITEMS_FAILED: &str = "spur_storage_elasticsearch_bulk_items_failed_total";
/// Documents in a bulk request and its size (Spur's).
pub const BULK_DOCUMENTS: &str = "spur_storage_elasticsearch_bulk_documents";
pub const BULK_BYTES: &str = "spur_storage_elasticsearch_bulk_bytes";
/// Spans rejected before any write for invalid ids or a missing process (Spur's).
pub const SPANS_REJECTED: &str = "spur_storage_elasticsearch_spans_rejected_total";
/// Stored documents that could not be read as spans, skipped (Spur's).
pub const DOCUMENTS_UNREADABLE: &str = "spur_storage_elasticsearch_documents_unreadable_total";
/// Spans read twice (Jaeger's random ids, a redelivery) and returned once (Spur's).
pub const DUPLICATES_DROPPED: &str = "spur_storage_elasticsearch_duplicate_spans_dropped_total";
/// Searches, by `operation` and `result` (`ok`/`err`), and their latency (Spur's).
pub const SEARCHES: &str = "spur_storage_elasticsearch_searches_total";
pub const SEARCH_SECONDS: &str = "spur_storage_elasticsearch_search_seconds";

/// Records one bulk request: its outcome and how long it took.
pub fn record_bulk(started: Instant, ok: bool) {
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!(BULK_ATTEMPTS).increment(1);
    if ok {
        metrics::counter!(BULK_INSERTS).increment(1);
        metrics::histogram!(BULK_LATENCY_OK).record(seconds);
    } else {
        metrics::counter!(BULK_ERRORS).increment(1);
        metrics::histogram!(BULK_LATENCY_ERR).record(seconds);
    }
}

/// Records one search of `operation` (`get_trace`, `find_trace_ids`, `get_services`, ...).
pub fn record_search<T, E>(operation: &'static str, started: Instant, result: &Result<T, E>) {
    let outcome = if result.is_ok() { "ok" } else { "err" };
    metrics::counter!(SEARCHES, "operation" => operation, "result" => outcome).increment(1);
    metrics::histogram!(SEARCH_SECONDS, "operation" => operation)
        .record(started.elapsed().as_secs_f64());
}

/// Counts one index or template creation attempt.
pub fn counter_index_create() {
    metrics::counter!(INDEX_CREATE_ATTEMPTS).increment(1);
}

/// Counts one document acknowledged.
pub fn counter_written(kind: &'static str) {
    metrics::counter!(DOCUMENTS_WRITTEN, "kind" => kind).increment(1);
}

/// Counts one refused bulk item.
pub fn counter_item_failed(kind: &'static str, reason: &'static str) {
    metrics::counter!(ITEMS_FAILED, "kind" => kind, "reason" => reason).increment(1);
}

/// Records the documents and bytes of one bulk request.
pub fn record_bulk_shape(documents: usize, bytes: usize) {
    #[allow(clippy::cast_precision_loss)]
    {
        metrics::histogram!(BULK_DOCUMENTS).record(documents as f64);
        metrics::histogram!(BULK_BYTES).record(bytes as f64);
    }
}
