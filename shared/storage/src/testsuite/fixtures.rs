//! Test data and comparisons for the conformance checks: per-check deterministic ids and names,
//! a span builder, trace queries over the check's time range, and assertions that compare what a
//! backend returns with the spans that were written (ignoring only what the contract lets a
//! backend change: span order and the order inside repeated fields).

use std::collections::BTreeMap;

use prost::Message;
use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_model::{SpanId, TraceId};

use super::Harness;
use crate::matching::tag_value_string;
use crate::{GetTraceQuery, Trace, TraceQuery};

pub(super) const SECOND: i64 = 1_000_000;
pub(super) const MINUTE: i64 = 60 * SECOND;
pub(super) const HOUR: i64 = 60 * MINUTE;

/// Microseconds since the Unix epoch, now.
pub(super) fn now_micros() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since_epoch.as_micros()).expect("the clock fits in i64 microseconds")
}

/// One check's data: ids seeded by the check's name, times relative to a recent base.
pub(super) struct Data {
    seed: u64,
    /// Half an hour ago, on a whole second: every span a check writes starts near it.
    pub base: i64,
}

impl Data {
    pub fn for_check(name: &str) -> Self {
        // FNV-1a: stable across runs and platforms, distinct per check name.
        let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let now = now_micros();
        Data {
            seed,
            base: now - now.rem_euclid(SECOND) - 30 * MINUTE,
        }
    }

    /// The check's trace number `n`.
    pub fn trace_id(&self, n: u64) -> TraceId {
        TraceId::new(self.seed, n)
    }

    /// A service name unique to the check.
    pub fn service(&self, name: &str) -> String {
        format!("{name}-{:08x}", self.seed >> 32)
    }

    /// A span of trace `n` with id `span`, starting at `base`, lasting 1 ms, of service `svc`.
    pub fn span(&self, trace: u64, span: u64) -> SpanBuilder {
        SpanBuilder(Span {
            trace_id: self.trace_id(trace).to_bytes().to_vec(),
            span_id: SpanId(span).to_bytes().to_vec(),
            operation_name: "op".into(),
            flags: 1,
            start_time: Some(timestamp_from_micros(self.base)),
            duration: Some(duration_from_micros(1_000)),
            tags: vec![KeyValue::string("component", "conformance")],
            process: Some(Process {
                service_name: self.service("svc"),
                tags: vec![KeyValue::string("hostname", "host-a")],
            }),
            ..Default::default()
        })
    }

    /// A query for `service` over `base ± 1 h`, Jaeger's default limit.
    pub fn query(&self, service: &str) -> TraceQuery {
        TraceQuery {
            service_name: service.to_owned(),
            start_time_min: self.base - HOUR,
            start_time_max: self.base + HOUR,
            ..Default::default()
        }
    }
}

/// Builds one span; every setter overrides one field of [`Data::span`]'s defaults.
pub(super) struct SpanBuilder(Span);

impl SpanBuilder {
    pub fn service(mut self, service: &str) -> Self {
        if let Some(process) = self.0.process.as_mut() {
            process.service_name = service.to_owned();
        }
        self
    }

    pub fn operation(mut self, operation: &str) -> Self {
        self.0.operation_name = operation.to_owned();
        self
    }

    pub fn start(mut self, micros: i64) -> Self {
        self.0.start_time = Some(timestamp_from_micros(micros));
        self
    }

    pub fn duration(mut self, micros: i64) -> Self {
        self.0.duration = Some(duration_from_micros(micros));
        self
    }

    pub fn tag(mut self, tag: KeyValue) -> Self {
        self.0.tags.push(tag);
        self
    }

    /// Sets the `span.kind` tag.
    pub fn kind(self, kind: &str) -> Self {
        self.tag(KeyValue::string("span.kind", kind))
    }

    pub fn process_tag(mut self, tag: KeyValue) -> Self {
        if let Some(process) = self.0.process.as_mut() {
            process.tags.push(tag);
        }
        self
    }

    pub fn log(mut self, at: i64, fields: Vec<KeyValue>) -> Self {
        self.0.logs.push(Log {
            timestamp: Some(timestamp_from_micros(at)),
            fields,
        });
        self
    }

    pub fn child_of(mut self, parent: u64) -> Self {
        let trace_id = TraceId::from_bytes(&self.0.trace_id).unwrap_or_default();
        self.0
            .references
            .push(SpanRef::new(trace_id, SpanId(parent), SpanRefType::ChildOf));
        self
    }

    pub fn without_process(mut self) -> Self {
        self.0.process = None;
        self
    }

    pub fn build(self) -> Span {
        self.0
    }
}

/// Writes spans, failing the check on an error.
pub(super) async fn write(harness: &Harness, spans: &[Span]) {
    harness
        .writer
        .write_spans(spans.to_vec())
        .await
        .expect("writing valid spans succeeds");
}

/// Reads one trace by id, failing the check on an error.
pub(super) async fn get_trace(harness: &Harness, trace_id: TraceId) -> Option<Trace> {
    harness
        .reader
        .get_trace(GetTraceQuery::new(trace_id))
        .await
        .unwrap_or_else(|error| panic!("get_trace({trace_id}) failed: {error}"))
}

/// Runs `find_traces`, failing the check on an error.
pub(super) async fn find(harness: &Harness, query: &TraceQuery) -> Vec<Trace> {
    harness
        .reader
        .find_traces(query)
        .await
        .unwrap_or_else(|error| panic!("find_traces({query:?}) failed: {error}"))
}

/// The trace id of a span; the suite only writes well-formed ids.
pub(super) fn trace_id_of(span: &Span) -> TraceId {
    span.trace_id()
        .expect("a backend returns spans with well-formed trace ids")
}

/// The ids of returned traces, in order; each trace must hold spans of a single trace id.
pub(super) fn ids_of(traces: &[Trace]) -> Vec<TraceId> {
    traces
        .iter()
        .map(|trace| {
            let first = trace
                .first()
                .expect("a returned trace has at least one span");
            let id = trace_id_of(first);
            assert!(
                trace.iter().all(|span| trace_id_of(span) == id),
                "a returned trace mixes spans of several trace ids"
            );
            id
        })
        .collect()
}

/// No trace at all, as an expectation.
pub(super) const NONE: &[&[Span]] = &[];

/// The ids of `traces` (each given by its spans), in order.
pub(super) fn ids<T: AsRef<[Span]>>(traces: &[T]) -> Vec<TraceId> {
    traces
        .iter()
        .map(|spans| trace_id_of(&spans.as_ref()[0]))
        .collect()
}

/// Asserts that `find_traces` answered exactly `expected`, in order, each trace whole.
pub(super) fn assert_traces<T: AsRef<[Span]>>(actual: &[Trace], expected: &[T], context: &str) {
    assert_eq!(
        ids_of(actual),
        ids(expected),
        "{context}: trace ids, newest first"
    );
    for (trace, spans) in actual.iter().zip(expected) {
        assert_same_spans(trace, spans.as_ref(), context);
    }
}

/// Asserts that two sets of spans are equal up to order (of spans and inside repeated fields).
pub(super) fn assert_same_spans(actual: &[Span], expected: &[Span], context: &str) {
    let actual = canonical(actual);
    let expected = canonical(expected);
    if actual == expected {
        return;
    }
    let missing: Vec<String> = expected
        .iter()
        .filter(|span| !actual.contains(span))
        .take(5)
        .map(describe)
        .collect();
    let unexpected: Vec<String> = actual
        .iter()
        .filter(|span| !expected.contains(span))
        .take(5)
        .map(describe)
        .collect();
    panic!(
        "{context}: read {} spans, wrote {}; expected but not read (first 5): {missing:?}; \
         read but not written as such (first 5): {unexpected:?}",
        actual.len(),
        expected.len()
    );
}

fn describe(span: &(Vec<u8>, Vec<u8>, Span)) -> String {
    let span = &span.2;
    let id = span.span_id().map(|id| id.to_string()).unwrap_or_default();
    format!("span {id} {:?}: {span:?}", span.operation_name)
}

/// Spans in a canonical form and order, keyed by span id and encoding.
fn canonical(spans: &[Span]) -> Vec<(Vec<u8>, Vec<u8>, Span)> {
    let mut canonical: Vec<_> = spans
        .iter()
        .map(|span| {
            let span = normalize(span);
            (span.span_id.clone(), span.encode_to_vec(), span)
        })
        .collect();
    canonical.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    canonical
}

/// The span with its repeated fields sorted.
fn normalize(span: &Span) -> Span {
    let mut span = span.clone();
    sort_tags(&mut span.tags);
    if let Some(process) = span.process.as_mut() {
        sort_tags(&mut process.tags);
    }
    for log in &mut span.logs {
        sort_tags(&mut log.fields);
    }
    span.logs.sort_by_cached_key(|log| log.encode_to_vec());
    span.references
        .sort_by_cached_key(|reference| reference.encode_to_vec());
    span
}

fn sort_tags(tags: &mut [KeyValue]) {
    tags.sort_by_cached_key(|tag| (tag.key.clone(), tag.v_type, tag_value_string(tag)));
}

/// Asserts that both `find_traces` and `find_trace_ids` answer exactly `expected`, in order.
pub(super) async fn expect_found<T: AsRef<[Span]>>(
    harness: &Harness,
    query: &TraceQuery,
    expected: &[T],
    context: &str,
) {
    assert_traces(&find(harness, query).await, expected, context);
    let trace_ids = harness
        .reader
        .find_trace_ids(query)
        .await
        .unwrap_or_else(|error| panic!("{context}: find_trace_ids failed: {error}"));
    assert_eq!(trace_ids, ids(expected), "{context}: find_trace_ids");
}

/// A query's tags from `(key, value)` pairs.
pub(super) fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}
