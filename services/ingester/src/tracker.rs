//! Which offsets may be committed: the ingester writes batches concurrently, and a partition's
//! offset moves only past messages whose spans are durably written and every message before
//! them. Each batch records, per partition, the last offset it holds; batches complete in any
//! order; the committable offset of a partition is one past the last offset of the longest
//! prefix of completed batches. A revoked partition is forgotten (completions of batches
//! dispatched before are then ignored); an assigned one starts afresh.

use std::collections::{BTreeMap, VecDeque};

/// A topic partition.
pub type Partition = i32;

/// A dispatched batch's id.
pub type BatchId = u64;

#[derive(Debug, Default)]
struct PartitionState {
    /// Dispatched, in order: (batch, last offset of this partition in it, done).
    pending: VecDeque<(BatchId, i64, bool)>,
    /// Next offset to commit (one past the last written), once something was written.
    committable: Option<i64>,
    /// What was last committed, so unchanged partitions are not committed again.
    committed: Option<i64>,
}

/// Per-partition written-offset bookkeeping.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: BTreeMap<Partition, PartitionState>,
    next_batch: BatchId,
}

impl OffsetTracker {
    /// Starts a batch holding, for each partition, messages up to `last_offsets[partition]`.
    /// Partitions not assigned (revoked meanwhile) are left out.
    pub fn dispatch(&mut self, last_offsets: &BTreeMap<Partition, i64>) -> BatchId {
        let id = self.next_batch;
        self.next_batch += 1;
        for (partition, last) in last_offsets {
            if let Some(state) = self.partitions.get_mut(partition) {
                state.pending.push_back((id, *last, false));
            }
        }
        id
    }

    /// Marks a batch written; advances the partitions it completes a prefix of.
    pub fn complete(&mut self, batch: BatchId) {
        for state in self.partitions.values_mut() {
            if let Some(entry) = state.pending.iter_mut().find(|entry| entry.0 == batch) {
                entry.2 = true;
            }
            while let Some(&(_, last, true)) = state.pending.front() {
                state.committable = Some(last + 1);
                state.pending.pop_front();
            }
        }
    }

    /// Partitions now owned.
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = Partition>) {
        for partition in partitions {
            self.partitions.insert(partition, PartitionState::default());
        }
    }

    /// Partitions no longer owned: their offsets to commit first (what was written), then
    /// forgotten.
    pub fn revoke(
        &mut self,
        partitions: impl IntoIterator<Item = Partition>,
    ) -> Vec<(Partition, i64)> {
        let mut last = Vec::new();
        for partition in partitions {
            if let Some(state) = self.partitions.remove(&partition)
                && let Some(offset) = state.committable
                && state.committed != Some(offset)
            {
                last.push((partition, offset));
            }
        }
        last
    }

    /// Offsets that moved since the last call, marked as committed.
    pub fn to_commit(&mut self) -> Vec<(Partition, i64)> {
        let mut moved = Vec::new();
        for (partition, state) in &mut self.partitions {
            if let Some(offset) = state.committable
                && state.committed != Some(offset)
            {
                state.committed = Some(offset);
                moved.push((*partition, offset));
            }
        }
        moved
    }

    /// Batches dispatched and not yet written, over all partitions.
    pub fn pending_batches(&self) -> usize {
        let mut ids: Vec<BatchId> = self
            .partitions
            .values()
            .flat_map(|state| state.pending.iter().filter(|e| !e.2).map(|e| e.0))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(pairs: &[(Partition, i64)]) -> BTreeMap<Partition, i64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn only_a_written_prefix_is_committed() {
        let mut tracker = OffsetTracker::default();
        tracker.assign([0, 1]);
        let first = tracker.dispatch(&offsets(&[(0, 9), (1, 4)]));
        let second = tracker.dispatch(&offsets(&[(0, 19)]));
        let third = tracker.dispatch(&offsets(&[(0, 29), (1, 7)]));
        assert!(tracker.to_commit().is_empty());
        // The second finishing first moves nothing: the first is still being written.
        tracker.complete(second);
        assert!(tracker.to_commit().is_empty());
        tracker.complete(first);
        assert_eq!(tracker.to_commit(), vec![(0, 20), (1, 5)]);
        assert!(tracker.to_commit().is_empty(), "nothing moved since");
        tracker.complete(third);
        assert_eq!(tracker.to_commit(), vec![(0, 30), (1, 8)]);
        assert_eq!(tracker.pending_batches(), 0);
    }

    #[test]
    fn a_revoked_partition_gives_its_written_offset_then_is_forgotten() {
        let mut tracker = OffsetTracker::default();
        tracker.assign([0, 1]);
        let first = tracker.dispatch(&offsets(&[(0, 9), (1, 4)]));
        let second = tracker.dispatch(&offsets(&[(0, 19)]));
        tracker.complete(first);
        assert_eq!(tracker.revoke([0]), vec![(0, 10)]);
        // Completing a batch of a revoked partition commits nothing for it.
        tracker.complete(second);
        assert_eq!(tracker.to_commit(), vec![(1, 5)]);
        // Reassigned: starts afresh, from what the group committed.
        tracker.assign([0]);
        let third = tracker.dispatch(&offsets(&[(0, 24)]));
        tracker.complete(third);
        assert_eq!(tracker.to_commit(), vec![(0, 25)]);
    }

    #[test]
    fn unassigned_partitions_are_ignored() {
        let mut tracker = OffsetTracker::default();
        tracker.assign([1]);
        let batch = tracker.dispatch(&offsets(&[(0, 3), (1, 3)]));
        tracker.complete(batch);
        assert_eq!(tracker.to_commit(), vec![(1, 4)]);
    }
}
