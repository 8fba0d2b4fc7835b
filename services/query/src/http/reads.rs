//! The reader calls the API makes, each timed and counted under Jaeger's query metrics
//! (see [`super::metrics`]), with storage errors turned into Jaeger's HTTP answers (500 and
//! the error's text). Unknown trace ids are not errors here; callers decide what they mean.

use std::time::Instant;

use spur_model::TraceId;
use spur_model::api_v2::{DependencyLink, Span};
use spur_storage::{
    DependencyStore, GetTraceQuery, Operation, OperationQuery, SpanReader, StorageError, TraceQuery,
};

use super::envelope::ApiError;
use super::metrics::record_read;

fn internal(error: &StorageError) -> ApiError {
    ApiError::internal(error.to_string())
}

pub async fn get_trace(
    reader: &dyn SpanReader,
    trace_id: TraceId,
) -> Result<Option<Vec<Span>>, ApiError> {
    let started = Instant::now();
    let result = reader.get_trace(GetTraceQuery::new(trace_id)).await;
    let found = matches!(result, Ok(Some(_)));
    record_read("get_trace", started, found, usize::from(found));
    result.map_err(|error| internal(&error))
}

pub async fn find_traces(
    reader: &dyn SpanReader,
    query: &TraceQuery,
) -> Result<Vec<Vec<Span>>, ApiError> {
    let started = Instant::now();
    let result = reader.find_traces(query).await;
    let count = result.as_ref().map_or(0, Vec::len);
    record_read("find_traces", started, result.is_ok(), count);
    result.map_err(|error| internal(&error))
}

pub async fn get_services(reader: &dyn SpanReader) -> Result<Vec<String>, ApiError> {
    let started = Instant::now();
    let result = reader.get_services().await;
    let count = result.as_ref().map_or(0, Vec::len);
    record_read("get_services", started, result.is_ok(), count);
    result.map_err(|error| internal(&error))
}

pub async fn get_operations(
    reader: &dyn SpanReader,
    query: &OperationQuery,
) -> Result<Vec<Operation>, ApiError> {
    let started = Instant::now();
    let result = reader.get_operations(query).await;
    let count = result.as_ref().map_or(0, Vec::len);
    record_read("get_operations", started, result.is_ok(), count);
    result.map_err(|error| internal(&error))
}

pub async fn get_dependencies(
    store: &dyn DependencyStore,
    end_micros: i64,
    lookback_micros: i64,
) -> Result<Vec<DependencyLink>, ApiError> {
    // Jaeger's query metrics cover span reads only; the route's own metrics count this one.
    store
        .get_dependencies(end_micros, lookback_micros)
        .await
        .map_err(|error| internal(&error))
}
