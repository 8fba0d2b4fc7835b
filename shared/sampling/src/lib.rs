//! spur-sampling: Jaeger's file-based remote sampling, as Jaeger v1.57.0 does it
//! (`plugin/sampling/strategystore/static`, `pkg/clientcfg/clientcfghttp`,
//! `model/converter/json/sampling.go`), for the collector, the agent and the all-in-one.
//!
//! | module | owns |
//! |---|---|
//! | `file`, `go_decode` | the strategies file format, decoded as Go's `encoding/json` decodes it |
//! | `resolve`, [`strategies`] | Jaeger's rules: exact service else default, operation merging, `bugfix-5270` |
//! | [`store`] (+ `source`, `reload`) | loading a path or `http://` URL, reloading every interval, atomic swap |
//! | [`json`] (+ `go_json`) | the HTTP JSON bodies, byte for byte: protobuf-JSON and the agent's legacy form |
//! | [`http`] (+ `query`) | the axum routes `/sampling`, `/` (legacy), `/baggageRestrictions` |
//! | [`grpc`] | the tonic `SamplingManager` service |
//! | [`provider`], [`proxy`] | what the front ends ask: the store (collector) or a collector over gRPC (agent) |
//! | [`metrics`], [`error`] | metric names; load errors |
//!
//! Mounting it in the collector:
//!
//! ```no_run
//! # async fn example() -> Result<(), spur_sampling::SamplingError> {
//! use std::time::Duration;
//! use spur_sampling::{HttpOptions, StoreOptions, StrategyStore};
//!
//! let store = StrategyStore::open(StoreOptions {
//!     strategies_file: Some("/etc/jaeger/sampling_strategies.json".to_owned()),
//!     reload_interval: Duration::from_secs(30),
//!     include_default_operation_strategies: false,
//! })
//! .await?;
//! let http = spur_sampling::router(store.clone(), &HttpOptions::collector()); // merge on 14268
//! let grpc = spur_sampling::grpc_service(store); // add_service on 14250
//! # let _ = (http, grpc);
//! # Ok(())
//! # }
//! ```
//!
//! It owns no listener, no recorder and no flags: the services bind, install the metrics
//! recorder and map Jaeger's `sampling.strategies-file`, `sampling.strategies-reload-interval`
//! and `sampling.strategies.bugfix-5270` onto [`StoreOptions`]. Adaptive sampling
//! (`SAMPLING_CONFIG_TYPE=adaptive`) is not here.

pub mod error;
mod file;
mod go_decode;
mod go_json;
pub mod grpc;
pub mod http;
pub mod json;
pub mod metrics;
pub mod provider;
pub mod proxy;
mod query;
mod reload;
mod resolve;
mod source;
pub mod store;
pub mod strategies;

pub use error::{ErrorKind, SamplingError};
pub use grpc::{GrpcSampling, grpc_service};
pub use http::{HttpOptions, router};
pub use json::{LegacyJsonError, legacy_strategy_json, strategy_json};
pub use provider::{BaggageRestriction, ProviderError, StrategyProvider};
pub use proxy::GrpcProxy;
pub use store::{ReloadOutcome, StoreOptions, StrategyStore};
pub use strategies::{DEFAULT_SAMPLING_PROBABILITY, Strategies, probabilistic};
