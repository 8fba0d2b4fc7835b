//! OTLP/HTTP (port 4318): `POST /v1/traces` with an `ExportTraceServiceRequest` as protobuf
//! (`application/x-protobuf`) or JSON (`application/json`), gzip bodies. Success is 200 with an
//! empty `ExportTraceServiceResponse` in the request's encoding; backpressure is 503 with
//! `Retry-After`, which OTLP exporters retry.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prost::Message;
use spur_model::otlp_proto::collector::trace::v1::ExportTraceServiceResponse;

use crate::pipeline::Pipeline;
use crate::receivers::http::{malformed, media_type, read_body, refusal_response, unsupported};
use crate::sanitize::{Format, Transport};

#[derive(Clone)]
struct Receiver {
    pipeline: Pipeline,
    max_body_bytes: usize,
}

/// The `/v1/traces` route.
pub fn router(pipeline: Pipeline, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/v1/traces", post(post_traces))
        .with_state(Receiver {
            pipeline,
            max_body_bytes,
        })
}

async fn post_traces(State(receiver): State<Receiver>, headers: HeaderMap, body: Body) -> Response {
    let media_type = media_type(&headers);
    let json = match media_type.as_str() {
        "application/x-protobuf" | "application/protobuf" => false,
        "application/json" => true,
        other => return unsupported(Format::Otlp, other),
    };
    let body = match read_body(body, Format::Otlp, receiver.max_body_bytes).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let decoded = if json {
        spur_model::otlp::decode_json(&body)
    } else {
        spur_model::otlp::decode_proto(&body)
    };
    let batches = match decoded {
        Ok(batches) => batches,
        Err(error) => return malformed(Format::Otlp, error),
    };
    match receiver
        .pipeline
        .submit(batches, Format::Otlp, Transport::Http)
        .await
    {
        Ok(()) if json => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{}",
        )
            .into_response(),
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            ExportTraceServiceResponse::default().encode_to_vec(),
        )
            .into_response(),
        Err(refusal) => refusal_response(refusal),
    }
}
