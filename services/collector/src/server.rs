//! Serving the collector: binding every configured port ([`Listeners`]), running the receivers
//! and the admin server on them ([`run`]), and shutting down in phases when the token is
//! cancelled: report unavailable, stop the receivers (in-flight requests finish), drain the
//! pipeline, flush the writer within `collector.shutdown-timeout`, and report what was lost.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use spur_storage::SpanWriter;
use spur_telemetry::health::Health;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::CollectorConfig;
use crate::pipeline::{Pipeline, PipelineOptions};
use crate::receivers::{self, http::layered};
use crate::sanitize::Sanitizer;

/// The bound ports; `None` where the receiver is switched off.
#[derive(Debug, Default)]
pub struct Listeners {
    pub grpc: Option<TcpListener>,
    pub http: Option<TcpListener>,
    pub zipkin: Option<TcpListener>,
    pub otlp_grpc: Option<TcpListener>,
    pub otlp_http: Option<TcpListener>,
    pub admin: Option<TcpListener>,
    /// The agent's UDP ports (the all-in-one binds them; the collector alone does not).
    pub udp: Vec<(tokio::net::UdpSocket, spur_agent_udp::Protocol)>,
}

impl Listeners {
    /// Binds every address the configuration enables.
    pub async fn bind(config: &CollectorConfig) -> anyhow::Result<Listeners> {
        async fn bind(
            address: Option<SocketAddr>,
            what: &str,
        ) -> anyhow::Result<Option<TcpListener>> {
            match address {
                None => Ok(None),
                Some(address) => TcpListener::bind(address)
                    .await
                    .map(Some)
                    .with_context(|| format!("cannot listen on {address} ({what})")),
            }
        }
        Ok(Listeners {
            grpc: bind(config.grpc, "collector.grpc-server.host-port").await?,
            http: bind(config.http, "collector.http-server.host-port").await?,
            zipkin: bind(config.zipkin, "collector.zipkin.host-port").await?,
            otlp_grpc: bind(config.otlp_grpc, "collector.otlp.grpc.host-port").await?,
            otlp_http: bind(config.otlp_http, "collector.otlp.http.host-port").await?,
            admin: bind(config.admin, "admin.http.host-port").await?,
            udp: Vec::new(),
        })
    }
}

/// What shutdown could not deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Spans accepted but not written or flushed before the deadline.
    pub lost_spans: u64,
}

/// Everything `run` needs besides the configuration and the ports.
pub struct Services {
    pub writer: Arc<dyn SpanWriter>,
    /// `kafka` or `storage`, for metrics.
    pub writer_name: &'static str,
    pub health: Health,
    pub metrics: PrometheusHandle,
    pub sampling: spur_sampling::StrategyStore,
}

/// Serves until `shutdown` is cancelled, then shuts down in phases.
pub async fn run(
    config: CollectorConfig,
    context: Services,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<ShutdownReport> {
    let pipeline = Pipeline::new(
        context.writer.clone(),
        PipelineOptions {
            queue_size: config.queue_size,
            num_workers: config.num_workers,
            max_spans_per_request: config.max_spans_per_request,
            sanitizer: Sanitizer::new(config.collector_tags.clone()),
            writer_name: context.writer_name,
        },
    );
    let receivers_stop = CancellationToken::new();
    let admin_stop = CancellationToken::new();
    let mut servers = JoinSet::new();
    let max_body = config.max_body_bytes;
    let max_message = config.max_message_bytes;

    if let Some(listener) = listeners.grpc {
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<spur_model::api_v2::collector_service_server::CollectorServiceServer<
                receivers::jaeger_grpc::Receiver,
            >>()
            .await;
        let router = tonic::transport::Server::builder()
            .add_service(health_service)
            .add_service(receivers::jaeger_grpc::service(
                pipeline.clone(),
                max_message,
            ))
            .add_service(spur_sampling::grpc_service(context.sampling.clone()));
        let stop = receivers_stop.clone();
        servers.spawn(async move {
            router
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(listener),
                    stop.cancelled_owned(),
                )
                .await
                .context("Jaeger gRPC server (14250)")
        });
    }
    if let Some(listener) = listeners.otlp_grpc {
        let router = tonic::transport::Server::builder()
            .add_service(receivers::otlp_grpc::service(pipeline.clone(), max_message));
        let stop = receivers_stop.clone();
        servers.spawn(async move {
            router
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(listener),
                    stop.cancelled_owned(),
                )
                .await
                .context("OTLP gRPC server (4317)")
        });
    }
    let http_servers: [(Option<TcpListener>, Router, &str); 3] = [
        (
            listeners.http,
            receivers::jaeger_http::router(pipeline.clone(), max_body).merge(
                spur_sampling::router(
                    context.sampling.clone(),
                    &spur_sampling::HttpOptions::collector(),
                ),
            ),
            "Jaeger HTTP server (14268)",
        ),
        (
            listeners.zipkin,
            receivers::zipkin::router(pipeline.clone(), max_body),
            "Zipkin server (9411)",
        ),
        (
            listeners.otlp_http,
            receivers::otlp_http::router(pipeline.clone(), max_body),
            "OTLP HTTP server (4318)",
        ),
    ];
    for (listener, router, what) in http_servers {
        let Some(listener) = listener else { continue };
        let stop = receivers_stop.clone();
        servers.spawn(async move {
            axum::serve(listener, layered(router))
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .context(what)
        });
    }
    for (socket, protocol) in listeners.udp {
        let stop = receivers_stop.clone();
        let pipeline = pipeline.clone();
        servers.spawn(async move {
            spur_agent_udp::serve(
                socket,
                protocol,
                spur_agent_udp::UdpOptions::default(),
                receivers::udp::PipelineSink(pipeline),
                stop,
            )
            .await;
            Ok(())
        });
    }
    let mut admin = JoinSet::new();
    if let Some(listener) = listeners.admin {
        let router = spur_telemetry::admin::router(
            context.health.clone(),
            context.metrics.clone(),
            "collector",
        );
        let stop = admin_stop.clone();
        admin.spawn(async move {
            spur_telemetry::admin::serve(listener, router, stop)
                .await
                .context("admin server (14269)")
        });
    }
    context.health.set_ready();
    tracing::info!("collector ready");

    // A server that stops on its own is a failure: shut the rest down too.
    let failure = spur_telemetry::process::until_shutdown_or_failure(&mut servers, &shutdown).await;

    let began = Instant::now();
    context.health.set_unavailable();
    receivers_stop.cancel();
    let deadline = config.shutdown_timeout;
    let _ = tokio::time::timeout(deadline, async {
        while servers.join_next().await.is_some() {}
    })
    .await;
    servers.abort_all();
    let lost_spans = pipeline
        .drain(deadline.saturating_sub(began.elapsed()))
        .await;
    if lost_spans > 0 {
        tracing::error!(lost_spans, "shutdown deadline passed with spans unwritten");
    } else {
        tracing::info!(seconds = began.elapsed().as_secs_f64(), "collector drained");
    }
    admin_stop.cancel();
    while admin.join_next().await.is_some() {}
    match failure {
        Some(error) => Err(error),
        None => Ok(ShutdownReport { lost_spans }),
    }
}
