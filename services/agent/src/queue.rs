//! The reporter's queue: encoded batches waiting to be sent, bounded in spans. When a new batch
//! does not fit, the oldest batches are dropped to make room (fresh spans are worth more than old
//! ones while the collectors are away) and the caller counts them. Workers take up to a number of
//! spans at once, waiting a short linger for a batch to fill; batches of the same process are
//! merged so one PostSpans call carries them all.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::wire::{EncodedBatch, Outgoing};

/// A bounded queue of batches, counted in spans.
pub struct SpanQueue {
    capacity_spans: usize,
    state: Mutex<State>,
    added: Notify,
}

#[derive(Default)]
struct State {
    batches: VecDeque<EncodedBatch>,
    spans: usize,
    closed: bool,
}

/// What a push displaced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub batches: usize,
    pub spans: usize,
}

impl SpanQueue {
    pub fn new(capacity_spans: usize) -> SpanQueue {
        SpanQueue {
            capacity_spans: capacity_spans.max(1),
            state: Mutex::new(State::default()),
            added: Notify::new(),
        }
    }

    /// Queues `batch`, dropping the oldest batches when it would not fit (or `batch` itself,
    /// when it alone exceeds the capacity, or when the queue is closed).
    pub fn push(&self, batch: EncodedBatch) -> Dropped {
        let spans = batch.span_count;
        let mut dropped = Dropped::default();
        {
            let mut state = self.lock();
            if state.closed || spans > self.capacity_spans {
                return Dropped { batches: 1, spans };
            }
            while state.spans + spans > self.capacity_spans {
                let Some(oldest) = state.batches.pop_front() else {
                    break;
                };
                state.spans -= oldest.span_count;
                dropped.batches += 1;
                dropped.spans += oldest.span_count;
            }
            state.spans += spans;
            state.batches.push_back(batch);
        }
        self.added.notify_one();
        dropped
    }

    /// Waits for work and takes up to `max_spans` spans (at least one whole batch), waiting up to
    /// `linger` after the first batch for more to arrive; batches of one process are merged.
    /// `None` once the queue is closed and empty.
    pub async fn take(&self, max_spans: usize, linger: Duration) -> Option<Vec<Outgoing>> {
        let mut deadline: Option<Instant> = None;
        loop {
            let added = self.added.notified();
            {
                let state = self.lock();
                if state.batches.is_empty() {
                    if state.closed {
                        return None;
                    }
                } else {
                    let due = *deadline.get_or_insert_with(|| Instant::now() + linger);
                    if state.spans >= max_spans || state.closed || Instant::now() >= due {
                        drop(state);
                        return Some(self.pop(max_spans));
                    }
                }
            }
            match deadline {
                Some(due) => {
                    tokio::select! {
                        _ = added => {}
                        _ = tokio::time::sleep_until(due) => {}
                    }
                }
                None => added.await,
            }
        }
    }

    fn pop(&self, max_spans: usize) -> Vec<Outgoing> {
        // (process entry, span parts, spans), in first-seen order.
        let mut groups: Vec<(bytes::Bytes, Vec<bytes::Bytes>, usize)> = Vec::new();
        let mut count = 0;
        {
            let mut state = self.lock();
            while let Some(next) = state.batches.front() {
                let spans = next.span_count;
                if count > 0 && count + spans > max_spans {
                    break;
                }
                let Some(batch) = state.batches.pop_front() else {
                    break;
                };
                state.spans -= spans;
                count += spans;
                match groups.iter_mut().find(|group| group.0 == batch.process) {
                    Some(group) => {
                        group.1.push(batch.spans);
                        group.2 += spans;
                    }
                    None => groups.push((batch.process, vec![batch.spans], spans)),
                }
            }
        }
        // Another worker may take what is left at once.
        self.added.notify_one();
        groups
            .iter()
            .map(|(process, parts, spans)| Outgoing::new(process, parts, *spans))
            .collect()
    }

    /// No more pushes; `take` hands out what is left, then `None`.
    pub fn close(&self) {
        self.lock().closed = true;
        self.added.notify_waiters();
        self.added.notify_one();
    }

    /// Empties the queue, giving the spans it held.
    pub fn clear(&self) -> usize {
        let mut state = self.lock();
        state.batches.clear();
        std::mem::take(&mut state.spans)
    }

    /// Spans queued now.
    pub fn spans(&self) -> usize {
        self.lock().spans
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent (no await, no
        // partial update that matters), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use spur_model::api_v2::{Batch, PostSpansRequest, Process, Span};

    fn batch(service: &str, spans: usize) -> EncodedBatch {
        EncodedBatch::encode(&Batch {
            spans: vec![Span::default(); spans],
            process: Some(Process {
                service_name: service.to_owned(),
                tags: Vec::new(),
            }),
        })
    }

    fn decoded(outgoing: &Outgoing) -> Batch {
        PostSpansRequest::decode(outgoing.body.clone())
            .unwrap()
            .batch
            .unwrap()
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_oldest_batches() {
        let queue = SpanQueue::new(10);
        assert_eq!(queue.push(batch("a", 4)), Dropped::default());
        assert_eq!(queue.push(batch("b", 4)), Dropped::default());
        assert_eq!(
            queue.push(batch("c", 4)),
            Dropped {
                batches: 1,
                spans: 4
            }
        );
        assert_eq!(queue.spans(), 8);
        assert_eq!(
            queue.push(batch("huge", 11)),
            Dropped {
                batches: 1,
                spans: 11
            }
        );
        let taken = queue.take(100, Duration::ZERO).await.unwrap();
        let services: Vec<_> = taken
            .iter()
            .map(|o| decoded(o).process.unwrap().service_name)
            .collect();
        assert_eq!(services, ["b", "c"]);
    }

    #[tokio::test]
    async fn takes_merge_one_process_and_respect_the_size() {
        let queue = SpanQueue::new(1_000);
        for service in ["a", "b", "a", "a"] {
            queue.push(batch(service, 3));
        }
        let taken = queue.take(9, Duration::ZERO).await.unwrap();
        assert_eq!(taken.len(), 2, "a and b");
        assert_eq!(
            (taken[0].span_count, decoded(&taken[0]).spans.len()),
            (6, 6)
        );
        assert_eq!(
            (taken[1].span_count, decoded(&taken[1]).spans.len()),
            (3, 3)
        );
        assert_eq!(queue.spans(), 3, "the fourth batch did not fit in 9 spans");
    }

    #[tokio::test(start_paused = true)]
    async fn a_small_batch_waits_for_the_linger_then_goes() {
        let queue = std::sync::Arc::new(SpanQueue::new(1_000));
        queue.push(batch("a", 1));
        let started = Instant::now();
        let taken = queue.take(100, Duration::from_millis(50)).await.unwrap();
        assert_eq!(taken[0].span_count, 1);
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        // A full batch goes at once.
        queue.push(batch("a", 100));
        let started = Instant::now();
        queue.take(100, Duration::from_secs(5)).await.unwrap();
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_closed_queue_hands_out_the_rest_then_ends() {
        let queue = SpanQueue::new(100);
        queue.push(batch("a", 2));
        queue.close();
        assert_eq!(
            queue.push(batch("late", 1)),
            Dropped {
                batches: 1,
                spans: 1
            }
        );
        assert_eq!(
            queue.take(10, Duration::from_secs(60)).await.unwrap().len(),
            1
        );
        assert!(queue.take(10, Duration::from_secs(60)).await.is_none());
    }
}
