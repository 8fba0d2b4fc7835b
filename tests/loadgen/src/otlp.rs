//! OTLP gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` request bodies and
//! the reading of its answer (partial success counts rejected spans).

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

/// The gRPC method path.
pub const PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// One export request: one resource, one scope, its spans (what an SDK's batch exporter sends).
pub fn request(
    resource: &Resource,
    scope: &InstrumentationScope,
    spans: Vec<Span>,
) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource.clone()),
            scope_spans: vec![ScopeSpans {
                scope: Some(scope.clone()),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The encoded body of [`request`].
pub fn encode(resource: &Resource, scope: &InstrumentationScope, spans: Vec<Span>) -> Vec<u8> {
    request(resource, scope, spans).encode_to_vec()
}

/// Spans of a successful export of `spans` that the collector kept: all but those it reports
/// as rejected in `partial_success`. An unreadable answer counts as all accepted (the call
/// itself succeeded).
pub fn acked(spans: usize, response: &[u8]) -> usize {
    let rejected = ExportTraceServiceResponse::decode(response)
        .ok()
        .and_then(|response| response.partial_success)
        .map_or(0, |partial| partial.rejected_spans);
    let rejected = usize::try_from(rejected.max(0)).unwrap_or(usize::MAX);
    spans.saturating_sub(rejected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess;

    #[test]
    fn partial_success_reduces_the_acked_count() {
        let empty = ExportTraceServiceResponse::default().encode_to_vec();
        assert_eq!(acked(100, &empty), 100);
        let partial = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 30,
                error_message: "too old".into(),
            }),
        }
        .encode_to_vec();
        assert_eq!(acked(100, &partial), 70);
        assert_eq!(acked(10, &partial), 0);
    }
}
