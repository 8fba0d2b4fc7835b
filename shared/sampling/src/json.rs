//! The JSON bodies Jaeger's HTTP sampling endpoints answer, byte for byte:
//!
//! - [`strategy_json`]: `GET /api/sampling` (collector) and `GET /sampling` (agent). Jaeger
//!   writes the response with gogo `jsonpb` with defaults emitted (so `"strategyType":
//!   "PROBABILISTIC"` appears although it is the zero value), then deletes the text of the
//!   top-level members that came out `null` (`model/converter/json/sampling.go`).
//! - [`legacy_strategy_json`]: the agent's `GET /?service=`, the Thrift 0.9.2 form, where
//!   `strategyType` is an integer (`pkg/clientcfg/clientcfghttp/handler.go`).
//! - [`baggage_json`]: `GET /baggageRestrictions`, when a provider has restrictions.

use spur_model::api_v2::{
    OperationSamplingStrategy, PerOperationSamplingStrategies, ProbabilisticSamplingStrategy,
    SamplingStrategyResponse, SamplingStrategyType,
};

use crate::go_json::{push_f64, push_str};
use crate::provider::BaggageRestriction;

/// Jaeger's HTTP JSON for a strategy, e.g.
/// `{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}` or
/// `{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}}`; with
/// operations, `"operationSampling":{"defaultSamplingProbability":…,
/// "defaultLowerBoundTracesPerSecond":…,"perOperationStrategies":[…],
/// "defaultUpperBoundTracesPerSecond":…}` (all four always present).
pub fn strategy_json(response: &SamplingStrategyResponse) -> String {
    let mut out = String::with_capacity(160);
    out.push_str("{\"strategyType\":");
    push_strategy_type(&mut out, response.strategy_type);
    out.push_str(",\"probabilisticSampling\":");
    push_probabilistic(&mut out, response.probabilistic_sampling.as_ref());
    out.push_str(",\"rateLimitingSampling\":");
    match &response.rate_limiting_sampling {
        Some(rate) => {
            out.push_str("{\"maxTracesPerSecond\":");
            out.push_str(&rate.max_traces_per_second.to_string());
            out.push('}');
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"operationSampling\":");
    match &response.operation_sampling {
        Some(operations) => push_operations(&mut out, operations, push_proto_f64),
        None => out.push_str("null"),
    }
    out.push('}');
    // Jaeger removes these three texts wherever they occur, in this order. A string can never
    // contain them (its quotes are escaped), and nested `probabilisticSampling` members are
    // followed by `}`, so only top-level members go.
    if out.contains("null") {
        out = out
            .replace("\"probabilisticSampling\":null,", "")
            .replace(",\"rateLimitingSampling\":null", "")
            .replace(",\"operationSampling\":null", "");
    }
    out
}

/// Why a strategy has no legacy JSON (Jaeger then answers 500 `cannot marshall to JSON`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LegacyJsonError {
    #[error("could not convert sampling strategy type {0}")]
    UnknownStrategyType(i32),
    #[error("maxTracesPerSecond {0} is higher than int16")]
    RateLimitTooHigh(i32),
    #[error("unsupported value: a sampling number is not finite")]
    NotFinite,
}

/// The agent's legacy JSON (`GET /?service=`): Jaeger's Thrift `SamplingStrategyResponse`
/// through Go's `encoding/json`, with `strategyType` as the integer Thrift 0.9.2 used, e.g.
/// `{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":42}}`. The Thrift field
/// is an `i16`: rates above 32767 are an error, rates below -32768 wrap around as Go's
/// conversion does.
pub fn legacy_strategy_json(
    response: &SamplingStrategyResponse,
) -> Result<String, LegacyJsonError> {
    let strategy_type = match SamplingStrategyType::try_from(response.strategy_type) {
        Ok(known) => known as i32,
        Err(_) => return Err(LegacyJsonError::UnknownStrategyType(response.strategy_type)),
    };
    check_finite(response)?;
    let mut out = String::with_capacity(160);
    out.push_str("{\"strategyType\":");
    out.push_str(&strategy_type.to_string());
    if let Some(probabilistic) = &response.probabilistic_sampling {
        out.push_str(",\"probabilisticSampling\":");
        push_probabilistic(&mut out, Some(probabilistic));
    }
    if let Some(rate) = &response.rate_limiting_sampling {
        if rate.max_traces_per_second > i32::from(i16::MAX) {
            return Err(LegacyJsonError::RateLimitTooHigh(
                rate.max_traces_per_second,
            ));
        }
        // Go's int16(x) keeps the low 16 bits, as `as` does.
        #[allow(clippy::cast_possible_truncation)]
        let thrift_rate = rate.max_traces_per_second as i16;
        out.push_str(",\"rateLimitingSampling\":{\"maxTracesPerSecond\":");
        out.push_str(&thrift_rate.to_string());
        out.push('}');
    }
    if let Some(operations) = &response.operation_sampling {
        out.push_str(",\"operationSampling\":");
        push_operations(&mut out, operations, push_f64);
    }
    out.push('}');
    Ok(out)
}

/// `GET /baggageRestrictions`: Go's `encoding/json` of Jaeger's Thrift `BaggageRestriction`
/// list, e.g. `[{"baggageKey":"luggage","maxValueLength":10}]`.
pub fn baggage_json(restrictions: &[BaggageRestriction]) -> String {
    let mut out = String::from("[");
    for (index, restriction) in restrictions.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"baggageKey\":");
        push_str(&mut out, &restriction.baggage_key);
        out.push_str(",\"maxValueLength\":");
        out.push_str(&restriction.max_value_length.to_string());
        out.push('}');
    }
    out.push(']');
    out
}

/// gogo `jsonpb`'s enum: the name when known, else the bare number.
fn push_strategy_type(out: &mut String, strategy_type: i32) {
    match SamplingStrategyType::try_from(strategy_type) {
        Ok(SamplingStrategyType::Probabilistic) => out.push_str("\"PROBABILISTIC\""),
        Ok(SamplingStrategyType::RateLimiting) => out.push_str("\"RATE_LIMITING\""),
        Err(_) => out.push_str(&strategy_type.to_string()),
    }
}

/// gogo `jsonpb`'s double: non-finite values as quoted names, the rest as Go writes them.
fn push_proto_f64(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("\"NaN\"");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        });
    } else {
        push_f64(out, value);
    }
}

fn push_probabilistic(out: &mut String, sampling: Option<&ProbabilisticSamplingStrategy>) {
    match sampling {
        Some(sampling) => {
            out.push_str("{\"samplingRate\":");
            push_proto_f64(out, sampling.sampling_rate);
            out.push('}');
        }
        None => out.push_str("null"),
    }
}

/// `operationSampling`, the same in both forms (field order, `[]` when empty, a missing
/// nested `probabilisticSampling` as `null`), but for how numbers are written.
fn push_operations(
    out: &mut String,
    operations: &PerOperationSamplingStrategies,
    push_number: fn(&mut String, f64),
) {
    out.push_str("{\"defaultSamplingProbability\":");
    push_number(out, operations.default_sampling_probability);
    out.push_str(",\"defaultLowerBoundTracesPerSecond\":");
    push_number(out, operations.default_lower_bound_traces_per_second);
    out.push_str(",\"perOperationStrategies\":[");
    for (index, operation) in operations.per_operation_strategies.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_operation(out, operation, push_number);
    }
    out.push_str("],\"defaultUpperBoundTracesPerSecond\":");
    push_number(out, operations.default_upper_bound_traces_per_second);
    out.push('}');
}

fn push_operation(
    out: &mut String,
    operation: &OperationSamplingStrategy,
    push_number: fn(&mut String, f64),
) {
    out.push_str("{\"operation\":");
    push_str(out, &operation.operation);
    out.push_str(",\"probabilisticSampling\":");
    match &operation.probabilistic_sampling {
        Some(sampling) => {
            out.push_str("{\"samplingRate\":");
            push_number(out, sampling.sampling_rate);
            out.push('}');
        }
        None => out.push_str("null"),
    }
    out.push('}');
}

/// Go's `json.Marshal` refuses NaN and infinities anywhere in the document.
fn check_finite(response: &SamplingStrategyResponse) -> Result<(), LegacyJsonError> {
    let mut numbers = Vec::new();
    if let Some(sampling) = &response.probabilistic_sampling {
        numbers.push(sampling.sampling_rate);
    }
    if let Some(operations) = &response.operation_sampling {
        numbers.push(operations.default_sampling_probability);
        numbers.push(operations.default_lower_bound_traces_per_second);
        numbers.push(operations.default_upper_bound_traces_per_second);
        numbers.extend(
            operations
                .per_operation_strategies
                .iter()
                .filter_map(|operation| operation.probabilistic_sampling.as_ref())
                .map(|sampling| sampling.sampling_rate),
        );
    }
    if numbers.iter().all(|number| number.is_finite()) {
        Ok(())
    } else {
        Err(LegacyJsonError::NotFinite)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use spur_model::api_v2::RateLimitingSamplingStrategy;

    use super::*;
    use crate::strategies::probabilistic;

    fn rate_limiting(rate: i32) -> SamplingStrategyResponse {
        SamplingStrategyResponse {
            strategy_type: SamplingStrategyType::RateLimiting as i32,
            rate_limiting_sampling: Some(RateLimitingSamplingStrategy {
                max_traces_per_second: rate,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn jaegers_own_examples() {
        // model/converter/json and pkg/clientcfg/clientcfghttp tests, Jaeger v1.57.0.
        assert_eq!(
            strategy_json(&probabilistic(0.001)),
            r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}"#
        );
        assert_eq!(
            strategy_json(&rate_limiting(42)),
            r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":42}}"#
        );
        assert_eq!(
            legacy_strategy_json(&rate_limiting(42)).unwrap(),
            r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":42}}"#
        );
        assert_eq!(
            legacy_strategy_json(&probabilistic(0.5)).unwrap(),
            r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.5}}"#
        );
    }

    #[test]
    fn empty_and_odd_responses() {
        let empty = SamplingStrategyResponse::default();
        assert_eq!(strategy_json(&empty), r#"{"strategyType":"PROBABILISTIC"}"#);
        assert_eq!(
            legacy_strategy_json(&empty).unwrap(),
            r#"{"strategyType":0}"#
        );
        let unknown = SamplingStrategyResponse {
            strategy_type: 7,
            ..Default::default()
        };
        assert_eq!(strategy_json(&unknown), r#"{"strategyType":7}"#);
        assert_eq!(
            legacy_strategy_json(&unknown),
            Err(LegacyJsonError::UnknownStrategyType(7))
        );
        let nan = probabilistic(f64::NAN);
        assert_eq!(
            strategy_json(&nan),
            r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":"NaN"}}"#
        );
        assert_eq!(legacy_strategy_json(&nan), Err(LegacyJsonError::NotFinite));
        assert_eq!(
            legacy_strategy_json(&rate_limiting(40_000)),
            Err(LegacyJsonError::RateLimitTooHigh(40_000))
        );
        let operation_without_rate = SamplingStrategyResponse {
            operation_sampling: Some(PerOperationSamplingStrategies {
                per_operation_strategies: vec![OperationSamplingStrategy {
                    operation: "op".to_owned(),
                    probabilistic_sampling: None,
                }],
                default_upper_bound_traces_per_second: f64::INFINITY,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            strategy_json(&operation_without_rate),
            r#"{"strategyType":"PROBABILISTIC","operationSampling":{"defaultSamplingProbability":0,"defaultLowerBoundTracesPerSecond":0,"perOperationStrategies":[{"operation":"op","probabilisticSampling":null}],"defaultUpperBoundTracesPerSecond":"Infinity"}}"#
        );
    }

    #[test]
    fn baggage() {
        assert_eq!(baggage_json(&[]), "[]");
        let restrictions = [
            BaggageRestriction {
                baggage_key: "luggage".to_owned(),
                max_value_length: 10,
            },
            BaggageRestriction {
                baggage_key: "<k>".to_owned(),
                max_value_length: -1,
            },
        ];
        assert_eq!(
            baggage_json(&restrictions),
            r#"[{"baggageKey":"luggage","maxValueLength":10},{"baggageKey":"\u003ck\u003e","maxValueLength":-1}]"#
        );
    }
}
