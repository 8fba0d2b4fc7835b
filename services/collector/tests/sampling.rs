//! Remote sampling served by the collector: `GET /api/sampling?service=` on the HTTP port and
//! `SamplingManager/GetSamplingStrategy` on the gRPC port answer from the strategies file, and
//! follow it when it changes; a broken file keeps the last good strategies.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{default_config, metric_value, start_with_sampling};
use spur_model::api_v2::SamplingStrategyParameters;
use spur_model::api_v2::sampling_manager_client::SamplingManagerClient;
use spur_sampling::{StoreOptions, StrategyStore};
use spur_storage::memory::MemoryStore;

const FIRST: &str = r#"{"default_strategy": {"type": "probabilistic", "param": 0.25},
  "service_strategies": [{"service": "foo", "type": "ratelimiting", "param": 7}]}"#;
const SECOND: &str = r#"{"default_strategy": {"type": "probabilistic", "param": 0.5},
  "service_strategies": [{"service": "foo", "type": "probabilistic", "param": 0.75}]}"#;

#[tokio::test]
async fn strategies_are_served_over_http_and_grpc_and_follow_the_file() {
    let directory = std::env::temp_dir().join(format!("spur-sampling-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let file = directory.join("strategies.json");
    std::fs::write(&file, FIRST).unwrap();
    let store = StrategyStore::open(StoreOptions {
        strategies_file: Some(file.to_str().unwrap().to_owned()),
        reload_interval: Duration::from_millis(50),
        include_default_operation_strategies: false,
    })
    .await
    .unwrap();
    let collector =
        start_with_sampling(Arc::new(MemoryStore::new(10)), default_config(), store).await;
    let http = reqwest::Client::new();
    let get = |service: &str| {
        let url = collector.url(collector.http, &format!("/api/sampling?service={service}"));
        let http = http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    let response = get("foo").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"strategyType": "RATE_LIMITING", "rateLimitingSampling": {"maxTracesPerSecond": 7}})
    );
    let body: serde_json::Value = get("other").await.json().await.unwrap();
    assert_eq!(body["probabilisticSampling"]["samplingRate"], 0.25);
    let missing = http
        .get(collector.url(collector.http, "/api/sampling"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert_eq!(
        missing.text().await.unwrap().trim_end(),
        "'service' parameter must be provided once"
    );

    let mut grpc = SamplingManagerClient::connect(collector.url(collector.grpc, ""))
        .await
        .unwrap();
    let answer = grpc
        .get_sampling_strategy(SamplingStrategyParameters {
            service_name: "foo".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.rate_limiting_sampling.unwrap().max_traces_per_second,
        7
    );

    // The file changes: the new strategies are served within a few reload intervals.
    std::fs::write(&file, SECOND).unwrap();
    let mut rate = serde_json::Value::Null;
    for _ in 0..100 {
        let body: serde_json::Value = get("foo").await.json().await.unwrap();
        rate = body["probabilisticSampling"]["samplingRate"].clone();
        if rate == 0.75 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rate, 0.75);
    // A broken file keeps the last good strategies and is counted.
    let before = metric_value(
        &collector.metrics().await,
        "spur_sampling_reload_errors_total",
        &[],
    );
    std::fs::write(&file, "{ broken").unwrap();
    let mut errors = before;
    for _ in 0..100 {
        errors = metric_value(
            &collector.metrics().await,
            "spur_sampling_reload_errors_total",
            &[],
        );
        if errors > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(errors > before);
    let body: serde_json::Value = get("foo").await.json().await.unwrap();
    assert_eq!(body["probabilisticSampling"]["samplingRate"], 0.75);
    collector.stop().await;
    let _ = std::fs::remove_dir_all(&directory);
}

#[tokio::test]
async fn a_broken_file_at_start_is_an_error_naming_it() {
    let file = std::env::temp_dir().join(format!("spur-sampling-bad-{}.json", std::process::id()));
    std::fs::write(&file, "{\n  \"default_strategy\": 5").unwrap();
    let error = StrategyStore::open(StoreOptions {
        strategies_file: Some(file.to_str().unwrap().to_owned()),
        reload_interval: Duration::ZERO,
        include_default_operation_strategies: false,
    })
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(file.to_str().unwrap()) && message.contains("line 2"),
        "{message}"
    );
    let _ = std::fs::remove_file(&file);
}
