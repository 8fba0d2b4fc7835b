//! The read side. A trace is one paged partition read of `traces`. Finding traces walks one
//! index, newest rows first: the first indexable tag's `tag_index` partition, else the hourly
//! `duration_index` buckets, else `service_operation_index`, else the ten `service_name_index`
//! buckets merged; each new trace id is read whole and kept only if one of its spans satisfies
//! every condition (`spur_storage::matching`, so every backend answers alike). The walk stops
//! when the limit is filled by traces no later index row can beat.

use std::time::Instant;

use async_trait::async_trait;
use futures::{StreamExt, stream};
use rustc_hash::FxHashSet;
use scylla::client::pager::TypedRowStream;
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlTimestamp;
use spur_model::TraceId;
use spur_storage::matching::{span_matches, start_micros};
use spur_storage::{
    Capabilities, GetTraceQuery, Operation, OperationQuery, SpanReader, StorageError, Trace,
    TraceQuery,
};

use crate::dbmodel::{SpanRow, hour_buckets_millis};
use crate::error::{from_decoding, from_paging};
use crate::{CassandraStore, metrics};

/// An index row: the span's start time (µs) and its trace id.
type IndexRow = (i64, Vec<u8>);

/// New trace ids read whole at a time while walking an index.
const TRACES_PER_ROUND: usize = 32;
/// Traces read concurrently.
const TRACE_READS_IN_FLIGHT: usize = 16;
/// A walk stops after reading this many candidate traces, whatever it found.
const MAX_CANDIDATE_TRACES: usize = 20_000;

/// One ordered stream of index rows, newest first.
enum Source {
    Paged(TypedRowStream<IndexRow>),
    Buffered(std::vec::IntoIter<IndexRow>),
}

impl Source {
    async fn next(&mut self) -> Result<Option<IndexRow>, StorageError> {
        match self {
            Source::Paged(rows) => rows
                .next()
                .await
                .transpose()
                .map_err(|error| from_paging("reading an index", error)),
            Source::Buffered(rows) => Ok(rows.next()),
        }
    }
}

/// Several sources merged into one stream, newest first.
struct Candidates {
    sources: Vec<Source>,
    heads: Vec<Option<IndexRow>>,
}

impl Candidates {
    async fn new(mut sources: Vec<Source>) -> Result<Self, StorageError> {
        let mut heads = Vec::with_capacity(sources.len());
        for source in &mut sources {
            heads.push(source.next().await?);
        }
        Ok(Candidates { sources, heads })
    }

    async fn next(&mut self) -> Result<Option<IndexRow>, StorageError> {
        let newest = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(n, head)| head.as_ref().map(|(start, _)| (n, *start)))
            .max_by_key(|(_, start)| *start)
            .map(|(n, _)| n);
        let Some(n) = newest else {
            return Ok(None);
        };
        let row = self.heads[n].take();
        self.heads[n] = self.sources[n].next().await?;
        Ok(row)
    }
}

/// A trace that matched, with its sort key: the start of its newest matching span.
struct Found {
    newest_match: i64,
    trace_id: TraceId,
    trace: Trace,
}

/// Whether Jaeger's writer would have put this tag in `tag_index` (so a lookup can find it).
fn indexed_tag(key: &str, value: &str) -> bool {
    key.len() < 256 && value.len() < 256 && !value.starts_with('{')
}

impl CassandraStore {
    async fn paged(
        &self,
        table: &'static str,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<TypedRowStream<IndexRow>, StorageError> {
        let started = Instant::now();
        let result = self.session.execute_iter(statement.clone(), values).await;
        metrics::record_read(table, started, &result);
        result
            .map_err(|error| from_paging(&format!("reading {table}"), error))?
            .rows_stream::<IndexRow>()
            .map_err(|error| from_decoding(&format!("reading {table}"), error))
    }

    /// The index rows that can lead to the query's traces, newest first.
    async fn candidates(&self, query: &TraceQuery) -> Result<Candidates, StorageError> {
        let statements = &self.statements;
        let service = query.service_name.as_str();
        let (min, max) = (query.start_time_min, query.start_time_max);
        if let Some((key, value)) = query.tags.iter().find(|(k, v)| indexed_tag(k, v)) {
            let rows = self
                .paged(
                    "tag_index",
                    &statements.query_tag_index,
                    (service, key, value, min, max),
                )
                .await?;
            return Candidates::new(vec![Source::Paged(rows)]).await;
        }
        if query.duration_min.is_some() || query.duration_max.is_some() {
            // Duration rows are ordered by duration, not time: gather the window's, then sort.
            let operation = query.operation_name.as_deref().unwrap_or("");
            let (low, high) = (
                query.duration_min.unwrap_or(0),
                query.duration_max.unwrap_or(i64::MAX),
            );
            let mut rows = Vec::new();
            for bucket in hour_buckets_millis(min, max) {
                let mut source = self
                    .paged(
                        "duration_index",
                        &statements.query_duration_index,
                        (service, operation, CqlTimestamp(bucket), low, high),
                    )
                    .await?;
                while let Some(row) = source
                    .next()
                    .await
                    .transpose()
                    .map_err(|error| from_paging("reading duration_index", error))?
                {
                    if (min..=max).contains(&row.0) {
                        rows.push(row);
                    }
                }
            }
            rows.sort_unstable_by_key(|row| std::cmp::Reverse(row.0));
            return Candidates::new(vec![Source::Buffered(rows.into_iter())]).await;
        }
        if let Some(operation) = &query.operation_name {
            let rows = self
                .paged(
                    "service_operation_index",
                    &statements.query_service_operation_index,
                    (service, operation, min, max),
                )
                .await?;
            return Candidates::new(vec![Source::Paged(rows)]).await;
        }
        let mut sources = Vec::with_capacity(10);
        for bucket in 0..10i32 {
            let rows = self
                .paged(
                    "service_name_index",
                    &statements.query_service_name_index,
                    (service, bucket, min, max),
                )
                .await?;
            sources.push(Source::Paged(rows));
        }
        Candidates::new(sources).await
    }

    /// Every span of a trace (at most `max_trace_spans`), or `None` when it has none.
    async fn read_trace(&self, trace_id: TraceId) -> Result<Option<Trace>, StorageError> {
        let started = Instant::now();
        let result = self.read_trace_rows(trace_id).await;
        metrics::record_read("read_traces", started, &result);
        result.map(|spans| (!spans.is_empty()).then_some(spans))
    }

    async fn read_trace_rows(&self, trace_id: TraceId) -> Result<Trace, StorageError> {
        let context = "reading traces";
        let mut rows = self
            .session
            .execute_iter(
                self.statements.select_trace.clone(),
                (trace_id.to_bytes().to_vec(),),
            )
            .await
            .map_err(|error| from_paging(context, error))?
            .rows_stream::<SpanRow>()
            .map_err(|error| from_decoding(context, error))?;
        let mut spans = Vec::new();
        while let Some(row) = rows.next().await {
            let row = row.map_err(|error| from_paging(context, error))?;
            if spans.len() >= self.options.max_trace_spans {
                ::metrics::counter!(metrics::TRACES_TRUNCATED).increment(1);
                tracing::warn!(
                    %trace_id,
                    max = self.options.max_trace_spans,
                    "trace has more spans than cassandra max-trace-spans: returned cut"
                );
                break;
            }
            spans.push(row.into_span()?);
        }
        Ok(spans)
    }

    async fn find(&self, query: &TraceQuery) -> Result<Vec<Found>, StorageError> {
        query.validate()?;
        let started = Instant::now();
        let result = self.walk(query).await;
        metrics::record_read("query_traces", started, &result);
        result
    }

    async fn walk(&self, query: &TraceQuery) -> Result<Vec<Found>, StorageError> {
        let limit = query.limit();
        let mut candidates = self.candidates(query).await?;
        let mut seen: FxHashSet<TraceId> = FxHashSet::default();
        let mut found: Vec<Found> = Vec::new();
        loop {
            let mut round = Vec::with_capacity(TRACES_PER_ROUND);
            let mut oldest_row = i64::MAX;
            let mut exhausted = false;
            while round.len() < TRACES_PER_ROUND {
                let Some((start, trace_id)) = candidates.next().await? else {
                    exhausted = true;
                    break;
                };
                oldest_row = start;
                let Ok(trace_id) = TraceId::from_bytes(&trace_id) else {
                    continue;
                };
                if seen.insert(trace_id) {
                    round.push(trace_id);
                }
            }
            let traces: Vec<Result<(TraceId, Option<Trace>), StorageError>> = stream::iter(round)
                .map(|trace_id| async move {
                    self.read_trace(trace_id)
                        .await
                        .map(|trace| (trace_id, trace))
                })
                .buffered(TRACE_READS_IN_FLIGHT)
                .collect()
                .await;
            for read in traces {
                let (trace_id, Some(trace)) = read? else {
                    continue;
                };
                let newest_match = trace
                    .iter()
                    .filter(|span| span_matches(span, query))
                    .map(start_micros)
                    .max();
                if let Some(newest_match) = newest_match {
                    found.push(Found {
                        newest_match,
                        trace_id,
                        trace,
                    });
                }
            }
            found.sort_by(|a, b| {
                b.newest_match
                    .cmp(&a.newest_match)
                    .then(b.trace_id.cmp(&a.trace_id))
            });
            found.truncate(limit);
            // Later rows start at or before `oldest_row`, and so do their traces' matches.
            let full = found.len() >= limit
                && found
                    .last()
                    .is_some_and(|last| last.newest_match >= oldest_row);
            if exhausted || full {
                break;
            }
            if seen.len() >= MAX_CANDIDATE_TRACES {
                tracing::warn!(
                    service = %query.service_name,
                    candidates = seen.len(),
                    "find_traces stopped after reading its candidate cap; narrow the query"
                );
                break;
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl SpanReader for CassandraStore {
    async fn get_trace(&self, query: GetTraceQuery) -> Result<Option<Trace>, StorageError> {
        self.read_trace(query.trace_id).await
    }

    async fn find_traces(&self, query: &TraceQuery) -> Result<Vec<Trace>, StorageError> {
        Ok(self
            .find(query)
            .await?
            .into_iter()
            .map(|found| found.trace)
            .collect())
    }

    async fn find_trace_ids(&self, query: &TraceQuery) -> Result<Vec<TraceId>, StorageError> {
        Ok(self
            .find(query)
            .await?
            .into_iter()
            .map(|found| found.trace_id)
            .collect())
    }

    async fn get_services(&self) -> Result<Vec<String>, StorageError> {
        let context = "reading service_names";
        let mut rows = self
            .session
            .execute_iter(self.statements.select_services.clone(), ())
            .await
            .map_err(|error| from_paging(context, error))?
            .rows_stream::<(Option<String>,)>()
            .map_err(|error| from_decoding(context, error))?;
        let mut services = Vec::new();
        while let Some(row) = rows.next().await {
            let (service,) = row.map_err(|error| from_paging(context, error))?;
            services.extend(service);
        }
        services.sort_unstable();
        services.dedup();
        Ok(services)
    }

    async fn get_operations(&self, query: &OperationQuery) -> Result<Vec<Operation>, StorageError> {
        let context = "reading operation_names_v2";
        let service = query.service_name.as_str();
        let pager = match &query.span_kind {
            Some(kind) => {
                self.session
                    .execute_iter(
                        self.statements.select_operations_of_kind.clone(),
                        (service, kind),
                    )
                    .await
            }
            None => {
                self.session
                    .execute_iter(self.statements.select_operations.clone(), (service,))
                    .await
            }
        };
        let mut rows = pager
            .map_err(|error| from_paging(context, error))?
            .rows_stream::<(Option<String>, Option<String>)>()
            .map_err(|error| from_decoding(context, error))?;
        let mut operations = Vec::new();
        while let Some(row) = rows.next().await {
            let (span_kind, name) = row.map_err(|error| from_paging(context, error))?;
            operations.push(Operation {
                name: name.unwrap_or_default(),
                span_kind: span_kind.unwrap_or_default(),
            });
        }
        operations.sort_unstable();
        operations.dedup();
        Ok(operations)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            retention: !self.span_ttl.is_zero(),
            persistent: true,
        }
    }
}
