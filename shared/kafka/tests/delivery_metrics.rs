//! What the writer counts, with a debugging recorder installed for this test binary only: a
//! writer whose broker is dead refuses writes that do not fit in its small queue at once (never
//! blocks, never enqueues part of a write) and counts the timed-out and purged deliveries, and
//! one waiting for delivery fails its write when the spans time out; a
//! writer on the real broker (`SPUR_TEST_KAFKA`) counts successes, and an oversized span as a
//! failure. The tests share the recorder, so they run one at a time.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use spur_kafka::metrics::{DELIVERY_ERRORS, QUEUE_MESSAGES, SPANS_WRITTEN};
use spur_kafka::{KafkaSpanWriter, ProducerConfig, QUEUE_FULL};
use spur_model::api_v2::{KeyValue, Span};
use spur_model::kafka::Encoding;
use spur_storage::{ErrorKind, SpanWriter, StorageError};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().unwrap();
        snapshotter
    })
}

/// Metric values since the last call (taking a snapshot resets counters and gauges), by
/// `name{label=value}`.
fn take_metrics() -> HashMap<String, f64> {
    snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let labels: Vec<String> = key
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            let value = match value {
                DebugValue::Counter(count) => count as f64,
                DebugValue::Gauge(value) => value.into_inner(),
                DebugValue::Histogram(_) => return None,
            };
            Some((name, value))
        })
        .collect()
}

fn value(metrics: &HashMap<String, f64>, name: &str, label: &str) -> f64 {
    metrics
        .get(&format!("{name}{{{label}}}"))
        .copied()
        .unwrap_or(0.0)
}

/// Writes and checks the call returned at once, whatever it returned.
async fn write_at_once(writer: &KafkaSpanWriter, spans: &[Span]) -> Result<(), StorageError> {
    let started = Instant::now();
    let result = writer.write_spans(spans.to_vec()).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "a write of {} spans took {took:?}",
        spans.len()
    );
    result
}

#[tokio::test]
async fn a_dead_broker_fills_the_queue_without_blocking_and_failures_are_counted() {
    let _serial = SERIAL.lock().await;
    take_metrics();
    let config = ProducerConfig {
        // Nothing listens on port 1.
        brokers: vec!["127.0.0.1:1".into()],
        topic: "spur-dead-broker".into(),
        queue_max_messages: 5,
        message_timeout: Duration::from_secs(2),
        // Answering on enqueueing, so the queue can be filled.
        wait_for_delivery: false,
        ..ProducerConfig::default()
    };
    let writer = KafkaSpanWriter::new(&config).unwrap();
    let spans = common::traces(3, 4);

    write_at_once(&writer, &spans[..3]).await.unwrap();
    assert_eq!(writer.queued(), 3);
    // 3 + 3 > 5: refused as a whole, nothing of it enqueued.
    let error = write_at_once(&writer, &spans[3..6]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(error.is_retryable());
    assert_eq!(
        error.to_string(),
        format!("storage unavailable: {QUEUE_FULL}")
    );
    assert_eq!(writer.queued(), 3, "the refused write left nothing behind");
    // Exactly full is fine; one more is not.
    write_at_once(&writer, &spans[3..5]).await.unwrap();
    assert_eq!(writer.queued(), 5);
    let error = write_at_once(&writer, &spans[5..6]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    // A write larger than the whole queue can never succeed: not worth retrying.
    let error = write_at_once(&writer, &spans[..6]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");

    let metrics = take_metrics();
    assert_eq!(value(&metrics, QUEUE_MESSAGES, ""), 5.0, "{metrics:?}");
    assert_eq!(value(&metrics, SPANS_WRITTEN, "status=failure"), 0.0);

    // The five time out after 2 s; their delivery reports free the queue.
    let left = writer.flush(Duration::from_secs(30)).await.unwrap();
    assert_eq!(left, 0);
    assert_eq!(writer.queued(), 0);
    let metrics = take_metrics();
    assert_eq!(
        value(&metrics, SPANS_WRITTEN, "status=failure"),
        5.0,
        "{metrics:?}"
    );
    assert_eq!(value(&metrics, SPANS_WRITTEN, "status=success"), 0.0);
    assert_eq!(value(&metrics, DELIVERY_ERRORS, "reason=timed_out"), 5.0);
    assert_eq!(value(&metrics, QUEUE_MESSAGES, ""), 0.0);

    // Room again. Dropping the writer without a flush purges what it holds.
    write_at_once(&writer, &spans[6..11]).await.unwrap();
    drop(writer);
    let metrics = take_metrics();
    assert_eq!(
        value(&metrics, SPANS_WRITTEN, "status=failure"),
        5.0,
        "{metrics:?}"
    );
    assert_eq!(value(&metrics, DELIVERY_ERRORS, "reason=purged"), 5.0);
}

/// Waiting for delivery (the default), a write to a dead broker fails once librdkafka gives its
/// spans up, naming how many, and is counted like any failed delivery.
#[tokio::test]
async fn a_write_waiting_for_a_dead_broker_fails_when_its_spans_time_out() {
    let _serial = SERIAL.lock().await;
    take_metrics();
    let config = ProducerConfig {
        brokers: vec!["127.0.0.1:1".into()],
        topic: "spur-dead-broker".into(),
        message_timeout: Duration::from_secs(2),
        ..ProducerConfig::default()
    };
    let writer = KafkaSpanWriter::new(&config).unwrap();
    let spans = common::traces(1, 3);
    let started = Instant::now();
    let error = writer.write_spans(spans).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1_900) && took < Duration::from_secs(20),
        "failed after the 2 s message timeout, not before: {took:?}"
    );
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(
        error
            .to_string()
            .contains("kafka did not take 3 of the 3 spans of this write"),
        "{error}"
    );
    assert_eq!(writer.queued(), 0);
    let metrics = take_metrics();
    assert_eq!(
        value(&metrics, SPANS_WRITTEN, "status=failure"),
        3.0,
        "{metrics:?}"
    );
    assert_eq!(value(&metrics, DELIVERY_ERRORS, "reason=timed_out"), 3.0);
}

#[tokio::test]
async fn deliveries_to_a_live_broker_are_counted_and_oversized_spans_are_failures() {
    let _serial = SERIAL.lock().await;
    let bootstrap = common::bootstrap();
    let topic = common::create_topic(&bootstrap, "spur_kafka_metrics").await;
    take_metrics();
    let config = ProducerConfig {
        max_message_bytes: 20_000,
        ..common::producer_config(&bootstrap, &topic, Encoding::Protobuf)
    };
    let writer = KafkaSpanWriter::new(&config).unwrap();
    let mut spans = common::traces(6, 5);
    let mut oversized = spans[0].clone();
    oversized.span_id = 0xffff_u64.to_be_bytes().to_vec();
    oversized
        .tags
        .push(KeyValue::string("payload", "x".repeat(50_000)));
    spans.push(oversized);

    // Accepted: like Jaeger's writer, an oversized span is dropped and counted, not an error.
    writer.write_spans(spans.clone()).await.unwrap();
    assert_eq!(writer.flush(common::TIMEOUT).await.unwrap(), 0);
    let metrics = take_metrics();
    assert_eq!(
        value(&metrics, SPANS_WRITTEN, "status=success"),
        30.0,
        "{metrics:?}"
    );
    assert_eq!(value(&metrics, SPANS_WRITTEN, "status=failure"), 1.0);
    assert_eq!(
        value(&metrics, DELIVERY_ERRORS, "reason=message_too_large"),
        1.0
    );
    assert_eq!(value(&metrics, QUEUE_MESSAGES, ""), 0.0);
    let received = common::consume(&bootstrap, &topic, 30).await;
    assert_eq!(received.len(), 30);
}
