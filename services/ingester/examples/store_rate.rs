//! Benchmark helper for `deploy/bench/ingester.sh`: the embedded store's own bulk-write rate on
//! the very spans a topic holds, with no Kafka in the timed part. Reads the whole topic into
//! memory (as normalized protobuf, what the ingester hands the store), then times writing it to a
//! fresh store in batches of `BATCH` spans (default 1,000) with `IN_FLIGHT` writes at once
//! (default 20: the ingester's default 20,000 messages in flight), and prints one JSON line:
//! spans, seconds, spans/s, CPU seconds of the timed part.
//!
//! `store_rate <topic>`; brokers from `SPUR_TEST_KAFKA`.

use spur_telemetry::cpu::process_cpu_time;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use spur_model::kafka::{Encoding, normalized_protobuf};
use spur_model::span_view::CheckedProcesses;
use spur_storage::{Bytes, EncodedSpan, SpanWriter};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// Every message of `topic`, normalized.
fn read_topic(brokers: &str, topic: &str) -> Result<Vec<EncodedSpan>, Box<dyn std::error::Error>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "spur-store-rate")
        .set("enable.auto.commit", "false")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let mut assignment = TopicPartitionList::new();
    let mut remaining = 0i64;
    for found in metadata.topics() {
        for partition in found.partitions() {
            let (low, high) =
                consumer.fetch_watermarks(topic, partition.id(), Duration::from_secs(10))?;
            remaining += high - low;
            assignment.add_partition_offset(topic, partition.id(), Offset::Beginning)?;
        }
    }
    consumer.assign(&assignment)?;
    let mut spans = Vec::with_capacity(usize::try_from(remaining).unwrap_or(0));
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut checked = CheckedProcesses::default();
    while remaining > 0 && Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_secs(1)) else {
            continue;
        };
        let message = message?;
        remaining -= 1;
        if let Some(payload) = message.payload() {
            let payload = Bytes::copy_from_slice(payload);
            spans.push(normalized_protobuf(
                &payload,
                Encoding::Protobuf,
                &mut checked,
            )?);
        }
    }
    Ok(spans)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As every service runs (`run_process`), so the store alone is timed as the ingester runs it.
    spur_telemetry::process::disable_transparent_huge_pages()?;
    let topic = std::env::args().nth(1).ok_or("usage: store_rate <topic>")?;
    let brokers = spur_e2e::KAFKA.address();
    let batch = env_number("BATCH", 1_000);
    let in_flight = env_number("IN_FLIGHT", 20);
    let spans = read_topic(&brokers, &topic)?;
    let count = spans.len();
    let mut batches = Vec::new();
    let mut spans = spans.into_iter();
    loop {
        let chunk: Vec<EncodedSpan> = spans.by_ref().take(batch).collect();
        if chunk.is_empty() {
            break;
        }
        batches.push(chunk);
    }

    let directory = std::env::temp_dir().join(format!("spur-store-rate-{}", std::process::id()));
    let store = Arc::new(EmbeddedStore::open(EmbeddedOptions {
        directory: directory.clone(),
        retention: Duration::from_secs(72 * 3600),
    })?);
    let (started, cpu) = (Instant::now(), process_cpu_time().as_secs_f64());
    let failures = stream::iter(batches)
        .map(|chunk| {
            let store = Arc::clone(&store);
            async move { store.write_encoded(chunk).await.is_err() }
        })
        .buffer_unordered(in_flight)
        .filter(|failed| std::future::ready(*failed))
        .count()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = process_cpu_time().as_secs_f64() - cpu;
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
    if failures > 0 {
        return Err(format!("{failures} writes failed").into());
    }
    println!(
        "{{\"spans\": {count}, \"seconds\": {seconds:.2}, \"spans_per_second\": {:.0}, \"cpu_seconds\": {cpu:.2}}}",
        count as f64 / seconds
    );
    Ok(())
}
