//! Writing spans: each write is one atomic batch of the spans (their bytes as given), the
//! catalog names not stored yet, and one pending index entry; the spans are then handed to the
//! indexer in memory.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use prost::Message;
use rustc_hash::FxHashSet;
use spur_model::api_v2::Span;
use spur_model::span_view::EncodedSpan;
use spur_storage::StorageError;

use super::{CATALOG_KEYS, MAX_PENDING_SPANS, Store, internal};
use crate::keys;

/// Service names and operations keys (as the catalog keyspaces hold them).
#[derive(Debug, Default)]
pub(super) struct Catalog {
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

impl Store {
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
                batch.insert(&self.operations, operation_key.as_slice(), []);
                fresh.operations.insert(operation_key.clone());
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
        if let Err(error) = self.commit(batch) {
            // Spans committed before the error (a failed memtable rotation) are read back by
            // the indexer instead.
            self.handoff()?.remove(&sequence);
            return Err(error);
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
            self.apply_pending_over(MAX_PENDING_SPANS)?;
        }
        Ok(())
    }
}
