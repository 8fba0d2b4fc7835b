//! A real Jaeger client library reports through spur-agent: the Python `jaeger-client` sends
//! thrift compact datagrams to the agent's 6831, the agent forwards them to a real in-process
//! collector, and the spans it stores match, field by field, what the library's own span
//! objects say. Also: the sampling proxy on 5778 answers with the collector's strategies.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Agent, Collector, eventually};
use serde_json::Value;
use spur_e2e::expect::{hex, neutral};
use spur_model::api_v2::Span;
use spur_model::time::{micros_from_duration, micros_from_timestamp};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let cache = std::env::var_os("SPUR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/spur"));
    let python = cache.join("fixtures-venv-jaeger/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash tests/clients/live/install.sh jaeger-python` (make test does)",
        python.display()
    );
    python
}

fn check_span(stored: &Span, sent: &Value) {
    let name = sent["operation_name"].as_str().unwrap();
    assert_eq!(hex(&stored.trace_id), sent["trace_id"], "{name}: trace id");
    assert_eq!(hex(&stored.span_id), sent["span_id"], "{name}: span id");
    assert_eq!(stored.operation_name, name);
    match sent["parent_id"].as_str() {
        Some(parent) => {
            assert_eq!(stored.references.len(), 1, "{name}: one parent reference");
            assert_eq!(hex(&stored.references[0].span_id), parent, "{name}: parent");
        }
        None => assert!(stored.references.is_empty(), "{name}: a root"),
    }
    assert_eq!(
        micros_from_timestamp(stored.start_time.as_ref().unwrap()),
        sent["start_time_us"].as_i64().unwrap(),
        "{name}: start"
    );
    assert_eq!(
        micros_from_duration(stored.duration.as_ref().unwrap()),
        sent["duration_us"].as_i64().unwrap(),
        "{name}: duration"
    );
    let stored_tags: Vec<Value> = stored.tags.iter().map(neutral).collect();
    for tag in sent["tags"].as_array().unwrap() {
        assert!(
            stored_tags.contains(tag),
            "{name}: tag {tag} missing from {stored_tags:?}"
        );
    }
    let logs: Vec<Value> = stored
        .logs
        .iter()
        .map(|log| {
            serde_json::json!({
                "timestamp_us": micros_from_timestamp(log.timestamp.as_ref().unwrap()),
                "fields": log.fields.iter().map(neutral).collect::<Vec<_>>(),
            })
        })
        .collect();
    assert_eq!(Value::from(logs), sent["logs"], "{name}: logs");
}

#[tokio::test]
async fn python_jaeger_client_reports_through_the_agent() {
    let collector = Collector::start().await;
    let agent = Agent::start(&[collector.grpc], &["--agent.tags=agent.name=spur-test"]).await;
    let service = spur_e2e::unique_name("py-jaeger-agent");
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(python())
            .arg(repo().join("tests/clients/live/jaeger_python.py"))
            .arg("--agent")
            .arg(agent.compact.to_string())
            .arg("--service")
            .arg(&service)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the sender finished within 60 s")
    .unwrap();
    assert!(
        output.status.success(),
        "sender failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sent: Value = serde_json::from_slice(&output.stdout).unwrap();
    let sent_spans = sent["spans"].as_array().unwrap();
    assert_eq!(sent_spans.len(), 2);
    assert!(eventually(20, || collector.recorded.count() >= 2).await);

    let stored = collector.recorded.spans();
    assert_eq!(stored.len(), 2, "each span once");
    for sent_span in sent_spans {
        let stored_span = stored
            .iter()
            .find(|span| hex(&span.span_id) == sent_span["span_id"])
            .unwrap_or_else(|| panic!("{} not stored", sent_span["span_id"]));
        check_span(stored_span, sent_span);
        let process = stored_span.process.as_ref().unwrap();
        assert_eq!(process.service_name, service);
        let tags: Vec<Value> = process.tags.iter().map(neutral).collect();
        for tag in sent["process_tags"].as_array().unwrap() {
            assert!(
                tags.contains(tag),
                "process tag {tag} missing from {tags:?}"
            );
        }
        assert!(
            tags.contains(
                &serde_json::json!({"key": "agent.name", "type": "string", "value": "spur-test"})
            ),
            "the agent's tag is on the process: {tags:?}"
        );
    }
    agent.stop().await;
    collector.stop().await;
}

#[tokio::test]
async fn the_sampling_port_proxies_the_collectors_strategies() {
    let collector = Collector::start().await;
    let agent = Agent::start(&[collector.grpc], &[]).await;
    let get = |path: &str| reqwest::get(format!("http://{}{path}", agent.http));

    let response = get("/sampling?service=checkout").await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["strategyType"], "PROBABILISTIC", "{body}");
    assert_eq!(
        body["probabilisticSampling"]["samplingRate"], 0.001,
        "{body}"
    );

    // The legacy form old clients poll: the strategy type as a number.
    let legacy: Value = get("/?service=checkout")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(legacy["strategyType"], 0, "{legacy}");

    assert_eq!(get("/sampling").await.unwrap().status(), 400);
    // As Jaeger's agent over gRPC: the collector has no baggage restrictions to give.
    assert_eq!(
        get("/baggageRestrictions?service=checkout")
            .await
            .unwrap()
            .status(),
        500
    );
    agent.stop().await;
    collector.stop().await;
}
