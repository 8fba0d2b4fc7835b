//! The query API's metrics, through the `metrics` facade (whoever runs the process installs
//! the recorder):
//!
//! - Jaeger's storage-read metrics, one set per reader call the API makes:
//!   `jaeger_query_requests_total{operation,result}`, `jaeger_query_latency{operation,result}`
//!   (seconds) and `jaeger_query_responses{operation}` (Jaeger's quirk: the number of items
//!   returned, recorded as if it were nanoseconds, so the value is count / 1e9);
//!   `operation` ∈ `get_trace`, `find_traces`, `get_services`, `get_operations`; `result` ∈ `ok`, `err` (a missing trace is `err`, as Jaeger's
//!   `ErrTraceNotFound` is);
//! - per HTTP route: `spur_query_http_requests_total{endpoint,status}` and
//!   `spur_query_http_request_duration_seconds{endpoint}`, `endpoint` being the route
//!   template (e.g. `/api/traces/{traceID}`), so label values stay bounded.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

pub const QUERY_REQUESTS: &str = "jaeger_query_requests_total";
pub const QUERY_LATENCY: &str = "jaeger_query_latency";
pub const QUERY_RESPONSES: &str = "jaeger_query_responses";
pub const HTTP_REQUESTS: &str = "spur_query_http_requests_total";
pub const HTTP_DURATION: &str = "spur_query_http_request_duration_seconds";

/// Records one reader call that started at `started`.
pub fn record_read(operation: &'static str, started: Instant, ok: bool, responses: usize) {
    let result = if ok { "ok" } else { "err" };
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!(QUERY_REQUESTS, "operation" => operation, "result" => result).increment(1);
    metrics::histogram!(QUERY_LATENCY, "operation" => operation, "result" => result)
        .record(seconds);
    if ok {
        #[allow(clippy::cast_precision_loss)]
        let quirk = responses as f64 / 1e9;
        metrics::histogram!(QUERY_RESPONSES, "operation" => operation).record(quirk);
    }
}

/// Middleware counting and timing each request by route template and status.
pub async fn track(request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS, "endpoint" => endpoint.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "endpoint" => endpoint)
        .record(started.elapsed().as_secs_f64());
    response
}
