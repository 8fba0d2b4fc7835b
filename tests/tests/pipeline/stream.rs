//! The fault phase's traffic: traces of a known shape sent one request at a time with Jaeger's
//! `CollectorService/PostSpans` (what an agent sends), alternately to the two collectors, each
//! outcome recorded: acknowledged, refused by the collector (with its gRPC code) or unknown (the
//! collector was unreachable, or the call timed out).
//!
//! Owns building those traces and the record of outcomes; the faults and checks are the test's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spur_model::api_v2::collector_service_client::CollectorServiceClient;
use spur_model::api_v2::{Batch, KeyValue, PostSpansRequest, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use std::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};

/// One span of a shape: its service, operation and the index of its parent in the shape.
pub struct Step {
    pub service: &'static str,
    pub operation: &'static str,
    pub parent: Option<usize>,
}

/// The fault phase's trace: a front end calls a back end, which queries a database.
pub const CHECKOUT: [Step; 3] = [
    Step {
        service: "frontend",
        operation: "GET /checkout",
        parent: None,
    },
    Step {
        service: "backend",
        operation: "reserve",
        parent: Some(0),
    },
    Step {
        service: "db",
        operation: "SELECT stock",
        parent: Some(1),
    },
];

/// The dependency phase's trace: web calls api once, api calls db twice.
pub const FAN_OUT: [Step; 4] = [
    Step {
        service: "web",
        operation: "GET /",
        parent: None,
    },
    Step {
        service: "api",
        operation: "list",
        parent: Some(0),
    },
    Step {
        service: "db",
        operation: "SELECT a",
        parent: Some(1),
    },
    Step {
        service: "db",
        operation: "SELECT b",
        parent: Some(1),
    },
];

/// The service names of a run: `<run>-<service>`.
pub fn service(run: &str, step: &Step) -> String {
    format!("{run}-{}", step.service)
}

/// The trace numbered `number` of `shape`, its ids derived from the run's `seed`.
pub fn trace(run: &str, seed: u64, number: u64, shape: &[Step]) -> (TraceId, Vec<Span>) {
    let trace_id = TraceId {
        high: seed,
        low: number + 1,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default();
    let span_id = |index: usize| SpanId((number + 1) << 8 | (index as u64 + 1));
    let spans = shape
        .iter()
        .enumerate()
        .map(|(index, step)| Span {
            trace_id: trace_id.to_bytes().to_vec(),
            span_id: span_id(index).to_bytes().to_vec(),
            operation_name: step.operation.to_owned(),
            references: step
                .parent
                .map(|parent| SpanRef {
                    trace_id: trace_id.to_bytes().to_vec(),
                    span_id: span_id(parent).to_bytes().to_vec(),
                    ref_type: SpanRefType::ChildOf as i32,
                })
                .into_iter()
                .collect(),
            flags: 1,
            start_time: Some(timestamp_from_micros(now + index as i64 * 100)),
            duration: Some(duration_from_micros(1_000 - index as i64 * 100)),
            tags: vec![KeyValue::string("e2e.run", run)],
            process: Some(Process {
                service_name: service(run, step),
                tags: vec![KeyValue::string("host.name", "e2e")],
            }),
            ..Span::default()
        })
        .collect();
    (trace_id, spans)
}

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Acknowledged,
    /// The collector answered with a refusal (RESOURCE_EXHAUSTED, INVALID_ARGUMENT, INTERNAL).
    Refused(tonic::Code),
    /// No answer from a collector: unreachable, or the deadline passed.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub trace_id: TraceId,
    pub spans: usize,
    pub collector: usize,
    /// Which run of that collector (0 before its first restart).
    pub incarnation: u32,
    pub outcome: Outcome,
    pub at: tokio::time::Instant,
}

/// The running stream.
pub struct Stream {
    pub record: Arc<Mutex<Vec<Sent>>>,
    /// Bumped by the test when it restarts a collector.
    pub incarnations: Arc<[AtomicU32; 2]>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

fn channel(address: SocketAddr) -> Result<Channel, String> {
    Ok(Endpoint::from_shared(format!("http://{address}"))
        .map_err(|e| e.to_string())?
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(5))
        .connect_lazy())
}

/// Posts one trace as one batch; the outcome.
pub async fn post(client: &mut CollectorServiceClient<Channel>, spans: Vec<Span>) -> Outcome {
    let request = PostSpansRequest {
        batch: Some(Batch {
            spans,
            process: None,
        }),
    };
    match client.post_spans(request).await {
        Ok(_) => Outcome::Acknowledged,
        Err(status) => match status.code() {
            code @ (tonic::Code::ResourceExhausted
            | tonic::Code::InvalidArgument
            | tonic::Code::Internal) => Outcome::Refused(code),
            _ => Outcome::Unknown,
        },
    }
}

/// A client of one collector's gRPC port (connecting lazily, again after failures).
pub fn client(address: SocketAddr) -> Result<CollectorServiceClient<Channel>, String> {
    Ok(CollectorServiceClient::new(channel(address)?))
}

/// Sends `count` traces (numbered from `first`) to one collector all at once, as a crowd of
/// clients would; the outcome of each.
pub async fn burst(
    run: &str,
    seed: u64,
    first: u64,
    count: u64,
    collector: (usize, u32, SocketAddr),
) -> Result<Vec<Sent>, String> {
    let (index, incarnation, address) = collector;
    let client = client(address)?;
    let requests = (first..first + count).map(|number| {
        let mut client = client.clone();
        let (trace_id, spans) = trace(run, seed, number, &CHECKOUT);
        tokio::spawn(async move {
            let count = spans.len();
            let outcome = post(&mut client, spans).await;
            Sent {
                trace_id,
                spans: count,
                collector: index,
                incarnation,
                outcome,
                at: tokio::time::Instant::now(),
            }
        })
    });
    let handles: Vec<_> = requests.collect();
    let mut sent = Vec::with_capacity(handles.len());
    for handle in handles {
        sent.push(handle.await.map_err(|e| e.to_string())?);
    }
    Ok(sent)
}

impl Stream {
    /// Sends one [`CHECKOUT`] trace every `pace`, alternating between `collectors`.
    pub fn start(
        run: &str,
        seed: u64,
        collectors: [SocketAddr; 2],
        pace: Duration,
    ) -> Result<Stream, String> {
        let mut clients = [client(collectors[0])?, client(collectors[1])?];
        let record = Arc::new(Mutex::new(Vec::new()));
        let incarnations = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
        let stop = CancellationToken::new();
        let (run, log, counts, token) = (
            run.to_owned(),
            Arc::clone(&record),
            Arc::clone(&incarnations),
            stop.clone(),
        );
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(pace);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut number = 0u64;
            while !token.is_cancelled() {
                ticker.tick().await;
                let collector = (number % 2) as usize;
                let incarnation = counts[collector].load(Ordering::SeqCst);
                let (trace_id, spans) = trace(&run, seed, number, &CHECKOUT);
                let count = spans.len();
                let outcome = post(&mut clients[collector], spans).await;
                log.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(Sent {
                        trace_id,
                        spans: count,
                        collector,
                        incarnation,
                        outcome,
                        at: tokio::time::Instant::now(),
                    });
                number += 1;
            }
        });
        Ok(Stream {
            record,
            incarnations,
            stop,
            task,
        })
    }

    /// Stops sending; the record of every request.
    pub async fn stop(self) -> Vec<Sent> {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
        self.record
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
