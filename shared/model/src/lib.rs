//! spur-model: Jaeger's api_v2 span model, as Spur uses it everywhere.
//!
//! The internal model *is* Jaeger's protobuf model ([`api_v2`]), so a span that Spur writes to
//! Kafka is byte-for-byte what Jaeger's ingester expects, and the reverse. This crate owns:
//! - the generated protobuf types and gRPC services ([`api_v2`], [`zipkin_proto3`]);
//! - ids and times in their wire and text forms ([`ids`], [`time`]);
//! - decoders from every ingest format into the model ([`thrift`], [`zipkin`], [`otlp`]);
//! - encoders from the model to Kafka's protobuf and JSON encodings ([`kafka`]) and to the
//!   Jaeger UI/HTTP API JSON ([`ui_json`]).
//!
//! It owns no I/O: receivers, Kafka and storage live in their own crates.

pub mod error;
pub mod ids;
pub mod kafka;
mod model_ext;
pub mod otlp;
pub mod span_view;
#[cfg(any(test, feature = "testsuite"))]
pub mod testing;
pub mod thrift;
pub mod time;
pub mod ui_json;
pub mod wkt;
pub mod zipkin;

pub use error::DecodeError;
pub use ids::{SpanId, TraceId};

/// Jaeger's `jaeger.api_v2` package: the span model, collector, query and sampling services.
#[allow(clippy::all, missing_docs)]
pub mod api_v2 {
    tonic::include_proto!("jaeger.api_v2");
    include!(concat!(env!("OUT_DIR"), "/jaeger.api_v2.serde.rs"));
}

/// Zipkin's v2 protobuf model (`zipkin.proto3`), the body of `application/x-protobuf` posts.
#[allow(clippy::all, missing_docs)]
pub mod zipkin_proto3 {
    include!(concat!(env!("OUT_DIR"), "/zipkin.proto3.rs"));
}

/// OTLP trace types, re-exported from the `opentelemetry-proto` crate.
pub use opentelemetry_proto::tonic as otlp_proto;
