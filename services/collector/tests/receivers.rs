//! Every receiver, fed the exact bytes real client libraries sent (tests/fixtures/clients:
//! jaeger-client-go over HTTP, py_zipkin v1/v2 JSON and v2 protobuf, the OpenTelemetry Python
//! SDK's OTLP/HTTP and OTLP/gRPC exporters, the OpenTelemetry JS SDK's OTLP/JSON), and api_v2
//! PostSpans from a tonic client. Each test reads the spans back from the store and compares
//! them, field by field, with what the decoder makes of the same bytes plus the collector's
//! sanitizing (batch process embedded, `internal.span.format` tag).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{default_config, fixture, metric_value, start};
use spur_collector::sanitize::{Format, Sanitizer};
use spur_model::api_v2::collector_service_client::CollectorServiceClient;
use spur_model::api_v2::{Batch, PostSpansRequest, Span};
use spur_model::otlp_proto::collector::trace::v1::ExportTraceServiceRequest;
use spur_model::otlp_proto::collector::trace::v1::trace_service_client::TraceServiceClient;
use spur_storage::memory::MemoryStore;
use spur_storage::{GetTraceQuery, SpanReader};

/// Asserts the store holds exactly the sanitized spans of `batches`, and returns them.
async fn assert_stored(store: &MemoryStore, batches: Vec<Batch>, format: Format) -> Vec<Span> {
    let mut expected = Vec::new();
    for batch in batches {
        expected.extend(Sanitizer::default().sanitized_spans(batch, format));
    }
    assert!(!expected.is_empty());
    for span in &expected {
        let trace = store
            .get_trace(GetTraceQuery::new(span.trace_id().unwrap()))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("trace of span {:?} not stored", span.operation_name));
        let found: Vec<&Span> = trace.iter().filter(|s| s.span_id == span.span_id).collect();
        assert_eq!(found, vec![span], "span {:?} differs", span.operation_name);
    }
    expected
}

fn memory() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::new(10_000))
}

#[tokio::test]
async fn jaeger_thrift_over_http_from_jaeger_client_go() {
    let store = memory();
    let collector = start(store.clone(), default_config()).await;
    let body = fixture("jaeger-client-go.http-binary.bin");
    let response = reqwest::Client::new()
        .post(collector.url(collector.http, "/api/traces"))
        .header("Content-Type", "application/x-thrift")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let batch = spur_model::thrift::decode_batch_binary(&body)
        .unwrap()
        .batch;
    let stored = assert_stored(&store, vec![batch], Format::Jaeger).await;
    let metrics = collector.metrics().await;
    let service = &stored[0].process.as_ref().unwrap().service_name;
    let received = metric_value(
        &metrics,
        "jaeger_collector_spans_received_total",
        &[
            &format!("svc=\"{service}\""),
            "format=\"jaeger\"",
            "transport=\"http\"",
        ],
    );
    assert!(received >= stored.len() as f64, "{metrics}");
    collector.stop().await;
}

#[tokio::test]
async fn zipkin_v1_json_v2_json_and_v2_protobuf_from_py_zipkin() {
    let store = memory();
    let collector = start(store.clone(), default_config()).await;
    let client = reqwest::Client::new();
    let cases = [
        ("/api/v1/spans", "application/json", "py_zipkin.v1.json"),
        ("/api/v2/spans", "application/json", "py_zipkin.v2.json"),
        (
            "/api/v2/spans",
            "application/x-protobuf",
            "py_zipkin.v2.proto.bin",
        ),
    ];
    for (path, content_type, name) in cases {
        let body = fixture(name);
        let response = client
            .post(collector.url(collector.zipkin, path))
            .header("Content-Type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{name}");
        let batch = match name {
            "py_zipkin.v1.json" => spur_model::zipkin::decode_v1_json(&body),
            "py_zipkin.v2.json" => spur_model::zipkin::decode_v2_json(&body),
            _ => spur_model::zipkin::decode_v2_proto(&body),
        }
        .unwrap();
        assert_stored(&store, vec![batch], Format::Zipkin).await;
    }
    collector.stop().await;
}

#[tokio::test]
async fn gzip_bodies_are_decompressed() {
    use std::io::Write;
    let store = memory();
    let collector = start(store.clone(), default_config()).await;
    let body = fixture("py_zipkin.v2.json");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&body).unwrap();
    let response = reqwest::Client::new()
        .post(collector.url(collector.zipkin, "/api/v2/spans"))
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(encoder.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let batch = spur_model::zipkin::decode_v2_json(&body).unwrap();
    assert_stored(&store, vec![batch], Format::Zipkin).await;
    collector.stop().await;
}

#[tokio::test]
async fn otlp_http_protobuf_from_the_python_sdk_and_json_from_the_js_sdk() {
    let store = memory();
    let collector = start(store.clone(), default_config()).await;
    let client = reqwest::Client::new();
    let body = fixture("otel-python.otlp-http.bin");
    let response = client
        .post(collector.url(collector.otlp_http, "/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    assert_stored(
        &store,
        spur_model::otlp::decode_proto(&body).unwrap(),
        Format::Otlp,
    )
    .await;

    let body = fixture("otel-node.otlp-http.json");
    let response = client
        .post(collector.url(collector.otlp_http, "/v1/traces"))
        .header("Content-Type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_stored(
        &store,
        spur_model::otlp::decode_json(&body).unwrap(),
        Format::Otlp,
    )
    .await;
    collector.stop().await;
}

#[tokio::test]
async fn otlp_grpc_export_from_the_python_sdk_bytes() {
    use prost::Message;
    let store = memory();
    let collector = start(store.clone(), default_config()).await;
    let body = fixture("otel-python.otlp-grpc.bin");
    let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
    let mut client = TraceServiceClient::connect(collector.url(collector.otlp_grpc, ""))
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    client.export(request.clone()).await.unwrap();
    assert_stored(
        &store,
        spur_model::otlp::request_to_batches(request).unwrap(),
        Format::Otlp,
    )
    .await;
    collector.stop().await;
}

#[tokio::test]
async fn jaeger_grpc_post_spans_from_a_tonic_client() {
    let store = memory();
    let collector = start(store.clone(), default_config()).await;
    let batch = spur_model::testing::sample_batch(25);
    let mut client = CollectorServiceClient::connect(collector.url(collector.grpc, ""))
        .await
        .unwrap();
    client
        .post_spans(PostSpansRequest {
            batch: Some(batch.clone()),
        })
        .await
        .unwrap();
    assert_stored(&store, vec![batch], Format::Proto).await;
    let status = client
        .post_spans(PostSpansRequest { batch: None })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    collector.stop().await;
}
