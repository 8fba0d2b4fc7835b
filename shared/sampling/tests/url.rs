//! Strategies from an `http://` URL (`sampling.strategies-file=http://…`): downloaded at start
//! and on reload; 503 means "none for now" (the defaults); other statuses are errors; https is
//! refused up front (no TLS in this build).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use spur_sampling::{ReloadOutcome, SamplingError, StoreOptions, StrategyStore, probabilistic};

/// Serves `/strategies.json` with whatever `body` holds (`None`: 503), and 404 elsewhere.
async fn strategies_server(body: Arc<Mutex<Option<Vec<u8>>>>) -> String {
    let router = Router::new().route(
        "/strategies.json",
        get(move || {
            let body = body.lock().unwrap().clone();
            async move {
                match body {
                    Some(body) => (StatusCode::OK, body),
                    None => (StatusCode::SERVICE_UNAVAILABLE, b"later".to_vec()),
                }
            }
        }),
    );
    let address = common::serve_http(router).await;
    format!("http://{address}")
}

fn options(url: String) -> StoreOptions {
    StoreOptions {
        strategies_file: Some(url),
        reload_interval: Duration::ZERO,
        include_default_operation_strategies: false,
    }
}

fn rate(store: &StrategyStore, service: &str) -> Option<f64> {
    store
        .strategy(service)
        .probabilistic_sampling
        .map(|sampling| sampling.sampling_rate)
}

#[tokio::test]
async fn strategies_are_downloaded_and_reloaded() {
    let body = Arc::new(Mutex::new(Some(common::strategies_bytes("services.json"))));
    let base = strategies_server(Arc::clone(&body)).await;
    let store = StrategyStore::open(options(format!("{base}/strategies.json")))
        .await
        .unwrap();
    assert_eq!(rate(&store, "checkout"), Some(0.75));
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Unchanged);

    *body.lock().unwrap() = Some(common::strategies_bytes("all_in_one.json"));
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Replaced);
    assert_eq!(rate(&store, "checkout"), Some(1.0));

    // 503: no strategies for now, which means Jaeger's defaults.
    *body.lock().unwrap() = None;
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Replaced);
    assert_eq!(store.strategy("checkout"), probabilistic(0.001));
}

#[tokio::test]
async fn unavailable_at_start_means_defaults_until_it_answers() {
    let body = Arc::new(Mutex::new(None));
    let base = strategies_server(Arc::clone(&body)).await;
    let store = StrategyStore::open(options(format!("{base}/strategies.json")))
        .await
        .unwrap();
    assert_eq!(store.strategy("checkout"), probabilistic(0.001));
    *body.lock().unwrap() = Some(common::strategies_bytes("services.json"));
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Replaced);
    assert_eq!(rate(&store, "checkout"), Some(0.75));
}

#[tokio::test]
async fn other_statuses_and_https_are_errors() {
    let base = strategies_server(Arc::new(Mutex::new(None))).await;
    let error = StrategyStore::open(options(format!("{base}/missing.json")))
        .await
        .unwrap_err();
    assert!(matches!(error, SamplingError::Download { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("receiving 404 Not Found while downloading strategies file"),
        "{error}"
    );

    let error = StrategyStore::open(options("https://config.example/strategies.json".to_owned()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SamplingError::UnsupportedUrl { .. }),
        "{error}"
    );
}
