//! Memtable rotation done by the store's writers, so that fjall's single background worker can
//! never block itself.
//!
//! fjall 3.1 asks its workers to rotate a keyspace's memtable from every write committed while
//! that memtable is over its size, on a bounded channel (1,000 messages) that a worker also
//! sends to, blocking, when it rotates. With one worker busy flushing or compacting, a burst of
//! small writes fills the channel; the worker then blocks sending to itself for good: nothing
//! is flushed again and the memtables grow without bound (reproduced with fjall alone, and by
//! the test below). With more workers, worker 0 spins re-sending compaction requests while
//! another compacts, which took half the store's CPU on two cores.
//!
//! So the store runs fjall with one worker and rotates memtables itself: every write goes
//! through a [`Batch`], which counts the bytes it adds to each [`Tree`] as fjall counts them;
//! the write that takes a tree past its rotation size rotates the memtable (one flush request).
//! fjall's own limit is set twice as high, so it never asks. While the worker is busy, sealed
//! memtables pile up to fjall's halt (four), which bounds memory and the requests sent.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, OwnedWriteBatch, PersistMode};

/// What fjall adds to a memtable entry's key and value when it sizes the memtable (its internal
/// value: two byte views, a sequence number and a type). Counted high rather than low: a
/// memtable is then rotated a little early, never after fjall's own limit.
const ENTRY_OVERHEAD: u64 = 64;

/// A keyspace whose memtable the store's writers rotate at `rotate_at` bytes.
pub(crate) struct Tree {
    keyspace: Keyspace,
    /// Bytes written to the active memtable, as fjall counts them (an estimate from above).
    written: AtomicU64,
    /// Set while one writer rotates the memtable.
    rotating: AtomicBool,
    rotate_at: u64,
}

impl Tree {
    /// Opens (or creates) keyspace `name`, rotated at `rotate_at` bytes; `options` gives the rest.
    pub(crate) fn open(
        db: &Database,
        name: &str,
        rotate_at: u64,
        options: impl FnOnce() -> KeyspaceCreateOptions,
    ) -> fjall::Result<Tree> {
        let keyspace = db.keyspace(name, || {
            options().max_memtable_size(rotate_at.saturating_mul(2))
        })?;
        Ok(Tree {
            keyspace,
            written: AtomicU64::new(0),
            rotating: AtomicBool::new(false),
            rotate_at,
        })
    }

    /// Counts `bytes` committed to the active memtable; once past the rotation size, one writer
    /// rotates it. Bytes committed meanwhile stay counted toward the next memtable (early, never
    /// late), and a count still past the size after a rotation makes the next write rotate again.
    fn added(&self, bytes: u64) -> fjall::Result<()> {
        let after = self
            .written
            .fetch_add(bytes, Ordering::AcqRel)
            .saturating_add(bytes);
        if after < self.rotate_at || self.rotating.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let counted = self.written.load(Ordering::Acquire);
        let rotated = self.keyspace.rotate_memtable();
        self.written.fetch_sub(counted, Ordering::AcqRel);
        self.rotating.store(false, Ordering::Release);
        rotated.map(|_| ())
    }
}

impl Deref for Tree {
    type Target = Keyspace;

    fn deref(&self) -> &Keyspace {
        &self.keyspace
    }
}

/// An atomic write batch over [`Tree`]s that counts what it adds to each.
pub(crate) struct Batch<'t> {
    inner: OwnedWriteBatch,
    /// Bytes added per tree (a batch touches a few trees: a short list beats a map).
    added: Vec<(&'t Tree, u64)>,
}

impl<'t> Batch<'t> {
    /// A batch with room for `items`, handed to the operating system on commit.
    pub(crate) fn new(db: &Database, items: usize) -> Batch<'t> {
        Batch {
            inner: OwnedWriteBatch::with_capacity(db.clone(), items)
                .durability(Some(PersistMode::Buffer)),
            added: Vec::with_capacity(4),
        }
    }

    pub(crate) fn insert(
        &mut self,
        tree: &'t Tree,
        key: impl Into<fjall::UserKey>,
        value: impl Into<fjall::UserValue>,
    ) {
        let (key, value) = (key.into(), value.into());
        self.count(tree, key.len() + value.len());
        self.inner.insert(&tree.keyspace, key, value);
    }

    pub(crate) fn remove(&mut self, tree: &'t Tree, key: impl Into<fjall::UserKey>) {
        let key = key.into();
        self.count(tree, key.len());
        self.inner.remove(&tree.keyspace, key);
    }

    fn count(&mut self, tree: &'t Tree, bytes: usize) {
        let bytes = bytes as u64 + ENTRY_OVERHEAD;
        match self
            .added
            .iter_mut()
            .find(|(seen, _)| std::ptr::eq(*seen, tree))
        {
            Some((_, total)) => *total += bytes,
            None => self.added.push((tree, bytes)),
        }
    }

    /// Commits the batch, then rotates the memtables it filled.
    pub(crate) fn commit(self) -> fjall::Result<()> {
        self.inner.commit()?;
        for (tree, bytes) in self.added {
            tree.added(bytes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::TestDirectory;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// A database with one worker, as the store opens it.
    fn one_worker(directory: &TestDirectory) -> Database {
        Database::builder(&**directory)
            .worker_threads(1)
            .open()
            .unwrap()
    }

    /// A keyspace of `db` rotated at `rotate_at` bytes.
    fn tree(db: &Database, name: &str, rotate_at: u64) -> Tree {
        Tree::open(db, name, rotate_at, KeyspaceCreateOptions::default).unwrap()
    }

    /// The hang this module prevents: the one worker is kept busy flushing a large memtable
    /// while four threads commit small writes to another keyspace, well past its memtable size.
    /// Rotated by fjall, every such write queues a request and the worker then blocks for good
    /// (its flushes never come back); rotated here, the small keyspace is flushed again.
    #[test]
    fn small_writes_while_the_worker_is_busy_never_stop_the_flushes() {
        let directory = TestDirectory::new("memtables-busy");
        let db = one_worker(&directory);
        let busy = tree(&db, "busy", 256 << 20);
        let small = Arc::new(tree(&db, "small", 256 << 10));
        let value = vec![7u8; 500];
        for i in 0..60_000u64 {
            busy.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes(), &value)
                .unwrap();
        }
        busy.rotate_memtable().unwrap();

        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4u64)
            .map(|thread| {
                let (db, small, stop) = (db.clone(), Arc::clone(&small), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut written = 0u64;
                    while !stop.load(Ordering::Relaxed) && written < 100_000 {
                        let mut batch = Batch::new(&db, 1);
                        batch.insert(&small, (thread << 56 | written).to_be_bytes(), [1u8; 100]);
                        batch.commit().unwrap();
                        written += 1;
                    }
                    written
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        let written: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        // Far more than a memtable's worth, and more than fjall's 1,000 queued requests.
        assert!(
            written * 200 > 4 * (256 << 10) && written > 2_000,
            "{written} writes"
        );

        let deadline = Instant::now() + Duration::from_secs(30);
        while db.outstanding_flushes() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let outstanding = db.outstanding_flushes();
        if outstanding > 0 {
            // A blocked worker would also block closing the database: fail without closing it.
            std::mem::forget((db, busy, small));
            panic!("the worker stopped flushing: {outstanding} flushes outstanding");
        }
        // Everything sealed was flushed (tables may since have been merged): what stays in
        // memory is the small keyspace's active memtable, under fjall's own limit.
        assert_eq!(small.sealed_memtable_count(), 0);
        assert!(small.table_count() >= 1 && busy.table_count() >= 1);
        assert!(
            db.write_buffer_size() < 2 * (256 << 10),
            "{} bytes in memtables",
            db.write_buffer_size()
        );
    }

    #[test]
    fn a_tree_is_rotated_once_its_writes_reach_the_rotation_size() {
        let directory = TestDirectory::new("memtables-rotated");
        let db = one_worker(&directory);
        let keyspace = tree(&db, "tree", 64 << 10);
        // 100 + 8 + 64 bytes counted per entry: 381 entries stay under 64 KiB, 382 cross it.
        for i in 0..381u64 {
            let mut batch = Batch::new(&db, 1);
            batch.insert(&keyspace, i.to_be_bytes(), [0u8; 100]);
            batch.commit().unwrap();
        }
        assert_eq!(keyspace.sealed_memtable_count() + keyspace.table_count(), 0);
        let mut batch = Batch::new(&db, 2);
        batch.insert(&keyspace, 381u64.to_be_bytes(), [0u8; 100]);
        batch.remove(&keyspace, 0u64.to_be_bytes());
        batch.commit().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while keyspace.table_count() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            keyspace.table_count(),
            1,
            "the crossing write rotated the memtable"
        );
        assert_eq!(keyspace.written.load(Ordering::Acquire), 0);
        assert_eq!(
            keyspace.get(1u64.to_be_bytes()).unwrap().as_deref(),
            Some(&[0u8; 100][..])
        );
        assert!(keyspace.get(0u64.to_be_bytes()).unwrap().is_none());
    }
}
