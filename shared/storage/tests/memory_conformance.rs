//! The conformance suite against the memory backend. It has no retention period, so that check
//! reports itself skipped.

use std::sync::Arc;

use spur_storage::memory::MemoryStore;
use spur_storage::testsuite::{Harness, TestOptions};

spur_storage::conformance_suite!(|_options: TestOptions| async move {
    Harness::of(Arc::new(MemoryStore::new(0)))
});
