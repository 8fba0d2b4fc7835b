//! The metric names the agent's `/metrics` shows are exactly the documented ones: after traffic
//! of every kind (good, undecodable and oversized datagrams on both ports, sampling requests),
//! every name scraped must appear in the README's agent metrics table, and the table's core
//! metrics must be present.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Agent, Collector, eventually};
use spur_e2e::metric_names;
use spur_model::testing::sample_batch;
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message};

#[tokio::test]
async fn every_metric_shown_is_documented() {
    let collector = Collector::start().await;
    let agent = Agent::start(
        &[collector.grpc],
        &["--processor.jaeger-binary.server-max-packet-size=5000"],
    )
    .await;
    let batch = sample_batch(4);
    agent
        .send(
            agent.compact,
            &encode_agent_message(&batch, ThriftProtocol::Compact),
        )
        .await;
    agent
        .send(
            agent.binary,
            &encode_agent_message(&batch, ThriftProtocol::Binary),
        )
        .await;
    agent.send(agent.compact, b"garbage").await;
    agent
        .send(
            agent.binary,
            &encode_agent_message(&sample_batch(30), ThriftProtocol::Binary),
        )
        .await;
    for path in [
        "/sampling?service=a",
        "/?service=a",
        "/baggageRestrictions?service=a",
        "/sampling",
    ] {
        reqwest::get(format!("http://{}{path}", agent.http))
            .await
            .unwrap();
    }
    assert!(eventually(10, || collector.recorded.count() == 8).await);

    let scraped = metric_names::scraped(&agent.metrics().await, &["jaeger_agent", "spur_agent"]);
    let documented = metric_names::documented("agent-metrics").unwrap();
    let undocumented: Vec<_> = scraped.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in the README: {undocumented:?}"
    );
    for core in [
        "jaeger_agent_thrift_udp_server_packets_processed_total",
        "jaeger_agent_thrift_udp_t_processor_handler_errors_total",
        "spur_agent_udp_packets_too_large_total",
        "spur_agent_udp_decode_errors_total",
        "spur_agent_spans_received_total",
        "jaeger_agent_reporter_spans_submitted_total",
        "spur_agent_send_duration_seconds",
        "spur_agent_collectors",
        "jaeger_agent_http_server_requests_total",
    ] {
        assert!(
            scraped.contains(core),
            "{core} not shown; shown: {scraped:?}"
        );
    }
    agent.stop().await;
    collector.stop().await;
}
