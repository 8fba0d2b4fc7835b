//! Jaeger's own query service (v1.75.0, built by `tests/jaeger/build.sh` from the Go module
//! proxy) reads what Spur's Elasticsearch/OpenSearch backend wrote, through Jaeger's HTTP API
//! against real Elasticsearch (`SPUR_TEST_ES`) and OpenSearch (`SPUR_TEST_OPENSEARCH`):
//! services, operations, a trace by id with its tags, logs, references and process, and
//! searches by tag, process tag, operation and duration.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spur_e2e::{ELASTICSEARCH, OPENSEARCH, unique_name};
use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use spur_storage::SpanWriter;
use spur_storage_elasticsearch::{
    ElasticsearchOptions, ElasticsearchStore, Flavor, IndexNaming, TemplateOptions,
};

fn jaeger_query_binary() -> PathBuf {
    if let Ok(path) = std::env::var("SPUR_JAEGER_QUERY") {
        return PathBuf::from(path);
    }
    let cache = std::env::var("SPUR_CACHE").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/spur"),
        PathBuf::from,
    );
    cache.join("jaeger/v1.75.0/jaeger-query")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The Jaeger query process, killed when dropped.
struct JaegerQuery {
    child: Child,
    http: String,
}

impl Drop for JaegerQuery {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Jaeger's query on the indices of `prefix`. The integ-test servers answer `GET /` with 405,
/// so Jaeger's version ping and health check are replaced by `es.version` and
/// `es.disable-health-check`; its templates are left as Spur put them.
fn start_jaeger_query(url: &str, prefix: &str, version: u32) -> JaegerQuery {
    let binary = jaeger_query_binary();
    assert!(
        binary.exists(),
        "{} is missing: run `bash tests/jaeger/build.sh` (make test does)",
        binary.display()
    );
    let http = format!("127.0.0.1:{}", free_port());
    let child = Command::new(&binary)
        .env("SPAN_STORAGE_TYPE", "elasticsearch")
        .args([
            format!("--es.server-urls={url}"),
            format!("--es.index-prefix={prefix}"),
            format!("--es.version={version}"),
            "--es.disable-health-check=true".to_owned(),
            "--es.create-index-templates=false".to_owned(),
            format!("--query.http-server.host-port={http}"),
            format!("--query.grpc-server.host-port=127.0.0.1:{}", free_port()),
            format!("--admin.http.host-port=127.0.0.1:{}", free_port()),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start jaeger-query");
    JaegerQuery {
        child,
        http: format!("http://{http}"),
    }
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match client.get(url).send().await {
            Ok(response) if response.status().is_success() => {
                let body = response.text().await.expect("a body");
                return serde_json::from_str(&body).expect("JSON");
            }
            other if Instant::now() > deadline => panic!("{url}: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

fn now_micros() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    i64::try_from(since.as_micros()).expect("fits")
}

fn written_trace(trace_id: TraceId, start: i64) -> Vec<Span> {
    let root = Span {
        trace_id: trace_id.to_bytes().to_vec(),
        span_id: SpanId(0x1001).to_bytes().to_vec(),
        operation_name: "HTTP GET /order".into(),
        references: Vec::new(),
        flags: 1,
        start_time: Some(timestamp_from_micros(start)),
        duration: Some(duration_from_micros(12_000)),
        tags: vec![
            KeyValue::string("span.kind", "server"),
            KeyValue::int64("http.status_code", 201),
            KeyValue::float64("ratio", 0.5),
            KeyValue::binary("blob", vec![0xca, 0xfe]),
        ],
        logs: vec![Log {
            timestamp: Some(timestamp_from_micros(start + 100)),
            fields: vec![KeyValue::string("event", "accepted")],
        }],
        process: Some(Process {
            service_name: "orders".into(),
            tags: vec![KeyValue::string("hostname", "orders-1")],
        }),
        process_id: String::new(),
        warnings: Vec::new(),
    };
    let child = Span {
        span_id: SpanId(0x1002).to_bytes().to_vec(),
        operation_name: "INSERT order".into(),
        references: vec![SpanRef::new(trace_id, SpanId(0x1001), SpanRefType::ChildOf)],
        start_time: Some(timestamp_from_micros(start + 500)),
        duration: Some(duration_from_micros(3_000)),
        tags: vec![
            KeyValue::string("span.kind", "client"),
            KeyValue::bool("error", true),
        ],
        logs: Vec::new(),
        process: Some(Process {
            service_name: "orders-db".into(),
            tags: Vec::new(),
        }),
        ..root.clone()
    };
    vec![root, child]
}

async fn jaegers_query_reads_spurs_writes(flavor: Flavor, url: String) {
    let prefix = format!("spurtest-{}", unique_name("jq"));
    let mut options = ElasticsearchOptions::new(vec![url.clone()]);
    options.flavor = flavor;
    options.naming = IndexNaming::new(&prefix, "-", false, false, false);
    options.templates = TemplateOptions {
        shards: 1,
        replicas: 0,
        ..TemplateOptions::default()
    };
    options.bulk.refresh = spur_storage_elasticsearch::Refresh::Immediate;
    let store = ElasticsearchStore::open(options).await.expect("open");
    let trace_id = TraceId::new(0x00c0_ffee_0000_0001, 0x0000_0000_0bad_cafe);
    let start = now_micros() - 5 * 60 * 1_000_000;
    store
        .write_spans(written_trace(trace_id, start))
        .await
        .expect("write");

    // Jaeger reads OpenSearch with its Elasticsearch 7 code, as it does when it detects one.
    let version = if flavor == Flavor::OpenSearch { 7 } else { 8 };
    let jaeger = start_jaeger_query(&url, &prefix, version);
    let client = reqwest::Client::new();
    let base = &jaeger.http;

    let services = get_json(&client, &format!("{base}/api/services")).await;
    let mut names: Vec<&str> = services["data"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["orders", "orders-db"], "{flavor:?}");

    // Jaeger's Elasticsearch reader has no span kinds.
    let operations = get_json(&client, &format!("{base}/api/operations?service=orders")).await;
    assert_eq!(
        operations["data"],
        json!([{"name": "HTTP GET /order", "spanKind": ""}])
    );

    let hex = trace_id.to_string();
    let trace = get_json(&client, &format!("{base}/api/traces/{hex}")).await;
    let trace = &trace["data"][0];
    assert_eq!(trace["traceID"], hex);
    let spans = trace["spans"].as_array().expect("spans");
    assert_eq!(spans.len(), 2);
    let root = spans
        .iter()
        .find(|span| span["spanID"] == "0000000000001001")
        .expect("the root span");
    assert_eq!(root["operationName"], "HTTP GET /order");
    assert_eq!(root["startTime"], start);
    assert_eq!(root["duration"], 12_000);
    let tag = |key: &str| {
        root["tags"]
            .as_array()
            .and_then(|tags| tags.iter().find(|tag| tag["key"] == key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        tag("http.status_code"),
        json!({"key": "http.status_code", "type": "int64", "value": 201})
    );
    assert_eq!(
        tag("ratio"),
        json!({"key": "ratio", "type": "float64", "value": 0.5})
    );
    assert_eq!(tag("span.kind")["value"], "server");
    // The UI JSON carries binary as base64: Jaeger decoded Spur's hex.
    assert_eq!(tag("blob")["value"], "yv4=");
    assert_eq!(root["logs"][0]["timestamp"], start + 100);
    assert_eq!(root["logs"][0]["fields"][0]["value"], "accepted");
    let process_id = root["processID"].as_str().expect("a process id");
    assert_eq!(trace["processes"][process_id]["serviceName"], "orders");
    assert_eq!(
        trace["processes"][process_id]["tags"][0]["value"],
        "orders-1"
    );
    let child = spans
        .iter()
        .find(|span| span["spanID"] == "0000000000001002")
        .expect("the child span");
    assert_eq!(
        child["references"],
        json!([{"refType": "CHILD_OF", "traceID": hex, "spanID": "0000000000001001"}])
    );

    for query in [
        "service=orders&tags=%7B%22http.status_code%22%3A%22201%22%7D",
        "service=orders&tags=%7B%22hostname%22%3A%22orders-1%22%7D",
        "service=orders&tags=%7B%22event%22%3A%22accepted%22%7D",
        "service=orders-db&operation=INSERT%20order",
        "service=orders&minDuration=10ms&maxDuration=20ms",
        "service=orders",
    ] {
        let found = get_json(
            &client,
            &format!("{base}/api/traces?{query}&lookback=1h&limit=20"),
        )
        .await;
        let ids: Vec<&str> = found["data"]
            .as_array()
            .expect("traces")
            .iter()
            .filter_map(|trace| trace["traceID"].as_str())
            .collect();
        assert_eq!(ids, [hex.as_str()], "{flavor:?}: Jaeger's search {query}");
    }
    let nothing = get_json(
        &client,
        &format!("{base}/api/traces?service=orders&minDuration=13ms&lookback=1h&limit=20"),
    )
    .await;
    assert_eq!(
        nothing["data"],
        json!([]),
        "a search that must find nothing"
    );
}

#[tokio::test]
async fn jaegers_query_service_reads_what_spur_wrote_to_elasticsearch() {
    jaegers_query_reads_spurs_writes(Flavor::Elasticsearch, ELASTICSEARCH.require()).await;
}

#[tokio::test]
async fn jaegers_query_service_reads_what_spur_wrote_to_opensearch() {
    jaegers_query_reads_spurs_writes(Flavor::OpenSearch, OPENSEARCH.require()).await;
}
