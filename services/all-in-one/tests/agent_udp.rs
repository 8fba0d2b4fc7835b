//! The all-in-one's agent UDP ports fed the exact datagrams real clients sent
//! (tests/fixtures/clients: jaeger-client-python, thrift compact, to 6831; jaeger-client-node,
//! thrift binary, to 6832): their traces come back from the query API, span for span. A
//! datagram that is not thrift is counted (`jaeger_agent_thrift_udp_t_processor_handler_errors_total`)
//! and does not stop the port.
#![allow(clippy::unwrap_used)]

mod common;

use common::AllInOne;
use std::time::Duration;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/clients/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn client_datagrams_on_both_udp_ports_reach_the_query_api() {
    // The datagrams were captured once, so their spans start on the capture day: a retention of
    // ten years keeps them readable (the default 72h would hide them).
    let all_in_one =
        AllInOne::start_with("udp", 26, true, &["--badger.span-store-ttl=87600h"]).await;
    let http = reqwest::Client::new();
    let (compact, binary, query) = (
        all_in_one.address(831),
        all_in_one.address(832),
        all_in_one.address(686),
    );

    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(b"not thrift at all", &compact).unwrap();
    let cases = [
        (&compact, "jaeger-client-python.compact.bin", true),
        (&binary, "jaeger-client-node.binary.bin", false),
    ];
    for (port, name, compact) in cases {
        let datagram = fixture(name);
        sender.send_to(&datagram, port).unwrap();
        let batch = if compact {
            spur_model::thrift::decode_agent_compact(&datagram)
        } else {
            spur_model::thrift::decode_agent_binary(&datagram)
        }
        .unwrap()
        .batch;
        let trace_id = batch.spans[0].trace_id().unwrap();
        let sent: Vec<_> = batch
            .spans
            .iter()
            .filter(|s| s.trace_id == batch.spans[0].trace_id)
            .collect();
        // The trace answers once its first span is stored; wait (bounded) for all of them, as
        // the spans of one datagram may reach the store in more than one write.
        let mut found = serde_json::Value::Null;
        for _ in 0..200 {
            let response = http
                .get(format!("http://{query}/api/traces/{trace_id}?raw=true"))
                .send()
                .await
                .unwrap();
            if response.status() == 200 {
                found = response.json().await.unwrap();
                if found["data"][0]["spans"]
                    .as_array()
                    .is_some_and(|spans| spans.len() >= sent.len())
                {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let spans = found["data"][0]["spans"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: trace not found"));
        assert_eq!(spans.len(), sent.len(), "{name}");
        for span in sent {
            let span_id = format!("{}", span.span_id().unwrap());
            let stored = spans.iter().find(|s| s["spanID"] == span_id).unwrap();
            assert_eq!(stored["operationName"], span.operation_name, "{name}");
        }
    }
    let metrics = http
        .get(format!("http://{}/metrics", all_in_one.address(269)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let errors: f64 = metrics
        .lines()
        .filter(|line| {
            line.starts_with("jaeger_agent_thrift_udp_t_processor_handler_errors_total")
                && line.contains("protocol=\"compact\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(errors, 1.0, "{metrics}");
    let directory = all_in_one.stop();
    let _ = std::fs::remove_dir_all(&directory);
}
