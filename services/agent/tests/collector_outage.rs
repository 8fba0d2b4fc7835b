//! The collector is away, then comes back: what fit in the queue arrives, what did not is
//! counted as dropped (`queue_full`), oldest first. One test per binary: it reads exact metric
//! values.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Agent, Collector, eventually};
use spur_model::SpanId;
use spur_model::testing::sample_batch;
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message};
use tokio::net::TcpListener;

#[tokio::test]
async fn spans_wait_for_the_collector_and_overflow_is_counted() {
    // The collector's port exists (bound, not served) before the agent starts: calls hang and
    // time out until it serves, as with a collector that is restarting.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = port.local_addr().unwrap();
    let agent = Agent::start(
        &[address],
        &[
            "--reporter.queue-size=100",
            "--reporter.workers=1",
            "--reporter.batch-max-spans=10",
            "--reporter.batch-linger=0s",
            "--reporter.grpc.timeout=300ms",
        ],
    )
    .await;
    // 20 datagrams of 10 spans: one batch is taken by the worker and retried, the queue holds
    // 100 spans, the rest is dropped oldest first.
    for index in 0..20u64 {
        let mut batch = sample_batch(10);
        for (offset, span) in batch.spans.iter_mut().enumerate() {
            span.span_id = SpanId(10_000 + index * 10 + offset as u64)
                .to_bytes()
                .to_vec();
        }
        agent
            .send(
                agent.compact,
                &encode_agent_message(&batch, ThriftProtocol::Compact),
            )
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut received = 0.0;
    for _ in 0..250 {
        received = agent
            .metric("spur_agent_spans_received_total{protocol=\"compact\"}")
            .await;
        if received == 200.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(received, 200.0);
    let dropped = agent
        .metric("spur_agent_spans_dropped_total{reason=\"queue_full\"}")
        .await;
    let mut retried = false;
    for _ in 0..250 {
        if agent.metric("spur_agent_send_retries_total").await >= 1.0 {
            retried = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(retried, "the batch in flight was retried");

    let collector = Collector::start_on(port).await;
    let kept = 200 - dropped as usize;
    // Calls that timed out were still in the port's backlog: the collector serves them too, so
    // some spans may arrive twice (at least once, as after any timeout). Count distinct spans.
    let distinct = || {
        let mut ids: Vec<Vec<u8>> = collector
            .recorded
            .spans()
            .into_iter()
            .map(|span| span.span_id)
            .collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    assert!(
        eventually(20, || distinct() == kept).await,
        "{} of the {kept} kept spans arrived ({dropped} dropped)",
        distinct()
    );
    // The queue held 100 spans; the worker held one more batch of 10 while retrying.
    assert_eq!(kept, 110, "dropped {dropped}");
    // The newest spans survived: the last datagram's are there.
    let newest = SpanId(10_000 + 19 * 10).to_bytes().to_vec();
    assert!(
        collector
            .recorded
            .spans()
            .iter()
            .any(|span| span.span_id == newest)
    );
    assert_eq!(agent.stop().await.unsent_spans, 0);
    collector.stop().await;
}
