//! [`StrategyStore`]: the strategies in force, loaded from Jaeger's strategies file and
//! reloaded when it changes. Readers take a snapshot without locking (`arc-swap`); a reload
//! builds new [`Strategies`] aside and swaps them in whole, so a request sees either the old
//! file or the new one, never a mix.
//!
//! Reload errors (unreadable file, failed download, JSON that no longer parses) keep the
//! previous strategies, log a warning and count `spur_sampling_reload_errors_total`; the next
//! check tries again. A reload compares the bytes with the last ones applied, as Jaeger does,
//! and re-parses only when they differ. Replace the file atomically (write aside, rename): a
//! check that reads a half-written file fails once, like Jaeger's.
//!
//! Differences from Jaeger v1.57.0, on purpose:
//! - Jaeger applies `sampling.strategies.bugfix-5270=false` at start only: its reloads always
//!   resolve as if the flag were on (so a rate-limiting service's strategy changes at the first
//!   reload, even of an unchanged file). Spur applies the configured flag on every load.
//! - Jaeger never starts reloading when the file at start was `null` or the URL answered 503;
//!   Spur keeps checking, so the strategies arrive once they exist.
//! - Jaeger logs reload failures at ERROR; Spur warns (nothing is lost) and counts them.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use spur_model::api_v2::SamplingStrategyResponse;

use crate::error::SamplingError;
use crate::metrics::RELOAD_ERRORS;
use crate::source::Source;
use crate::strategies::Strategies;

/// How to build a [`StrategyStore`]: Jaeger's three `sampling.strategies*` flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// `sampling.strategies-file`: a path or an `http://` URL. `None` or empty: probabilistic
    /// 0.001 for every service.
    pub strategies_file: Option<String>,
    /// `sampling.strategies-reload-interval`: how often to check the file. Zero: never.
    pub reload_interval: Duration,
    /// `sampling.strategies.bugfix-5270` (default false): whether rate-limiting services
    /// without operation strategies inherit the default strategy's.
    pub include_default_operation_strategies: bool,
}

/// What a reload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The file's bytes are the ones already in force.
    Unchanged,
    /// New strategies are in force.
    Replaced,
    /// There is nothing to reload: the store has no file.
    NoSource,
}

/// The strategies in force, shared by the HTTP and gRPC front ends; cheap to clone. The reload
/// task, if any, stops when the last clone is dropped.
#[derive(Clone, Default)]
pub struct StrategyStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
pub(crate) struct Inner {
    current: ArcSwap<Strategies>,
    source: Option<Source>,
    include_default_operation_strategies: bool,
    /// The bytes of the strategies in force (`None`: the defaults). Held during a reload, so
    /// reloads never overlap.
    applied: tokio::sync::Mutex<Option<Vec<u8>>>,
    reload_task: parking_lot::Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.reload_task.get_mut().take() {
            task.abort();
        }
    }
}

impl StrategyStore {
    /// Loads the strategies file and, when `reload_interval` is not zero, starts the reload
    /// task (so this must run inside a tokio runtime). A file that cannot be read or parsed is
    /// an error naming it; a URL answering 503 gives the defaults until it answers.
    pub async fn open(options: StoreOptions) -> Result<StrategyStore, SamplingError> {
        let location = options.strategies_file.as_deref().unwrap_or_default();
        if location.is_empty() {
            tracing::info!("no sampling strategies file; every service gets probabilistic 0.001");
            return Ok(StrategyStore::default());
        }
        let source = Source::parse(location)?;
        let bytes = source.load().await?;
        let strategies = match &bytes {
            Some(bytes) => parse(bytes, &source, options.include_default_operation_strategies)?,
            None => {
                tracing::info!(source = %source, "sampling strategies URL unavailable (503); using defaults");
                Strategies::default()
            }
        };
        if !options.include_default_operation_strategies {
            tracing::warn!(
                "default operation strategies are not applied to rate-limiting services \
                 (sampling.strategies.bugfix-5270=false, Jaeger's default); see \
                 https://github.com/jaegertracing/jaeger/issues/5270"
            );
        }
        tracing::info!(source = %source, services = strategies.services.len(), "sampling strategies loaded");
        let store = StrategyStore {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(strategies),
                source: Some(source),
                include_default_operation_strategies: options.include_default_operation_strategies,
                applied: tokio::sync::Mutex::new(bytes),
                reload_task: parking_lot::Mutex::new(None),
            }),
        };
        if !options.reload_interval.is_zero() {
            let task = crate::reload::spawn(Arc::downgrade(&store.inner), options.reload_interval);
            *store.inner.reload_task.lock() = task;
        }
        Ok(store)
    }

    /// A store that always answers `strategies` (no file, no reload).
    pub fn fixed(strategies: Strategies) -> StrategyStore {
        StrategyStore {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(strategies),
                source: None,
                include_default_operation_strategies: false,
                applied: tokio::sync::Mutex::new(None),
                reload_task: parking_lot::Mutex::new(None),
            }),
        }
    }

    /// The strategies in force now (a snapshot: later reloads do not change it).
    pub fn strategies(&self) -> Arc<Strategies> {
        self.inner.current.load_full()
    }

    /// The strategy `service` gets now: its own, else the default.
    pub fn strategy(&self, service: &str) -> SamplingStrategyResponse {
        self.inner.current.load().for_service(service).clone()
    }

    /// Checks the file now, as the reload task does on every tick. Errors keep the previous
    /// strategies, and are logged and counted here before being returned.
    pub async fn reload(&self) -> Result<ReloadOutcome, SamplingError> {
        let Some(source) = &self.inner.source else {
            return Ok(ReloadOutcome::NoSource);
        };
        let mut applied = self.inner.applied.lock().await;
        let result = self.reload_from(source, &mut applied).await;
        match &result {
            Ok(ReloadOutcome::Replaced) => {
                tracing::info!(source = %source, "sampling strategies reloaded");
            }
            Ok(_) => {}
            Err(error) => {
                metrics::counter!(RELOAD_ERRORS).increment(1);
                tracing::warn!(%error, "cannot reload sampling strategies; keeping the previous ones");
            }
        }
        result
    }

    async fn reload_from(
        &self,
        source: &Source,
        applied: &mut Option<Vec<u8>>,
    ) -> Result<ReloadOutcome, SamplingError> {
        let bytes = source.load().await?;
        if bytes == *applied {
            return Ok(ReloadOutcome::Unchanged);
        }
        let strategies = match &bytes {
            Some(bytes) => parse(
                bytes,
                source,
                self.inner.include_default_operation_strategies,
            )?,
            None => Strategies::default(),
        };
        self.inner.current.store(Arc::new(strategies));
        *applied = bytes;
        Ok(ReloadOutcome::Replaced)
    }

    /// Stops the reload task now rather than when the last clone is dropped.
    pub fn stop_reloading(&self) {
        if let Some(task) = self.inner.reload_task.lock().take() {
            task.abort();
        }
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> StrategyStore {
        StrategyStore { inner }
    }
}

impl std::fmt::Debug for StrategyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrategyStore")
            .field(
                "source",
                &self.inner.source.as_ref().map(ToString::to_string),
            )
            .field("strategies", &self.inner.current.load())
            .finish()
    }
}

fn parse(
    bytes: &[u8],
    source: &Source,
    include_default_operation_strategies: bool,
) -> Result<Strategies, SamplingError> {
    Strategies::parse(bytes, include_default_operation_strategies).map_err(|error| {
        SamplingError::Parse {
            origin: source.to_string(),
            error,
        }
    })
}
