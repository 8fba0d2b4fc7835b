//! Where the HTTP and gRPC front ends get their answers: a [`StrategyProvider`]. The
//! collector's is its [`StrategyStore`]; the agent's is [`crate::GrpcProxy`], which asks a
//! collector. This is Jaeger's `ClientConfigManager` (`cmd/agent/app/configmanager`).

use std::future::Future;

use spur_model::api_v2::SamplingStrategyResponse;

use crate::StrategyStore;

/// A source of sampling strategies and baggage restrictions for services.
pub trait StrategyProvider: Clone + Send + Sync + 'static {
    /// The strategy `service` should use.
    fn sampling_strategy(
        &self,
        service: &str,
    ) -> impl Future<Output = Result<SamplingStrategyResponse, ProviderError>> + Send;

    /// The baggage restrictions of `service`. Jaeger v1 implements them nowhere: its collector
    /// and its agent both answer an error, and so does this default.
    fn baggage_restrictions(
        &self,
        _service: &str,
    ) -> impl Future<Output = Result<Vec<BaggageRestriction>, ProviderError>> + Send {
        std::future::ready(Err(ProviderError::new(
            "baggage restrictions not implemented",
        )))
    }
}

/// Why a provider has no answer; the HTTP front end answers 500 `collector error: <message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    message: String,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> ProviderError {
        ProviderError {
            message: message.into(),
        }
    }
}

/// Jaeger's Thrift `BaggageRestriction` (`baggage.thrift`): the longest value allowed for a
/// baggage key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaggageRestriction {
    pub baggage_key: String,
    pub max_value_length: i32,
}

/// The collector's provider: the strategies in force, never an error; baggage restrictions
/// are "not implemented" as in Jaeger's collector (which passes no baggage manager).
impl StrategyProvider for StrategyStore {
    fn sampling_strategy(
        &self,
        service: &str,
    ) -> impl Future<Output = Result<SamplingStrategyResponse, ProviderError>> + Send {
        std::future::ready(Ok(self.strategy(service)))
    }
}
