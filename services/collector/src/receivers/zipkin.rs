//! Zipkin (port 9411): `POST /api/v2/spans` as JSON or protobuf (`application/x-protobuf`)
//! and `POST /api/v1/spans` as JSON; gzip/deflate bodies. 202 on success, as Zipkin and
//! Jaeger answer. Zipkin v1 thrift is not accepted (415-style 400 naming the type).

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

/// The Zipkin routes.
pub fn router(pipeline: Pipeline, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/api/v2/spans", post(post_v2))
        .route("/api/v1/spans", post(post_v1))
        .with_state(Receiver {
            pipeline,
            max_body_bytes,
        })
}

async fn post_v2(State(receiver): State<Receiver>, headers: HeaderMap, body: Body) -> Response {
    let media_type = media_type(&headers);
    let body = match read_body(body, Format::Zipkin, receiver.max_body_bytes).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let decoded = match media_type.as_str() {
        "application/x-protobuf" | "application/protobuf" => {
            spur_model::zipkin::decode_v2_proto(&body)
        }
        "application/json" | "" | "text/plain" => spur_model::zipkin::decode_v2_json(&body),
        other => return unsupported(Format::Zipkin, other),
    };
    submit(&receiver, decoded).await
}

async fn post_v1(State(receiver): State<Receiver>, headers: HeaderMap, body: Body) -> Response {
    let media_type = media_type(&headers);
    if media_type == "application/x-thrift" {
        return unsupported(Format::Zipkin, &media_type);
    }
    let body = match read_body(body, Format::Zipkin, receiver.max_body_bytes).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    submit(&receiver, spur_model::zipkin::decode_v1_json(&body)).await
}

async fn submit(
    receiver: &Receiver,
    decoded: Result<spur_model::api_v2::Batch, spur_model::DecodeError>,
) -> Response {
    let batch = match decoded {
        Ok(batch) => batch,
        Err(error) => {
            return malformed(
                Format::Zipkin,
                format!("Unable to process request body: {error}"),
            );
        }
    };
    match receiver
        .pipeline
        .submit(vec![batch], Format::Zipkin, Transport::Http)
        .await
    {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(refusal) => refusal_response(refusal),
    }
}
