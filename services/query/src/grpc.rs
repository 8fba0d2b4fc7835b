//! `jaeger.api_v2.QueryService` over gRPC (port 16685), what Jaeger's gRPC clients and the
//! Grafana plugin of Jaeger's v2 use: GetTrace and FindTraces stream spans in chunks, raw (no
//! adjusters, as Jaeger's gRPC handler does), GetServices, GetOperations, GetDependencies.
//! ArchiveTrace answers UNIMPLEMENTED: no archive store can be configured yet.

use std::sync::Arc;

use spur_model::TraceId;
use spur_model::api_v2::query_service_server::{QueryService, QueryServiceServer};
use spur_model::api_v2::{
    ArchiveTraceRequest, ArchiveTraceResponse, FindTracesRequest, GetDependenciesRequest,
    GetDependenciesResponse, GetOperationsRequest, GetOperationsResponse, GetServicesRequest,
    GetServicesResponse, GetTraceRequest, Operation as ProtoOperation, Span, SpansResponseChunk,
};
use spur_model::time::{micros_from_duration, micros_from_timestamp};
use spur_storage::{
    DependencyStore, ErrorKind, GetTraceQuery, OperationQuery, SpanReader, StorageError, TraceQuery,
};
use tonic::codegen::tokio_stream;
use tonic::{Request, Response, Status};

/// The streamed answer: chunks read whole before streaming starts.
pub type ChunkStream = tokio_stream::Iter<std::vec::IntoIter<Result<SpansResponseChunk, Status>>>;

/// Spans per streamed chunk (Jaeger sends 10 per chunk; larger chunks cost fewer frames).
pub const CHUNK_SPANS: usize = 100;

/// The QueryService handler.
pub struct Query {
    reader: Arc<dyn SpanReader>,
    dependencies: Option<Arc<dyn DependencyStore>>,
}

/// The tonic service.
pub fn service(
    reader: Arc<dyn SpanReader>,
    dependencies: Option<Arc<dyn DependencyStore>>,
) -> QueryServiceServer<Query> {
    QueryServiceServer::new(Query {
        reader,
        dependencies,
    })
}

fn status(error: StorageError) -> Status {
    match error.kind() {
        ErrorKind::InvalidArgument => Status::invalid_argument(error.to_string()),
        ErrorKind::Unavailable => Status::unavailable(error.to_string()),
        ErrorKind::Timeout => Status::deadline_exceeded(error.to_string()),
        ErrorKind::Internal => Status::internal(error.to_string()),
    }
}

fn chunks(spans: Vec<Span>) -> ChunkStream {
    let mut chunks = Vec::with_capacity(spans.len() / CHUNK_SPANS + 1);
    let mut spans = spans.into_iter().peekable();
    while spans.peek().is_some() {
        chunks.push(Ok(SpansResponseChunk {
            spans: spans.by_ref().take(CHUNK_SPANS).collect(),
        }));
    }
    tokio_stream::iter(chunks)
}

#[tonic::async_trait]
impl QueryService for Query {
    type GetTraceStream = ChunkStream;
    type FindTracesStream = ChunkStream;

    async fn get_trace(
        &self,
        request: Request<GetTraceRequest>,
    ) -> Result<Response<Self::GetTraceStream>, Status> {
        let request = request.into_inner();
        let trace_id = TraceId::from_bytes(&request.trace_id)
            .map_err(|error| Status::invalid_argument(format!("malformed trace id: {error}")))?;
        let query = GetTraceQuery {
            trace_id,
            start_time_min: request.start_time.as_ref().map(micros_from_timestamp),
            start_time_max: request.end_time.as_ref().map(micros_from_timestamp),
        };
        let trace = self.reader.get_trace(query).await.map_err(status)?;
        let spans = trace.ok_or_else(|| Status::not_found("trace not found"))?;
        Ok(Response::new(chunks(spans)))
    }

    async fn archive_trace(
        &self,
        _request: Request<ArchiveTraceRequest>,
    ) -> Result<Response<ArchiveTraceResponse>, Status> {
        Err(Status::unimplemented(
            "archive span storage was not configured",
        ))
    }

    async fn find_traces(
        &self,
        request: Request<FindTracesRequest>,
    ) -> Result<Response<Self::FindTracesStream>, Status> {
        let parameters = request
            .into_inner()
            .query
            .ok_or_else(|| Status::invalid_argument("missing query parameters"))?;
        let query = TraceQuery {
            service_name: parameters.service_name,
            operation_name: Some(parameters.operation_name).filter(|name| !name.is_empty()),
            tags: parameters.tags.into_iter().collect(),
            start_time_min: parameters
                .start_time_min
                .as_ref()
                .map_or(0, micros_from_timestamp),
            start_time_max: parameters
                .start_time_max
                .as_ref()
                .map_or(i64::MAX, micros_from_timestamp),
            duration_min: parameters
                .duration_min
                .as_ref()
                .map(micros_from_duration)
                .filter(|micros| *micros > 0),
            duration_max: parameters
                .duration_max
                .as_ref()
                .map(micros_from_duration)
                .filter(|micros| *micros > 0),
            num_traces: usize::try_from(parameters.search_depth).unwrap_or(0),
        };
        let traces = self.reader.find_traces(&query).await.map_err(status)?;
        Ok(Response::new(chunks(
            traces.into_iter().flatten().collect(),
        )))
    }

    async fn get_services(
        &self,
        _request: Request<GetServicesRequest>,
    ) -> Result<Response<GetServicesResponse>, Status> {
        let services = self.reader.get_services().await.map_err(status)?;
        Ok(Response::new(GetServicesResponse { services }))
    }

    async fn get_operations(
        &self,
        request: Request<GetOperationsRequest>,
    ) -> Result<Response<GetOperationsResponse>, Status> {
        let request = request.into_inner();
        let query = OperationQuery {
            service_name: request.service,
            span_kind: Some(request.span_kind).filter(|kind| !kind.is_empty()),
        };
        let operations = self.reader.get_operations(&query).await.map_err(status)?;
        let mut names: Vec<String> = operations.iter().map(|op| op.name.clone()).collect();
        names.dedup();
        Ok(Response::new(GetOperationsResponse {
            operation_names: names,
            operations: operations
                .into_iter()
                .map(|operation| ProtoOperation {
                    name: operation.name,
                    span_kind: operation.span_kind,
                })
                .collect(),
        }))
    }

    async fn get_dependencies(
        &self,
        request: Request<GetDependenciesRequest>,
    ) -> Result<Response<GetDependenciesResponse>, Status> {
        let request = request.into_inner();
        let Some(store) = &self.dependencies else {
            return Ok(Response::new(GetDependenciesResponse::default()));
        };
        let end = request
            .end_time
            .as_ref()
            .map_or(i64::MAX, micros_from_timestamp);
        let start = request.start_time.as_ref().map_or(0, micros_from_timestamp);
        let dependencies = store
            .get_dependencies(end, end.saturating_sub(start))
            .await
            .map_err(status)?;
        Ok(Response::new(GetDependenciesResponse { dependencies }))
    }
}
