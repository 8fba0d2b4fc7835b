//! Query API benchmark (issue #6's figures): requests/s and p50/p99 latency over HTTP of
//! `GET /api/traces/{id}` for a 1,000-span trace and of a service+operation search
//! (`/api/traces?service=&operation=&limit=20`) on the embedded store holding 1 million spans
//! (the storage benchmark's workload). Requests are sent one at a time by a client in the same
//! process; printed, not asserted. `cargo bench -p spur-query --bench http`.
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use spur_model::api_v2::Span;
use spur_model::testing::workload::{OPERATIONS, SERVICES, span, trace_id};
use spur_storage::{SpanReader, SpanWriter};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STORE_SPANS: u64 = 1_000_000;
const BATCH: u64 = 1_000;

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, f64) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let per_second = samples.len() as f64 / total.as_secs_f64();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
        per_second,
    )
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let directory = std::env::temp_dir().join(format!("spur-query-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let store = Arc::new(
            EmbeddedStore::open(EmbeddedOptions {
                directory: directory.clone(),
                retention: Duration::from_secs(72 * 3600),
            })
            .unwrap(),
        );
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64;
        let start = now - 3_600_000_000;
        let spacing = 3_000_000_000 / STORE_SPANS as i64;
        let loading = Instant::now();
        for first in (0..STORE_SPANS).step_by(BATCH as usize) {
            let batch: Vec<Span> = (first..first + BATCH)
                .map(|i| span(i, i / 10, start + i as i64 * spacing))
                .collect();
            store.write_spans(batch).await.unwrap();
        }
        let big: Vec<Span> = (0..1_000).map(|i| span(i, u64::MAX - 1, start + i as i64)).collect();
        store.write_spans(big).await.unwrap();
        // A search applies pending index work: after it every span is indexed.
        let _ = store
            .find_trace_ids(&spur_storage::TraceQuery {
                service_name: "service-0".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        println!(
            "query bench: loaded and indexed {STORE_SPANS} spans + a 1,000-span trace in {:.1} s",
            loading.elapsed().as_secs_f64()
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = spur_query::http::router(store.clone(), Some(store.clone()));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let client = reqwest::Client::new();
        // Let compaction after the load settle, as a store serving queries would be.
        tokio::time::sleep(Duration::from_secs(10)).await;

        let url = format!("http://{address}/api/traces/{}", trace_id(u64::MAX - 1));
        let mut samples = Vec::new();
        for _ in 0..500 {
            let began = Instant::now();
            let body = client.get(&url).send().await.unwrap().bytes().await.unwrap();
            samples.push(began.elapsed());
            assert!(body.len() > 100_000);
        }
        let (p50, p99, rate) = percentiles(samples);
        println!("query bench: GET /api/traces/{{id}} (1,000 spans): p50 {p50:?} p99 {p99:?}, {rate:.0} requests/s (500 requests, one at a time)");

        let end = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64;
        let mut samples = Vec::new();
        for round in 0..200u64 {
            let url = format!(
                "http://{address}/api/traces?service=service-{}&operation=op-{}&limit=20&start={}&end={end}",
                round % SERVICES,
                (round * 7) % OPERATIONS,
                end - 3_600_000_000,
            );
            let began = Instant::now();
            let body: serde_json::Value = client.get(&url).send().await.unwrap().json().await.unwrap();
            samples.push(began.elapsed());
            assert_eq!(body["data"].as_array().unwrap().len(), 20);
        }
        let (p50, p99, rate) = percentiles(samples);
        println!("query bench: search service+operation, limit 20, 1M spans: p50 {p50:?} p99 {p99:?}, {rate:.0} requests/s (200 requests)");
        drop(store);
        let _ = std::fs::remove_dir_all(&directory);
    });
}
