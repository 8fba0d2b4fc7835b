//! Storage unavailable for a while: the ingester retries, pauses the partitions once
//! `parallelism` messages wait, loses nothing, and drains when storage comes back. One test per
//! binary: it reads the process's metrics.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use spur_kafka::Encoding;
use spur_storage::memory::MemoryStore;

#[tokio::test]
async fn nothing_is_lost_while_storage_is_down() {
    let bootstrap = bootstrap();
    let handle = spur_telemetry::metrics::install().unwrap();
    let topic = create_topic(&bootstrap, "spur_ingest_outage", 2).await;
    let spans = spans(1_000, 100, 5);
    let store = Arc::new(MemoryStore::new(0));
    let flaky = Arc::new(Flaky {
        down: AtomicBool::new(true),
        store: store.clone(),
    });
    let mut config = config(&bootstrap, &topic, &spur_e2e::unique_name("group"));
    config.parallelism = 100;
    config.batch_max_spans = 50;
    let running = start(config, flaky.clone());
    produce(&bootstrap, &topic, &spans, Encoding::Protobuf).await;

    let metric = |name: &str| {
        handle
            .render()
            .lines()
            .filter(|line| line.starts_with(name))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    assert!(
        eventually(60, || async { metric("spur_ingester_paused") == 1.0 }).await,
        "paused while storage is down"
    );
    assert!(
        eventually(60, || async {
            metric("jaeger_ingester_span_processor_retry_attempts_total") >= 2.0
        })
        .await
    );
    assert_eq!(found(&store, &spans).await, 0);

    flaky.down.store(false, Ordering::SeqCst);
    assert!(
        eventually(60, || async { found(&store, &spans).await == spans.len() }).await,
        "every span once storage is back"
    );
    assert!(eventually(30, || async { metric("spur_ingester_paused") == 0.0 }).await);
    let report = running.stop().await;
    assert_eq!(report.spans_written, spans.len() as u64);
}
