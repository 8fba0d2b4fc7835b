//! The HTTP JSON API over a real server on 127.0.0.1:0, once over the memory store and once
//! over the embedded store: every route answers what was written through the writer (services,
//! operations by kind, traces searched by service/operation/tags/durations/time, traces by id,
//! dependencies), every malformed parameter is refused with Jaeger's status and text, a
//! 10,000-span trace comes back whole, and several trace ids with one missing list the
//! missing one in `errors`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};
use spur_model::api_v2::{DependencyLink, KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use spur_storage::memory::MemoryStore;
use spur_storage::{DependencyStore, SpanReader, SpanWriter};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};
use tokio::net::TcpListener;

/// Start times: one hour ago, so the default 48 h window holds them.
fn base_micros() -> i64 {
    chrono::Utc::now().timestamp_micros() - 3_600_000_000
}

fn process(service: &str) -> Process {
    Process {
        service_name: service.into(),
        tags: vec![KeyValue::string("hostname", format!("{service}-host"))],
    }
}

#[allow(clippy::too_many_arguments)]
fn span(
    trace: u64,
    id: u64,
    service: &str,
    operation: &str,
    kind: &str,
    start: i64,
    duration: i64,
    tags: Vec<KeyValue>,
) -> Span {
    let trace_id = TraceId::new(0, trace);
    let mut all_tags = vec![KeyValue::string("span.kind", kind)];
    all_tags.extend(tags);
    Span {
        trace_id: trace_id.to_bytes().to_vec(),
        span_id: SpanId(id).to_bytes().to_vec(),
        operation_name: operation.into(),
        references: if id == 1 {
            Vec::new()
        } else {
            vec![SpanRef::new(trace_id, SpanId(1), SpanRefType::ChildOf)]
        },
        flags: 1,
        start_time: Some(timestamp_from_micros(start)),
        duration: Some(duration_from_micros(duration)),
        tags: all_tags,
        logs: vec![Log {
            timestamp: Some(timestamp_from_micros(start + 1)),
            fields: vec![KeyValue::string("event", format!("log-{trace}-{id}"))],
        }],
        process: Some(process(service)),
        ..Default::default()
    }
}

/// Three small traces over three services, plus a 10,000-span trace.
fn fixture(base: i64) -> Vec<Span> {
    let mut spans = vec![
        // trace 1: frontend server → backend client, 5 ms and 2 ms
        span(
            1,
            1,
            "frontend",
            "GET /",
            "server",
            base,
            5_000,
            vec![KeyValue::int64("http.status_code", 200)],
        ),
        span(
            1,
            2,
            "backend",
            "query",
            "client",
            base + 10,
            2_000,
            vec![KeyValue::string("db", "users")],
        ),
        // trace 2: frontend server, 50 ms, error
        span(
            2,
            1,
            "frontend",
            "POST /cart",
            "server",
            base + 1_000,
            50_000,
            vec![KeyValue::bool("error", true)],
        ),
        // trace 3: worker consumer, 1 s
        span(
            3,
            1,
            "worker",
            "consume",
            "consumer",
            base + 2_000,
            1_000_000,
            vec![],
        ),
    ];
    // A process tag to search on.
    spans[3]
        .process
        .as_mut()
        .unwrap()
        .tags
        .push(KeyValue::string("region", "eu"));
    spans.extend((1..=10_000).map(|id| {
        span(
            4,
            id,
            "bulk",
            "step",
            "internal",
            base + 3_000 + id as i64,
            10,
            vec![],
        )
    }));
    spans
}

async fn serve(reader: Arc<dyn SpanReader>, deps: Option<Arc<dyn DependencyStore>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = spur_query::http::router(reader, deps);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

async fn get(base: &str, path: &str) -> (u16, Value, String) {
    let response = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    (status, body, content_type)
}

async fn ok(base: &str, path: &str) -> Value {
    let (status, body, content_type) = get(base, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(content_type, "application/json");
    assert_eq!(body["limit"], 0);
    assert_eq!(body["offset"], 0);
    body
}

async fn refused(base: &str, path: &str, status: u16, msg: &str) {
    let (got, body, content_type) = get(base, path).await;
    assert_eq!(got, status, "{path}: {body}");
    assert_eq!(content_type, "text/plain; charset=utf-8");
    assert_eq!(
        body,
        json!({"data": null, "total": 0, "limit": 0, "offset": 0,
               "errors": [{"code": status, "msg": msg}]}),
        "{path}"
    );
}

/// The trace ids of a `data` array of UI traces, in order.
fn trace_ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|trace| trace["traceID"].as_str().unwrap().to_owned())
        .collect()
}

fn hex(trace: u64) -> String {
    TraceId::new(0, trace).to_string()
}

async fn exercise(
    writer: Arc<dyn SpanWriter>,
    reader: Arc<dyn SpanReader>,
    deps: Arc<dyn DependencyStore>,
) {
    let base_time = base_micros();
    let written = fixture(base_time);
    writer.write_spans(written.clone()).await.unwrap();
    let now_ms = chrono::Utc::now().timestamp_millis();
    deps.write_dependencies(
        now_ms * 1000 - 1_000_000,
        vec![
            DependencyLink {
                parent: "frontend".into(),
                child: "backend".into(),
                call_count: 3,
                source: String::new(),
            },
            DependencyLink {
                parent: "backend".into(),
                child: "db".into(),
                call_count: 2,
                source: String::new(),
            },
            DependencyLink {
                parent: "frontend".into(),
                child: "backend".into(),
                call_count: 4,
                source: String::new(),
            },
        ],
    )
    .await
    .unwrap();
    let base = serve(reader, Some(deps)).await;

    // Services: sorted, counted.
    let body = ok(&base, "/api/services").await;
    assert_eq!(
        body["data"],
        json!(["backend", "bulk", "frontend", "worker"])
    );
    assert_eq!(body["total"], 4);
    assert_eq!(body["errors"], Value::Null);

    // Legacy operations: unique names of every kind.
    let body = ok(&base, "/api/services/frontend/operations").await;
    assert_eq!(body["data"], json!(["GET /", "POST /cart"]));
    assert_eq!(body["total"], 2);
    let body = ok(&base, "/api/services/nobody/operations").await;
    assert_eq!(body["data"], json!([]));

    // Operations with kinds, and filtered by kind.
    let body = ok(&base, "/api/operations?service=backend").await;
    assert_eq!(
        body["data"],
        json!([{"name": "query", "spanKind": "client"}])
    );
    assert_eq!(body["total"], 1);
    let body = ok(&base, "/api/operations?service=frontend&spanKind=server").await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let body = ok(&base, "/api/operations?service=frontend&spanKind=client").await;
    assert_eq!(body["data"], json!([]));

    // Search by service: whole traces, newest first, converted as trace_to_ui does.
    let body = ok(&base, "/api/traces?service=frontend&lookback=1h").await;
    assert_eq!(trace_ids(&body), vec![hex(2), hex(1)]);
    let trace_one: Vec<Span> = written[..2].to_vec();
    let mut expected =
        serde_json::to_value(spur_model::ui_json::trace_to_ui(&trace_one, &[])).unwrap();
    let mut got = body["data"][1].clone();
    for value in [&mut expected, &mut got] {
        value["spans"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|s| s["spanID"].as_str().unwrap().to_owned());
    }
    assert_eq!(got["spans"].as_array().unwrap().len(), 2);
    assert_eq!(got["traceID"], expected["traceID"]);
    for (got_span, expected_span) in got["spans"]
        .as_array()
        .unwrap()
        .iter()
        .zip(expected["spans"].as_array().unwrap())
    {
        for key in [
            "spanID",
            "operationName",
            "startTime",
            "duration",
            "references",
            "flags",
        ] {
            assert_eq!(got_span[key], expected_span[key], "{key}");
        }
        let service = &got["processes"][got_span["processID"].as_str().unwrap()]["serviceName"];
        let expected_service =
            &expected["processes"][expected_span["processID"].as_str().unwrap()]["serviceName"];
        assert_eq!(service, expected_service);
    }

    // Operation, tag (span, process, log), tags JSON, durations, limit, window.
    let body = ok(
        &base,
        "/api/traces?service=frontend&operation=POST%20%2Fcart",
    )
    .await;
    assert_eq!(trace_ids(&body), vec![hex(2)]);
    let body = ok(&base, "/api/traces?service=frontend&tag=error:true").await;
    assert_eq!(trace_ids(&body), vec![hex(2)]);
    let body = ok(&base, "/api/traces?service=worker&tag=region:eu").await;
    assert_eq!(trace_ids(&body), vec![hex(3)]);
    let body = ok(
        &base,
        "/api/traces?service=backend&tags=%7B%22event%22%3A%22log-1-2%22%7D",
    )
    .await;
    assert_eq!(trace_ids(&body), vec![hex(1)]);
    let body = ok(
        &base,
        "/api/traces?service=frontend&tags=%7B%22http.status_code%22%3A%22200%22%7D",
    )
    .await;
    assert_eq!(trace_ids(&body), vec![hex(1)]);
    let body = ok(&base, "/api/traces?service=frontend&minDuration=10ms").await;
    assert_eq!(trace_ids(&body), vec![hex(2)]);
    let body = ok(&base, "/api/traces?service=frontend&maxDuration=10ms").await;
    assert_eq!(trace_ids(&body), vec![hex(1)]);
    let body = ok(
        &base,
        "/api/traces?service=frontend&minDuration=1ms&maxDuration=1.5s",
    )
    .await;
    assert_eq!(trace_ids(&body), vec![hex(2), hex(1)]);
    let body = ok(&base, "/api/traces?service=frontend&limit=1").await;
    assert_eq!(trace_ids(&body), vec![hex(2)]);
    let path = format!(
        "/api/traces?service=frontend&start={}&end={}",
        base_time + 500,
        base_time + 2_000
    );
    assert_eq!(trace_ids(&ok(&base, &path).await), vec![hex(2)]);
    let path = format!("/api/traces?service=frontend&end={}", base_time - 1);
    assert_eq!(ok(&base, &path).await["data"], json!([]));

    // One trace by id; raw; the 10,000-span trace whole.
    let body = ok(&base, &format!("/api/traces/{}", hex(3))).await;
    assert_eq!(trace_ids(&body), vec![hex(3)]);
    assert_eq!(body["data"][0]["spans"][0]["operationName"], "consume");
    assert_eq!(body["errors"], Value::Null);
    let body = ok(&base, &format!("/api/traces/{}?raw=true", hex(3))).await;
    assert_eq!(trace_ids(&body), vec![hex(3)]);
    let body = ok(&base, "/api/traces/4").await;
    let spans = body["data"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 10_000);
    let ids: BTreeSet<&str> = spans
        .iter()
        .map(|s| s["spanID"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 10_000);
    assert_eq!(body["data"][0]["processes"].as_object().unwrap().len(), 1);

    // Several ids, one missing: found traces in order, the missing one in errors.
    let body = ok(
        &base,
        &format!(
            "/api/traces?traceID={}&traceID=ff&traceID={}",
            hex(1),
            hex(3)
        ),
    )
    .await;
    assert_eq!(trace_ids(&body), vec![hex(1), hex(3)]);
    assert_eq!(
        body["errors"],
        json!([{"msg": "trace not found", "traceID": hex(0xff)}])
    );

    // Dependencies: summed per pair, filtered by service.
    let body = ok(
        &base,
        &format!("/api/dependencies?endTs={now_ms}&lookback=60000"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!([
            {"parent": "backend", "child": "db", "callCount": 2},
            {"parent": "frontend", "child": "backend", "callCount": 7},
        ])
    );
    let body = ok(&base, "/api/dependencies?service=db").await;
    assert_eq!(
        body["data"],
        json!([{"parent": "backend", "child": "db", "callCount": 2}])
    );
    let body = ok(
        &base,
        &format!("/api/dependencies?endTs={}&lookback=1", now_ms - 3_600_000),
    )
    .await;
    assert_eq!(body["data"], json!([]));

    // Errors with Jaeger's status and text.
    refused(&base, "/api/traces/ffff", 404, "trace not found").await;
    refused(
        &base,
        "/api/traces/xyz",
        400,
        "strconv.ParseUint: parsing \"xyz\": invalid syntax",
    )
    .await;
    refused(
        &base,
        "/api/traces/000000000000000000000000000000001",
        400,
        "TraceID cannot be longer than 32 hex characters: 000000000000000000000000000000001",
    )
    .await;
    refused(
        &base,
        "/api/operations",
        400,
        "parameter 'service' is required",
    )
    .await;
    refused(&base, "/api/traces", 400, "parameter 'service' is required").await;
    refused(
        &base,
        "/api/traces?service=a&minDuration=abc",
        400,
        "unable to parse param 'minDuration': time: invalid duration \"abc\"",
    )
    .await;
    refused(
        &base,
        "/api/traces?service=a&maxDuration=5",
        400,
        "unable to parse param 'maxDuration': time: missing unit in duration \"5\"",
    )
    .await;
    refused(
        &base,
        "/api/traces?service=a&minDuration=2s&maxDuration=1s",
        400,
        "'maxDuration' should be greater than 'minDuration'",
    )
    .await;
    refused(
        &base,
        "/api/traces?traceID=xyz",
        400,
        "cannot parse traceID param: strconv.ParseUint: parsing \"xyz\": invalid syntax",
    )
    .await;
    refused(
        &base,
        "/api/traces?service=a&limit=abc",
        400,
        "strconv.ParseInt: parsing \"abc\": invalid syntax",
    )
    .await;
    refused(
        &base,
        "/api/traces?service=a&start=yesterday",
        400,
        "unable to parse param 'start': strconv.ParseInt: parsing \"yesterday\": invalid syntax",
    )
    .await;
    refused(
        &base,
        "/api/traces?service=a&tag=novalue",
        400,
        "malformed 'tag' parameter, expecting key:value, received: novalue",
    )
    .await;
    let (status, body, _) = get(&base, "/api/traces?service=a&tags=%7Bnot-json").await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["msg"]
            .as_str()
            .unwrap()
            .starts_with("malformed 'tags' parameter, cannot unmarshal JSON: "),
        "{body}"
    );
    refused(
        &base,
        "/api/dependencies?endTs=x",
        400,
        "unable to parse param 'endTs': strconv.ParseInt: parsing \"x\": invalid syntax",
    )
    .await;
    refused(
        &base,
        "/api/dependencies?lookback=1h",
        400,
        "unable to parse param 'lookback': strconv.ParseInt: parsing \"1h\": invalid syntax",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store() {
    let store = Arc::new(MemoryStore::new(0));
    exercise(store.clone(), store.clone(), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store() {
    let directory = std::env::temp_dir().join(format!("spur-http-api-{}", std::process::id()));
    let store = Arc::new(
        EmbeddedStore::open(EmbeddedOptions {
            directory: directory.clone(),
            retention: std::time::Duration::from_secs(72 * 3600),
        })
        .unwrap(),
    );
    exercise(store.clone(), store.clone(), store).await;
    drop(std::fs::remove_dir_all(&directory));
}

#[tokio::test]
async fn pretty_print_and_no_dependency_store() {
    let store = Arc::new(MemoryStore::new(0));
    let base = serve(store, None).await;
    let text = reqwest::get(format!("{base}/api/services?prettyPrint=true"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("{\n    \"data\": []"), "{text}");
    let response = reqwest::get(format!("{base}/api/dependencies"))
        .await
        .unwrap();
    assert!(response.headers().contains_key("traceresponse"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"], json!([]));
}

/// The adjusters run on searches, trace ids and get-trace, not on `raw=true`: a numeric `ip`
/// tag becomes a dotted string only in the adjusted answers.
#[tokio::test]
async fn adjusters_apply_unless_raw() {
    let store = Arc::new(MemoryStore::new(0));
    let packed_ip = 0x0A00_0001; // 10.0.0.1
    let spans = vec![span(
        7,
        1,
        "edge",
        "accept",
        "server",
        base_micros(),
        100,
        vec![KeyValue::int64("ip", packed_ip)],
    )];
    store.write_spans(spans).await.unwrap();
    let base = serve(store, None).await;
    let ip_of = |body: &Value| {
        body["data"][0]["spans"][0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|tag| tag["key"] == "ip")
            .unwrap()["value"]
            .clone()
    };
    for path in [
        format!("/api/traces/{}", hex(7)),
        format!("/api/traces/{}?raw=false", hex(7)),
        format!("/api/traces?traceID={}", hex(7)),
        "/api/traces?service=edge".to_owned(),
    ] {
        assert_eq!(ip_of(&ok(&base, &path).await), json!("10.0.0.1"), "{path}");
    }
    let raw = ok(&base, &format!("/api/traces/{}?raw=true", hex(7))).await;
    assert_eq!(ip_of(&raw), json!(packed_ip));
}
