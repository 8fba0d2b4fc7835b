//! Spur and Jaeger share indices: against real Elasticsearch and OpenSearch,
//! - the span and service documents Spur writes equal, key by key, the documents Jaeger 1.75
//!   writes for the same span (the expected JSON is written out here from Jaeger's
//!   `dbmodel` and its `es_01.json` fixture, not produced by Spur's code), in the indices Jaeger
//!   names, with Jaeger's service document id;
//! - the templates Spur puts equal Jaeger's `jaeger-{span,service}-8.json` (Elasticsearch 8,
//!   composable) and `-7.json` (OpenSearch, legacy) mappings;
//! - Spur reads documents written in Jaeger's shape with Jaeger's random ids, the same span
//!   indexed twice read once, and the older shapes (values as strings, unpadded trace ids,
//!   `parentSpanID`).

mod common;

use chrono::{DateTime, Utc};
use elasticsearch::http::Method;
use serde_json::{Value, json};
use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use spur_storage::{GetTraceQuery, OperationQuery, SpanReader, SpanWriter, TraceQuery};
use spur_storage_elasticsearch::{Client, ElasticsearchStore, Flavor, TagsAsFields};

const HOUR: i64 = 3_600_000_000;

fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

fn day_of(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .expect("a valid time")
        .format("%Y-%m-%d")
        .to_string()
}

/// The span of Jaeger's `es_01.json` fixture, at `start` instead of 2017.
fn fixture_span(start: i64) -> Span {
    Span {
        trace_id: TraceId::new(0, 1).to_bytes().to_vec(),
        span_id: SpanId(2).to_bytes().to_vec(),
        operation_name: "test-general-conversion".into(),
        references: vec![
            SpanRef::new(TraceId::new(0, 1), SpanId(3), SpanRefType::ChildOf),
            SpanRef::new(TraceId::new(0, 1), SpanId(4), SpanRefType::FollowsFrom),
            SpanRef::new(TraceId::new(0, 0xff), SpanId(0xff), SpanRefType::ChildOf),
        ],
        flags: 1,
        start_time: Some(timestamp_from_micros(start)),
        duration: Some(duration_from_micros(5)),
        tags: vec![
            KeyValue::string("peer.service", "service-y"),
            KeyValue::int64("peer.ipv4", 23456),
            KeyValue::bool("error", true),
            KeyValue::float64("temperature", 72.5),
            KeyValue::binary("blob", vec![0x00, 0x00, 0x30, 0x39]),
        ],
        logs: vec![
            Log {
                timestamp: Some(timestamp_from_micros(start)),
                fields: vec![KeyValue::int64("event", 123_415)],
            },
            Log {
                timestamp: Some(timestamp_from_micros(start)),
                fields: vec![KeyValue::string("x", "y")],
            },
        ],
        process: Some(Process {
            service_name: "service-x".into(),
            tags: vec![KeyValue::int64("peer.ipv4", 23456)],
        }),
        ..Default::default()
    }
}

/// What Jaeger 1.75 writes for [`fixture_span`]: its `es_01.json`, keys and value types as
/// its `dbmodel.Span` marshals them (native values since 1.69, binary as hex).
fn jaeger_document(start: i64) -> Value {
    json!({
        "traceID": "0000000000000001",
        "spanID": "0000000000000002",
        "flags": 1,
        "operationName": "test-general-conversion",
        "references": [
            {"refType": "CHILD_OF", "traceID": "0000000000000001", "spanID": "0000000000000003"},
            {"refType": "FOLLOWS_FROM", "traceID": "0000000000000001", "spanID": "0000000000000004"},
            {"refType": "CHILD_OF", "traceID": "00000000000000ff", "spanID": "00000000000000ff"}
        ],
        "startTime": start,
        "startTimeMillis": start / 1000,
        "duration": 5,
        "tags": [
            {"key": "peer.service", "type": "string", "value": "service-y"},
            {"key": "peer.ipv4", "type": "int64", "value": 23456},
            {"key": "error", "type": "bool", "value": true},
            {"key": "temperature", "type": "float64", "value": 72.5},
            {"key": "blob", "type": "binary", "value": "00003039"}
        ],
        "logs": [
            {"timestamp": start, "fields": [{"key": "event", "type": "int64", "value": 123415}]},
            {"timestamp": start, "fields": [{"key": "x", "type": "string", "value": "y"}]}
        ],
        "process": {
            "serviceName": "service-x",
            "tags": [{"key": "peer.ipv4", "type": "int64", "value": 23456}]
        }
    })
}

/// Asserts two JSON values are equal, naming the first differing path.
fn assert_same_json(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            let mut actual_keys: Vec<&String> = actual.keys().collect();
            let mut expected_keys: Vec<&String> = expected.keys().collect();
            actual_keys.sort();
            expected_keys.sort();
            assert_eq!(actual_keys, expected_keys, "keys of {path}");
            for (key, value) in expected {
                assert_same_json(&actual[key], value, &format!("{path}.{key}"));
            }
        }
        (Value::Array(actual), Value::Array(expected)) => {
            assert_eq!(actual.len(), expected.len(), "length of {path}");
            for (n, (actual, expected)) in actual.iter().zip(expected).enumerate() {
                assert_same_json(actual, expected, &format!("{path}[{n}]"));
            }
        }
        _ => assert_eq!(actual, expected, "value of {path}"),
    }
}

async fn search_all(client: &Client, index: &str) -> Vec<Value> {
    let answer = client
        .json(
            Method::Post,
            &format!("/{index}/_search"),
            &[],
            Some(&json!({"size": 100, "query": {"match_all": {}}})),
        )
        .await
        .unwrap_or_else(|e| panic!("search {index}: {e}"));
    answer["hits"]["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn documents_match_jaegers(flavor: Flavor) {
    let prefix = common::unique_prefix("compat-docs");
    let store = ElasticsearchStore::open(common::test_options(flavor, &prefix))
        .await
        .expect("open");
    let start = now_micros() - HOUR;
    store
        .write_spans(vec![fixture_span(start)])
        .await
        .expect("write");

    let span_index = format!("{prefix}-jaeger-span-{}", day_of(start));
    let hits = search_all(store.client(), &span_index).await;
    assert_eq!(hits.len(), 1, "one span document in {span_index}");
    assert_same_json(&hits[0]["_source"], &jaeger_document(start), "span");

    let service_index = format!("{prefix}-jaeger-service-{}", day_of(start));
    let hits = search_all(store.client(), &service_index).await;
    assert_eq!(hits.len(), 1, "one service document in {service_index}");
    assert_same_json(
        &hits[0]["_source"],
        &json!({"serviceName": "service-x", "operationName": "test-general-conversion"}),
        "service",
    );
    // FNV-1a 64 of "service-x" + "test-general-conversion", lower-case unpadded hex.
    let expected_id = "service-xtest-general-conversion"
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
        });
    assert_eq!(hits[0]["_id"], format!("{expected_id:x}"));
}

async fn tags_as_fields_match_jaegers(flavor: Flavor) {
    let prefix = common::unique_prefix("compat-fields");
    let mut options = common::test_options(flavor, &prefix);
    options.tags_as_fields = TagsAsFields {
        all: false,
        include: vec!["peer.service".into(), "error".into(), "peer.ipv4".into()],
        dot_replacement: "@".into(),
    };
    let store = ElasticsearchStore::open(options).await.expect("open");
    let start = now_micros() - HOUR;
    store
        .write_spans(vec![fixture_span(start)])
        .await
        .expect("write");
    let mut expected = jaeger_document(start);
    // Jaeger moves included tags to `tag` (dots replaced) and keeps the others nested.
    expected["tags"] = json!([
        {"key": "temperature", "type": "float64", "value": 72.5},
        {"key": "blob", "type": "binary", "value": "00003039"}
    ]);
    expected["tag"] = json!({"peer@service": "service-y", "error": true, "peer@ipv4": 23456});
    expected["process"]["tags"] = json!([]);
    expected["process"]["tag"] = json!({"peer@ipv4": 23456});
    let hits = search_all(store.client(), &format!("{prefix}-jaeger-span-*")).await;
    assert_eq!(hits.len(), 1);
    assert_same_json(&hits[0]["_source"], &expected, "span with tags as fields");
    let query = TraceQuery {
        service_name: "service-x".into(),
        tags: [("peer.service".to_owned(), "service-y".to_owned())].into(),
        start_time_min: start - HOUR,
        start_time_max: start + HOUR,
        ..Default::default()
    };
    let found = store.find_trace_ids(&query).await.expect("find");
    assert_eq!(
        found,
        vec![TraceId::new(0, 1)],
        "found by a tag stored as a field"
    );
}

/// Jaeger's mappings, shared by its `-7.json` and `-8.json` files.
fn jaeger_span_mappings() -> Value {
    let keyword = json!({"type": "keyword", "ignore_above": 256});
    let key_values = json!({"type": "nested", "dynamic": false, "properties": {
        "key": keyword, "value": keyword, "type": keyword
    }});
    json!({
        "dynamic_templates": [
            {"span_tags_map": {"mapping": keyword, "path_match": "tag.*"}},
            {"process_tags_map": {"mapping": keyword, "path_match": "process.tag.*"}}
        ],
        "properties": {
            "traceID": keyword, "parentSpanID": keyword, "spanID": keyword,
            "operationName": keyword,
            "startTime": {"type": "long"},
            "startTimeMillis": {"type": "date", "format": "epoch_millis"},
            "duration": {"type": "long"},
            "flags": {"type": "integer"},
            "logs": {"type": "nested", "dynamic": false, "properties": {
                "timestamp": {"type": "long"}, "fields": key_values
            }},
            "process": {"properties": {
                "serviceName": keyword, "tag": {"type": "object"}, "tags": key_values
            }},
            "references": {"type": "nested", "dynamic": false, "properties": {
                "refType": keyword, "traceID": keyword, "spanID": keyword
            }},
            "tag": {"type": "object"},
            "tags": key_values
        }
    })
}

fn jaeger_service_mappings() -> Value {
    let keyword = json!({"type": "keyword", "ignore_above": 256});
    json!({
        "dynamic_templates": [
            {"span_tags_map": {"mapping": keyword, "path_match": "tag.*"}},
            {"process_tags_map": {"mapping": keyword, "path_match": "process.tag.*"}}
        ],
        "properties": {"serviceName": keyword, "operationName": keyword}
    })
}

/// The server answers `dynamic: false` as the string "false"; compare in Jaeger's form.
fn normalize_mappings(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if key == "dynamic" && child == "false" {
                        *child = Value::Bool(false);
                    } else {
                        walk(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

async fn templates_match_jaegers(flavor: Flavor) {
    let prefix = common::unique_prefix("compat-templates");
    let store = ElasticsearchStore::open(common::test_options(flavor, &prefix))
        .await
        .expect("open");
    let client = store.client();
    let composable = store.server_version().composable_templates();
    assert_eq!(
        composable,
        flavor == Flavor::Elasticsearch,
        "Jaeger's choice of API"
    );
    for (kind, mappings) in [
        ("span", jaeger_span_mappings()),
        ("service", jaeger_service_mappings()),
    ] {
        let name = format!("{prefix}-jaeger-{kind}");
        let (template, patterns) = if composable {
            let answer = client
                .json(Method::Get, &format!("/_index_template/{name}"), &[], None)
                .await
                .expect("the template");
            let template = answer["index_templates"][0]["index_template"].clone();
            assert_eq!(template["priority"], 0, "{name} priority");
            (
                template["template"].clone(),
                template["index_patterns"].clone(),
            )
        } else {
            let answer = client
                .json(Method::Get, &format!("/_template/{name}"), &[], None)
                .await
                .expect("the template");
            let template = answer[&name].clone();
            (template.clone(), template["index_patterns"].clone())
        };
        let expected_pattern = if composable {
            format!("{prefix}-jaeger-{kind}-*")
        } else {
            format!("*{prefix}-jaeger-{kind}-*")
        };
        assert_eq!(patterns, json!([expected_pattern]), "{name} patterns");
        assert_same_json(
            &normalize_mappings(template["mappings"].clone()),
            &mappings,
            &format!("{name} mappings"),
        );
        let settings = &template["settings"]["index"];
        assert_eq!(settings["number_of_shards"], "1", "{name}");
        assert_eq!(
            settings["mapping"]["nested_fields"]["limit"], "50",
            "{name}"
        );
        assert_eq!(settings["requests"]["cache"]["enable"], "true", "{name}");
    }
}

async fn index_raw(client: &Client, index: &str, document: &Value) {
    let (status, answer) = client
        .send(
            Method::Post,
            &format!("/{index}/_doc"),
            &[("refresh", "true")],
            Some(serde_json::to_vec(document).expect("json")),
        )
        .await
        .expect("index a document");
    assert!(status.is_success(), "{}", String::from_utf8_lossy(&answer));
}

async fn reads_what_jaeger_wrote(flavor: Flavor) {
    let prefix = common::unique_prefix("compat-reads");
    let store = ElasticsearchStore::open(common::test_options(flavor, &prefix))
        .await
        .expect("open");
    let client = store.client();
    let start = now_micros() - HOUR;
    let span_index = format!("{prefix}-jaeger-span-{}", day_of(start));
    let service_index = format!("{prefix}-jaeger-service-{}", day_of(start));
    // Jaeger's random ids: the same span twice is two documents.
    index_raw(client, &span_index, &jaeger_document(start)).await;
    index_raw(client, &span_index, &jaeger_document(start)).await;
    // A second span of the trace, as Jaeger before 1.69 wrote it: values as strings, an
    // unpadded trace id, the parent in parentSpanID only.
    let old = json!({
        "traceID": "1", "spanID": "5", "parentSpanID": "2",
        "operationName": "old", "references": [],
        "startTime": start + 10, "startTimeMillis": (start + 10) / 1000, "duration": 3,
        "tags": [
            {"key": "error", "type": "bool", "value": "true"},
            {"key": "http.status_code", "type": "int64", "value": "503"},
            {"key": "ratio", "type": "float64", "value": "0.5"}
        ],
        "logs": [],
        "process": {"serviceName": "service-x", "tags": []}
    });
    index_raw(client, &span_index, &old).await;
    index_raw(
        client,
        &service_index,
        &json!({"serviceName": "service-x", "operationName": "test-general-conversion"}),
    )
    .await;

    let trace = store
        .get_trace(GetTraceQuery::new(TraceId::new(0, 1)))
        .await
        .expect("get_trace")
        .expect("Jaeger's trace is found");
    assert_eq!(
        trace.len(),
        2,
        "the span indexed twice is read once: {trace:?}"
    );
    let fixture = trace
        .iter()
        .find(|span| span.span_id == SpanId(2).to_bytes())
        .expect("the fixture span");
    assert_eq!(
        fixture,
        &fixture_span(start),
        "read back as Jaeger's fixture says"
    );
    let old_span = trace
        .iter()
        .find(|span| span.span_id == SpanId(5).to_bytes())
        .expect("the old span");
    assert_eq!(
        old_span.tags,
        vec![
            KeyValue::bool("error", true),
            KeyValue::int64("http.status_code", 503),
            KeyValue::float64("ratio", 0.5)
        ]
    );
    assert_eq!(
        old_span.references,
        vec![SpanRef::new(
            TraceId::new(0, 1),
            SpanId(2),
            SpanRefType::ChildOf
        )],
        "parentSpanID becomes a reference"
    );

    let query = |tags: &[(&str, &str)]| TraceQuery {
        service_name: "service-x".into(),
        tags: tags
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect(),
        start_time_min: start - HOUR,
        start_time_max: start + HOUR,
        ..Default::default()
    };
    for tags in [
        &[("peer.service", "service-y")][..],
        &[("temperature", "72.5")],
        &[("blob", "00003039")],
        &[("event", "123415")],
        &[("http.status_code", "503")],
    ] {
        let found = store.find_traces(&query(tags)).await.expect("find_traces");
        assert_eq!(found.len(), 1, "found by {tags:?}");
        assert_eq!(found[0].len(), 2, "whole and once: {tags:?}");
    }
    assert_eq!(
        store.get_services().await.expect("services"),
        vec!["service-x"]
    );
    let operations = store
        .get_operations(&OperationQuery {
            service_name: "service-x".into(),
            span_kind: None,
        })
        .await
        .expect("operations");
    let names: Vec<&str> = operations.iter().map(|op| op.name.as_str()).collect();
    assert_eq!(names, vec!["old", "test-general-conversion"]);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

macro_rules! on_both_servers {
    ($($check:ident),* $(,)?) => {
        mod on_elasticsearch {
            $(#[test]
            fn $check() {
                super::runtime().block_on(super::$check(spur_storage_elasticsearch::Flavor::Elasticsearch));
            })*
        }
        mod on_opensearch {
            $(#[test]
            fn $check() {
                super::runtime().block_on(super::$check(spur_storage_elasticsearch::Flavor::OpenSearch));
            })*
        }
    };
}

on_both_servers!(
    documents_match_jaegers,
    tags_as_fields_match_jaegers,
    templates_match_jaegers,
    reads_what_jaeger_wrote,
);
