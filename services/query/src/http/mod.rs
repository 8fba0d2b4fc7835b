//! The HTTP JSON API the Jaeger UI and Grafana's Jaeger data source use, Jaeger 1.57's
//! routes, parameters, units, envelope and error texts:
//!
//! - [`handlers`]: one handler per route;
//! - [`params`]: query-string parsing and defaults; [`goparse`]: Go's parsers and error texts;
//! - [`reads`]: the metered reader calls; [`metrics`]: metric names and the route middleware;
//! - [`envelope`]: `{data,total,limit,offset,errors}` and how answers are written.
//!
//! Not here: the UI's static files ([`crate::ui`]), `/api/archive`, `/api/transform` and
//! `/api/metrics/*`.

mod envelope;
mod goparse;
mod handlers;
pub mod metrics;
mod params;
mod reads;

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::routing::get;
use spur_storage::{DependencyStore, SpanReader};

/// What every handler reads from.
#[derive(Clone)]
pub(crate) struct ApiState {
    reader: Arc<dyn SpanReader>,
    dependencies: Option<Arc<dyn DependencyStore>>,
    adjust: crate::adjust::AdjustOptions,
}

/// The `/api` routes over a reader and, when the backend has them, dependency links, with the
/// adjusters' default options (clock-skew adjustment disabled, as in Jaeger).
pub fn router(
    reader: Arc<dyn SpanReader>,
    dependencies: Option<Arc<dyn DependencyStore>>,
) -> axum::Router {
    router_with(
        reader,
        dependencies,
        crate::adjust::AdjustOptions::default(),
    )
}

/// [`router`] with the adjusters' options (`query.max-clock-skew-adjustment`).
pub fn router_with(
    reader: Arc<dyn SpanReader>,
    dependencies: Option<Arc<dyn DependencyStore>>,
    adjust: crate::adjust::AdjustOptions,
) -> axum::Router {
    let state = ApiState {
        reader,
        dependencies,
        adjust,
    };
    axum::Router::new()
        .route("/api/services", get(handlers::services))
        .route(
            "/api/services/{service}/operations",
            get(handlers::service_operations),
        )
        .route("/api/operations", get(handlers::operations))
        .route("/api/traces", get(handlers::search))
        .route("/api/traces/{traceID}", get(handlers::trace))
        .route("/api/dependencies", get(handlers::dependencies))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::map_response(add_trace_response_header))
        .with_state(state)
}

/// Jaeger sets `traceresponse` on every API answer; empty while the query service does not
/// trace itself.
async fn add_trace_response_header(
    mut response: axum::response::Response,
) -> axum::response::Response {
    response
        .headers_mut()
        .insert("traceresponse", HeaderValue::from_static(""));
    response
}
