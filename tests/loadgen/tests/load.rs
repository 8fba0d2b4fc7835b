//! Runs the `spur-loadgen` binary against tiny in-process collectors (OTLP and Jaeger gRPC on
//! 127.0.0.1:0) that count spans and can answer with backpressure, and checks what arrived
//! against the JSON summary: exact span counts, retries, bounded retries, rate and duration.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use serde_json::Value;
use spur_model::api_v2::collector_service_server::{CollectorService, CollectorServiceServer};
use spur_model::api_v2::{PostSpansRequest, PostSpansResponse};
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Response, Status};

/// How the fake collector answers, and what it saw.
#[derive(Default)]
struct Sink {
    /// Answer the first this-many calls with `reject_code`.
    reject_first: u64,
    reject_code: Option<Code>,
    /// OTLP only: report this many spans of each accepted request as rejected.
    partially_reject: i64,
    calls: AtomicU64,
    accepted_requests: AtomicU64,
    accepted_spans: AtomicU64,
    otlp_requests: Mutex<Vec<ExportTraceServiceRequest>>,
    jaeger_requests: Mutex<Vec<PostSpansRequest>>,
}

impl Sink {
    fn rejecting(reject_first: u64, code: Code) -> Sink {
        Sink {
            reject_first,
            reject_code: Some(code),
            ..Sink::default()
        }
    }

    /// Counts a call; `Err` when this call is to be refused.
    fn admit(&self, spans: usize) -> Result<(), Status> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(code) = self.reject_code
            && call < self.reject_first
        {
            return Err(Status::new(code, "busy"));
        }
        self.accepted_requests.fetch_add(1, Ordering::SeqCst);
        self.accepted_spans
            .fetch_add(spans as u64, Ordering::SeqCst);
        Ok(())
    }

    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn accepted_spans(&self) -> u64 {
        self.accepted_spans.load(Ordering::SeqCst)
    }

    fn accepted_requests(&self) -> u64 {
        self.accepted_requests.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct Collector(Arc<Sink>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let request = request.into_inner();
        let spans = request
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .map(|scope| scope.spans.len())
            .sum();
        self.0.admit(spans)?;
        self.0.otlp_requests.lock().unwrap().push(request);
        let partial_success = (self.0.partially_reject > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: self.0.partially_reject,
            error_message: "too old".into(),
        });
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success,
        }))
    }
}

#[tonic::async_trait]
impl CollectorService for Collector {
    async fn post_spans(
        &self,
        request: Request<PostSpansRequest>,
    ) -> Result<Response<PostSpansResponse>, Status> {
        let request = request.into_inner();
        let spans = request.batch.as_ref().map_or(0, |batch| batch.spans.len());
        self.0.admit(spans)?;
        self.0.jaeger_requests.lock().unwrap().push(request);
        Ok(Response::new(PostSpansResponse {}))
    }
}

/// Serves both APIs on one ephemeral port (each protocol test uses its own).
async fn serve(sink: Sink) -> (SocketAddr, Arc<Sink>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let sink = Arc::new(sink);
    let collector = Collector(Arc::clone(&sink));
    tokio::spawn(
        Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .add_service(CollectorServiceServer::new(collector))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    (address, sink)
}

struct Run {
    output: Output,
    summary: Value,
}

async fn loadgen(address: SocketAddr, args: &[&str]) -> Run {
    let endpoint = format!("http://{address}");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_spur-loadgen"))
        .args(["--endpoint", &endpoint, "--retry-backoff-ms", "10"])
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stdout.lines().count(), 1, "one JSON line; stderr: {stderr}");
    let summary = serde_json::from_str(stdout.trim()).unwrap();
    Run { output, summary }
}

fn field(summary: &Value, name: &str) -> u64 {
    summary[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} in {summary}"))
}

fn assert_summary_shape(summary: &Value) {
    let object = summary.as_object().unwrap();
    for name in [
        "protocol",
        "sent_spans",
        "acked_spans",
        "failed_requests",
        "failures_by_code",
        "seconds",
        "spans_per_second",
        "mean_span_bytes",
    ] {
        assert!(object.contains_key(name), "{name} missing from {summary}");
    }
    assert!(summary["failures_by_code"].is_object());
    assert!(summary["seconds"].as_f64().unwrap() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_sends_exactly_the_asked_spans_and_retries_backpressure() {
    let (address, sink) = serve(Sink::rejecting(1, Code::ResourceExhausted)).await;
    let run = loadgen(
        address,
        &[
            "--protocol",
            "otlp",
            "--spans",
            "250",
            "--batch",
            "100",
            "--concurrency",
            "2",
        ],
    )
    .await;
    assert!(run.output.status.success());
    let summary = &run.summary;
    assert_summary_shape(summary);
    assert_eq!(summary["protocol"], "otlp");
    assert_eq!(sink.accepted_spans(), 250, "exactly --spans spans arrived");
    assert_eq!(sink.accepted_requests(), 3);
    assert_eq!(sink.calls(), 4, "the refused request was retried once");
    assert_eq!(field(summary, "sent_spans"), 250);
    assert_eq!(field(summary, "acked_spans"), 250);
    assert_eq!(field(summary, "failed_requests"), 0);
    assert_eq!(
        summary["failures_by_code"],
        serde_json::json!({"RESOURCE_EXHAUSTED": 1})
    );
    let mean = summary["mean_span_bytes"].as_f64().unwrap();
    assert!((480.0..=560.0).contains(&mean), "mean span {mean} B");
    assert!(summary["spans_per_second"].as_f64().unwrap() > 0.0);

    // What arrived is one service per request, whole spans with ids and parents.
    let requests = sink.otlp_requests.lock().unwrap();
    let mut roots = 0;
    for request in requests.iter() {
        assert_eq!(request.resource_spans.len(), 1);
        let resource = request.resource_spans[0].resource.as_ref().unwrap();
        let keys: Vec<&str> = resource.attributes.iter().map(|a| a.key.as_str()).collect();
        assert!(keys.contains(&"service.name") && keys.contains(&"host.name"));
        for span in &request.resource_spans[0].scope_spans[0].spans {
            assert_eq!(span.trace_id.len(), 16);
            assert_eq!(span.span_id.len(), 8);
            assert!(span.kind > 0 && span.end_time_unix_nano > span.start_time_unix_nano);
            roots += usize::from(span.parent_span_id.is_empty());
        }
    }
    assert!(
        roots > 0 && roots < 250 / 2,
        "{roots} roots: traces have children"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jaeger_sends_exactly_the_asked_spans_and_retries_backpressure() {
    let (address, sink) = serve(Sink::rejecting(1, Code::ResourceExhausted)).await;
    let run = loadgen(
        address,
        &["--protocol", "jaeger", "--spans", "1001", "--batch", "100"],
    )
    .await;
    assert!(run.output.status.success());
    let summary = &run.summary;
    assert_summary_shape(summary);
    assert_eq!(summary["protocol"], "jaeger");
    assert_eq!(sink.accepted_spans(), 1001);
    assert_eq!(sink.accepted_requests(), 11);
    assert_eq!(sink.calls(), 12);
    assert_eq!(field(summary, "sent_spans"), 1001);
    assert_eq!(field(summary, "acked_spans"), 1001);
    assert_eq!(field(summary, "failed_requests"), 0);
    assert_eq!(
        summary["failures_by_code"],
        serde_json::json!({"RESOURCE_EXHAUSTED": 1})
    );

    let requests = sink.jaeger_requests.lock().unwrap();
    for request in requests.iter() {
        let batch = request.batch.as_ref().unwrap();
        let process = batch.process.as_ref().unwrap();
        assert!(!process.service_name.is_empty());
        assert!(process.tags.iter().any(|tag| tag.key == "host.name"));
        for span in &batch.spans {
            assert_eq!(span.trace_id.len(), 16);
            assert!(span.tags.iter().any(|tag| tag.key == "span.kind"));
            for reference in &span.references {
                assert_eq!(reference.trace_id, span.trace_id);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stop_after_the_limit() {
    let (address, sink) = serve(Sink::rejecting(u64::MAX, Code::Unavailable)).await;
    let run = loadgen(
        address,
        &["--spans", "200", "--batch", "100", "--retries", "2"],
    )
    .await;
    assert_eq!(run.output.status.code(), Some(1), "nothing acknowledged");
    assert_eq!(sink.calls(), 6, "2 requests × (1 try + 2 retries)");
    let summary = &run.summary;
    assert_eq!(field(summary, "sent_spans"), 200);
    assert_eq!(field(summary, "acked_spans"), 0);
    assert_eq!(field(summary, "failed_requests"), 2);
    assert_eq!(
        summary["failures_by_code"],
        serde_json::json!({"UNAVAILABLE": 6})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_errors_are_not_retried() {
    let (address, sink) = serve(Sink::rejecting(1, Code::InvalidArgument)).await;
    let run = loadgen(
        address,
        &["--spans", "300", "--batch", "100", "--concurrency", "1"],
    )
    .await;
    assert!(run.output.status.success());
    assert_eq!(sink.calls(), 3);
    assert_eq!(sink.accepted_spans(), 200);
    let summary = &run.summary;
    assert_eq!(field(summary, "sent_spans"), 300);
    assert_eq!(field(summary, "acked_spans"), 200);
    assert_eq!(field(summary, "failed_requests"), 1);
    assert_eq!(
        summary["failures_by_code"],
        serde_json::json!({"INVALID_ARGUMENT": 1})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_partial_success_is_not_counted_as_acked() {
    let sink = Sink {
        partially_reject: 7,
        ..Sink::default()
    };
    let (address, _sink) = serve(sink).await;
    let run = loadgen(address, &["--spans", "500", "--batch", "100"]).await;
    assert_eq!(field(&run.summary, "sent_spans"), 500);
    assert_eq!(field(&run.summary, "acked_spans"), 500 - 5 * 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duration_and_rate_bound_the_run() {
    let (address, sink) = serve(Sink::default()).await;
    let run = loadgen(
        address,
        &["--duration", "1", "--rate", "2000", "--batch", "100"],
    )
    .await;
    assert!(run.output.status.success());
    let summary = &run.summary;
    let sent = field(summary, "sent_spans");
    assert!(
        (1_500..=2_000).contains(&sent),
        "{sent} spans in 1 s at 2000/s"
    );
    assert_eq!(sink.accepted_spans(), sent);
    assert_eq!(field(summary, "acked_spans"), sent);
    let seconds = summary["seconds"].as_f64().unwrap();
    assert!((0.9..3.0).contains(&seconds), "{seconds} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_fast() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_spur-loadgen"))
        .args(["--endpoint", &format!("http://{address}"), "--spans", "10"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot connect"), "{stderr}");
}
