//! What the HTTP receivers share: reading bodies under a size limit, with `Content-Encoding` (gzip, deflate)
//! decompression, Jaeger's request-duration metric, and the mapping of pipeline refusals and
//! bad bodies to status codes (400 for bad input, 503 with `Retry-After` for backpressure).

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::decompression::RequestDecompressionLayer;

use crate::metrics::{self as names, RESULT_MALFORMED, RESULT_TOO_LARGE, RESULT_UNSUPPORTED};
use crate::pipeline::{Refusal, count_request};
use crate::sanitize::{Format, Transport};

/// Wraps a receiver's routes: decompression, the body limit, request metrics.
pub fn layered(router: Router) -> Router {
    router
        .layer(DefaultBodyLimit::disable())
        .layer(RequestDecompressionLayer::new().gzip(true).deflate(true))
        .layer(middleware::from_fn(record_duration))
}

async fn record_duration(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "other".to_owned());
    let response = next.run(request).await;
    metrics::histogram!(names::HTTP_REQUEST_DURATION,
        "method" => method, "path" => path, "status" => response.status().as_u16().to_string())
    .record(started.elapsed());
    response
}

/// The media type of a request, lower case, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The answer to a body that could not be decoded: 400, counted.
pub fn malformed(format: Format, message: impl std::fmt::Display) -> Response {
    count_request(format, Transport::Http, RESULT_MALFORMED);
    (StatusCode::BAD_REQUEST, message.to_string()).into_response()
}

/// The answer to an unsupported content type: 400 (Jaeger's answer), counted.
pub fn unsupported(format: Format, media_type: &str) -> Response {
    count_request(format, Transport::Http, RESULT_UNSUPPORTED);
    (
        StatusCode::BAD_REQUEST,
        format!("Unsupported content type: {media_type}"),
    )
        .into_response()
}

/// The answer to a body over the limit: 413, counted.
pub fn too_large(format: Format, message: impl std::fmt::Display) -> Response {
    count_request(format, Transport::Http, RESULT_TOO_LARGE);
    (StatusCode::PAYLOAD_TOO_LARGE, message.to_string()).into_response()
}

/// The answer to a refusal: 503 with `Retry-After` for backpressure and shutdown, 400 for an
/// invalid request, 500 for a failed write.
pub fn refusal_response(refusal: Refusal) -> Response {
    let message = refusal.to_string();
    match refusal {
        Refusal::Busy(_) | Refusal::ShuttingDown => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            message,
        )
            .into_response(),
        Refusal::Invalid(_) => (StatusCode::BAD_REQUEST, message).into_response(),
        Refusal::Failed(_) => (StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
    }
}

/// Whether a body error (anywhere in its chain) is the length limit being hit.
fn is_length_limit(error: &axum::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = cause.source();
    }
    false
}

/// Reads a request body, answering 413 when it is over the limit and 400 when it cannot be
/// read (e.g. a broken gzip stream).
pub async fn read_body(
    body: axum::body::Body,
    format: Format,
    limit: usize,
) -> Result<bytes::Bytes, Response> {
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            metrics::histogram!(names::REQUEST_SIZE, "format" => format.label(), "transport" => "http")
                .record(bytes.len() as f64);
            Ok(bytes)
        }
        Err(error) => {
            if is_length_limit(&error) {
                Err(too_large(
                    format,
                    format!("request body over {limit} bytes"),
                ))
            } else {
                Err(malformed(
                    format,
                    format!("cannot read the request body: {error}"),
                ))
            }
        }
    }
}
