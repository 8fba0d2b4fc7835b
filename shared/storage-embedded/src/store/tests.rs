//! Tests of the store's own behaviour (the conformance suite covers what every backend shares).

use super::*;
use bytes::Bytes;
use spur_model::api_v2::{KeyValue, Process};
use spur_storage::TraceQuery;

/// A fresh directory for one test's store, named after the test's process; removed on drop.
pub(super) struct TestDirectory(std::path::PathBuf);

impl TestDirectory {
    pub(super) fn new(name: &str) -> TestDirectory {
        let path = std::env::temp_dir().join(format!("spur-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TestDirectory(path)
    }
}

impl std::ops::Deref for TestDirectory {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDirectory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A query for traces of `service` holding the tag `key` = `value`, at any time.
pub(super) fn tag_query(service: &str, key: &str, value: &str) -> TraceQuery {
    TraceQuery {
        service_name: service.into(),
        tags: [(key.to_owned(), value.to_owned())].into(),
        start_time_min: 0,
        start_time_max: i64::MAX,
        num_traces: 5,
        ..TraceQuery::default()
    }
}

/// A span of `service` in trace `trace`: span id 1, starting at `start` (µs), lasting 1 µs.
pub(super) fn test_span(trace: TraceId, service: &str, start: i64) -> Span {
    Span {
        trace_id: trace.to_bytes().to_vec(),
        span_id: 1u64.to_be_bytes().to_vec(),
        start_time: Some(spur_model::time::timestamp_from_micros(start)),
        duration: Some(spur_model::time::duration_from_micros(1)),
        process: Some(Process {
            service_name: service.into(),
            tags: Vec::new(),
        }),
        ..Default::default()
    }
}

#[test]
fn work_pending_at_a_reopening_is_indexed_from_the_stored_spans() {
    let directory = TestDirectory::new("reopen");
    let span = Span {
        operation_name: "left-pending".into(),
        tags: vec![KeyValue::string("k", "v")],
        ..test_span(TraceId::new(0, 77), "reopen", now_micros())
    };
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    store.write_spans(vec![span.clone()]).unwrap();
    // Closed with the work still pending: the reopened store has no handed-over spans.
    drop(store);
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    assert_eq!(store.pending.iter().count(), 1);
    let found = store.find_traces(&tag_query("reopen", "k", "v")).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, vec![span]);
    assert_eq!(store.pending.iter().count(), 0);
    drop(store);
}

#[test]
fn encoded_spans_are_stored_as_given_not_encoded_again() {
    let directory = TestDirectory::new("as-given");
    let span = test_span(TraceId::new(0, 5), "as-given", now_micros());
    // The operation name (field 3) after the process (field 10): valid protobuf, in an
    // order prost never writes, so only bytes kept as given read back this way.
    let mut bytes = span.encode_to_vec();
    bytes.extend_from_slice(&[0x1a, 2, b'o', b'p']);
    let named = Span {
        operation_name: "op".into(),
        ..span
    };
    assert_ne!(bytes, named.encode_to_vec());
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    let encoded = EncodedSpan::parse(Bytes::from(bytes.clone())).unwrap();
    store.write_encoded(vec![encoded]).unwrap();
    let stored: Vec<_> = store
        .spans
        .iter()
        .map(|entry| entry.into_inner().unwrap().1.to_vec())
        .collect();
    assert_eq!(stored, vec![bytes]);
    assert_eq!(store.get_trace(TraceId::new(0, 5)).unwrap(), vec![named]);
    drop(store);
}

#[test]
fn a_large_pass_writes_its_index_as_a_table_and_a_small_one_through_the_memtable() {
    let directory = TestDirectory::new("ingest");
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    let now = now_micros();
    let span = |index: u64| Span {
        operation_name: "op".into(),
        tags: vec![KeyValue::int64("n", index as i64)],
        // Spread over many one-second buckets, as a burst replayed from Kafka is.
        ..test_span(
            TraceId::new(7, index + 1),
            "ingest",
            now - (index as i64 % 50) * 1_000_000,
        )
    };
    let find = |store: &Store, index: u64| {
        store
            .find_traces(&tag_query("ingest", "n", &index.to_string()))
            .unwrap()
    };
    store.write_spans((0..10).map(span).collect()).unwrap();
    store.apply_all_pending().unwrap();
    assert_eq!(
        store.index.table_count(),
        0,
        "a small pass stays in the memtable"
    );
    assert_eq!(find(&store, 3)[0].1, vec![span(3)]);
    let large = INGEST_PASS_SPANS as u64 + 500;
    store
        .write_spans((10..10 + large).map(span).collect())
        .unwrap();
    store.apply_all_pending().unwrap();
    // The ingested table, and the memtable holding the small pass, flushed by the ingestion.
    assert_eq!(
        store.index.table_count(),
        2,
        "the large pass went to a table"
    );
    assert!(store.pending.iter().next().is_none());
    for index in [3, 10, 1_234, 9 + large] {
        assert_eq!(find(&store, index)[0].1, vec![span(index)], "span {index}");
    }
    // Every span is in an expiry list, and every index entry of the table too.
    let (mut span_keys, mut index_keys) = (0, 0);
    for entry in store.expiry.iter() {
        let list = keys::ExpiryList::decode(&entry.value().unwrap()).unwrap();
        span_keys += list.span_keys.len();
        index_keys += list.index_keys.len();
    }
    assert_eq!(span_keys as u64, 10 + large);
    assert_eq!(index_keys, store.index.len().unwrap());
    drop(store);
}

#[test]
fn catalog_entries_are_written_once_per_opening() {
    let directory = TestDirectory::new("catalog");
    let span = |index: u64, operation: &str| Span {
        operation_name: operation.into(),
        ..test_span(TraceId::new(3, index + 1), "catalog", now_micros())
    };
    // Memtable entries count every version written, so a name written again shows.
    let written = |store: &Store| {
        (
            store.services.approximate_len(),
            store.operations.approximate_len(),
        )
    };
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    store.write_spans(vec![span(1, "a"), span(2, "a")]).unwrap();
    assert_eq!(written(&store), (1, 1));
    store.write_spans(vec![span(3, "a")]).unwrap();
    assert_eq!(written(&store), (1, 1), "known names are not written again");
    store.write_spans(vec![span(4, "a"), span(5, "b")]).unwrap();
    assert_eq!(written(&store), (1, 2), "a new operation is");
    drop(store);
    // Reopened, the names are listed, and written once more at most.
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    store.write_spans(vec![span(6, "b")]).unwrap();
    let names: Vec<String> = store
        .operations(&OperationQuery {
            service_name: "catalog".into(),
            span_kind: None,
        })
        .unwrap()
        .into_iter()
        .map(|operation| operation.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(store.services().unwrap(), ["catalog"]);
    drop(store);
}

#[test]
fn writers_apply_pending_work_when_the_indexer_falls_behind() {
    let directory = TestDirectory::new("backlog");
    // No background indexer runs here: only the writers' backpressure can apply the work.
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    let span = |index: u64| test_span(TraceId::new(0, index + 1), "backlog", now_micros());
    for index in 0..MAX_PENDING_SPANS - 1 {
        store.write_spans(vec![span(index)]).unwrap();
    }
    assert_eq!(
        store.pending.iter().count() as u64,
        MAX_PENDING_SPANS - 1,
        "below the bound"
    );
    assert_eq!(store.handoff().unwrap().len() as u64, MAX_PENDING_SPANS - 1);
    store.write_spans(vec![span(MAX_PENDING_SPANS)]).unwrap();
    assert_eq!(
        store.pending.iter().count(),
        0,
        "the writer applied the backlog"
    );
    assert!(
        store.handoff().unwrap().is_empty(),
        "handed-over spans freed"
    );
    drop(store);
}

#[test]
fn a_writer_over_the_backlog_bound_applies_passes_only_until_it_is_under() {
    let directory = TestDirectory::new("backlog-bound");
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    let span = |index: u64| test_span(TraceId::new(0, index + 1), "bound", now_micros());
    for index in 0..10 {
        store.write_spans(vec![span(index)]).unwrap();
    }
    // Under the bound (as a writer finds it after waiting for another's pass): nothing applied.
    store.apply_pending_over(11).unwrap();
    assert_eq!(store.pending.iter().count(), 10);
    assert_eq!(store.index.iter().count(), 0);
    // At the bound: a pass, which takes every waiting span (a pass holds up to 50,000).
    store.apply_pending_over(10).unwrap();
    assert_eq!(store.pending.iter().count(), 0);
    assert_eq!(store.pending_spans.load(Ordering::Relaxed), 0);
    assert!(store.index.iter().count() > 0);
    drop(store);
}

#[test]
fn a_process_tag_finds_the_traces_of_every_process_holding_it_newest_first() {
    let directory = TestDirectory::new("process-tags");
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    let now = now_micros();
    let span = |trace: u64, host: &str, seconds_ago: i64, own: Vec<KeyValue>| {
        let mut span = test_span(
            TraceId::new(0, trace),
            "shop",
            now - seconds_ago * 1_000_000,
        );
        span.tags = own;
        if let Some(process) = &mut span.process {
            process.tags = vec![
                KeyValue::string("host", host),
                KeyValue::string("zone", "eu"),
            ];
        }
        span
    };
    // Hosts a and b each in several buckets and writes; trace 5 holds host=a as its own tag.
    store
        .write_spans(vec![span(1, "a", 30, vec![]), span(2, "b", 20, vec![])])
        .unwrap();
    store.apply_all_pending().unwrap();
    store
        .write_spans(vec![
            span(3, "a", 10, vec![]),
            span(4, "b", 9, vec![]),
            span(5, "b", 5, vec![KeyValue::string("host", "a")]),
        ])
        .unwrap();
    let ids = |query: &TraceQuery| {
        let found = store.find_traces(query).unwrap();
        found.iter().map(|(id, _)| *id).collect::<Vec<_>>()
    };
    let trace = |n| TraceId::new(0, n);
    assert_eq!(
        ids(&tag_query("shop", "host", "a")),
        vec![trace(5), trace(3), trace(1)]
    );
    assert_eq!(
        ids(&tag_query("shop", "host", "b")),
        vec![trace(5), trace(4), trace(2)]
    );
    assert_eq!(ids(&tag_query("shop", "zone", "eu")).len(), 5);
    assert_eq!(
        ids(&TraceQuery {
            num_traces: 2,
            ..tag_query("shop", "zone", "eu")
        }),
        vec![trace(5), trace(4)]
    );
    assert!(ids(&tag_query("other", "host", "a")).is_empty());
    assert!(ids(&tag_query("shop", "host", "c")).is_empty());
}

#[test]
fn memtables_are_rotated_at_the_store_sizes_or_at_half_in_stores_made_before() {
    let directory = TestDirectory::new("memtable-sizes");
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    let rotate_at = |store: &Store, name| store.memtables.rotate_at(name);
    assert_eq!(rotate_at(&store, "spans"), Some(LARGE_MEMTABLE_BYTES));
    assert_eq!(rotate_at(&store, "services"), Some(SMALL_MEMTABLE_BYTES));
    drop(store);
    let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
    assert_eq!(rotate_at(&store, "index"), Some(LARGE_MEMTABLE_BYTES));
    // A store made before the marker: fjall sized its keyspaces at the store's sizes.
    let meta = store
        .db
        .keyspace("meta", KeyspaceCreateOptions::default)
        .unwrap();
    meta.remove(MEMTABLE_SIZES).unwrap();
    drop((meta, store));
    for _ in 0..2 {
        let store = Store::open(&directory, Duration::from_secs(3600)).unwrap();
        assert_eq!(rotate_at(&store, "spans"), Some(LARGE_MEMTABLE_BYTES / 2));
        assert_eq!(rotate_at(&store, "pending"), Some(LARGE_MEMTABLE_BYTES / 2));
        assert_eq!(rotate_at(&store, "expiry"), Some(SMALL_MEMTABLE_BYTES / 2));
    }
}
