//! Zipkin decoders: v1 JSON, v2 JSON and v2 protobuf payloads into Jaeger model batches.
//!
//! Each format has its own file that parses the wire shape into a shared v2-shaped
//! intermediate span (`to_model::ZipkinSpan`); v1 JSON also goes through `v1_spans` for the
//! meaning of its annotations. `to_model` then applies Jaeger's Zipkin mapping once for all
//! formats. Every decoder returns a [`Batch`](crate::api_v2::Batch) with no batch-level process
//! and a process on every span, and rejects bad input with a
//! [`DecodeError`](crate::DecodeError) instead of panicking.

mod json_common;
mod to_model;
mod v1_json;
mod v1_spans;
mod v2_json;
mod v2_proto;

pub use v1_json::decode_v1_json;
pub use v2_json::decode_v2_json;
pub use v2_proto::decode_v2_proto;
