//! `query.max-clock-skew-adjustment` reaches the HTTP API: with a maximum, a child span on
//! another host that starts before its parent is moved inside it; with the default (0, as in
//! Jaeger) it stays put and carries Jaeger's "clock skew adjustment disabled" warning.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use spur_model::api_v2::{KeyValue, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use spur_query::adjust::AdjustOptions;
use spur_storage::SpanWriter;
use spur_storage::memory::MemoryStore;

const PARENT_START: i64 = 1_700_000_000_000_000;

fn span(id: u64, parent: Option<u64>, start: i64, duration: i64, ip: &str) -> Span {
    let trace = TraceId::new(0, 42);
    Span {
        trace_id: trace.to_bytes().to_vec(),
        span_id: SpanId(id).to_bytes().to_vec(),
        operation_name: format!("op-{id}"),
        references: parent
            .map(|parent| vec![SpanRef::new(trace, SpanId(parent), SpanRefType::ChildOf)])
            .unwrap_or_default(),
        start_time: Some(timestamp_from_micros(start)),
        duration: Some(duration_from_micros(duration)),
        process: Some(Process {
            service_name: format!("service-{ip}"),
            tags: vec![KeyValue::string("ip", ip)],
        }),
        ..Default::default()
    }
}

async fn child_as_served(adjust: AdjustOptions) -> serde_json::Value {
    let store = Arc::new(MemoryStore::new(10));
    store
        .write_spans(vec![
            span(1, None, PARENT_START, 1_000, "10.0.0.1"),
            span(2, Some(1), PARENT_START - 500, 100, "10.0.0.2"),
        ])
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = spur_query::http::router_with(store, None, adjust);
    tokio::spawn(async move { axum::serve(listener, router).await });
    let trace: serde_json::Value = reqwest::get(format!(
        "http://{address}/api/traces/{}",
        TraceId::new(0, 42)
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    trace["data"][0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|span| span["spanID"] == "0000000000000002")
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_configured_maximum_moves_a_skewed_child_inside_its_parent() {
    let adjusted = child_as_served(AdjustOptions {
        max_clock_skew_adjustment: Duration::from_secs(1),
    })
    .await;
    let start = adjusted["startTime"].as_i64().unwrap();
    assert!(
        (PARENT_START..=PARENT_START + 900).contains(&start),
        "child not moved inside its parent: {adjusted}"
    );

    let disabled = child_as_served(AdjustOptions::default()).await;
    assert_eq!(disabled["startTime"].as_i64(), Some(PARENT_START - 500));
    let warnings = disabled["warnings"].to_string();
    assert!(
        warnings.contains("clock skew adjustment disabled"),
        "{disabled}"
    );
}
