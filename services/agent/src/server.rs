//! The agent running: UDP receivers feeding the queue (through [`AgentSink`], which adds the
//! agent's tags), reporter workers draining it to the collectors, the sampling proxy on 5778 and
//! the admin port, then the phased shutdown: not ready, receivers stopped, queue sent within the
//! deadline, what is left counted as dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use spur_agent_udp::{BatchSink, Protocol};
use spur_model::api_v2::{KeyValue, Process};
use spur_model::thrift::ThriftBatch;
use spur_telemetry::health::Health;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::AgentConfig;
use crate::metrics::{QUEUE_SPANS, SPANS_RECEIVED};
use crate::queue::SpanQueue;
use crate::reporter::{self, SendOptions};

/// The agent's sockets, bound before [`run`] (tests bind port 0).
pub struct Listeners {
    pub compact: Option<UdpSocket>,
    pub binary: Option<UdpSocket>,
    pub http: Option<TcpListener>,
    pub admin: Option<TcpListener>,
}

impl Listeners {
    pub async fn bind(config: &AgentConfig) -> anyhow::Result<Listeners> {
        let udp =
            |port: &crate::config::UdpPort, what: &str| -> anyhow::Result<Option<UdpSocket>> {
                port.address
                    .map(|address| {
                        spur_agent_udp::bind(address, port.options.socket_buffer_bytes)
                            .with_context(|| format!("cannot listen on {address}/udp ({what})"))
                    })
                    .transpose()
            };
        Ok(Listeners {
            compact: udp(&config.compact, "thrift compact")?,
            binary: udp(&config.binary, "thrift binary")?,
            http: tcp(config.http, "sampling HTTP").await?,
            admin: tcp(config.admin, "admin").await?,
        })
    }

    /// Local addresses, for tests and logs.
    pub fn compact_address(&self) -> Option<SocketAddr> {
        self.compact.as_ref().and_then(|s| s.local_addr().ok())
    }
}

async fn tcp(address: Option<SocketAddr>, what: &str) -> anyhow::Result<Option<TcpListener>> {
    match address {
        None => Ok(None),
        Some(address) => TcpListener::bind(address)
            .await
            .map(Some)
            .with_context(|| format!("cannot listen on {address} ({what})")),
    }
}

/// What the process provides besides the sockets.
pub struct Services {
    pub health: Health,
    pub metrics: PrometheusHandle,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Spans still unsent at the shutdown deadline (counted as dropped, reason `shutdown`).
    pub unsent_spans: u64,
}

/// Decoded datagrams into the queue, with the agent's tags appended to the process.
#[derive(Clone)]
pub struct AgentSink {
    queue: Arc<SpanQueue>,
    tags: Arc<Vec<KeyValue>>,
}

impl BatchSink for AgentSink {
    async fn accept(&self, decoded: ThriftBatch, protocol: Protocol) {
        let mut batch = decoded.batch;
        metrics::counter!(SPANS_RECEIVED, "protocol" => protocol.label())
            .increment(batch.spans.len() as u64);
        if !self.tags.is_empty() {
            batch
                .process
                .get_or_insert_with(Process::default)
                .tags
                .extend(self.tags.iter().cloned());
        }
        let dropped = self.queue.push(crate::wire::EncodedBatch::encode(&batch));
        reporter::drop_spans(dropped.spans as u64, "queue_full");
    }
}

/// Serves until `shutdown` is cancelled (or a server fails), then drains.
pub async fn run(
    config: AgentConfig,
    services: Services,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<ShutdownReport> {
    let receivers_stop = CancellationToken::new();
    let abandon = CancellationToken::new();
    let background_stop = CancellationToken::new();
    let queue = Arc::new(SpanQueue::new(config.queue_spans));
    let channel = crate::collectors::balanced(
        config.collectors.clone(),
        config.resolve_interval,
        background_stop.clone(),
    );
    let mut workers = reporter::spawn(
        Arc::clone(&queue),
        channel.clone(),
        SendOptions {
            workers: config.workers,
            batch_max_spans: config.batch_max_spans,
            batch_linger: config.batch_linger,
            call_timeout: config.call_timeout,
        },
        abandon.clone(),
    );
    let sink = AgentSink {
        queue: Arc::clone(&queue),
        tags: Arc::new(config.agent_tags.clone()),
    };

    let mut servers: JoinSet<anyhow::Result<()>> = JoinSet::new();
    for (socket, protocol, options) in [
        (listeners.compact, Protocol::Compact, config.compact.options),
        (listeners.binary, Protocol::Binary, config.binary.options),
    ] {
        let Some(socket) = socket else { continue };
        let (sink, stop) = (sink.clone(), receivers_stop.clone());
        servers.spawn(async move {
            spur_agent_udp::serve(socket, protocol, options, sink, stop).await;
            Ok(())
        });
    }
    let mut others: JoinSet<anyhow::Result<()>> = JoinSet::new();
    if let Some(listener) = listeners.http {
        let router = spur_sampling::router(
            spur_sampling::GrpcProxy::new(channel.clone()),
            &spur_sampling::HttpOptions::agent(),
        );
        let stop = background_stop.clone();
        others.spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .context("sampling HTTP server (5778)")
        });
    }
    if let Some(listener) = listeners.admin {
        let router =
            spur_telemetry::admin::router(services.health.clone(), services.metrics, "agent");
        let stop = background_stop.clone();
        others.spawn(async move {
            spur_telemetry::admin::serve(listener, router, stop)
                .await
                .context("admin server (14271)")
        });
    }
    let queue_gauge = {
        let (queue, stop) = (Arc::clone(&queue), background_stop.clone());
        tokio::spawn(async move {
            loop {
                metrics::gauge!(QUEUE_SPANS).set(queue.spans() as f64);
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        })
    };
    services.health.set_ready();
    tracing::info!(collectors = ?config.collectors, "agent ready");

    let failure = tokio::select! {
        failure = spur_telemetry::process::until_shutdown_or_failure(&mut servers, &shutdown) => failure,
        failure = spur_telemetry::process::until_shutdown_or_failure(&mut others, &shutdown) => failure,
    };

    // Phased shutdown: not ready, stop reading, send what is queued within the deadline.
    let began = Instant::now();
    services.health.set_unavailable();
    receivers_stop.cancel();
    while servers.join_next().await.is_some() {}
    queue.close();
    let deadline = config.shutdown_timeout;
    let drained = tokio::time::timeout(deadline, async {
        while workers.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !drained {
        abandon.cancel();
        while workers.join_next().await.is_some() {}
    }
    let unsent = queue.clear() as u64;
    reporter::drop_spans(unsent, "shutdown");
    if unsent > 0 || !drained {
        tracing::error!(
            unsent,
            "shutdown deadline passed with spans unsent to the collectors"
        );
    } else {
        tracing::info!(seconds = began.elapsed().as_secs_f64(), "agent drained");
    }
    background_stop.cancel();
    while others.join_next().await.is_some() {}
    let _ = queue_gauge.await;
    match failure {
        Some(error) => Err(error),
        None => Ok(ShutdownReport {
            unsent_spans: unsent + u64::from(!drained),
        }),
    }
}
