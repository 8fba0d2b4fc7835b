//! The processing pipeline every receiver shares: count what arrived, refuse what does not
//! fit (a bounded queue of spans: the client is told to retry), wait for one of
//! `num-workers` write slots, sanitize, write, and answer only once the writer accepted the
//! spans (for Kafka: acknowledged by Kafka, or only queued in the producer when
//! `kafka.producer.wait-for-delivery` is off; for storage: durably written).
//!
//! The queue is a span budget plus a semaphore of worker slots rather than a channel: a
//! request's spans count against the budget from arrival until written, and the request's own
//! task does the work when a slot frees, so no span is copied between tasks. Every span refused
//! or dropped is counted in `spur_collector_spans_refused_total{reason}` (and Jaeger's
//! `jaeger_collector_spans_dropped_total`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use spur_model::api_v2::{Batch, Span, SpanRefType};
use spur_storage::{ErrorKind, SpanWriter};
use tokio::sync::Semaphore;

use crate::metrics::{self as names, DropReason, ServiceNames};
use crate::sanitize::{Format, Sanitizer, Transport};

/// A request's spans' place in the queue, given back when dropped.
struct Reservation<'a> {
    queued: &'a AtomicUsize,
    count: usize,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let after = self.queued.fetch_sub(self.count, Ordering::AcqRel) - self.count;
        metrics::gauge!(names::QUEUE_LENGTH).set(after as f64);
    }
}

/// Why a submission was not accepted; receivers map it to their protocol's status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Retry later: the queue or the writer is full (gRPC RESOURCE_EXHAUSTED, HTTP 503).
    #[error("collector busy: {0}")]
    Busy(String),
    /// The request is wrong and retrying cannot help (gRPC INVALID_ARGUMENT, HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// The writer failed (gRPC INTERNAL / UNAVAILABLE, HTTP 500).
    #[error("cannot write spans: {0}")]
    Failed(String),
    /// The collector is stopping (gRPC UNAVAILABLE, HTTP 503).
    #[error("collector is shutting down")]
    ShuttingDown,
}

/// Pipeline settings.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub queue_size: usize,
    pub num_workers: usize,
    pub max_spans_per_request: usize,
    pub sanitizer: Sanitizer,
    /// `kafka` or `storage`: the `writer` label of write errors.
    pub writer_name: &'static str,
}

/// Cheap to clone; shared by every receiver.
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Arc<dyn SpanWriter>,
    options: PipelineOptions,
    queued: AtomicUsize,
    workers: Semaphore,
    accepting: AtomicBool,
    services: ServiceNames,
}

impl Pipeline {
    pub fn new(writer: Arc<dyn SpanWriter>, options: PipelineOptions) -> Pipeline {
        metrics::gauge!(names::QUEUE_CAPACITY).set(options.queue_size as f64);
        metrics::gauge!(names::QUEUE_LENGTH).set(0.0);
        Pipeline {
            inner: Arc::new(Inner {
                writer,
                workers: Semaphore::new(options.num_workers),
                options,
                queued: AtomicUsize::new(0),
                accepting: AtomicBool::new(true),
                services: ServiceNames::default(),
            }),
        }
    }

    /// Processes the spans of one request; `Ok` once the writer accepted them all.
    pub async fn submit(
        &self,
        batches: Vec<Batch>,
        format: Format,
        transport: Transport,
    ) -> Result<(), Refusal> {
        let inner = &*self.inner;
        let count: usize = batches.iter().map(|batch| batch.spans.len()).sum();
        let refuse = |reason: DropReason, refusal: Refusal| {
            count_refused(count, reason, format, transport);
            Err(refusal)
        };
        if !inner.accepting.load(Ordering::Acquire) {
            return refuse(DropReason::ShuttingDown, Refusal::ShuttingDown);
        }
        if count > inner.options.max_spans_per_request {
            return refuse(
                DropReason::TooManySpans,
                Refusal::Invalid(format!(
                    "{count} spans in one request; at most {} are accepted",
                    inner.options.max_spans_per_request
                )),
            );
        }
        self.count_received(&batches, format, transport);
        if count == 0 {
            count_request(format, transport, "ok");
            return Ok(());
        }
        // Reserve the spans' place in the queue; a request larger than the whole queue is
        // still taken when the queue is empty, so it is never refused forever.
        let before = inner.queued.fetch_add(count, Ordering::AcqRel);
        if before > 0 && before + count > inner.options.queue_size {
            inner.queued.fetch_sub(count, Ordering::AcqRel);
            return refuse(
                DropReason::QueueFull,
                Refusal::Busy(format!(
                    "queue full ({before} of {} spans waiting)",
                    inner.options.queue_size
                )),
            );
        }
        metrics::gauge!(names::QUEUE_LENGTH).set((before + count) as f64);
        // Released however this ends, also when the client goes away mid-write and the
        // request's future is dropped.
        let _reserved = Reservation {
            queued: &inner.queued,
            count,
        };
        self.process(batches, count, format, transport).await
    }

    async fn process(
        &self,
        batches: Vec<Batch>,
        count: usize,
        format: Format,
        transport: Transport,
    ) -> Result<(), Refusal> {
        let inner = &*self.inner;
        let queued_at = Instant::now();
        let Ok(_slot) = inner.workers.acquire().await else {
            count_refused(count, DropReason::ShuttingDown, format, transport);
            return Err(Refusal::ShuttingDown);
        };
        let started = Instant::now();
        metrics::histogram!(names::IN_QUEUE_LATENCY).record(started - queued_at);
        metrics::gauge!(names::BATCH_SIZE).set(count as f64);
        let mut batches = batches;
        for batch in &mut batches {
            inner.options.sanitizer.sanitize_batch(batch, format);
        }
        let saved = self.saved_counts(&batches);
        // Batch by batch: a writer can then share each batch's process among its spans.
        let mut result = Ok(());
        for batch in batches {
            result = inner.writer.write_batch(batch).await;
            if result.is_err() {
                break;
            }
        }
        let elapsed = started.elapsed();
        metrics::histogram!(names::SAVE_LATENCY).record(elapsed);
        metrics::counter!(names::WORKER_BUSY).increment(elapsed.as_micros() as u64);
        let outcome = if result.is_ok() { "ok" } else { "err" };
        for ((service, debug), spans) in saved {
            metrics::counter!(names::SPANS_SAVED_BY_SVC, "debug" => debug, "result" => outcome, "svc" => service)
                .increment(spans);
        }
        match result {
            Ok(()) => {
                count_request(format, transport, "ok");
                Ok(())
            }
            Err(error) => {
                let kind = error.kind();
                metrics::counter!(names::WRITE_ERRORS, "writer" => inner.options.writer_name, "kind" => kind_label(kind))
                    .increment(1);
                let (reason, refusal) = match kind {
                    ErrorKind::Unavailable | ErrorKind::Timeout => {
                        (DropReason::WriterBusy, Refusal::Busy(error.to_string()))
                    }
                    ErrorKind::InvalidArgument => {
                        (DropReason::Invalid, Refusal::Invalid(error.to_string()))
                    }
                    ErrorKind::Internal => {
                        (DropReason::WriteError, Refusal::Failed(error.to_string()))
                    }
                };
                tracing::debug!(%error, spans = count, "write failed");
                count_refused(count, reason, format, transport);
                Err(refusal)
            }
        }
    }

    /// Counts spans (and root spans as traces) received, by service and debug flag.
    fn count_received(&self, batches: &[Batch], format: Format, transport: Transport) {
        for batch in batches {
            let batch_service = service_of(batch.process.as_ref());
            for span in batch.spans.iter().filter(|span| is_root(span)) {
                let service = span
                    .process
                    .as_ref()
                    .map_or(batch_service, |process| process.service_name.as_str());
                metrics::counter!(names::TRACES_RECEIVED,
                    "debug" => debug_label(is_debug(span)), "format" => format.label(),
                    "svc" => self.inner.services.label(service),
                    "transport" => transport.label(), "sampler_type" => sampler_type(span))
                .increment(1);
            }
        }
        for (service, debug, spans) in service_groups(batches) {
            metrics::counter!(names::SPANS_RECEIVED,
                "debug" => debug_label(debug), "format" => format.label(),
                "svc" => self.inner.services.label(service), "transport" => transport.label())
            .increment(spans);
        }
    }

    fn saved_counts(&self, batches: &[Batch]) -> Vec<((String, &'static str), u64)> {
        service_groups(batches)
            .into_iter()
            .map(|(service, debug, count)| {
                (
                    (self.inner.services.label(service), debug_label(debug)),
                    count,
                )
            })
            .collect()
    }

    /// Stops accepting new requests (they are refused as shutting down).
    pub fn stop_accepting(&self) {
        self.inner.accepting.store(false, Ordering::Release);
    }

    /// Spans accepted and not yet written.
    pub fn queued(&self) -> usize {
        self.inner.queued.load(Ordering::Acquire)
    }

    /// Waits until every accepted span is written or `deadline` passes, then flushes the
    /// writer with what time is left. Returns how many spans were left unwritten or
    /// unflushed (0 on a clean drain); they are counted in `spur_collector_unflushed_at_shutdown_total`.
    pub async fn drain(&self, deadline: Duration) -> u64 {
        self.stop_accepting();
        let until = Instant::now() + deadline;
        while self.queued() > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let queued = self.queued() as u64;
        let left = until.saturating_duration_since(Instant::now());
        let unflushed = match self.inner.writer.flush(left).await {
            Ok(unflushed) => unflushed,
            Err(error) => {
                tracing::error!(%error, "flushing the writer at shutdown failed");
                0
            }
        };
        let lost = queued + unflushed;
        if lost > 0 {
            metrics::counter!(names::UNFLUSHED_AT_SHUTDOWN).increment(lost);
        }
        lost
    }
}

fn service_of(process: Option<&spur_model::api_v2::Process>) -> &str {
    process.map_or("", |process| process.service_name.as_str())
}

fn is_debug(span: &Span) -> bool {
    span.flags & 2 != 0
}

/// Spans counted by (service, debug flag): a batch's spans share its process, so there are few
/// groups and a linear search beats hashing.
fn service_groups(batches: &[Batch]) -> Vec<(&str, bool, u64)> {
    let mut groups: Vec<(&str, bool, u64)> = Vec::new();
    for batch in batches {
        let batch_service = service_of(batch.process.as_ref());
        for span in &batch.spans {
            let service = span
                .process
                .as_ref()
                .map_or(batch_service, |process| process.service_name.as_str());
            let debug = is_debug(span);
            match groups
                .iter_mut()
                .find(|(s, d, _)| *s == service && *d == debug)
            {
                Some(group) => group.2 += 1,
                None => groups.push((service, debug, 1)),
            }
        }
    }
    groups
}

fn is_root(span: &Span) -> bool {
    !span.references.iter().any(|reference| {
        reference.ref_type == SpanRefType::ChildOf as i32 && reference.trace_id == span.trace_id
    })
}

/// The `sampler_type` label of a root span, from its `sampler.type` tag.
fn sampler_type(span: &Span) -> &'static str {
    let Some(tag) = span.tags.iter().find(|tag| tag.key == "sampler.type") else {
        return "unrecognized";
    };
    match tag.v_str.as_str() {
        "probabilistic" => "probabilistic",
        "lowerbound" => "lowerbound",
        "ratelimiting" => "ratelimiting",
        "const" => "const",
        _ => "unrecognized",
    }
}

fn debug_label(debug: bool) -> &'static str {
    if debug { "true" } else { "false" }
}

fn kind_label(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "invalid_argument",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Internal => "internal",
    }
}

/// Counts spans refused or dropped, under Spur's reasoned name and Jaeger's.
pub fn count_refused(count: usize, reason: DropReason, format: Format, transport: Transport) {
    count_request(format, transport, reason.label());
    if count == 0 {
        return;
    }
    metrics::counter!(names::SPANS_REFUSED, "reason" => reason.label(), "format" => format.label(), "transport" => transport.label())
        .increment(count as u64);
    metrics::counter!(names::SPANS_DROPPED, "host" => hostname()).increment(count as u64);
}

/// Counts one request by its result.
pub fn count_request(format: Format, transport: Transport, result: &'static str) {
    metrics::counter!(names::REQUESTS, "format" => format.label(), "transport" => transport.label(), "result" => result)
        .increment(1);
}

fn hostname() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_owned())
            .unwrap_or_default()
    })
}
