//! The storage conformance suite against real Cassandra (`SPUR_TEST_CASSANDRA`, default
//! 127.0.0.1:9042): each check gets its own keyspace with Jaeger's schema v004, dropped and
//! created afresh, and a span TTL of the check's retention.

use std::sync::Arc;

use spur_storage::testsuite::{Harness, TestOptions};
use spur_storage_cassandra::schema::{self, SchemaOptions};
use spur_storage_cassandra::{CassandraOptions, CassandraStore};

fn cassandra_address() -> String {
    std::env::var("SPUR_TEST_CASSANDRA").unwrap_or_else(|_| "127.0.0.1:9042".to_owned())
}

/// A keyspace per check: the scratch directory is named `spur-conformance-<pid>-<check>-<ns>`.
fn keyspace_for(options: &TestOptions) -> String {
    let name = options
        .directory
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let check = name.split('-').nth(3).unwrap_or(&name);
    format!(
        "spur_conf_{:016x}",
        xxhash_rust::xxh3::xxh3_64(check.as_bytes())
    )
}

spur_storage::conformance_suite!(|options: TestOptions| async move {
    let keyspace = keyspace_for(&options);
    let mut store_options = CassandraOptions::new(vec![cassandra_address()], keyspace.clone());
    if let Some(retention) = options.retention {
        store_options.span_ttl = Some(retention);
    }
    let session = spur_storage_cassandra::connect(&store_options)
        .await
        .expect("connect to Cassandra (SPUR_TEST_CASSANDRA)");
    session
        .query_unpaged(format!("DROP KEYSPACE IF EXISTS {keyspace}"), &[])
        .await
        .expect("drop the check's old keyspace");
    schema::init(&session, &SchemaOptions::new(keyspace))
        .await
        .expect("create schema v004");
    let store = CassandraStore::with_session(Arc::new(session), store_options)
        .await
        .expect("open the store");
    Harness::of(Arc::new(store))
});
