//! `spur-es-index`'s work against real Elasticsearch and OpenSearch: `init` and `rollover` in
//! rollover mode, with spans written through the write alias and read through the read alias
//! across a rollover; `clean` deleting old daily and rollover indices but never a write index.

mod common;

use chrono::{TimeZone, Utc};
use elasticsearch::http::Method;
use serde_json::json;
use spur_model::TraceId;
use spur_model::api_v2::{KeyValue, Process, Span};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_storage::{GetTraceQuery, SpanReader, SpanWriter};
use spur_storage_elasticsearch::{Client, ElasticsearchStore, Flavor, IndexNaming, maintenance};

fn span(trace: u64, id: u64, start: i64) -> Span {
    Span {
        trace_id: TraceId::new(0, trace).to_bytes().to_vec(),
        span_id: id.to_be_bytes().to_vec(),
        operation_name: "op".into(),
        start_time: Some(timestamp_from_micros(start)),
        duration: Some(duration_from_micros(5)),
        tags: vec![KeyValue::string("k", "v")],
        process: Some(Process {
            service_name: "svc".into(),
            tags: Vec::new(),
        }),
        ..Default::default()
    }
}

fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

async fn indices(client: &Client, prefix: &str) -> Vec<String> {
    let listed = client
        .json(
            Method::Get,
            &format!("/_cat/indices/{prefix}-*"),
            &[("format", "json"), ("h", "index")],
            None,
        )
        .await
        .expect("list indices");
    let mut names: Vec<String> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["index"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

async fn rollover_mode_end_to_end(flavor: Flavor) {
    let prefix = common::unique_prefix("rollover");
    let mut options = common::test_options(flavor, &prefix);
    options.naming = IndexNaming::new(&prefix, "-", true, false, false);
    let client = Client::new(&options).expect("a client");
    let version = client.server_version(flavor).await.expect("the version");
    let created = maintenance::init(&client, &options.naming, version, &options.templates)
        .await
        .expect("init");
    assert_eq!(created.len(), 3, "{created:?}");
    let again = maintenance::init(&client, &options.naming, version, &options.templates)
        .await
        .expect("init again");
    assert!(again.is_empty(), "init is idempotent: {again:?}");

    options.create_index_templates = false;
    let store = ElasticsearchStore::open(options).await.expect("open");
    let now = now_micros();
    store
        .write_spans(vec![span(1, 1, now - 1_000)])
        .await
        .expect("write");
    let rolled = maintenance::rollover(&client, &store_naming(&prefix), &json!({"max_docs": 1}))
        .await
        .expect("rollover");
    assert!(
        rolled.contains(&format!("{prefix}-jaeger-span-000002")),
        "{rolled:?}"
    );
    store
        .write_spans(vec![span(1, 2, now)])
        .await
        .expect("write after the rollover");
    let trace = store
        .get_trace(GetTraceQuery::new(TraceId::new(0, 1)))
        .await
        .expect("get_trace")
        .expect("the trace");
    assert_eq!(
        trace.len(),
        2,
        "both spans, across the rollover, through the read alias"
    );
    assert_eq!(store.get_services().await.expect("services"), vec!["svc"]);

    // Created just now: kept with 1 day, deleted with 0 days, except the write indices. The
    // cleaner is given the daily naming, as the Helm CronJob runs it: both layouts are cleaned.
    let daily = IndexNaming::new(&prefix, "-", false, false, false);
    let kept = maintenance::clean(&client, &daily, 1, Utc::now())
        .await
        .expect("clean");
    assert!(kept.is_empty(), "{kept:?}");
    let deleted = maintenance::clean(&client, &daily, 0, Utc::now())
        .await
        .expect("clean");
    assert!(
        deleted.contains(&format!("{prefix}-jaeger-span-000001")),
        "{deleted:?}"
    );
    let left = indices(&client, &prefix).await;
    assert!(
        left.contains(&format!("{prefix}-jaeger-span-000002")),
        "the write index stays: {left:?}"
    );
}

fn store_naming(prefix: &str) -> IndexNaming {
    IndexNaming::new(prefix, "-", true, false, false)
}

async fn clean_deletes_old_daily_indices(flavor: Flavor) {
    let prefix = common::unique_prefix("clean");
    let options = common::test_options(flavor, &prefix);
    let client = Client::new(&options).expect("a client");
    let body =
        serde_json::to_vec(&json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}}))
            .expect("json");
    let names = [
        "jaeger-span-2026-11-30",
        "jaeger-service-2026-12-01",
        "jaeger-dependencies-2026-12-04",
        "jaeger-span-2026-12-05",
        "jaeger-span-2026-12-06",
        "jaeger-span-archive",
        "jaeger-span-000001",
    ];
    for name in names {
        let (status, answer) = client
            .send(
                Method::Put,
                &format!("/{prefix}-{name}"),
                &[],
                Some(body.clone()),
            )
            .await
            .expect("create an index");
        assert!(status.is_success(), "{}", String::from_utf8_lossy(&answer));
    }
    let now = Utc
        .with_ymd_and_hms(2026, 12, 6, 12, 0, 0)
        .single()
        .expect("a date");
    // Tomorrow 00:00 minus 2 days = 2026-12-05: older indices go.
    let deleted = maintenance::clean(&client, &options.naming, 2, now)
        .await
        .expect("clean");
    let expected: Vec<String> = [
        "jaeger-dependencies-2026-12-04",
        "jaeger-service-2026-12-01",
        "jaeger-span-2026-11-30",
    ]
    .iter()
    .map(|name| format!("{prefix}-{name}"))
    .collect();
    assert_eq!(deleted, expected);
    let left = indices(&client, &prefix).await;
    assert_eq!(
        left.len(),
        4,
        "newer, archive and new rollover indices stay: {left:?}"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn rollover_mode_on_elasticsearch() {
    runtime().block_on(rollover_mode_end_to_end(Flavor::Elasticsearch));
}

#[test]
fn rollover_mode_on_opensearch() {
    runtime().block_on(rollover_mode_end_to_end(Flavor::OpenSearch));
}

#[test]
fn clean_on_elasticsearch() {
    runtime().block_on(clean_deletes_old_daily_indices(Flavor::Elasticsearch));
}

#[test]
fn clean_on_opensearch() {
    runtime().block_on(clean_deletes_old_daily_indices(Flavor::OpenSearch));
}
