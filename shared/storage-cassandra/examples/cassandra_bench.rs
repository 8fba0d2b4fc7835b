//! Cassandra backend benchmark against a real node (`SPUR_TEST_CASSANDRA`, default
//! 127.0.0.1:9042), in a keyspace of its own (`spur_bench`, recreated):
//!
//! 1. `plain`: the rows the backend writes for SPANS spans (trace rows and index rows), built
//!    beforehand, inserted by a bare loop of prepared statements with many in flight: what the
//!    server accepts on this machine.
//! 2. `backend`: the same number of spans (100 per write, ~20 tags each, several writes in
//!    flight) through `CassandraStore::write_spans`, with the client's CPU per span.
//! 3. read latency: get-trace and find-traces (by service, by tag) medians over the data written.
//!
//! `cargo run --release -p spur-storage-cassandra --example cassandra_bench` (SPANS, default
//! 20000; WRITERS, default 8 writes in flight; ROUNDS, default 3, of plain then backend;
//! LOAD_SPANS, default SPANS: the last backend store is filled up to this many spans before the
//! reads, e.g. 1000000 for read latency over a million spans; READ_ONLY=1 skips the writes and
//! measures the reads again over the keyspace a previous run left, e.g. once the machine is quiet).

use spur_telemetry::cpu::process_cpu_time;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use scylla::client::session::Session;
use spur_model::api_v2::{KeyValue, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};
use spur_storage::{GetTraceQuery, SpanReader, SpanWriter, TraceQuery};
use spur_storage_cassandra::schema::{self, SchemaOptions};
use spur_storage_cassandra::{CassandraOptions, CassandraStore};

const KEYSPACE: &str = "spur_bench";
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

/// `count` spans in traces of ten, ~20 tags each (a few shared values, a few unique), spread over
/// the last half hour, from twenty services.
fn spans(count: usize, seed: u64) -> Vec<Span> {
    let base = now_micros() - 30 * 60 * 1_000_000;
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
                    base + i64::try_from(n).unwrap_or(0) * 50,
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

async fn fresh_store(session: Arc<Session>, address: &str) -> CassandraStore {
    session
        .query_unpaged(format!("DROP KEYSPACE IF EXISTS {KEYSPACE}"), &[])
        .await
        .expect("drop the bench keyspace");
    schema::init(&session, &SchemaOptions::new(KEYSPACE))
        .await
        .expect("create the schema");
    let options = CassandraOptions::new(vec![address.to_owned()], KEYSPACE);
    CassandraStore::with_session(session, options)
        .await
        .expect("open the store")
}

fn percentile(mut samples: Vec<Duration>, percent: usize) -> Duration {
    samples.sort_unstable();
    let index = (samples.len() * percent / 100).min(samples.len().saturating_sub(1));
    samples.get(index).copied().unwrap_or_default()
}

/// Writes `batches` through the backend, `writers` at a time.
async fn write_all(store: &Arc<CassandraStore>, batches: Vec<Vec<Span>>, writers: usize) {
    stream::iter(batches)
        .for_each_concurrent(writers, |batch| {
            let store = store.clone();
            async move {
                store.write_spans(batch).await.expect("write_spans");
            }
        })
        .await;
}

#[tokio::main]
async fn main() {
    let address =
        std::env::var("SPUR_TEST_CASSANDRA").unwrap_or_else(|_| "127.0.0.1:9042".to_owned());
    let count = env_number("SPANS", 20_000);
    let writers = env_number("WRITERS", 8);
    let options = CassandraOptions::new(vec![address.clone()], KEYSPACE);
    let session = Arc::new(
        spur_storage_cassandra::connect(&options)
            .await
            .expect("connect to Cassandra"),
    );
    println!("spans: {count}, batch {BATCH}, {writers} writes in flight");
    if env_number("READ_ONLY", 0) == 1 {
        let options = CassandraOptions::new(vec![address.clone()], KEYSPACE);
        let store = CassandraStore::with_session(session, options)
            .await
            .expect("open the store a previous run filled");
        read_latency(&store, count, env_number("LOAD_SPANS", count)).await;
        return;
    }

    // Plain loop and backend alternate, ROUNDS times each, so both see the same warm server.
    let rounds = env_number("ROUNDS", 3);
    let (mut plain_rates, mut backend_rates) = (Vec::new(), Vec::new());
    let (mut plain_cpus, mut backend_cpus) = (Vec::new(), Vec::new());
    let mut store = None;
    for round in 0..rounds {
        // 1. The server's limit: the same rows by a bare insert loop.
        let plain_store = fresh_store(session.clone(), &address).await;
        let data = spans(count, 100 + round as u64);
        let prepared = plain_store.prepare_for_benchmark(&data).expect("rows");
        let started = Instant::now();
        let cpu = process_cpu_time();
        let statements = plain_store
            .insert_prepared_for_benchmark(&prepared, writers * 64)
            .await
            .expect("the plain insert loop");
        let plain = started.elapsed();
        let plain_cpu = process_cpu_time().saturating_sub(cpu);
        plain_rates.push(count as f64 / plain.as_secs_f64());
        plain_cpus.push(plain_cpu.as_secs_f64() * 1e6 / count as f64);
        println!(
            "round {round} plain insert loop: {statements} rows in {:.2} s = {:.0} spans/s ({:.0} rows/s), client CPU {:.1} us/span",
            plain.as_secs_f64(),
            count as f64 / plain.as_secs_f64(),
            statements as f64 / plain.as_secs_f64(),
            plain_cpus[round]
        );

        // 2. The backend.
        let backend_store = Arc::new(fresh_store(session.clone(), &address).await);
        let data = spans(count, 2);
        let batches: Vec<Vec<Span>> = data.chunks(BATCH).map(<[Span]>::to_vec).collect();
        let started = Instant::now();
        let cpu = process_cpu_time();
        write_all(&backend_store, batches, writers).await;
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
        store = Some(backend_store);
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
    let Some(store) = store else {
        return;
    };

    // 3. Reads over what the backend wrote, filled up to LOAD_SPANS first.
    let load = env_number("LOAD_SPANS", count);
    let (mut loaded, mut seed) = (count, 3);
    let started = Instant::now();
    while loaded < load {
        let chunk = (load - loaded).min(count.max(BATCH));
        let batches: Vec<Vec<Span>> = spans(chunk, seed)
            .chunks(BATCH)
            .map(<[Span]>::to_vec)
            .collect();
        write_all(&store, batches, writers).await;
        loaded += chunk;
        seed += 1;
    }
    if load > count {
        println!(
            "filled to {loaded} spans ({} more in {:.1} s)",
            loaded - count,
            started.elapsed().as_secs_f64()
        );
    }
    read_latency(&store, count, loaded).await;
}

/// get-trace and find-traces latency over a keyspace holding `loaded` spans, of which the
/// backend's first `count` (seed 2) are looked up by trace id.
async fn read_latency(store: &CassandraStore, count: usize, loaded: usize) {
    let traces = (count as u64 / SPANS_PER_TRACE).max(1);
    let mut get = Vec::new();
    for n in (0..traces).step_by((traces as usize / 200).max(1)) {
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
    for n in 0..100 {
        let query = TraceQuery {
            service_name: format!("service-{}", n % 20),
            start_time_min: now - 24 * 3_600_000_000,
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
    let ms =
        |samples: &Vec<Duration>, percent| percentile(samples.clone(), percent).as_secs_f64() * 1e3;
    println!(
        "reads over {loaded} spans: get_trace p50 {:.2} ms p99 {:.2} ms ({} traces); find_traces limit 20 by service p50 {:.1} ms p99 {:.1} ms; by service+tag p50 {:.1} ms p99 {:.1} ms ({} queries each)",
        ms(&get, 50),
        ms(&get, 99),
        get.len(),
        ms(&find_service, 50),
        ms(&find_service, 99),
        ms(&find_tag, 50),
        ms(&find_tag, 99),
        find_tag.len()
    );
}
