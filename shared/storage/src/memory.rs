//! The memory backend: every span in process memory, for tests and demos (Jaeger's `memory`
//! store).
//!
//! It owns a map of traces bounded by `max_traces` (Jaeger's `memory.max-traces`, env
//! `MEMORY_MAX_TRACES`; 0 = unbounded): when a write brings a new trace and the store is full,
//! the trace inserted first is evicted, whole (eviction follows insertion order, not use). Service
//! and operation names and dependency links are kept for the life of the store, like Jaeger's.
//!
//! Queries scan every stored trace and decide with [`crate::matching`], so the answers are the
//! contract's by construction; it is not meant for large data sets. Nothing survives a restart
//! and there is no retention period. One `parking_lot` lock guards the state; no method awaits
//! while holding it.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use async_trait::async_trait;
use parking_lot::RwLock;
use prost::Message;
use spur_model::api_v2::{DependencyLink, Span};
use spur_model::{SpanId, TraceId};

use crate::matching::{service_name, span_kind, span_matches, start_micros};
use crate::{
    Capabilities, DependencyStore, GetTraceQuery, Operation, OperationQuery, SpanReader,
    SpanWriter, StorageError, Trace, TraceQuery,
};

/// A bounded in-memory span store implementing every storage trait.
#[derive(Default)]
pub struct MemoryStore {
    /// At most this many traces are kept; 0 keeps every trace.
    max_traces: usize,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    traces: HashMap<TraceId, StoredTrace>,
    /// Trace ids in the order their first span arrived: the front is evicted first.
    insertion_order: VecDeque<TraceId>,
    /// Service name → the (operation, span kind) pairs seen with it; both sorted.
    services: BTreeMap<String, BTreeSet<Operation>>,
    /// Dependency links with the timestamp (µs) they were written for.
    dependencies: Vec<(i64, DependencyLink)>,
}

#[derive(Default)]
struct StoredTrace {
    spans: Vec<Span>,
    /// Span id → positions in `spans` (several when spans share an id, Zipkin style).
    by_span_id: HashMap<SpanId, Vec<usize>>,
}

impl StoredTrace {
    /// Adds the span unless an identical one is already stored.
    fn insert(&mut self, span_id: SpanId, span: Span) {
        let positions = self.by_span_id.entry(span_id).or_default();
        if positions
            .iter()
            .any(|&position| identical(&self.spans[position], &span))
        {
            return;
        }
        positions.push(self.spans.len());
        self.spans.push(span);
    }
}

/// Whether two spans are the same span: equal fields, or equal encodings (a NaN tag value
/// makes the fields unequal to themselves, but not the bytes).
fn identical(stored: &Span, incoming: &Span) -> bool {
    stored == incoming || stored.encode_to_vec() == incoming.encode_to_vec()
}

impl MemoryStore {
    /// A store keeping at most `max_traces` traces (0 = unbounded).
    pub fn new(max_traces: usize) -> Self {
        MemoryStore {
            max_traces,
            state: RwLock::default(),
        }
    }

    /// The bound this store was created with (0 = unbounded).
    pub fn max_traces(&self) -> usize {
        self.max_traces
    }

    /// How many traces are stored now.
    pub fn trace_count(&self) -> usize {
        self.state.read().traces.len()
    }
}

impl State {
    fn insert(&mut self, max_traces: usize, trace_id: TraceId, span_id: SpanId, span: Span) {
        let operation = Operation {
            name: span.operation_name.clone(),
            span_kind: span_kind(&span).to_owned(),
        };
        let service = service_name(&span);
        match self.services.get_mut(service) {
            Some(operations) => {
                operations.insert(operation);
            }
            None => {
                self.services
                    .insert(service.to_owned(), BTreeSet::from([operation]));
            }
        }

        if !self.traces.contains_key(&trace_id) {
            self.make_room(max_traces);
            self.insertion_order.push_back(trace_id);
        }
        self.traces
            .entry(trace_id)
            .or_default()
            .insert(span_id, span);
    }

    /// Evicts the oldest-inserted traces until one more fits.
    fn make_room(&mut self, max_traces: usize) {
        if max_traces == 0 {
            return;
        }
        while self.traces.len() >= max_traces {
            let Some(oldest) = self.insertion_order.pop_front() else {
                break;
            };
            self.traces.remove(&oldest);
        }
        debug_assert_eq!(self.traces.len(), self.insertion_order.len());
    }

    /// Traces with at least one matching span, newest first by their newest matching span.
    fn matching_trace_ids(&self, query: &TraceQuery) -> Vec<TraceId> {
        let mut found: Vec<(i64, TraceId)> = self
            .traces
            .iter()
            .filter_map(|(trace_id, trace)| {
                let newest_match = trace
                    .spans
                    .iter()
                    .filter(|span| span_matches(span, query))
                    .map(start_micros)
                    .max()?;
                Some((newest_match, *trace_id))
            })
            .collect();
        // Newest first; the trace id breaks ties so answers are stable.
        found.sort_unstable_by(|a, b| b.cmp(a));
        found.truncate(query.limit());
        found.into_iter().map(|(_, trace_id)| trace_id).collect()
    }
}

/// Checks a span before anything of its write is stored; returns its ids.
fn validate_span(span: &Span) -> Result<(TraceId, SpanId), StorageError> {
    let invalid = |reason: String| StorageError::InvalidArgument(reason);
    let trace_id = span
        .trace_id()
        .map_err(|error| invalid(format!("span trace id: {error}")))?;
    let span_id = span
        .span_id()
        .map_err(|error| invalid(format!("span id: {error}")))?;
    if span.process.is_none() {
        return Err(invalid(format!(
            "span {span_id} of trace {trace_id} has no process"
        )));
    }
    Ok((trace_id, span_id))
}

#[async_trait]
impl SpanWriter for MemoryStore {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        let ids = spans
            .iter()
            .map(validate_span)
            .collect::<Result<Vec<_>, _>>()?;
        let mut state = self.state.write();
        for ((trace_id, span_id), span) in ids.into_iter().zip(spans) {
            state.insert(self.max_traces, trace_id, span_id, span);
        }
        Ok(())
    }
}

#[async_trait]
impl SpanReader for MemoryStore {
    async fn get_trace(&self, query: GetTraceQuery) -> Result<Option<Trace>, StorageError> {
        // The time window is only a hint: the whole trace is at hand anyway.
        let state = self.state.read();
        Ok(state
            .traces
            .get(&query.trace_id)
            .map(|trace| trace.spans.clone()))
    }

    async fn find_traces(&self, query: &TraceQuery) -> Result<Vec<Trace>, StorageError> {
        query.validate()?;
        let state = self.state.read();
        let traces = state
            .matching_trace_ids(query)
            .iter()
            .filter_map(|trace_id| state.traces.get(trace_id))
            .map(|trace| trace.spans.clone())
            .collect();
        Ok(traces)
    }

    async fn find_trace_ids(&self, query: &TraceQuery) -> Result<Vec<TraceId>, StorageError> {
        query.validate()?;
        Ok(self.state.read().matching_trace_ids(query))
    }

    async fn get_services(&self) -> Result<Vec<String>, StorageError> {
        Ok(self.state.read().services.keys().cloned().collect())
    }

    async fn get_operations(&self, query: &OperationQuery) -> Result<Vec<Operation>, StorageError> {
        let state = self.state.read();
        let Some(operations) = state.services.get(&query.service_name) else {
            return Ok(Vec::new());
        };
        let wanted = |operation: &&Operation| {
            query
                .span_kind
                .as_ref()
                .is_none_or(|kind| operation.span_kind == *kind)
        };
        Ok(operations.iter().filter(wanted).cloned().collect())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            retention: false,
            persistent: false,
        }
    }
}

#[async_trait]
impl DependencyStore for MemoryStore {
    async fn write_dependencies(
        &self,
        timestamp: i64,
        links: Vec<DependencyLink>,
    ) -> Result<(), StorageError> {
        let mut state = self.state.write();
        state
            .dependencies
            .extend(links.into_iter().map(|link| (timestamp, link)));
        Ok(())
    }

    async fn get_dependencies(
        &self,
        end_time: i64,
        lookback: i64,
    ) -> Result<Vec<DependencyLink>, StorageError> {
        let start_time = end_time.saturating_sub(lookback);
        let state = self.state.read();
        let mut summed: BTreeMap<(&str, &str), DependencyLink> = BTreeMap::new();
        let in_window = state
            .dependencies
            .iter()
            .filter(|(timestamp, _)| (start_time..=end_time).contains(timestamp));
        for (_, link) in in_window {
            summed
                .entry((&link.parent, &link.child))
                .and_modify(|sum| sum.call_count = sum.call_count.saturating_add(link.call_count))
                .or_insert_with(|| link.clone());
        }
        Ok(summed.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use spur_model::api_v2::{KeyValue, Process};
    use spur_model::time::{duration_from_micros, timestamp_from_micros};

    use super::*;

    fn span(trace: u64, span: u64) -> Span {
        Span {
            trace_id: TraceId::new(0, trace).to_bytes().to_vec(),
            span_id: SpanId(span).to_bytes().to_vec(),
            operation_name: "op".into(),
            start_time: Some(timestamp_from_micros(
                1_000 * i64::try_from(span).unwrap_or(0),
            )),
            duration: Some(duration_from_micros(10)),
            process: Some(Process {
                service_name: "svc".into(),
                tags: Vec::new(),
            }),
            ..Default::default()
        }
    }

    async fn stored(store: &MemoryStore, trace: u64) -> Option<usize> {
        let query = GetTraceQuery::new(TraceId::new(0, trace));
        store
            .get_trace(query)
            .await
            .unwrap()
            .map(|spans| spans.len())
    }

    #[tokio::test]
    async fn the_oldest_inserted_trace_is_evicted_when_full() {
        let store = MemoryStore::new(2);
        for trace in 1..=3 {
            store.write_spans(vec![span(trace, 1)]).await.unwrap();
        }
        assert_eq!(store.trace_count(), 2);
        assert_eq!(stored(&store, 1).await, None);
        assert_eq!(stored(&store, 2).await, Some(1));
        assert_eq!(stored(&store, 3).await, Some(1));
    }

    #[tokio::test]
    async fn eviction_follows_insertion_not_the_latest_write() {
        let store = MemoryStore::new(2);
        store.write_spans(vec![span(1, 1)]).await.unwrap();
        store.write_spans(vec![span(2, 1)]).await.unwrap();
        // More spans for trace 1 neither evict anything nor make trace 1 younger.
        store
            .write_spans(vec![span(1, 2), span(1, 3)])
            .await
            .unwrap();
        assert_eq!(stored(&store, 1).await, Some(3));
        store.write_spans(vec![span(3, 1)]).await.unwrap();
        assert_eq!(stored(&store, 1).await, None);
        assert_eq!(stored(&store, 2).await, Some(1));
        assert_eq!(stored(&store, 3).await, Some(1));
    }

    #[tokio::test]
    async fn one_write_with_more_new_traces_than_the_bound_keeps_the_last() {
        let store = MemoryStore::new(3);
        let spans = (1..=5).map(|trace| span(trace, 1)).collect();
        store.write_spans(spans).await.unwrap();
        assert_eq!(store.trace_count(), 3);
        for (trace, expected) in [
            (1, None),
            (2, None),
            (3, Some(1)),
            (4, Some(1)),
            (5, Some(1)),
        ] {
            assert_eq!(stored(&store, trace).await, expected, "trace {trace}");
        }
    }

    #[tokio::test]
    async fn zero_keeps_every_trace() {
        let store = MemoryStore::new(0);
        let spans = (1..=2_000).map(|trace| span(trace, 1)).collect();
        store.write_spans(spans).await.unwrap();
        assert_eq!(store.trace_count(), 2_000);
        assert_eq!(stored(&store, 1).await, Some(1));
    }

    #[tokio::test]
    async fn evicted_traces_leave_find_results_but_services_stay() {
        let store = MemoryStore::new(1);
        store.write_spans(vec![span(1, 1)]).await.unwrap();
        store.write_spans(vec![span(2, 1)]).await.unwrap();
        let query = TraceQuery {
            service_name: "svc".into(),
            start_time_max: i64::MAX,
            ..Default::default()
        };
        let ids = store.find_trace_ids(&query).await.unwrap();
        assert_eq!(ids, vec![TraceId::new(0, 2)]);
        assert_eq!(store.get_services().await.unwrap(), vec!["svc".to_owned()]);
    }

    #[tokio::test]
    async fn identical_spans_are_stored_once_even_with_nan_tags() {
        let store = MemoryStore::new(0);
        let mut nan = span(1, 1);
        nan.tags.push(KeyValue::float64("ratio", f64::NAN));
        store
            .write_spans(vec![nan.clone(), nan.clone()])
            .await
            .unwrap();
        store.write_spans(vec![nan]).await.unwrap();
        let mut other = span(1, 1);
        other.operation_name = "other".into();
        store.write_spans(vec![other]).await.unwrap();
        assert_eq!(stored(&store, 1).await, Some(2));
    }

    #[tokio::test]
    async fn an_invalid_span_rejects_the_whole_write() {
        let store = MemoryStore::new(0);
        let mut orphan = span(2, 1);
        orphan.process = None;
        let error = store
            .write_spans(vec![span(1, 1), orphan])
            .await
            .unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidArgument);
        assert_eq!(store.trace_count(), 0);
        assert!(store.get_services().await.unwrap().is_empty());
    }
}
