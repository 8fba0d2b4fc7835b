//! The whole distributed pipeline, end to end, on each real store: real client libraries →
//! spur-agent / two spur-collectors → a real Kafka → two spur-ingesters → Cassandra,
//! Elasticsearch or OpenSearch → spur-query, every one a separate process on loopback
//! (`pipeline/stack.rs`), then faults.
//!
//! 1. **Exactly as sent.** The live senders of `tests/clients/live/` (OTel Python over OTLP/gRPC,
//!    OTel Node over OTLP/HTTP JSON, py_zipkin over Zipkin v2 JSON, jaeger-client-go over HTTP
//!    thrift, each to a collector; the Python jaeger-client over UDP to the agent) send their
//!    known trace; the query service must return it through gRPC `GetTrace` field by field as
//!    the library described it (`spur_e2e::expect`, times to the microsecond), and through
//!    `/api/traces/{id}?raw=true` as the same JSON the UI renders from those spans.
//! 2. **Faults** while a stream of traces goes to both collectors (`pipeline/stream.rs`), in this
//!    order: kill -9 of a collector (restarted on its ports at once) and of an ingester; the
//!    store unavailable for 30 s (a TCP proxy the run controls sits between the services and the
//!    shared store and is cut: other users of the store see nothing; the surviving ingester must
//!    report failed writes, so the outage was real); the group hands the dead member's
//!    partitions to the survivor (session timeout, 45 s), the killed ingester is restarted and
//!    gets its share; then Kafka is stopped (the run's own Kafka, started by
//!    `deploy/local/kafka.sh` on free ports, so the shared Kafka is never touched), a burst of
//!    requests larger than their queues hits both collectors, and Kafka is started again: both
//!    collectors must acknowledge again within [`RECOVERY_TIMEOUT`]. Every trace a collector
//!    acknowledged, the killed one's included (a collector answers once Kafka acknowledged the
//!    spans), must then be returned by `/api/traces/{id}` with each span once. Every refusal a
//!    collector answered must be counted in its `spur_collector_spans_refused_total` (checked
//!    on the collectors that are alive at the end; the killed one's counters die with it; a
//!    request the client gave up on at its deadline may be counted too), and the burst must have
//!    been refused in part, so that count is not trivially zero.
//! 3. **Dependencies.** Known trace shapes (web → api once, api → db twice, ten times) then go
//!    through the quiet pipeline; `/api/dependencies` must show exactly those call counts, as
//!    derived by the ingesters while they write (`shared/dependencies`).
//!
//! The three stores run one after the other (a lock), each with its own Kafka, topic, consumer
//! group and keyspace or index prefix, all removed at the end. Servers: `SPUR_TEST_CASSANDRA`,
//! `SPUR_TEST_ES`, `SPUR_TEST_OPENSEARCH` (`spur_e2e`); senders: `tests/clients/live/install.sh`.
//! The binaries are those cargo built next to this test (built again when a source is newer).
#![allow(clippy::unwrap_used)]

#[path = "pipeline/query.rs"]
mod query;
#[path = "pipeline/stack.rs"]
mod stack;
#[path = "pipeline/stream.rs"]
mod stream;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;
use spur_e2e::clients::{Endpoints, Sender};
use spur_e2e::expect;
use spur_e2e::process::metric_sum;
use spur_model::TraceId;
use spur_model::api_v2::Span;
use stack::{Stack, Store};
use stream::{FAN_OUT, Outcome, Sent, Stream};

/// How long after a sender exits its spans may take to become queryable.
const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(120);
/// After the faults: how long every acknowledged trace may take to become queryable.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(240);
/// How long the group may take to hand a killed ingester's partitions on (its session
/// timeout, 45 s, and the rebalance).
const REBALANCE_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the store stays unreachable.
const STORE_OUTAGE: Duration = Duration::from_secs(30);
/// How soon after Kafka's return both collectors must acknowledge again.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// Traces each collector gets at once while Kafka is down: 3 spans each, more than its queue
/// holds ([`stack::COLLECTOR_QUEUE_SPANS`]).
const BURST_TRACES: u64 = 150;
/// The burst's trace numbers start here, far from the stream's.
const BURST_FIRST: u64 = 1 << 20;
/// One request of the fault stream every this long (three spans each).
const PACE: Duration = Duration::from_millis(50);
/// Traces of the dependency phase.
const FAN_OUT_TRACES: u64 = 10;

/// The live senders of part 1 (each to one of the collectors in turn, the Jaeger Python client
/// to the agent).
const SENDERS: [Sender; 5] = [
    Sender::OtelPythonGrpc,
    Sender::OtelNodeHttpJson,
    Sender::PyZipkin,
    Sender::JaegerGo,
    Sender::JaegerPython,
];

/// One store at a time: each run holds a Kafka, seven services and client interpreters, on a
/// two-core machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pipeline_cassandra() {
    run(Store::Cassandra).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pipeline_elasticsearch() {
    run(Store::Elasticsearch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pipeline_opensearch() {
    run(Store::Opensearch).await;
}

async fn run(store: Store) {
    let _turn = ONE_AT_A_TIME.lock().await;
    for sender in SENDERS {
        sender
            .require_environment()
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let started = tokio::time::Instant::now();
    let mut stack = Stack::start(store)
        .await
        .unwrap_or_else(|e| panic!("{store:?}: starting the pipeline: {e}"));
    eprintln!("{store:?}: pipeline up in {:?}", started.elapsed());

    exactly_as_sent(&stack).await;
    eprintln!("{store:?}: clients checked at {:?}", started.elapsed());
    faults(&mut stack).await;
    eprintln!("{store:?}: faults checked at {:?}", started.elapsed());
    dependencies(&stack).await;
    eprintln!("{store:?}: dependencies checked at {:?}", started.elapsed());

    stack.finish().await;
    eprintln!("{store:?}: done in {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// 1. Real clients, each span exactly as sent

async fn exactly_as_sent(stack: &Stack) {
    let ports = &stack.plan.ports;
    let to = |collector: usize| Endpoints {
        otlp_grpc: Some(ports.collector_otlp_grpc[collector]),
        otlp_http: Some(ports.collector_otlp_http[collector]),
        zipkin: Some(ports.collector_zipkin[collector]),
        http: Some(ports.collector_http[collector]),
        agent_compact: Some(ports.agent_compact),
    };
    let runs = SENDERS.into_iter().enumerate().map(|(index, sender)| {
        let endpoints = to(index % 2);
        async move {
            let service = spur_e2e::unique_name(&format!("e2e-{sender:?}"));
            let doc = sender
                .run(&endpoints, &service)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            (sender, service, doc)
        }
    });
    let sent = join_all(runs).await;
    for (sender, service, doc) in sent {
        let (trace_id, expected) = if sender == Sender::JaegerPython {
            let hex = doc["spans"][0]["trace_id"].as_str().unwrap();
            (TraceId::from_hex(hex).unwrap(), 2)
        } else {
            (expect::trace_id_of(sender.format(), &doc), expect::SPANS)
        };
        let spans = wait_for_spans(stack, trace_id, expected).await;
        if sender == Sender::JaegerPython {
            expect::compare_jaeger_client(&doc, &service, "proto", &spans);
        } else {
            expect::compare_stored(sender.format(), &doc, &service, &spans);
        }
        http_matches_grpc(stack, trace_id, &spans).await;
        eprintln!("{sender:?}: {expected} spans as sent");
    }
}

/// Runs the futures concurrently (the senders are separate processes).
async fn join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

/// Polls `GetTrace` until the trace has `expected` spans (bounded).
async fn wait_for_spans(stack: &Stack, trace_id: TraceId, expected: usize) -> Vec<Span> {
    let deadline = tokio::time::Instant::now() + ARRIVAL_TIMEOUT;
    loop {
        // A store may answer "unavailable" for a moment (a new index's shard not yet started):
        // asked again until the deadline.
        let spans = match query::grpc_trace(stack.plan.ports.query_grpc, trace_id).await {
            Ok(spans) => spans,
            Err(error) if tokio::time::Instant::now() < deadline => {
                eprintln!("{error} (asking again)");
                Vec::new()
            }
            Err(error) => panic!("{error}"),
        };
        if spans.len() >= expected || tokio::time::Instant::now() >= deadline {
            assert_eq!(
                spans.len(),
                expected,
                "trace {} within {ARRIVAL_TIMEOUT:?}",
                query::hex(trace_id)
            );
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `/api/traces/{id}?raw=true` must be the UI's JSON of the very spans `GetTrace` returned.
async fn http_matches_grpc(stack: &Stack, trace_id: TraceId, spans: &[Span]) {
    let url = format!(
        "http://{}/api/traces/{}?raw=true",
        stack.plan.ports.query_http,
        query::hex(trace_id)
    );
    let body: Value = spur_e2e::process::http_client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let http = &body["data"][0];
    let want = serde_json::to_value(spur_model::ui_json::trace_to_ui(spans, &[])).unwrap();
    assert_eq!(
        query::span_ids(http),
        query::span_ids(&want),
        "{url}: the spans"
    );
    for want_span in want["spans"].as_array().unwrap() {
        let id = &want_span["spanID"];
        let got_span = http["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|span| &span["spanID"] == id)
            .unwrap();
        let process = |trace: &Value, span: &Value| {
            trace["processes"][span["processID"].as_str().unwrap()].clone()
        };
        assert_eq!(
            process(http, got_span),
            process(&want, want_span),
            "{url}: span {id}'s process"
        );
        let without_process = |span: &Value| {
            let mut span = span.clone();
            span.as_object_mut().unwrap().remove("processID");
            span
        };
        assert_eq!(
            without_process(got_span),
            without_process(want_span),
            "{url}: span {id}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Faults under a stream of traces

async fn sleep(seconds: f64) {
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
}

async fn faults(stack: &mut Stack) {
    let store = stack.plan.store;
    let seed = seed_of(&stack.plan.name);
    let stream = Stream::start(
        &stack.plan.name,
        seed,
        stack.plan.ports.collector_grpc,
        PACE,
    )
    .unwrap();

    // kill -9 of a collector (restarted on its ports at once) and of an ingester (restarted
    // after the outage): the survivor keeps writing its partitions, through the outage, until
    // the dead member's session expires (45 s, librdkafka's default) and the group hands it
    // every partition.
    sleep(3.0).await;
    stack.collectors[0].kill9();
    stream.incarnations[0].store(1, Ordering::SeqCst);
    stack.ingesters[0].kill9();
    eprintln!("{store:?}: collector-0 and ingester-0 killed");
    sleep(2.0).await;
    stack.collectors[0] = stack.plan.start_collector(0).await.unwrap();

    // The store unreachable for 30 s, for the services only.
    sleep(1.0).await;
    let before = ingester_failures(stack).await;
    eprintln!("{store:?}: {}", progress(stack).await);
    stack.proxy.cut();
    eprintln!("{store:?}: store cut off");
    sleep(STORE_OUTAGE.as_secs_f64() - 5.0).await;
    let during = ingester_failures(stack).await;
    eprintln!("{store:?}: {}", progress(stack).await);
    sleep(5.0).await;
    stack.proxy.restore();
    eprintln!("{store:?}: store back");
    assert!(
        during > before,
        "the ingesters saw failed writes while the store was cut off ({before} then {during})"
    );

    // The survivor takes every partition; then the killed ingester comes back and gets its share.
    wait_for_partitions(stack, false).await;
    stack.ingesters[0] = stack.plan.start_ingester(0).await.unwrap();
    wait_for_partitions(stack, true).await;

    // Kafka stopped; a crowd of clients hits each collector meanwhile: the collectors hold
    // what fits in their queue until Kafka is back and refuse the rest.
    eprintln!("{store:?}: stopping Kafka");
    let kafka_down = tokio::time::Instant::now();
    tokio::task::block_in_place(|| stack.kafka.stop()).unwrap();
    let bursts = (0..2).map(|index| {
        let collector = (
            index,
            u32::from(index == 0),
            stack.plan.ports.collector_grpc[index],
        );
        let first = BURST_FIRST + index as u64 * BURST_TRACES;
        let (run, seed) = (stack.plan.name.clone(), seed);
        async move { stream::burst(&run, seed, first, BURST_TRACES, collector).await }
    });
    for burst in join_all(bursts).await {
        let burst = burst.unwrap();
        stream
            .record
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(burst);
    }
    tokio::task::block_in_place(|| stack.kafka.start_again()).unwrap();
    let kafka_back = tokio::time::Instant::now();
    eprintln!("{store:?}: Kafka back after {:?}", kafka_back - kafka_down);
    wait_for_acknowledgements(stack, &stream, kafka_back).await;
    eprintln!("{store:?}: {}", progress(stack).await);

    sleep(2.0).await;
    let sent = stream.stop().await;
    check_acknowledged_arrive(stack, &sent).await;
    check_refusals_counted(stack, &sent).await;
}

/// After Kafka's restart each collector must acknowledge requests again, soon: a producer
/// stuck on its Kafka connection would refuse or time out for good.
async fn wait_for_acknowledgements(
    stack: &Stack,
    stream: &Stream,
    kafka_back: tokio::time::Instant,
) {
    let deadline = kafka_back + RECOVERY_TIMEOUT;
    loop {
        let acknowledged: Vec<bool> = (0..2)
            .map(|collector| {
                stream
                    .record
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .iter()
                    .any(|s| {
                        s.collector == collector
                            && s.at > kafka_back
                            && s.outcome == Outcome::Acknowledged
                    })
            })
            .collect();
        if acknowledged.iter().all(|ok| *ok) {
            eprintln!(
                "{:?}: both collectors acknowledge again {:?} after Kafka's return",
                stack.plan.store,
                kafka_back.elapsed()
            );
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "collectors acknowledging after Kafka's return (within {RECOVERY_TIMEOUT:?}): {acknowledged:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn seed_of(name: &str) -> u64 {
    name.bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
        .max(1)
}

/// Spans written and partitions held per ingester, for the log.
async fn progress(stack: &Stack) -> String {
    let mut parts = Vec::new();
    for ingester in &stack.ingesters {
        let scrape = ingester.scrape().await.unwrap_or_default();
        parts.push(format!(
            "{}: {} spans written, {} partitions, paused {}",
            ingester.name,
            metric_sum(&scrape, "spur_ingester_spans_written_total", &[]),
            metric_sum(
                &scrape,
                "jaeger_ingester_sarama_consumer_partitions_held",
                &[]
            ),
            metric_sum(&scrape, "spur_ingester_paused", &[]),
        ));
    }
    parts.join("; ")
}

/// Waits (bounded) until the ingesters hold every partition of the topic between them, each
/// some when `both`.
async fn wait_for_partitions(stack: &Stack, both: bool) {
    let deadline = tokio::time::Instant::now() + REBALANCE_TIMEOUT;
    loop {
        let mut held = Vec::new();
        for ingester in &stack.ingesters {
            let scrape = ingester.scrape().await.unwrap_or_default();
            held.push(metric_sum(
                &scrape,
                "jaeger_ingester_sarama_consumer_partitions_held",
                &[],
            ));
        }
        let total: f64 = held.iter().sum();
        if total == f64::from(stack::PARTITIONS) && (!both || held.iter().all(|h| *h > 0.0)) {
            eprintln!("{:?}: {}", stack.plan.store, progress(stack).await);
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ingesters hold {held:?} of {} partitions after {REBALANCE_TIMEOUT:?}",
            stack::PARTITIONS
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Failed storage writes and pauses the ingesters report, summed.
async fn ingester_failures(stack: &Stack) -> f64 {
    let mut total = 0.0;
    for ingester in &stack.ingesters {
        if let Ok(scrape) = ingester.scrape().await {
            total += metric_sum(&scrape, "spur_ingester_write_failures_total", &[])
                + metric_sum(
                    &scrape,
                    "jaeger_ingester_span_processor_retry_attempts_total",
                    &[],
                );
        }
    }
    total
}

async fn check_acknowledged_arrive(stack: &Stack, sent: &[Sent]) {
    let store = stack.plan.store;
    let count = |outcome: fn(&Outcome) -> bool| sent.iter().filter(|s| outcome(&s.outcome)).count();
    eprintln!(
        "{store:?}: stream of {} traces: {} acknowledged, {} refused, {} unanswered",
        sent.len(),
        count(|o| *o == Outcome::Acknowledged),
        count(|o| matches!(o, Outcome::Refused(_))),
        count(|o| *o == Outcome::Unknown),
    );
    let acknowledged: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.outcome == Outcome::Acknowledged)
        .collect();
    assert!(
        acknowledged.len() > sent.len() / 2,
        "most of the stream was acknowledged"
    );
    let mut missing: BTreeMap<TraceId, &Sent> =
        acknowledged.iter().map(|s| (s.trace_id, *s)).collect();
    let mut incomplete = BTreeMap::new();
    let draining = tokio::time::Instant::now();
    let deadline = draining + DRAIN_TIMEOUT;
    loop {
        let ids: Vec<TraceId> = missing.keys().copied().collect();
        for trace_id in ids {
            let found = match query::http_trace(stack.plan.ports.query_http, trace_id).await {
                Ok(found) => found,
                Err(error) if tokio::time::Instant::now() < deadline => {
                    eprintln!("{error} (asking again)");
                    None
                }
                Err(error) => panic!("{error}"),
            };
            let Some(trace) = found else { continue };
            let spans = query::span_ids(&trace);
            let unique: BTreeSet<&String> = spans.iter().collect();
            assert_eq!(unique.len(), spans.len(), "each span once: {trace}");
            if spans.len() == missing[&trace_id].spans {
                missing.remove(&trace_id);
                incomplete.remove(&trace_id);
            } else {
                incomplete.insert(trace_id, spans.len());
            }
        }
        if missing.is_empty() || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    eprintln!(
        "{store:?}: {} acknowledged traces arrived in {:?}",
        acknowledged.len() - missing.len(),
        draining.elapsed()
    );
    let lost: Vec<&Sent> = missing.values().copied().collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged traces never arrived within {DRAIN_TIMEOUT:?} (incomplete: {incomplete:?}): {:?}",
        lost.len(),
        lost.iter()
            .take(10)
            .map(|s| (query::hex(s.trace_id), s.collector, s.incarnation))
            .collect::<Vec<_>>()
    );
}

/// Every refusal the stream saw from a collector still running is in its count, and the count
/// holds nothing else: at most the spans of requests whose answer the client never saw (it gave
/// up at its deadline while the collector was refusing them).
async fn check_refusals_counted(stack: &Stack, sent: &[Sent]) {
    let refused_in_burst = sent
        .iter()
        .filter(|s| s.trace_id.low > BURST_FIRST && matches!(s.outcome, Outcome::Refused(_)))
        .count();
    assert!(
        refused_in_burst > 0,
        "the burst during Kafka's outage overfilled the collectors' queues"
    );
    for (index, collector) in stack.collectors.iter().enumerate() {
        // Collector 0 runs as its second incarnation (1); collector 1 was never restarted.
        let incarnation = u32::from(index == 0);
        let spans = |outcome: fn(&Outcome) -> bool| -> usize {
            sent.iter()
                .filter(|s| s.collector == index && s.incarnation == incarnation)
                .filter(|s| outcome(&s.outcome))
                .map(|s| s.spans)
                .sum()
        };
        let refused = spans(|o| matches!(o, Outcome::Refused(_)));
        let unanswered = spans(|o| *o == Outcome::Unknown);
        let scrape = collector.scrape().await.unwrap();
        let counted = metric_sum(&scrape, "spur_collector_spans_refused_total", &[]);
        eprintln!(
            "{:?}: collector-{index}: {refused} spans refused, {counted} counted, {unanswered} unanswered",
            stack.plan.store
        );
        assert!(
            counted >= refused as f64,
            "collector-{index} counted every span it refused ({refused} refused, {counted} counted)"
        );
        assert!(
            counted <= (refused + unanswered) as f64,
            "collector-{index} counted only spans it refused ({counted} counted; {refused} refused, {unanswered} unanswered)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Dependencies of known trace shapes

async fn dependencies(stack: &Stack) {
    let run = format!("{}-deps", stack.plan.name);
    let seed = seed_of(&run);
    let mut client = stream::client(stack.plan.ports.collector_grpc[1]).unwrap();
    for number in 0..FAN_OUT_TRACES {
        let (_, spans) = stream::trace(&run, seed, number, &FAN_OUT);
        let outcome = stream::post(&mut client, spans).await;
        assert_eq!(outcome, Outcome::Acknowledged, "fan-out trace {number}");
    }
    let service = |index: usize| stream::service(&run, &FAN_OUT[index]);
    let want: BTreeMap<(String, String), u64> = [
        ((service(0), service(1)), FAN_OUT_TRACES),
        ((service(1), service(2)), 2 * FAN_OUT_TRACES),
    ]
    .into_iter()
    .collect();
    let deadline = tokio::time::Instant::now() + ARRIVAL_TIMEOUT;
    let mut got = BTreeMap::new();
    while tokio::time::Instant::now() < deadline {
        got = query::dependencies(stack.plan.ports.query_http)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        got.retain(|(parent, _), _| parent.starts_with(&run));
        if got == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(got, want, "/api/dependencies for the fan-out traces");
    // Two more flush intervals: nothing is counted twice.
    sleep(2.5).await;
    let mut again = query::dependencies(stack.plan.ports.query_http)
        .await
        .unwrap();
    again.retain(|(parent, _), _| parent.starts_with(&run));
    assert_eq!(again, want, "/api/dependencies stays exact");
}
