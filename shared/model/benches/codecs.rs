//! Codec benchmarks: each decoder and encoder on realistic payloads, reported as bytes per second
//! (criterion's throughput); spans per second = MB/s ÷ bytes per span, printed at start.
//! Run with `make bench`; results and the machine are written down in BENCHMARKS.md.
#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected input

use std::hint::black_box;

/// The allocator the Spur services use, so figures match what they see.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use spur_model::api_v2::Span;
use spur_model::span_view::SpanView;
use spur_model::testing::{sample_batch, sample_otlp_request, sample_zipkin_v2_json};
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message, encode_batch};
use spur_model::{kafka, otlp, thrift, ui_json, zipkin};

/// Spans per payload: a full agent datagram holds roughly this many typical spans.
const SPANS: usize = 50;

fn kafka_spans() -> Vec<Span> {
    let batch = sample_batch(SPANS);
    batch
        .spans
        .into_iter()
        .map(|span| Span {
            process: batch.process.clone(),
            ..span
        })
        .collect()
}

fn report(name: &str, bytes: usize) {
    println!(
        "{name}: {SPANS} spans, {bytes} bytes, {} bytes/span",
        bytes / SPANS
    );
}

fn kafka_protobuf(c: &mut Criterion) {
    let spans = kafka_spans();
    let messages: Vec<Vec<u8>> = spans.iter().map(kafka::encode_protobuf).collect();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    report("kafka protobuf", bytes);
    let mut group = c.benchmark_group("kafka_protobuf");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(BenchmarkId::new("decode", SPANS), |b| {
        b.iter(|| {
            for message in &messages {
                black_box(kafka::decode_protobuf(black_box(message)).ok());
            }
        })
    });
    group.bench_function(BenchmarkId::new("view", SPANS), |b| {
        b.iter(|| {
            for message in &messages {
                black_box(SpanView::parse(black_box(message)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("view_and_tags", SPANS), |b| {
        b.iter(|| {
            for message in &messages {
                if let Some(view) = SpanView::parse(black_box(message)) {
                    view.for_each_searchable_tag(|tag| {
                        black_box(tag);
                    });
                }
            }
        })
    });
    let mut buffer = Vec::with_capacity(4096);
    group.bench_function(BenchmarkId::new("encode", SPANS), |b| {
        b.iter(|| {
            for span in &spans {
                buffer.clear();
                kafka::encode_protobuf_into(black_box(span), &mut buffer);
                black_box(&buffer);
            }
        })
    });
    group.finish();
}

fn kafka_json(c: &mut Criterion) {
    let spans = kafka_spans();
    let messages: Vec<Vec<u8>> = spans.iter().map(kafka::encode_json).collect();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    report("kafka json", bytes);
    let mut group = c.benchmark_group("kafka_json");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(BenchmarkId::new("decode", SPANS), |b| {
        b.iter(|| {
            for message in &messages {
                black_box(kafka::decode_json(black_box(message)).ok());
            }
        })
    });
    group.bench_function(BenchmarkId::new("encode", SPANS), |b| {
        b.iter(|| {
            for span in &spans {
                black_box(kafka::encode_json(black_box(span)));
            }
        })
    });
    group.finish();
}

fn thrift_decoders(c: &mut Criterion) {
    let batch = sample_batch(SPANS);
    let compact = encode_agent_message(&batch, ThriftProtocol::Compact);
    let binary = encode_agent_message(&batch, ThriftProtocol::Binary);
    let http_body = encode_batch(&batch, ThriftProtocol::Binary);
    report("thrift compact datagram", compact.len());
    report("thrift binary datagram", binary.len());
    let mut group = c.benchmark_group("thrift_compact");
    group.throughput(Throughput::Bytes(compact.len() as u64));
    group.bench_function(BenchmarkId::new("decode_agent_datagram", SPANS), |b| {
        b.iter(|| black_box(thrift::decode_agent_compact(black_box(&compact)).ok()))
    });
    group.finish();
    let mut group = c.benchmark_group("thrift_binary");
    group.throughput(Throughput::Bytes(binary.len() as u64));
    group.bench_function(BenchmarkId::new("decode_agent_datagram", SPANS), |b| {
        b.iter(|| black_box(thrift::decode_agent_binary(black_box(&binary)).ok()))
    });
    group.bench_function(BenchmarkId::new("decode_http_body", SPANS), |b| {
        b.iter(|| black_box(thrift::decode_batch_binary(black_box(&http_body)).ok()))
    });
    group.finish();
}

fn ui(c: &mut Criterion) {
    let spans = kafka_spans();
    let bytes = serde_json::to_vec(&ui_json::trace_to_ui(&spans, &[]))
        .map(|v| v.len())
        .unwrap_or(0);
    report("ui json trace", bytes);
    let mut group = c.benchmark_group("ui_json");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(BenchmarkId::new("encode_trace", SPANS), |b| {
        b.iter(|| black_box(serde_json::to_vec(&ui_json::trace_to_ui(black_box(&spans), &[])).ok()))
    });
    group.finish();
}

fn otlp_decoders(c: &mut Criterion) {
    let request = sample_otlp_request(SPANS);
    let protobuf = request.encode_to_vec();
    report("otlp protobuf request", protobuf.len());
    let mut group = c.benchmark_group("otlp_protobuf");
    group.throughput(Throughput::Bytes(protobuf.len() as u64));
    group.bench_function(BenchmarkId::new("decode_to_model", SPANS), |b| {
        b.iter(|| black_box(otlp::decode_proto(black_box(&protobuf)).ok()))
    });
    group.finish();
    let json = serde_json::to_vec(&request).unwrap_or_default();
    report("otlp json request", json.len());
    let mut group = c.benchmark_group("otlp_json");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function(BenchmarkId::new("decode_to_model", SPANS), |b| {
        b.iter(|| black_box(otlp::decode_json(black_box(&json)).ok()))
    });
    group.finish();
}

fn zipkin_decoders(c: &mut Criterion) {
    let json = sample_zipkin_v2_json(SPANS);
    report("zipkin v2 json", json.len());
    let mut group = c.benchmark_group("zipkin_v2_json");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function(BenchmarkId::new("decode_to_model", SPANS), |b| {
        b.iter(|| black_box(zipkin::decode_v2_json(black_box(&json)).ok()))
    });
    group.finish();
}

criterion_group!(
    benches,
    kafka_protobuf,
    kafka_json,
    thrift_decoders,
    otlp_decoders,
    zipkin_decoders,
    ui
);
criterion_main!(benches);
