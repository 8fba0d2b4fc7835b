//! Opening a store written with an older index layout (see `keys::INDEX_FORMAT`): its index
//! is rebuilt from the stored spans.

use fjall::{Keyspace, PersistMode};
use spur_storage::StorageError;
use std::sync::atomic::Ordering;

use super::{INDEX_FORMAT, INDEX_PASS_SPANS, SWEEP_KEYS, Store, internal};
use crate::keys;

impl Store {
    /// Rebuilds the index of a store written with another index layout (see `keys`): deletes
    /// its index entries and queues every stored span as pending work, which the indexer then
    /// reads back and indexes. A new store is only marked with the current layout.
    pub(super) fn upgrade_index(&self, meta: &Keyspace) -> Result<(), StorageError> {
        let format = meta
            .get(INDEX_FORMAT)
            .map_err(internal)?
            .and_then(|value| value.as_ref().try_into().ok().map(u32::from_be_bytes));
        if format == Some(keys::INDEX_FORMAT) {
            return Ok(());
        }
        // In bounded batches; interrupted, the next opening starts over (re-queued spans are
        // then indexed twice, which queries do not show).
        let mut batch = self.db.batch().durability(Some(PersistMode::Buffer));
        for (n, entry) in self.index.iter().enumerate() {
            batch.remove(&self.index, entry.key().map_err(internal)?);
            if n % SWEEP_KEYS == SWEEP_KEYS - 1 {
                self.commit(std::mem::replace(&mut batch, self.db.batch()))?;
            }
        }
        let mut span_keys = Vec::new();
        for entry in self.spans.iter() {
            span_keys.extend_from_slice(&entry.key().map_err(internal)?);
            if span_keys.len() >= INDEX_PASS_SPANS * keys::SPAN_KEY_LEN {
                let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
                batch.insert(
                    &self.pending,
                    sequence.to_be_bytes(),
                    std::mem::take(&mut span_keys),
                );
                self.commit(std::mem::replace(&mut batch, self.db.batch()))?;
            }
        }
        if !span_keys.is_empty() {
            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
            batch.insert(&self.pending, sequence.to_be_bytes(), span_keys);
        }
        batch.insert(meta, INDEX_FORMAT, keys::INDEX_FORMAT.to_be_bytes());
        self.commit(batch)?;
        self.db.persist(PersistMode::SyncData).map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use fjall::KeyspaceCreateOptions;
    use spur_model::TraceId;
    use spur_model::api_v2::{KeyValue, Span};

    use super::super::tests::{TestDirectory, tag_query, test_span};
    use super::super::{INDEX_FORMAT, Store, now_micros};

    #[test]
    fn a_store_with_an_older_index_layout_is_reindexed_at_opening() {
        let directory = TestDirectory::new("upgrade");
        let span = |trace: u64| Span {
            operation_name: "old".into(),
            tags: vec![KeyValue::string("k", "v")],
            ..test_span(TraceId::new(0, trace), "upgrade", now_micros())
        };
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        store.write_spans(vec![span(1), span(2)]).unwrap();
        store.apply_all_pending().unwrap();
        // Make it look written by a build with layout 1: no format mark, index keys of another
        // shape, which this build's queries would never find.
        let meta = store
            .db
            .keyspace("meta", KeyspaceCreateOptions::default)
            .unwrap();
        meta.remove(INDEX_FORMAT).unwrap();
        drop(meta);
        for entry in store.index.iter() {
            store.index.remove(entry.key().unwrap()).unwrap();
        }
        let stale = [[1u8].as_slice(), b"\0\0\0\x07upgrade", &[0xff; 16]].concat();
        store.index.insert(stale.clone(), [7u8; 32]).unwrap();
        drop(store);

        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        assert!(
            store.index.get(&stale).unwrap().is_none(),
            "old entries gone"
        );
        assert_eq!(
            store
                .find_traces(&tag_query("upgrade", "k", "v"))
                .unwrap()
                .len(),
            2
        );
        drop(store);
        // Marked: the next opening does not queue the spans again.
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        assert_eq!(store.pending.iter().count(), 0);
        drop(store);
    }
}
