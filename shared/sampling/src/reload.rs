//! The background task behind `sampling.strategies-reload-interval`: every interval it asks
//! the store to check its file ([`StrategyStore::reload`], which logs and counts failures). It
//! holds the store weakly and ends when the store is gone (or is aborted by its drop).

use std::sync::Weak;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use crate::store::{Inner, StrategyStore};

/// Starts the task; `None` when `interval` is so long that the first tick would never come.
pub(crate) fn spawn(store: Weak<Inner>, interval: Duration) -> Option<tokio::task::AbortHandle> {
    debug_assert!(!interval.is_zero());
    let first_tick = Instant::now().checked_add(interval)?;
    Some(tokio::spawn(run(store, first_tick, interval)).abort_handle())
}

async fn run(store: Weak<Inner>, first_tick: Instant, interval: Duration) {
    let mut ticker = tokio::time::interval_at(first_tick, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(inner) = store.upgrade() else {
            return;
        };
        // Failures are logged and counted by `reload`; the next tick tries again.
        let _ = StrategyStore::from_inner(inner).reload().await;
    }
}
