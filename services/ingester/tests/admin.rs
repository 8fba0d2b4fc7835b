//! The ingester binary's admin port: health and readiness answer, and the metric names `/metrics`
//! shows after good and poison messages are exactly the documented ones (the README's ingester
//! metrics table), with the core ones present and counting what happened.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use spur_e2e::metric_names;
use spur_kafka::Encoding;

async fn get(url: &str) -> Option<(u16, String)> {
    let response = reqwest::get(url).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// The value of `name` (all label sets summed) in a scrape.
fn value(scrape: &str, name: &str) -> f64 {
    scrape
        .lines()
        .filter(|line| line.split(['{', ' ']).next() == Some(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_port_serves_health_and_the_documented_metrics() {
    let bootstrap = bootstrap();
    let topic = create_topic(&bootstrap, "spur_ingest_admin", 2).await;
    let group = spur_e2e::unique_name("group");
    let spans = spans(90_000, 20, 5);
    produce(&bootstrap, &topic, &spans, Encoding::Protobuf).await;
    produce_raw(
        &bootstrap,
        &topic,
        &[b"\xff\xffnot a span".to_vec(), Vec::new()],
    )
    .await;
    let admin = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_spur-ingester"))
        .env("SPAN_STORAGE_TYPE", "memory")
        .env("KAFKA_CONSUMER_BROKERS", &bootstrap)
        .env("KAFKA_CONSUMER_TOPIC", &topic)
        .env("KAFKA_CONSUMER_GROUP_ID", &group)
        .env("ADMIN_HTTP_HOST_PORT", &admin)
        .env("INGESTER_BATCH_LINGER", "20ms")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();

    let metrics_url = format!("http://{admin}/metrics");
    let mut scrape = String::new();
    for _ in 0..600 {
        if let Some((200, text)) = get(&metrics_url).await {
            scrape = text;
            let written = value(&scrape, "spur_ingester_spans_written_total");
            let poison = value(&scrape, "spur_ingester_poison_messages_total");
            let committed = value(&scrape, "jaeger_ingester_offset_commits_total");
            if written >= spans.len() as f64 && poison >= 2.0 && committed > 0.0 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let health = get(&format!("http://{admin}/")).await;
    let ready = get(&format!("http://{admin}/ready")).await;
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();

    let (code, body) = health.expect("health answers");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Server available"), "{body}");
    assert_eq!(ready.expect("ready answers").0, 200);
    assert!(status.success(), "clean shutdown: {status}");

    assert_eq!(
        value(&scrape, "spur_ingester_spans_written_total"),
        spans.len() as f64,
        "{scrape}"
    );
    assert_eq!(
        value(&scrape, "jaeger_ingester_sarama_consumer_messages_total"),
        spans.len() as f64 + 2.0
    );
    assert!(scrape.contains("spur_ingester_poison_messages_total{reason=\"undecodable\"} 1"));
    assert!(scrape.contains("spur_ingester_poison_messages_total{reason=\"empty\"} 1"));
    assert_eq!(
        value(&scrape, "jaeger_ingester_sarama_consumer_partitions_held"),
        2.0
    );

    let scraped = metric_names::scraped(&scrape, &["jaeger_ingester", "spur_ingester"]);
    let documented = metric_names::documented("ingester-metrics").unwrap();
    let undocumented: Vec<_> = scraped.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "not in the README: {undocumented:?}"
    );
    for core in [
        "jaeger_ingester_sarama_consumer_messages_total",
        "jaeger_ingester_sarama_consumer_partitions_held",
        "jaeger_ingester_offset_commits_total",
        "jaeger_ingester_last_committed_offset",
        "spur_ingester_spans_written_total",
        "spur_ingester_poison_messages_total",
        "spur_ingester_batch_size",
        "spur_ingester_write_duration_seconds",
        "spur_ingester_rebalances_total",
    ] {
        assert!(
            scraped.contains(core),
            "{core} not shown; shown: {scraped:?}"
        );
    }
}
