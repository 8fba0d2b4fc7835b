//! `query.base-path`: the HTTP API is served under the prefix (`/jaeger/api/...`) and not at
//! the root, as Jaeger's query does behind a reverse proxy; bad prefixes are refused.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use spur_query::config::parse_base_path;
use spur_query::server::{Listeners, Services, run};
use spur_storage::memory::MemoryStore;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn the_api_is_served_under_the_base_path() {
    let store = Arc::new(MemoryStore::new(10));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let services = Services {
        reader: store.clone(),
        dependencies: Some(store),
        health: spur_telemetry::health::Health::new(),
        metrics: spur_telemetry::metrics::install().unwrap(),
        adjust: Default::default(),
        base_path: "/jaeger".to_owned(),
    };
    let listeners = Listeners {
        http: Some(listener),
        ..Default::default()
    };
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(run(services, listeners, shutdown.clone()));
    let get = |path: &str| reqwest::get(format!("http://{address}{path}"));
    let mut status = None;
    for _ in 0..100 {
        if let Ok(response) = get("/jaeger/api/services").await {
            status = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status.map(|s| s.as_u16()), Some(200));
    assert_eq!(get("/api/services").await.unwrap().status(), 404);
    shutdown.cancel();
    server.await.unwrap().unwrap();

    assert_eq!(parse_base_path("").unwrap(), "/");
    assert_eq!(parse_base_path("/jaeger").unwrap(), "/jaeger");
    assert!(parse_base_path("jaeger").is_err());
    assert!(parse_base_path("/jaeger/").is_err());
}
