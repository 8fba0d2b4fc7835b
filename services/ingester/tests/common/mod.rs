//! Helpers of the ingester's tests against the real Kafka (`SPUR_TEST_KAFKA`): topics, spans,
//! producing them as Spur's collector does (spur-kafka's writer) or as a plain client, running
//! an ingester in this process over a store the test reads, and polling with deadlines.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{FutureProducer, FutureRecord};
use spur_ingester::IngesterConfig;
use spur_ingester::write::Destination;
use spur_kafka::{ConsumerConfig, Encoding, KafkaSpanWriter, ProducerConfig};
use spur_model::api_v2::Span;
use spur_model::testing::workload;
use spur_storage::memory::MemoryStore;
use spur_storage::{GetTraceQuery, SpanReader, SpanWriter, StorageError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub fn bootstrap() -> String {
    spur_e2e::KAFKA.require()
}

pub async fn create_topic(bootstrap: &str, prefix: &str, partitions: i32) -> String {
    let topic = spur_e2e::unique_name(prefix);
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(
            [&NewTopic::new(
                &topic,
                partitions,
                TopicReplication::Fixed(1),
            )],
            &options,
        )
        .await
        .unwrap();
    assert_eq!(results[0].as_deref(), Ok(topic.as_str()));
    topic
}

/// `traces` traces of `per_trace` spans, trace numbers from `first`.
pub fn spans(first: u64, traces: u64, per_trace: u64) -> Vec<Span> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    (first..first + traces)
        .flat_map(|trace| {
            (0..per_trace).map(move |index| workload::span(index, trace, now - 1_000_000))
        })
        .collect()
}

/// Produces `spans` as Spur's (and Jaeger's) collector does.
pub async fn produce(bootstrap: &str, topic: &str, spans: &[Span], encoding: Encoding) {
    let writer = KafkaSpanWriter::new(&ProducerConfig {
        brokers: vec![bootstrap.to_owned()],
        topic: topic.to_owned(),
        encoding,
        ..ProducerConfig::default()
    })
    .unwrap();
    writer.write_spans(spans.to_vec()).await.unwrap();
    assert_eq!(writer.flush(Duration::from_secs(60)).await.unwrap(), 0);
}

/// Produces raw message values with a plain rdkafka producer (partition 0).
pub async fn produce_raw(bootstrap: &str, topic: &str, values: &[Vec<u8>]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    for value in values {
        producer
            .send(
                FutureRecord::<(), [u8]>::to(topic)
                    .payload(value)
                    .partition(0),
                Duration::from_secs(30),
            )
            .await
            .unwrap();
    }
}

pub fn config(bootstrap: &str, topic: &str, group: &str) -> IngesterConfig {
    IngesterConfig {
        consumer: ConsumerConfig {
            brokers: vec![bootstrap.to_owned()],
            topic: topic.to_owned(),
            group_id: group.to_owned(),
            ..ConsumerConfig::default()
        },
        parallelism: 1_000,
        batch_max_spans: 100,
        batch_linger: Duration::from_millis(50),
        dead_letter_topic: None,
        shutdown_timeout: Duration::from_secs(10),
        admin: None,
    }
}

/// A writer that fails (Unavailable) while `down` is set, else writes to `store`.
pub struct Flaky {
    pub down: AtomicBool,
    pub store: Arc<MemoryStore>,
}

#[async_trait]
impl SpanWriter for Flaky {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StorageError::Unavailable(
                "storage is down (test)".to_owned(),
            ));
        }
        self.store.write_spans(spans).await
    }
}

pub struct Running {
    pub shutdown: CancellationToken,
    pub task: JoinHandle<anyhow::Result<spur_ingester::IngestReport>>,
}

impl Running {
    pub async fn stop(self) -> spur_ingester::IngestReport {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("stopped within 60 s")
            .unwrap()
            .unwrap()
    }
}

pub fn start(config: IngesterConfig, writer: Arc<dyn SpanWriter>) -> Running {
    let destination = Destination {
        writer,
        backend: "memory",
        encoding: config.consumer.encoding,
        topic: config.consumer.topic.clone(),
        dead_letter: None,
    };
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let task =
        tokio::spawn(async move { spur_ingester::run(&config, destination, || {}, stop).await });
    Running { shutdown, task }
}

/// Spans of `expected`'s traces found in `store`, matched by (trace id, span id).
pub async fn found(store: &MemoryStore, expected: &[Span]) -> usize {
    let mut trace_ids: Vec<Vec<u8>> = expected.iter().map(|s| s.trace_id.clone()).collect();
    trace_ids.sort();
    trace_ids.dedup();
    let mut stored = Vec::new();
    for id in trace_ids {
        let trace_id = spur_model::TraceId::from_bytes(&id).unwrap();
        if let Some(trace) = store
            .get_trace(GetTraceQuery {
                trace_id,
                start_time_min: None,
                start_time_max: None,
            })
            .await
            .unwrap()
        {
            stored.extend(trace);
        }
    }
    expected
        .iter()
        .filter(|want| {
            stored
                .iter()
                .any(|got| got.trace_id == want.trace_id && got.span_id == want.span_id)
        })
        .count()
}

/// Polls `check` every 100 ms for up to `seconds`.
pub async fn eventually<F, Fut>(seconds: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
