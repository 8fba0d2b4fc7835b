//! The conformance suite: the checks every storage backend must pass, run by each backend's
//! tests through [`conformance_suite!`](crate::conformance_suite).
//!
//! A backend's test file holds only:
//!
//! ```ignore
//! spur_storage::conformance_suite!(|options: spur_storage::testsuite::TestOptions| async move {
//!     // Open a fresh, empty backend honoring `options` (retention; `directory` to put files in).
//!     let store = std::sync::Arc::new(MyStore::open(&options.directory, options.retention));
//!     spur_storage::testsuite::Harness {
//!         writer: store.clone(),
//!         reader: store.clone(),
//!         dependencies: Some(store),
//!     }
//! });
//! ```
//!
//! The macro expands to one `#[test]` per check, named after it, each on its own tokio runtime
//! with a fresh backend. A check is skipped only when the backend lacks what it needs — a
//! capability in `reader.capabilities()`, or a dependency store — and a skip is written to the
//! terminal (bypassing the test harness's output capture), never passed silently.
//!
//! Every check writes its own deterministic data (ids seeded by the check's name, times relative
//! to a recent base so backends with retention keep them) and compares what is read with what
//! the written spans say. The checks live in `reads`, `writes`, `find`, `find_tags`,
//! `find_bounds`, `catalog`, `dependencies` and `retention`; `fixtures` builds the data and
//! compares results.
//!
//! This module owns the checks and how they run; it does not own any backend.

mod catalog;
mod dependencies;
mod find;
mod find_bounds;
mod find_tags;
mod fixtures;
mod reads;
mod retention;
mod writes;

use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{DependencyStore, SpanReader, SpanWriter};

/// A freshly opened, empty backend, seen through the storage traits.
pub struct Harness {
    pub writer: Arc<dyn SpanWriter>,
    pub reader: Arc<dyn SpanReader>,
    /// `None` when the backend stores no dependency links: those checks are skipped.
    pub dependencies: Option<Arc<dyn DependencyStore>>,
}

impl Harness {
    /// A harness over one store implementing every storage trait.
    pub fn of<Store>(store: Arc<Store>) -> Self
    where
        Store: SpanWriter + SpanReader + DependencyStore + 'static,
    {
        Harness {
            writer: store.clone(),
            reader: store.clone(),
            dependencies: Some(store),
        }
    }
}

/// How a check wants the backend opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOptions {
    /// The retention period to configure, when the check needs one (`None`: keep data at least
    /// for the duration of the check; the suite writes spans from the last hour).
    pub retention: Option<Duration>,
    /// A fresh, empty directory for an on-disk backend's files; the suite removes it after the
    /// check.
    pub directory: PathBuf,
}

/// What a check needs beyond the contract every backend meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    /// The `retention` capability.
    Retention,
    /// A dependency store (`Harness::dependencies`).
    Dependencies,
}

type CheckFuture = Pin<Box<dyn Future<Output = ()>>>;

struct Check {
    name: &'static str,
    needs: Needs,
    run: fn(Harness) -> CheckFuture,
}

macro_rules! checks {
    ($($module:ident :: $check:ident $(needs $needs:ident)?),* $(,)?) => {
        const CHECKS: &[Check] = &[
            $(Check {
                name: stringify!($check),
                needs: checks!(@needs $($needs)?),
                run: |harness| Box::pin($module::$check(harness)),
            }),*
        ];
    };
    (@needs) => { Needs::Nothing };
    (@needs $needs:ident) => { Needs::$needs };
}

checks! {
    reads::get_trace_returns_every_span_with_its_process,
    reads::get_trace_of_an_unknown_id_is_none,
    reads::get_trace_within_a_time_window,
    writes::spans_of_one_trace_in_several_writes_out_of_order,
    writes::the_same_span_written_twice_reads_back_once,
    writes::different_spans_sharing_a_span_id_are_both_kept,
    writes::write_batch_fills_the_process,
    writes::a_span_without_process_is_rejected,
    writes::a_span_with_malformed_ids_is_rejected,
    writes::a_trace_of_10000_spans_reads_back_complete,
    writes::spans_written_encoded_read_back_as_written,
    find::find_traces_by_service,
    find::find_traces_by_service_and_operation,
    find_tags::find_traces_by_span_tag,
    find_tags::find_traces_by_process_tag,
    find_tags::find_traces_by_log_field,
    find_tags::find_traces_by_typed_tag_values,
    find_tags::find_traces_by_several_tags_needs_all_on_one_span,
    find_bounds::find_traces_start_time_window_edges_are_inclusive,
    find_bounds::find_traces_duration_bounds_are_inclusive,
    find_bounds::find_traces_with_every_condition_combined,
    find_bounds::find_traces_limit_keeps_the_newest_first,
    find::find_traces_returns_whole_traces,
    find::find_trace_ids_agrees_with_find_traces,
    find::invalid_queries_are_rejected,
    catalog::services_are_sorted,
    catalog::operations_with_span_kinds,
    catalog::unicode_names,
    catalog::a_thousand_services,
    dependencies::dependencies_within_the_window_summed_per_pair needs Dependencies,
    retention::spans_older_than_the_retention_period_disappear needs Retention,
}

/// Expands to one test per check of the conformance suite. The argument opens a fresh, empty
/// backend: `|options: TestOptions| async move { .. Harness { .. } }`.
///
/// The tests build their own tokio runtime, so the calling crate needs only `spur-storage`
/// with the `testsuite` feature.
#[macro_export]
macro_rules! conformance_suite {
    ($open:expr $(,)?) => {
        $crate::__conformance_checks! { @tests ($open) }
    };
}

/// The one list of check names; `@tests` turns it into test functions, `@names` into a slice
/// (used to prove the list and the suite's table agree).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    (@$mode:ident $args:tt) => {
        $crate::__conformance_expand! { @$mode $args
            get_trace_returns_every_span_with_its_process,
            get_trace_of_an_unknown_id_is_none,
            get_trace_within_a_time_window,
            spans_of_one_trace_in_several_writes_out_of_order,
            the_same_span_written_twice_reads_back_once,
            different_spans_sharing_a_span_id_are_both_kept,
            write_batch_fills_the_process,
            a_span_without_process_is_rejected,
            a_span_with_malformed_ids_is_rejected,
            a_trace_of_10000_spans_reads_back_complete,
            spans_written_encoded_read_back_as_written,
            find_traces_by_service,
            find_traces_by_service_and_operation,
            find_traces_by_span_tag,
            find_traces_by_process_tag,
            find_traces_by_log_field,
            find_traces_by_typed_tag_values,
            find_traces_by_several_tags_needs_all_on_one_span,
            find_traces_start_time_window_edges_are_inclusive,
            find_traces_duration_bounds_are_inclusive,
            find_traces_with_every_condition_combined,
            find_traces_limit_keeps_the_newest_first,
            find_traces_returns_whole_traces,
            find_trace_ids_agrees_with_find_traces,
            invalid_queries_are_rejected,
            services_are_sorted,
            operations_with_span_kinds,
            unicode_names,
            a_thousand_services,
            dependencies_within_the_window_summed_per_pair,
            spans_older_than_the_retention_period_disappear,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_expand {
    (@tests ($open:expr) $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::testsuite::run_check(stringify!($check), $open);
            }
        )*
    };
    (@names () $($check:ident),* $(,)?) => {
        &[$(stringify!($check)),*]
    };
}

/// Runs one check by name against a backend opened by `open`. Called by the tests
/// [`conformance_suite!`](crate::conformance_suite) expands to.
pub fn run_check<Open, Opening>(name: &str, open: Open)
where
    Open: FnOnce(TestOptions) -> Opening,
    Opening: Future<Output = Harness>,
{
    let Some(check) = CHECKS.iter().find(|check| check.name == name) else {
        panic!("no conformance check named {name}");
    };
    let directory = ScratchDirectory::create(name);
    let retention = (check.needs == Needs::Retention).then_some(retention::RETENTION);
    let options = TestOptions {
        retention,
        directory: directory.path.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the check");
    runtime.block_on(async {
        let harness = open(options).await;
        if let Some(missing) = missing_for(check.needs, &harness) {
            report_skip(name, missing);
            return;
        }
        (check.run)(harness).await;
    });
    // The backend is gone with the runtime's tasks before its directory is removed.
    drop(runtime);
    drop(directory);
}

/// What the backend lacks for a check, if anything.
fn missing_for(needs: Needs, harness: &Harness) -> Option<&'static str> {
    match needs {
        Needs::Nothing => None,
        Needs::Retention if !harness.reader.capabilities().retention => {
            Some("the `retention` capability")
        }
        Needs::Dependencies if harness.dependencies.is_none() => Some("a dependency store"),
        Needs::Retention | Needs::Dependencies => None,
    }
}

/// Tells the person running the tests that a check did not run. Written straight to stderr:
/// libtest captures only `print!`-style output, and a skip must not pass unseen.
fn report_skip(name: &str, missing: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "conformance check {name} SKIPPED: the backend lacks {missing}"
    );
}

/// A directory for one check's files, removed when dropped.
struct ScratchDirectory {
    path: PathBuf,
}

impl ScratchDirectory {
    fn create(check: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "spur-conformance-{}-{check}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("a scratch directory for the check");
        ScratchDirectory { path }
    }
}

impl Drop for ScratchDirectory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macro_list_and_the_check_table_agree() {
        let listed: &[&str] = crate::__conformance_checks! { @names () };
        let table: Vec<&str> = CHECKS.iter().map(|check| check.name).collect();
        assert_eq!(listed, table.as_slice());
    }
}
