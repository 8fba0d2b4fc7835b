//! When the store's memtables are rotated: by the store, not by fjall.
//!
//! fjall (3.1.13) asks its workers to rotate a memtable on every write that leaves it over its
//! size, through a bounded channel (1,000 messages) on which the rotating worker also sends its
//! flush request, blocking. With one worker busy flushing or compacting, a burst of writes over
//! the size fills the channel and the worker then waits on itself for good. One worker is what
//! fjall runs on one core, and what the store asks for: with more, the spare workers spin on
//! compaction requests while one compacts.
//!
//! So the store rotates each keyspace itself once its active memtable reaches half of fjall's
//! size, one rotation at a time per keyspace, and fjall never has cause to ask. A rotation can
//! stay blocked in fjall while the worker is busy (it takes locks the worker holds); writers then
//! wait before committing while the keyspace's new memtable is past three quarters of fjall's
//! size, so only writes already committing can take it over, and the channel never fills.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fjall::{AbstractTree, Keyspace};

/// fjall's own memtable size is this many times the store's rotation size.
pub(super) const FJALL_SIZE_FACTOR: u64 = 2;
/// How often a waiting writer looks again.
const WAIT_STEP: Duration = Duration::from_millis(1);
/// A writer waiting this long says so in the log (and keeps waiting: going on could block
/// fjall's worker for good).
const WAIT_WARNING: Duration = Duration::from_secs(10);

/// The store's keyspaces and when each is rotated.
#[derive(Default)]
pub(super) struct Memtables {
    watched: Vec<Watched>,
}

struct Watched {
    keyspace: Keyspace,
    /// The active memtable is rotated once it holds this many bytes.
    rotate_at: u64,
    /// A rotation of this keyspace is under way.
    rotating: AtomicBool,
}

impl Watched {
    fn active_bytes(&self) -> u64 {
        self.keyspace.tree.active_memtable().size()
    }

    /// Writers wait while a rotation is under way and the active memtable holds this many bytes
    /// (three quarters of fjall's size).
    fn wait_at(&self) -> u64 {
        self.rotate_at + self.rotate_at / 2
    }
}

impl Memtables {
    /// Rotates `keyspace` once its active memtable holds `rotate_at` bytes; fjall's own size
    /// for it must be at least [`FJALL_SIZE_FACTOR`] times that.
    pub(super) fn watch(&mut self, keyspace: &Keyspace, rotate_at: u64) {
        self.watched.push(Watched {
            keyspace: keyspace.clone(),
            rotate_at,
            rotating: AtomicBool::new(false),
        });
    }

    /// The rotation size of the keyspace named `name`.
    #[cfg(test)]
    pub(super) fn rotate_at(&self, name: &str) -> Option<u64> {
        self.watched
            .iter()
            .find(|watched| &**watched.keyspace.name() == name)
            .map(|watched| watched.rotate_at)
    }

    /// Waits while a keyspace's rotation is under way and its new memtable has filled up to the
    /// waiting size. Ends as fjall's worker gets on, which never waits for writers.
    pub(super) fn before_commit(&self) {
        for watched in &self.watched {
            let started = Instant::now();
            let mut warned = false;
            while watched.rotating.load(Ordering::Acquire)
                && watched.active_bytes() >= watched.wait_at()
            {
                if !warned && started.elapsed() >= WAIT_WARNING {
                    tracing::warn!(
                        keyspace = %watched.keyspace.name(),
                        "writes have waited 10 s for a memtable rotation (the store is flushing or compacting)"
                    );
                    warned = true;
                }
                std::thread::sleep(WAIT_STEP);
            }
        }
    }

    /// Rotates every keyspace whose active memtable reached its rotation size, unless a rotation
    /// of it is already under way. Called after each commit.
    pub(super) fn after_commit(&self) -> fjall::Result<()> {
        for watched in &self.watched {
            if watched.active_bytes() < watched.rotate_at
                || watched.rotating.swap(true, Ordering::AcqRel)
            {
                continue;
            }
            let rotated = watched.keyspace.rotate_memtable();
            watched.rotating.store(false, Ordering::Release);
            rotated?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::TestDirectory;
    use fjall::{Database, KeyspaceCreateOptions, PersistMode};
    use std::sync::Arc;

    /// A database with one worker, as the store opens it.
    fn one_worker(directory: &TestDirectory) -> Database {
        Database::builder(&**directory)
            .worker_threads(1)
            .open()
            .unwrap()
    }

    fn keyspace(db: &Database, name: &str, fjall_size: u64) -> Keyspace {
        db.keyspace(name, || {
            KeyspaceCreateOptions::default().max_memtable_size(fjall_size)
        })
        .unwrap()
    }

    /// A keyspace of `db` that fjall sizes at `fjall_size`, watched to rotate at `rotate_at`.
    fn watched(
        db: &Database,
        name: &str,
        fjall_size: u64,
        rotate_at: u64,
    ) -> (Keyspace, Memtables) {
        let opened = keyspace(db, name, fjall_size);
        let mut memtables = Memtables::default();
        memtables.watch(&opened, rotate_at);
        (opened, memtables)
    }

    /// Commits one small write as the store does: waiting, committing, rotating.
    fn write(db: &Database, memtables: &Memtables, keyspace: &Keyspace, key: u64) {
        memtables.before_commit();
        let mut batch = db.batch().durability(Some(PersistMode::Buffer));
        batch.insert(keyspace, key.to_be_bytes(), [1u8; 100]);
        batch.commit().unwrap();
        memtables.after_commit().unwrap();
    }

    /// The hang this module prevents: the one worker is kept busy flushing a large memtable
    /// while four threads commit small writes to another keyspace, far past its memtable size.
    /// Rotated by fjall, every such write queues a request and the worker can block for good
    /// (no flush comes back); rotated by the store, the small keyspace is flushed again.
    #[test]
    fn small_writes_while_the_worker_is_busy_never_stop_the_flushes() {
        let directory = TestDirectory::new("memtables-busy");
        let db = one_worker(&directory);
        let busy = keyspace(&db, "busy", 512 << 20);
        let (small, memtables) = watched(&db, "small", 256 << 10, 128 << 10);
        let memtables = Arc::new(memtables);
        let value = vec![7u8; 500];
        for i in 0..60_000u64 {
            busy.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes(), &value)
                .unwrap();
        }
        busy.rotate_memtable().unwrap();

        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4u64)
            .map(|thread| {
                let (db, small, memtables, stop) = (
                    db.clone(),
                    small.clone(),
                    Arc::clone(&memtables),
                    Arc::clone(&stop),
                );
                std::thread::spawn(move || {
                    let mut written = 0u64;
                    while !stop.load(Ordering::Relaxed) && written < 100_000 {
                        write(&db, &memtables, &small, thread << 56 | written);
                        written += 1;
                    }
                    written
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        let written: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        // More than fjall's 1,000 queued requests, and several memtables' worth.
        assert!(written > 2_000, "{written} writes");

        // Flushes queued or under way.
        let unflushed = || db.outstanding_flushes() + small.sealed_memtable_count();
        let deadline = Instant::now() + Duration::from_secs(60);
        while unflushed() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let unflushed = unflushed();
        if unflushed > 0 {
            // A blocked worker would also block closing the database: fail without closing it.
            std::mem::forget((db, busy, small, memtables));
            panic!("the worker stopped flushing: {unflushed} memtables unflushed");
        }
        assert!(small.table_count() >= 1 && busy.table_count() >= 1);
        assert!(
            db.write_buffer_size() < 256 << 10,
            "{} bytes in memtables",
            db.write_buffer_size()
        );
    }

    #[test]
    fn a_keyspace_is_rotated_once_it_reaches_half_of_fjall_size() {
        let directory = TestDirectory::new("memtables-rotated");
        let db = one_worker(&directory);
        let (watched, memtables) = watched(&db, "watched", 128 << 10, 64 << 10);
        let mut key = 0;
        while watched.tree.active_memtable().size() + 200 < 64 << 10 {
            write(&db, &memtables, &watched, key);
            key += 1;
        }
        assert_eq!(watched.sealed_memtable_count() + watched.table_count(), 0);
        while watched.sealed_memtable_count() + watched.table_count() == 0 {
            assert!(key < 1_000, "not rotated after {key} writes");
            write(&db, &memtables, &watched, key);
            key += 1;
        }
        // Rotated by the store at 64 KiB, long before fjall would at 128 KiB.
        assert!(watched.tree.active_memtable().size() < 1 << 10);
        assert!(key * 100 < 100 << 10, "{key} writes");
        assert_eq!(
            watched.get(0u64.to_be_bytes()).unwrap().as_deref(),
            Some(&[1u8; 100][..])
        );
    }

    #[test]
    fn writers_wait_while_a_rotation_is_under_way_and_the_memtable_is_full() {
        let directory = TestDirectory::new("memtables-wait");
        let db = one_worker(&directory);
        let (watched, memtables) = watched(&db, "watched", 1 << 20, 32 << 10);
        let memtables = Arc::new(memtables);
        // Past the waiting size (48 KiB) without rotating: written straight to fjall.
        let mut key = 0u64;
        while watched.tree.active_memtable().size() < 48 << 10 {
            watched.insert(key.to_be_bytes(), [2u8; 100]).unwrap();
            key += 1;
        }
        // Not rotating: a writer goes on.
        memtables.before_commit();

        memtables.watched[0].rotating.store(true, Ordering::Release);
        let waiter = {
            let memtables = Arc::clone(&memtables);
            std::thread::spawn(move || {
                memtables.before_commit();
                Instant::now()
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !waiter.is_finished(),
            "a writer went on during the rotation"
        );
        let released = Instant::now();
        memtables.watched[0]
            .rotating
            .store(false, Ordering::Release);
        assert!(waiter.join().unwrap() >= released);
    }
}
