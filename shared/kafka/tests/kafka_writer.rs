//! The Kafka span writer against a real broker (`SPUR_TEST_KAFKA`, default 127.0.0.1:9092; the
//! tests fail when it is unreachable): what Jaeger's ingester reads back (every field, both
//! encodings), the message keys, Jaeger's trace → partition rule, and flushing.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::{PARTITIONS, TIMEOUT};
use spur_kafka::{KafkaSpanWriter, ProducerConfig, partition_for_key};
use spur_model::TraceId;
use spur_model::api_v2::Span;
use spur_model::kafka::{self, Encoding};
use spur_storage::SpanWriter;

async fn spans_round_trip(encoding: Encoding) {
    let bootstrap = common::bootstrap();
    let topic = common::create_topic(&bootstrap, "spur_kafka_round_trip").await;
    let writer =
        KafkaSpanWriter::new(&common::producer_config(&bootstrap, &topic, encoding)).unwrap();
    let written = common::traces(12, 5);
    // Several writes, each mixing traces.
    for chunk in written.chunks(7) {
        writer.write_spans(chunk.to_vec()).await.unwrap();
    }
    assert_eq!(writer.flush(TIMEOUT).await.unwrap(), 0, "flushed");

    let received = common::consume(&bootstrap, &topic, written.len()).await;
    let mut by_id: HashMap<(Vec<u8>, Vec<u8>), &Span> = written
        .iter()
        .map(|span| ((span.trace_id.clone(), span.span_id.clone()), span))
        .collect();
    let mut partitions_of_trace: BTreeMap<TraceId, BTreeSet<i32>> = BTreeMap::new();
    for message in &received {
        let span = kafka::decode(&message.value, encoding).unwrap();
        let trace_id = span.trace_id().unwrap();
        // Jaeger's key: TraceID.String(), 16 hex digits for 64-bit ids, else 32.
        assert_eq!(
            String::from_utf8(message.key.clone()).unwrap(),
            trace_id.to_string(),
            "key"
        );
        let expected_length = if trace_id.high == 0 { 16 } else { 32 };
        assert_eq!(message.key.len(), expected_length, "key length");
        assert_eq!(
            Some(message.partition),
            partition_for_key(&message.key, PARTITIONS),
            "trace {trace_id} is in the partition Jaeger's FNV-1a rule gives"
        );
        partitions_of_trace
            .entry(trace_id)
            .or_default()
            .insert(message.partition);
        let original = by_id
            .remove(&(span.trace_id.clone(), span.span_id.clone()))
            .unwrap_or_else(|| panic!("span read twice or never written: {span:?}"));
        common::assert_same_span(&span, original);
    }
    assert!(by_id.is_empty(), "{} spans never arrived", by_id.len());
    assert_eq!(partitions_of_trace.len(), 12);
    for (trace_id, partitions) in &partitions_of_trace {
        assert_eq!(partitions.len(), 1, "trace {trace_id} in {partitions:?}");
    }
    let used: BTreeSet<i32> = partitions_of_trace.values().flatten().copied().collect();
    assert!(
        used.len() > 1,
        "12 traces all in partition {used:?}: the check proves little"
    );
}

#[tokio::test]
async fn protobuf_spans_round_trip_keyed_and_partitioned_as_jaeger_does() {
    spans_round_trip(Encoding::Protobuf).await;
}

#[tokio::test]
async fn json_spans_round_trip_keyed_and_partitioned_as_jaeger_does() {
    spans_round_trip(Encoding::Json).await;
}

#[tokio::test]
async fn flush_delivers_everything_queued_before_returning() {
    let bootstrap = common::bootstrap();
    let topic = common::create_topic(&bootstrap, "spur_kafka_flush").await;
    // Batches wait 3 s to fill, so the spans are still queued when the flush starts. (The
    // flush waits for that linger: rust-rdkafka 0.39 calls rd_kafka_flush with a zero
    // timeout in a loop, so librdkafka's "flush sends at once" override does not hold.)
    let config = ProducerConfig {
        batch_linger: Duration::from_secs(3),
        wait_for_delivery: false,
        ..common::producer_config(&bootstrap, &topic, Encoding::Protobuf)
    };
    let writer = KafkaSpanWriter::new(&config).unwrap();
    let spans = common::traces(8, 5);
    writer.write_spans(spans.clone()).await.unwrap();
    assert_eq!(writer.queued(), spans.len(), "queued, not sent yet");
    assert_eq!(
        common::messages_per_partition(&bootstrap, &topic)
            .values()
            .sum::<i64>(),
        0,
        "nothing sent before the flush"
    );

    let left = writer.flush(TIMEOUT).await.unwrap();
    assert_eq!(left, 0, "nothing left after the flush");
    assert_eq!(writer.queued(), 0);
    // Already in the log when flush returned.
    let stored: i64 = common::messages_per_partition(&bootstrap, &topic)
        .values()
        .sum();
    assert_eq!(stored, spans.len() as i64);
    let received = common::consume(&bootstrap, &topic, spans.len()).await;
    assert_eq!(received.len(), spans.len());
}

/// librdkafka's flush sends lingering messages at once, so only a broker that cannot be reached
/// keeps messages queued past a short deadline: here a listener that accepts and never answers.
#[tokio::test]
async fn a_flush_that_runs_out_of_time_reports_what_is_left() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let config = ProducerConfig {
        wait_for_delivery: false,
        ..common::producer_config(&address, "spur_kafka_unreachable", Encoding::Protobuf)
    };
    let writer = KafkaSpanWriter::new(&config).unwrap();
    let spans = common::traces(2, 5);
    writer.write_spans(spans.clone()).await.unwrap();
    let started = Instant::now();
    let left = writer.flush(Duration::from_millis(200)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the flush kept its deadline"
    );
    assert_eq!(left, spans.len() as u64, "nothing could be delivered");
    assert_eq!(writer.queued(), spans.len());
    drop(silent);
}

#[tokio::test]
async fn a_flush_with_nothing_queued_returns_at_once() {
    let bootstrap = common::bootstrap();
    let topic = common::create_topic(&bootstrap, "spur_kafka_idle_flush").await;
    let writer =
        KafkaSpanWriter::new(&common::producer_config(&bootstrap, &topic, Encoding::Json)).unwrap();
    writer.write_spans(Vec::new()).await.unwrap();
    let started = Instant::now();
    assert_eq!(writer.flush(TIMEOUT).await.unwrap(), 0);
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// The default: a write returns once Kafka has its spans, so they survive the writer's process.
/// Batches linger 1 s here: a write that returned on enqueueing would find nothing in Kafka.
#[tokio::test]
async fn a_write_returns_once_its_spans_are_in_kafka() {
    let bootstrap = common::bootstrap();
    let topic = common::create_topic(&bootstrap, "spur_kafka_wait").await;
    let config = ProducerConfig {
        batch_linger: Duration::from_secs(1),
        ..common::producer_config(&bootstrap, &topic, Encoding::Protobuf)
    };
    assert!(config.wait_for_delivery, "the default");
    let writer = KafkaSpanWriter::new(&config).unwrap();
    let spans = common::traces(6, 4);
    let started = Instant::now();
    writer.write_spans(spans[..12].to_vec()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "returned after the linger and the broker's acknowledgement, not before"
    );
    assert_eq!(writer.queued(), 0, "nothing of it left in the producer");
    let stored: i64 = common::messages_per_partition(&bootstrap, &topic)
        .values()
        .sum();
    assert_eq!(
        stored, 12,
        "in Kafka when the write returned, without a flush"
    );
    // Concurrent writes each wait for their own spans only.
    let (first, second) = tokio::join!(
        writer.write_spans(spans[12..18].to_vec()),
        writer.write_spans(spans[18..].to_vec())
    );
    first.unwrap();
    second.unwrap();
    let stored: i64 = common::messages_per_partition(&bootstrap, &topic)
        .values()
        .sum();
    assert_eq!(stored, spans.len() as i64);
    let received = common::consume(&bootstrap, &topic, spans.len()).await;
    assert_eq!(received.len(), spans.len());
}
