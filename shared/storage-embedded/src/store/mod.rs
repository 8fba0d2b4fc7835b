//! The blocking core of the embedded store: opening the fjall database, writing spans with their
//! index entries in one batch, reading traces, answering queries from the indexes, and sweeping
//! expired spans. The async trait impls in `lib.rs` run these on tokio's blocking pool.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fjall::compaction::Leveled;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};
use prost::Message;
use rustc_hash::{FxHashMap, FxHashSet};
use spur_model::TraceId;
use spur_model::api_v2::{DependencyLink, GetDependenciesResponse, Span};
use spur_model::span_view::{EncodedSpan, SpanView};
use spur_storage::matching::start_micros;
use spur_storage::{Operation, OperationQuery, StorageError};

use crate::keys;
use crate::pending::{self, IndexWork};

mod search;
mod upgrade;

/// Block cache for the whole database: bounds what reads keep in memory.
const CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// Memtable size of the two large keyspaces (spans, index) and of the small ones: bounds what
/// writes keep in memory before flushing to disk.
const LARGE_MEMTABLE_BYTES: u64 = 32 * 1024 * 1024;
const SMALL_MEMTABLE_BYTES: u64 = 4 * 1024 * 1024;
/// An indexer pass stops taking pending entries once it holds this many spans.
const INDEX_PASS_SPANS: usize = 20_000;
/// A pass of at least this many spans writes its index entries as a new table (ingestion);
/// smaller ones go through the memtable, so a trickle of writes does not make a table per pass.
const INGEST_PASS_SPANS: usize = 2_000;
/// At most this many written spans wait for the indexer before writers apply pending work
/// themselves. Their bytes wait in memory (about 1 KiB each with 20 tags, so ~20 MiB).
const MAX_PENDING_SPANS: u64 = 20_000;
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
    /// (a pass of 20,000 spans gathers ~400,000 postings: growing that list afresh each pass
    /// cost page faults and copies).
    indexer: Mutex<IndexWork>,
    /// Catalog entries (services, operations) stored since the store opened: a write stores
    /// only new ones, instead of re-writing every name of its spans (names are never swept).
    stored_catalog: RwLock<Catalog>,
    retention: Duration,
    /// Write sequence numbers: the open count in the high 24 bits, a counter below, so numbers
    /// never repeat across reopenings.
    sequence: AtomicU64,
}

/// Service names and operations keys (as the catalog keyspaces hold them).
#[derive(Debug, Default)]
struct Catalog {
    services: FxHashSet<Vec<u8>>,
    operations: FxHashSet<Vec<u8>>,
}

impl Catalog {
    fn is_empty(&self) -> bool {
        self.services.is_empty() && self.operations.is_empty()
    }

    /// Adds `fresh`; starts over past [`CATALOG_KEYS`] (a name then costs one more write).
    fn add(&mut self, fresh: Catalog) {
        if self.services.len() + self.operations.len() > CATALOG_KEYS {
            *self = Catalog::default();
        }
        self.services.extend(fresh.services);
        self.operations.extend(fresh.operations);
    }
}

/// Counts this opening in the `meta` keyspace and returns the new count.
fn next_open_count(db: &Database) -> Result<u64, StorageError> {
    let meta = db
        .keyspace("meta", KeyspaceCreateOptions::default)
        .map_err(internal)?;
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
        let db = Database::builder(directory)
            .cache_size(CACHE_BYTES)
            .open()
            .map_err(internal)?;
        let keyspace = |name: &str, memtable: u64| {
            db.keyspace(name, || {
                let options = KeyspaceCreateOptions::default().max_memtable_size(memtable);
                if memtable < LARGE_MEMTABLE_BYTES {
                    return options;
                }
                // Spans and index entries arrive roughly in time order and are never updated:
                // a wider first level and fewer levels rewrite them fewer times (measured: 12%
                // less CPU per span written, reads unchanged within noise).
                options.compaction_strategy(Arc::new(
                    Leveled::default()
                        .with_l0_threshold(8)
                        .with_level_ratio_policy(vec![16.0]),
                ))
            })
            .map_err(internal)
        };
        let store = Store {
            spans: keyspace("spans", LARGE_MEMTABLE_BYTES)?,
            index: keyspace("index", LARGE_MEMTABLE_BYTES)?,
            expiry: keyspace("expiry", SMALL_MEMTABLE_BYTES)?,
            services: keyspace("services", SMALL_MEMTABLE_BYTES)?,
            operations: keyspace("operations", SMALL_MEMTABLE_BYTES)?,
            dependencies: keyspace("dependencies", SMALL_MEMTABLE_BYTES)?,
            pending: keyspace("pending", LARGE_MEMTABLE_BYTES)?,
            pending_spans: AtomicU64::new(0),
            handoff: Mutex::new(FxHashMap::default()),
            indexer: Mutex::new(IndexWork::default()),
            stored_catalog: RwLock::new(Catalog::default()),
            sequence: AtomicU64::new(next_open_count(&db)? << 40),
            db,
            retention,
        };
        store.upgrade_index()?;
        Ok(store)
    }

    /// Spans starting before this are expired: never returned, and swept.
    fn cutoff(&self) -> i64 {
        now_micros().saturating_sub(self.retention.as_micros().min(i64::MAX as u128) as i64)
    }

    /// Writes spans: each is encoded and written as [`Store::write_encoded`] writes it.
    pub(crate) fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        let mut encoded = Vec::with_capacity(spans.len());
        for span in &spans {
            if span.process.is_none() {
                return Err(StorageError::InvalidArgument(
                    "span without a process".into(),
                ));
            }
            span.trace_id()
                .map_err(|e| StorageError::InvalidArgument(e.to_string()))?;
            span.span_id()
                .map_err(|e| StorageError::InvalidArgument(e.to_string()))?;
            let checked = EncodedSpan::parse(Bytes::from(span.encode_to_vec()))
                .map_err(|_| internal("an encoded span does not read back"))?;
            encoded.push(checked);
        }
        self.write_encoded(encoded)
    }

    /// Writes spans given as checked protobuf, keeping their bytes as they are, in one atomic
    /// batch with their catalog entries and one pending index entry. fjall hands the batch to
    /// the operating system before returning, so an acknowledged write survives the process
    /// being killed; [`Store::sync`] makes it survive a power loss too. The spans are handed to
    /// the indexer afterwards (see `handoff`).
    pub(crate) fn write_encoded(&self, spans: Vec<EncodedSpan>) -> Result<(), StorageError> {
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        // Handed to the operating system on commit: survives the process being killed.
        // Room for the spans, the pending entry and a few catalog entries.
        let mut batch = self.batch(spans.len() + 8);
        // Catalog entries this opening has not stored yet, each once per write.
        let mut fresh = Catalog::default();
        let mut written_keys = Vec::with_capacity(spans.len() * keys::SPAN_KEY_LEN);
        let mut operation_key = Vec::with_capacity(128);
        let stored = self
            .stored_catalog
            .read()
            .map_err(|_| internal("catalog lock poisoned"))?;
        for span in &spans {
            let view = span.view();
            let Some(service) = view.service_name else {
                return Err(StorageError::InvalidArgument(
                    "span without a process".into(),
                ));
            };
            let span_key = keys::span_key(
                &view.trace_id.to_bytes(),
                view.start_micros,
                view.span_id.0,
                keys::content_hash(view.bytes()),
            );
            if !stored.services.contains(service.as_bytes())
                && !fresh.services.contains(service.as_bytes())
            {
                fresh.services.insert(service.as_bytes().to_vec());
                batch.insert(&self.services, service.as_bytes(), []);
            }
            keys::operation_key_into(
                &mut operation_key,
                service,
                view.span_kind,
                view.operation_name,
            );
            if !stored.operations.contains(operation_key.as_slice())
                && !fresh.operations.contains(operation_key.as_slice())
            {
                fresh.operations.insert(operation_key.clone());
                batch.insert(&self.operations, operation_key.clone(), []);
            }
            written_keys.extend_from_slice(&span_key);
            batch.insert(&self.spans, span_key, view.bytes());
        }
        drop(stored);
        // The index work rides in the same atomic batch: a crash never leaves spans unindexed.
        batch.insert(&self.pending, sequence.to_be_bytes(), written_keys);
        let count = spans.len() as u64;
        // Handed over before the commit, so the indexer finds them whenever it sees the entry.
        self.handoff()?.insert(sequence, spans);
        if let Err(error) = batch.commit() {
            self.handoff()?.remove(&sequence);
            return Err(internal(error));
        }
        if !fresh.is_empty() {
            self.stored_catalog
                .write()
                .map_err(|_| internal("catalog lock poisoned"))?
                .add(fresh);
        }
        // Backpressure: when the background indexer falls this far behind, the writer applies
        // pending work itself, so the backlog (and what a query must apply first) stays bounded.
        if self.pending_spans.fetch_add(count, Ordering::Relaxed) + count >= MAX_PENDING_SPANS {
            self.apply_all_pending()?;
        }
        Ok(())
    }

    fn handoff(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, FxHashMap<u64, Vec<EncodedSpan>>>, StorageError> {
        self.handoff
            .lock()
            .map_err(|_| internal("handoff lock poisoned"))
    }

    /// Applies pending index work: merges pending entries (up to about [`INDEX_PASS_SPANS`]
    /// spans) into one index entry per distinct (prefix, bucket), with their expiry lists, in one
    /// atomic batch. Returns true when pending entries remain beyond this pass.
    pub(crate) fn apply_pending(&self) -> Result<bool, StorageError> {
        let mut work = self
            .indexer
            .lock()
            .map_err(|_| internal("indexer lock poisoned"))?;
        work.clear();
        let mut applied = Vec::new();
        let mut span_count = 0;
        let mut more = false;
        for entry in self.pending.iter() {
            if span_count >= INDEX_PASS_SPANS {
                more = true;
                break;
            }
            let (key, value) = entry.into_inner().map_err(internal)?;
            let sequence = key
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .unwrap_or(u64::MAX);
            let handed = self.handoff()?.remove(&sequence);
            match handed {
                Some(spans) => {
                    for (span_key, span) in pending::span_keys(&value).zip(&spans) {
                        work.add_span(span_key, &span.view());
                    }
                }
                None => self.read_back(&value, &mut work)?,
            }
            span_count += value.len() / keys::SPAN_KEY_LEN;
            applied.push(key);
        }
        if applied.is_empty() {
            return Ok(false);
        }
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let mut expiry = std::mem::take(&mut work.expiry);
        if span_count >= INGEST_PASS_SPANS {
            self.ingest_index(&mut work, &mut expiry, sequence, &applied)?;
        } else {
            let mut batch = self.batch(work.posting_count() + expiry.len() + applied.len());
            work.groups(|prefix_hash, bucket, postings| {
                let key = keys::index_entry(prefix_hash, bucket, sequence);
                expiry.entry(bucket).or_default().push_index_key(&key);
                batch.insert(&self.index, key, postings);
            });
            self.add_expiry(&mut batch, &expiry, sequence);
            for key in &applied {
                batch.remove(&self.pending, key.clone());
            }
            batch.commit().map_err(internal)?;
        }
        expiry.clear();
        work.expiry = expiry;
        let _ = self
            .pending_spans
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                Some(count.saturating_sub(span_count as u64))
            });
        Ok(more)
    }

    /// Writes a large pass's index entries straight into a new table of the index keyspace
    /// (fjall's ingestion: no journal, no memtable, no flush; measured, most of the indexer's
    /// cost went there), in three steps that a crash between any two leaves consistent: the
    /// expiry lists naming the entries (deleting absent keys is harmless), then the table, then
    /// the removal of the pending entries (if that is lost, the spans are indexed again under a
    /// new sequence: duplicate postings only add candidates that queries check anyway).
    fn ingest_index(
        &self,
        work: &mut IndexWork,
        expiry: &mut FxHashMap<i64, keys::ExpiryBuilder>,
        sequence: u64,
        applied: &[fjall::UserKey],
    ) -> Result<(), StorageError> {
        let mut ingestion = self.index.start_ingestion().map_err(internal)?;
        let mut previous: Option<[u8; keys::INDEX_KEY_LEN]> = None;
        let mut failed = None;
        work.groups(|prefix_hash, bucket, postings| {
            let key = keys::index_entry(prefix_hash, bucket, sequence);
            if failed.is_some() {
                return;
            }
            // The groups come in key order; checked, since ingestion panics otherwise.
            if previous.is_some_and(|previous| key <= previous) {
                failed = Some(internal("index entries out of key order"));
                return;
            }
            previous = Some(key);
            expiry.entry(bucket).or_default().push_index_key(&key);
            if let Err(error) = ingestion.write(key, postings) {
                failed = Some(internal(error));
            }
        });
        if let Some(error) = failed {
            return Err(error);
        }
        let mut batch = self.batch(expiry.len());
        self.add_expiry(&mut batch, expiry, sequence);
        batch.commit().map_err(internal)?;
        ingestion.finish().map_err(internal)?;
        let mut batch = self.batch(applied.len());
        for key in applied {
            batch.remove(&self.pending, key.clone());
        }
        batch.commit().map_err(internal)
    }

    /// A write batch with room for `items`, handed to the operating system on commit.
    fn batch(&self, items: usize) -> fjall::OwnedWriteBatch {
        fjall::OwnedWriteBatch::with_capacity(self.db.clone(), items)
            .durability(Some(PersistMode::Buffer))
    }

    /// Adds one pass's expiry lists (one per bucket) to `batch`.
    fn add_expiry(
        &self,
        batch: &mut fjall::OwnedWriteBatch,
        expiry: &FxHashMap<i64, keys::ExpiryBuilder>,
        sequence: u64,
    ) {
        for (bucket, list) in expiry {
            batch.insert(
                &self.expiry,
                keys::expiry_key(*bucket, sequence),
                list.encode(),
            );
        }
    }

    /// Indexes the spans of a pending entry written before this opening, reading them back.
    /// A span that cannot be read back (absent or undecodable) cannot be indexed; skipping it
    /// loses only its index entries, never other spans'.
    fn read_back(&self, span_keys: &[u8], work: &mut IndexWork) -> Result<(), StorageError> {
        for span_key in pending::span_keys(span_keys) {
            let Some(stored) = self.spans.get(span_key).map_err(internal)? else {
                continue;
            };
            if let Some(view) = SpanView::parse(&stored) {
                work.add_span(span_key, &view);
            }
        }
        Ok(())
    }

    /// Applies every pending index entry (queries call this so they see every acknowledged write).
    pub(crate) fn apply_all_pending(&self) -> Result<(), StorageError> {
        while self.apply_pending()? {}
        Ok(())
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
        self.dependencies
            .insert(keys::dependencies_key(timestamp, sequence), value)
            .map_err(internal)
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
        batch.commit().map_err(internal)?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spur_model::api_v2::Process;
    use spur_storage::TraceQuery;

    #[test]
    fn work_pending_at_a_reopening_is_indexed_from_the_stored_spans() {
        let directory = std::env::temp_dir().join(format!("spur-reopen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let span = Span {
            trace_id: TraceId::new(0, 77).to_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            operation_name: "left-pending".into(),
            start_time: Some(spur_model::time::timestamp_from_micros(now_micros())),
            duration: Some(spur_model::time::duration_from_micros(1)),
            tags: vec![spur_model::api_v2::KeyValue::string("k", "v")],
            process: Some(Process {
                service_name: "reopen".into(),
                tags: Vec::new(),
            }),
            ..Default::default()
        };
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        store.write_spans(vec![span.clone()]).unwrap();
        // Closed with the work still pending: the reopened store has no handed-over spans.
        drop(store);
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        assert_eq!(store.pending.iter().count(), 1);
        let query = TraceQuery {
            service_name: "reopen".into(),
            tags: [("k".to_owned(), "v".to_owned())].into(),
            start_time_min: 0,
            start_time_max: i64::MAX,
            num_traces: 5,
            ..TraceQuery::default()
        };
        let found = store.find_traces(&query).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, vec![span]);
        assert_eq!(store.pending.iter().count(), 0);
        drop(store);
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn encoded_spans_are_stored_as_given_not_encoded_again() {
        let directory = std::env::temp_dir().join(format!("spur-as-given-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let span = Span {
            trace_id: TraceId::new(0, 5).to_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            start_time: Some(spur_model::time::timestamp_from_micros(now_micros())),
            duration: Some(spur_model::time::duration_from_micros(1)),
            process: Some(Process {
                service_name: "as-given".into(),
                tags: Vec::new(),
            }),
            ..Default::default()
        };
        // The operation name (field 3) after the process (field 10): valid protobuf, in an
        // order prost never writes, so only bytes kept as given read back this way.
        let mut bytes = span.encode_to_vec();
        bytes.extend_from_slice(&[0x1a, 2, b'o', b'p']);
        let named = Span {
            operation_name: "op".into(),
            ..span
        };
        assert_ne!(bytes, named.encode_to_vec());
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        let encoded = EncodedSpan::parse(Bytes::from(bytes.clone())).unwrap();
        store.write_encoded(vec![encoded]).unwrap();
        let stored: Vec<_> = store
            .spans
            .iter()
            .map(|entry| entry.into_inner().unwrap().1.to_vec())
            .collect();
        assert_eq!(stored, vec![bytes]);
        assert_eq!(store.get_trace(TraceId::new(0, 5)).unwrap(), vec![named]);
        drop(store);
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn a_large_pass_writes_its_index_as_a_table_and_a_small_one_through_the_memtable() {
        let directory = std::env::temp_dir().join(format!("spur-ingest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        let now = now_micros();
        let span = |index: u64| Span {
            trace_id: TraceId::new(7, index + 1).to_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            operation_name: "op".into(),
            // Spread over many one-second buckets, as a burst replayed from Kafka is.
            start_time: Some(spur_model::time::timestamp_from_micros(
                now - (index as i64 % 50) * 1_000_000,
            )),
            duration: Some(spur_model::time::duration_from_micros(1)),
            tags: vec![spur_model::api_v2::KeyValue::int64("n", index as i64)],
            process: Some(Process {
                service_name: "ingest".into(),
                tags: Vec::new(),
            }),
            ..Default::default()
        };
        let find = |store: &Store, index: u64| {
            let query = TraceQuery {
                service_name: "ingest".into(),
                tags: [("n".to_owned(), index.to_string())].into(),
                start_time_min: 0,
                start_time_max: i64::MAX,
                num_traces: 5,
                ..TraceQuery::default()
            };
            store.find_traces(&query).unwrap()
        };
        store.write_spans((0..10).map(span).collect()).unwrap();
        store.apply_all_pending().unwrap();
        assert_eq!(
            store.index.table_count(),
            0,
            "a small pass stays in the memtable"
        );
        assert_eq!(find(&store, 3)[0].1, vec![span(3)]);
        let large = INGEST_PASS_SPANS as u64 + 500;
        store
            .write_spans((10..10 + large).map(span).collect())
            .unwrap();
        store.apply_all_pending().unwrap();
        // The ingested table, and the memtable holding the small pass, flushed by the ingestion.
        assert_eq!(
            store.index.table_count(),
            2,
            "the large pass went to a table"
        );
        assert!(store.pending.iter().next().is_none());
        for index in [3, 10, 1_234, 9 + large] {
            assert_eq!(find(&store, index)[0].1, vec![span(index)], "span {index}");
        }
        // Every span is in an expiry list, and every index entry of the table too.
        let (mut span_keys, mut index_keys) = (0, 0);
        for entry in store.expiry.iter() {
            let list = keys::ExpiryList::decode(&entry.value().unwrap()).unwrap();
            span_keys += list.span_keys.len();
            index_keys += list.index_keys.len();
        }
        assert_eq!(span_keys as u64, 10 + large);
        assert_eq!(index_keys, store.index.len().unwrap());
        drop(store);
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn catalog_entries_are_written_once_per_opening() {
        let directory = std::env::temp_dir().join(format!("spur-catalog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let span = |index: u64, operation: &str| Span {
            trace_id: TraceId::new(3, index + 1).to_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            operation_name: operation.into(),
            start_time: Some(spur_model::time::timestamp_from_micros(now_micros())),
            duration: Some(spur_model::time::duration_from_micros(1)),
            process: Some(Process {
                service_name: "catalog".into(),
                tags: Vec::new(),
            }),
            ..Default::default()
        };
        // Memtable entries count every version written, so a name written again shows.
        let written = |store: &Store| {
            (
                store.services.approximate_len(),
                store.operations.approximate_len(),
            )
        };
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        store.write_spans(vec![span(1, "a"), span(2, "a")]).unwrap();
        assert_eq!(written(&store), (1, 1));
        store.write_spans(vec![span(3, "a")]).unwrap();
        assert_eq!(written(&store), (1, 1), "known names are not written again");
        store.write_spans(vec![span(4, "a"), span(5, "b")]).unwrap();
        assert_eq!(written(&store), (1, 2), "a new operation is");
        drop(store);
        // Reopened, the names are listed, and written once more at most.
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        store.write_spans(vec![span(6, "b")]).unwrap();
        let names: Vec<String> = store
            .operations(&OperationQuery {
                service_name: "catalog".into(),
                span_kind: None,
            })
            .unwrap()
            .into_iter()
            .map(|operation| operation.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(store.services().unwrap(), ["catalog"]);
        drop(store);
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn writers_apply_pending_work_when_the_indexer_falls_behind() {
        let directory = std::env::temp_dir().join(format!("spur-backlog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        // No background indexer runs here: only the writers' backpressure can apply the work.
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        let span = |index: u64| Span {
            trace_id: TraceId::new(0, index + 1).to_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            start_time: Some(spur_model::time::timestamp_from_micros(now_micros())),
            duration: Some(spur_model::time::duration_from_micros(1)),
            process: Some(Process {
                service_name: "backlog".into(),
                tags: Vec::new(),
            }),
            ..Default::default()
        };
        for index in 0..MAX_PENDING_SPANS - 1 {
            store.write_spans(vec![span(index)]).unwrap();
        }
        assert_eq!(
            store.pending.iter().count() as u64,
            MAX_PENDING_SPANS - 1,
            "below the bound"
        );
        assert_eq!(store.handoff().unwrap().len() as u64, MAX_PENDING_SPANS - 1);
        store.write_spans(vec![span(MAX_PENDING_SPANS)]).unwrap();
        assert_eq!(
            store.pending.iter().count(),
            0,
            "the writer applied the backlog"
        );
        assert!(
            store.handoff().unwrap().is_empty(),
            "handed-over spans freed"
        );
        drop(store);
        let _ = std::fs::remove_dir_all(&directory);
    }
}
