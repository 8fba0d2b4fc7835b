//! The storage conformance suite against real Elasticsearch (`SPUR_TEST_ES`, default
//! http://127.0.0.1:9200): each check gets its own index prefix, Jaeger's templates put at
//! open, writes refreshed at once, and the check's retention as the read cutoff.

mod common;

use std::sync::Arc;

use spur_storage::testsuite::{Harness, TestOptions};
use spur_storage_elasticsearch::{ElasticsearchStore, Flavor};

spur_storage::conformance_suite!(|options: TestOptions| async move {
    let check = options
        .directory
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let check = check.split('-').nth(3).unwrap_or("check").to_owned();
    let mut store_options =
        common::test_options(Flavor::Elasticsearch, &common::unique_prefix(&check));
    store_options.retention = options.retention;
    let store = ElasticsearchStore::open(store_options)
        .await
        .expect("open the Elasticsearch store (SPUR_TEST_ES)");
    common::remove_stale_test_indices(store.client()).await;
    Harness::of(Arc::new(store))
});
