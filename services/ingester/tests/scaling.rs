//! Two ingesters of one group split the partitions: each writes some of the spans, together all
//! of them (at least once).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use spur_kafka::Encoding;
use spur_storage::memory::MemoryStore;

#[tokio::test]
async fn two_ingesters_split_the_partitions() {
    let bootstrap = bootstrap();
    let topic = create_topic(&bootstrap, "spur_ingest_scale", 4).await;
    let group = spur_e2e::unique_name("group");
    let (a, b) = (Arc::new(MemoryStore::new(0)), Arc::new(MemoryStore::new(0)));
    let first = start(config(&bootstrap, &topic, &group), a.clone());
    let second = start(config(&bootstrap, &topic, &group), b.clone());
    // Produce in rounds until both have taken spans (the group settles after a rebalance).
    let mut produced = Vec::new();
    for round in 0..30u64 {
        let batch = spans(10_000 + round * 40, 40, 2);
        produce(&bootstrap, &topic, &batch, Encoding::Protobuf).await;
        produced.extend(batch);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if found(&a, &produced).await > 0 && found(&b, &produced).await > 0 {
            break;
        }
    }
    let (in_a, in_b) = (found(&a, &produced).await, found(&b, &produced).await);
    assert!(
        in_a > 0 && in_b > 0,
        "both ingesters wrote ({in_a}, {in_b})"
    );
    assert!(
        eventually(60, || {
            let (a, b, produced) = (a.clone(), b.clone(), produced.clone());
            async move { union_count(&a, &b, &produced).await == produced.len() }
        })
        .await,
        "every span in one of the stores"
    );
    first.stop().await;
    second.stop().await;
}

async fn union_count(
    a: &MemoryStore,
    b: &MemoryStore,
    produced: &[spur_model::api_v2::Span],
) -> usize {
    let mut count = 0;
    for span in produced {
        let one = std::slice::from_ref(span);
        if found(a, one).await + found(b, one).await > 0 {
            count += 1;
        }
    }
    count
}
