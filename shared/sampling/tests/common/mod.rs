//! Helpers shared by this crate's integration tests: fixture paths, the golden vectors written
//! by Jaeger's own Go code (`fixtures/golden.json`), servers on 127.0.0.1:0 and reading
//! counters back from the process's Prometheus recorder.
#![allow(clippy::unwrap_used, dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use serde_json::Value;

/// `tests/fixtures/strategies/<name>`.
pub fn strategies_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/strategies")
        .join(name)
}

pub fn strategies_bytes(name: &str) -> Vec<u8> {
    std::fs::read(strategies_path(name)).unwrap()
}

/// `tests/fixtures/golden.json`, see `tests/fixtures/jaeger-go/README.md`.
pub fn golden() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Serves `router` on 127.0.0.1:0 until the test's runtime ends.
pub async fn serve_http(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

/// Serves the gRPC sampling service over `provider` on 127.0.0.1:0.
pub async fn serve_grpc<P: spur_sampling::StrategyProvider>(provider: P) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(spur_sampling::grpc_service(provider))
            .serve_with_incoming(incoming)
            .await
            .unwrap()
    });
    address
}

/// The value of counter `name` with exactly these labels in the process's recorder (installed
/// on first use), 0 when it was never incremented.
pub fn counter(name: &str, labels: &[(&str, &str)]) -> u64 {
    let handle = spur_telemetry::metrics::install().unwrap();
    let rendered = handle.render();
    for line in rendered.lines() {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (series_name, series_labels) = match series.split_once('{') {
            Some((series_name, rest)) => (series_name, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if series_name != name {
            continue;
        }
        let mut found: Vec<(String, String)> = series_labels
            .split(',')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap();
                (key.to_owned(), value.trim_matches('"').to_owned())
            })
            .collect();
        found.sort();
        let mut wanted: Vec<(String, String)> = labels
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        wanted.sort();
        if found == wanted {
            return value.parse().unwrap();
        }
    }
    0
}
