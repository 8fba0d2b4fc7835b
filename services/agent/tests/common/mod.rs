//! Running an agent and real collectors in this process for a test: every port on 127.0.0.1,
//! port 0; each collector writes to a recording writer the test reads back. One metrics
//! registry per test binary (the process's), read through the agent's admin port.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use spur_agent::server::{Listeners, Services, ShutdownReport};
use spur_agent::{AgentConfig, SETTINGS};
use spur_model::api_v2::Span;
use spur_storage::{SpanWriter, StorageError};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The spans a collector wrote, in arrival order.
#[derive(Default)]
pub struct Recorded(Mutex<Vec<Span>>);

impl Recorded {
    pub fn spans(&self) -> Vec<Span> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

#[async_trait]
impl SpanWriter for Recorded {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        self.0.lock().unwrap().extend(spans);
        Ok(())
    }
}

pub struct Collector {
    pub grpc: SocketAddr,
    pub recorded: Arc<Recorded>,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<spur_collector::server::ShutdownReport>>,
}

impl Collector {
    /// A collector on a new port.
    pub async fn start() -> Collector {
        Collector::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap()).await
    }

    /// A collector serving gRPC on `grpc` (bound earlier, so the agent can be pointed at it
    /// before it serves).
    pub async fn start_on(grpc: TcpListener) -> Collector {
        let address = grpc.local_addr().unwrap();
        let settings = spur_config::load(
            program(),
            spur_collector::SETTINGS,
            ["test"],
            &Default::default(),
        )
        .unwrap();
        let mut problems = spur_config::Problems::default();
        let config = spur_collector::CollectorConfig::read(&settings, &mut problems);
        problems.finish().unwrap();
        let listeners = spur_collector::Listeners {
            grpc: Some(grpc),
            http: None,
            zipkin: None,
            otlp_grpc: None,
            otlp_http: None,
            admin: None,
            udp: Vec::new(),
        };
        let recorded = Arc::new(Recorded::default());
        let services = spur_collector::server::Services {
            writer: recorded.clone(),
            writer_name: "storage",
            health: spur_telemetry::health::Health::new(),
            metrics: spur_telemetry::metrics::install().unwrap(),
            sampling: spur_sampling::StrategyStore::default(),
        };
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(spur_collector::run(
            config,
            services,
            listeners,
            shutdown.clone(),
        ));
        Collector {
            grpc: address,
            recorded,
            shutdown,
            task,
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
    }
}

fn program() -> spur_config::Program {
    spur_config::Program {
        name: "test",
        about: "test",
    }
}

pub struct Agent {
    pub compact: SocketAddr,
    pub binary: SocketAddr,
    pub http: SocketAddr,
    pub admin: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<ShutdownReport>>,
}

impl Agent {
    /// An agent sending to `collectors`, with extra `flags` (e.g. `--reporter.queue-size=50`).
    pub async fn start(collectors: &[SocketAddr], flags: &[&str]) -> Agent {
        Agent::start_with_env(collectors, flags, HashMap::new()).await
    }

    pub async fn start_with_env(
        collectors: &[SocketAddr],
        flags: &[&str],
        env: HashMap<String, String>,
    ) -> Agent {
        let collectors: Vec<String> = collectors.iter().map(ToString::to_string).collect();
        let mut args = vec![
            "test".to_owned(),
            format!("--reporter.grpc.host-port={}", collectors.join(",")),
        ];
        args.extend(flags.iter().map(|flag| (*flag).to_owned()));
        let settings = spur_config::load(program(), SETTINGS, args, &env).unwrap();
        let mut problems = spur_config::Problems::default();
        let config = AgentConfig::read(&settings, &env, &mut problems);
        problems.finish().unwrap();
        let local = || async { Some(TcpListener::bind("127.0.0.1:0").await.unwrap()) };
        let udp = || async { Some(UdpSocket::bind("127.0.0.1:0").await.unwrap()) };
        let listeners = Listeners {
            compact: udp().await,
            binary: udp().await,
            http: local().await,
            admin: local().await,
        };
        let compact = listeners.compact.as_ref().unwrap().local_addr().unwrap();
        let binary = listeners.binary.as_ref().unwrap().local_addr().unwrap();
        let http = listeners.http.as_ref().unwrap().local_addr().unwrap();
        let admin = listeners.admin.as_ref().unwrap().local_addr().unwrap();
        let services = Services {
            health: spur_telemetry::health::Health::new(),
            metrics: spur_telemetry::metrics::install().unwrap(),
        };
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(spur_agent::run(
            config,
            services,
            listeners,
            shutdown.clone(),
        ));
        let agent = Agent {
            compact,
            binary,
            http,
            admin,
            shutdown,
            task,
        };
        for _ in 0..500 {
            if let Ok(response) = reqwest::get(format!("http://{admin}/ready")).await
                && response.status() == 200
            {
                return agent;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("agent did not become ready");
    }

    /// Sends one datagram to the compact (6831) or binary (6832) port.
    pub async fn send(&self, to: SocketAddr, datagram: &[u8]) {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.send_to(datagram, to).await.unwrap();
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.admin))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of one series (`name{labels}` exactly as rendered), 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        self.metrics()
            .await
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    pub async fn stop(self) -> ShutdownReport {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("agent stopped within 30 s")
            .unwrap()
            .unwrap()
    }
}

/// Polls `condition` every 20 ms for up to `seconds`; false when it never held.
pub async fn eventually(seconds: u64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}
