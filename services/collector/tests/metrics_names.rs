//! The metric names `/metrics` shows are exactly the documented ones: after traffic of every
//! kind (good and bad requests on every receiver), every name scraped must appear in the
//! README's collector metrics table, and the table's core metrics must be present.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{default_config, fixture, start};
use spur_storage::memory::MemoryStore;

#[tokio::test]
async fn every_metric_shown_is_documented() {
    let store = Arc::new(MemoryStore::new(1_000));
    let collector = start(store, default_config()).await;
    let client = reqwest::Client::new();
    for (address, path, content_type, body) in [
        (
            collector.zipkin,
            "/api/v2/spans",
            "application/json",
            fixture("py_zipkin.v2.json"),
        ),
        (
            collector.zipkin,
            "/api/v2/spans",
            "application/json",
            b"nope".to_vec(),
        ),
        (
            collector.http,
            "/api/traces",
            "application/x-thrift",
            fixture("jaeger-client-go.http-binary.bin"),
        ),
        (
            collector.otlp_http,
            "/v1/traces",
            "application/x-protobuf",
            fixture("otel-python.otlp-http.bin"),
        ),
    ] {
        client
            .post(collector.url(address, path))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
    }
    client
        .get(collector.url(collector.http, "/api/sampling?service=x"))
        .send()
        .await
        .unwrap();
    let text = collector.metrics().await;
    let documented = spur_e2e::metric_names::documented("collector-metrics").unwrap();
    let mut shown = BTreeSet::new();
    for line in text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
    {
        let name = line.split(['{', ' ']).next().unwrap();
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| documented.contains(*base))
            })
            .unwrap_or(name);
        shown.insert(base.to_owned());
    }
    let undocumented: Vec<&String> = shown.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "undocumented metrics: {undocumented:?}"
    );
    for core in [
        "jaeger_collector_spans_received_total",
        "jaeger_collector_spans_saved_by_svc_total",
        "jaeger_collector_queue_length",
        "jaeger_collector_queue_capacity",
        "jaeger_collector_save_latency",
        "jaeger_collector_http_request_duration",
        "spur_collector_requests_total",
        "spur_collector_request_size_bytes",
    ] {
        assert!(
            shown.contains(core),
            "{core} missing from /metrics:\n{text}"
        );
    }
    collector.stop().await;
}
