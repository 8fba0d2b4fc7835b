//! The storage traits. Their documentation is the contract every backend meets and the
//! conformance suite checks.

use async_trait::async_trait;
use prost::Message as _;
use spur_model::TraceId;
use spur_model::api_v2::{Batch, DependencyLink, Span};
use spur_model::span_view::EncodedSpan;

use crate::{GetTraceQuery, Operation, OperationQuery, StorageError, TraceQuery};

/// The spans of one trace, each carrying its process, in no particular order.
///
/// Each span reads back equal to the span written, except that a backend may reorder the
/// entries of its repeated fields (tags, process tags, logs, log fields, references), as
/// Jaeger's storage layouts do.
pub type Trace = Vec<Span>;

/// What a backend can do beyond the contract every backend meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Spans older than a configured retention period disappear: once a span's start time is
    /// before `now - retention`, `get_trace` and `find_traces` no longer return it (its storage
    /// is reclaimed eventually). Spans newer than that are returned as usual.
    pub retention: bool,
    /// Data survives closing and reopening the backend.
    pub persistent: bool,
}

/// Writes spans.
///
/// Contract:
/// - `Ok` means durable: every span written is readable afterwards, also after a crash where
///   the backend is persistent.
/// - Idempotent: writing an identical span again (at-least-once delivery from Kafka) reads back
///   once. Two spans that share an id but differ (a Zipkin client/server pair) are both kept.
/// - Spans of one trace may arrive in any order, in any number of writes.
/// - Each span must carry its process (`span.process`) and well-formed ids (a trace id of 16 or
///   8 bytes, a span id of 8 bytes); otherwise the write is rejected with `InvalidArgument` and
///   nothing of it is stored.
#[async_trait]
pub trait SpanWriter: Send + Sync {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError>;

    /// Writes spans given as api_v2 protobuf, checked (a Kafka message's payload, see
    /// `spur_model::kafka::normalized_protobuf`): the same as `write_spans` of each span
    /// `Span::decode` reads from its bytes. The default decodes every span; a backend that can
    /// keep the bytes as they are (the embedded store) overrides it.
    async fn write_encoded(&self, spans: Vec<EncodedSpan>) -> Result<(), StorageError> {
        let mut decoded = Vec::with_capacity(spans.len());
        for span in &spans {
            decoded.push(Span::decode(span.bytes().as_ref()).map_err(|error| {
                StorageError::InvalidArgument(format!("undecodable span: {error}"))
            })?);
        }
        self.write_spans(decoded).await
    }

    /// Writes a batch: spans without a process of their own get the batch's process.
    async fn write_batch(&self, batch: Batch) -> Result<(), StorageError> {
        let Batch { spans, process } = batch;
        let spans = spans
            .into_iter()
            .map(|mut span| {
                if span.process.is_none() {
                    span.process.clone_from(&process);
                }
                span
            })
            .collect();
        self.write_spans(spans).await
    }

    /// Delivers what the writer still buffers (e.g. a Kafka producer's queue), waiting at most
    /// `timeout`, and returns how many spans could not be delivered. Called at shutdown.
    /// Writers whose `Ok` already means durable buffer nothing and return `Ok(0)` at once.
    async fn flush(&self, timeout: std::time::Duration) -> Result<u64, StorageError> {
        let _ = timeout;
        Ok(0)
    }
}

/// Reads traces, services and operations.
///
/// Contract:
/// - An unknown trace id is not an error: `get_trace` answers `Ok(None)`.
/// - `find_traces` returns whole traces (every stored span), newest first by the start time of
///   their newest matching span, at most `query.limit()` of them; `find_trace_ids` returns the
///   same traces' ids in the same order.
/// - Services are sorted by name; operations by name then span kind.
/// - Invalid queries (see [`TraceQuery::validate`]) are `InvalidArgument`.
#[async_trait]
pub trait SpanReader: Send + Sync {
    async fn get_trace(&self, query: GetTraceQuery) -> Result<Option<Trace>, StorageError>;
    async fn find_traces(&self, query: &TraceQuery) -> Result<Vec<Trace>, StorageError>;
    async fn find_trace_ids(&self, query: &TraceQuery) -> Result<Vec<TraceId>, StorageError>;
    async fn get_services(&self) -> Result<Vec<String>, StorageError>;
    async fn get_operations(&self, query: &OperationQuery) -> Result<Vec<Operation>, StorageError>;
    fn capabilities(&self) -> Capabilities;
}

/// Service dependency links (what Jaeger's Spark job or the query's aggregation produces).
///
/// Contract: `write_dependencies` stores links stamped with `timestamp` (µs); a read for the
/// window `[end - lookback, end]` (inclusive) returns every link stamped inside it, summed per
/// (parent, child) pair, sorted by parent then child. Timestamps count to the millisecond:
/// Jaeger's Cassandra and Elasticsearch layouts store milliseconds, and two writes stamped
/// within the same millisecond may be kept as one (the later).
#[async_trait]
pub trait DependencyStore: Send + Sync {
    async fn write_dependencies(
        &self,
        timestamp: i64,
        links: Vec<DependencyLink>,
    ) -> Result<(), StorageError>;
    async fn get_dependencies(
        &self,
        end_time: i64,
        lookback: i64,
    ) -> Result<Vec<DependencyLink>, StorageError>;
}
