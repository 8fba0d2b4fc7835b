//! The web UI as the query server serves it, over a real server on 127.0.0.1:0: `/` is the
//! page, every embedded file comes with its content type, validators give 304s, the UI's own
//! routes fall back to the page while `/api` stays JSON (unknown `/api` paths 404 as JSON),
//! and under `query.base-path` everything moves below the prefix. Also checks that every file
//! in `services/query/ui/` is embedded and that every module imported is one of them.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use spur_query::server::{Listeners, Services, run};
use spur_query::ui::FILES;
use spur_storage::memory::MemoryStore;
use tokio_util::sync::CancellationToken;

struct Server {
    address: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    base: String,
}

impl Server {
    async fn start(base_path: &str) -> Server {
        let store = Arc::new(MemoryStore::new(10));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let services = Services {
            reader: store.clone(),
            dependencies: Some(store),
            health: spur_telemetry::health::Health::new(),
            metrics: spur_telemetry::metrics::install().unwrap(),
            adjust: Default::default(),
            base_path: base_path.to_owned(),
        };
        let listeners = Listeners {
            http: Some(listener),
            ..Default::default()
        };
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(services, listeners, shutdown.clone()));
        let base = if base_path == "/" {
            String::new()
        } else {
            base_path.to_owned()
        };
        let server = Server {
            address,
            shutdown,
            task,
            base,
        };
        for _ in 0..200 {
            if reqwest::get(server.url("/api/services")).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the query server did not start");
    }

    /// The address of `path` below the base path.
    fn url(&self, path: &str) -> String {
        format!("http://{}{}{path}", self.address, self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(self.url(path)).await.unwrap()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn the_root_serves_the_page() {
    let server = Server::start("/").await;
    let response = server.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
    assert!(header(&response, ETAG).starts_with('"'));
    let page = response.text().await.unwrap();
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(page.contains("<base href=\"/\">"));
    assert!(page.contains(r#"<script type="module" src="static/app.js">"#));
    server.stop().await;
}

#[tokio::test]
async fn every_file_is_served_with_its_content_type() {
    let server = Server::start("/").await;
    for file in FILES {
        let response = server.get(&format!("/static/{}", file.name)).await;
        assert_eq!(response.status(), 200, "{}", file.name);
        let expected = match file.name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("html") => "text/html; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("no expectation for {other:?}"),
        };
        assert_eq!(header(&response, CONTENT_TYPE), expected, "{}", file.name);
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
        assert_eq!(
            header(&response, "x-content-type-options".parse().unwrap()),
            "nosniff"
        );
        assert!(!header(&response, ETAG).is_empty());
        assert_eq!(
            &response.bytes().await.unwrap()[..],
            file.bytes,
            "{}",
            file.name
        );
    }
    let missing = server.get("/static/nope.js").await;
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn a_matching_etag_gets_304() {
    let server = Server::start("/").await;
    let http = reqwest::Client::new();
    for path in ["/", "/static/app.js", "/static/style.css", "/trace/abc"] {
        let first = server.get(path).await;
        let etag = header(&first, ETAG).to_owned();
        let again = http
            .get(server.url(path))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(header(&again, ETAG), etag);
        assert_eq!(header(&again, CACHE_CONTROL), "no-cache");
        assert!(again.bytes().await.unwrap().is_empty());
        let other = http
            .get(server.url(path))
            .header(IF_NONE_MATCH, "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200, "{path}");
        let weak = http
            .get(server.url(path))
            .header(IF_NONE_MATCH, format!("\"x\", W/{etag}"))
            .send()
            .await
            .unwrap();
        assert_eq!(weak.status(), 304, "{path}");
    }
    let page = server.get("/").await;
    let script = server.get("/static/app.js").await;
    assert_ne!(header(&page, ETAG), header(&script, ETAG));
    server.stop().await;
}

#[tokio::test]
async fn the_ui_routes_fall_back_to_the_page_and_the_api_stays_json() {
    let server = Server::start("/").await;
    let page = server.get("/").await.text().await.unwrap();
    for path in [
        "/search",
        "/search?service=frontend&lookback=1h",
        "/trace/0123456789abcdef?span=1",
        "/compare?a=1&b=2",
        "/dependencies",
        "/some/deep/unknown/path",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(response.text().await.unwrap(), page, "{path}");
    }
    let services = server.get("/api/services").await;
    assert_eq!(services.status(), 200);
    assert!(header(&services, CONTENT_TYPE).starts_with("application/json"));
    let body: serde_json::Value = services.json().await.unwrap();
    assert_eq!(body["data"], serde_json::json!([]));
    let trace = server.get("/api/traces/0123456789abcdef").await;
    assert_eq!(trace.status(), 404);
    assert!(trace.text().await.unwrap().contains("trace not found"));
    for path in ["/api/nope", "/api", "/api/services/a/b/c"] {
        let unknown = server.get(path).await;
        assert_eq!(unknown.status(), 404, "{path}");
        assert_eq!(header(&unknown, CONTENT_TYPE), "application/json");
        let body: serde_json::Value = unknown.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], 404, "{path}");
    }
    let posted = reqwest::Client::new()
        .post(server.url("/search"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 405);
    let head = reqwest::Client::new()
        .head(server.url("/static/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        header(&head, CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    server.stop().await;
}

#[tokio::test]
async fn under_a_base_path_the_ui_moves_below_it() {
    let server = Server::start("/jaeger").await;
    for path in ["/", "", "/search", "/trace/abc"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let page = response.text().await.unwrap();
        assert!(page.contains("<base href=\"/jaeger/\">"), "{path}: {page}");
    }
    let script = server.get("/static/app.js").await;
    assert_eq!(script.status(), 200);
    assert_eq!(
        header(&script, CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    let services = server.get("/api/services").await;
    assert_eq!(services.status(), 200);
    assert!(header(&services, CONTENT_TYPE).starts_with("application/json"));
    let outside = reqwest::get(format!("http://{}/static/app.js", server.address))
        .await
        .unwrap();
    assert_eq!(outside.status(), 404);
    let root = reqwest::get(format!("http://{}/", server.address))
        .await
        .unwrap();
    assert_eq!(root.status(), 404);
    server.stop().await;
}

/// The files in `services/query/ui/`, by name.
fn files_on_disk() -> BTreeSet<String> {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/ui");
    std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn every_ui_file_is_embedded_and_every_import_resolves() {
    let embedded: BTreeSet<String> = FILES.iter().map(|file| file.name.to_owned()).collect();
    assert_eq!(files_on_disk(), embedded, "ui/ and ui::FILES differ");
    for file in FILES.iter().filter(|file| file.name.ends_with(".js")) {
        let text = std::str::from_utf8(file.bytes).unwrap();
        for line in text.lines().filter(|line| line.starts_with("import ")) {
            let target = line
                .split(" from ")
                .nth(1)
                .map(|rest| rest.trim_matches(|c| c == '"' || c == ';' || c == ' '))
                .unwrap_or_else(|| panic!("{}: cannot read import {line}", file.name));
            let name = target
                .strip_prefix("./")
                .unwrap_or_else(|| panic!("{}: import outside ui/: {target}", file.name));
            assert!(
                embedded.contains(name),
                "{} imports {name}, which is not embedded",
                file.name
            );
        }
    }
}
