//! The collector's receivers, one module per protocol, all feeding the shared
//! [`Pipeline`](crate::pipeline::Pipeline):
//!
//! | module | port | protocol |
//! |---|---|---|
//! | [`jaeger_grpc`] | 14250 | `jaeger.api_v2.CollectorService/PostSpans` (+ sampling, health) |
//! | [`jaeger_http`] | 14268 | `POST /api/traces` thrift binary (+ `/api/sampling`) |
//! | [`zipkin`] | 9411 | `POST /api/v2/spans` JSON/protobuf, `POST /api/v1/spans` JSON |
//! | [`otlp_grpc`] | 4317 | `opentelemetry.proto.collector.trace.v1.TraceService/Export` |
//! | [`otlp_http`] | 4318 | `POST /v1/traces` protobuf/JSON |
//! | [`udp`] | 6831/6832 (all-in-one) | agent `emitBatch` datagrams, thrift compact/binary |
//!
//! [`http`] holds what the HTTP receivers share: limits, decompression, request metrics and
//! the mapping of refusals to status codes.

pub mod http;
pub mod jaeger_grpc;
pub mod jaeger_http;
pub mod otlp_grpc;
pub mod otlp_http;
pub mod udp;
pub mod zipkin;

use crate::pipeline::Refusal;

/// The gRPC status for a refusal: backpressure is `RESOURCE_EXHAUSTED`, which clients retry.
pub fn grpc_status(refusal: Refusal) -> tonic::Status {
    match refusal {
        Refusal::Busy(message) => tonic::Status::resource_exhausted(message),
        Refusal::Invalid(message) => tonic::Status::invalid_argument(message),
        Refusal::Failed(message) => tonic::Status::internal(message),
        Refusal::ShuttingDown => tonic::Status::unavailable("collector is shutting down"),
    }
}
