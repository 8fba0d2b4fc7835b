//! Jaeger gRPC (port 14250): `jaeger.api_v2.CollectorService/PostSpans`, what a stock
//! jaeger-agent and the OpenTelemetry Collector's Jaeger exporter send. The service mounts the
//! sampling manager and gRPC health beside it.

use spur_model::api_v2::collector_service_server::{CollectorService, CollectorServiceServer};
use spur_model::api_v2::{PostSpansRequest, PostSpansResponse};
use tonic::{Request, Response, Status};

use crate::pipeline::Pipeline;
use crate::receivers::grpc_status;
use crate::sanitize::{Format, Transport};

/// The PostSpans handler.
pub struct Receiver {
    pipeline: Pipeline,
}

/// The tonic service, with the message size limit.
pub fn service(pipeline: Pipeline, max_message_bytes: usize) -> CollectorServiceServer<Receiver> {
    CollectorServiceServer::new(Receiver { pipeline })
        .max_decoding_message_size(max_message_bytes)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
}

#[tonic::async_trait]
impl CollectorService for Receiver {
    async fn post_spans(
        &self,
        request: Request<PostSpansRequest>,
    ) -> Result<Response<PostSpansResponse>, Status> {
        let Some(batch) = request.into_inner().batch else {
            crate::pipeline::count_request(
                Format::Proto,
                Transport::Grpc,
                crate::metrics::RESULT_MALFORMED,
            );
            return Err(Status::invalid_argument("PostSpans without a batch"));
        };
        self.pipeline
            .submit(vec![batch], Format::Proto, Transport::Grpc)
            .await
            .map_err(grpc_status)?;
        Ok(Response::new(PostSpansResponse {}))
    }
}
