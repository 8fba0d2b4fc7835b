//! Remote sampling strategies from Jaeger's strategies file, served as Jaeger's collector
//! serves them: `GET /api/sampling?service=` on the HTTP port (Jaeger's JSON) and
//! `jaeger.api_v2.SamplingManager/GetSamplingStrategy` on the gRPC port.
//!
//! The file format and resolution are Jaeger's (`plugin/sampling/strategystore/static`, v1.57,
//! with `sampling.strategies.bugfix-5270` off): `default_strategy` and `service_strategies[]`,
//! each `{type: probabilistic|ratelimiting, param, operation_strategies: [{operation, type,
//! param}]}` (the older top-level `default_operation_strategies` is read too). A service gets
//! its own entry or the default; operation strategies are probabilistic only (others are
//! ignored with a warning); a service's operation strategies are merged with the default's
//! (the service's win), and a service without any takes the default's; an unknown type is
//! probabilistic 0.001; rate limits are truncated to whole traces per second. With no file,
//! every service gets probabilistic 0.001. The file is re-read every `reload_interval` (0:
//! never); a file that no longer parses keeps the last good strategies, logs a warning and
//! counts `spur_sampling_reload_errors_total`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use spur_model::api_v2::sampling_manager_server::{SamplingManager, SamplingManagerServer};
use spur_model::api_v2::{
    OperationSamplingStrategy, PerOperationSamplingStrategies, ProbabilisticSamplingStrategy,
    RateLimitingSamplingStrategy, SamplingStrategyParameters, SamplingStrategyResponse,
    SamplingStrategyType,
};

const DEFAULT_PROBABILITY: f64 = 0.001;
pub const RELOAD_ERRORS: &str = "spur_sampling_reload_errors_total";
pub const HTTP_REQUESTS: &str = "jaeger_collector_http_server_requests_total";
pub const HTTP_ERRORS: &str = "jaeger_collector_http_server_errors_total";

#[derive(Debug, Clone, Deserialize)]
struct FileStrategy {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    param: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct FileOperationStrategy {
    #[serde(default)]
    operation: String,
    #[serde(flatten)]
    strategy: FileStrategy,
}

#[derive(Debug, Clone, Deserialize)]
struct FileServiceStrategy {
    #[serde(default)]
    service: String,
    #[serde(flatten)]
    strategy: FileStrategy,
    #[serde(default)]
    operation_strategies: Vec<FileOperationStrategy>,
}

#[derive(Debug, Clone, Deserialize)]
struct StrategiesFile {
    default_strategy: Option<FileServiceStrategy>,
    #[serde(default)]
    default_operation_strategies: Vec<FileOperationStrategy>,
    #[serde(default)]
    service_strategies: Vec<FileServiceStrategy>,
}

/// Parsed strategies: the default and one response per named service.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategies {
    default: SamplingStrategyResponse,
    services: HashMap<String, SamplingStrategyResponse>,
}

impl Default for Strategies {
    fn default() -> Self {
        Strategies {
            default: probabilistic(DEFAULT_PROBABILITY),
            services: HashMap::new(),
        }
    }
}

fn probabilistic(rate: f64) -> SamplingStrategyResponse {
    SamplingStrategyResponse {
        strategy_type: SamplingStrategyType::Probabilistic as i32,
        probabilistic_sampling: Some(ProbabilisticSamplingStrategy {
            sampling_rate: rate,
        }),
        ..Default::default()
    }
}

fn parse_strategy(strategy: &FileStrategy) -> SamplingStrategyResponse {
    match strategy.kind.as_str() {
        "probabilistic" => probabilistic(strategy.param),
        "ratelimiting" => SamplingStrategyResponse {
            strategy_type: SamplingStrategyType::RateLimiting as i32,
            rate_limiting_sampling: Some(RateLimitingSamplingStrategy {
                max_traces_per_second: strategy.param as i32,
            }),
            ..Default::default()
        },
        other => {
            tracing::warn!(
                strategy_type = other,
                "unknown sampling strategy type; using probabilistic 0.001"
            );
            probabilistic(DEFAULT_PROBABILITY)
        }
    }
}

/// Probabilistic operation strategies; others are ignored with a warning.
fn parse_operations(operations: &[FileOperationStrategy]) -> Vec<OperationSamplingStrategy> {
    operations
        .iter()
        .filter_map(|operation| {
            let parsed = parse_strategy(&operation.strategy);
            if parsed.strategy_type == SamplingStrategyType::RateLimiting as i32 {
                tracing::warn!(
                    operation = %operation.operation,
                    "operation strategies can only be probabilistic; ignoring this one"
                );
                return None;
            }
            Some(OperationSamplingStrategy {
                operation: operation.operation.clone(),
                probabilistic_sampling: parsed.probabilistic_sampling,
            })
        })
        .collect()
}

fn parse_service(strategy: &FileServiceStrategy) -> SamplingStrategyResponse {
    let mut response = parse_strategy(&strategy.strategy);
    if strategy.operation_strategies.is_empty() {
        return response;
    }
    let default_probability = match &response.probabilistic_sampling {
        Some(probabilistic) => probabilistic.sampling_rate,
        None => DEFAULT_PROBABILITY,
    };
    response.operation_sampling = Some(PerOperationSamplingStrategies {
        default_sampling_probability: default_probability,
        per_operation_strategies: parse_operations(&strategy.operation_strategies),
        ..Default::default()
    });
    response
}

/// `own` merged with `defaults`, sorted by operation; `own` wins on the same operation.
fn merge_operations(
    own: &[OperationSamplingStrategy],
    defaults: &[OperationSamplingStrategy],
) -> Vec<OperationSamplingStrategy> {
    let mut merged: Vec<OperationSamplingStrategy> = own.to_vec();
    for default in defaults {
        if !own.iter().any(|mine| mine.operation == default.operation) {
            merged.push(default.clone());
        }
    }
    merged.sort_by(|a, b| a.operation.cmp(&b.operation));
    merged
}

impl Strategies {
    /// Parses a strategies file's text; errors carry serde_json's line and column.
    pub fn parse(text: &str) -> Result<Strategies, String> {
        let file: StrategiesFile = serde_json::from_str(text).map_err(|error| error.to_string())?;
        let mut default = match &file.default_strategy {
            Some(strategy) => parse_service(strategy),
            None => probabilistic(DEFAULT_PROBABILITY),
        };
        if !file.default_operation_strategies.is_empty() {
            let operations = parse_operations(&file.default_operation_strategies);
            let sampling = default
                .operation_sampling
                .get_or_insert_with(Default::default);
            sampling.per_operation_strategies.extend(operations);
        }
        let mut services = HashMap::new();
        for strategy in &file.service_strategies {
            let mut response = parse_service(strategy);
            match (
                &mut response.operation_sampling,
                &default.operation_sampling,
            ) {
                (None, defaults) => response.operation_sampling.clone_from(defaults),
                (Some(own), Some(defaults)) => {
                    own.per_operation_strategies = merge_operations(
                        &own.per_operation_strategies,
                        &defaults.per_operation_strategies,
                    );
                }
                (Some(_), None) => {}
            }
            services.insert(strategy.service.clone(), response);
        }
        Ok(Strategies { default, services })
    }

    /// The strategy of `service`: its own, else the default.
    pub fn for_service(&self, service: &str) -> &SamplingStrategyResponse {
        self.services.get(service).unwrap_or(&self.default)
    }
}

/// Jaeger's HTTP JSON for a strategy: proto JSON names, the enum by name, unset fields left
/// out, set ones in full (defaults included).
pub fn strategy_json(strategy: &SamplingStrategyResponse) -> serde_json::Value {
    let kind = if strategy.strategy_type == SamplingStrategyType::RateLimiting as i32 {
        "RATE_LIMITING"
    } else {
        "PROBABILISTIC"
    };
    let mut json = serde_json::json!({ "strategyType": kind });
    if let Some(probabilistic) = &strategy.probabilistic_sampling {
        json["probabilisticSampling"] =
            serde_json::json!({ "samplingRate": probabilistic.sampling_rate });
    }
    if let Some(rate) = &strategy.rate_limiting_sampling {
        json["rateLimitingSampling"] =
            serde_json::json!({ "maxTracesPerSecond": rate.max_traces_per_second });
    }
    if let Some(operations) = &strategy.operation_sampling {
        let per_operation: Vec<serde_json::Value> = operations
            .per_operation_strategies
            .iter()
            .map(|operation| {
                let mut entry = serde_json::json!({ "operation": operation.operation });
                if let Some(probabilistic) = &operation.probabilistic_sampling {
                    entry["probabilisticSampling"] =
                        serde_json::json!({ "samplingRate": probabilistic.sampling_rate });
                }
                entry
            })
            .collect();
        json["operationSampling"] = serde_json::json!({
            "defaultSamplingProbability": operations.default_sampling_probability,
            "defaultLowerBoundTracesPerSecond": operations.default_lower_bound_traces_per_second,
            "perOperationStrategies": per_operation,
            "defaultUpperBoundTracesPerSecond": operations.default_upper_bound_traces_per_second,
        });
    }
    json
}

/// The strategies in force, reloaded in the background; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct StrategyStore {
    current: Arc<RwLock<Arc<Strategies>>>,
}

impl StrategyStore {
    /// Loads `file` (none: probabilistic 0.001 for every service) and, when `reload_interval` is
    /// not zero, re-reads it that often. A file that cannot be read or parsed at start is an
    /// error naming it.
    pub async fn open(
        file: Option<&Path>,
        reload_interval: Duration,
    ) -> anyhow::Result<StrategyStore> {
        let Some(file) = file else {
            return Ok(StrategyStore::default());
        };
        let text = tokio::fs::read_to_string(file).await.map_err(|error| {
            anyhow::anyhow!("sampling strategies file {}: {error}", file.display())
        })?;
        let strategies = Strategies::parse(&text).map_err(|error| {
            anyhow::anyhow!("sampling strategies file {}: {error}", file.display())
        })?;
        let store = StrategyStore {
            current: Arc::new(RwLock::new(Arc::new(strategies))),
        };
        if !reload_interval.is_zero() {
            tokio::spawn(reload(
                store.clone(),
                file.to_path_buf(),
                text,
                reload_interval,
            ));
        }
        Ok(store)
    }

    pub fn strategies(&self) -> Arc<Strategies> {
        self.current
            .read()
            .map(|current| Arc::clone(&current))
            .unwrap_or_default()
    }

    fn replace(&self, strategies: Strategies) {
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(strategies);
        }
    }
}

/// Re-reads the file every `interval` while the store is in use.
async fn reload(store: StrategyStore, file: PathBuf, mut last: String, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        // Only this task and the store's users hold it: stop when nobody else does.
        if Arc::strong_count(&store.current) <= 1 {
            return;
        }
        let text = match tokio::fs::read_to_string(&file).await {
            Ok(text) => text,
            Err(error) => {
                metrics::counter!(RELOAD_ERRORS).increment(1);
                tracing::warn!(file = %file.display(), %error, "cannot re-read the sampling strategies; keeping the last ones");
                continue;
            }
        };
        if text == last {
            continue;
        }
        match Strategies::parse(&text) {
            Ok(strategies) => {
                store.replace(strategies);
                tracing::info!(file = %file.display(), "sampling strategies reloaded");
            }
            Err(error) => {
                metrics::counter!(RELOAD_ERRORS).increment(1);
                tracing::warn!(file = %file.display(), %error, "sampling strategies no longer parse; keeping the last ones");
            }
        }
        last = text;
    }
}

/// `GET /api/sampling?service=` and `GET /api/baggageRestrictions?service=` (always none).
pub fn http_router(store: StrategyStore) -> Router {
    Router::new()
        .route("/api/sampling", get(get_sampling))
        .route("/api/baggageRestrictions", get(get_baggage_restrictions))
        .with_state(store)
}

/// The `service` query parameter, which must appear exactly once (Jaeger's rule).
fn service_parameter(query: Option<&str>) -> Option<String> {
    let mut values = query.unwrap_or("").split('&').filter_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (name == "service").then(|| percent_decode(value))
    });
    match (values.next(), values.next()) {
        (Some(service), None) => Some(service),
        _ => None,
    }
}

/// Jaeger's answer when `service` is missing or repeated.
fn service_missing() -> Response {
    metrics::counter!(HTTP_ERRORS, "source" => "all", "status" => "4xx").increment(1);
    (
        StatusCode::BAD_REQUEST,
        "'service' parameter must be provided once",
    )
        .into_response()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = bytes
                    .get(index + 1..index + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                match byte {
                    Some(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn get_sampling(State(store): State<StrategyStore>, RawQuery(query): RawQuery) -> Response {
    metrics::counter!(HTTP_REQUESTS, "type" => "sampling").increment(1);
    let Some(service) = service_parameter(query.as_deref()) else {
        return service_missing();
    };
    let strategies = store.strategies();
    (
        [(header::CONTENT_TYPE, "application/json")],
        strategy_json(strategies.for_service(&service)).to_string(),
    )
        .into_response()
}

async fn get_baggage_restrictions(RawQuery(query): RawQuery) -> Response {
    metrics::counter!(HTTP_REQUESTS, "type" => "baggage").increment(1);
    if service_parameter(query.as_deref()).is_none() {
        return service_missing();
    }
    ([(header::CONTENT_TYPE, "application/json")], "[]").into_response()
}

/// The gRPC `SamplingManager`.
pub fn grpc_service(store: StrategyStore) -> SamplingManagerServer<GrpcSampling> {
    SamplingManagerServer::new(GrpcSampling { store })
}

pub struct GrpcSampling {
    store: StrategyStore,
}

#[tonic::async_trait]
impl SamplingManager for GrpcSampling {
    async fn get_sampling_strategy(
        &self,
        request: tonic::Request<SamplingStrategyParameters>,
    ) -> Result<tonic::Response<SamplingStrategyResponse>, tonic::Status> {
        let service = request.into_inner().service_name;
        Ok(tonic::Response::new(
            self.store.strategies().for_service(&service).clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
      "default_strategy": {"type": "probabilistic", "param": 0.5,
        "operation_strategies": [{"operation": "/health", "type": "probabilistic", "param": 0.0},
                                 {"operation": "/shared", "type": "probabilistic", "param": 0.1}]},
      "service_strategies": [
        {"service": "foo", "type": "probabilistic", "param": 0.8,
         "operation_strategies": [{"operation": "op1", "type": "probabilistic", "param": 0.2},
                                  {"operation": "/shared", "type": "probabilistic", "param": 0.9},
                                  {"operation": "op2", "type": "ratelimiting", "param": 10}]},
        {"service": "bar", "type": "ratelimiting", "param": 5.7},
        {"service": "odd", "type": "sometimes", "param": 3}
      ]
    }"#;

    #[test]
    fn services_get_their_own_strategy_merged_with_the_defaults() {
        let strategies = Strategies::parse(FILE).unwrap();
        let foo = strategies.for_service("foo");
        assert_eq!(
            foo.probabilistic_sampling.as_ref().unwrap().sampling_rate,
            0.8
        );
        let operations = foo.operation_sampling.as_ref().unwrap();
        assert_eq!(operations.default_sampling_probability, 0.8);
        let names: Vec<(&str, f64)> = operations
            .per_operation_strategies
            .iter()
            .map(|o| {
                (
                    o.operation.as_str(),
                    o.probabilistic_sampling.as_ref().unwrap().sampling_rate,
                )
            })
            .collect();
        // op2 (rate limiting) ignored; /shared is the service's; /health comes from the default.
        assert_eq!(names, [("/health", 0.0), ("/shared", 0.9), ("op1", 0.2)]);

        let bar = strategies.for_service("bar");
        assert_eq!(
            bar.rate_limiting_sampling
                .as_ref()
                .unwrap()
                .max_traces_per_second,
            5
        );
        // Without operation strategies of its own a service takes the default's (bugfix-5270 off).
        assert_eq!(
            bar.operation_sampling,
            strategies.default.operation_sampling
        );

        let odd = strategies.for_service("odd");
        assert_eq!(
            odd.probabilistic_sampling.as_ref().unwrap().sampling_rate,
            0.001
        );
        let unknown = strategies.for_service("nobody");
        assert_eq!(
            unknown
                .probabilistic_sampling
                .as_ref()
                .unwrap()
                .sampling_rate,
            0.5
        );
        assert_eq!(
            Strategies::default().for_service("x"),
            &probabilistic(0.001)
        );
        assert!(Strategies::parse("{ nope").unwrap_err().contains("line 1"));
    }

    #[test]
    fn json_is_jaegers() {
        // The document Jaeger's collector answers for the default (model/converter/json).
        let expected: serde_json::Value = serde_json::from_str(
            r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}"#,
        )
        .unwrap();
        assert_eq!(strategy_json(&probabilistic(0.001)), expected);
        let strategies = Strategies::parse(FILE).unwrap();
        let bar = strategy_json(strategies.for_service("bar"));
        assert_eq!(bar["strategyType"], "RATE_LIMITING");
        assert_eq!(bar["rateLimitingSampling"]["maxTracesPerSecond"], 5);
        assert!(bar.get("probabilisticSampling").is_none());
        let foo = strategy_json(strategies.for_service("foo"));
        assert_eq!(
            foo["operationSampling"]["defaultLowerBoundTracesPerSecond"],
            0.0
        );
        assert_eq!(
            foo["operationSampling"]["perOperationStrategies"][2]["operation"],
            "op1"
        );
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
    }
}
