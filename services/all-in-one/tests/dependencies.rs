//! The all-in-one derives service dependencies from the spans it stores: the shipped sample
//! trace (frontend calls checkout, which calls back into frontend) shows up in
//! `/api/dependencies` after a flush interval, a redelivered trace is not counted twice, and
//! what is still uncounted at SIGTERM is stored before the process exits.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

mod common;

use common::AllInOne;
use serde_json::Value;
use spur_storage::DependencyStore;
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/loadgen/sample-trace.json"
);

/// The links the sample trace implies, from its spans' parents, as (parent, child, calls).
fn expected_links() -> Vec<(String, String, u64)> {
    let spans: Vec<_> = spur_model::otlp::decode_json(&std::fs::read(SAMPLE).unwrap())
        .unwrap()
        .into_iter()
        .flat_map(|batch| {
            let service = batch.process.clone().unwrap().service_name;
            batch
                .spans
                .into_iter()
                .map(move |span| (service.clone(), span))
        })
        .collect();
    let mut links = std::collections::BTreeMap::new();
    for (service, span) in &spans {
        let Some(parent) = span.parent_span_id() else {
            continue;
        };
        let parent = parent.to_bytes();
        let (parent_service, _) = spans
            .iter()
            .find(|(_, candidate)| candidate.span_id == parent)
            .unwrap();
        if parent_service != service {
            *links
                .entry((parent_service.clone(), service.clone()))
                .or_insert(0) += 1;
        }
    }
    assert!(links.len() >= 2, "the sample has calls both ways");
    links.into_iter().map(|((p, c), n)| (p, c, n)).collect()
}

async fn send_sample(all_in_one: &AllInOne) {
    let response = reqwest::Client::new()
        .post(format!("http://{}/v1/traces", all_in_one.address(318)))
        .header("Content-Type", "application/json")
        .body(std::fs::read(SAMPLE).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn api_links(all_in_one: &AllInOne) -> Vec<(String, String, u64)> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let url = format!(
        "http://{}/api/dependencies?endTs={}&lookback=3600000",
        all_in_one.address(686),
        now + 60_000
    );
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let mut links: Vec<_> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| {
            (
                link["parent"].as_str().unwrap().to_owned(),
                link["child"].as_str().unwrap().to_owned(),
                link["callCount"].as_u64().unwrap(),
            )
        })
        .collect();
    links.sort();
    links
}

#[tokio::test]
async fn dependencies_are_derived_from_stored_spans() {
    let all_in_one =
        AllInOne::start_with("deps", 27, false, &["--dependencies.flush-interval=100ms"]).await;
    assert!(api_links(&all_in_one).await.is_empty());
    send_sample(&all_in_one).await;
    let expected = expected_links();
    let mut links = Vec::new();
    for _ in 0..100 {
        links = api_links(&all_in_one).await;
        if !links.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(links, expected);

    // The same trace again (an at-least-once redelivery) adds no calls.
    send_sample(&all_in_one).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api_links(&all_in_one).await, expected);
    let directory = all_in_one.stop();
    let _ = std::fs::remove_dir_all(directory);
}

#[tokio::test]
async fn calls_counted_at_sigterm_are_stored_before_exit() {
    let all_in_one = AllInOne::start_with(
        "deps-stop",
        28,
        false,
        &["--dependencies.flush-interval=1h"],
    )
    .await;
    send_sample(&all_in_one).await;
    let directory = all_in_one.stop();

    let store = EmbeddedStore::open(EmbeddedOptions {
        directory: directory.clone(),
        retention: Duration::from_secs(3650 * 24 * 3600),
    })
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let mut links: Vec<_> = store
        .get_dependencies(now, 3_600_000_000)
        .await
        .unwrap()
        .into_iter()
        .map(|link| (link.parent, link.child, link.call_count))
        .collect();
    links.sort();
    assert_eq!(links, expected_links());
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
}
