//! `spur-all-in-one` with no storage settings keeps spans in the embedded store: a trace sent
//! over OTLP/HTTP is on disk, in full, when the process has stopped on SIGTERM.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use spur_storage::{GetTraceQuery, SpanReader};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

#[tokio::test]
async fn spans_land_in_the_embedded_store_by_default() {
    let directory = std::env::temp_dir().join(format!("spur-all-in-one-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    let mut child = Command::new(env!("CARGO_BIN_EXE_spur-all-in-one"))
        .env_remove("SPAN_STORAGE_TYPE")
        .env("BADGER_DIRECTORY_VALUE", &directory)
        .args([
            "--collector.grpc-server.host-port=127.0.0.1:24250",
            "--collector.http-server.host-port=127.0.0.1:24268",
            "--collector.zipkin.host-port=127.0.0.1:29411",
            "--collector.otlp.grpc.host-port=127.0.0.1:24317",
            "--collector.otlp.http.host-port=127.0.0.1:24318",
            "--admin.http.host-port=127.0.0.1:24269",
            "--query.http-server.host-port=127.0.0.1:24686",
            "--query.grpc-server.host-port=127.0.0.1:24685",
            "--processor.jaeger-compact.server-host-port=",
            "--processor.jaeger-binary.server-host-port=",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(response) = client.get("http://127.0.0.1:24269/").send().await
            && response.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "the all-in-one did not become ready");
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/loadgen/sample-trace.json"
    ))
    .unwrap();
    let response = client
        .post("http://127.0.0.1:24318/v1/traces")
        .header("Content-Type", "application/json")
        .body(sample.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    assert!(child.wait().unwrap().success(), "clean shutdown");

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
