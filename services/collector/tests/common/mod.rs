//! Starting a collector in this process for a test: every receiver on a port of its own on
//! 127.0.0.1, writing to the writer the test gives (the memory store, or a gated writer for
//! backpressure and shutdown tests), with the process's one metrics registry.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use spur_collector::server::{Services, ShutdownReport};
use spur_collector::{CollectorConfig, Listeners, SETTINGS};
use spur_model::api_v2::Span;
use spur_storage::{SpanWriter, StorageError};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Running {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub zipkin: SocketAddr,
    pub otlp_grpc: SocketAddr,
    pub otlp_http: SocketAddr,
    pub admin: SocketAddr,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<anyhow::Result<ShutdownReport>>,
}

impl Running {
    pub fn url(&self, address: SocketAddr, path: &str) -> String {
        format!("http://{address}{path}")
    }

    /// The Prometheus text of the admin port.
    pub async fn metrics(&self) -> String {
        reqwest::get(self.url(self.admin, "/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn stop(self) -> ShutdownReport {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("shutdown within 30 s")
            .unwrap()
            .unwrap()
    }
}

/// The default configuration, as an operator who sets nothing gets it.
pub fn default_config() -> CollectorConfig {
    let settings = spur_config::load(
        spur_config::Program {
            name: "test",
            about: "test",
        },
        SETTINGS,
        ["test"],
        &Default::default(),
    )
    .unwrap();
    let mut problems = spur_config::Problems::default();
    let config = CollectorConfig::read(&settings, &mut problems);
    problems.finish().unwrap();
    config
}

async fn local() -> Option<TcpListener> {
    Some(TcpListener::bind("127.0.0.1:0").await.unwrap())
}

pub async fn start(writer: Arc<dyn SpanWriter>, config: CollectorConfig) -> Running {
    start_with_sampling(writer, config, spur_sampling::StrategyStore::default()).await
}

pub async fn start_with_sampling(
    writer: Arc<dyn SpanWriter>,
    config: CollectorConfig,
    sampling: spur_sampling::StrategyStore,
) -> Running {
    let listeners = Listeners {
        grpc: local().await,
        http: local().await,
        zipkin: local().await,
        otlp_grpc: local().await,
        otlp_http: local().await,
        admin: local().await,
        udp: Vec::new(),
    };
    let address = |listener: &Option<TcpListener>| listener.as_ref().unwrap().local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let services = Services {
        writer,
        writer_name: "storage",
        health: spur_telemetry::health::Health::new(),
        metrics: spur_telemetry::metrics::install().unwrap(),
        sampling,
    };
    let running = Running {
        grpc: address(&listeners.grpc),
        http: address(&listeners.http),
        zipkin: address(&listeners.zipkin),
        otlp_grpc: address(&listeners.otlp_grpc),
        otlp_http: address(&listeners.otlp_http),
        admin: address(&listeners.admin),
        shutdown: shutdown.clone(),
        task: tokio::spawn(spur_collector::run(config, services, listeners, shutdown)),
    };
    // Ready once the admin port answers 200.
    for _ in 0..200 {
        if let Ok(response) = reqwest::get(running.url(running.admin, "/")).await
            && response.status() == 200
        {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("collector did not become ready");
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/clients")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A writer that holds every write until the test opens the gate, then writes to `inner`.
pub struct GatedWriter {
    pub gate: Semaphore,
    pub inner: Arc<dyn SpanWriter>,
}

impl GatedWriter {
    pub fn new(inner: Arc<dyn SpanWriter>) -> Arc<GatedWriter> {
        Arc::new(GatedWriter {
            gate: Semaphore::new(0),
            inner,
        })
    }

    pub fn open(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

#[async_trait::async_trait]
impl SpanWriter for GatedWriter {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        let _permit = self.gate.acquire().await;
        self.inner.write_spans(spans).await
    }
}

/// The value of the sample of `name` whose labels include every `label="value"` given.
pub fn metric_value(metrics: &str, name: &str, labels: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(name)
                && line[name.len()..].starts_with(['{', ' '])
                && labels.iter().all(|label| line.contains(label))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// `spur_model::testing::sample_batch`, moved to a trace of its own.
pub fn batch(spans: usize, trace: u64) -> spur_model::api_v2::Batch {
    let mut batch = spur_model::testing::sample_batch(spans);
    let trace_id = spur_model::TraceId::new(0x7e57, trace).to_bytes().to_vec();
    for span in &mut batch.spans {
        span.trace_id.clone_from(&trace_id);
    }
    batch
}

/// Held by tests that read process-wide gauges (the queue length), so two collectors in one
/// test process do not move the same gauge at once.
pub static GAUGES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
