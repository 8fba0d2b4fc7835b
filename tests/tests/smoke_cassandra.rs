//! Smoke test against a real Cassandra node (`SPUR_TEST_CASSANDRA`, default 127.0.0.1:9042) with
//! the scylla driver: keyspace, user-defined type, table, prepared inserts and selects, and an
//! unprepared query with bound values.

use std::time::Duration;

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::{DeserializeRow, DeserializeValue, SerializeValue};
use spur_e2e::{CASSANDRA, unique_name};

/// A UDT shaped like Jaeger's `keyvalue`; fields are matched to the CQL type by name.
#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
struct KeyValue {
    key: String,
    value_type: String,
    value_string: Option<String>,
    value_long: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, DeserializeRow)]
struct SpanRow {
    trace_id: Vec<u8>,
    span_id: i64,
    operation_name: String,
    start_time: i64,
    tags: Vec<KeyValue>,
}

fn string_tag(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value_type: "string".to_owned(),
        value_string: Some(value.to_owned()),
        value_long: None,
    }
}

fn long_tag(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value_type: "int64".to_owned(),
        value_string: None,
        value_long: Some(value),
    }
}

/// The spans of one trace; span 0 has no tags (Cassandra stores the empty list as null).
fn spans(trace_id: &[u8], count: i64) -> Vec<SpanRow> {
    (0..count)
        .map(|i| SpanRow {
            trace_id: trace_id.to_vec(),
            span_id: i,
            operation_name: format!("GET /item/{i}"),
            start_time: 1_700_000_000_000_000 + i * 1_000,
            tags: if i == 0 {
                Vec::new()
            } else {
                vec![
                    string_tag("http.method", "GET"),
                    long_tag("http.status_code", 200 + i),
                ]
            },
        })
        .collect()
}

async fn connect(node: &str) -> Session {
    SessionBuilder::new()
        .known_node(node)
        .connection_timeout(Duration::from_secs(10))
        .build()
        .await
        .unwrap_or_else(|e| panic!("connecting to Cassandra at {node}: {e}"))
}

#[tokio::test]
async fn keyspace_udt_prepared_statements_round_trip() {
    let node = CASSANDRA.require();
    let session = connect(&node).await;

    let (version,): (String,) = session
        .query_unpaged("SELECT release_version FROM system.local", &[])
        .await
        .expect("query system.local")
        .into_rows_result()
        .expect("rows")
        .first_row()
        .expect("one row");
    assert!(
        version
            .split('.')
            .next()
            .is_some_and(|major| major.parse::<u32>().is_ok()),
        "release_version looks like a version: {version}"
    );

    let ks = unique_name("spur_smoke");
    session
        .query_unpaged(
            format!(
                "CREATE KEYSPACE {ks} WITH replication = \
                 {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
            ),
            &[],
        )
        .await
        .expect("create keyspace");
    session
        .query_unpaged(
            format!(
                "CREATE TYPE {ks}.keyvalue (key text, value_type text, value_string text, \
                 value_long bigint)"
            ),
            &[],
        )
        .await
        .expect("create type");
    session
        .query_unpaged(
            format!(
                "CREATE TABLE {ks}.spans (trace_id blob, span_id bigint, operation_name text, \
                 start_time bigint, tags list<frozen<keyvalue>>, \
                 PRIMARY KEY (trace_id, span_id)) WITH CLUSTERING ORDER BY (span_id ASC)"
            ),
            &[],
        )
        .await
        .expect("create table");

    let insert = session
        .prepare(format!(
            "INSERT INTO {ks}.spans (trace_id, span_id, operation_name, start_time, tags) \
             VALUES (?, ?, ?, ?, ?)"
        ))
        .await
        .expect("prepare insert");
    let trace_a = spans(b"trace-aaaaaaaaaa", 5);
    let trace_b = spans(b"trace-bbbbbbbbbb", 3);
    for span in trace_a.iter().chain(&trace_b) {
        session
            .execute_unpaged(
                &insert,
                (
                    &span.trace_id,
                    span.span_id,
                    &span.operation_name,
                    span.start_time,
                    &span.tags,
                ),
            )
            .await
            .expect("prepared insert");
    }

    let select = session
        .prepare(format!(
            "SELECT trace_id, span_id, operation_name, start_time, tags FROM {ks}.spans \
             WHERE trace_id = ?"
        ))
        .await
        .expect("prepare select");
    for expected in [&trace_a, &trace_b] {
        let rows: Vec<SpanRow> = session
            .execute_unpaged(&select, (&expected[0].trace_id,))
            .await
            .expect("prepared select")
            .into_rows_result()
            .expect("rows")
            .rows::<SpanRow>()
            .expect("row type matches")
            .collect::<Result<_, _>>()
            .expect("deserialize rows");
        assert_eq!(
            &rows, expected,
            "rows come back in clustering order, UDTs intact"
        );
    }

    // Unprepared statement with a bound value; count(*) is a bigint.
    let (count,): (i64,) = session
        .query_unpaged(
            format!("SELECT count(*) FROM {ks}.spans WHERE trace_id = ?"),
            (&trace_a[0].trace_id,),
        )
        .await
        .expect("count query")
        .into_rows_result()
        .expect("rows")
        .first_row()
        .expect("one row");
    assert_eq!(count, 5);

    // A prepared statement that reads one UDT field list back by key.
    let tags_of = session
        .prepare(format!(
            "SELECT tags FROM {ks}.spans WHERE trace_id = ? AND span_id = ?"
        ))
        .await
        .expect("prepare tags select");
    let (tags,): (Vec<KeyValue>,) = session
        .execute_unpaged(&tags_of, (&trace_b[0].trace_id, 2_i64))
        .await
        .expect("tags select")
        .into_rows_result()
        .expect("rows")
        .first_row()
        .expect("one row");
    assert_eq!(
        tags,
        vec![
            string_tag("http.method", "GET"),
            long_tag("http.status_code", 202)
        ]
    );

    session
        .query_unpaged(format!("DROP KEYSPACE {ks}"), &[])
        .await
        .expect("drop keyspace");
}
