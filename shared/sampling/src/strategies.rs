//! The strategies in force: one response per named service plus the default, and the lookup
//! Jaeger does (the exact service name, else the default). Built from a file by
//! `resolve`; swapped as a whole by [`crate::StrategyStore`] on reload.

use std::collections::HashMap;

use spur_model::api_v2::{
    ProbabilisticSamplingStrategy, SamplingStrategyResponse, SamplingStrategyType,
};

/// Jaeger's fallback probability: the default strategy with no file, for unknown strategy
/// types, and the default probability of a service's operations when it has none of its own.
pub const DEFAULT_SAMPLING_PROBABILITY: f64 = 0.001;

/// Resolved strategies. `Default` is Jaeger's answer without a strategies file: probabilistic
/// 0.001 for every service.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategies {
    pub(crate) default: SamplingStrategyResponse,
    pub(crate) services: HashMap<String, SamplingStrategyResponse>,
}

impl Default for Strategies {
    fn default() -> Self {
        Strategies {
            default: probabilistic(DEFAULT_SAMPLING_PROBABILITY),
            services: HashMap::new(),
        }
    }
}

impl Strategies {
    /// Parses a strategies file (Jaeger's format and rules, listed in `src/resolve.rs`).
    /// `include_default_operation_strategies` is Jaeger's `sampling.strategies.bugfix-5270`.
    /// A document that is `null` gives [`Strategies::default`].
    pub fn parse(
        bytes: &[u8],
        include_default_operation_strategies: bool,
    ) -> Result<Strategies, serde_json::Error> {
        let file = crate::file::parse(bytes)?;
        Ok(match file {
            Some(file) => crate::resolve::resolve(file, include_default_operation_strategies),
            None => Strategies::default(),
        })
    }

    /// The strategy of `service`: its own if the file names it exactly (case-sensitive), else
    /// the default.
    pub fn for_service(&self, service: &str) -> &SamplingStrategyResponse {
        self.services.get(service).unwrap_or(&self.default)
    }

    /// The strategy of services the file does not name.
    pub fn default_strategy(&self) -> &SamplingStrategyResponse {
        &self.default
    }

    /// The services the file names, with their strategies, in no particular order.
    pub fn services(&self) -> impl Iterator<Item = (&str, &SamplingStrategyResponse)> {
        self.services
            .iter()
            .map(|(name, strategy)| (name.as_str(), strategy))
    }
}

/// A probabilistic strategy sampling `rate` of traces.
pub fn probabilistic(rate: f64) -> SamplingStrategyResponse {
    SamplingStrategyResponse {
        strategy_type: SamplingStrategyType::Probabilistic as i32,
        probabilistic_sampling: Some(ProbabilisticSamplingStrategy {
            sampling_rate: rate,
        }),
        rate_limiting_sampling: None,
        operation_sampling: None,
    }
}
