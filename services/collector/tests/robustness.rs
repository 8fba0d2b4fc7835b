//! Bad input, backpressure and shutdown: malformed bodies of every format get 4xx and a counted
//! metric while good requests keep being served; a full queue answers 503 with `Retry-After`
//! (HTTP) and RESOURCE_EXHAUSTED (gRPC), counting the refused spans by reason; a client that
//! gives up on a slow write gives its place in the queue back; SIGTERM's shutdown writes every
//! span it accepted.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{GAUGES, GatedWriter, batch, default_config, fixture, metric_value, start};
use spur_model::api_v2::PostSpansRequest;
use spur_model::api_v2::collector_service_client::CollectorServiceClient;
use spur_storage::memory::MemoryStore;
use spur_storage::{GetTraceQuery, SpanReader};

#[tokio::test]
async fn malformed_bodies_get_400_and_are_counted_while_good_ones_pass() {
    let store = Arc::new(MemoryStore::new(1_000));
    let collector = start(store.clone(), default_config()).await;
    let client = reqwest::Client::new();
    let garbage = b"\x0b\xff\xff\xff\xffnot a payload".to_vec();
    let cases = [
        (
            collector.http,
            "/api/traces",
            "application/x-thrift",
            "jaeger",
        ),
        (
            collector.zipkin,
            "/api/v2/spans",
            "application/json",
            "zipkin",
        ),
        (
            collector.zipkin,
            "/api/v2/spans",
            "application/x-protobuf",
            "zipkin",
        ),
        (
            collector.zipkin,
            "/api/v1/spans",
            "application/json",
            "zipkin",
        ),
        (
            collector.otlp_http,
            "/v1/traces",
            "application/x-protobuf",
            "otlp",
        ),
        (
            collector.otlp_http,
            "/v1/traces",
            "application/json",
            "otlp",
        ),
    ];
    let before = collector.metrics().await;
    for (address, path, content_type, _format) in cases {
        let response = client
            .post(collector.url(address, path))
            .header("Content-Type", content_type)
            .body(garbage.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path} {content_type}");
    }
    let after = collector.metrics().await;
    for format in ["jaeger", "zipkin", "otlp"] {
        let labels = [
            format!("format=\"{format}\""),
            "result=\"malformed\"".to_owned(),
        ];
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        let counted = metric_value(&after, "spur_collector_requests_total", &labels)
            - metric_value(&before, "spur_collector_requests_total", &labels);
        assert!(
            counted >= 1.0,
            "{format} malformed requests not counted:\n{after}"
        );
    }
    // A wrong content type is refused with Jaeger's message; a broken gzip stream is a 400.
    let response = client
        .post(collector.url(collector.http, "/api/traces"))
        .header("Content-Type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Unsupported content type")
    );
    let response = client
        .post(collector.url(collector.zipkin, "/api/v2/spans"))
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body("definitely not gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // Good input still works.
    let response = client
        .post(collector.url(collector.zipkin, "/api/v2/spans"))
        .header("Content-Type", "application/json")
        .body(fixture("py_zipkin.v2.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    collector.stop().await;
}

#[tokio::test]
async fn oversized_bodies_and_requests_are_refused() {
    let store = Arc::new(MemoryStore::new(1_000));
    let mut config = default_config();
    config.max_body_bytes = 1_000;
    config.max_spans_per_request = 10;
    let collector = start(store.clone(), config).await;
    let response = reqwest::Client::new()
        .post(collector.url(collector.zipkin, "/api/v2/spans"))
        .header("Content-Type", "application/json")
        .body(vec![b' '; 5_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let mut client = CollectorServiceClient::connect(collector.url(collector.grpc, ""))
        .await
        .unwrap();
    let status = client
        .post_spans(PostSpansRequest {
            batch: Some(spur_model::testing::sample_batch(11)),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let metrics = collector.metrics().await;
    assert!(
        metric_value(
            &metrics,
            "spur_collector_spans_refused_total",
            &["reason=\"too_many_spans\""]
        ) >= 11.0,
        "{metrics}"
    );
    collector.stop().await;
}

/// Whether the trace of `batch` is in `store`.
async fn stored(store: &MemoryStore, batch: &spur_model::api_v2::Batch) -> bool {
    let trace_id = batch.spans[0].trace_id().unwrap();
    store
        .get_trace(GetTraceQuery::new(trace_id))
        .await
        .unwrap()
        .is_some()
}

/// A collector with a queue of 150 spans and one worker, writing through a closed gate.
async fn gated_collector() -> (Arc<MemoryStore>, Arc<GatedWriter>, common::Running) {
    let store = Arc::new(MemoryStore::new(1_000));
    let gated = GatedWriter::new(store.clone());
    let mut config = default_config();
    config.queue_size = 150;
    config.num_workers = 1;
    let collector = start(gated.clone(), config).await;
    (store, gated, collector)
}

#[tokio::test]
async fn a_full_queue_answers_with_backpressure_and_counts_the_refused_spans() {
    let _serial = GAUGES.lock().await;
    let (store, gated, collector) = gated_collector().await;
    let grpc_url = collector.url(collector.grpc, "");
    // The first 100 spans are accepted and wait at the gate, holding the queue.
    let first_batch = batch(100, 1);
    let first = tokio::spawn({
        let url = grpc_url.clone();
        let batch = first_batch.clone();
        async move {
            let mut client = CollectorServiceClient::connect(url).await.unwrap();
            client
                .post_spans(PostSpansRequest { batch: Some(batch) })
                .await
        }
    });
    for _ in 0..500 {
        let metrics = collector.metrics().await;
        if metric_value(&metrics, "jaeger_collector_queue_length", &[]) >= 100.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = collector.metrics().await;
    let mut client = CollectorServiceClient::connect(grpc_url).await.unwrap();
    let status = client
        .post_spans(PostSpansRequest {
            batch: Some(batch(100, 2)),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    let response = reqwest::Client::new()
        .post(collector.url(collector.zipkin, "/api/v2/spans"))
        .header("Content-Type", "application/json")
        .body(spur_model::testing::sample_zipkin_v2_json(60))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let after = collector.metrics().await;
    let refused = |metrics: &str| {
        metric_value(
            metrics,
            "spur_collector_spans_refused_total",
            &["reason=\"queue_full\""],
        )
    };
    assert_eq!(refused(&after) - refused(&before), 160.0, "{after}");
    // Opening the gate lets the first request finish: nothing accepted was lost.
    gated.open();
    first.await.unwrap().unwrap();
    assert!(
        stored(&store, &first_batch).await,
        "the accepted batch was written"
    );
    collector.stop().await;
}

/// A write can wait long (for Kafka's acknowledgement, say); a client that stops waiting must
/// not keep its spans' place in the queue, or the collector would refuse everything after a
/// while.
#[tokio::test]
async fn a_client_that_gives_up_frees_its_place_in_the_queue() {
    let _serial = GAUGES.lock().await;
    let (store, gated, collector) = gated_collector().await;
    let mut client = CollectorServiceClient::connect(collector.url(collector.grpc, ""))
        .await
        .unwrap();
    // Held at the gate until the deadline: the collector drops the request.
    let mut request = tonic::Request::new(PostSpansRequest {
        batch: Some(batch(100, 3)),
    });
    request.set_timeout(Duration::from_millis(300));
    let status = client.post_spans(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Cancelled, "{status:?}");
    let mut length = f64::NAN;
    for _ in 0..200 {
        length = metric_value(
            &collector.metrics().await,
            "jaeger_collector_queue_length",
            &[],
        );
        if length == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(length, 0.0, "the abandoned request's spans left the queue");
    // 100 + 100 > 150: refused if the abandoned spans still held their place.
    gated.open();
    let second = batch(100, 4);
    client
        .post_spans(PostSpansRequest {
            batch: Some(second.clone()),
        })
        .await
        .unwrap();
    assert!(
        stored(&store, &second).await,
        "the accepted batch was written"
    );
    collector.stop().await;
}

#[tokio::test]
async fn shutdown_writes_every_accepted_span() {
    let _serial = GAUGES.lock().await;
    let store = Arc::new(MemoryStore::new(10_000));
    let gated = GatedWriter::new(store.clone());
    let mut config = default_config();
    config.num_workers = 2;
    let collector = start(gated.clone(), config).await;
    let url = collector.url(collector.grpc, "");
    let batches: Vec<_> = (0..8).map(|trace| batch(20, trace + 10)).collect();
    let mut requests = Vec::new();
    for batch in batches.clone() {
        let url = url.clone();
        requests.push(tokio::spawn(async move {
            let mut client = CollectorServiceClient::connect(url).await.unwrap();
            client
                .post_spans(PostSpansRequest { batch: Some(batch) })
                .await
        }));
    }
    for _ in 0..500 {
        let metrics = collector.metrics().await;
        if metric_value(&metrics, "jaeger_collector_queue_length", &[]) >= 160.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // SIGTERM while every request waits at the gate; the gate opens shortly after.
    collector.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(100)).await;
    gated.open();
    let report = collector.stop().await;
    assert_eq!(report.lost_spans, 0);
    for (request, batch) in requests.into_iter().zip(batches) {
        request.await.unwrap().unwrap();
        for span in &batch.spans {
            let trace = store
                .get_trace(GetTraceQuery::new(span.trace_id().unwrap()))
                .await
                .unwrap()
                .unwrap();
            assert!(trace.iter().any(|s| s.span_id == span.span_id));
        }
    }
}
