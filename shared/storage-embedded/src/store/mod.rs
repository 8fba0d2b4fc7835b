//! The blocking core of the embedded store: opening the fjall database, reading traces and the
//! catalog, dependency links and sweeping expired spans. Writing spans is in `write`, applying
//! their index work in `indexer`, answering queries in `search`. The async trait impls in
//! `lib.rs` run these on tokio's blocking pool.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fjall::compaction::Leveled;
use fjall::config::FilterPolicy;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use prost::Message;
use rustc_hash::FxHashMap;
use spur_model::TraceId;
use spur_model::api_v2::{DependencyLink, GetDependenciesResponse, Span};
use spur_model::span_view::EncodedSpan;
use spur_storage::matching::start_micros;
use spur_storage::{Operation, OperationQuery, StorageError};

use crate::keys;
use crate::pending::IndexWork;

mod indexer;
mod memtables;
mod search;
#[cfg(test)]
mod tests;
mod upgrade;
mod write;

use memtables::{FJALL_SIZE_FACTOR, Memtables};
use write::Catalog;

/// Block cache for the whole database: bounds what reads keep in memory.
const CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// Memtable size of the large keyspaces (spans, index, pending) and of the small ones: bounds
/// what writes keep in memory before flushing to disk. The store rotates them at these sizes
/// (see `memtables`); fjall's own sizes are twice these (see [`MEMTABLE_SIZES`]).
const LARGE_MEMTABLE_BYTES: u64 = 32 * 1024 * 1024;
const SMALL_MEMTABLE_BYTES: u64 = 4 * 1024 * 1024;
/// An indexer pass stops taking pending entries once it holds this many spans. Large passes make
/// few, large index tables, so level 0 fills and is merged into level 1 (rewriting it) less often:
/// measured, 50,000 with a pass each second took 0.92x the CPU per span of 20,000 every 100 ms.
const INDEX_PASS_SPANS: usize = 50_000;
/// A pass of at least this many spans writes its index entries as a new table (ingestion);
/// smaller ones go through the memtable, so a trickle of writes does not make a table per pass.
const INGEST_PASS_SPANS: usize = 2_000;
/// At most this many written spans wait for the indexer before writers apply pending work
/// themselves. Their bytes wait in memory (about 1 KiB each with 20 tags, so ~50 MiB).
const MAX_PENDING_SPANS: u64 = 50_000;
/// At most this many stored catalog keys are remembered (about 10 MiB of names).
const CATALOG_KEYS: usize = 100_000;
/// A sweep pass deletes about this many keys at most, so it never stalls writers long.
const SWEEP_KEYS: usize = 100_000;

pub(crate) struct Store {
    db: Database,
    spans: Keyspace,
    index: Keyspace,
    expiry: Keyspace,
    services: Keyspace,
    operations: Keyspace,
    dependencies: Keyspace,
    pending: Keyspace,
    /// Spans of pending entries written since the store opened and not yet applied (an
    /// estimate after a reopen: leftovers from before it are not counted). Bounds the backlog.
    pending_spans: AtomicU64,
    /// The spans of pending entries by write sequence, handed from writers to the indexer so it
    /// need not read them back. Entries left from before a reopen are not here: the indexer
    /// reads those spans from the `spans` keyspace.
    handoff: Mutex<FxHashMap<u64, Vec<EncodedSpan>>>,
    /// One indexer at a time applies pending work, reusing the work's buffers pass after pass
    /// (a pass of 50,000 spans gathers ~650,000 postings: growing that list afresh each pass
    /// cost page faults and copies).
    indexer: Mutex<IndexWork>,
    /// Rotates the keyspaces' memtables (fjall is never left to).
    memtables: Memtables,
    /// Catalog entries (services, operations) stored since the store opened: a write stores
    /// only new ones, instead of re-writing every name of its spans (names are never swept).
    stored_catalog: RwLock<Catalog>,
    retention: Duration,
    /// Write sequence numbers: the open count in the high 24 bits, a counter below, so numbers
    /// never repeat across reopenings.
    sequence: AtomicU64,
}

/// Counts this opening in the `meta` keyspace and returns the new count.
fn next_open_count(db: &Database, meta: &Keyspace) -> Result<u64, StorageError> {
    let previous = meta
        .get(OPEN_COUNT)
        .map_err(internal)?
        .and_then(|value| value.as_ref().try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    let count = previous + 1;
    meta.insert(OPEN_COUNT, count.to_be_bytes())
        .map_err(internal)?;
    db.persist(PersistMode::SyncData).map_err(internal)?;
    Ok(count)
}

const OPEN_COUNT: &str = "open-count";
/// Present in stores whose keyspaces fjall sizes at twice the store's memtable sizes. fjall keeps
/// a keyspace's sizes from its creation, and stores made before this key were created with the
/// store's sizes: those are rotated at half the sizes, so fjall's are still twice the store's.
const MEMTABLE_SIZES: &str = "memtable-sizes-doubled";
const INDEX_FORMAT: &str = "index-format";

fn internal(error: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(format!("embedded store: {error}"))
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

impl Store {
    pub(crate) fn open(directory: &Path, retention: Duration) -> Result<Store, StorageError> {
        // One worker for flushes and compactions: with more, fjall's spare workers spin on
        // compaction requests while one compacts (measured on two cores: the store alone took
        // half the CPU with one). `memtables` keeps the lone worker from blocking itself.
        let db = Database::builder(directory)
            .cache_size(CACHE_BYTES)
            .worker_threads(1)
            .open()
            .map_err(internal)?;
        let meta = db
            .keyspace("meta", KeyspaceCreateOptions::default)
            .map_err(internal)?;
        if !db.keyspace_exists("spans") {
            meta.insert(MEMTABLE_SIZES, []).map_err(internal)?;
        }
        let sizes_doubled = meta.contains_key(MEMTABLE_SIZES).map_err(internal)?;
        let mut memtables = Memtables::default();
        let mut keyspace = |name: &str, memtable: u64| {
            let opened = db
                .keyspace(name, || {
                    // No keyspace here is read by key but in a rare recovery path: Bloom filters
                    // (built for every key of every table written) would cost and never serve.
                    let options = KeyspaceCreateOptions::default()
                        .max_memtable_size(memtable * FJALL_SIZE_FACTOR)
                        .filter_policy(FilterPolicy::disabled());
                    if memtable < LARGE_MEMTABLE_BYTES {
                        return options;
                    }
                    // Spans and index entries arrive roughly in time order and are never
                    // updated: a wider first level and fewer levels rewrite them fewer times
                    // (measured: 12% less CPU per span written, reads unchanged within noise).
                    options.compaction_strategy(Arc::new(
                        Leveled::default()
                            .with_l0_threshold(8)
                            .with_level_ratio_policy(vec![16.0]),
                    ))
                })
                .map_err(internal)?;
            let rotate_at = if sizes_doubled {
                memtable
            } else {
                memtable / FJALL_SIZE_FACTOR
            };
            memtables.watch(&opened, rotate_at);
            Ok::<_, StorageError>(opened)
        };
        let store = Store {
            spans: keyspace("spans", LARGE_MEMTABLE_BYTES)?,
            index: keyspace("index", LARGE_MEMTABLE_BYTES)?,
            expiry: keyspace("expiry", SMALL_MEMTABLE_BYTES)?,
            services: keyspace("services", SMALL_MEMTABLE_BYTES)?,
            operations: keyspace("operations", SMALL_MEMTABLE_BYTES)?,
            dependencies: keyspace("dependencies", SMALL_MEMTABLE_BYTES)?,
            pending: keyspace("pending", LARGE_MEMTABLE_BYTES)?,
            memtables,
            pending_spans: AtomicU64::new(0),
            handoff: Mutex::new(FxHashMap::default()),
            indexer: Mutex::new(IndexWork::default()),
            stored_catalog: RwLock::new(Catalog::default()),
            sequence: AtomicU64::new(next_open_count(&db, &meta)? << 40),
            db,
            retention,
        };
        store.upgrade_index(&meta)?;
        Ok(store)
    }

    /// Spans starting before this are expired: never returned, and swept.
    fn cutoff(&self) -> i64 {
        now_micros().saturating_sub(self.retention.as_micros().min(i64::MAX as u128) as i64)
    }

    fn handoff(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, FxHashMap<u64, Vec<EncodedSpan>>>, StorageError> {
        self.handoff
            .lock()
            .map_err(|_| internal("handoff lock poisoned"))
    }

    /// A write batch with room for `items`, handed to the operating system on commit.
    fn batch(&self, items: usize) -> fjall::OwnedWriteBatch {
        fjall::OwnedWriteBatch::with_capacity(self.db.clone(), items)
            .durability(Some(PersistMode::Buffer))
    }

    /// Commits `batch` as every write of the store does: waiting first while a memtable
    /// rotation holds writers back, rotating the memtables that are due after.
    fn commit(&self, batch: fjall::OwnedWriteBatch) -> Result<(), StorageError> {
        self.memtables.before_commit();
        batch.commit().map_err(internal)?;
        self.memtables.after_commit().map_err(internal)
    }

    /// Flushes the journal to disk (`fdatasync`): called periodically by the store's syncer.
    pub(crate) fn sync(&self) -> Result<(), StorageError> {
        self.db.persist(PersistMode::SyncData).map_err(internal)
    }

    /// Every unexpired span of a trace, in key order (by start time).
    pub(crate) fn get_trace(&self, trace_id: TraceId) -> Result<Vec<Span>, StorageError> {
        let cutoff = self.cutoff();
        let mut spans = Vec::new();
        for entry in self.spans.prefix(trace_id.to_bytes()) {
            let (_, value) = entry.into_inner().map_err(internal)?;
            let span = Span::decode(value.as_ref()).map_err(internal)?;
            if start_micros(&span) >= cutoff {
                spans.push(span);
            }
        }
        Ok(spans)
    }

    pub(crate) fn services(&self) -> Result<Vec<String>, StorageError> {
        let mut services = Vec::new();
        for entry in self.services.iter() {
            let key = entry.key().map_err(internal)?;
            services.push(String::from_utf8_lossy(&key).into_owned());
        }
        Ok(services)
    }

    pub(crate) fn operations(
        &self,
        query: &OperationQuery,
    ) -> Result<Vec<Operation>, StorageError> {
        let prefix = keys::operations_prefix(&query.service_name);
        let mut operations = Vec::new();
        for entry in self.operations.prefix(&prefix) {
            let key = entry.key().map_err(internal)?;
            let Some((span_kind, name)) = keys::operation_from_key(&key, prefix.len()) else {
                continue;
            };
            if query
                .span_kind
                .as_ref()
                .is_none_or(|kind| *kind == span_kind)
            {
                operations.push(Operation { name, span_kind });
            }
        }
        operations.sort();
        Ok(operations)
    }

    pub(crate) fn write_dependencies(
        &self,
        timestamp: i64,
        links: Vec<DependencyLink>,
    ) -> Result<(), StorageError> {
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let value = GetDependenciesResponse {
            dependencies: links,
        }
        .encode_to_vec();
        let mut batch = self.batch(1);
        batch.insert(
            &self.dependencies,
            keys::dependencies_key(timestamp, sequence),
            value,
        );
        self.commit(batch)
    }

    pub(crate) fn dependencies(
        &self,
        end_time: i64,
        lookback: i64,
    ) -> Result<Vec<DependencyLink>, StorageError> {
        let from = keys::dependencies_key(end_time.saturating_sub(lookback), 0);
        let to = keys::dependencies_key(end_time, u64::MAX);
        let mut sums: HashMap<(String, String), u64> = HashMap::new();
        for entry in self.dependencies.range(from..=to) {
            let (_, value) = entry.into_inner().map_err(internal)?;
            let response = GetDependenciesResponse::decode(value.as_ref()).map_err(internal)?;
            for link in response.dependencies {
                *sums.entry((link.parent, link.child)).or_default() += link.call_count;
            }
        }
        let mut links: Vec<DependencyLink> = sums
            .into_iter()
            .map(|((parent, child), call_count)| DependencyLink {
                parent,
                child,
                call_count,
                source: String::new(),
            })
            .collect();
        links.sort_by(|a, b| (&a.parent, &a.child).cmp(&(&b.parent, &b.child)));
        Ok(links)
    }

    /// Deletes the spans and index entries of expired buckets (buckets that ended before the
    /// retention cutoff), about [`SWEEP_KEYS`] keys at most; returns how many buckets went.
    pub(crate) fn sweep_expired(&self) -> Result<usize, StorageError> {
        // Spans still waiting for their index work have no expiry entries yet.
        self.apply_all_pending()?;
        let cutoff = keys::sortable_time(self.cutoff());
        let mut batch = self.db.batch();
        let (mut deleted, mut keys_deleted) = (0, 0);
        for entry in self.expiry.range(..cutoff.to_vec()) {
            if keys_deleted >= SWEEP_KEYS {
                break;
            }
            let (key, value) = entry.into_inner().map_err(internal)?;
            if let Some(list) = keys::ExpiryList::decode(&value) {
                keys_deleted += list.span_keys.len() + list.index_keys.len();
                for span_key in list.span_keys {
                    batch.remove(&self.spans, span_key);
                }
                for index_key in list.index_keys {
                    batch.remove(&self.index, index_key);
                }
            }
            batch.remove(&self.expiry, key);
            deleted += 1;
        }
        self.commit(batch)?;
        Ok(deleted)
    }
}
