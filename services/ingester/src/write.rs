//! Writing a batch of Kafka messages to storage, at least once: the payloads are checked and
//! normalized (an undecodable or empty one is poison: counted, optionally copied to a
//! dead-letter topic, skipped), then written as protobuf; a failed write is retried with
//! jittered exponential backoff until it succeeds or `abandon` is cancelled. Only a write the
//! backend refuses as invalid is skipped (counted as poison `rejected`): retrying it could
//! never succeed and would stall the partition.
//!
//! A protobuf payload already in normalized form (checked in place, no decoding) is handed on
//! as it is, sharing the payload's buffer; storage that keeps bytes (the embedded store) then
//! never decodes it into the model.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant};

use spur_model::kafka::Encoding;
use spur_model::span_view::CheckedProcesses;
use spur_storage::{Bytes, EncodedSpan};
use spur_storage::{ErrorKind, SpanWriter};
use tokio_util::sync::CancellationToken;

use crate::metrics::*;

/// One message's bytes and where it came from.
#[derive(Debug, Clone)]
pub struct Payload {
    pub partition: i32,
    pub offset: i64,
    pub bytes: Bytes,
}

/// Where the batch goes.
#[derive(Clone)]
pub struct Destination {
    pub writer: Arc<dyn SpanWriter>,
    /// Backend name for metrics.
    pub backend: &'static str,
    pub encoding: Encoding,
    pub topic: String,
    pub dead_letter: Option<DeadLetter>,
}

/// Copies poison messages to a topic.
#[derive(Clone)]
pub struct DeadLetter {
    pub producer: rdkafka::producer::FutureProducer,
    pub topic: String,
}

/// What became of a batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub written: usize,
    pub poison: usize,
    /// False when abandoned before the write succeeded.
    pub done: bool,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Decodes and writes `payloads` until written (or abandoned).
pub async fn write_batch(
    destination: &Destination,
    payloads: &[Payload],
    abandon: &CancellationToken,
) -> Outcome {
    let mut backoff = FIRST_BACKOFF;
    let (spans, poison) = normalize(destination, payloads).await;
    let count = spans.len();
    if count == 0 {
        return Outcome {
            written: 0,
            poison,
            done: true,
        };
    }
    loop {
        let started = Instant::now();
        let result = tokio::select! {
            _ = abandon.cancelled() => return Outcome { written: 0, poison, done: false },
            result = destination.writer.write_encoded(spans.clone()) => result,
        };
        match result {
            Ok(()) => {
                metrics::histogram!(WRITE_DURATION).record(started.elapsed().as_secs_f64());
                metrics::histogram!(BATCH_SIZE).record(count as f64);
                metrics::counter!(SPANS_WRITTEN, "backend" => destination.backend)
                    .increment(count as u64);
                return Outcome {
                    written: count,
                    poison,
                    done: true,
                };
            }
            Err(error) if error.kind() == ErrorKind::InvalidArgument => {
                metrics::counter!(POISON, "reason" => "rejected").increment(payloads.len() as u64);
                tracing::error!(
                    %error,
                    topic = %destination.topic,
                    first_offset = payloads.first().map(|p| p.offset),
                    "storage refused a batch as invalid; skipped"
                );
                return Outcome {
                    written: 0,
                    poison: poison + count,
                    done: true,
                };
            }
            Err(error) => {
                metrics::counter!(
                    WRITE_FAILURES,
                    "backend" => destination.backend,
                    "kind" => kind_label(error.kind())
                )
                .increment(1);
                metrics::counter!(RETRY_ATTEMPTS).increment(1);
                tracing::warn!(%error, retry_in = ?backoff, "storage write failed; retrying");
            }
        }
        tokio::select! {
            _ = abandon.cancelled() => return Outcome { written: 0, poison, done: false },
            _ = tokio::time::sleep(jittered(backoff)) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// A payload's span as normalized protobuf, or why the payload is poison; `checked` remembers
/// the processes checked for the next payloads of the batch.
pub fn normalized(
    payload: &Payload,
    encoding: Encoding,
    checked: &mut CheckedProcesses,
) -> Result<EncodedSpan, (&'static str, String)> {
    if payload.bytes.is_empty() {
        return Err(("empty", "empty message".to_owned()));
    }
    spur_model::kafka::normalized_protobuf(&payload.bytes, encoding, checked)
        .map_err(|error| ("undecodable", error.to_string()))
}

/// The batch's spans as normalized protobuf; poison is counted and copied to the dead-letter
/// topic.
async fn normalize(destination: &Destination, payloads: &[Payload]) -> (Vec<EncodedSpan>, usize) {
    let mut spans = Vec::with_capacity(payloads.len());
    let mut poison = 0;
    let mut checked = CheckedProcesses::default();
    for payload in payloads {
        let (reason, detail) = match normalized(payload, destination.encoding, &mut checked) {
            Ok(span) => {
                spans.push(span);
                continue;
            }
            Err(poison) => poison,
        };
        poison += 1;
        metrics::counter!(POISON, "reason" => reason).increment(1);
        tracing::warn!(
            topic = %destination.topic,
            partition = payload.partition,
            offset = payload.offset,
            reason,
            %detail,
            "poison message skipped"
        );
        if let Some(dead_letter) = &destination.dead_letter {
            let record = rdkafka::producer::FutureRecord::<(), [u8]>::to(&dead_letter.topic)
                .payload(payload.bytes.as_ref());
            if let Err((error, _)) = dead_letter
                .producer
                .send(record, Duration::from_secs(10))
                .await
            {
                tracing::error!(%error, "cannot copy a poison message to the dead-letter topic");
            }
        }
    }
    (spans, poison)
}

fn kind_label(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "invalid_argument",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Internal => "internal",
    }
}

fn jittered(backoff: Duration) -> Duration {
    let random = RandomState::new().hash_one(Instant::now());
    backoff.mul_f64(0.5 + (random % 1_000) as f64 / 1_000.0)
}
