//! The Kafka span writer: one Jaeger `Span` message per span, keyed by the trace id's hex form,
//! produced through one librdkafka producer whose own thread serves delivery reports. Owns
//! encoding and enqueueing, backpressure when the producer's queue is full, waiting for a
//! write's delivery reports, counting deliveries and flushing at shutdown. Not its business:
//! the settings (`config`) and the partitioning rule (`partition`; librdkafka applies it).

use std::io::Write as _;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use rdkafka::config::{FromClientConfigAndContext, RDKafkaLogLevel};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message as _;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, ClientContext};
use spur_model::api_v2::{Batch, Process, Span};
use spur_model::kafka::{self, Encoding};
use spur_model::{SpanId, TraceId};
use spur_storage::{SpanWriter, StorageError};
use tokio::sync::Notify;

use crate::config::ProducerConfig;
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

/// A write's messages, encoded into one buffer before anything is enqueued.
struct Encoded {
    bytes: Vec<u8>,
    messages: Vec<EncodedMessage>,
}

struct EncodedMessage {
    key: Range<usize>,
    value: Range<usize>,
}

impl Encoded {
    /// Checks and encodes every span; one malformed span rejects the write
    /// (`InvalidArgument`). 8-byte trace ids are widened to 16 bytes, as Jaeger always writes
    /// them.
    fn new(mut spans: Vec<Span>, encoding: Encoding) -> Result<Self, StorageError> {
        let mut bytes = Vec::with_capacity(spans.len() * 512);
        let mut messages = Vec::with_capacity(spans.len());
        for (index, span) in spans.iter_mut().enumerate() {
            let trace_id = check_span(span)
                .map_err(|why| StorageError::InvalidArgument(format!("span {index}: {why}")))?;
            let key_start = bytes.len();
            // Writing into a Vec cannot fail.
            let _ = write!(bytes, "{trace_id}");
            let value_start = bytes.len();
            match encoding {
                Encoding::Protobuf => kafka::encode_protobuf_into(span, &mut bytes),
                Encoding::Json => bytes.extend_from_slice(&kafka::encode_json(span)),
            }
            messages.push(EncodedMessage {
                key: key_start..value_start,
                value: value_start..bytes.len(),
            });
        }
        Ok(Encoded { bytes, messages })
    }
}

impl Encoded {
    /// Protobuf messages of spans sharing `process`: see `KafkaSpanWriter::write_batch`.
    fn with_shared_process(mut spans: Vec<Span>, process: &Process) -> Result<Self, StorageError> {
        let mut process_field = Vec::with_capacity(256);
        prost::encoding::message::encode(PROCESS_FIELD, process, &mut process_field);
        let mut bytes = Vec::with_capacity(spans.len() * 512);
        let mut messages = Vec::with_capacity(spans.len());
        for (index, span) in spans.iter_mut().enumerate() {
            let shared = span.process.is_none();
            let checked = if shared {
                check_ids(span)
            } else {
                check_span(span)
            };
            let trace_id = checked
                .map_err(|why| StorageError::InvalidArgument(format!("span {index}: {why}")))?;
            let key_start = bytes.len();
            let _ = write!(bytes, "{trace_id}");
            let value_start = bytes.len();
            kafka::encode_protobuf_into(span, &mut bytes);
            if shared {
                bytes.extend_from_slice(&process_field);
            }
            messages.push(EncodedMessage {
                key: key_start..value_start,
                value: value_start..bytes.len(),
            });
        }
        Ok(Encoded { bytes, messages })
    }
}

/// `Span.process`'s field number in `jaeger.api_v2.Span`.
const PROCESS_FIELD: u32 = 10;

/// The storage contract's requirements of a span (a process, well-formed ids, references
/// included, so the ingester can decode it); widens 8-byte trace ids. Returns the trace id.
fn check_span(span: &mut Span) -> Result<TraceId, String> {
    if span.process.is_none() {
        return Err("no process".to_owned());
    }
    check_ids(span)
}

/// Well-formed ids (references included); widens 8-byte trace ids. Returns the trace id.
fn check_ids(span: &mut Span) -> Result<TraceId, String> {
    let trace_id = widen_trace_id(&mut span.trace_id)?;
    SpanId::from_bytes(&span.span_id).map_err(|error| error.to_string())?;
    for reference in &mut span.references {
        widen_trace_id(&mut reference.trace_id).map_err(|why| format!("reference: {why}"))?;
        SpanId::from_bytes(&reference.span_id).map_err(|error| format!("reference: {error}"))?;
    }
    Ok(trace_id)
}

fn widen_trace_id(bytes: &mut Vec<u8>) -> Result<TraceId, String> {
    let trace_id = TraceId::from_bytes(bytes).map_err(|error| error.to_string())?;
    if bytes.len() != 16 {
        *bytes = trace_id.to_bytes().to_vec();
    }
    Ok(trace_id)
}

/// The delivery reports one write waits for. Every message of the write holds it as its
/// delivery opaque; `pending` starts at one for the enqueueing itself, so it cannot reach zero
/// before every message is enqueued.
struct WriteDelivery {
    pending: AtomicUsize,
    delivered: AtomicUsize,
    failed: AtomicUsize,
    first_error: Mutex<Option<KafkaError>>,
    /// Notified once, when `pending` reaches zero (a stored permit if nobody waits yet).
    settled: Notify,
}

impl WriteDelivery {
    fn new() -> Arc<WriteDelivery> {
        Arc::new(WriteDelivery {
            pending: AtomicUsize::new(1),
            delivered: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            first_error: Mutex::new(None),
            settled: Notify::new(),
        })
    }

    fn enqueueing_done(&self) {
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
    async fn wait(&self) -> Result<(), StorageError> {
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
struct DeliveryContext {
    metrics: ProducerMetrics,
    /// Messages enqueued whose delivery report has not arrived: the queue gauge.
    outstanding: AtomicI64,
    delivery_log: RateLimiter,
    error_log: RateLimiter,
}

impl DeliveryContext {
    fn outstanding(&self) -> usize {
        usize::try_from(self.outstanding.load(Ordering::Relaxed)).unwrap_or(0)
    }

    fn update_queue_gauge(&self) {
        self.metrics.queue_messages.set(self.outstanding() as f64);
    }

    /// Counts a span that was never handed to librdkafka.
    fn not_sent(&self, reason: DeliveryErrorReason, value_bytes: usize) {
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

#[cfg(test)]
mod tests {
    use spur_model::api_v2::{Process, SpanRef, SpanRefType};

    use super::*;

    fn span(trace_id: Vec<u8>) -> Span {
        Span {
            trace_id,
            span_id: 7u64.to_be_bytes().to_vec(),
            operation_name: "get".into(),
            process: Some(Process {
                service_name: "shop".into(),
                tags: Vec::new(),
            }),
            ..Span::default()
        }
    }

    #[test]
    fn messages_are_keyed_by_the_trace_id_hex_and_encoded_as_configured() {
        let short = span(5u64.to_be_bytes().to_vec());
        let long = span(TraceId::new(1, 2).to_bytes().to_vec());
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            let batch = Encoded::new(vec![short.clone(), long.clone()], encoding).unwrap();
            let keys: Vec<&[u8]> = batch
                .messages
                .iter()
                .map(|message| &batch.bytes[message.key.clone()])
                .collect();
            assert_eq!(
                keys,
                [
                    b"0000000000000005".as_slice(),
                    b"00000000000000010000000000000002".as_slice()
                ]
            );
            let decoded: Vec<Span> = batch
                .messages
                .iter()
                .map(|message| kafka::decode(&batch.bytes[message.value.clone()], encoding))
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(decoded[0].trace_id, TraceId::new(0, 5).to_bytes());
            assert_eq!(decoded[1].trace_id, long.trace_id);
        }
    }

    #[test]
    fn a_shared_process_is_encoded_once_and_decodes_into_every_span() {
        let process = Process {
            service_name: "batch-service".into(),
            tags: vec![spur_model::api_v2::KeyValue::string("host", "a")],
        };
        let shared = Span {
            process: None,
            ..span(TraceId::new(1, 2).to_bytes().to_vec())
        };
        let own = span(TraceId::new(3, 4).to_bytes().to_vec());
        let batch =
            Encoded::with_shared_process(vec![shared.clone(), own.clone()], &process).unwrap();
        let decoded: Vec<Span> = batch
            .messages
            .iter()
            .map(|message| kafka::decode_protobuf(&batch.bytes[message.value.clone()]).unwrap())
            .collect();
        // What the per-span path (process embedded in each span) writes for the same spans.
        let flattened = Span {
            process: Some(process),
            ..shared
        };
        let expected: Vec<Span> = [flattened, own]
            .iter()
            .map(|span| kafka::decode_protobuf(&kafka::encode_protobuf(span)).unwrap())
            .collect();
        assert_eq!(decoded, expected);
        let mut bad = span(vec![1, 2, 3]);
        bad.process = None;
        assert!(Encoded::with_shared_process(vec![bad], &Process::default()).is_err());
    }

    #[test]
    fn eight_byte_trace_ids_are_written_as_sixteen() {
        let mut with_reference = span(5u64.to_be_bytes().to_vec());
        with_reference.references = vec![SpanRef {
            trace_id: 5u64.to_be_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            ref_type: SpanRefType::ChildOf as i32,
        }];
        let batch = Encoded::new(vec![with_reference], Encoding::Protobuf).unwrap();
        let value = &batch.bytes[batch.messages[0].value.clone()];
        let decoded = <Span as prost::Message>::decode(value).unwrap();
        assert_eq!(decoded.trace_id, TraceId::new(0, 5).to_bytes());
        assert_eq!(
            decoded.references[0].trace_id,
            TraceId::new(0, 5).to_bytes()
        );
    }

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

    #[test]
    fn a_malformed_span_rejects_the_whole_write() {
        let good = span(TraceId::new(1, 2).to_bytes().to_vec());
        let mut no_process = good.clone();
        no_process.process = None;
        let mut bad_span_id = good.clone();
        bad_span_id.span_id = vec![1, 2, 3];
        let mut bad_reference = good.clone();
        bad_reference.references = vec![SpanRef {
            trace_id: vec![1; 3],
            span_id: 1u64.to_be_bytes().to_vec(),
            ref_type: 0,
        }];
        let cases = [
            (span(vec![1; 12]), "span 1: "),
            (no_process, "span 1: no process"),
            (bad_span_id, "span 1: "),
            (bad_reference, "span 1: reference: "),
        ];
        for (bad, expected) in cases {
            let Err(error) = Encoded::new(vec![good.clone(), bad], Encoding::Protobuf) else {
                panic!("{expected} accepted");
            };
            assert!(
                matches!(error, StorageError::InvalidArgument(_)),
                "{error:?}"
            );
            assert!(error.to_string().contains(expected), "{error}");
        }
    }
}
