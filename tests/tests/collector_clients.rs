//! Real tracing client libraries → an in-process Spur collector → a real Kafka topic, read back.
//!
//! Each test creates a fresh topic, starts a collector (every receiver on a 127.0.0.1:0 port)
//! whose writer is the Kafka writer built by `spur-storage-factory`, and runs one sender from
//! `tests/clients/live/`: an unmodified client library sends one known trace (a root and two
//! children) with its own exporter and prints what its own span objects report. Every message of
//! the topic is then decoded with `spur_model::kafka::decode_protobuf` and compared field by
//! field with that description, mapped the way Jaeger's translators map it: ids, the parent
//! reference (and links), operation name, start and duration, typed tags and logs, the process,
//! flags, the error/status tags and the collector's `internal.span.format` tag. The message key
//! must be the trace id's hex form, each span must arrive exactly once, and the collector must
//! shut down without losing a span.
//!
//! | test | library | wire | port |
//! |---|---|---|---|
//! | `otel_python_otlp_grpc` | opentelemetry-exporter-otlp-proto-grpc | OTLP protobuf, gzip | 4317 |
//! | `otel_python_otlp_http` | opentelemetry-exporter-otlp-proto-http | OTLP protobuf | 4318 |
//! | `otel_node_otlp_http_json` | @opentelemetry/exporter-trace-otlp-http | OTLP/JSON | 4318 |
//! | `py_zipkin_v2_json` | py_zipkin | Zipkin v2 JSON | 9411 |
//! | `jaeger_client_go_http` | jaeger-client-go `NewHTTPTransport` | Jaeger thrift binary | 14268 |
//!
//! This file owns the harness (collector, topic); the senders are `spur_e2e::clients`, the
//! expectations and the comparison `spur_e2e::expect`. They apply Jaeger's rules to the libraries' own values
//! and never read the bytes that were sent.
//!
//! The senders' environments come from `bash tests/clients/live/install.sh` (`make test` runs
//! it first). A missing or stale environment fails the test with that instruction; nothing is
//! skipped. Kafka: `SPUR_TEST_KAFKA` (`spur_e2e::KAFKA`).
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::Value;
use spur_collector::server::{Services, ShutdownReport};
use spur_collector::{CollectorConfig, Listeners, SETTINGS};
use spur_e2e::clients::{Endpoints, Sender};
use spur_e2e::expect::{Received, SPANS, compare};
use spur_e2e::{KAFKA, unique_name};
use spur_storage_factory::{KafkaConfig, StorageConfig};
use spur_telemetry::health::Health;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const PARTITIONS: i32 = 2;
/// From the sender's exit until every span is read back from Kafka.
const CONSUME_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to keep reading after the last expected message, to catch duplicates.
const EXTRA_WAIT: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------------------------
// The senders (spur_e2e::clients) and where they send

/// Runs `sender` against the in-process collector; the JSON description it prints.
async fn run_sender(sender: Sender, collector: &Collector, service: &str) -> Value {
    let endpoints = Endpoints {
        otlp_grpc: Some(collector.otlp_grpc),
        otlp_http: Some(collector.otlp_http),
        zipkin: Some(collector.zipkin),
        http: Some(collector.http),
        agent_compact: None,
    };
    sender
        .run(&endpoints, service)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------------
// The collector, in process, writing to Kafka

struct Collector {
    http: SocketAddr,
    zipkin: SocketAddr,
    otlp_grpc: SocketAddr,
    otlp_http: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<Result<ShutdownReport, String>>,
}

/// The default configuration, as an operator who sets nothing gets it.
fn default_config() -> CollectorConfig {
    let program = spur_config::Program {
        name: "collector-clients-test",
        about: "test",
    };
    let settings = spur_config::load(program, SETTINGS, ["test"], &Default::default()).unwrap();
    let mut problems = spur_config::Problems::default();
    let config = CollectorConfig::read(&settings, &mut problems);
    problems.finish().unwrap();
    config
}

async fn local() -> Option<TcpListener> {
    Some(TcpListener::bind("127.0.0.1:0").await.unwrap())
}

impl Collector {
    async fn start(bootstrap: &str, topic: &str) -> Collector {
        // The Kafka writer takes its metric handles from the recorder installed before it.
        let metrics = spur_telemetry::metrics::install().unwrap();
        let kafka = StorageConfig::Kafka(KafkaConfig {
            brokers: bootstrap.split(',').map(|b| b.trim().to_owned()).collect(),
            topic: topic.to_owned(),
            ..Default::default()
        });
        let storage = spur_storage_factory::build(&kafka)
            .await
            .unwrap_or_else(|e| panic!("building the Kafka writer for {topic}: {e}"));
        let listeners = Listeners {
            grpc: local().await,
            http: local().await,
            zipkin: local().await,
            otlp_grpc: local().await,
            otlp_http: local().await,
            admin: local().await,
            udp: Vec::new(),
        };
        let address = |l: &Option<TcpListener>| l.as_ref().unwrap().local_addr().unwrap();
        let (http, zipkin) = (address(&listeners.http), address(&listeners.zipkin));
        let (otlp_grpc, otlp_http) = (address(&listeners.otlp_grpc), address(&listeners.otlp_http));
        let health = Health::new();
        let services = Services {
            writer: storage.writer,
            writer_name: "kafka",
            health: health.clone(),
            metrics,
            sampling: spur_sampling::StrategyStore::default(),
        };
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        let task = tokio::spawn(async move {
            spur_collector::run(default_config(), services, listeners, token)
                .await
                .map_err(|e| format!("{e:#}"))
        });
        let collector = Collector {
            http,
            zipkin,
            otlp_grpc,
            otlp_http,
            shutdown,
            task,
        };
        for _ in 0..500 {
            if health.is_ready() {
                return collector;
            }
            assert!(!collector.task.is_finished(), "the collector stopped");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the collector was not ready within 5 s");
    }

    async fn stop(self) -> ShutdownReport {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the collector stops within 30 s")
            .unwrap()
            .unwrap_or_else(|e| panic!("the collector failed: {e}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Kafka: a fresh topic, and everything in it

fn client_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("client.id", "spur-collector-clients-test");
    config
}

async fn create_topic(bootstrap: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = client_config(bootstrap).create().unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(
            [&NewTopic::new(
                topic,
                PARTITIONS,
                TopicReplication::Fixed(1),
            )],
            &options,
        )
        .await
        .expect("create_topics request");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_deref(), Ok(topic), "creating topic {topic}");
}

/// Best effort: a topic is left behind only when its test failed, for a look at it.
async fn delete_topic(bootstrap: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = client_config(bootstrap).create().unwrap();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let _ = admin.delete_topics(&[topic], &options).await;
}

/// Reads every partition from the beginning until `expected` messages arrived, then
/// [`EXTRA_WAIT`] more so a duplicate would show; fails after [`CONSUME_TIMEOUT`].
async fn consume(bootstrap: &str, topic: &str, expected: usize) -> Vec<Received> {
    let consumer: StreamConsumer = client_config(bootstrap)
        .set("group.id", unique_name("spur_live_reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut partitions = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        partitions
            .add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&partitions).unwrap();

    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + CONSUME_TIMEOUT;
    loop {
        let wait_until = if received.len() < expected {
            deadline
        } else {
            deadline.min(tokio::time::Instant::now() + EXTRA_WAIT)
        };
        let Ok(message) = tokio::time::timeout_at(wait_until, consumer.recv()).await else {
            break;
        };
        let message = message.expect("consumer error");
        let payload = message.payload().unwrap_or_default();
        let span = spur_model::kafka::decode_protobuf(payload).unwrap_or_else(|e| {
            panic!(
                "message {}/{} is not a protobuf Jaeger span: {e}",
                message.partition(),
                message.offset()
            )
        });
        received.push(Received {
            key: message
                .key()
                .map(|key| String::from_utf8_lossy(key).into_owned()),
            partition: message.partition(),
            span,
        });
    }
    assert!(
        received.len() >= expected,
        "only {} of {expected} spans reached {topic} within {CONSUME_TIMEOUT:?}",
        received.len()
    );
    received
}

// ---------------------------------------------------------------------------------------------
// The tests

/// Fresh topic, collector writing to it, the sender, everything read back and compared; the
/// collector must then shut down without losing a span.
async fn sends_one_trace_through_kafka(sender: Sender) {
    sender
        .require_environment()
        .unwrap_or_else(|e| panic!("{e}"));
    let bootstrap = KAFKA.require();
    let topic = unique_name("spur_live_clients");
    create_topic(&bootstrap, &topic).await;
    let collector = Collector::start(&bootstrap, &topic).await;
    let service = unique_name(&format!("spur-live-{sender:?}"));

    let doc = run_sender(sender, &collector, &service).await;
    let received = consume(&bootstrap, &topic, SPANS).await;
    let report = collector.stop().await;
    assert_eq!(report.lost_spans, 0, "shutdown lost spans");
    compare(sender.format(), &doc, &service, &received);
    delete_topic(&bootstrap, &topic).await;
}

/// Python OTel SDK → OTLP/gRPC (4317), gzip-compressed, as the OTel Collector exporters send it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_python_otlp_grpc() {
    sends_one_trace_through_kafka(Sender::OtelPythonGrpc).await;
}

/// Python OTel SDK → OTLP/HTTP protobuf (4318 `/v1/traces`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_python_otlp_http() {
    sends_one_trace_through_kafka(Sender::OtelPythonHttp).await;
}

/// Node OTel SDK → OTLP/HTTP JSON (4318 `/v1/traces`): hex ids, string nanosecond times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otel_node_otlp_http_json() {
    sends_one_trace_through_kafka(Sender::OtelNodeHttpJson).await;
}

/// py_zipkin → Zipkin v2 JSON (9411 `/api/v2/spans`): string tags, a remote endpoint, an `error` tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn py_zipkin_v2_json() {
    sends_one_trace_through_kafka(Sender::PyZipkin).await;
}

/// jaeger-client-go → thrift binary `Batch` over HTTP (14268 `/api/traces`), 128-bit trace ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jaeger_client_go_http() {
    sends_one_trace_through_kafka(Sender::JaegerGo).await;
}
