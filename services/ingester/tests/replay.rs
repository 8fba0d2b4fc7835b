//! `spur-ingester replay` of a time window: exactly the spans produced inside the window are
//! written; replaying it again reads the same; a dry run counts without writing.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use spur_ingester::replay::{ReplayConfig, replay};
use spur_ingester::write::Destination;
use spur_kafka::{ConsumerConfig, Encoding};
use spur_storage::memory::MemoryStore;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_window_is_replayed_exactly_and_twice_reads_the_same() {
    let bootstrap = bootstrap();
    let topic = create_topic(&bootstrap, "spur_replay", 3).await;
    let (before, inside, after) = (spans(1, 10, 3), spans(100, 10, 3), spans(200, 10, 3));
    produce(&bootstrap, &topic, &before, Encoding::Protobuf).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let from = now_ms();
    produce(&bootstrap, &topic, &inside, Encoding::Protobuf).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let to = now_ms();
    produce(&bootstrap, &topic, &after, Encoding::Protobuf).await;

    let store = Arc::new(MemoryStore::new(0));
    let destination = Destination {
        writer: store.clone(),
        backend: "memory",
        encoding: Encoding::Protobuf,
        topic: topic.clone(),
        dead_letter: None,
    };
    let mut config = ReplayConfig {
        consumer: ConsumerConfig {
            brokers: vec![bootstrap.clone()],
            topic: topic.clone(),
            ..ConsumerConfig::default()
        },
        from_ms: Some(from),
        to_ms: Some(to),
        partitions: None,
        start_offset: None,
        end_offset: None,
        rate: 0,
        dry_run: true,
        batch_max_spans: 7,
        idle_timeout: Duration::from_secs(30),
    };
    let dry = replay(&config, &destination).await.unwrap();
    assert_eq!(
        (dry.messages, dry.spans_written),
        (30, 30),
        "a dry run counts the window"
    );
    assert_eq!(found(&store, &inside).await, 0, "and writes nothing");

    config.dry_run = false;
    let first = replay(&config, &destination).await.unwrap();
    assert_eq!(first.spans_written, 30);
    assert_eq!(found(&store, &inside).await, inside.len());
    assert_eq!(
        found(&store, &before).await + found(&store, &after).await,
        0
    );
    let services_once = spur_storage::SpanReader::get_services(store.as_ref())
        .await
        .unwrap();

    let second = replay(&config, &destination).await.unwrap();
    assert_eq!(second.spans_written, 30);
    assert_eq!(found(&store, &inside).await, inside.len());
    // Read back once: each trace holds its spans once, not twice.
    for span in &inside {
        let trace_id = spur_model::TraceId::from_bytes(&span.trace_id).unwrap();
        let trace = spur_storage::SpanReader::get_trace(
            store.as_ref(),
            spur_storage::GetTraceQuery {
                trace_id,
                start_time_min: None,
                start_time_max: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(trace.len(), 3);
    }
    assert_eq!(
        spur_storage::SpanReader::get_services(store.as_ref())
            .await
            .unwrap(),
        services_once
    );

    // Offsets instead of times: partition 0 from its start to its end covers all three sets'
    // spans that landed there.
    config.from_ms = None;
    config.to_ms = None;
    config.partitions = Some(vec![0]);
    config.dry_run = true;
    let partition = replay(&config, &destination).await.unwrap();
    assert!(
        partition.messages > 0 && partition.messages < 90,
        "{partition:?}"
    );
}
