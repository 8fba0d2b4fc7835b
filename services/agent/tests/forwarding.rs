//! Datagrams in, PostSpans out: compact (6831) and binary (6832) `emitBatch` datagrams reach a
//! real collector field by field with the agent's tags added to the process; two collectors
//! share the load; SIGTERM sends what is still queued.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::{Agent, Collector, eventually};
use spur_model::SpanId;
use spur_model::api_v2::{Batch, KeyValue, Span};
use spur_model::testing::sample_batch;
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message};

/// `spans` spans of [`sample_batch`] with span ids from `first`, so batches stay distinct.
fn batch_from(first: u64, spans: usize) -> Batch {
    let mut batch = sample_batch(spans);
    for (offset, span) in batch.spans.iter_mut().enumerate() {
        span.span_id = SpanId(first + offset as u64).to_bytes().to_vec();
    }
    batch
}

/// What the collector should store for `batch`: each span with the batch's process plus `tags`,
/// and the tag Jaeger's collector adds to spans that came over gRPC.
fn expected(batch: &Batch, tags: &[KeyValue]) -> Vec<Span> {
    let mut process = batch.process.clone().unwrap();
    process.tags.extend(tags.iter().cloned());
    batch
        .spans
        .iter()
        .map(|span| {
            let mut span = span.clone();
            span.process = Some(process.clone());
            span.tags
                .push(KeyValue::string("internal.span.format", "proto"));
            span
        })
        .collect()
}

fn by_span_id(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    spans
}

#[tokio::test]
async fn compact_and_binary_datagrams_reach_the_collector_field_by_field() {
    let collector = Collector::start().await;
    let env = HashMap::from([("ZONE".to_owned(), "zone-a".to_owned())]);
    let agent = Agent::start_with_env(
        &[collector.grpc],
        &["--agent.tags=agent.host=h1,agent.zone=${ZONE:none}"],
        env,
    )
    .await;
    let compact = batch_from(100, 10);
    let binary = batch_from(200, 7);
    agent
        .send(
            agent.compact,
            &encode_agent_message(&compact, ThriftProtocol::Compact),
        )
        .await;
    agent
        .send(
            agent.binary,
            &encode_agent_message(&binary, ThriftProtocol::Binary),
        )
        .await;
    assert!(eventually(10, || collector.recorded.count() == 17).await);

    let tags = [
        KeyValue::string("agent.host", "h1"),
        KeyValue::string("agent.zone", "zone-a"),
    ];
    let mut want = expected(&compact, &tags);
    want.extend(expected(&binary, &tags));
    let got = by_span_id(collector.recorded.spans());
    let want = by_span_id(want);
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want, "span {:?}", want.span_id);
    }

    assert_eq!(agent.stop().await.unsent_spans, 0);
    collector.stop().await;
}

#[tokio::test]
async fn two_collectors_share_the_load() {
    let first = Collector::start().await;
    let second = Collector::start().await;
    // One datagram per call: no merging, no linger.
    let agent = Agent::start(
        &[first.grpc, second.grpc],
        &["--reporter.batch-max-spans=5", "--reporter.batch-linger=0s"],
    )
    .await;
    // Both collectors are in the set before sending (they are added on the first resolution).
    for index in 0..60u64 {
        let batch = batch_from(1_000 + index * 5, 5);
        agent
            .send(
                agent.compact,
                &encode_agent_message(&batch, ThriftProtocol::Compact),
            )
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let total = || first.recorded.count() + second.recorded.count();
    assert!(eventually(15, || total() == 300).await, "got {}", total());
    assert!(
        first.recorded.count() >= 25 && second.recorded.count() >= 25,
        "{} and {} spans: one collector took (almost) everything",
        first.recorded.count(),
        second.recorded.count()
    );
    agent.stop().await;
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn shutdown_sends_what_is_still_queued() {
    let collector = Collector::start().await;
    // A linger far longer than the test: only the shutdown makes these spans go.
    let agent = Agent::start(
        &[collector.grpc],
        &[
            "--reporter.batch-linger=10m",
            "--reporter.batch-max-spans=100000",
        ],
    )
    .await;
    for index in 0..5u64 {
        let batch = batch_from(5_000 + index * 10, 10);
        agent
            .send(
                agent.compact,
                &encode_agent_message(&batch, ThriftProtocol::Compact),
            )
            .await;
    }
    // Received (decoded and queued) before stopping.
    let mut received = false;
    for _ in 0..250 {
        if agent
            .metric("spur_agent_spans_received_total{protocol=\"compact\"}")
            .await
            >= 50.0
        {
            received = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(received, "the agent did not decode the datagrams");
    assert_eq!(
        collector.recorded.count(),
        0,
        "nothing sent before the linger"
    );
    let report = agent.stop().await;
    assert_eq!(report.unsent_spans, 0);
    assert_eq!(collector.recorded.count(), 50);
    collector.stop().await;
}
