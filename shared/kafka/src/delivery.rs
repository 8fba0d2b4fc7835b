//! Delivery reports: the producer's context, which librdkafka calls on its polling thread to
//! count each delivery (and forward its logs and errors to `tracing`), and the per-write
//! waiter each message carries, which tells a write when all its messages are settled. Not its
//! business: enqueueing (`writer`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use parking_lot::Mutex;
use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message as _;
use rdkafka::producer::{DeliveryResult, ProducerContext};
use spur_storage::StorageError;
use tokio::sync::Notify;

use crate::metrics::{DeliveryErrorReason, ProducerMetrics, RateLimiter};

/// The delivery reports one write waits for. Every message of the write holds it as its
/// delivery opaque; `pending` starts at one for the enqueueing itself, so it cannot reach zero
/// before every message is enqueued.
pub(crate) struct WriteDelivery {
    pub(crate) pending: AtomicUsize,
    delivered: AtomicUsize,
    failed: AtomicUsize,
    first_error: Mutex<Option<KafkaError>>,
    /// Notified once, when `pending` reaches zero (a stored permit if nobody waits yet).
    settled: Notify,
}

impl WriteDelivery {
    pub(crate) fn new() -> Arc<WriteDelivery> {
        Arc::new(WriteDelivery {
            pending: AtomicUsize::new(1),
            delivered: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            first_error: Mutex::new(None),
            settled: Notify::new(),
        })
    }

    pub(crate) fn enqueueing_done(&self) {
        self.settle_one();
    }

    /// One message's report (on the producer's polling thread).
    fn report(&self, error: Option<&KafkaError>) {
        match error {
            None => self.delivered.fetch_add(1, Ordering::Relaxed),
            Some(error) => {
                self.first_error.lock().get_or_insert_with(|| error.clone());
                self.failed.fetch_add(1, Ordering::Relaxed)
            }
        };
        self.settle_one();
    }

    fn settle_one(&self) {
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.settled.notify_one();
        }
    }

    /// Waits until every enqueued message has its report: `Ok` when all were delivered.
    pub(crate) async fn wait(&self) -> Result<(), StorageError> {
        if self.pending.load(Ordering::Acquire) != 0 {
            self.settled.notified().await;
        }
        let failed = self.failed.load(Ordering::Acquire);
        if failed == 0 {
            return Ok(());
        }
        let delivered = self.delivered.load(Ordering::Acquire);
        let error = self
            .first_error
            .lock()
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        Err(StorageError::Unavailable(format!(
            "kafka did not take {failed} of the {} spans of this write: {error}",
            failed + delivered
        )))
    }
}

/// Runs on librdkafka's callbacks (the producer's polling thread): counts deliveries and
/// forwards librdkafka's logs and errors to `tracing`.
pub(crate) struct DeliveryContext {
    pub(crate) metrics: ProducerMetrics,
    /// Messages enqueued whose delivery report has not arrived: the queue gauge.
    pub(crate) outstanding: AtomicI64,
    pub(crate) delivery_log: RateLimiter,
    pub(crate) error_log: RateLimiter,
}

impl DeliveryContext {
    pub(crate) fn outstanding(&self) -> usize {
        usize::try_from(self.outstanding.load(Ordering::Relaxed)).unwrap_or(0)
    }

    pub(crate) fn update_queue_gauge(&self) {
        self.metrics.queue_messages.set(self.outstanding() as f64);
    }

    /// Counts a span that was never handed to librdkafka.
    pub(crate) fn not_sent(&self, reason: DeliveryErrorReason, value_bytes: usize) {
        self.metrics.failed(reason);
        if let Some(suppressed) = self.delivery_log.allow() {
            tracing::warn!(
                reason = reason.label(),
                value_bytes,
                suppressed,
                "kafka span not sent: the message is larger than max-message-bytes"
            );
        }
    }
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical => {
                tracing::error!(target: "librdkafka", facility, message);
            }
            RDKafkaLogLevel::Error | RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "librdkafka", facility, message);
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", facility, message);
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, message),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Fatal) {
            tracing::error!(%error, reason, "the kafka producer failed fatally; restart needed");
            return;
        }
        if let Some(suppressed) = self.error_log.allow() {
            tracing::warn!(%error, reason, suppressed, "kafka producer error");
        }
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Arc<WriteDelivery>;

    /// Counts the delivery before reporting it to its write, so that a write that returns has
    /// every one of its messages counted.
    fn delivery(&self, result: &DeliveryResult<'_>, write: Arc<WriteDelivery>) {
        self.outstanding.fetch_sub(1, Ordering::Relaxed);
        self.update_queue_gauge();
        let (error, message) = match result {
            Ok(_) => {
                self.metrics.success.increment(1);
                write.report(None);
                return;
            }
            Err((error, message)) => (error, message),
        };
        let reason = error
            .rdkafka_error_code()
            .map_or(DeliveryErrorReason::Other, DeliveryErrorReason::of);
        self.metrics.failed(reason);
        write.report(Some(error));
        if let Some(suppressed) = self.delivery_log.allow() {
            tracing::warn!(
                %error,
                reason = reason.label(),
                topic = message.topic(),
                partition = message.partition(),
                suppressed,
                "kafka delivery failed; the span is lost"
            );
        }
    }
}
