//! The ingester's loop: a consumer group member reading the span topic, gathering messages into
//! batches (by size and linger), writing batches concurrently, and committing for each
//! partition only the offsets whose messages are written, with everything before them
//! ([`OffsetTracker`]). When `parallelism` messages are read and not yet written, reading
//! stops until writes complete (librdkafka's prefetch queue is bounded); when that lasts
//! [`PAUSE_AFTER`] (storage slow or down) the partitions are paused too, so the consumer can keep
//! polling (and stay in the group) with memory bounded; they resume when writes complete.
//! Pausing is kept for long stalls only: librdkafka drops its prefetched messages on a pause and
//! fetches them again on resume, which costs a round trip each time. On a rebalance the
//! revoked partitions' written offsets are committed before they go. On shutdown: stop reading,
//! finish the batches being written within the deadline, commit, leave.

use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use spur_storage::Bytes;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::IngesterConfig;
use crate::metrics::*;
use crate::tracker::{BatchId, OffsetTracker};
use crate::write::{Destination, Outcome, Payload, write_batch};

/// At most this many messages are taken from librdkafka's queue at once.
const BURST: usize = 512;

/// How long reading may stay stopped on a full pipeline before the partitions are paused.
pub const PAUSE_AFTER: Duration = Duration::from_secs(2);

/// How a run ended.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IngestReport {
    pub spans_written: u64,
    pub poison: u64,
    /// Batches still unwritten at the shutdown deadline (their offsets were not committed; they
    /// will be read again).
    pub abandoned_batches: u64,
}

/// The consumer's callbacks: rebalances (commit what revoked partitions wrote) and statistics
/// (consumer lag per partition).
pub struct IngestContext {
    tracker: Arc<Mutex<OffsetTracker>>,
    topic: String,
}

impl ClientContext for IngestContext {
    fn stats(&self, statistics: Statistics) {
        for (topic, detail) in statistics.topics {
            for (partition, state) in detail.partitions {
                if partition >= 0 && state.consumer_lag >= 0 {
                    metrics::gauge!(OFFSET_LAG, "topic" => topic.clone(), "partition" => partition.to_string())
                        .set(state.consumer_lag as f64);
                }
            }
        }
    }
}

impl ConsumerContext for IngestContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        metrics::counter!(REBALANCES).increment(1);
        if let Rebalance::Revoke(list) = rebalance {
            let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
            let written = lock(&self.tracker).revoke(partitions.iter().copied());
            if !written.is_empty() {
                commit(consumer, &self.topic, &written, CommitMode::Sync);
            }
            tracing::info!(?partitions, "partitions revoked");
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
            lock(&self.tracker).assign(partitions.iter().copied());
            metrics::gauge!(PARTITIONS_HELD).set(partitions.len() as f64);
            tracing::info!(?partitions, "partitions assigned");
        }
    }
}

fn lock(tracker: &Mutex<OffsetTracker>) -> std::sync::MutexGuard<'_, OffsetTracker> {
    tracker
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn commit<C: ConsumerContext>(
    consumer: &impl Consumer<C>,
    topic: &str,
    offsets: &[(i32, i64)],
    mode: CommitMode,
) {
    let mut list = TopicPartitionList::new();
    for (partition, offset) in offsets {
        if list
            .add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .is_err()
        {
            continue;
        }
    }
    match consumer.commit(&list, mode) {
        Ok(()) => {
            for (partition, offset) in offsets {
                let labels = [
                    ("topic", topic.to_owned()),
                    ("partition", partition.to_string()),
                ];
                metrics::counter!(OFFSET_COMMITS, &labels).increment(1);
                metrics::gauge!(LAST_COMMITTED, &labels).set(*offset as f64);
            }
        }
        Err(error) => {
            metrics::counter!(COMMIT_ERRORS).increment(1);
            tracing::warn!(%error, "offset commit failed; retried at the next commit");
        }
    }
}

/// The batch being gathered.
#[derive(Default)]
struct Gathering {
    payloads: Vec<Payload>,
    last_offsets: BTreeMap<i32, i64>,
    due: Option<Instant>,
}

/// Reads, writes and commits until `shutdown` is cancelled.
pub async fn run(
    config: &IngesterConfig,
    destination: Destination,
    ready: impl FnOnce(),
    shutdown: CancellationToken,
) -> anyhow::Result<IngestReport> {
    let tracker = Arc::new(Mutex::new(OffsetTracker::default()));
    let context = IngestContext {
        tracker: Arc::clone(&tracker),
        topic: config.consumer.topic.clone(),
    };
    let consumer: StreamConsumer<IngestContext> = config
        .consumer
        .group_client_config(5_000)?
        .create_with_context(context)?;
    consumer.subscribe(&[config.consumer.topic.as_str()])?;
    ready();
    tracing::info!(topic = %config.consumer.topic, group = %config.consumer.group_id, "ingester consuming");

    let abandon = CancellationToken::new();
    let mut writes: JoinSet<(BatchId, usize, Outcome)> = JoinSet::new();
    let mut gathering = Gathering::default();
    let mut in_flight = 0usize; // messages read and not yet written
    let mut paused = false;
    let mut report = IngestReport::default();
    let mut commit_tick = tokio::time::interval(Duration::from_secs(1));
    let topic = config.consumer.topic.clone();

    let mut full_since: Option<Instant> = None;
    // One stream for the whole run: `recv` makes (and registers a waker slot for) a stream per
    // message.
    let mut messages = consumer.stream();
    // Per partition: its consumed-messages counter and the messages of this burst not yet added.
    let mut consumed: BTreeMap<i32, (metrics::Counter, u64)> = BTreeMap::new();

    loop {
        let full = in_flight >= config.parallelism;
        let pause_at = if full {
            Some(*full_since.get_or_insert_with(Instant::now) + PAUSE_AFTER)
        } else {
            full_since = None;
            None
        };
        let pause = pause_at.is_some_and(|at| at <= Instant::now());
        if pause != paused {
            let assignment = consumer.assignment()?;
            let result = if pause {
                consumer.pause(&assignment)
            } else {
                consumer.resume(&assignment)
            };
            if let Err(error) = result {
                tracing::warn!(%error, "cannot pause or resume the partitions");
            }
            paused = pause;
            metrics::gauge!(PAUSED).set(if paused { 1.0 } else { 0.0 });
        }
        // Full and not yet paused: stop reading, wake up to pause if it lasts.
        let reading = !full || paused;
        let linger = gathering.due;
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some(done) = writes.join_next() => {
                let (id, messages, outcome) = done?;
                in_flight -= messages;
                report.spans_written += outcome.written as u64;
                report.poison += outcome.poison as u64;
                lock(&tracker).complete(id);
            }
            _ = tokio::time::sleep_until(linger.unwrap_or_else(Instant::now)), if linger.is_some() => {
                dispatch(&mut gathering, &tracker, &destination, &abandon, &mut writes);
            }
            _ = tokio::time::sleep_until(pause_at.unwrap_or_else(Instant::now)), if pause_at.is_some() && !paused => {}
            _ = commit_tick.tick() => {
                let moved = lock(&tracker).to_commit();
                if !moved.is_empty() {
                    commit(&consumer, &topic, &moved, CommitMode::Async);
                }
            }
            Some(message) = messages.next(), if reading => {
                // Take what librdkafka already holds without going round the loop for each
                // message: the select above costs more than a message.
                let mut next = Some(message);
                let mut taken = 0;
                while let Some(message) = next.take() {
                    match message {
                        Ok(message) => {
                            let partition = message.partition();
                            consumed
                                .entry(partition)
                                .or_insert_with(|| (messages_counter(&topic, partition), 0))
                                .1
                                .add_assign(1);
                            gathering.last_offsets.insert(partition, message.offset());
                            gathering.payloads.push(Payload {
                                partition,
                                offset: message.offset(),
                                bytes: message.payload().map(Bytes::copy_from_slice).unwrap_or_default(),
                            });
                            in_flight += 1;
                            gathering.due.get_or_insert_with(|| Instant::now() + config.batch_linger);
                            if gathering.payloads.len() >= config.batch_max_spans {
                                dispatch(&mut gathering, &tracker, &destination, &abandon, &mut writes);
                            }
                        }
                        Err(error) => tracing::warn!(%error, "kafka consumer error"),
                    }
                    taken += 1;
                    if taken < BURST && in_flight < config.parallelism {
                        next = messages.next().now_or_never().flatten();
                    }
                }
                for (counter, pending) in consumed.values_mut() {
                    counter.increment(std::mem::take(pending));
                }
            }
        }
    }

    // Shutdown: write what was gathered, wait for the writes within the deadline, commit.
    dispatch(
        &mut gathering,
        &tracker,
        &destination,
        &abandon,
        &mut writes,
    );
    let deadline = Instant::now() + config.shutdown_timeout;
    loop {
        tokio::select! {
            done = writes.join_next() => match done {
                Some(done) => {
                    let (id, _, outcome) = done?;
                    report.spans_written += outcome.written as u64;
                    report.poison += outcome.poison as u64;
                    if outcome.done {
                        lock(&tracker).complete(id);
                    } else {
                        report.abandoned_batches += 1;
                    }
                }
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => abandon.cancel(),
        }
    }
    let moved = lock(&tracker).to_commit();
    if !moved.is_empty() {
        commit(&consumer, &topic, &moved, CommitMode::Sync);
    }
    consumer.unsubscribe();
    Ok(report)
}

/// The consumed-messages counter of one partition.
fn messages_counter(topic: &str, partition: i32) -> metrics::Counter {
    metrics::counter!(MESSAGES, "topic" => topic.to_owned(), "partition" => partition.to_string())
}

fn dispatch(
    gathering: &mut Gathering,
    tracker: &Mutex<OffsetTracker>,
    destination: &Destination,
    abandon: &CancellationToken,
    writes: &mut JoinSet<(BatchId, usize, Outcome)>,
) {
    if gathering.payloads.is_empty() {
        return;
    }
    let batch = std::mem::take(gathering);
    let id = lock(tracker).dispatch(&batch.last_offsets);
    let (destination, abandon) = (destination.clone(), abandon.clone());
    writes.spawn(async move {
        let outcome = write_batch(&destination, &batch.payloads, &abandon).await;
        (id, batch.payloads.len(), outcome)
    });
}
