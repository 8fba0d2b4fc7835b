//! Malformed and oversized datagrams are counted by reason and never stop the agent: a good
//! datagram sent after them still arrives. One test per binary: it reads exact metric values.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Agent, Collector, eventually};
use spur_model::testing::sample_batch;
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message};

#[tokio::test]
async fn bad_datagrams_are_counted_and_good_ones_still_pass() {
    let collector = Collector::start().await;
    let agent = Agent::start(
        &[collector.grpc],
        &["--processor.jaeger-compact.server-max-packet-size=4000"],
    )
    .await;
    let good = encode_agent_message(&sample_batch(3), ThriftProtocol::Compact);
    assert!(good.len() < 4000);
    let oversized = encode_agent_message(&sample_batch(40), ThriftProtocol::Compact);
    assert!(oversized.len() > 4000);

    agent.send(agent.compact, b"not thrift at all").await;
    agent.send(agent.compact, &good[..good.len() / 2]).await; // truncated
    agent.send(agent.compact, &oversized).await;
    agent.send(agent.binary, &good).await; // compact bytes on the binary port
    agent.send(agent.compact, &good).await;
    assert!(eventually(10, || collector.recorded.count() == 3).await);

    let compact = "{model=\"jaeger\",protocol=\"compact\"}";
    let binary = "{model=\"jaeger\",protocol=\"binary\"}";
    let expectations = [
        (
            format!("jaeger_agent_thrift_udp_t_processor_handler_errors_total{compact}"),
            2.0,
        ),
        (
            format!("jaeger_agent_thrift_udp_t_processor_handler_errors_total{binary}"),
            1.0,
        ),
        (
            format!("spur_agent_udp_packets_too_large_total{compact}"),
            1.0,
        ),
        (
            format!("jaeger_agent_thrift_udp_server_packets_processed_total{compact}"),
            1.0,
        ),
        (
            "spur_agent_spans_received_total{protocol=\"compact\"}".to_owned(),
            3.0,
        ),
        (
            "jaeger_agent_reporter_spans_submitted_total{format=\"jaeger\",protocol=\"grpc\"}"
                .to_owned(),
            3.0,
        ),
    ];
    for (series, want) in &expectations {
        assert_eq!(agent.metric(series).await, *want, "{series}");
    }
    let metrics = agent.metrics().await;
    let decode_errors: f64 = metrics
        .lines()
        .filter(|line| line.starts_with("spur_agent_udp_decode_errors_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(
        decode_errors, 3.0,
        "three undecodable datagrams, by reason:\n{metrics}"
    );
    assert_eq!(agent.stop().await.unsent_spans, 0);
    collector.stop().await;
}
