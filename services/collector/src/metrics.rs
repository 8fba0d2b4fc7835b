//! Every metric the collector records, by name. Where Jaeger v1's collector has the metric it
//! keeps Jaeger's name and labels (dashboards and alerts keep working); the rest are
//! `spur_collector_*`. Label values come from fixed vocabularies, and service names are capped
//! as Jaeger caps them (4,000 distinct, then `other-services`).

use std::collections::HashSet;
use std::sync::Mutex;

pub const SPANS_RECEIVED: &str = "jaeger_collector_spans_received_total";
pub const TRACES_RECEIVED: &str = "jaeger_collector_traces_received_total";
pub const SPANS_SAVED_BY_SVC: &str = "jaeger_collector_spans_saved_by_svc_total";
pub const SPANS_DROPPED: &str = "jaeger_collector_spans_dropped_total";
pub const QUEUE_LENGTH: &str = "jaeger_collector_queue_length";
pub const QUEUE_CAPACITY: &str = "jaeger_collector_queue_capacity";
pub const BATCH_SIZE: &str = "jaeger_collector_batch_size";
pub const SAVE_LATENCY: &str = "jaeger_collector_save_latency";
pub const IN_QUEUE_LATENCY: &str = "jaeger_collector_in_queue_latency";
pub const HTTP_REQUEST_DURATION: &str = "jaeger_collector_http_request_duration";
/// Spans refused or dropped, by `reason` ([`DropReason`]), `format` and `transport`.
pub const SPANS_REFUSED: &str = "spur_collector_spans_refused_total";
/// Requests (batches of spans) received, by `format`, `transport` and `result`.
pub const REQUESTS: &str = "spur_collector_requests_total";
/// Request bodies (after decompression), by `format` and `transport`.
pub const REQUEST_SIZE: &str = "spur_collector_request_size_bytes";
/// Time workers spent writing, in microseconds.
pub const WORKER_BUSY: &str = "spur_collector_worker_busy_microseconds_total";
/// Write errors by `writer` (`kafka`, `storage`) and `kind`.
pub const WRITE_ERRORS: &str = "spur_collector_write_errors_total";
/// Spans still queued or unflushed when shutdown's deadline passed.
pub const UNFLUSHED_AT_SHUTDOWN: &str = "spur_collector_unflushed_at_shutdown_total";

/// Why spans were refused or dropped: the `reason` label's whole vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The bounded queue was full: the client was told to retry (backpressure).
    QueueFull,
    /// The request held more spans than `collector.max-spans-per-request`.
    TooManySpans,
    /// The writer refused them for now (e.g. the Kafka producer queue is full).
    WriterBusy,
    /// The writer failed.
    WriteError,
    /// The writer rejected them as invalid.
    Invalid,
    /// The collector was shutting down.
    ShuttingDown,
}

impl DropReason {
    pub fn label(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::TooManySpans => "too_many_spans",
            DropReason::WriterBusy => "writer_busy",
            DropReason::WriteError => "write_error",
            DropReason::Invalid => "invalid",
            DropReason::ShuttingDown => "shutting_down",
        }
    }
}

/// Why a request was rejected before its spans could be counted: the `result` label of
/// [`REQUESTS`] besides `ok` and the drop reasons.
pub const RESULT_MALFORMED: &str = "malformed";
pub const RESULT_TOO_LARGE: &str = "too_large";
pub const RESULT_UNSUPPORTED: &str = "unsupported_media_type";

/// Jaeger's cap on distinct `svc` label values.
const MAX_SERVICES: usize = 4_000;

/// Caps service-name label values as Jaeger does.
#[derive(Debug, Default)]
pub struct ServiceNames {
    seen: Mutex<HashSet<String>>,
}

impl ServiceNames {
    /// The label value for `service`: itself, `__unknown` when empty, or `other-services` once
    /// 4,000 others are known.
    pub fn label(&self, service: &str) -> String {
        if service.is_empty() {
            return "__unknown".to_owned();
        }
        let Ok(mut seen) = self.seen.lock() else {
            return "other-services".to_owned();
        };
        if seen.contains(service) {
            return service.to_owned();
        }
        if seen.len() >= MAX_SERVICES {
            return "other-services".to_owned();
        }
        seen.insert(service.to_owned());
        service.to_owned()
    }
}
