//! Compatibility with Jaeger on real Cassandra (`SPUR_TEST_CASSANDRA`, default 127.0.0.1:9042):
//! - what Spur writes is found by CQL shaped exactly as Jaeger v1's Cassandra reader issues it
//!   (`plugin/storage/cassandra/spanstore/reader.go`), and its rows hold Jaeger's encodings;
//! - rows inserted the way Jaeger's writer inserts them (zero values in every UDT field, a
//!   non-zero `parent_id`, warnings as `$$span.warning.N` tags) are read back by Spur's reader.

use std::collections::BTreeMap;
use std::sync::Arc;

use scylla::client::session::Session;
use scylla::value::CqlTimestamp;
use scylla::{DeserializeRow, DeserializeValue, SerializeValue};
use spur_model::api_v2::{KeyValue, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use spur_storage::{GetTraceQuery, OperationQuery, SpanReader, SpanWriter, TraceQuery};
use spur_storage_cassandra::schema::{self, SchemaOptions};
use spur_storage_cassandra::{CassandraOptions, CassandraStore};

const HOUR: i64 = 3_600_000_000;

fn cassandra_address() -> String {
    std::env::var("SPUR_TEST_CASSANDRA").unwrap_or_else(|_| "127.0.0.1:9042".to_owned())
}

fn now_micros() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since.as_micros()).expect("fits")
}

/// A fresh keyspace with schema v004 and a store over it.
async fn fresh(name: &str) -> (Arc<Session>, CassandraStore, String) {
    let keyspace = format!("spur_compat_{name}");
    let options = CassandraOptions::new(vec![cassandra_address()], keyspace.clone());
    let session = spur_storage_cassandra::connect(&options)
        .await
        .expect("connect to Cassandra (SPUR_TEST_CASSANDRA)");
    session
        .query_unpaged(format!("DROP KEYSPACE IF EXISTS {keyspace}"), &[])
        .await
        .expect("drop");
    schema::init(&session, &SchemaOptions::new(keyspace.clone()))
        .await
        .expect("schema");
    let session = Arc::new(session);
    let store = CassandraStore::with_session(session.clone(), options)
        .await
        .expect("open");
    (session, store, keyspace)
}

/// Jaeger's `keyvalue` as its Go writer fills it: every field set, zero where unused.
#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
struct JaegerKeyValue {
    key: String,
    value_type: String,
    value_string: String,
    value_bool: bool,
    value_long: i64,
    value_double: f64,
    value_binary: Vec<u8>,
}

impl JaegerKeyValue {
    fn string(key: &str, value: &str) -> Self {
        JaegerKeyValue {
            key: key.into(),
            value_type: "string".into(),
            value_string: value.into(),
            value_bool: false,
            value_long: 0,
            value_double: 0.0,
            value_binary: Vec::new(),
        }
    }

    fn long(key: &str, value: i64) -> Self {
        JaegerKeyValue {
            value_type: "int64".into(),
            value_string: String::new(),
            value_long: value,
            ..JaegerKeyValue::string(key, "")
        }
    }
}

#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
struct JaegerLog {
    ts: i64,
    fields: Vec<JaegerKeyValue>,
}

#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
struct JaegerSpanRef {
    ref_type: String,
    trace_id: Vec<u8>,
    span_id: i64,
}

#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
struct JaegerProcess {
    service_name: String,
    tags: Vec<JaegerKeyValue>,
}

/// Jaeger's `querySpanByTraceID` columns.
#[derive(Debug, DeserializeRow)]
struct JaegerSpanRow {
    trace_id: Vec<u8>,
    span_id: i64,
    parent_id: i64,
    operation_name: String,
    flags: i32,
    start_time: i64,
    duration: i64,
    tags: Option<Vec<JaegerKeyValue>>,
    logs: Option<Vec<JaegerLog>>,
    refs: Option<Vec<JaegerSpanRef>>,
    process: JaegerProcess,
}

async fn trace_ids(
    session: &Session,
    cql: String,
    values: impl scylla::serialize::row::SerializeRow,
) -> Vec<Vec<u8>> {
    session
        .query_unpaged(cql.as_str(), values)
        .await
        .unwrap_or_else(|e| panic!("{cql}: {e}"))
        .into_rows_result()
        .expect("rows")
        .rows::<(Vec<u8>,)>()
        .expect("typed rows")
        .map(|row| row.expect("a row").0)
        .collect()
}

#[tokio::test]
async fn jaegers_reader_queries_find_what_spur_wrote() {
    let (session, store, ks) = fresh("spur_writes").await;
    let trace_id = TraceId::new(0x0102_0304_0506_0708, 0x1112_1314_1516_1718);
    let start = now_micros() - 10 * 60 * 1_000_000;
    let root = Span {
        trace_id: trace_id.to_bytes().to_vec(),
        span_id: SpanId(0xAAAA).to_bytes().to_vec(),
        operation_name: "GET /dispatch".into(),
        references: Vec::new(),
        flags: 1,
        start_time: Some(timestamp_from_micros(start)),
        duration: Some(duration_from_micros(2_500)),
        tags: vec![
            KeyValue::string("span.kind", "server"),
            KeyValue::int64("http.status_code", 200),
            KeyValue::bool("error", false),
        ],
        logs: vec![spur_model::api_v2::Log {
            timestamp: Some(timestamp_from_micros(start + 10)),
            fields: vec![KeyValue::string("event", "dispatched")],
        }],
        process: Some(Process {
            service_name: "frontend".into(),
            tags: vec![KeyValue::string("hostname", "web-1")],
        }),
        process_id: String::new(),
        warnings: vec!["clock skew adjusted".into()],
    };
    let child = Span {
        span_id: SpanId(0xBBBB).to_bytes().to_vec(),
        operation_name: "SELECT".into(),
        references: vec![SpanRef::new(trace_id, SpanId(0xAAAA), SpanRefType::ChildOf)],
        start_time: Some(timestamp_from_micros(start + 100)),
        duration: Some(duration_from_micros(900)),
        tags: vec![KeyValue::string("db.system", "mysql")],
        logs: Vec::new(),
        warnings: Vec::new(),
        process: Some(Process {
            service_name: "mysql".into(),
            tags: Vec::new(),
        }),
        ..root.clone()
    };
    store
        .write_spans(vec![root.clone(), child.clone()])
        .await
        .expect("write");
    let id = trace_id.to_bytes().to_vec();
    let (min, max) = (start - HOUR, start + HOUR);

    // querySpanByTraceID, decoded with Jaeger's types.
    let rows: Vec<JaegerSpanRow> = session
        .query_unpaged(
            format!(
                "SELECT trace_id, span_id, parent_id, operation_name, flags, start_time, duration, \
                 tags, logs, refs, process FROM {ks}.traces WHERE trace_id = ?"
            ),
            (&id,),
        )
        .await
        .expect("querySpanByTraceID")
        .into_rows_result()
        .expect("rows")
        .rows::<JaegerSpanRow>()
        .expect("Jaeger's row shape")
        .map(|row| row.expect("a row"))
        .collect();
    assert_eq!(rows.len(), 2);
    let root_row = rows.iter().find(|r| r.span_id == 0xAAAA).expect("root row");
    assert_eq!(root_row.trace_id, id, "16-byte trace id, high half first");
    assert_eq!(root_row.parent_id, 0, "Jaeger writes parent_id as 0");
    assert_eq!(root_row.operation_name, "GET /dispatch");
    assert_eq!(
        (root_row.flags, root_row.start_time, root_row.duration),
        (1, start, 2_500)
    );
    assert_eq!(root_row.process.service_name, "frontend");
    let tags: BTreeMap<&str, &JaegerKeyValue> = root_row
        .tags
        .iter()
        .flatten()
        .map(|tag| (tag.key.as_str(), tag))
        .collect();
    assert_eq!(tags["http.status_code"].value_type, "int64");
    assert_eq!(tags["http.status_code"].value_long, 200);
    assert_eq!(tags["error"].value_type, "bool");
    assert_eq!(tags["$$span.warning.1"].value_string, "clock skew adjusted");
    let logs = root_row.logs.as_ref().expect("logs");
    assert_eq!(
        (logs[0].ts, logs[0].fields[0].key.as_str()),
        (start + 10, "event")
    );
    let child_row = rows
        .iter()
        .find(|r| r.span_id == 0xBBBB)
        .expect("child row");
    let refs = child_row.refs.as_ref().expect("refs");
    assert_eq!(
        (
            refs[0].ref_type.as_str(),
            refs[0].trace_id.clone(),
            refs[0].span_id
        ),
        ("child-of", id.clone(), 0xAAAA)
    );

    // queryByServiceName, queryByServiceAndOperationName, queryByTag, queryByDuration.
    let found = trace_ids(
        &session,
        format!(
            "SELECT trace_id FROM {ks}.service_name_index WHERE bucket IN (0,1,2,3,4,5,6,7,8,9) \
             AND service_name = ? AND start_time > ? AND start_time < ? ORDER BY start_time DESC LIMIT ?"
        ),
        ("frontend", min, max, 20i32),
    )
    .await;
    assert_eq!(found, vec![id.clone()], "queryByServiceName");
    let found = trace_ids(
        &session,
        format!(
            "SELECT trace_id FROM {ks}.service_operation_index WHERE service_name = ? \
             AND operation_name = ? AND start_time > ? AND start_time < ? ORDER BY start_time DESC LIMIT ?"
        ),
        ("mysql", "SELECT", min, max, 20i32),
    )
    .await;
    assert_eq!(found, vec![id.clone()], "queryByServiceAndOperationName");
    for (service, key, value) in [
        ("frontend", "http.status_code", "200"),
        ("frontend", "hostname", "web-1"),
        ("frontend", "event", "dispatched"),
        ("mysql", "db.system", "mysql"),
    ] {
        let found = trace_ids(
            &session,
            format!(
                "SELECT trace_id FROM {ks}.tag_index WHERE service_name = ? AND tag_key = ? \
                 AND tag_value = ? and start_time > ? and start_time < ? ORDER BY start_time DESC LIMIT ?"
            ),
            (service, key, value, min, max, 20i32),
        )
        .await;
        assert_eq!(found, vec![id.clone()], "queryByTag {key}={value}");
    }
    // Jaeger rounds the start time to the nearest hour for the bucket.
    let bucket = (start + HOUR / 2).div_euclid(HOUR) * HOUR / 1000;
    for operation in ["", "GET /dispatch"] {
        let found = trace_ids(
            &session,
            format!(
                "SELECT trace_id FROM {ks}.duration_index WHERE bucket = ? AND service_name = ? \
                 AND operation_name = ? AND duration > ? AND duration < ? LIMIT ?"
            ),
            (
                CqlTimestamp(bucket),
                "frontend",
                operation,
                2_000i64,
                3_000i64,
                20i32,
            ),
        )
        .await;
        assert_eq!(
            found,
            vec![id.clone()],
            "queryByDuration operation {operation:?}"
        );
    }
    // Services and operations as Jaeger's reader lists them.
    let services: Vec<String> = session
        .query_unpaged(format!("SELECT service_name FROM {ks}.service_names"), &[])
        .await
        .expect("services")
        .into_rows_result()
        .expect("rows")
        .rows::<(String,)>()
        .expect("typed")
        .map(|row| row.expect("row").0)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(services, vec!["frontend".to_owned(), "mysql".to_owned()]);
    let operations: Vec<(String, String)> = session
        .query_unpaged(
            format!("SELECT span_kind, operation_name FROM {ks}.operation_names_v2 WHERE service_name = ?"),
            ("frontend",),
        )
        .await
        .expect("operations")
        .into_rows_result()
        .expect("rows")
        .rows::<(String, String)>()
        .expect("typed")
        .map(|row| row.expect("row"))
        .collect();
    assert_eq!(
        operations,
        vec![("server".to_owned(), "GET /dispatch".to_owned())]
    );
}

#[tokio::test]
async fn spur_reads_rows_written_the_way_jaeger_writes_them() {
    let (session, store, ks) = fresh("jaeger_writes").await;
    let trace_id = TraceId::new(0, 0x00ab_cdef_0123_4567);
    let id = trace_id.to_bytes().to_vec();
    let start = now_micros() - 5 * 60 * 1_000_000;
    let process = JaegerProcess {
        service_name: "billing".into(),
        tags: vec![JaegerKeyValue::string("ip", "10.0.0.7")],
    };
    // A child span whose parent is in `parent_id` only (older Jaeger writers), with a warning.
    session
        .query_unpaged(
            format!(
                "INSERT INTO {ks}.traces (trace_id, span_id, span_hash, parent_id, operation_name, flags, \
                 start_time, duration, tags, logs, refs, process) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            (
                &id,
                0x22i64,
                987_654_321i64,
                0x11i64,
                "charge",
                1i32,
                start,
                7_000i64,
                vec![
                    JaegerKeyValue::long("amount", 42),
                    JaegerKeyValue::string("$$span.warning.1", "parent not found"),
                ],
                vec![JaegerLog {
                    ts: start + 5,
                    fields: vec![JaegerKeyValue::string("event", "retry")],
                }],
                Vec::<JaegerSpanRef>::new(),
                &process,
            ),
        )
        .await
        .expect("insert a traces row as Jaeger does");
    let index_inserts = [
        (
            format!("INSERT INTO {ks}.service_names (service_name) VALUES ('billing')"),
            (),
        ),
        (
            format!(
                "INSERT INTO {ks}.operation_names_v2 (service_name, span_kind, operation_name) \
                 VALUES ('billing', 'client', 'charge')"
            ),
            (),
        ),
    ];
    for (cql, values) in index_inserts {
        session.query_unpaged(cql, values).await.expect("insert");
    }
    session
        .query_unpaged(
            format!(
                "INSERT INTO {ks}.service_name_index (service_name, bucket, start_time, trace_id) \
                 VALUES (?, ?, ?, ?)"
            ),
            ("billing", 7i32, start, &id),
        )
        .await
        .expect("service_name_index");
    session
        .query_unpaged(
            format!(
                "INSERT INTO {ks}.tag_index (trace_id, span_id, service_name, start_time, tag_key, tag_value) \
                 VALUES (?, ?, ?, ?, ?, ?)"
            ),
            (&id, 0x22i64, "billing", start, "amount", "42"),
        )
        .await
        .expect("tag_index");

    let trace = store
        .get_trace(GetTraceQuery::new(trace_id))
        .await
        .expect("get_trace")
        .expect("the trace Jaeger wrote");
    assert_eq!(trace.len(), 1);
    let span = &trace[0];
    assert_eq!(span.operation_name, "charge");
    assert_eq!(
        span.references,
        vec![SpanRef::new(trace_id, SpanId(0x11), SpanRefType::ChildOf)],
        "parent_id becomes a CHILD_OF reference"
    );
    assert_eq!(span.warnings, vec!["parent not found".to_owned()]);
    assert_eq!(span.tags, vec![KeyValue::int64("amount", 42)]);
    assert_eq!(
        span.process.as_ref().map(|p| p.service_name.as_str()),
        Some("billing")
    );
    assert_eq!(
        span.logs[0].fields,
        vec![KeyValue::string("event", "retry")]
    );

    let query = TraceQuery {
        service_name: "billing".into(),
        start_time_min: start - HOUR,
        start_time_max: start + HOUR,
        ..TraceQuery::default()
    };
    assert_eq!(
        store.find_trace_ids(&query).await.expect("find"),
        vec![trace_id]
    );
    let by_tag = TraceQuery {
        tags: [("amount".to_owned(), "42".to_owned())].into(),
        ..query.clone()
    };
    assert_eq!(
        store.find_trace_ids(&by_tag).await.expect("find by tag"),
        vec![trace_id]
    );
    assert_eq!(
        store.get_services().await.expect("services"),
        vec!["billing".to_owned()]
    );
    let operations = store
        .get_operations(&OperationQuery {
            service_name: "billing".into(),
            span_kind: Some("client".into()),
        })
        .await
        .expect("operations");
    assert_eq!(operations.len(), 1);
    assert_eq!(
        (
            operations[0].name.as_str(),
            operations[0].span_kind.as_str()
        ),
        ("charge", "client")
    );
}

#[tokio::test]
async fn a_missing_or_old_schema_is_reported_with_what_to_do() {
    let options = CassandraOptions::new(vec![cassandra_address()], "spur_compat_absent");
    let session = spur_storage_cassandra::connect(&options)
        .await
        .expect("connect");
    session
        .query_unpaged("DROP KEYSPACE IF EXISTS spur_compat_absent", &[])
        .await
        .expect("drop");
    let error = match CassandraStore::with_session(Arc::new(session), options).await {
        Ok(_) => panic!("a missing keyspace must not open"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("spur-cassandra-schema init"), "{error}");

    // A v003 keyspace: operation_names instead of operation_names_v2.
    let (session, _store, ks) = fresh("v003").await;
    session
        .query_unpaged(format!("DROP TABLE {ks}.operation_names_v2"), &[])
        .await
        .expect("drop table");
    session
        .query_unpaged(
            format!(
                "CREATE TABLE {ks}.operation_names (service_name text, operation_name text, \
                 PRIMARY KEY ((service_name), operation_name))"
            ),
            &[],
        )
        .await
        .expect("v003 table");
    let error = schema::check(&session, &ks)
        .await
        .expect_err("v003 is refused");
    assert!(error.to_string().contains("v003"), "{error}");
}
