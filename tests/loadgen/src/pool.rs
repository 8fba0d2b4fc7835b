//! The request pool: every request body is generated, padded and encoded before the timed phase,
//! so sending costs a buffer copy, not span building or protobuf encoding.
//!
//! A run longer than the pool reuses it in rounds. To keep spans unique (storage deduplicates
//! repeated spans, which would flatter it), round `r` XORs `r` into the first four bytes of every
//! trace id in the body, found once at build time; trace-internal references stay consistent
//! because every occurrence of a trace id is rewritten alike.
//!
//! Every request carries `--batch` spans of one service, except a final shorter one when
//! `--spans` is not a multiple of the batch. Spans of traces still incomplete when the pool is
//! full are dropped, so a few traces per pool miss some spans.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use opentelemetry_proto::tonic::trace::v1::Span;

use crate::cli::{Bound, Protocol, Settings};
use crate::error::Error;
use crate::size::Sizer;
use crate::spans::{TraceGen, scope};
use crate::{jaeger, otlp};

/// Spans the pool holds at most (about 10 MB at the default 500-byte spans).
pub const POOL_SPANS: usize = 20_000;

/// One pre-encoded request body.
#[derive(Debug, Clone)]
pub struct Request {
    body: Bytes,
    spans: usize,
    /// Where each trace id starts in `body`.
    trace_id_offsets: Vec<usize>,
}

impl Request {
    pub fn spans(&self) -> usize {
        self.spans
    }

    pub fn len(&self) -> usize {
        self.body.len()
    }

    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// The body for reuse round `round`: as built in round 0, else with fresh trace ids.
    pub fn body(&self, round: u64) -> Bytes {
        if round == 0 {
            return self.body.clone();
        }
        let mask = (round as u32).to_be_bytes();
        let mut body = self.body.to_vec();
        for &offset in &self.trace_id_offsets {
            for (byte, mask) in body[offset..offset + 4].iter_mut().zip(mask) {
                *byte ^= mask;
            }
        }
        Bytes::from(body)
    }
}

/// The requests of a run and what they weigh.
#[derive(Debug, Clone)]
pub struct Pool {
    requests: Vec<Request>,
    /// The shorter last request of a `--spans` run.
    tail: Option<Request>,
    /// Requests the run sends, when it is bounded by a span count.
    total_requests: Option<u64>,
    /// Mean encoded api_v2 span (as in a `PostSpans` batch) over the pool.
    pub mean_span_bytes: f64,
    /// Mean request body bytes per span on the chosen protocol.
    pub wire_bytes_per_span: f64,
    pub build_time: Duration,
}

impl Pool {
    /// Generates and encodes the requests `settings` needs (at most [`POOL_SPANS`] spans).
    pub fn build(settings: &Settings, now_unix_nanos: u64) -> Result<Pool, Error> {
        let started = Instant::now();
        let batch = settings.batch;
        // Concurrent requests may share a body: each index gets its own round, hence own ids.
        let reusable_requests = (POOL_SPANS / batch).max(1);
        let (full_requests, tail_spans, total_requests) = match settings.bound {
            Bound::Spans(spans) => {
                let batch = batch as u64;
                let full = usize::try_from(spans / batch).unwrap_or(usize::MAX);
                let tail = (spans % batch) as usize;
                let total = spans / batch + u64::from(tail > 0);
                (full.min(reusable_requests), tail, Some(total))
            }
            Bound::Duration(_) => (reusable_requests, 0, None),
        };
        let needed = full_requests + usize::from(tail_spans > 0);

        let mut generator = TraceGen::new(
            settings.services,
            settings.tags,
            settings.seed,
            now_unix_nanos,
        );
        let scope = scope();
        let sizer = Sizer::new(&scope);
        let mut buffers: Vec<Vec<(Span, usize)>> = vec![Vec::new(); settings.services];
        let mut batches: Vec<(usize, Vec<(Span, usize)>)> = Vec::with_capacity(needed);
        while batches.len() < needed {
            for generated in generator.next_trace() {
                let mut span = generated.span;
                let service = generated.service;
                let size = sizer.pad(&mut span, settings.span_bytes, generator.rng())?;
                let buffer = &mut buffers[service];
                buffer.push((span, size));
                if buffer.len() == batch {
                    batches.push((service, std::mem::take(buffer)));
                }
            }
        }
        batches.truncate(needed);
        if tail_spans > 0
            && let Some((_, spans)) = batches.last_mut()
        {
            spans.truncate(tail_spans);
        }

        let resources = generator.resources();
        let mut requests = Vec::with_capacity(batches.len());
        let (mut span_count, mut span_bytes, mut wire_bytes) = (0usize, 0usize, 0usize);
        for (service, spans) in batches {
            span_count += spans.len();
            span_bytes += spans.iter().map(|(_, size)| size).sum::<usize>();
            let trace_ids: HashSet<[u8; 16]> = spans
                .iter()
                .filter_map(|(span, _)| span.trace_id.as_slice().try_into().ok())
                .collect();
            let spans: Vec<Span> = spans.into_iter().map(|(span, _)| span).collect();
            let count = spans.len();
            let body = match settings.protocol {
                Protocol::Otlp => otlp::encode(&resources[service], &scope, spans),
                Protocol::Jaeger => jaeger::encode(&resources[service], &scope, spans)?,
            };
            wire_bytes += body.len();
            requests.push(Request {
                trace_id_offsets: trace_id_offsets(&body, &trace_ids),
                body: Bytes::from(body),
                spans: count,
            });
        }
        let tail = if tail_spans > 0 { requests.pop() } else { None };
        let per_span = |bytes: usize| bytes as f64 / span_count.max(1) as f64;
        Ok(Pool {
            requests,
            tail,
            total_requests,
            mean_span_bytes: per_span(span_bytes),
            wire_bytes_per_span: per_span(wire_bytes),
            build_time: started.elapsed(),
        })
    }

    /// The request to send as number `index` of the run and its reuse round, or `None` once a
    /// span-bounded run has sent them all.
    pub fn get(&self, index: u64) -> Option<(&Request, u64)> {
        if let Some(total) = self.total_requests {
            if index >= total {
                return None;
            }
            if index + 1 == total
                && let Some(tail) = &self.tail
            {
                return Some((tail, 0));
            }
        }
        let len = self.requests.len() as u64;
        if len == 0 {
            return None;
        }
        let request = self.requests.get(usize::try_from(index % len).ok()?)?;
        Some((request, index / len))
    }

    /// Requests generated (the tail included).
    pub fn len(&self) -> usize {
        self.requests.len() + usize::from(self.tail.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The largest request body, in bytes.
    pub fn max_request_bytes(&self) -> usize {
        self.requests
            .iter()
            .chain(&self.tail)
            .map(Request::len)
            .max()
            .unwrap_or(0)
    }

    /// Spans generated (the tail included).
    pub fn spans(&self) -> usize {
        self.requests
            .iter()
            .chain(&self.tail)
            .map(Request::spans)
            .sum()
    }
}

/// Every offset in `body` where a 16-byte trace id of `trace_ids` starts, right after its
/// length prefix (16): the `trace_id` of OTLP spans and of api_v2 spans and references.
fn trace_id_offsets(body: &[u8], trace_ids: &HashSet<[u8; 16]>) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut position = 1;
    while position + 16 <= body.len() {
        if body[position - 1] == 16
            && let Ok(window) = <[u8; 16]>::try_from(&body[position..position + 16])
            && trace_ids.contains(&window)
        {
            offsets.push(position);
            position += 16;
            continue;
        }
        position += 1;
    }
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    use spur_model::api_v2::PostSpansRequest;
    use std::collections::HashMap;

    const NOW: u64 = 1_800_000_000_000_000_000;

    fn settings(args: &[&str]) -> Settings {
        Cli::try_parse_from(std::iter::once("spur-loadgen").chain(args.iter().copied()))
            .unwrap()
            .settings()
            .unwrap()
    }

    fn otlp_spans(body: &[u8]) -> Vec<Span> {
        ExportTraceServiceRequest::decode(body)
            .unwrap()
            .resource_spans
            .into_iter()
            .flat_map(|resource| resource.scope_spans)
            .flat_map(|scope| scope.spans)
            .collect()
    }

    #[test]
    fn a_span_bound_run_sends_exactly_its_spans() {
        let pool = Pool::build(&settings(&["--spans", "250", "--batch", "100"]), NOW).unwrap();
        let sizes: Vec<usize> = (0..)
            .map_while(|index| pool.get(index))
            .map(|(request, _)| request.spans())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        for (index, _) in sizes.iter().enumerate() {
            let (request, _) = pool.get(index as u64).unwrap();
            assert_eq!(otlp_spans(&request.body(0)).len(), request.spans());
        }
    }

    #[test]
    fn long_span_bound_runs_reuse_the_pool() {
        let pool = Pool::build(&settings(&["--spans", "100001", "--batch", "1000"]), NOW).unwrap();
        assert_eq!(pool.len(), POOL_SPANS / 1000 + 1);
        let sent: usize = (0..)
            .map_while(|index| pool.get(index))
            .map(|(request, _)| request.spans())
            .sum();
        assert_eq!(sent, 100_001);
    }

    #[test]
    fn duration_runs_cycle_forever_in_rounds() {
        let pool = Pool::build(&settings(&["--batch", "5000"]), NOW).unwrap();
        assert_eq!(pool.len(), POOL_SPANS / 5000);
        let (_, round) = pool.get(4 * 3 + 1).unwrap();
        assert_eq!(round, 3);
        let pool = Pool::build(&settings(&["--batch", "21000", "--span-bytes", "0"]), NOW).unwrap();
        assert_eq!(pool.len(), 1, "one request when the batch exceeds the pool");
        assert_eq!(pool.get(1_000_000).unwrap().1, 1_000_000);
    }

    #[test]
    fn later_rounds_get_fresh_consistent_trace_ids() {
        let pool = Pool::build(&settings(&["--spans", "2000", "--services", "1"]), NOW).unwrap();
        let (request, _) = pool.get(0).unwrap();
        let original = otlp_spans(&request.body(0));
        let renamed = otlp_spans(&request.body(7));
        assert_eq!(original.len(), renamed.len());
        let mut mapping: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        for (before, after) in original.iter().zip(&renamed) {
            assert_ne!(before.trace_id, after.trace_id);
            assert_eq!(before.trace_id[4..], after.trace_id[4..]);
            assert_eq!(before.span_id, after.span_id);
            let previous = mapping.insert(before.trace_id.clone(), after.trace_id.clone());
            assert!(previous.is_none_or(|id| id == after.trace_id));
        }
    }

    #[test]
    fn jaeger_bodies_rename_references_too() {
        let pool = Pool::build(
            &settings(&["--protocol", "jaeger", "--spans", "300", "--services", "1"]),
            NOW,
        )
        .unwrap();
        let (request, _) = pool.get(0).unwrap();
        let batch = PostSpansRequest::decode(request.body(5))
            .unwrap()
            .batch
            .unwrap();
        let mut references = 0;
        for span in &batch.spans {
            for reference in &span.references {
                references += 1;
                assert_eq!(reference.trace_id, span.trace_id);
            }
        }
        assert!(references > 0);
        assert_eq!(batch.spans.len(), 100);
    }

    #[test]
    fn reports_mean_sizes_near_the_target() {
        let pool =
            Pool::build(&settings(&["--spans", "1000", "--span-bytes", "800"]), NOW).unwrap();
        assert!(
            (785.0..=800.0).contains(&pool.mean_span_bytes),
            "{}",
            pool.mean_span_bytes
        );
        assert!(pool.wire_bytes_per_span > 500.0);
    }
}
