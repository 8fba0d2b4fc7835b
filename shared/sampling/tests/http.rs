//! The axum endpoints over real HTTP (127.0.0.1:0): every request of `fixtures/golden.json`'s
//! `http` list, answered as Jaeger's handler answered it, on the collector's mount (`/api`) and
//! the agent's (no prefix, legacy `/` on); and the counters Jaeger's handler keeps.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use spur_sampling::{HttpOptions, StoreOptions, StrategyStore};

async fn store(file: &str) -> StrategyStore {
    StrategyStore::open(StoreOptions {
        strategies_file: Some(common::strategies_path(file).display().to_string()),
        reload_interval: Duration::ZERO,
        include_default_operation_strategies: false,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn every_request_is_answered_as_jaeger_answers_it() {
    let store = store("services.json").await;
    let collector = common::serve_http(spur_sampling::router(
        store.clone(),
        &HttpOptions::collector(),
    ))
    .await;
    let agent = common::serve_http(spur_sampling::router(store, &HttpOptions::agent())).await;
    let client = reqwest::Client::new();
    let golden = common::golden();
    let cases = golden["http"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let address = match case["mount"].as_str().unwrap() {
            "collector" => collector,
            _ => agent,
        };
        let method = case["method"].as_str().unwrap();
        let target = case["target"].as_str().unwrap();
        let context = format!("{} {method} {target}", case["mount"]);
        let response = client
            .request(method.parse().unwrap(), format!("http://{address}{target}"))
            .send()
            .await
            .unwrap();
        let expected = &case["response"];
        let status = response.status().as_u16();
        assert_eq!(
            u64::from(status),
            expected["status"].as_u64().unwrap(),
            "{context}"
        );
        if status == 404 || status == 405 {
            // Routing misses: the service's router answers these, not this crate.
            continue;
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            header("content-type"),
            expected["content_type"],
            "{context}"
        );
        assert_eq!(
            header("x-content-type-options"),
            expected["x_content_type_options"]
                .as_str()
                .unwrap_or_default(),
            "{context}"
        );
        assert_eq!(
            response.text().await.unwrap(),
            expected["body"],
            "{context}"
        );
    }
}

#[tokio::test]
async fn head_and_post_are_not_allowed() {
    let address = common::serve_http(spur_sampling::router(
        StrategyStore::default(),
        &HttpOptions::collector(),
    ))
    .await;
    let client = reqwest::Client::new();
    let url = format!("http://{address}/api/sampling?service=x");
    assert_eq!(client.head(&url).send().await.unwrap().status(), 405);
    assert_eq!(client.post(&url).send().await.unwrap().status(), 405);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn requests_and_errors_are_counted_under_the_given_namespace() {
    let options = HttpOptions {
        metrics_namespace: "spur_test_http".to_owned(),
        ..HttpOptions::agent()
    };
    let requests = "spur_test_http_http_server_requests_total";
    let errors = "spur_test_http_http_server_errors_total";
    // Read once first: installs the recorder before anything is counted.
    assert_eq!(common::counter(requests, &[("type", "sampling")]), 0);

    let address =
        common::serve_http(spur_sampling::router(store("numbers.json").await, &options)).await;
    let client = reqwest::Client::new();
    let get = |path: &str| {
        let request = client.get(format!("http://{address}{path}"));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/sampling?service=tenth").await, 200);
    assert_eq!(get("/sampling?service=whole").await, 200);
    assert_eq!(get("/?service=tenth").await, 200);
    assert_eq!(get("/sampling").await, 400);
    assert_eq!(get("/?service=a&service=b").await, 400);
    assert_eq!(get("/baggageRestrictions?service=tenth").await, 500);
    // 32768 traces/s does not fit the legacy Thrift i16.
    assert_eq!(get("/?service=rate-above-int16").await, 500);

    assert_eq!(common::counter(requests, &[("type", "sampling")]), 2);
    assert_eq!(common::counter(requests, &[("type", "sampling-legacy")]), 1);
    assert_eq!(common::counter(requests, &[("type", "baggage")]), 0);
    assert_eq!(
        common::counter(errors, &[("source", "all"), ("status", "4xx")]),
        2
    );
    assert_eq!(
        common::counter(errors, &[("source", "collector-proxy"), ("status", "5xx")]),
        1
    );
    assert_eq!(
        common::counter(errors, &[("source", "thrift"), ("status", "5xx")]),
        1
    );
}
