//! Jaeger thrift over HTTP (port 14268): `POST /api/traces` with a bare `jaeger.Batch` in
//! thrift binary (`application/x-thrift` or `application/vnd.apache.thrift.binary`), what
//! jaeger-client libraries and the OpenTelemetry Jaeger exporter send. 202 on success, as
//! Jaeger answers. The sampling endpoints are merged onto the same port by the service.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::pipeline::Pipeline;
use crate::receivers::http::{malformed, media_type, read_body, refusal_response, unsupported};
use crate::sanitize::{Format, Transport};

#[derive(Clone)]
struct Receiver {
    pipeline: Pipeline,
    max_body_bytes: usize,
}

/// The `/api/traces` route.
pub fn router(pipeline: Pipeline, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/api/traces", post(post_traces))
        .with_state(Receiver {
            pipeline,
            max_body_bytes,
        })
}

async fn post_traces(State(receiver): State<Receiver>, headers: HeaderMap, body: Body) -> Response {
    let media_type = media_type(&headers);
    if !matches!(
        media_type.as_str(),
        "application/x-thrift" | "application/vnd.apache.thrift.binary"
    ) {
        return unsupported(Format::Jaeger, &media_type);
    }
    let body = match read_body(body, Format::Jaeger, receiver.max_body_bytes).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let batch = match spur_model::thrift::decode_batch_binary(&body) {
        Ok(decoded) => decoded.batch,
        Err(error) => {
            return malformed(
                Format::Jaeger,
                format!("Unable to process request body: {error}"),
            );
        }
    };
    match receiver
        .pipeline
        .submit(vec![batch], Format::Jaeger, Transport::Http)
        .await
    {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(refusal) => refusal_response(refusal),
    }
}
