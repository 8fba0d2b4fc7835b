//! Elasticsearch/OpenSearch backend benchmark against a real server (`SPUR_TEST_ES`, default
//! http://127.0.0.1:9200; `FLAVOR=opensearch` uses `SPUR_TEST_OPENSEARCH`, default :9201), in
//! indices of their own (prefix `spurbench-…`, deleted at the end):
//!
//! 1. `plain`: the documents the backend writes for SPANS spans (span and service documents),
//!    built beforehand, sent by a bare `_bulk` loop, 1000 per request, WORKERS requests in
//!    flight: what the server accepts on this machine.
//! 2. `backend`: the same number of spans (100 per write, ~20 tags each, WRITERS writes in
//!    flight) through `ElasticsearchStore::write_spans` (bulk workers = WORKERS), with the
//!    client's CPU per span.
//! 3. read latency: get-trace and find-traces (by service, by service+tag) medians over what the
//!    backend wrote (after a refresh).
//!
//! `cargo run --release -p spur-storage-elasticsearch --example elasticsearch_bench`
//! (SPANS default 20000; WRITERS default 16; WORKERS default 2; ROUNDS default 3; SKIP_PLAIN=1
//! writes through the backend only, e.g. to measure reads over a million spans).

use spur_telemetry::cpu::process_cpu_time;
use std::sync::Arc;
use std::time::{Duration, Instant};

use elasticsearch::http::Method;
use futures::{StreamExt, stream};
use spur_model::api_v2::{KeyValue, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use spur_storage::{GetTraceQuery, SpanReader, SpanWriter, TraceQuery};
use spur_storage_elasticsearch::writer::{ServiceCache, documents_for_spans};
use spur_storage_elasticsearch::{
    BulkOptions, Client, ElasticsearchOptions, ElasticsearchStore, Flavor, IndexNaming,
    TemplateOptions,
};

const SPANS_PER_TRACE: u64 = 10;
const BATCH: usize = 100;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

fn now_micros() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(0)
}

/// `count` spans in traces of ten, ~20 tags each, over the last half hour, twenty services.
fn spans(count: usize, seed: u64) -> Vec<Span> {
    let base = now_micros() - 30 * 60 * 1_000_000;
    let step = (30 * 60 * 1_000_000 / i64::try_from(count.max(1)).unwrap_or(1)).max(1);
    (0..count as u64)
        .map(|n| {
            let trace = n / SPANS_PER_TRACE;
            let trace_id = TraceId::new(seed, trace + 1);
            let position = n % SPANS_PER_TRACE;
            let mut tags = vec![
                KeyValue::string("span.kind", if position == 0 { "server" } else { "client" }),
                KeyValue::string("http.method", "GET"),
                KeyValue::int64("http.status_code", if n % 50 == 0 { 500 } else { 200 }),
                KeyValue::string("http.url", format!("/api/items/{}", n % 1000)),
                KeyValue::bool("error", n % 50 == 0),
                KeyValue::string("component", "net/http"),
                KeyValue::string("request.id", format!("req-{n:012}")),
                KeyValue::float64("sample.rate", 0.25),
            ];
            for extra in 0..12 {
                tags.push(KeyValue::string(
                    format!("attr.{extra}"),
                    format!("value-{}", (n + extra) % 17),
                ));
            }
            Span {
                trace_id: trace_id.to_bytes().to_vec(),
                span_id: SpanId(n + 1).to_bytes().to_vec(),
                operation_name: format!("op-{}", n % 30),
                references: if position == 0 {
                    Vec::new()
                } else {
                    vec![SpanRef::new(trace_id, SpanId(n), SpanRefType::ChildOf)]
                },
                flags: 1,
                start_time: Some(timestamp_from_micros(
                    base + i64::try_from(n).unwrap_or(0) * step,
                )),
                duration: Some(duration_from_micros(
                    1_000 + i64::try_from(n % 977).unwrap_or(0),
                )),
                tags,
                logs: Vec::new(),
                process: Some(Process {
                    service_name: format!("service-{}", trace % 20),
                    tags: vec![KeyValue::string("hostname", format!("host-{}", trace % 7))],
                }),
                process_id: String::new(),
                warnings: Vec::new(),
            }
        })
        .collect()
}

fn options(flavor: Flavor, url: &str, prefix: &str, workers: usize) -> ElasticsearchOptions {
    let mut options = ElasticsearchOptions::new(vec![url.to_owned()]);
    options.flavor = flavor;
    options.naming = IndexNaming::new(prefix, "-", false, false, false);
    options.templates = TemplateOptions {
        shards: 1,
        replicas: 0,
        ..TemplateOptions::default()
    };
    options.bulk = BulkOptions {
        workers,
        ..BulkOptions::default()
    };
    options.timeout = Duration::from_secs(120);
    options
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// Deletes the run's indices by name (Elasticsearch 8 refuses wildcard deletes by default).
async fn delete_indices(client: &Client, prefix: &str) {
    let Ok(listed) = client
        .json(
            Method::Get,
            &format!("/_cat/indices/{prefix}-jaeger-*"),
            &[("format", "json"), ("h", "index")],
            None,
        )
        .await
    else {
        return;
    };
    let names: Vec<&str> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["index"].as_str())
        .collect();
    if !names.is_empty() {
        let _ = client
            .send(Method::Delete, &format!("/{}", names.join(",")), &[], None)
            .await;
    }
}

#[tokio::main]
async fn main() {
    let flavor = match std::env::var("FLAVOR").as_deref() {
        Ok("opensearch") => Flavor::OpenSearch,
        _ => Flavor::Elasticsearch,
    };
    let url = match flavor {
        Flavor::Elasticsearch => {
            std::env::var("SPUR_TEST_ES").unwrap_or_else(|_| "http://127.0.0.1:9200".into())
        }
        Flavor::OpenSearch => {
            std::env::var("SPUR_TEST_OPENSEARCH").unwrap_or_else(|_| "http://127.0.0.1:9201".into())
        }
    };
    let count = env_number("SPANS", 20_000);
    let writers = env_number("WRITERS", 16);
    let workers = env_number("WORKERS", 2);
    let rounds = env_number("ROUNDS", 3);
    let run = std::process::id();
    println!(
        "{flavor:?} at {url}: spans {count}, {BATCH} per write, {writers} writes in flight, {workers} bulk requests in flight"
    );

    let (mut plain_rates, mut backend_rates) = (Vec::new(), Vec::new());
    let (mut plain_cpus, mut backend_cpus) = (Vec::new(), Vec::new());
    let mut kept = None;
    let skip_plain = std::env::var("SKIP_PLAIN").is_ok_and(|value| value == "1");
    for round in 0..rounds {
        // 1. The server's limit: the same documents by a bare _bulk loop.
        if skip_plain {
            plain_rates.push(f64::NAN);
            plain_cpus.push(f64::NAN);
        }
        if !skip_plain {
            let prefix = format!("spurbench-{run}-plain-{round}");
            let store = ElasticsearchStore::open(options(flavor, &url, &prefix, workers))
                .await
                .expect("open (puts the templates)");
            let client = store.client().clone();
            let data = spans(count, 100 + round as u64);
            let naming = IndexNaming::new(&prefix, "-", false, false, false);
            let cache = ServiceCache::new(Duration::from_secs(3600), 100_000);
            let documents = documents_for_spans(&data, &naming, &Default::default(), &cache)
                .expect("documents");
            let bodies: Vec<Vec<u8>> = documents
                .chunks(1000)
                .map(|chunk| {
                    let mut body = Vec::new();
                    for document in chunk {
                        let action = serde_json::json!({"index": {"_index": document.index, "_id": document.id}});
                        body.extend_from_slice(action.to_string().as_bytes());
                        body.push(b'\n');
                        body.extend_from_slice(&document.source);
                        body.push(b'\n');
                    }
                    body
                })
                .collect();
            let started = Instant::now();
            let cpu = process_cpu_time();
            stream::iter(bodies)
                .for_each_concurrent(workers, |body| {
                    let client = client.clone();
                    async move {
                        let (status, answer) = client
                            .send(
                                Method::Post,
                                "/_bulk",
                                &[("filter_path", "errors")],
                                Some(body),
                            )
                            .await
                            .expect("_bulk");
                        assert!(
                            status.is_success()
                                && !String::from_utf8_lossy(&answer).contains("true"),
                            "{}",
                            String::from_utf8_lossy(&answer)
                        );
                    }
                })
                .await;
            let plain = started.elapsed();
            let plain_cpu = process_cpu_time().saturating_sub(cpu);
            plain_rates.push(count as f64 / plain.as_secs_f64());
            plain_cpus.push(plain_cpu.as_secs_f64() * 1e6 / count as f64);
            println!(
                "round {round} plain _bulk loop: {} documents in {:.2} s = {:.0} spans/s, client CPU {:.1} us/span",
                documents.len(),
                plain.as_secs_f64(),
                count as f64 / plain.as_secs_f64(),
                plain_cpus[round]
            );
            delete_indices(&client, &prefix).await;
        }

        // 2. The backend.
        let prefix = format!("spurbench-{run}-backend-{round}");
        let store = Arc::new(
            ElasticsearchStore::open(options(flavor, &url, &prefix, workers))
                .await
                .expect("open"),
        );
        let data = spans(count, 2);
        let batches: Vec<Vec<Span>> = data.chunks(BATCH).map(<[Span]>::to_vec).collect();
        let started = Instant::now();
        let cpu = process_cpu_time();
        stream::iter(batches)
            .for_each_concurrent(writers, |batch| {
                let store = store.clone();
                async move {
                    store.write_spans(batch).await.expect("write_spans");
                }
            })
            .await;
        let backend = started.elapsed();
        let backend_cpu = process_cpu_time().saturating_sub(cpu);
        backend_rates.push(count as f64 / backend.as_secs_f64());
        backend_cpus.push(backend_cpu.as_secs_f64() * 1e6 / count as f64);
        println!(
            "round {round} backend write_spans: {:.2} s = {:.0} spans/s, client CPU {:.1} us/span",
            backend.as_secs_f64(),
            count as f64 / backend.as_secs_f64(),
            backend_cpus[round]
        );
        if let Some((old_store, old_prefix)) = kept.replace((store, prefix)) {
            let old_store: Arc<ElasticsearchStore> = old_store;
            delete_indices(old_store.client(), &old_prefix).await;
        }
    }
    let middle = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    let (plain_rate, backend_rate) = (middle(plain_rates), middle(backend_rates));
    println!(
        "medians of {rounds}: plain {plain_rate:.0} spans/s ({:.1} us/span client CPU), backend {backend_rate:.0} spans/s ({:.1} us/span client CPU): backend at {:.0}% of the plain loop",
        middle(plain_cpus),
        middle(backend_cpus),
        100.0 * backend_rate / plain_rate
    );
    let Some((store, prefix)) = kept else {
        return;
    };

    // 3. Reads over what the backend wrote.
    let _ = store
        .client()
        .send(
            Method::Post,
            &format!("/{prefix}-jaeger-*/_refresh"),
            &[],
            None,
        )
        .await;
    let traces = (count as u64 / SPANS_PER_TRACE).max(1);
    let mut get = Vec::new();
    for n in (0..traces).step_by((traces as usize / 50).max(1)) {
        let started = Instant::now();
        let trace = store
            .get_trace(GetTraceQuery::new(TraceId::new(2, n + 1)))
            .await
            .expect("get_trace");
        get.push(started.elapsed());
        assert!(trace.is_some_and(|spans| spans.len() == SPANS_PER_TRACE as usize));
    }
    let now = now_micros();
    let mut find_service = Vec::new();
    let mut find_tag = Vec::new();
    for n in 0..20 {
        let query = TraceQuery {
            service_name: format!("service-{n}"),
            start_time_min: now - 3_600_000_000,
            start_time_max: now,
            num_traces: 20,
            ..TraceQuery::default()
        };
        let started = Instant::now();
        let found = store.find_traces(&query).await.expect("find_traces");
        find_service.push(started.elapsed());
        assert!(!found.is_empty());
        let by_tag = TraceQuery {
            tags: [("http.status_code".to_owned(), "500".to_owned())].into(),
            ..query
        };
        let started = Instant::now();
        store
            .find_traces(&by_tag)
            .await
            .expect("find_traces by tag");
        find_tag.push(started.elapsed());
    }
    println!(
        "reads over {count} spans: get_trace median {:.2} ms ({} traces), find_traces limit 20 by service median {:.1} ms, by service+tag median {:.1} ms",
        median(get.clone()).as_secs_f64() * 1e3,
        get.len(),
        median(find_service).as_secs_f64() * 1e3,
        median(find_tag).as_secs_f64() * 1e3
    );
    if std::env::var("KEEP").is_err() {
        delete_indices(store.client(), &prefix).await;
    }
}
