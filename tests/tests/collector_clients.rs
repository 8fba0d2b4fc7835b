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
//! This file owns the harness (senders, collector, topic); the expectations and the comparison
//! are in `collector_clients/expect.rs`. They apply Jaeger's rules to the libraries' own values
//! and never read the bytes that were sent.
//!
//! The senders' environments come from `bash tests/clients/live/install.sh` (`make test` runs
//! it first). A missing or stale environment fails the test with that instruction; nothing is
//! skipped. Kafka: `SPUR_TEST_KAFKA` (`spur_e2e::KAFKA`).
#![allow(clippy::unwrap_used)]

#[path = "collector_clients/expect.rs"]
mod expect;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use expect::{Format, Received, SPANS, compare};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::Value;
use spur_collector::server::{Services, ShutdownReport};
use spur_collector::{CollectorConfig, Listeners, SETTINGS};
use spur_e2e::{KAFKA, unique_name};
use spur_storage_factory::{KafkaConfig, StorageConfig};
use spur_telemetry::health::Health;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const PARTITIONS: i32 = 2;
/// A sender's whole run, interpreter start to exit (its own waits are 15 s or less).
const SENDER_TIMEOUT: Duration = Duration::from_secs(120);
/// From the sender's exit until every span is read back from Kafka.
const CONSUME_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to keep reading after the last expected message, to catch duplicates.
const EXTRA_WAIT: Duration = Duration::from_secs(2);
const INSTALL_HINT: &str = "run `bash tests/clients/live/install.sh` (`make test` runs it first)";

// ---------------------------------------------------------------------------------------------
// The senders and their environments (see tests/clients/live/install.sh)

/// One program of `tests/clients/live/`: a library and its transport.
#[derive(Debug, Clone, Copy)]
enum Sender {
    OtelPythonGrpc,
    OtelPythonHttp,
    OtelNodeHttpJson,
    PyZipkin,
    JaegerGo,
}

fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

fn cache_root() -> PathBuf {
    match std::env::var_os("SPUR_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/spur"),
    }
}

/// What install.sh prepares for one of its targets.
struct Environment {
    /// install.sh's target name, also its `.ready` marker's.
    target: &'static str,
    /// Must exist once installed.
    installed: PathBuf,
    /// Pin and source files: the marker must be newer than each.
    inputs: Vec<PathBuf>,
}

impl Sender {
    fn format(self) -> Format {
        match self {
            Sender::OtelPythonGrpc | Sender::OtelPythonHttp | Sender::OtelNodeHttpJson => {
                Format::Otlp
            }
            Sender::PyZipkin => Format::Zipkin,
            Sender::JaegerGo => Format::Jaeger,
        }
    }

    fn environment(self) -> Environment {
        let cache = cache_root();
        let fixtures = repo_root().join("tests/fixtures/clients");
        let live = repo_root().join("tests/clients/live");
        match self {
            Sender::OtelPythonGrpc | Sender::OtelPythonHttp => Environment {
                target: "otel-python",
                installed: cache.join("fixtures-venv-otel/bin/python"),
                inputs: vec![fixtures.join("requirements-otel.txt")],
            },
            Sender::PyZipkin => Environment {
                target: "zipkin-python",
                installed: cache.join("fixtures-venv-zipkin/bin/python"),
                inputs: vec![fixtures.join("requirements-zipkin.txt")],
            },
            Sender::OtelNodeHttpJson => Environment {
                target: "node-otel",
                installed: cache.join(
                    "fixtures-node/node_modules/@opentelemetry/exporter-trace-otlp-http/package.json",
                ),
                inputs: vec![
                    fixtures.join("package.json"),
                    fixtures.join("package-lock.json"),
                ],
            },
            Sender::JaegerGo => Environment {
                target: "go-jaeger",
                installed: cache.join("live-clients/bin/jaeger-go"),
                inputs: vec![
                    live.join("go.mod"),
                    live.join("go.sum"),
                    live.join("jaeger-go/main.go"),
                ],
            },
        }
    }

    /// The command that sends to `collector` as `service`.
    fn command(self, collector: &Collector, service: &str) -> tokio::process::Command {
        let cache = cache_root();
        let live = repo_root().join("tests/clients/live");
        let python = |venv: &str, script: &str| {
            let mut command = tokio::process::Command::new(cache.join(venv).join("bin/python"));
            command.arg(live.join(script));
            command
        };
        let mut command = match self {
            Sender::OtelPythonGrpc => {
                let mut command = python("fixtures-venv-otel", "otel_python.py");
                command.args(["--protocol", "grpc", "--compression", "gzip", "--endpoint"]);
                command.arg(collector.otlp_grpc.to_string());
                command
            }
            Sender::OtelPythonHttp => {
                let mut command = python("fixtures-venv-otel", "otel_python.py");
                command.args(["--protocol", "http", "--compression", "none", "--endpoint"]);
                command.arg(format!("http://{}/v1/traces", collector.otlp_http));
                command
            }
            Sender::PyZipkin => {
                let mut command = python("fixtures-venv-zipkin", "py_zipkin_sender.py");
                command.arg("--endpoint");
                command.arg(format!("http://{}", collector.zipkin));
                command
            }
            Sender::OtelNodeHttpJson => {
                let mut command = tokio::process::Command::new("node");
                command.arg(live.join("otel_node.js"));
                command.env("NODE_PATH", cache.join("fixtures-node/node_modules"));
                command.arg("--endpoint");
                command.arg(format!("http://{}/v1/traces", collector.otlp_http));
                command
            }
            Sender::JaegerGo => {
                let mut command =
                    tokio::process::Command::new(cache.join("live-clients/bin/jaeger-go"));
                command.arg("-endpoint");
                command.arg(format!("http://{}/api/traces", collector.http));
                command
            }
        };
        let service_flag = if matches!(self, Sender::JaegerGo) {
            "-service"
        } else {
            "--service"
        };
        command.args([service_flag, service]);
        command
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Fails the test unless install.sh prepared `sender`'s environment after its inputs changed.
fn require_environment(sender: Sender) {
    let env = sender.environment();
    let marker = cache_root()
        .join("live-clients")
        .join(format!("{}.ready", env.target));
    let problem = if !env.installed.exists() {
        Some(format!("{} is missing", env.installed.display()))
    } else if let Some(ready) = modified(&marker) {
        env.inputs
            .iter()
            .find(|input| modified(input).is_some_and(|changed| changed > ready))
            .map(|input| format!("{} changed after the last install", input.display()))
    } else {
        Some(format!("{} is missing", marker.display()))
    };
    if let Some(problem) = problem {
        panic!(
            "the {} sender's environment is not ready: {problem}; {INSTALL_HINT}",
            env.target
        );
    }
}

/// Runs the sender with the SDK defaults (no `OTEL_*`/`JAEGER_*`, no proxy) and returns the
/// JSON description it prints.
async fn run_sender(sender: Sender, collector: &Collector, service: &str) -> Value {
    let mut command = sender.command(collector, service);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        let proxy = name.eq_ignore_ascii_case("http_proxy")
            || name.eq_ignore_ascii_case("https_proxy")
            || name.eq_ignore_ascii_case("all_proxy")
            || name == "grpc_proxy";
        if name.starts_with("OTEL_") || name.starts_with("JAEGER_") || proxy {
            command.env_remove(&name);
        }
    }
    command
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = command
        .spawn()
        .unwrap_or_else(|e| panic!("{sender:?}: cannot start {command:?}: {e}; {INSTALL_HINT}"));
    let output = tokio::time::timeout(SENDER_TIMEOUT, started.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{sender:?}: no exit within {SENDER_TIMEOUT:?}"))
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{sender:?} failed ({}): {stderr}\n(a broken environment? {INSTALL_HINT})",
        output.status
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{sender:?} printed no JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
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
    require_environment(sender);
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
