//! The backend's metrics, under Jaeger's names (`jaeger_cassandra_*`, jaeger-interfaces §8.5) so
//! dashboards built for Jaeger's Cassandra writer keep working: per table, attempts, inserts,
//! errors and latency of writes, and the same for reads (`jaeger_cassandra_read_*`).

use std::time::Instant;

pub const ATTEMPTS: &str = "jaeger_cassandra_attempts_total";
pub const INSERTS: &str = "jaeger_cassandra_inserts_total";
pub const ERRORS: &str = "jaeger_cassandra_errors_total";
pub const LATENCY_OK: &str = "jaeger_cassandra_latency_ok";
pub const LATENCY_ERR: &str = "jaeger_cassandra_latency_err";
pub const READ_ATTEMPTS: &str = "jaeger_cassandra_read_attempts_total";
pub const READ_ERRORS: &str = "jaeger_cassandra_read_errors_total";
pub const READ_LATENCY_OK: &str = "jaeger_cassandra_read_latency_ok";
pub const READ_LATENCY_ERR: &str = "jaeger_cassandra_read_latency_err";
/// Tag pairs left out of `tag_index` (too long, a JSON object, or over the cardinality cap).
pub const TAG_INDEX_SKIPPED: &str = "jaeger_cassandra_tag_index_skipped_total";
/// Spans not written because they were already older than the span TTL (Spur's).
pub const SPANS_EXPIRED: &str = "spur_storage_cassandra_spans_expired_total";
/// Traces read back cut to `max_trace_spans` (Spur's).
pub const TRACES_TRUNCATED: &str = "spur_storage_cassandra_traces_truncated_total";

/// Records one write to `table`: its outcome and how long it took.
pub fn record_write<T, E>(table: &'static str, started: Instant, result: &Result<T, E>) {
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!(ATTEMPTS, "table" => table).increment(1);
    if result.is_ok() {
        metrics::counter!(INSERTS, "table" => table).increment(1);
        metrics::histogram!(LATENCY_OK, "table" => table).record(seconds);
    } else {
        metrics::counter!(ERRORS, "table" => table).increment(1);
        metrics::histogram!(LATENCY_ERR, "table" => table).record(seconds);
    }
}

/// Records one read of `table` (Jaeger's read table names: `read_traces`, `query_traces`,
/// `tag_index`, ...).
pub fn record_read<T, E>(table: &'static str, started: Instant, result: &Result<T, E>) {
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!(READ_ATTEMPTS, "table" => table).increment(1);
    if result.is_ok() {
        metrics::histogram!(READ_LATENCY_OK, "table" => table).record(seconds);
    } else {
        metrics::counter!(READ_ERRORS, "table" => table).increment(1);
        metrics::histogram!(READ_LATENCY_ERR, "table" => table).record(seconds);
    }
}
