//! One handler per `/api` route, answering as Jaeger 1.57's `http_handler.go` does: parse
//! (400 on bad parameters), read (500 on storage errors), apply the adjusters where Jaeger
//! does, convert to the UI JSON and wrap in the envelope.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use serde::Serialize;
use spur_model::api_v2::Span;
use spur_model::ui_json::{UiTrace, trace_to_ui};
use spur_storage::OperationQuery;

use super::ApiState;
use super::envelope::{ApiError, Envelope, StructuredError, json_response};
use super::goparse::{parse_bool, parse_trace_id, query_unescape};
use super::params::{self, Form};
use super::reads;
use crate::adjust::{AdjustOptions, adjust_with};

/// Jaeger's `spanstore.ErrTraceNotFound` text.
const TRACE_NOT_FOUND: &str = "trace not found";

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The last path segment as sent (still percent-encoded), as gorilla/mux's encoded-path
/// variables are.
fn raw_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or_default()
}

/// Converts one trace, running the adjusters first when given their options.
fn to_ui(spans: Vec<Span>, adjust: Option<&AdjustOptions>) -> UiTrace {
    let spans = match adjust {
        Some(options) => adjust_with(spans, options),
        None => spans,
    };
    trace_to_ui(&spans, &[])
}

fn traces_response(traces: Vec<UiTrace>, errors: Vec<StructuredError>, form: &Form) -> Response {
    let mut envelope = Envelope::data(traces);
    envelope.errors = (!errors.is_empty()).then_some(errors);
    json_response(&envelope, form.pretty())
}

/// GET `/api/services`: every service, sorted, with `total`.
pub async fn services(
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let form = Form::parse(query.as_deref());
    let mut services = reads::get_services(state.reader.as_ref()).await?;
    services.sort();
    let total = services.len();
    Ok(json_response(
        &Envelope::counted(services, total),
        form.pretty(),
    ))
}

/// GET `/api/services/{service}/operations` (what the UI uses): unique operation names of
/// every span kind, sorted. The service is URL-unescaped like Go's `url.QueryUnescape`.
pub async fn service_operations(
    State(state): State<ApiState>,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let form = Form::parse(query.as_deref());
    let raw = raw_segment(uri.path().trim_end_matches("/operations"));
    let service = query_unescape(raw).unwrap_or_default();
    let operations = reads::get_operations(
        state.reader.as_ref(),
        &OperationQuery {
            service_name: service,
            span_kind: None,
        },
    )
    .await?;
    let mut names: Vec<String> = operations.into_iter().map(|op| op.name).collect();
    names.sort();
    names.dedup();
    let total = names.len();
    Ok(json_response(
        &Envelope::counted(names, total),
        form.pretty(),
    ))
}

#[derive(Debug, Serialize)]
struct UiOperation {
    name: String,
    #[serde(rename = "spanKind")]
    span_kind: String,
}

/// GET `/api/operations?service=&spanKind=`: `[{name, spanKind}]`; an absent or empty
/// `spanKind` lists every kind.
pub async fn operations(
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let form = Form::parse(query.as_deref());
    let service = form.value("service");
    if service.is_empty() {
        return Err(ApiError::bad_request("parameter 'service' is required"));
    }
    let span_kind = form.value("spanKind");
    let query = OperationQuery {
        service_name: service.to_owned(),
        span_kind: (!span_kind.is_empty()).then(|| span_kind.to_owned()),
    };
    let operations = reads::get_operations(state.reader.as_ref(), &query).await?;
    let total = operations.len();
    let data: Vec<UiOperation> = operations
        .into_iter()
        .map(|operation| UiOperation {
            name: operation.name,
            span_kind: operation.span_kind,
        })
        .collect();
    Ok(json_response(
        &Envelope::counted(data, total),
        form.pretty(),
    ))
}

/// GET `/api/traces`: by `traceID` (missing ones listed in `errors`) or a search; adjusted.
pub async fn search(
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let form = Form::parse(query.as_deref());
    let params = params::search(&form, now_micros()).map_err(ApiError::bad_request)?;
    let reader = state.reader.as_ref();
    if params.trace_ids.is_empty() {
        let traces = reads::find_traces(reader, &params.query).await?;
        let ui = traces
            .into_iter()
            .map(|spans| to_ui(spans, Some(&state.adjust)))
            .collect();
        return Ok(traces_response(ui, Vec::new(), &form));
    }
    let mut found = Vec::with_capacity(params.trace_ids.len());
    let mut errors = Vec::new();
    for trace_id in params.trace_ids {
        match reads::get_trace(reader, trace_id).await? {
            Some(spans) => found.push(to_ui(spans, Some(&state.adjust))),
            None => errors.push(StructuredError {
                code: None,
                msg: TRACE_NOT_FOUND.into(),
                trace_id: trace_id.to_string(),
            }),
        }
    }
    Ok(traces_response(found, errors, &form))
}

/// GET `/api/traces/{traceID}`: a one-trace array, adjusted unless `raw=true`; 404 if unknown.
pub async fn trace(
    State(state): State<ApiState>,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let form = Form::parse(query.as_deref());
    let trace_id = parse_trace_id(raw_segment(uri.path())).map_err(ApiError::bad_request)?;
    let Some(spans) = reads::get_trace(state.reader.as_ref(), trace_id).await? else {
        return Err(ApiError::not_found(TRACE_NOT_FOUND));
    };
    let raw = parse_bool(form.value("raw")).unwrap_or(false);
    let adjust = (!raw).then_some(&state.adjust);
    Ok(traces_response(
        vec![to_ui(spans, adjust)],
        Vec::new(),
        &form,
    ))
}

#[derive(Debug, Serialize)]
struct UiDependencyLink {
    parent: String,
    child: String,
    #[serde(rename = "callCount")]
    call_count: u64,
}

/// GET `/api/dependencies?endTs=&lookback=&service=`: links summed per (parent, child),
/// sorted, optionally only those touching `service`. Without a dependency store the answer
/// is an empty list, as a Jaeger backend with no links stored answers.
pub async fn dependencies(
    State(state): State<ApiState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let form = Form::parse(query.as_deref());
    let window = params::dependencies(&form, now_micros()).map_err(ApiError::bad_request)?;
    let links = match &state.dependencies {
        Some(store) => {
            reads::get_dependencies(store.as_ref(), window.end_micros, window.lookback_micros)
                .await?
        }
        None => Vec::new(),
    };
    let service = form.value("service");
    let mut summed: BTreeMap<(String, String), u64> = BTreeMap::new();
    for link in links {
        if service.is_empty() || link.parent == service || link.child == service {
            *summed.entry((link.parent, link.child)).or_default() += link.call_count;
        }
    }
    let data: Vec<UiDependencyLink> = summed
        .into_iter()
        .map(|((parent, child), call_count)| UiDependencyLink {
            parent,
            child,
            call_count,
        })
        .collect();
    Ok(json_response(&Envelope::data(data), form.pretty()))
}
