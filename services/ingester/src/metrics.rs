//! The ingester's metric names: Jaeger's ingester metrics (`jaeger_ingester_*`, labels `topic`,
//! `partition`) where Jaeger has them, `spur_ingester_*` otherwise.

pub const MESSAGES: &str = "jaeger_ingester_sarama_consumer_messages_total";
pub const OFFSET_LAG: &str = "jaeger_ingester_sarama_consumer_offset_lag";
pub const PARTITIONS_HELD: &str = "jaeger_ingester_sarama_consumer_partitions_held";
pub const OFFSET_COMMITS: &str = "jaeger_ingester_offset_commits_total";
pub const LAST_COMMITTED: &str = "jaeger_ingester_last_committed_offset";
pub const RETRY_ATTEMPTS: &str = "jaeger_ingester_span_processor_retry_attempts_total";

/// Spans written, by `backend`.
pub const SPANS_WRITTEN: &str = "spur_ingester_spans_written_total";
/// Failed writes (each retried), by `backend` and `kind`.
pub const WRITE_FAILURES: &str = "spur_ingester_write_failures_total";
/// Messages skipped, by `reason` (`undecodable`, `empty`, `rejected`).
pub const POISON: &str = "spur_ingester_poison_messages_total";
/// Spans per storage write.
pub const BATCH_SIZE: &str = "spur_ingester_batch_size";
/// Duration of successful storage writes.
pub const WRITE_DURATION: &str = "spur_ingester_write_duration_seconds";
/// 1 while the partitions are paused (storage slower than the topic, or down).
pub const PAUSED: &str = "spur_ingester_paused";
/// Rebalances of the group seen by this ingester.
pub const REBALANCES: &str = "spur_ingester_rebalances_total";
/// Offset commits that failed (retried at the next commit).
pub const COMMIT_ERRORS: &str = "spur_ingester_commit_errors_total";
