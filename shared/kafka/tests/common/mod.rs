//! Helpers shared by spur-kafka's integration tests against the real Kafka (`SPUR_TEST_KAFKA`):
//! topic creation, varied spans grouped into traces, reading a topic back, and comparing spans
//! field by field. Test code only.

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use spur_kafka::ProducerConfig;
use spur_model::api_v2::Span;
use spur_model::kafka::Encoding;
use spur_model::{SpanId, TraceId};

pub const PARTITIONS: i32 = 4;
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The bootstrap servers; fails the test (never skips it) when Kafka is unreachable.
pub fn bootstrap() -> String {
    spur_e2e::KAFKA.require()
}

pub fn producer_config(bootstrap: &str, topic: &str, encoding: Encoding) -> ProducerConfig {
    ProducerConfig {
        brokers: bootstrap.split(',').map(|b| b.trim().to_owned()).collect(),
        topic: topic.to_owned(),
        encoding,
        ..ProducerConfig::default()
    }
}

fn client_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("client.id", "spur-kafka-tests");
    config
}

/// Creates a fresh topic of [`PARTITIONS`] partitions and returns its name.
pub async fn create_topic(bootstrap: &str, prefix: &str) -> String {
    let topic = spur_e2e::unique_name(prefix);
    let admin: AdminClient<DefaultClientContext> = client_config(bootstrap).create().unwrap();
    let new_topic = NewTopic::new(&topic, PARTITIONS, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics([&new_topic], &options).await.unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_deref(), Ok(topic.as_str()), "topic creation");
    topic
}

/// `traces` traces of `per_trace` spans each, with every field populated from the model's
/// proptest strategy (tags of every type, logs, references, process tags, warnings);
/// deterministic. Even traces have 64-bit ids (16-digit keys), odd ones 128-bit (32 digits).
pub fn traces(traces: u64, per_trace: u64) -> Vec<Span> {
    let mut runner = TestRunner::deterministic();
    let strategy = spur_model::testing::span();
    let mut spans = Vec::new();
    for trace in 0..traces {
        let trace_id = if trace % 2 == 0 {
            TraceId::new(0, 0x1000 + trace * 7_919)
        } else {
            TraceId::new(0xabc0 + trace, 0x0def_0000_0000 + trace * 104_729)
        };
        for index in 0..per_trace {
            let mut span = strategy.new_tree(&mut runner).unwrap().current();
            span.trace_id = trace_id.to_bytes().to_vec();
            span.span_id = SpanId((trace << 16) | index).to_bytes().to_vec();
            spans.push(span);
        }
    }
    spans
}

/// One message read back.
#[derive(Debug, Clone)]
pub struct Received {
    pub partition: i32,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// Reads every partition of `topic` from the beginning until `count` messages arrived, then
/// checks that nothing more comes within a second.
pub async fn consume(bootstrap: &str, topic: &str, count: usize) -> Vec<Received> {
    let consumer: StreamConsumer = client_config(bootstrap)
        .set("group.id", spur_e2e::unique_name("spur_kafka_tests"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut received = Vec::with_capacity(count);
    let reading = async {
        while received.len() < count {
            let message = consumer.recv().await.unwrap();
            received.push(Received {
                partition: message.partition(),
                key: message.key().unwrap_or_default().to_vec(),
                value: message.payload().unwrap_or_default().to_vec(),
            });
        }
    };
    tokio::time::timeout(TIMEOUT, reading)
        .await
        .unwrap_or_else(|_| panic!("only {} of {count} messages arrived", received.len()));
    if let Ok(extra) = tokio::time::timeout(Duration::from_secs(1), consumer.recv()).await {
        let extra = extra.unwrap();
        panic!(
            "unexpected extra message at {}/{}",
            extra.partition(),
            extra.offset()
        );
    }
    received
}

/// Messages in each partition of `topic` (high watermarks; the topic is fresh).
pub fn messages_per_partition(bootstrap: &str, topic: &str) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = client_config(bootstrap).create().unwrap();
    (0..PARTITIONS)
        .map(|partition| {
            let (low, high) = consumer
                .fetch_watermarks(topic, partition, TIMEOUT)
                .unwrap();
            (partition, high - low)
        })
        .collect()
}

/// Compares every field, so a failure names the one that differs, then the whole span.
pub fn assert_same_span(got: &Span, want: &Span) {
    let id = format!(
        "span {:?} of trace {:?}",
        SpanId::from_bytes(&want.span_id),
        TraceId::from_bytes(&want.trace_id)
    );
    assert_eq!(got.trace_id, want.trace_id, "{id}: trace_id");
    assert_eq!(got.span_id, want.span_id, "{id}: span_id");
    assert_eq!(
        got.operation_name, want.operation_name,
        "{id}: operation_name"
    );
    assert_eq!(got.references, want.references, "{id}: references");
    assert_eq!(got.flags, want.flags, "{id}: flags");
    assert_eq!(got.start_time, want.start_time, "{id}: start_time");
    assert_eq!(got.duration, want.duration, "{id}: duration");
    assert_eq!(got.tags, want.tags, "{id}: tags");
    assert_eq!(got.logs, want.logs, "{id}: logs");
    assert_eq!(got.process, want.process, "{id}: process");
    assert_eq!(got.process_id, want.process_id, "{id}: process_id");
    assert_eq!(got.warnings, want.warnings, "{id}: warnings");
    assert_eq!(got, want, "{id}");
}
