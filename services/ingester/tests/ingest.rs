//! Spans produced by Spur's collector writer (protobuf and json topics) and by a plain producer
//! come out of storage field by field; poison messages are skipped and counted; committed
//! offsets cover exactly what was written.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use spur_kafka::Encoding;
use spur_storage::memory::MemoryStore;
use spur_storage::{GetTraceQuery, SpanReader};

async fn round_trip(encoding: Encoding) {
    let bootstrap = bootstrap();
    let topic = create_topic(&bootstrap, "spur_ingest", 3).await;
    let spans = spans(1, 20, 5);
    produce(&bootstrap, &topic, &spans, encoding).await;
    let mut config = config(&bootstrap, &topic, &spur_e2e::unique_name("group"));
    config.consumer.encoding = encoding;
    let store = Arc::new(MemoryStore::new(0));
    let running = start(config, store.clone());
    assert!(eventually(60, || async { found(&store, &spans).await == spans.len() }).await);
    let report = running.stop().await;
    assert_eq!(report.spans_written, spans.len() as u64);
    assert_eq!(report.abandoned_batches, 0);
    // Field by field.
    for want in &spans {
        let trace_id = spur_model::TraceId::from_bytes(&want.trace_id).unwrap();
        let trace = store
            .get_trace(GetTraceQuery {
                trace_id,
                start_time_min: None,
                start_time_max: None,
            })
            .await
            .unwrap()
            .unwrap();
        let got = trace.iter().find(|s| s.span_id == want.span_id).unwrap();
        assert_eq!(got, want);
    }
}

#[tokio::test]
async fn protobuf_spans_from_the_collector_writer_reach_storage() {
    round_trip(Encoding::Protobuf).await;
}

#[tokio::test]
async fn json_spans_from_the_collector_writer_reach_storage() {
    round_trip(Encoding::Json).await;
}

#[tokio::test]
async fn poison_is_skipped_counted_and_never_stalls_the_partition() {
    let bootstrap = bootstrap();
    let topic = create_topic(&bootstrap, "spur_ingest_poison", 1).await;
    let good = spans(100, 2, 3);
    let mut values: Vec<Vec<u8>> = Vec::new();
    values.push(spur_model::kafka::encode_protobuf(&good[0]));
    values.push(b"\xff\xff not a span".to_vec());
    values.push(Vec::new());
    values.extend(good[1..].iter().map(spur_model::kafka::encode_protobuf));
    produce_raw(&bootstrap, &topic, &values).await;
    let store = Arc::new(MemoryStore::new(0));
    let running = start(
        config(&bootstrap, &topic, &spur_e2e::unique_name("group")),
        store.clone(),
    );
    assert!(eventually(60, || async { found(&store, &good).await == good.len() }).await);
    let report = running.stop().await;
    assert_eq!(report.poison, 2);
    assert_eq!(report.spans_written, good.len() as u64);

    // The group's committed offset is past everything: a second ingester of the group, started
    // afterwards, gets only a span produced after it started.
    let group = spur_e2e::unique_name("group");
    let first_store = Arc::new(MemoryStore::new(0));
    let first = start(config(&bootstrap, &topic, &group), first_store.clone());
    assert!(
        eventually(60, || async {
            found(&first_store, &good).await == good.len()
        })
        .await
    );
    first.stop().await;
    let again = Arc::new(MemoryStore::new(0));
    let second = start(config(&bootstrap, &topic, &group), again.clone());
    let late = spans(200, 1, 1);
    produce_raw(
        &bootstrap,
        &topic,
        &[spur_model::kafka::encode_protobuf(&late[0])],
    )
    .await;
    assert!(eventually(60, || async { found(&again, &late).await == 1 }).await);
    let second_report = second.stop().await;
    assert_eq!(
        second_report.spans_written, 1,
        "only the late span: the rest was committed"
    );
    assert_eq!(found(&again, &good).await, 0);
}
