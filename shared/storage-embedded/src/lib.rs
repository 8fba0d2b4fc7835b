//! spur-storage-embedded: a persistent span store on local disk, Spur's all-in-one default.
//!
//! **Engine: fjall** (a log-structured merge tree in pure, safe Rust). Writes are sequential
//! (journal + memtables), which suits an append-mostly span stream; range and prefix scans serve
//! the time-ordered indexes; keyspaces commit atomically together; recovery replays the journal.
//! RocksDB offers the same shape but needs a C++ build of several minutes and unsafe bindings;
//! sled is unmaintained in practice; redb is a B-tree with one writer at a time, slower for this
//! write-heavy load. Jaeger's own embedded store (Badger) is also an LSM.
//!
//! **Layout**: see the `keys` module. Spans are stored once, keyed by trace, so a trace is one prefix scan;
//! indexes by service, service+operation and service+tag (span tags, process tags and log fields)
//! are ordered newest first, and every index posting carries its span's start time and duration,
//! so the time window and duration bounds drop candidates without reading spans. A process's
//! tags are indexed once per process and second (they refer to the process, under which each of
//! its spans posts once), not once per span. Queries scan the
//! most selective index (operation, else first tag, else service), then check the remaining
//! candidates' traces with [`spur_storage::matching`], so this store answers exactly like every
//! other backend.
//!
//! **Deferred indexing**: a write stores its spans plus one `pending` entry listing their keys,
//! and hands the decoded spans to the indexer in memory. A background indexer (every second, and
//! before every query and sweep) turns the spans of many writes into one index entry per distinct
//! prefix and bucket, so queries always see every acknowledged write while writers store each
//! span once and no index data. After a crash, pending entries left behind are indexed from the
//! stored spans. If 50,000 written spans wait for the indexer, writers apply the backlog
//! themselves, so it stays bounded. A pass of 2,000 spans or more writes its sorted index entries
//! straight into a new table (fjall's ingestion), skipping the journal, the memtable and the flush
//! they would otherwise go through.
//!
//! **Durability**: each `write_spans` is one atomic batch (spans and their pending index work), handed to the operating system before
//! `Ok` is returned: an acknowledged write survives the process being killed (`kill -9`). A
//! background thread `fdatasync`s the journal every second, so a power loss or kernel crash can
//! lose at most the last second of acknowledged writes; reopening after any crash recovers to a
//! consistent state (no torn batch).
//!
//! **Retention**: spans that started before now − retention are never returned, and the same
//! background thread deletes them (with their index entries) in bounded batches every minute.
//! Service and operation names are kept.
//!
//! **Memory**: bounded by fjall's block cache (64 MiB) and memtables: 32 MiB for spans and for
//! the index, 4 MiB for each small keyspace. Sealed memtables wait for a flush and fjall stalls
//! writers at 4 waiting per keyspace, so the ceiling is about five times those sizes (~350 MiB)
//! under a sustained write burst, plus the spans waiting for the indexer (at most 50,000: about
//! 50 MiB, and as much again for the pass indexing them), the service and operation names stored since opening (at most 100,000, so a write
//! stores only new ones) and what a query holds (the traces it returns).

mod keys;
mod pending;
mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use spur_model::TraceId;
use spur_model::api_v2::{DependencyLink, Span};
use spur_model::span_view::EncodedSpan;
use spur_storage::{
    Capabilities, DependencyStore, GetTraceQuery, Operation, OperationQuery, SpanReader,
    SpanWriter, StorageError, Trace, TraceQuery,
};

use store::Store;

/// How often pending index work is applied in the background (queries also apply it first, and
/// writers once 50,000 spans wait): a second of spans makes one large pass.
const INDEX_INTERVAL: Duration = Duration::from_secs(1);
/// How often the journal is synced to disk.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);
/// How often expired spans are swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Where and how to open the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedOptions {
    /// Directory holding the database (created if missing).
    pub directory: PathBuf,
    /// Spans older than this (by start time) are dropped. Jaeger's Badger default is 72 h.
    pub retention: Duration,
}

/// The embedded store; implements the span writer, reader and dependency store traits.
pub struct EmbeddedStore {
    store: Arc<Store>,
    maintenance: Maintenance,
}

impl EmbeddedStore {
    /// Opens (or creates) the store, recovering from any earlier crash.
    pub fn open(options: EmbeddedOptions) -> Result<EmbeddedStore, StorageError> {
        std::fs::create_dir_all(&options.directory).map_err(|error| {
            StorageError::Unavailable(format!(
                "cannot create {}: {error}",
                options.directory.display()
            ))
        })?;
        let store = Arc::new(Store::open(&options.directory, options.retention)?);
        let maintenance = Maintenance::start(store.clone());
        Ok(EmbeddedStore { store, maintenance })
    }

    /// Deletes expired spans now (normally done every minute in the background).
    pub fn sweep_expired(&self) -> Result<usize, StorageError> {
        self.store.sweep_expired()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(|error| {
                StorageError::Internal(format!("embedded store task failed: {error}"))
            })?
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        self.maintenance.stop();
        // Best effort: the journal is also synced by fjall when the database closes.
        let _ = self.store.sync();
    }
}

#[async_trait]
impl SpanWriter for EmbeddedStore {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        self.blocking(move |store| store.write_spans(spans)).await
    }

    async fn write_encoded(&self, spans: Vec<EncodedSpan>) -> Result<(), StorageError> {
        self.blocking(move |store| store.write_encoded(spans)).await
    }
}

#[async_trait]
impl SpanReader for EmbeddedStore {
    async fn get_trace(&self, query: GetTraceQuery) -> Result<Option<Trace>, StorageError> {
        let spans = self
            .blocking(move |store| store.get_trace(query.trace_id))
            .await?;
        Ok((!spans.is_empty()).then_some(spans))
    }

    async fn find_traces(&self, query: &TraceQuery) -> Result<Vec<Trace>, StorageError> {
        let query = query.clone();
        let found = self
            .blocking(move |store| store.find_traces(&query))
            .await?;
        Ok(found.into_iter().map(|(_, spans)| spans).collect())
    }

    async fn find_trace_ids(&self, query: &TraceQuery) -> Result<Vec<TraceId>, StorageError> {
        let query = query.clone();
        let found = self
            .blocking(move |store| store.find_traces(&query))
            .await?;
        Ok(found.into_iter().map(|(trace_id, _)| trace_id).collect())
    }

    async fn get_services(&self) -> Result<Vec<String>, StorageError> {
        self.blocking(|store| store.services()).await
    }

    async fn get_operations(&self, query: &OperationQuery) -> Result<Vec<Operation>, StorageError> {
        let query = query.clone();
        self.blocking(move |store| store.operations(&query)).await
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            retention: true,
            persistent: true,
        }
    }
}

#[async_trait]
impl DependencyStore for EmbeddedStore {
    async fn write_dependencies(
        &self,
        timestamp: i64,
        links: Vec<DependencyLink>,
    ) -> Result<(), StorageError> {
        self.blocking(move |store| store.write_dependencies(timestamp, links))
            .await
    }

    async fn get_dependencies(
        &self,
        end_time: i64,
        lookback: i64,
    ) -> Result<Vec<DependencyLink>, StorageError> {
        self.blocking(move |store| store.dependencies(end_time, lookback))
            .await
    }
}

/// The background thread that syncs the journal and sweeps expired spans; stopped on drop.
struct Maintenance {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Maintenance {
    fn start(store: Arc<Store>) -> Maintenance {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("spur-embedded-maintenance".into())
            .spawn(move || {
                let (mut last_sync, mut last_sweep) = (Instant::now(), Instant::now());
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INDEX_INTERVAL) {
                    let _ = store.apply_all_pending();
                    if last_sync.elapsed() >= SYNC_INTERVAL {
                        last_sync = Instant::now();
                        let _ = store.sync();
                    }
                    if last_sweep.elapsed() >= SWEEP_INTERVAL {
                        last_sweep = Instant::now();
                        // Bounded passes until the backlog is gone.
                        while matches!(store.sweep_expired(), Ok(deleted) if deleted > 0) {}
                    }
                }
            })
            .ok();
        Maintenance {
            stop: Some(stop),
            thread,
        }
    }

    fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
