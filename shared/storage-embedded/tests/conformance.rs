//! The storage conformance suite against the embedded store, each check in a fresh directory.

use std::sync::Arc;
use std::time::Duration;

use spur_storage::testsuite::{Harness, TestOptions};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

spur_storage::conformance_suite!(|options: TestOptions| async move {
    let retention = options.retention.unwrap_or(Duration::from_secs(72 * 3600));
    let store = EmbeddedStore::open(EmbeddedOptions {
        directory: options.directory.clone(),
        retention,
    })
    .expect("open the embedded store");
    Harness::of(Arc::new(store))
});
