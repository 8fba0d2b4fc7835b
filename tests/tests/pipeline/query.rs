//! Reading the run's data back through the query service: a trace over the HTTP API
//! (`/api/traces/{id}`, the Jaeger UI's) and over gRPC (`QueryService/GetTrace`, raw spans),
//! and the dependency links (`/api/dependencies`).
//!
//! Owns the reading only; what must be there is the test's.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use spur_e2e::process::http_client;
use spur_model::TraceId;
use spur_model::api_v2::GetTraceRequest;
use spur_model::api_v2::Span;
use spur_model::api_v2::query_service_client::QueryServiceClient;

pub fn hex(trace_id: TraceId) -> String {
    format!("{:016x}{:016x}", trace_id.high, trace_id.low)
}

/// `/api/traces/{id}`: the trace's JSON (`data[0]`), or `None` while it is not found.
pub async fn http_trace(query: SocketAddr, trace_id: TraceId) -> Result<Option<Value>, String> {
    let url = format!("http://{query}/api/traces/{}", hex(trace_id));
    let response = http_client()
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status().as_u16() == 404 {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(format!("{url}: {}", response.status()));
    }
    let body: Value = response.json().await.map_err(|e| format!("{url}: {e}"))?;
    Ok(body["data"].get(0).cloned())
}

/// The span ids (hex) of an HTTP trace.
pub fn span_ids(trace: &Value) -> Vec<String> {
    let mut ids: Vec<String> = trace["spans"]
        .as_array()
        .map(|spans| {
            spans
                .iter()
                .filter_map(|span| span["spanID"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// `QueryService/GetTrace`: the trace's raw spans (empty while it is not found).
pub async fn grpc_trace(query: SocketAddr, trace_id: TraceId) -> Result<Vec<Span>, String> {
    let mut client = QueryServiceClient::connect(format!("http://{query}"))
        .await
        .map_err(|e| format!("query gRPC {query}: {e}"))?;
    let request = GetTraceRequest {
        trace_id: trace_id.to_bytes().to_vec(),
        ..GetTraceRequest::default()
    };
    let mut stream = match client.get_trace(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if status.code() == tonic::Code::NotFound => return Ok(Vec::new()),
        Err(status) => return Err(format!("GetTrace: {status}")),
    };
    let mut spans = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(chunk)) => spans.extend(chunk.spans),
            Ok(None) => return Ok(spans),
            Err(status) if status.code() == tonic::Code::NotFound => return Ok(Vec::new()),
            Err(status) => return Err(format!("GetTrace stream: {status}")),
        }
    }
}

/// `/api/dependencies` over the last hour: `(parent, child) -> callCount`.
pub async fn dependencies(query: SocketAddr) -> Result<BTreeMap<(String, String), u64>, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let lookback = Duration::from_secs(3_600).as_millis();
    let url = format!("http://{query}/api/dependencies?endTs={now}&lookback={lookback}");
    let body: Value = http_client()
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let mut links = BTreeMap::new();
    for link in body["data"].as_array().into_iter().flatten() {
        let parent = link["parent"].as_str().unwrap_or_default().to_owned();
        let child = link["child"].as_str().unwrap_or_default().to_owned();
        let count = link["callCount"].as_u64().unwrap_or_default();
        *links.entry((parent, child)).or_default() += count;
    }
    Ok(links)
}
