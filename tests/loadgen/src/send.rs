//! The timed phase: `--concurrency` workers share one HTTP/2 connection and send the pool's
//! pre-encoded bodies through a pass-through gRPC codec, paced to `--rate`, until the run's
//! bound; RESOURCE_EXHAUSTED and UNAVAILABLE answers are retried with a doubling backoff at
//! most `--retries` times (capped at 5 s between tries).
//!
//! This module owns sending and counting; what to send comes from `pool`, the report from
//! `report`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use tokio::time::Instant;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::cli::{Bound, Protocol, Settings};
use crate::error::Error;
use crate::pool::Pool;
use crate::report::code_name;
use crate::{jaeger, otlp};

/// Longest wait before a retry, however many retries came before.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Counts of one run, summed over workers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Spans of every request started (each request once, however often it was retried).
    pub sent_spans: u64,
    /// Spans of requests answered OK, minus spans an OTLP answer reported rejected.
    pub acked_spans: u64,
    /// Requests given up: answered with a non-retryable error, or still failing after retries.
    pub failed_requests: u64,
    /// Every error answer, retried or not, by gRPC code.
    pub failures_by_code: BTreeMap<&'static str, u64>,
    /// Wall time of the timed phase.
    pub elapsed: Duration,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.sent_spans += other.sent_spans;
        self.acked_spans += other.acked_spans;
        self.failed_requests += other.failed_requests;
        for (code, count) in other.failures_by_code {
            *self.failures_by_code.entry(code).or_default() += count;
        }
    }
}

/// Opens the connection (eagerly, so a wrong endpoint fails before the timed phase).
pub async fn connect(settings: &Settings) -> Result<Channel, Error> {
    let endpoint = Endpoint::from_shared(settings.endpoint.clone())
        .map_err(|source| Error::Endpoint {
            endpoint: settings.endpoint.clone(),
            source,
        })?
        .tcp_nodelay(true)
        .timeout(settings.request_timeout)
        .connect_timeout(settings.request_timeout);
    endpoint.connect().await.map_err(|source| Error::Connect {
        endpoint: settings.endpoint.clone(),
        source,
    })
}

/// Sends the pool until the run's bound and returns the summed counts.
pub async fn run(settings: &Settings, pool: Arc<Pool>, channel: Channel) -> Outcome {
    let shared = Arc::new(Shared {
        next: AtomicU64::new(0),
        start: Instant::now(),
        settings: settings.clone(),
        path: PathAndQuery::from_static(match settings.protocol {
            Protocol::Otlp => otlp::PATH,
            Protocol::Jaeger => jaeger::PATH,
        }),
        pool,
    });
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|_| tokio::spawn(worker(Arc::clone(&shared), channel.clone())))
        .collect();
    let mut outcome = Outcome::default();
    for worker in workers {
        match worker.await {
            Ok(counts) => outcome.merge(counts),
            Err(error) => eprintln!("spur-loadgen: a sender task failed: {error}"),
        }
    }
    outcome.elapsed = shared.start.elapsed();
    outcome
}

struct Shared {
    /// Index of the next request to send, across workers.
    next: AtomicU64,
    start: Instant,
    settings: Settings,
    path: PathAndQuery,
    pool: Arc<Pool>,
}

impl Shared {
    /// When request `index` may start (now when the rate is unlimited), or `None` when the
    /// run's bound is reached.
    fn schedule(&self, index: u64) -> Option<Instant> {
        let due = match self.settings.rate {
            Some(rate) => {
                let batch = self.settings.batch as f64;
                self.start + Duration::from_secs_f64(index as f64 * batch / rate as f64)
            }
            None => Instant::now(),
        };
        match self.settings.bound {
            Bound::Duration(limit) if due >= self.start + limit => None,
            Bound::Duration(_) | Bound::Spans(_) => Some(due),
        }
    }
}

async fn worker(shared: Arc<Shared>, channel: Channel) -> Outcome {
    let mut client = tonic::client::Grpc::new(channel);
    let mut outcome = Outcome::default();
    loop {
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(due) = shared.schedule(index) else {
            break;
        };
        let Some((request, round)) = shared.pool.get(index) else {
            break;
        };
        tokio::time::sleep_until(due).await;
        if let Bound::Duration(limit) = shared.settings.bound
            && shared.start.elapsed() >= limit
        {
            break;
        }
        let spans = request.spans();
        outcome.sent_spans += spans as u64;
        let body = request.body(round);
        match send_with_retries(&shared, &mut client, body, spans, &mut outcome).await {
            Some(acked) => outcome.acked_spans += acked as u64,
            None => outcome.failed_requests += 1,
        }
    }
    outcome
}

/// Sends one body, retrying backpressure answers; the acked span count, or `None` if it failed.
async fn send_with_retries(
    shared: &Shared,
    client: &mut tonic::client::Grpc<Channel>,
    body: Bytes,
    spans: usize,
    outcome: &mut Outcome,
) -> Option<usize> {
    let settings = &shared.settings;
    let mut attempt = 0u32;
    loop {
        let answer = send_once(client, shared.path.clone(), body.clone()).await;
        let status = match answer {
            Ok(response) => {
                return Some(match settings.protocol {
                    Protocol::Otlp => otlp::acked(spans, &response),
                    Protocol::Jaeger => spans,
                });
            }
            Err(status) => status,
        };
        *outcome
            .failures_by_code
            .entry(code_name(status.code()))
            .or_default() += 1;
        let retryable = matches!(status.code(), Code::ResourceExhausted | Code::Unavailable);
        if !retryable || attempt >= settings.retries {
            return None;
        }
        let backoff = settings
            .retry_backoff
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(MAX_BACKOFF);
        tokio::time::sleep(backoff).await;
        attempt += 1;
    }
}

async fn send_once(
    client: &mut tonic::client::Grpc<Channel>,
    path: PathAndQuery,
    body: Bytes,
) -> Result<Bytes, Status> {
    client
        .ready()
        .await
        .map_err(|error| Status::unavailable(format!("connection not ready: {error}")))?;
    let response = client
        .unary(tonic::Request::new(body), path, RawCodec)
        .await?;
    Ok(response.into_inner())
}

/// A gRPC codec that sends already-encoded message bytes and hands back the answer's bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
