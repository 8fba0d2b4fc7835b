//! Jaeger's rules from a parsed strategies file to the response each service gets
//! (`plugin/sampling/strategystore/static/strategy_store.go`, v1.57.0):
//!
//! 1. `type` `probabilistic` samples `param` of traces; `ratelimiting` allows `param` traces
//!    per second, truncated toward zero to an `int32` (out of range: `i32::MIN`, which is what
//!    Jaeger's amd64 builds produce). Any other type, a missing one included, is
//!    probabilistic 0.001, with a warning.
//! 2. Non-empty `operation_strategies` become `operationSampling`, whose
//!    `defaultSamplingProbability` is the strategy's own probability when it is probabilistic,
//!    else 0.001. Operations may only be probabilistic: a `ratelimiting` one is dropped with a
//!    warning; an unknown type is probabilistic 0.001 (rule 1).
//! 3. The default strategy's operations reach the services, when it has any:
//!    - a service with operations of its own gets the default's appended, except those it
//!      names itself (its own win; its order first, then the default's);
//!    - a service without any gets a copy of the default's `operationSampling`, with
//!      `defaultSamplingProbability` set to the service's probability when it is
//!      probabilistic. With `sampling.strategies.bugfix-5270` off (Jaeger's default) a
//!      rate-limiting service without operations gets nothing; with it on, it gets the copy
//!      with the default's probability.
//! 4. A service named twice: the last entry wins. Lookup is by exact name (see
//!    [`Strategies::for_service`]).

use std::collections::{HashMap, HashSet};

use spur_model::api_v2::{
    OperationSamplingStrategy, PerOperationSamplingStrategies, RateLimitingSamplingStrategy,
    SamplingStrategyResponse, SamplingStrategyType,
};

use crate::file::{OperationStrategy, ServiceStrategy, StrategiesFile, Strategy};
use crate::strategies::{DEFAULT_SAMPLING_PROBABILITY, Strategies, probabilistic};

const PROBABILISTIC: &str = "probabilistic";
const RATE_LIMITING: &str = "ratelimiting";

/// Applies Jaeger's rules to a parsed file.
pub(crate) fn resolve(
    file: StrategiesFile,
    include_default_operation_strategies: bool,
) -> Strategies {
    let default = match &file.default_strategy {
        Some(strategy) => service_response(strategy),
        None => probabilistic(DEFAULT_SAMPLING_PROBABILITY),
    };
    let mut services = HashMap::with_capacity(file.service_strategies.len());
    for strategy in &file.service_strategies {
        let mut response = service_response(strategy);
        if include_default_operation_strategies {
            inherit_default_operations(&mut response, &default);
        } else {
            inherit_default_operations_before_5270(&mut response, &default);
        }
        services.insert(strategy.service.clone(), response);
    }
    Strategies { default, services }
}

/// Rule 3 with `sampling.strategies.bugfix-5270` on.
fn inherit_default_operations(
    response: &mut SamplingStrategyResponse,
    default: &SamplingStrategyResponse,
) {
    let Some(default_operations) = &default.operation_sampling else {
        return;
    };
    let own_probability = response
        .probabilistic_sampling
        .as_ref()
        .map(|sampling| sampling.sampling_rate);
    match &mut response.operation_sampling {
        Some(own) => merge_operations(
            &mut own.per_operation_strategies,
            &default_operations.per_operation_strategies,
        ),
        None => {
            let mut copy = default_operations.clone();
            if let Some(rate) = own_probability {
                copy.default_sampling_probability = rate;
            }
            response.operation_sampling = Some(copy);
        }
    }
}

/// Rule 3 with `sampling.strategies.bugfix-5270` off (Jaeger's default, issue 5270): only
/// probabilistic services without operations of their own inherit the default's.
fn inherit_default_operations_before_5270(
    response: &mut SamplingStrategyResponse,
    default: &SamplingStrategyResponse,
) {
    let Some(default_operations) = &default.operation_sampling else {
        return;
    };
    let own_probability = response
        .probabilistic_sampling
        .as_ref()
        .map(|sampling| sampling.sampling_rate);
    match (&mut response.operation_sampling, own_probability) {
        (Some(own), _) => merge_operations(
            &mut own.per_operation_strategies,
            &default_operations.per_operation_strategies,
        ),
        (None, Some(rate)) => {
            let mut copy = default_operations.clone();
            copy.default_sampling_probability = rate;
            response.operation_sampling = Some(copy);
        }
        (None, None) => {}
    }
}

/// Appends to `own` the `defaults` whose operation `own` does not name (`own` wins).
/// Duplicates already in `own`, or among `defaults`, are kept, as Jaeger keeps them.
fn merge_operations(
    own: &mut Vec<OperationSamplingStrategy>,
    defaults: &[OperationSamplingStrategy],
) {
    let named: HashSet<String> = own
        .iter()
        .map(|operation| operation.operation.clone())
        .collect();
    own.extend(
        defaults
            .iter()
            .filter(|operation| !named.contains(&operation.operation))
            .cloned(),
    );
}

/// Rules 1 and 2 for the default strategy or one service.
fn service_response(strategy: &ServiceStrategy) -> SamplingStrategyResponse {
    let mut response = strategy_response(&strategy.strategy);
    if strategy.operation_strategies.is_empty() {
        return response;
    }
    let default_sampling_probability = match &response.probabilistic_sampling {
        Some(sampling) => sampling.sampling_rate,
        None => DEFAULT_SAMPLING_PROBABILITY,
    };
    let per_operation_strategies = strategy
        .operation_strategies
        .iter()
        .filter_map(|operation| operation_response(operation, default_sampling_probability))
        .collect();
    response.operation_sampling = Some(PerOperationSamplingStrategies {
        default_sampling_probability,
        default_lower_bound_traces_per_second: 0.0,
        per_operation_strategies,
        default_upper_bound_traces_per_second: 0.0,
    });
    response
}

/// Rule 2 for one operation: `None` (with a warning) when it is rate-limiting.
fn operation_response(
    operation: &OperationStrategy,
    service_probability: f64,
) -> Option<OperationSamplingStrategy> {
    let response = strategy_response(&operation.strategy);
    if response.strategy_type == SamplingStrategyType::RateLimiting as i32 {
        tracing::warn!(
            operation = %operation.operation,
            strategy_type = %operation.strategy.kind,
            param = operation.strategy.param,
            service_probability,
            "operation strategies can only be probabilistic; ignoring this one (the operation gets the service's default probability)"
        );
        return None;
    }
    Some(OperationSamplingStrategy {
        operation: operation.operation.clone(),
        probabilistic_sampling: response.probabilistic_sampling,
    })
}

/// Rule 1.
fn strategy_response(strategy: &Strategy) -> SamplingStrategyResponse {
    match strategy.kind.as_str() {
        PROBABILISTIC => probabilistic(strategy.param),
        RATE_LIMITING => SamplingStrategyResponse {
            strategy_type: SamplingStrategyType::RateLimiting as i32,
            probabilistic_sampling: None,
            rate_limiting_sampling: Some(RateLimitingSamplingStrategy {
                max_traces_per_second: truncate_to_i32(strategy.param),
            }),
            operation_sampling: None,
        },
        other => {
            tracing::warn!(
                strategy_type = other,
                param = strategy.param,
                "unknown sampling strategy type; using probabilistic {DEFAULT_SAMPLING_PROBABILITY}"
            );
            probabilistic(DEFAULT_SAMPLING_PROBABILITY)
        }
    }
}

/// Go's `int32(x)` for a float64 on amd64: truncation toward zero, and `i32::MIN` for anything
/// out of range (Rust's `as` would saturate instead; Go leaves it to the platform).
fn truncate_to_i32(value: f64) -> i32 {
    // Strictly inside (-2^31 - 1, 2^31): truncating lands in range.
    let in_range = value > -2_147_483_649.0 && value < 2_147_483_648.0;
    if in_range {
        #[allow(clippy::cast_possible_truncation)]
        let truncated = value.trunc() as i32;
        truncated
    } else {
        i32::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_truncate_like_go_on_amd64() {
        assert_eq!(truncate_to_i32(7.9), 7);
        assert_eq!(truncate_to_i32(-1.5), -1);
        assert_eq!(truncate_to_i32(0.5), 0);
        assert_eq!(truncate_to_i32(2_147_483_647.0), i32::MAX);
        assert_eq!(truncate_to_i32(-2_147_483_648.0), i32::MIN);
        assert_eq!(truncate_to_i32(-2_147_483_648.9), i32::MIN);
        assert_eq!(truncate_to_i32(2_147_483_648.0), i32::MIN);
        assert_eq!(truncate_to_i32(1e300), i32::MIN);
        assert_eq!(truncate_to_i32(-1e10), i32::MIN);
        assert_eq!(truncate_to_i32(f64::NAN), i32::MIN);
    }
}
