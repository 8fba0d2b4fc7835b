//! `spur-all-in-one` with no storage settings keeps spans in the embedded store: a trace sent
//! over OTLP/HTTP is on disk, in full, when the process has stopped on SIGTERM.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

mod common;

use common::AllInOne;
use spur_storage::{GetTraceQuery, SpanReader};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

#[tokio::test]
async fn spans_land_in_the_embedded_store_by_default() {
    let all_in_one = AllInOne::start("embedded", 24, false).await;
    let client = reqwest::Client::new();
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/loadgen/sample-trace.json"
    ))
    .unwrap();
    let response = client
        .post(format!("http://{}/v1/traces", all_in_one.address(318)))
        .header("Content-Type", "application/json")
        .body(sample.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let directory = all_in_one.stop();

    let sent: Vec<_> = spur_model::otlp::decode_json(&sample)
        .unwrap()
        .into_iter()
        .flat_map(|batch| batch.spans)
        .collect();
    let store = EmbeddedStore::open(EmbeddedOptions {
        directory: directory.clone(),
        retention: Duration::from_secs(3650 * 24 * 3600),
    })
    .unwrap();
    let trace = store
        .get_trace(GetTraceQuery::new(sent[0].trace_id().unwrap()))
        .await
        .unwrap()
        .expect("the trace is in the embedded store");
    assert_eq!(trace.len(), sent.len());
    for span in &sent {
        let stored = trace.iter().find(|s| s.span_id == span.span_id).unwrap();
        assert_eq!(stored.operation_name, span.operation_name);
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
}
