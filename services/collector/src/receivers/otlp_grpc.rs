//! OTLP/gRPC (port 4317): `opentelemetry.proto.collector.trace.v1.TraceService/Export`, gzip
//! accepted. Backpressure is `RESOURCE_EXHAUSTED`, which OTLP exporters retry.

use spur_model::otlp_proto::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use spur_model::otlp_proto::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::{Request, Response, Status};

use crate::pipeline::{Pipeline, count_request};
use crate::receivers::grpc_status;
use crate::sanitize::{Format, Transport};

/// The Export handler.
pub struct Receiver {
    pipeline: Pipeline,
}

/// The tonic service, with the message size limit.
pub fn service(pipeline: Pipeline, max_message_bytes: usize) -> TraceServiceServer<Receiver> {
    TraceServiceServer::new(Receiver { pipeline })
        .max_decoding_message_size(max_message_bytes)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let batches = match spur_model::otlp::request_to_batches(request.into_inner()) {
            Ok(batches) => batches,
            Err(error) => {
                count_request(
                    Format::Otlp,
                    Transport::Grpc,
                    crate::metrics::RESULT_MALFORMED,
                );
                return Err(Status::invalid_argument(error.to_string()));
            }
        };
        self.pipeline
            .submit(batches, Format::Otlp, Transport::Grpc)
            .await
            .map_err(grpc_status)?;
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}
