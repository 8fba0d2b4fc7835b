//! The Kafka span writer: one Jaeger `Span` message per span, produced through one librdkafka
//! producer whose own thread serves delivery reports. Owns enqueueing a write's encoded
//! messages, backpressure when the producer's queue is full, waiting for the write's delivery
//! reports and flushing at shutdown. Not its business: encoding (`encode`), counting deliveries
//! (`delivery`), the settings (`config`) and the partitioning rule (`partition`; librdkafka
//! applies it).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use rdkafka::ClientConfig;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use spur_model::api_v2::Batch;
use spur_model::api_v2::Span;
use spur_model::kafka::Encoding;
use spur_storage::{SpanWriter, StorageError};

use crate::config::ProducerConfig;
use crate::delivery::{DeliveryContext, WriteDelivery};
use crate::encode::Encoded;
use crate::metrics::{DeliveryErrorReason, ProducerMetrics, RateLimiter};

/// librdkafka's worst-case framing of one record (`RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD`): it
/// refuses a message when this plus the key and value exceed `message.max.bytes`.
const RECORD_OVERHEAD_BYTES: usize = 36;

/// The message when a write does not fit in the producer's queue.
pub const QUEUE_FULL: &str = "kafka producer queue is full";

/// Writes spans to a Kafka topic as Jaeger's collector does.
///
/// With `wait_for_delivery` (the default), a write returns `Ok` once Kafka acknowledged every
/// one of its spans (with the configured `required_acks`), and `Unavailable` naming how many
/// failed when librdkafka gave any up: an acknowledged span survives this process's crash.
/// Without it, a write returns once its spans are in the producer's queue, as Jaeger's writer
/// does, so `Ok` is not durable. Either way deliveries are counted in
/// `jaeger_kafka_spans_written_total{status}`. A write that does not fit in the queue is
/// refused as a whole with `Unavailable` ([`QUEUE_FULL`]); nothing of it is enqueued. A span
/// larger than `max_message_bytes` is never sent: counted as failed, it does not fail its
/// write (retrying could not help), as in Jaeger.
/// Call [`SpanWriter::flush`] before dropping the writer: dropping it purges whatever is still
/// queued (counted as failures, reason `purged`) and blocks for up to about 0.6 s.
pub struct KafkaSpanWriter {
    producer: Arc<ThreadedProducer<DeliveryContext>>,
    topic: String,
    encoding: Encoding,
    queue_capacity: usize,
    max_message_bytes: usize,
    wait_for_delivery: bool,
    /// A bound on waiting for delivery reports, in case librdkafka never sends one: its own
    /// message timeout, which it guarantees a report within, and a margin.
    delivery_deadline: Duration,
    /// Held while checking for room and enqueueing, so concurrent writes cannot both pass the
    /// check and overfill the queue between them.
    enqueueing: Mutex<()>,
}

impl KafkaSpanWriter {
    /// Creates the producer. It connects in the background: unreachable brokers are not an
    /// error here, they show as delivery failures (and a full queue) later. Metric handles are
    /// taken from the recorder installed at this point.
    pub fn new(config: &ProducerConfig) -> Result<Self, StorageError> {
        let invalid = |message: &str| Err(StorageError::InvalidArgument(message.to_owned()));
        if config.brokers.is_empty() {
            return invalid("kafka producer: at least one broker is required");
        }
        if config.topic.is_empty() {
            return invalid("kafka producer: the topic must not be empty");
        }
        if config.queue_max_messages == 0 {
            return invalid("kafka producer: the queue must hold at least one message");
        }
        let client_config: ClientConfig = config.client_config()?;
        let context = DeliveryContext {
            metrics: ProducerMetrics::register(),
            outstanding: AtomicI64::new(0),
            delivery_log: RateLimiter::new(),
            error_log: RateLimiter::new(),
        };
        let producer = ThreadedProducer::from_config_and_context(&client_config, context)
            .map_err(|error| StorageError::InvalidArgument(format!("kafka producer: {error}")))?;
        if config.batch_min_messages != 0 {
            tracing::warn!(
                batch_min_messages = config.batch_min_messages,
                "kafka batch-min-messages has no librdkafka counterpart and is ignored; \
                 batches are sent when batch-linger passes or they are full"
            );
        }
        tracing::info!(
            brokers = %config.brokers.join(","),
            topic = %config.topic,
            encoding = ?config.encoding,
            required_acks = config.required_acks.as_str(),
            idempotent = config.idempotent,
            compression = config.compression.as_str(),
            queue_max_messages = config.queue_max_messages,
            "kafka span writer created"
        );
        Ok(KafkaSpanWriter {
            producer: Arc::new(producer),
            topic: config.topic.clone(),
            encoding: config.encoding,
            queue_capacity: config.queue_max_messages,
            max_message_bytes: config.max_message_bytes,
            wait_for_delivery: config.wait_for_delivery,
            delivery_deadline: config.message_timeout + Duration::from_secs(30),
            enqueueing: Mutex::new(()),
        })
    }

    /// Messages in the producer: queued, in flight, or awaiting their delivery report.
    pub fn queued(&self) -> usize {
        self.producer.context().outstanding()
    }

    /// Enqueues `batch` and, with `wait_for_delivery`, waits for its delivery reports.
    async fn write(&self, batch: &Encoded) -> Result<(), StorageError> {
        let delivery = WriteDelivery::new();
        let enqueued = self.enqueue(batch, &delivery);
        delivery.enqueueing_done();
        enqueued?;
        if !self.wait_for_delivery {
            return Ok(());
        }
        match tokio::time::timeout(self.delivery_deadline, delivery.wait()).await {
            Ok(delivered) => delivered,
            Err(_) => Err(StorageError::Timeout(format!(
                "no kafka delivery report within {:?}",
                self.delivery_deadline
            ))),
        }
    }

    /// Enqueues every message of `batch`, or none when they do not all fit; each enqueued
    /// message reports its delivery to `delivery`.
    fn enqueue(&self, batch: &Encoded, delivery: &Arc<WriteDelivery>) -> Result<(), StorageError> {
        let context = self.producer.context();
        let count = batch.messages.len();
        if count > self.queue_capacity {
            return Err(StorageError::InvalidArgument(format!(
                "a write of {count} spans can never fit in the kafka producer queue \
                 ({} messages)",
                self.queue_capacity
            )));
        }
        let _enqueueing = self.enqueueing.lock();
        // librdkafka's count of what it holds: every message until its delivery report has
        // been served, plus unserved events. Never below what its own limit (the same number)
        // counts, so when this leaves room for the batch, librdkafka cannot refuse any of it.
        let queued = usize::try_from(self.producer.in_flight_count()).unwrap_or(0);
        if queued + count > self.queue_capacity {
            context.metrics.queue_messages.set(queued as f64);
            return Err(StorageError::Unavailable(QUEUE_FULL.to_owned()));
        }
        for (index, message) in batch.messages.iter().enumerate() {
            let key = &batch.bytes[message.key.clone()];
            let value = &batch.bytes[message.value.clone()];
            if RECORD_OVERHEAD_BYTES + key.len() + value.len() > self.max_message_bytes {
                context.not_sent(DeliveryErrorReason::MessageTooLarge, value.len());
                continue;
            }
            let record = BaseRecord::with_opaque_to(&self.topic, Arc::clone(delivery))
                .key(key)
                .payload(value);
            context.outstanding.fetch_add(1, Ordering::Relaxed);
            delivery.pending.fetch_add(1, Ordering::AcqRel);
            let Err((error, _)) = self.producer.send(record) else {
                continue;
            };
            context.outstanding.fetch_sub(1, Ordering::Relaxed);
            delivery.pending.fetch_sub(1, Ordering::AcqRel);
            let code = error.rdkafka_error_code();
            if code == Some(RDKafkaErrorCode::MessageSizeTooLarge) {
                context.not_sent(DeliveryErrorReason::MessageTooLarge, value.len());
                continue;
            }
            // Not expected after the check above (the queue's byte limit, a fatal producer
            // error): the spans before this one are enqueued and will be delivered.
            let detail = format!(
                "{index} of the {count} spans of this write were enqueued and will be \
                 delivered, the rest were not: {error}"
            );
            return Err(match code {
                Some(RDKafkaErrorCode::QueueFull) => {
                    StorageError::Unavailable(format!("{QUEUE_FULL}; {detail}"))
                }
                Some(RDKafkaErrorCode::Fatal) => {
                    tracing::error!(%error, "the kafka producer failed fatally; restart needed");
                    StorageError::Internal(format!("kafka producer failed fatally; {detail}"))
                }
                _ => StorageError::Unavailable(format!("kafka producer refused a span; {detail}")),
            });
        }
        context.update_queue_gauge();
        Ok(())
    }
}

#[async_trait]
impl SpanWriter for KafkaSpanWriter {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        if spans.is_empty() {
            return Ok(());
        }
        let batch = Encoded::new(spans, self.encoding)?;
        // librdkafka's produce call never blocks (no RD_KAFKA_MSG_F_BLOCK): safe here.
        self.write(&batch).await
    }

    /// Like `write_spans` on the batch's spans each given the batch's process, but the process
    /// is encoded once for the whole batch: in protobuf, a span without a process of its own is
    /// encoded as is and the batch's encoded process field is appended (protobuf fields may
    /// come in any order, so every decoder reads the same span).
    async fn write_batch(&self, batch: Batch) -> Result<(), StorageError> {
        if batch.spans.is_empty() {
            return Ok(());
        }
        let encoded = match (self.encoding, batch.process) {
            (Encoding::Protobuf, Some(process)) => {
                Encoded::with_shared_process(batch.spans, &process)?
            }
            (_, process) => {
                let spans = batch
                    .spans
                    .into_iter()
                    .map(|mut span| {
                        if span.process.is_none() {
                            span.process.clone_from(&process);
                        }
                        span
                    })
                    .collect();
                Encoded::new(spans, self.encoding)?
            }
        };
        self.write(&encoded).await
    }

    /// Waits until every queued message is delivered (or failed) or `timeout` passes, off the
    /// async workers; returns how many messages are still in the producer. Batches still
    /// lingering are sent when their `batch_linger` ends, not at once: rust-rdkafka 0.39 calls
    /// `rd_kafka_flush` with a zero timeout in a loop, so librdkafka's linger override for a
    /// flush almost never applies. With the default linger (5 ms) that does not matter.
    async fn flush(&self, timeout: Duration) -> Result<u64, StorageError> {
        let producer = Arc::clone(&self.producer);
        tokio::task::spawn_blocking(move || {
            // Its only error is the timeout, which the count left reports.
            let _ = producer.flush(timeout);
            producer.context().outstanding() as u64
        })
        .await
        .map_err(|error| StorageError::Internal(format!("flushing the kafka producer: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    /// A producer for nothing (port 1 is closed): creating one checks the settings only.
    fn create(config: ProducerConfig) -> Result<KafkaSpanWriter, StorageError> {
        KafkaSpanWriter::new(&ProducerConfig {
            brokers: vec!["127.0.0.1:1".into()],
            ..config
        })
    }
    #[test]
    fn this_build_of_librdkafka_has_tls_scram_and_every_codec() {
        use crate::config::{Authentication, Compression, PlaintextConfig, SaslMechanism};
        for compression in Compression::ALL {
            let level = compression.levels().map_or(0, |(_, highest)| highest);
            let config = ProducerConfig {
                compression,
                compression_level: level,
                ..ProducerConfig::default()
            };
            create(config).unwrap_or_else(|error| panic!("{compression:?}: {error}"));
        }
        let tls = ProducerConfig {
            authentication: Authentication::Tls,
            ..ProducerConfig::default()
        };
        create(tls).unwrap();
        for mechanism in [
            SaslMechanism::Plain,
            SaslMechanism::ScramSha256,
            SaslMechanism::ScramSha512,
        ] {
            let sasl = ProducerConfig {
                authentication: Authentication::Plaintext,
                plaintext: PlaintextConfig {
                    username: Some("spur".into()),
                    password: Some("secret".into()),
                    mechanism,
                },
                ..ProducerConfig::default()
            };
            create(sasl).unwrap_or_else(|error| panic!("{mechanism:?}: {error}"));
        }
    }
    #[test]
    fn librdkafka_rejects_what_it_cannot_do() {
        use crate::config::RequiredAcks;
        let idempotent_local = ProducerConfig {
            required_acks: RequiredAcks::Local,
            idempotent: true,
            ..ProducerConfig::default()
        };
        let Err(error) = create(idempotent_local) else {
            panic!("idempotence with acks=1 accepted");
        };
        assert!(
            matches!(error, StorageError::InvalidArgument(_)),
            "{error:?}"
        );
        let non_idempotent_local = ProducerConfig {
            required_acks: RequiredAcks::Local,
            idempotent: false,
            ..ProducerConfig::default()
        };
        create(non_idempotent_local).unwrap();
        let empty_queue = ProducerConfig {
            queue_max_messages: 0,
            ..ProducerConfig::default()
        };
        assert!(create(empty_queue).is_err());
    }
}
