//! The all-in-one end to end with a real client library: the Python OpenTelemetry SDK sends a
//! trace over OTLP/HTTP (tests/clients/live/otel_python.py), and the query HTTP API returns it
//! (`/api/traces?service=` and `/api/traces/{id}`), span for span, as the SDK described it.
//! The SDK's environment comes from `bash tests/clients/live/install.sh` (run by `make test`).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

mod common;

use common::AllInOne;

fn python() -> PathBuf {
    let cache = std::env::var("SPUR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/spur"));
    let python = cache.join("fixtures-venv-otel/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash tests/clients/live/install.sh`",
        python.display()
    );
    python
}

#[tokio::test]
async fn a_trace_from_the_python_sdk_comes_back_from_the_query_api() {
    let python = python();
    let all_in_one = AllInOne::start("python", 25, false).await;
    let http = reqwest::Client::new();

    let service = format!("aio-python-{}", std::process::id());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/clients/live/otel_python.py"
    );
    let sent = Command::new(python)
        .args([
            script,
            "--protocol",
            "http",
            "--endpoint",
            &format!("http://{}/v1/traces", all_in_one.address(318)),
            "--service",
            &service,
        ])
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let described: serde_json::Value = serde_json::from_slice(&sent.stdout).unwrap();
    let sdk_spans = described["spans"].as_array().unwrap();

    let found: serde_json::Value = http
        .get(format!(
            "http://{}/api/traces?service={service}&limit=10",
            all_in_one.address(686)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let traces = found["data"].as_array().unwrap();
    assert_eq!(traces.len(), 1, "{found}");
    let trace_id = traces[0]["traceID"].as_str().unwrap().to_owned();
    let by_id: serde_json::Value = http
        .get(format!(
            "http://{}/api/traces/{trace_id}",
            all_in_one.address(686)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let spans = by_id["data"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), sdk_spans.len());
    for sdk_span in sdk_spans {
        let span_id = sdk_span["span_id_hex"].as_str().unwrap();
        let name = sdk_span["name"].as_str().unwrap();
        let stored = spans
            .iter()
            .find(|span| span["spanID"] == span_id)
            .unwrap_or_else(|| panic!("span {span_id} ({name}) not returned: {by_id}"));
        assert_eq!(stored["operationName"], name);
        let start_micros = sdk_span["start_time_unix_nano"].as_u64().unwrap() / 1_000;
        assert_eq!(stored["startTime"].as_u64(), Some(start_micros));
        assert_eq!(stored["traceID"], trace_id);
        assert_eq!(sdk_span["trace_id_hex"], trace_id);
    }
    let directory = all_in_one.stop();
    let _ = std::fs::remove_dir_all(&directory);
}
