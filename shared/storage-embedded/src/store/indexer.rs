//! Applying pending index work: passes that merge the postings of many writes into one index
//! entry per (prefix, bucket), written through a batch or, for a large pass, as one ingested
//! table, with the expiry lists that let retention delete them.

use std::sync::atomic::Ordering;

use rustc_hash::FxHashMap;
use spur_model::span_view::SpanView;
use spur_storage::StorageError;

use super::{INDEX_PASS_SPANS, INGEST_PASS_SPANS, Store, internal};
use crate::keys;
use crate::pending::{self, IndexWork};

impl Store {
    /// Applies pending index work: merges pending entries (up to about [`INDEX_PASS_SPANS`]
    /// spans) into one index entry per distinct (prefix, bucket) for postings and one for process
    /// references, with their expiry lists: in one
    /// atomic batch, or for a large pass in the three steps of [`Store::ingest_index`]. Returns
    /// true when pending entries remain beyond this pass.
    pub(crate) fn apply_pending(&self) -> Result<bool, StorageError> {
        let mut work = self.indexer()?;
        self.apply_pending_pass(&mut work)
    }

    /// Writers' backpressure: applies passes while at least `bound` spans wait. A writer that
    /// waited for the indexer while another applied a pass finds the backlog under the bound
    /// and goes on, leaving what arrived meanwhile for a later, full pass.
    pub(crate) fn apply_pending_over(&self, bound: u64) -> Result<(), StorageError> {
        let mut work = self.indexer()?;
        while self.pending_spans.load(Ordering::Relaxed) >= bound {
            if !self.apply_pending_pass(&mut work)? {
                break;
            }
        }
        Ok(())
    }

    fn indexer(&self) -> Result<std::sync::MutexGuard<'_, IndexWork>, StorageError> {
        self.indexer
            .lock()
            .map_err(|_| internal("indexer lock poisoned"))
    }

    /// One pass of [`Store::apply_pending`], with the indexer's lock held.
    fn apply_pending_pass(&self, work: &mut IndexWork) -> Result<bool, StorageError> {
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
                None => self.read_back(&value, work)?,
            }
            span_count += value.len() / keys::SPAN_KEY_LEN;
            applied.push(key);
        }
        if applied.is_empty() {
            return Ok(false);
        }
        // Two sequence numbers: postings' keys end with the first, references' with the second.
        let sequence = self.sequence.fetch_add(2, Ordering::Relaxed);
        let mut expiry = std::mem::take(&mut work.expiry);
        if span_count >= INGEST_PASS_SPANS {
            self.ingest_index(work, &mut expiry, sequence, &applied)?;
        } else {
            let mut batch = self.batch(work.entry_count() + expiry.len() + applied.len());
            work.groups(sequence, |key, bucket, value| {
                expiry.entry(bucket).or_default().push_index_key(&key);
                batch.insert(&self.index, key, value);
            });
            self.add_expiry(&mut batch, &expiry, sequence);
            self.remove_applied(&mut batch, &applied);
            self.commit(batch)?;
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
        work.groups(sequence, |key, bucket, value| {
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
            if let Err(error) = ingestion.write(key, value) {
                failed = Some(internal(error));
            }
        });
        if let Some(error) = failed {
            return Err(error);
        }
        let mut batch = self.batch(expiry.len());
        self.add_expiry(&mut batch, expiry, sequence);
        self.commit(batch)?;
        ingestion.finish().map_err(internal)?;
        let mut batch = self.batch(applied.len());
        self.remove_applied(&mut batch, applied);
        self.commit(batch)
    }

    /// Adds the removal of a pass's applied pending entries to `batch`.
    fn remove_applied(&self, batch: &mut fjall::OwnedWriteBatch, applied: &[fjall::UserKey]) {
        for key in applied {
            batch.remove(&self.pending, key.clone());
        }
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
}
