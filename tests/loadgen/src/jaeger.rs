//! Jaeger gRPC: `jaeger.api_v2.CollectorService/PostSpans` request bodies. The spans are the
//! generator's OTLP spans converted by `spur_model::otlp` (Jaeger's own OTLP translation), so
//! both protocols carry the same traces: one `Batch` per request, the process on the batch.

use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use spur_model::api_v2::{Batch, PostSpansRequest};

use crate::error::Error;
use crate::otlp;

/// The gRPC method path.
pub const PATH: &str = "/jaeger.api_v2.CollectorService/PostSpans";

/// One `PostSpansRequest`: the spans of one service, as an agent or SDK sends them.
pub fn request(
    resource: &Resource,
    scope: &InstrumentationScope,
    spans: Vec<Span>,
) -> Result<PostSpansRequest, Error> {
    let batches = spur_model::otlp::request_to_batches(otlp::request(resource, scope, spans))?;
    let batch = batches.into_iter().next().unwrap_or_else(Batch::default);
    Ok(PostSpansRequest { batch: Some(batch) })
}

/// The encoded body of [`request`].
pub fn encode(
    resource: &Resource,
    scope: &InstrumentationScope,
    spans: Vec<Span>,
) -> Result<Vec<u8>, Error> {
    Ok(request(resource, scope, spans)?.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spans::{TraceGen, scope};

    #[test]
    fn one_batch_with_the_service_process() {
        let mut generator = TraceGen::new(3, 1, 4, 1_800_000_000_000_000_000);
        let trace = generator.next_trace();
        let service = trace[0].service;
        let spans: Vec<Span> = trace
            .into_iter()
            .filter(|generated| generated.service == service)
            .map(|generated| generated.span)
            .collect();
        let count = spans.len();
        let request = request(&generator.resources()[service], &scope(), spans).unwrap();
        let batch = request.batch.unwrap();
        assert_eq!(batch.spans.len(), count);
        let process = batch.process.unwrap();
        assert!(!process.service_name.is_empty());
        assert!(process.tags.iter().any(|tag| tag.key == "host.name"));
        assert!(batch.spans.iter().all(|span| span.process.is_none()));
    }
}
