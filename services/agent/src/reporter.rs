//! The reporter: worker tasks that take batches from the [`SpanQueue`] and send each to a
//! collector with `api_v2.CollectorService/PostSpans`, with a deadline per call. A failed call
//! is retried with exponential backoff and jitter for as long as the agent runs: while the
//! collectors are away the batches wait, and what no longer fits in the queue is dropped oldest
//! first (counted by the queue's user). Only a batch the collector refuses as invalid is dropped
//! here, counted as `rejected`; a batch still unsent when `abandon` is cancelled (the shutdown
//! deadline) is counted as `shutdown`.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

use crate::metrics::*;
use crate::queue::SpanQueue;
use crate::wire::{Outgoing, RawCodec};

const POST_SPANS: &str = "/jaeger.api_v2.CollectorService/PostSpans";

/// How the workers send.
#[derive(Debug, Clone, Copy)]
pub struct SendOptions {
    pub workers: usize,
    pub batch_max_spans: usize,
    pub batch_linger: Duration,
    pub call_timeout: Duration,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Starts the workers; they end when the queue is closed and empty, or at `abandon`.
pub fn spawn(
    queue: Arc<SpanQueue>,
    channel: Channel,
    options: SendOptions,
    abandon: CancellationToken,
) -> JoinSet<()> {
    let mut workers = JoinSet::new();
    for _ in 0..options.workers.max(1) {
        let queue = Arc::clone(&queue);
        let client = tonic::client::Grpc::new(channel.clone());
        let abandon = abandon.clone();
        workers.spawn(async move {
            loop {
                let taken = tokio::select! {
                    _ = abandon.cancelled() => break,
                    taken = queue.take(options.batch_max_spans, options.batch_linger) => taken,
                };
                let Some(batches) = taken else { break };
                metrics::gauge!(QUEUE_SPANS).set(queue.spans() as f64);
                for batch in batches {
                    send(&client, batch, options.call_timeout, &abandon).await;
                }
            }
        });
    }
    workers
}

/// Sends one batch until it is accepted, refused as invalid, or abandoned.
async fn send(
    client: &tonic::client::Grpc<Channel>,
    batch: Outgoing,
    call_timeout: Duration,
    abandon: &CancellationToken,
) {
    let spans = batch.span_count as u64;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let started = Instant::now();
        let mut client = client.clone();
        let body = batch.body.clone();
        let call = tokio::time::timeout(call_timeout, async move {
            client
                .ready()
                .await
                .map_err(|error| tonic::Status::unavailable(error.to_string()))?;
            client
                .unary::<_, (), _>(
                    tonic::Request::new(body),
                    PathAndQuery::from_static(POST_SPANS),
                    RawCodec,
                )
                .await
        });
        let outcome = tokio::select! {
            _ = abandon.cancelled() => None,
            outcome = call => Some(outcome),
        };
        let error = match outcome {
            None => {
                drop_spans(spans, "shutdown");
                return;
            }
            Some(Ok(Ok(_))) => {
                metrics::histogram!(SEND_DURATION).record(started.elapsed().as_secs_f64());
                metrics::counter!(BATCHES_SUBMITTED, &REPORTER_LABELS).increment(1);
                metrics::counter!(SPANS_SUBMITTED, &REPORTER_LABELS).increment(spans);
                metrics::gauge!(BATCH_SIZE, &REPORTER_LABELS).set(spans as f64);
                return;
            }
            Some(Ok(Err(status))) if status.code() == tonic::Code::InvalidArgument => {
                metrics::counter!(BATCHES_FAILURES, &REPORTER_LABELS).increment(1);
                metrics::counter!(SPANS_FAILURES, &REPORTER_LABELS).increment(spans);
                drop_spans(spans, "rejected");
                tracing::warn!(
                    spans,
                    message = status.message(),
                    "collector refused a batch"
                );
                return;
            }
            Some(Ok(Err(status))) => format!("{:?}: {}", status.code(), status.message()),
            Some(Err(_)) => format!("no answer within {call_timeout:?}"),
        };
        metrics::counter!(BATCHES_FAILURES, &REPORTER_LABELS).increment(1);
        metrics::counter!(SPANS_FAILURES, &REPORTER_LABELS).increment(spans);
        metrics::counter!(SEND_RETRIES).increment(1);
        tracing::debug!(%error, retry_in = ?backoff, "PostSpans failed");
        tokio::select! {
            _ = abandon.cancelled() => {
                drop_spans(spans, "shutdown");
                return;
            }
            _ = tokio::time::sleep(jittered(backoff)) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Counts dropped spans under a reason of the fixed vocabulary.
pub fn drop_spans(spans: u64, reason: &'static str) {
    if spans > 0 {
        metrics::counter!(SPANS_DROPPED, "reason" => reason).increment(spans);
    }
}

/// `backoff` scaled by a random factor in [0.5, 1.5), so agents that lost the same collector do
/// not retry in lockstep.
fn jittered(backoff: Duration) -> Duration {
    let random = RandomState::new().hash_one(Instant::now());
    let factor = 0.5 + (random % 1_000) as f64 / 1_000.0;
    backoff.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_and_one_and_a_half() {
        for _ in 0..1_000 {
            let value = jittered(Duration::from_secs(1));
            assert!(value >= Duration::from_millis(500) && value < Duration::from_millis(1_500));
        }
    }
}
