//! The gRPC `QueryService` with a tonic client, over the memory store: GetTrace streams every
//! span in chunks, FindTraces the matching traces' spans, services, operations (by span kind)
//! and dependency links are what was written; unknown and malformed trace ids are errors.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use spur_model::TraceId;
use spur_model::api_v2::query_service_client::QueryServiceClient;
use spur_model::api_v2::{
    DependencyLink, FindTracesRequest, GetDependenciesRequest, GetOperationsRequest,
    GetServicesRequest, GetTraceRequest, KeyValue, Span, TraceQueryParameters,
};
use spur_model::time::timestamp_from_micros;
use spur_storage::memory::MemoryStore;
use spur_storage::{DependencyStore, SpanWriter};
use tokio::net::TcpListener;

fn spans(trace: u64, count: usize, service: &str, kind: &str) -> Vec<Span> {
    let mut batch = spur_model::testing::sample_batch(count);
    let process = batch.process.take().map(|mut process| {
        process.service_name = service.to_owned();
        process
    });
    for span in &mut batch.spans {
        span.trace_id = TraceId::new(9, trace).to_bytes().to_vec();
        span.process.clone_from(&process);
        span.tags.push(KeyValue::string("span.kind", kind));
    }
    batch.spans
}

async fn client(store: Arc<MemoryStore>) -> QueryServiceClient<tonic::transport::Channel> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = spur_query::grpc::service(store.clone(), Some(store));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    QueryServiceClient::connect(format!("http://{address}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn every_method_answers_what_was_written() {
    let store = Arc::new(MemoryStore::new(100));
    let big = spans(1, 250, "frontend", "server");
    store.write_spans(big.clone()).await.unwrap();
    store
        .write_spans(spans(2, 3, "backend", "client"))
        .await
        .unwrap();
    store
        .write_dependencies(
            1_700_000_000_000_000,
            vec![DependencyLink {
                parent: "frontend".into(),
                child: "backend".into(),
                call_count: 7,
                source: String::new(),
            }],
        )
        .await
        .unwrap();
    let mut client = client(store).await;

    let mut stream = client
        .get_trace(GetTraceRequest {
            trace_id: TraceId::new(9, 1).to_bytes().to_vec(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut received = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.message().await.unwrap() {
        chunks += 1;
        received.extend(chunk.spans);
    }
    assert_eq!(chunks, 3);
    received.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    let mut expected = big.clone();
    expected.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    assert_eq!(received, expected);

    let missing = client
        .get_trace(GetTraceRequest {
            trace_id: TraceId::new(9, 99).to_bytes().to_vec(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let malformed = client
        .get_trace(GetTraceRequest {
            trace_id: vec![1, 2, 3],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);

    let mut found = client
        .find_traces(FindTracesRequest {
            query: Some(TraceQueryParameters {
                service_name: "backend".into(),
                start_time_min: Some(timestamp_from_micros(0)),
                start_time_max: Some(timestamp_from_micros(i64::MAX / 2)),
                search_depth: 10,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let mut found_spans = Vec::new();
    while let Some(chunk) = found.message().await.unwrap() {
        found_spans.extend(chunk.spans);
    }
    assert_eq!(found_spans.len(), 3);
    assert!(
        found_spans
            .iter()
            .all(|s| s.trace_id == TraceId::new(9, 2).to_bytes())
    );

    let services = client
        .get_services(GetServicesRequest {})
        .await
        .unwrap()
        .into_inner()
        .services;
    assert_eq!(services, ["backend", "frontend"]);
    let operations = client
        .get_operations(GetOperationsRequest {
            service: "frontend".into(),
            span_kind: "server".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(operations.operations.len(), 16);
    assert!(
        operations
            .operations
            .iter()
            .all(|op| op.span_kind == "server")
    );
    let none = client
        .get_operations(GetOperationsRequest {
            service: "frontend".into(),
            span_kind: "client".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none.operations.is_empty());

    let links = client
        .get_dependencies(GetDependenciesRequest {
            start_time: Some(timestamp_from_micros(1_600_000_000_000_000)),
            end_time: Some(timestamp_from_micros(1_800_000_000_000_000)),
        })
        .await
        .unwrap()
        .into_inner()
        .dependencies;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].call_count, 7);
}
