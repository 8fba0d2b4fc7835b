//! A null collector for measuring the generator itself: serves OTLP `TraceService/Export` and
//! Jaeger `CollectorService/PostSpans` on one address, decodes and counts spans, keeps nothing,
//! and prints the count once a second on stderr.
//!
//! ```sh
//! cargo run --release -p spur-loadgen --example sink -- 127.0.0.1:4317 &
//! cargo run --release -p spur-loadgen -- --spans 1000000
//! cargo run --release -p spur-loadgen -- --protocol jaeger --endpoint http://127.0.0.1:4317
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use spur_model::api_v2::collector_service_server::{CollectorService, CollectorServiceServer};
use spur_model::api_v2::{PostSpansRequest, PostSpansResponse};
use tonic::{Request, Response, Status};

#[derive(Clone, Default)]
struct Sink {
    spans: Arc<AtomicU64>,
}

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let spans: usize = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .map(|scope| scope.spans.len())
            .sum();
        self.spans.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl CollectorService for Sink {
    async fn post_spans(
        &self,
        request: Request<PostSpansRequest>,
    ) -> Result<Response<PostSpansResponse>, Status> {
        let spans = request
            .get_ref()
            .batch
            .as_ref()
            .map_or(0, |b| b.spans.len());
        self.spans.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(Response::new(PostSpansResponse {}))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4317".into())
        .parse()?;
    let sink = Sink::default();
    let counter = Arc::clone(&sink.spans);
    tokio::spawn(async move {
        let mut last = 0;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let now = counter.load(Ordering::Relaxed);
            if now != last {
                eprintln!("sink: {now} spans, {} in the last second", now - last);
                last = now;
            }
        }
    });
    eprintln!("sink: listening on {address}");
    tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(sink.clone()))
        .add_service(CollectorServiceServer::new(sink))
        .serve(address)
        .await?;
    Ok(())
}
