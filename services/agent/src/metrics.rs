//! The agent's metric names: Jaeger's agent reporter metrics (`{format, protocol}` labels) where
//! Jaeger has them, `spur_agent_*` otherwise. The UDP receivers' own metrics are in
//! `spur_agent_udp::metrics_names`; the sampling proxy's in `spur_sampling::metrics`.

pub const BATCHES_SUBMITTED: &str = "jaeger_agent_reporter_batches_submitted_total";
pub const BATCHES_FAILURES: &str = "jaeger_agent_reporter_batches_failures_total";
pub const SPANS_SUBMITTED: &str = "jaeger_agent_reporter_spans_submitted_total";
pub const SPANS_FAILURES: &str = "jaeger_agent_reporter_spans_failures_total";
pub const BATCH_SIZE: &str = "jaeger_agent_reporter_batch_size";

/// Spans decoded from datagrams, by `protocol`.
pub const SPANS_RECEIVED: &str = "spur_agent_spans_received_total";
/// Spans dropped, by `reason`: `queue_full` (oldest dropped for newer), `rejected` (the collector
/// refused them as invalid), `shutdown` (not sent within the shutdown deadline).
pub const SPANS_DROPPED: &str = "spur_agent_spans_dropped_total";
/// Spans and batches waiting in the queue.
pub const QUEUE_SPANS: &str = "spur_agent_queue_spans";
/// PostSpans attempts repeated after a failure.
pub const SEND_RETRIES: &str = "spur_agent_send_retries_total";
/// Duration of successful PostSpans calls.
pub const SEND_DURATION: &str = "spur_agent_send_duration_seconds";
/// Collector addresses in use, and one series per address (1 while in use, 0 after).
pub const COLLECTORS: &str = "spur_agent_collectors";
pub const COLLECTOR_ADDRESS: &str = "spur_agent_collector_address";
/// Failed resolutions of a collector name.
pub const RESOLVE_ERRORS: &str = "spur_agent_collector_resolve_errors_total";

/// Labels of Jaeger's reporter metrics.
pub const REPORTER_LABELS: [(&str, &str); 2] = [("format", "jaeger"), ("protocol", "grpc")];
