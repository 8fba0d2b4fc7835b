//! Serving the query API: the HTTP JSON API and the web UI, the gRPC QueryService and the admin server on
//! their listeners until the shutdown token is cancelled, then stopping (unavailable first,
//! in-flight requests finish).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use metrics_exporter_prometheus::PrometheusHandle;
use spur_storage::{DependencyStore, SpanReader};
use spur_telemetry::health::Health;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::QueryConfig;

/// The bound ports; `None` where switched off.
#[derive(Debug, Default)]
pub struct Listeners {
    pub http: Option<TcpListener>,
    pub grpc: Option<TcpListener>,
    pub admin: Option<TcpListener>,
}

impl Listeners {
    pub async fn bind(config: &QueryConfig) -> anyhow::Result<Listeners> {
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
            http: bind(config.http, "query.http-server.host-port").await?,
            grpc: bind(config.grpc, "query.grpc-server.host-port").await?,
            admin: bind(config.admin, "admin.http.host-port").await?,
        })
    }
}

/// What the query service reads from, and reports through.
#[derive(Clone)]
pub struct Services {
    pub reader: Arc<dyn SpanReader>,
    pub dependencies: Option<Arc<dyn DependencyStore>>,
    pub health: Health,
    pub metrics: PrometheusHandle,
    /// The adjusters' options (`query.max-clock-skew-adjustment`).
    pub adjust: crate::adjust::AdjustOptions,
    /// `query.base-path`: `/` or a prefix such as `/jaeger`.
    pub base_path: String,
}

/// Serves until `shutdown` is cancelled.
pub async fn run(
    services: Services,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    let mut servers = JoinSet::new();
    if let Some(listener) = listeners.http {
        let router = crate::http::router_with(
            services.reader.clone(),
            services.dependencies.clone(),
            services.adjust,
        );
        let router = if services.base_path == "/" {
            router
        } else {
            axum::Router::new().nest(&services.base_path, router)
        };
        // The UI answers every path the API does not (it knows the base path itself).
        let router = router.merge(crate::ui::router(&services.base_path));
        let stop = stop.clone();
        servers.spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .context("query HTTP server (16686)")
        });
    }
    if let Some(listener) = listeners.grpc {
        let router = tonic::transport::Server::builder().add_service(crate::grpc::service(
            services.reader.clone(),
            services.dependencies.clone(),
        ));
        let stop = stop.clone();
        servers.spawn(async move {
            router
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(listener),
                    stop.cancelled_owned(),
                )
                .await
                .context("query gRPC server (16685)")
        });
    }
    if let Some(listener) = listeners.admin {
        let router = spur_telemetry::admin::router(
            services.health.clone(),
            services.metrics.clone(),
            "query",
        );
        let stop = stop.clone();
        servers.spawn(async move {
            spur_telemetry::admin::serve(listener, router, stop)
                .await
                .context("query admin server (16687)")
        });
    }
    services.health.set_ready();
    tracing::info!("query ready");
    let failure = spur_telemetry::process::until_shutdown_or_failure(&mut servers, &shutdown).await;
    services.health.set_unavailable();
    stop.cancel();
    while servers.join_next().await.is_some() {}
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}
