//! The read path, as Jaeger queries its indices: trace ids by a bool query (time window,
//! service, operation, duration, tags on the span, its process or its logs) with a `terms`
//! aggregation on `traceID` ordered by the newest start; whole traces by a `terms` query on the
//! trace ids, paged with `search_after`; services by an aggregation of the service indices and
//! operations with their span kinds by an aggregation of the span indices. Only the indices the
//! time window needs are searched (`ignore_unavailable`).
//!
//! Spans stored twice (Jaeger's random ids, a replay) are returned once; documents that cannot
//! be read as spans are skipped and counted.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use elasticsearch::http::Method;
use prost::Message;
use serde_json::{Value, json};
use spur_model::TraceId;
use spur_model::api_v2::Span;
use spur_storage::{GetTraceQuery, Operation, OperationQuery, StorageError, Trace, TraceQuery};

use crate::dbmodel::{self, SpanDocument};
use crate::indices::IndexKind;
use crate::{ElasticsearchStore, error, metrics};

/// Spans of a fetched trace are searched in `[window - 1 h, window + 1 h]`, as Jaeger does.
const TRACE_WINDOW_MARGIN: i64 = 3_600_000_000;
const SPAN_KIND_KEY: &str = "span.kind";

impl ElasticsearchStore {
    fn now_micros() -> i64 {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX)
    }

    /// The oldest start time reads may return: `now - retention`, when one is configured.
    fn retention_cutoff(&self) -> Option<i64> {
        let retention = self.options.retention?;
        let micros = i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
        Some(Self::now_micros().saturating_sub(micros))
    }

    fn max_span_age_micros(&self) -> i64 {
        i64::try_from(self.options.max_span_age.as_micros()).unwrap_or(i64::MAX)
    }

    /// Runs a search over `indices` (comma-joined in the path).
    async fn search(&self, indices: &[String], body: &Value) -> Result<Value, StorageError> {
        let path = format!("/{}/_search", indices.join(","));
        self.client
            .json(
                Method::Post,
                &path,
                &[("ignore_unavailable", "true"), ("allow_no_indices", "true")],
                Some(body),
            )
            .await
    }

    /// The spans of `trace_ids` starting in `[min, max]` (µs), every page of them, each span
    /// once, grouped by trace.
    async fn fetch_traces(
        &self,
        trace_ids: &[TraceId],
        min: i64,
        max: i64,
    ) -> Result<HashMap<TraceId, Trace>, StorageError> {
        let mut traces: HashMap<TraceId, Trace> = HashMap::new();
        if trace_ids.is_empty() {
            return Ok(traces);
        }
        let indices = self.naming.read_indices(IndexKind::Span, min, max);
        let forms: Vec<String> = trace_ids
            .iter()
            .flat_map(|trace_id| dbmodel::trace_id_forms(*trace_id))
            .collect();
        let mut filters = vec![json!({"terms": {"traceID": forms}})];
        let mut range = json!({"gte": min, "lte": max});
        if let Some(cutoff) = self.retention_cutoff() {
            range["gte"] = json!(min.max(cutoff));
        }
        filters.push(json!({"range": {"startTime": range}}));
        let page_size = self.options.max_doc_count.clamp(1, 10_000);
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut search_after: Option<Value> = None;
        loop {
            let mut body = json!({
                "size": page_size,
                "query": {"bool": {"filter": filters}},
                "sort": [
                    {"startTime": "asc"},
                    {"spanID": "asc"},
                    {"process.serviceName": {"order": "asc", "unmapped_type": "keyword"}},
                    {"operationName": "asc"},
                    {"duration": "asc"}
                ]
            });
            if let Some(after) = search_after.take() {
                body["search_after"] = after;
            }
            let answer = self.search(&indices, &body).await?;
            let hits = answer["hits"]["hits"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let full_page = hits.len() >= page_size;
            for hit in &hits {
                let Some(span) = self.span_of_hit(hit) else {
                    continue;
                };
                if !seen.insert(span.encode_to_vec()) {
                    ::metrics::counter!(metrics::DUPLICATES_DROPPED).increment(1);
                    continue;
                }
                let Ok(trace_id) = span.trace_id() else {
                    continue;
                };
                traces.entry(trace_id).or_default().push(span);
            }
            if !full_page {
                break;
            }
            search_after = hits.last().map(|hit| hit["sort"].clone());
            if search_after.is_none() {
                break;
            }
        }
        Ok(traces)
    }

    fn span_of_hit(&self, hit: &Value) -> Option<Span> {
        let unreadable = |reason: String| {
            ::metrics::counter!(metrics::DOCUMENTS_UNREADABLE).increment(1);
            tracing::warn!(index = %hit["_index"], id = %hit["_id"], %reason, "skipping a stored document that is not a span");
        };
        let document: SpanDocument = match serde_json::from_value(hit["_source"].clone()) {
            Ok(document) => document,
            Err(e) => {
                unreadable(e.to_string());
                return None;
            }
        };
        match dbmodel::document_to_span(document, &self.options.tags_as_fields) {
            Ok(span) => Some(span),
            Err(e) => {
                unreadable(e.to_string());
                None
            }
        }
    }

    pub(crate) async fn read_trace(
        &self,
        query: GetTraceQuery,
    ) -> Result<Option<Trace>, StorageError> {
        let now = Self::now_micros();
        let (min, max) = match (query.start_time_min, query.start_time_max) {
            (Some(min), Some(max)) => (
                min.saturating_sub(TRACE_WINDOW_MARGIN),
                max.saturating_add(TRACE_WINDOW_MARGIN),
            ),
            (Some(min), None) => (
                min.saturating_sub(TRACE_WINDOW_MARGIN),
                now.saturating_add(TRACE_WINDOW_MARGIN),
            ),
            (None, Some(max)) => (
                max.saturating_sub(self.max_span_age_micros()),
                max.saturating_add(TRACE_WINDOW_MARGIN),
            ),
            (None, None) => (
                now.saturating_sub(self.max_span_age_micros()),
                now.saturating_add(TRACE_WINDOW_MARGIN),
            ),
        };
        let mut traces = self.fetch_traces(&[query.trace_id], min, max).await?;
        Ok(traces
            .remove(&query.trace_id)
            .filter(|trace| !trace.is_empty()))
    }

    /// The bool query of a trace search: every condition on one span.
    fn trace_query(&self, query: &TraceQuery) -> Value {
        let (mut min, max) = (query.start_time_min, query.start_time_max);
        if let Some(cutoff) = self.retention_cutoff() {
            min = min.max(cutoff);
        }
        let mut filters = vec![
            json!({"range": {"startTimeMillis": {"gte": min.div_euclid(1000), "lte": max.div_euclid(1000)}}}),
            json!({"range": {"startTime": {"gte": min, "lte": max}}}),
            json!({"term": {"process.serviceName": query.service_name}}),
        ];
        if let Some(operation) = &query.operation_name {
            filters.push(json!({"term": {"operationName": operation}}));
        }
        if query.duration_min.is_some() || query.duration_max.is_some() {
            let mut range = serde_json::Map::new();
            if let Some(min) = query.duration_min {
                range.insert("gte".into(), json!(min));
            }
            if let Some(max) = query.duration_max {
                range.insert("lte".into(), json!(max));
            }
            filters.push(json!({"range": {"duration": range}}));
        }
        for (key, value) in &query.tags {
            filters.push(self.tag_query(key, value));
        }
        json!({"bool": {"filter": filters}})
    }

    /// `key = value` on the span's tags, its process tags or a log's fields, nested or as
    /// fields. Values match exactly (Jaeger matches them as regular expressions).
    fn tag_query(&self, key: &str, value: &str) -> Value {
        let nested = |path: &str| {
            json!({"nested": {
                "path": path,
                "query": {"bool": {"filter": [
                    {"term": {format!("{path}.key"): key}},
                    {"term": {format!("{path}.value"): value}}
                ]}}
            }})
        };
        let field = self.options.tags_as_fields.field_name(key);
        json!({"bool": {
            "should": [
                nested("tags"),
                nested("process.tags"),
                nested("logs.fields"),
                {"term": {format!("tag.{field}"): value}},
                {"term": {format!("process.tag.{field}"): value}}
            ],
            "minimum_should_match": 1
        }})
    }

    pub(crate) async fn search_trace_ids(
        &self,
        query: &TraceQuery,
    ) -> Result<Vec<TraceId>, StorageError> {
        query.validate()?;
        let indices =
            self.naming
                .read_indices(IndexKind::Span, query.start_time_min, query.start_time_max);
        let body = json!({
            "size": 0,
            "query": self.trace_query(query),
            "aggs": {"traceIDs": {
                "terms": {
                    "field": "traceID",
                    "size": query.limit(),
                    "order": [{"startTime": "desc"}, {"_key": "asc"}]
                },
                "aggs": {"startTime": {"max": {"field": "startTime"}}}
            }}
        });
        let answer = self.search(&indices, &body).await?;
        let buckets = answer["aggregations"]["traceIDs"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut trace_ids = Vec::with_capacity(buckets.len());
        for bucket in buckets {
            let key = bucket["key"].as_str().unwrap_or_default();
            let trace_id = TraceId::from_hex(key)
                .map_err(|e| error::from_decoding(&format!("a stored trace id {key:?}"), e))?;
            if !trace_ids.contains(&trace_id) {
                trace_ids.push(trace_id);
            }
        }
        Ok(trace_ids)
    }

    pub(crate) async fn search_traces(
        &self,
        query: &TraceQuery,
    ) -> Result<Vec<Trace>, StorageError> {
        let trace_ids = self.search_trace_ids(query).await?;
        let mut traces = self
            .fetch_traces(
                &trace_ids,
                query.start_time_min.saturating_sub(TRACE_WINDOW_MARGIN),
                query.start_time_max.saturating_add(TRACE_WINDOW_MARGIN),
            )
            .await?;
        Ok(trace_ids
            .iter()
            .filter_map(|trace_id| traces.remove(trace_id))
            .filter(|trace| !trace.is_empty())
            .collect())
    }

    /// The window the catalog reads cover: the last `max_span_age` (and an hour ahead, for
    /// clocks that run fast).
    fn catalog_window(&self) -> (i64, i64) {
        let now = Self::now_micros();
        let mut min = now.saturating_sub(self.max_span_age_micros());
        if let Some(cutoff) = self.retention_cutoff() {
            min = min.max(cutoff);
        }
        (min, now.saturating_add(TRACE_WINDOW_MARGIN))
    }

    pub(crate) async fn read_services(&self) -> Result<Vec<String>, StorageError> {
        let (min, max) = self.catalog_window();
        let indices = self.naming.read_indices(IndexKind::Service, min, max);
        let body = json!({
            "size": 0,
            "aggs": {"distinct_services": {"terms": {
                "field": "serviceName",
                "size": self.options.max_doc_count.max(1)
            }}}
        });
        let answer = self.search(&indices, &body).await?;
        let services: BTreeSet<String> = bucket_keys(&answer["aggregations"]["distinct_services"])
            .map(str::to_owned)
            .collect();
        Ok(services.into_iter().collect())
    }

    /// Operations with their span kinds, from the span indices: Jaeger's service documents hold
    /// no span kind. A span without a `span.kind` tag counts as kind `""`.
    pub(crate) async fn read_operations(
        &self,
        query: &OperationQuery,
    ) -> Result<Vec<Operation>, StorageError> {
        let (min, max) = self.catalog_window();
        let indices = self.naming.read_indices(IndexKind::Span, min, max);
        let size = self.options.max_doc_count.max(1);
        let kind_field = self.options.tags_as_fields.elevates(SPAN_KIND_KEY);
        let kinds_aggregation = if kind_field {
            let field = format!(
                "tag.{}",
                self.options.tags_as_fields.field_name(SPAN_KIND_KEY)
            );
            json!({"kinds": {"terms": {"field": field, "size": 16, "missing": ""}}})
        } else {
            json!({"kinds": {
                "nested": {"path": "tags"},
                "aggs": {"kind": {
                    "filter": {"term": {"tags.key": SPAN_KIND_KEY}},
                    "aggs": {
                        "values": {"terms": {"field": "tags.value", "size": 16}},
                        "spans": {"reverse_nested": {}}
                    }
                }}
            }})
        };
        let body = json!({
            "size": 0,
            "query": {"bool": {"filter": [
                {"term": {"process.serviceName": query.service_name}},
                {"range": {"startTime": {"gte": min, "lte": max}}}
            ]}},
            "aggs": {"distinct_operations": {
                "terms": {"field": "operationName", "size": size},
                "aggs": kinds_aggregation
            }}
        });
        let answer = self.search(&indices, &body).await?;
        let buckets = answer["aggregations"]["distinct_operations"]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut operations = BTreeSet::new();
        for bucket in &buckets {
            let Some(name) = bucket["key"].as_str() else {
                continue;
            };
            let mut kinds: Vec<String> = Vec::new();
            if kind_field {
                kinds.extend(bucket_keys(&bucket["kinds"]).map(str::to_owned));
            } else {
                let kind = &bucket["kinds"]["kind"];
                kinds.extend(bucket_keys(&kind["values"]).map(str::to_owned));
                let spans = bucket["doc_count"].as_u64().unwrap_or(0);
                let with_kind = kind["spans"]["doc_count"].as_u64().unwrap_or(0);
                if spans > with_kind {
                    kinds.push(String::new());
                }
            }
            for kind in kinds {
                operations.insert(Operation {
                    name: name.to_owned(),
                    span_kind: kind,
                });
            }
        }
        Ok(operations
            .into_iter()
            .filter(|operation| {
                query
                    .span_kind
                    .as_ref()
                    .is_none_or(|kind| &operation.span_kind == kind)
            })
            .collect())
    }
}

/// The string keys of a terms aggregation's buckets.
fn bucket_keys(aggregation: &Value) -> impl Iterator<Item = &str> {
    aggregation["buckets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|bucket| bucket["key"].as_str())
}

/// Times a read and records it under `operation`.
pub(crate) async fn timed<T>(
    operation: &'static str,
    read: impl std::future::Future<Output = Result<T, StorageError>>,
) -> Result<T, StorageError> {
    let started = Instant::now();
    let result = read.await;
    metrics::record_search(operation, started, &result);
    result
}
