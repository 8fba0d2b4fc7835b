//! kill -9 of the ingester process mid-stream, then a restart: every span is in the embedded
//! store (at least once) and the group's offsets reach the end of the topic.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use spur_kafka::Encoding;
use spur_storage::{GetTraceQuery, SpanReader};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

const PARTITIONS: i32 = 3;

fn spawn(bootstrap: &str, topic: &str, group: &str, dir: &std::path::Path, admin: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_spur-ingester"))
        .env("SPAN_STORAGE_TYPE", "embedded")
        .env("BADGER_DIRECTORY_VALUE", dir)
        .env("KAFKA_CONSUMER_BROKERS", bootstrap)
        .env("KAFKA_CONSUMER_TOPIC", topic)
        .env("KAFKA_CONSUMER_GROUP_ID", group)
        .env("ADMIN_HTTP_HOST_PORT", admin)
        .env("INGESTER_BATCH_MAX_SPANS", "1000")
        .env("INGESTER_PARALLELISM", "10000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

async fn written(admin: &str) -> f64 {
    let Ok(response) = reqwest::get(format!("http://{admin}/metrics")).await else {
        return 0.0;
    };
    response
        .text()
        .await
        .unwrap_or_default()
        .lines()
        .filter(|line| line.starts_with("spur_ingester_spans_written_total"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn committed_to_the_end(bootstrap: &str, topic: &str, group: &str) -> bool {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        list.add_partition(topic, partition);
    }
    let Ok(committed) = consumer.committed_offsets(list, Duration::from_secs(10)) else {
        return false;
    };
    committed.elements().iter().all(|element| {
        let (_, high) = consumer
            .fetch_watermarks(topic, element.partition(), Duration::from_secs(10))
            .unwrap();
        if element.offset() != Offset::Offset(high) {
            eprintln!(
                "partition {}: committed {:?}, end {high}",
                element.partition(),
                element.offset()
            );
        }
        element.offset() == Offset::Offset(high)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_then_restart_loses_nothing() {
    let bootstrap = bootstrap();
    let topic = create_topic(&bootstrap, "spur_ingest_kill", PARTITIONS).await;
    let group = spur_e2e::unique_name("group");
    let dir = std::env::temp_dir().join(spur_e2e::unique_name("spur-ingester-kill9"));
    let spans = spans(50_000, 20_000, 5);
    produce(&bootstrap, &topic, &spans, Encoding::Protobuf).await;
    let admin = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };

    let mut first = spawn(&bootstrap, &topic, &group, &dir, &admin);
    let total = spans.len() as f64;
    let mut at_kill = 0.0;
    for _ in 0..1_200 {
        at_kill = written(&admin).await;
        if at_kill > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    assert!(
        at_kill > 0.0 && at_kill < total,
        "killed mid-stream ({at_kill} of {total} written)"
    );

    let mut second = spawn(&bootstrap, &topic, &group, &dir, &admin);
    let drained = eventually(180, || {
        let (bootstrap, topic, group) = (bootstrap.clone(), topic.clone(), group.clone());
        async move {
            tokio::task::spawn_blocking(move || committed_to_the_end(&bootstrap, &topic, &group))
                .await
                .unwrap()
        }
    })
    .await;
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(second.id().to_string())
        .status();
    let status = second.wait().unwrap();
    assert!(drained, "the group's offsets reached the end of the topic");
    assert!(status.success(), "clean shutdown: {status}");

    let store = EmbeddedStore::open(EmbeddedOptions {
        directory: dir.clone(),
        retention: Duration::from_secs(72 * 3600),
    })
    .unwrap();
    let mut missing = 0;
    let mut trace_ids: Vec<Vec<u8>> = spans.iter().map(|s| s.trace_id.clone()).collect();
    trace_ids.dedup();
    for id in trace_ids {
        let trace_id = spur_model::TraceId::from_bytes(&id).unwrap();
        let trace = store
            .get_trace(GetTraceQuery {
                trace_id,
                start_time_min: None,
                start_time_max: None,
            })
            .await
            .unwrap()
            .unwrap_or_default();
        missing += spans
            .iter()
            .filter(|s| s.trace_id == id && !trace.iter().any(|t| t.span_id == s.span_id))
            .count();
    }
    assert_eq!(missing, 0, "every span survived the kill");
    let _ = std::fs::remove_dir_all(&dir);
}
