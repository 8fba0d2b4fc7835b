//! The write side: for each span, the `traces` row first, then the rows Jaeger's writer adds
//! (service and operation names behind write caches, the service-name index in one of ten
//! buckets, the service/operation index, and unless the span is a firehose span, the tag index
//! and the two hourly duration-index rows). Every row's TTL is what is left of the span TTL,
//! counted from the span's start, so retention follows span time also for replayed data.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use parking_lot::Mutex;
use rustc_hash::{FxHashMap, FxHashSet};
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimestamp;
use spur_model::api_v2::{KeyValue, Span, ValueType};
use spur_storage::matching::tag_value_string;
use spur_storage::{SpanWriter, StorageError};

use crate::dbmodel::{WritableSpan, hour_bucket_millis};
use crate::error::from_execution;
use crate::{CassandraStore, metrics};

/// Which tags get `tag_index` rows (Jaeger's `cassandra.index.*` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexOptions {
    /// Span tags (`cassandra.index.tags`, default true).
    pub tags: bool,
    /// Log fields (`cassandra.index.logs`, default true).
    pub logs: bool,
    /// Process tags (`cassandra.index.process-tags`, default true).
    pub process_tags: bool,
    /// Keys never indexed (`cassandra.index.tag-blacklist`).
    pub tag_blacklist: Vec<String>,
    /// When not empty, the only keys indexed (`cassandra.index.tag-whitelist`).
    pub tag_whitelist: Vec<String>,
    /// At most this many distinct values are indexed per service and tag key, counted since the
    /// process started; values past it are skipped (and counted). Zero: no cap. Keeps a
    /// request-id-like tag from filling `tag_index` with single-row partitions.
    pub max_values_per_key: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            tags: true,
            logs: true,
            process_tags: true,
            tag_blacklist: Vec::new(),
            tag_whitelist: Vec::new(),
            max_values_per_key: 0,
        }
    }
}

/// Jaeger's limit: a key or value this long or longer is not indexed.
const MAX_INDEXED_LENGTH: usize = 256;
/// Entries a write cache holds before it starts over.
const CACHE_CAPACITY: usize = 100_000;
/// The longest TTL Cassandra accepts (20 years).
const MAX_TTL_SECONDS: i64 = 630_720_000;

/// Names written recently, so they are not written again for every span.
pub(crate) struct WriteCaches {
    ttl: Duration,
    services: Mutex<FxHashMap<String, Instant>>,
    operations: Mutex<FxHashMap<(String, String, String), Instant>>,
    /// Distinct value hashes seen per (service, tag key), for the cardinality cap.
    tag_values: Mutex<FxHashMap<(String, String), FxHashSet<u64>>>,
}

impl WriteCaches {
    pub fn new(ttl: Duration) -> Self {
        WriteCaches {
            ttl,
            services: Mutex::default(),
            operations: Mutex::default(),
            tag_values: Mutex::default(),
        }
    }

    fn is_fresh<K: std::hash::Hash + Eq>(
        &self,
        cache: &Mutex<FxHashMap<K, Instant>>,
        key: &K,
    ) -> bool {
        cache
            .lock()
            .get(key)
            .is_some_and(|written| written.elapsed() < self.ttl)
    }

    fn remember<K: std::hash::Hash + Eq>(cache: &Mutex<FxHashMap<K, Instant>>, key: K) {
        let mut cache = cache.lock();
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, Instant::now());
    }

    /// Whether this value of the key may still be indexed under the cap (and counts it).
    fn admit_tag_value(&self, service: &str, key: &str, value: &str, cap: usize) -> bool {
        if cap == 0 {
            return true;
        }
        let hash = xxhash_rust::xxh3::xxh3_64(value.as_bytes());
        let mut seen = self.tag_values.lock();
        if seen.len() >= CACHE_CAPACITY {
            seen.clear();
        }
        let values = seen
            .entry((service.to_owned(), key.to_owned()))
            .or_default();
        if values.contains(&hash) {
            return true;
        }
        if values.len() >= cap {
            return false;
        }
        values.insert(hash);
        true
    }
}

/// A span with its row, its remaining TTL and its tag-index pairs.
struct Prepared {
    row: WritableSpan,
    ttl: i32,
    tag_pairs: Vec<(String, String)>,
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
        })
}

/// What is left of `span_ttl` for a span starting at `start` (µs): `None` when nothing is, zero
/// (Cassandra's "no TTL") when `span_ttl` is zero.
fn remaining_ttl(span_ttl: Duration, start: i64, now: i64) -> Option<i32> {
    if span_ttl.is_zero() {
        return Some(0);
    }
    let ttl = i64::try_from(span_ttl.as_secs()).unwrap_or(MAX_TTL_SECONDS);
    let age = now.saturating_sub(start) / 1_000_000;
    let left = ttl.saturating_sub(age).min(MAX_TTL_SECONDS);
    (left > 0).then(|| i32::try_from(left).unwrap_or(i32::MAX))
}

/// Whether a pair is indexed at all (Jaeger's rules): short enough, not a JSON object.
fn indexable(key: &str, value: &str) -> bool {
    key.len() < MAX_INDEXED_LENGTH
        && value.len() < MAX_INDEXED_LENGTH
        && !(value.starts_with('{') && serde_json_like_object(value))
}

/// Jaeger skips values that parse as a JSON object; a cheap structural test stands in for a
/// parser: `{`…`}` with a `"key":` inside.
fn serde_json_like_object(value: &str) -> bool {
    let trimmed = value.trim_end();
    trimmed.ends_with('}') && trimmed.contains("\":")
}

impl CassandraStore {
    /// The unique (key, value) pairs of a span to index, and how many were skipped.
    fn tag_index_pairs(&self, span: &Span, service: &str) -> Vec<(String, String)> {
        let index = &self.options.index;
        let mut sources: Vec<&KeyValue> = Vec::new();
        if index.tags {
            sources.extend(span.tags.iter());
        }
        if index.process_tags {
            sources.extend(span.process.iter().flat_map(|process| process.tags.iter()));
        }
        if index.logs {
            sources.extend(span.logs.iter().flat_map(|log| log.fields.iter()));
        }
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(sources.len());
        let mut skipped = 0u64;
        for tag in sources {
            if index.tag_blacklist.contains(&tag.key)
                || (!index.tag_whitelist.is_empty() && !index.tag_whitelist.contains(&tag.key))
            {
                continue;
            }
            // Binary values are indexed by their hex form (the contract's string form); Jaeger
            // leaves them out, so its queries never ask for them.
            let value = if tag.v_type == ValueType::String as i32 {
                tag.v_str.clone()
            } else {
                tag_value_string(tag)
            };
            if !indexable(&tag.key, &value)
                || !self
                    .caches
                    .admit_tag_value(service, &tag.key, &value, index.max_values_per_key)
            {
                skipped += 1;
                continue;
            }
            pairs.push((tag.key.clone(), value));
        }
        if skipped > 0 {
            ::metrics::counter!(metrics::TAG_INDEX_SKIPPED).increment(skipped);
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    fn prepare_spans(&self, spans: &[Span]) -> Result<Vec<Prepared>, StorageError> {
        let now = now_micros();
        let mut prepared = Vec::with_capacity(spans.len());
        let mut expired = 0u64;
        // Every span is checked before anything is written: a bad one rejects the whole call.
        let rows = spans
            .iter()
            .map(WritableSpan::from_span)
            .collect::<Result<Vec<_>, _>>()?;
        for (span, row) in spans.iter().zip(rows) {
            let Some(ttl) = remaining_ttl(self.span_ttl, row.start_time, now) else {
                expired += 1;
                continue;
            };
            let tag_pairs = if row.is_firehose() {
                Vec::new()
            } else {
                self.tag_index_pairs(span, &row.service_name)
            };
            prepared.push(Prepared {
                row,
                ttl,
                tag_pairs,
            });
        }
        if expired > 0 {
            ::metrics::counter!(metrics::SPANS_EXPIRED).increment(expired);
        }
        Ok(prepared)
    }

    async fn insert(
        &self,
        table: &'static str,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<(), StorageError> {
        let started = Instant::now();
        let result = self.session.execute_unpaged(statement, values).await;
        metrics::record_write(table, started, &result);
        result
            .map(drop)
            .map_err(|error| from_execution(&format!("writing {table}"), error))
    }

    /// Inserts `rows` with at most `in_flight` statements at once; the first failure fails
    /// all. Each row's statement future is made only when it is its turn: such a future is
    /// several KiB, so making them all up front held ~85 KiB per span of a large batch.
    async fn run_all(&self, rows: Vec<Row<'_>>, in_flight: usize) -> Result<(), StorageError> {
        let mut rows = rows.into_iter();
        let mut running = FuturesUnordered::new();
        loop {
            while running.len() < in_flight.max(1) {
                let Some(row) = rows.next() else { break };
                running.push(self.insert_row(row));
            }
            match running.next().await {
                Some(result) => result?,
                None => return Ok(()),
            }
        }
    }

    /// The span rows of `spans`.
    fn span_rows(spans: &[Prepared]) -> Vec<Row<'_>> {
        spans.iter().map(Row::Span).collect()
    }

    /// The name rows to refresh and every index row of `spans`.
    fn index_rows<'a>(
        spans: &'a [Prepared],
        services: &'a [String],
        operations: &'a [(String, String, String)],
        names_ttl: i32,
    ) -> Vec<Row<'a>> {
        let mut rows = Vec::new();
        rows.extend(
            services
                .iter()
                .map(|service| Row::ServiceName(service, names_ttl)),
        );
        rows.extend(
            operations
                .iter()
                .map(|operation| Row::OperationName(operation, names_ttl)),
        );
        for span in spans {
            rows.push(Row::ServiceIndex(span));
            rows.push(Row::OperationIndex(span));
            if span.row.is_firehose() {
                continue;
            }
            rows.extend(span.tag_pairs.iter().map(|pair| Row::Tag(span, pair)));
            rows.push(Row::Duration(span, ""));
            rows.push(Row::Duration(span, span.row.operation_name.as_str()));
        }
        rows
    }

    async fn insert_row(&self, row: Row<'_>) -> Result<(), StorageError> {
        let statements = &self.statements;
        match row {
            Row::Span(span) => {
                let (row, ttl) = (&span.row, span.ttl);
                self.insert(
                    "traces",
                    &statements.insert_span,
                    (
                        &row.trace_id,
                        row.span_id,
                        row.span_hash,
                        0i64,
                        &row.operation_name,
                        row.flags,
                        row.start_time,
                        row.duration,
                        &row.tags,
                        &row.logs,
                        &row.refs,
                        &row.process,
                        ttl,
                    ),
                )
                .await
            }
            Row::ServiceName(service, ttl) => {
                self.insert(
                    "service_names",
                    &statements.insert_service_name,
                    (service, ttl),
                )
                .await?;
                WriteCaches::remember(&self.caches.services, service.clone());
                Ok(())
            }
            Row::OperationName(operation, ttl) => {
                let (service, kind, name) = operation;
                self.insert(
                    "operation_names_v2",
                    &statements.insert_operation_name,
                    (service, kind, name, ttl),
                )
                .await?;
                WriteCaches::remember(&self.caches.operations, operation.clone());
                Ok(())
            }
            Row::ServiceIndex(span) => {
                let (row, ttl) = (&span.row, span.ttl);
                let bucket = (row.span_hash as u64 % 10) as i32;
                self.insert(
                    "service_name_index",
                    &statements.insert_service_name_index,
                    (
                        &row.service_name,
                        bucket,
                        row.start_time,
                        &row.trace_id,
                        ttl,
                    ),
                )
                .await
            }
            Row::OperationIndex(span) => {
                let (row, ttl) = (&span.row, span.ttl);
                self.insert(
                    "service_operation_index",
                    &statements.insert_service_operation_index,
                    (
                        &row.service_name,
                        &row.operation_name,
                        row.start_time,
                        &row.trace_id,
                        ttl,
                    ),
                )
                .await
            }
            Row::Tag(span, (key, value)) => {
                let (row, ttl) = (&span.row, span.ttl);
                self.insert(
                    "tag_index",
                    &statements.insert_tag_index,
                    (
                        &row.trace_id,
                        row.span_id,
                        &row.service_name,
                        row.start_time,
                        key,
                        value,
                        ttl,
                    ),
                )
                .await
            }
            Row::Duration(span, operation) => {
                let (row, ttl) = (&span.row, span.ttl);
                let bucket = CqlTimestamp(hour_bucket_millis(row.start_time));
                self.insert(
                    "duration_index",
                    &statements.insert_duration_index,
                    (
                        &row.service_name,
                        operation,
                        bucket,
                        row.duration,
                        row.start_time,
                        &row.trace_id,
                        ttl,
                    ),
                )
                .await
            }
        }
    }
}

/// One row to insert, borrowed from the prepared spans and names of a write.
#[derive(Clone, Copy)]
enum Row<'a> {
    Span(&'a Prepared),
    /// A service name and the names' TTL.
    ServiceName(&'a String, i32),
    /// (service, span kind, operation) and the names' TTL.
    OperationName(&'a (String, String, String), i32),
    ServiceIndex(&'a Prepared),
    OperationIndex(&'a Prepared),
    Tag(&'a Prepared, &'a (String, String)),
    /// The duration index row under no operation (`""`) or the span's operation.
    Duration(&'a Prepared, &'a str),
}

/// Spans converted ahead of writing, for the benchmark's plain insert loop.
#[doc(hidden)]
pub struct PreparedBatch(Vec<Prepared>);

impl CassandraStore {
    /// The benchmark's baseline, step one: the conversion `write_spans` does first.
    #[doc(hidden)]
    pub fn prepare_for_benchmark(&self, spans: &[Span]) -> Result<PreparedBatch, StorageError> {
        self.prepare_spans(spans).map(PreparedBatch)
    }

    /// The benchmark's baseline, step two: every row of the batch (span, name and index
    /// rows) inserted with `in_flight` statements at once and nothing else; returns the number
    /// of rows. What the server accepts when the client does no more than send.
    #[doc(hidden)]
    pub async fn insert_prepared_for_benchmark(
        &self,
        batch: &PreparedBatch,
        in_flight: usize,
    ) -> Result<usize, StorageError> {
        let mut services: Vec<String> =
            batch.0.iter().map(|s| s.row.service_name.clone()).collect();
        services.sort_unstable();
        services.dedup();
        let mut operations: Vec<(String, String, String)> = batch
            .0
            .iter()
            .map(|s| {
                (
                    s.row.service_name.clone(),
                    s.row.span_kind.clone(),
                    s.row.operation_name.clone(),
                )
            })
            .collect();
        operations.sort_unstable();
        operations.dedup();
        let mut rows = Self::span_rows(&batch.0);
        rows.extend(Self::index_rows(&batch.0, &services, &operations, 0));
        let count = rows.len();
        self.run_all(rows, in_flight).await?;
        Ok(count)
    }
}

#[async_trait]
impl SpanWriter for CassandraStore {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        let prepared = self.prepare_spans(&spans)?;
        drop(spans);
        if prepared.is_empty() {
            return Ok(());
        }
        // The span rows first: an index row never points at a span that was not stored.
        let in_flight = self.options.write_concurrency;
        self.run_all(Self::span_rows(&prepared), in_flight).await?;

        let mut services: Vec<String> = Vec::new();
        let mut operations: Vec<(String, String, String)> = Vec::new();
        let mut seen_services = FxHashSet::default();
        let mut seen_operations = FxHashSet::default();
        for span in &prepared {
            let row = &span.row;
            if seen_services.insert(row.service_name.as_str())
                && !self
                    .caches
                    .is_fresh(&self.caches.services, &row.service_name)
            {
                services.push(row.service_name.clone());
            }
            let operation = (
                row.service_name.clone(),
                row.span_kind.clone(),
                row.operation_name.clone(),
            );
            if seen_operations.insert(operation.clone())
                && !self.caches.is_fresh(&self.caches.operations, &operation)
            {
                operations.push(operation);
            }
        }
        let names_ttl = remaining_ttl(self.span_ttl, now_micros(), now_micros()).unwrap_or(0);
        let rows = Self::index_rows(&prepared, &services, &operations, names_ttl);
        self.run_all(rows, in_flight).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ttl_counts_from_the_span_start() {
        let day = Duration::from_secs(86_400);
        let now = 10_000_000_000_000;
        assert_eq!(remaining_ttl(day, now, now), Some(86_400));
        assert_eq!(remaining_ttl(day, now - 3_600_000_000, now), Some(82_800));
        assert_eq!(remaining_ttl(day, now - 86_400_000_000, now), None);
        assert_eq!(remaining_ttl(Duration::ZERO, 0, now), Some(0));
    }

    #[test]
    fn long_and_json_values_are_not_indexed() {
        assert!(indexable("http.url", "/a"));
        assert!(!indexable(&"k".repeat(256), "v"));
        assert!(!indexable("k", &"v".repeat(256)));
        assert!(!indexable("k", r#"{"a": 1}"#));
        assert!(indexable("k", "{not json"));
    }

    #[test]
    fn the_cardinality_cap_admits_known_values() {
        let caches = WriteCaches::new(Duration::from_secs(60));
        assert!(caches.admit_tag_value("s", "id", "1", 2));
        assert!(caches.admit_tag_value("s", "id", "2", 2));
        assert!(!caches.admit_tag_value("s", "id", "3", 2));
        assert!(
            caches.admit_tag_value("s", "id", "1", 2),
            "a value already seen"
        );
        assert!(caches.admit_tag_value("other", "id", "3", 2), "per service");
    }
}
