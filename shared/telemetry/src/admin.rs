//! The admin HTTP server every service runs (Jaeger's admin port): `/` health JSON (200 or
//! 503), `/ready` (200 or 503, empty body, for Kubernetes readiness probes), `/metrics`
//! (Prometheus text) and `/version`.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::health::Health;

#[derive(Clone)]
struct AdminState {
    health: Health,
    metrics: PrometheusHandle,
    component: &'static str,
}

/// The admin routes, for a service named `component` (e.g. `collector`).
pub fn router(health: Health, metrics: PrometheusHandle, component: &'static str) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .route("/ready", get(ready))
        .route("/version", get(version))
        .fallback(get(health_check))
        .with_state(AdminState {
            health,
            metrics,
            component,
        })
}

/// Serves the admin routes on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn health_check(State(state): State<AdminState>) -> Response {
    let (ready, body) = state.health.report();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn ready(State(state): State<AdminState>) -> StatusCode {
    if state.health.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn render_metrics(State(state): State<AdminState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn version(State(state): State<AdminState>) -> Response {
    axum::Json(serde_json::json!({
        "gitCommit": option_env!("SPUR_GIT_COMMIT").unwrap_or(""),
        "gitVersion": env!("CARGO_PKG_VERSION"),
        "buildDate": "",
        "component": state.component,
    }))
    .into_response()
}
