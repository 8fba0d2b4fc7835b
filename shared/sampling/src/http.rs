//! The HTTP client-configuration endpoints, as Jaeger serves them
//! (`pkg/clientcfg/clientcfghttp/handler.go`), over any [`StrategyProvider`]:
//!
//! | route (under `base_path`) | answer |
//! |---|---|
//! | `GET /sampling?service=` | 200 [`strategy_json`], `Content-Type: application/json` |
//! | `GET /?service=` (when `legacy_endpoint`) | 200 [`legacy_strategy_json`] |
//! | `GET /baggageRestrictions?service=` | 200 JSON list, or 500 when the provider has none (always, in Jaeger v1) |
//!
//! `service` must appear exactly once, else 400 `'service' parameter must be provided once`;
//! a provider error is 500 `collector error: <error>`; a strategy without legacy JSON is 500
//! `cannot marshall to JSON`. Errors are Go's `http.Error`: `text/plain; charset=utf-8`,
//! `X-Content-Type-Options: nosniff`, message plus a newline. Other methods (HEAD included)
//! get 405. Metrics: see [`crate::metrics`].

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};

use crate::json::{baggage_json, legacy_strategy_json, strategy_json};
use crate::metrics::HttpMetricNames;
use crate::provider::StrategyProvider;
use crate::query::single_value;

/// Where and how the endpoints are mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Prefix of every route: `/api` on the collector, empty on the agent.
    pub base_path: String,
    /// Whether `GET {base_path}/` answers the legacy JSON (the agent does, the collector not).
    pub legacy_endpoint: bool,
    /// Metric namespace: `jaeger_collector` or `jaeger_agent`.
    pub metrics_namespace: String,
}

impl HttpOptions {
    /// The collector's HTTP port (14268): `/api/sampling`, `/api/baggageRestrictions`.
    pub fn collector() -> HttpOptions {
        HttpOptions {
            base_path: "/api".to_owned(),
            legacy_endpoint: false,
            metrics_namespace: "jaeger_collector".to_owned(),
        }
    }

    /// The agent's sampling port (5778): `/sampling`, `/`, `/baggageRestrictions`.
    pub fn agent() -> HttpOptions {
        HttpOptions {
            base_path: String::new(),
            legacy_endpoint: true,
            metrics_namespace: "jaeger_agent".to_owned(),
        }
    }
}

const BAD_REQUEST: &str = "'service' parameter must be provided once";

struct Handler<P> {
    provider: P,
    metrics: HttpMetricNames,
}

type Shared<P> = State<Arc<Handler<P>>>;

/// The endpoints over `provider`, to merge into the service's router.
pub fn router<P: StrategyProvider>(provider: P, options: &HttpOptions) -> Router {
    let handler = Arc::new(Handler {
        provider,
        metrics: HttpMetricNames::new(&options.metrics_namespace),
    });
    let base = options.base_path.trim_end_matches('/');
    let mut router = Router::new()
        .route(&format!("{base}/sampling"), get_only(sampling::<P>))
        .route(
            &format!("{base}/baggageRestrictions"),
            get_only(baggage::<P>),
        );
    if options.legacy_endpoint {
        router = router.route(&format!("{base}/"), get_only(legacy_sampling::<P>));
    }
    router.with_state(handler)
}

/// `GET` only, as gorilla/mux's `Methods("GET")`: axum would also answer `HEAD`.
fn get_only<H, T, S>(handler: H) -> MethodRouter<S>
where
    H: axum::handler::Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    get(handler).head(|| async { StatusCode::METHOD_NOT_ALLOWED })
}

async fn sampling<P: StrategyProvider>(
    State(handler): Shared<P>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(service) = handler.service(query.as_deref()) else {
        return handler.bad_request();
    };
    match handler.provider.sampling_strategy(&service).await {
        Ok(strategy) => {
            handler.metrics.count_request("sampling");
            json(strategy_json(&strategy))
        }
        Err(error) => handler.provider_failed(&error),
    }
}

async fn legacy_sampling<P: StrategyProvider>(
    State(handler): Shared<P>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(service) = handler.service(query.as_deref()) else {
        return handler.bad_request();
    };
    let strategy = match handler.provider.sampling_strategy(&service).await {
        Ok(strategy) => strategy,
        Err(error) => return handler.provider_failed(&error),
    };
    match legacy_strategy_json(&strategy) {
        Ok(body) => {
            handler.metrics.count_request("sampling-legacy");
            json(body)
        }
        Err(error) => {
            tracing::debug!(%service, %error, "no legacy JSON for this sampling strategy");
            handler.metrics.count_error("5xx", "thrift");
            go_error(StatusCode::INTERNAL_SERVER_ERROR, "cannot marshall to JSON")
        }
    }
}

async fn baggage<P: StrategyProvider>(
    State(handler): Shared<P>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(service) = handler.service(query.as_deref()) else {
        return handler.bad_request();
    };
    match handler.provider.baggage_restrictions(&service).await {
        Ok(restrictions) => {
            handler.metrics.count_request("baggage");
            json(baggage_json(&restrictions))
        }
        Err(error) => handler.provider_failed(&error),
    }
}

impl<P> Handler<P> {
    fn service(&self, query: Option<&str>) -> Option<String> {
        single_value(query, "service")
    }

    fn bad_request(&self) -> Response {
        self.metrics.count_error("4xx", "all");
        go_error(StatusCode::BAD_REQUEST, BAD_REQUEST)
    }

    fn provider_failed(&self, error: &crate::ProviderError) -> Response {
        self.metrics.count_error("5xx", "collector-proxy");
        go_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("collector error: {error}"),
        )
    }
}

fn json(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Go's `http.Error`.
fn go_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        format!("{message}\n"),
    )
        .into_response()
}
