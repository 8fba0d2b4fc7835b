//! `StrategyStore`: loading at start (errors name the file and the problem), reloading when
//! the file changes (atomic swap, previous strategies kept on errors, errors counted), and the
//! reload task's lifetime. Waits are bounded polls, never fixed sleeps.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use spur_sampling::metrics::RELOAD_ERRORS;
use spur_sampling::{
    ErrorKind, ReloadOutcome, SamplingError, StoreOptions, StrategyStore, probabilistic,
};

fn options(file: &Path, reload_interval: Duration) -> StoreOptions {
    StoreOptions {
        strategies_file: Some(file.display().to_string()),
        reload_interval,
        include_default_operation_strategies: false,
    }
}

/// A temporary copy of fixture `name`, replaced atomically by [`replace`].
fn temp_copy(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    let path = dir.path().join("strategies.json");
    replace(&path, &common::strategies_bytes(name));
    path
}

/// Replaces the file's contents in one step (write aside, then rename), so a reload never
/// reads a half-written file.
fn replace(path: &Path, contents: &[u8]) {
    let aside = path.with_extension("tmp");
    std::fs::write(&aside, contents).unwrap();
    std::fs::rename(&aside, path).unwrap();
}

fn rate(store: &StrategyStore, service: &str) -> Option<f64> {
    store
        .strategy(service)
        .probabilistic_sampling
        .map(|sampling| sampling.sampling_rate)
}

/// Polls `condition` every 5 ms for up to 5 s.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn without_a_file_every_service_gets_the_default() {
    for file in [None, Some(String::new())] {
        let store = StrategyStore::open(StoreOptions {
            strategies_file: file,
            ..StoreOptions::default()
        })
        .await
        .unwrap();
        assert_eq!(store.strategy("any"), probabilistic(0.001));
        assert_eq!(store.reload().await.unwrap(), ReloadOutcome::NoSource);
    }
}

#[tokio::test]
async fn a_bad_file_at_start_is_an_error_naming_it_and_the_problem() {
    let missing = common::strategies_path("no-such-file.json");
    let error = StrategyStore::open(options(&missing, Duration::ZERO))
        .await
        .unwrap_err();
    assert!(matches!(error, SamplingError::Read { .. }), "{error}");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(error.to_string().contains("no-such-file.json"), "{error}");

    let bad = common::strategies_path("bad_syntax.json");
    let error = StrategyStore::open(options(&bad, Duration::ZERO))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    let message = error.to_string();
    assert!(message.contains(&bad.display().to_string()), "{message}");
    assert!(
        message.contains("trailing comma at line 5 column 3"),
        "{message}"
    );
}

#[tokio::test]
async fn reload_swaps_changes_in_and_keeps_the_previous_strategies_on_errors() {
    let errors_before = common::counter(RELOAD_ERRORS, &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = temp_copy(&dir, "services.json");
    let store = StrategyStore::open(options(&path, Duration::ZERO))
        .await
        .unwrap();
    assert_eq!(rate(&store, "checkout"), Some(0.75));
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Unchanged);

    let snapshot = store.strategies();
    replace(&path, &common::strategies_bytes("operations.json"));
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Replaced);
    assert_eq!(rate(&store, "checkout"), Some(0.5));
    assert_eq!(rate(&store, "web"), Some(0.8));
    // A snapshot taken earlier is the old file, whole.
    assert_eq!(
        snapshot
            .for_service("checkout")
            .probabilistic_sampling
            .as_ref()
            .unwrap()
            .sampling_rate,
        0.75
    );

    // JSON that no longer parses: an error with its position, the strategies stay.
    replace(&path, b"{\"default_strategy\": {\"param\": }}");
    let error = store.reload().await.unwrap_err();
    assert!(error.to_string().contains("line 1 column 32"), "{error}");
    assert_eq!(rate(&store, "web"), Some(0.8));
    // A file that went away: the same.
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(
        store.reload().await,
        Err(SamplingError::Read { .. })
    ));
    assert_eq!(rate(&store, "web"), Some(0.8));
    assert_eq!(common::counter(RELOAD_ERRORS, &[]), errors_before + 2);

    // Once the file is good again, it is applied.
    replace(&path, &common::strategies_bytes("all_in_one.json"));
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Replaced);
    assert_eq!(rate(&store, "web"), Some(1.0));
    // A file that is `null`: Jaeger's defaults.
    replace(&path, b"null");
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Replaced);
    assert_eq!(store.strategy("web"), probabilistic(0.001));
}

#[tokio::test]
async fn the_reload_task_applies_changes_and_ends_with_the_store() {
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let tasks_before = alive();
    let dir = tempfile::tempdir().unwrap();
    let path = temp_copy(&dir, "services.json");
    let store = StrategyStore::open(options(&path, Duration::from_millis(10)))
        .await
        .unwrap();
    assert_eq!(alive(), tasks_before + 1);
    assert_eq!(rate(&store, "checkout"), Some(0.75));

    replace(&path, &common::strategies_bytes("all_in_one.json"));
    eventually("the new file", || rate(&store, "checkout") == Some(1.0)).await;

    drop(store);
    eventually("the reload task to end", || alive() == tasks_before).await;
}

#[tokio::test]
async fn stop_reloading_keeps_the_strategies_in_force() {
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let tasks_before = alive();
    let dir = tempfile::tempdir().unwrap();
    let path = temp_copy(&dir, "services.json");
    let store = StrategyStore::open(options(&path, Duration::from_millis(10)))
        .await
        .unwrap();
    store.stop_reloading();
    eventually("the reload task to end", || alive() == tasks_before).await;
    assert_eq!(rate(&store, "checkout"), Some(0.75));
}

#[tokio::test]
async fn bugfix_5270_applies_to_reloads_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_copy(&dir, "services.json");
    let store = StrategyStore::open(options(&path, Duration::ZERO))
        .await
        .unwrap();
    replace(&path, &common::strategies_bytes("operations.json"));
    assert_eq!(store.reload().await.unwrap(), ReloadOutcome::Replaced);
    // Rate-limiting `limited` has no operations of its own: with the flag off it gets none.
    assert_eq!(store.strategy("limited").operation_sampling, None);
}
