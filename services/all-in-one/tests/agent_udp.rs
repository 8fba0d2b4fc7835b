//! The all-in-one's agent UDP ports fed the exact datagrams real clients sent
//! (tests/fixtures/clients: jaeger-client-python, thrift compact, to 6831; jaeger-client-node,
//! thrift binary, to 6832): their traces come back from the query API, span for span. A
//! datagram that is not thrift is counted (`jaeger_agent_thrift_udp_t_processor_handler_errors_total`)
//! and does not stop the port.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

const ADMIN: &str = "127.0.0.1:26269";
const QUERY: &str = "127.0.0.1:26686";
const COMPACT: &str = "127.0.0.1:26831";
const BINARY: &str = "127.0.0.1:26832";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/clients/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn client_datagrams_on_both_udp_ports_reach_the_query_api() {
    let directory = std::env::temp_dir().join(format!("spur-aio-udp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    let mut child = Command::new(env!("CARGO_BIN_EXE_spur-all-in-one"))
        .env_remove("SPAN_STORAGE_TYPE")
        .env("BADGER_DIRECTORY_VALUE", &directory)
        .args([
            "--collector.grpc-server.host-port=127.0.0.1:26250",
            "--collector.http-server.host-port=127.0.0.1:26268",
            "--collector.zipkin.host-port=127.0.0.1:26411",
            "--collector.otlp.grpc.host-port=127.0.0.1:26317",
            "--collector.otlp.http.host-port=127.0.0.1:26318",
            "--query.grpc-server.host-port=127.0.0.1:26685",
            &format!("--admin.http.host-port={ADMIN}"),
            &format!("--query.http-server.host-port={QUERY}"),
            &format!("--processor.jaeger-compact.server-host-port={COMPACT}"),
            &format!("--processor.jaeger-binary.server-host-port={BINARY}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(response) = http.get(format!("http://{ADMIN}/")).send().await
            && response.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "the all-in-one did not become ready");

    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(b"not thrift at all", COMPACT).unwrap();
    let cases = [
        (COMPACT, "jaeger-client-python.compact.bin", true),
        (BINARY, "jaeger-client-node.binary.bin", false),
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
        let mut found = serde_json::Value::Null;
        for _ in 0..200 {
            let response = http
                .get(format!("http://{QUERY}/api/traces/{trace_id}?raw=true"))
                .send()
                .await
                .unwrap();
            if response.status() == 200 {
                found = response.json().await.unwrap();
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let spans = found["data"][0]["spans"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: trace not found"));
        let sent: Vec<_> = batch
            .spans
            .iter()
            .filter(|s| s.trace_id == batch.spans[0].trace_id)
            .collect();
        assert_eq!(spans.len(), sent.len(), "{name}");
        for span in sent {
            let span_id = format!("{}", span.span_id().unwrap());
            let stored = spans.iter().find(|s| s["spanID"] == span_id).unwrap();
            assert_eq!(stored["operationName"], span.operation_name, "{name}");
        }
    }
    let metrics = http
        .get(format!("http://{ADMIN}/metrics"))
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
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&directory);
}
