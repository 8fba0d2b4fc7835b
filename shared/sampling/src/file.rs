//! Jaeger's sampling strategies file, as written (`sampling.strategies-file`):
//!
//! ```json
//! {
//!   "default_strategy": {"type": "probabilistic", "param": 0.5,
//!                        "operation_strategies": [{"operation": "/health", "type": "probabilistic", "param": 0}]},
//!   "service_strategies": [{"service": "foo", "type": "ratelimiting", "param": 5,
//!                           "operation_strategies": [...]}]
//! }
//! ```
//!
//! Every member is optional: a missing `type` is `""`, a missing `param` is `0`. Decoding
//! follows Go's `encoding/json` (see [`crate::go_decode`]), and a document that is just `null`
//! means "no strategies" as it does for Jaeger. What the values *mean* (types, defaults,
//! merging) is [`crate::resolve`]'s job.

use serde::de::{DeserializeSeed, Deserializer, MapAccess};

use crate::go_decode::{
    GoDecode, GoStruct, InPlace, decode_struct, key_matches, member_into, skip_value,
};

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StrategiesFile {
    pub default_strategy: Option<ServiceStrategy>,
    pub service_strategies: Vec<ServiceStrategy>,
}

/// `default_strategy` or one entry of `service_strategies` (the default's `service` is
/// ignored).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ServiceStrategy {
    pub service: String,
    pub strategy: Strategy,
    pub operation_strategies: Vec<OperationStrategy>,
}

/// One entry of `operation_strategies`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OperationStrategy {
    pub operation: String,
    pub strategy: Strategy,
}

/// `type` and `param`, shared by all three levels.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Strategy {
    /// `probabilistic`, `ratelimiting`, or anything else (which Jaeger treats as unknown).
    pub kind: String,
    /// A probability, or traces per second.
    pub param: f64,
}

/// Parses a strategies file; `Ok(None)` for a document that is `null`. Errors are serde_json's,
/// with the line and column of the problem.
pub(crate) fn parse(bytes: &[u8]) -> Result<Option<StrategiesFile>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let mut file: Option<StrategiesFile> = None;
    InPlace(&mut file).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(file)
}

impl GoStruct for StrategiesFile {
    const EXPECTING: &'static str = "a strategies object";

    fn decode_member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key_matches(key, "default_strategy") {
            member_into(map, &mut self.default_strategy)
        } else if key_matches(key, "service_strategies") {
            member_into(map, &mut self.service_strategies)
        } else {
            skip_value(map)
        }
    }
}

impl GoStruct for ServiceStrategy {
    const EXPECTING: &'static str = "a service strategy object";

    fn decode_member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key_matches(key, "service") {
            member_into(map, &mut self.service)
        } else if key_matches(key, "operation_strategies") {
            member_into(map, &mut self.operation_strategies)
        } else {
            self.strategy.decode_member(key, map)
        }
    }
}

impl GoStruct for OperationStrategy {
    const EXPECTING: &'static str = "an operation strategy object";

    fn decode_member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key_matches(key, "operation") {
            member_into(map, &mut self.operation)
        } else {
            self.strategy.decode_member(key, map)
        }
    }
}

impl GoStruct for Strategy {
    const EXPECTING: &'static str = "a strategy object";

    fn decode_member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        if key_matches(key, "type") {
            member_into(map, &mut self.kind)
        } else if key_matches(key, "param") {
            member_into(map, &mut self.param)
        } else {
            skip_value(map)
        }
    }
}

macro_rules! go_decode_struct {
    ($($name:ty),*) => {$(
        impl GoDecode for $name {
            fn decode_into<'de, D: Deserializer<'de>>(
                &mut self,
                deserializer: D,
            ) -> Result<(), D::Error> {
                decode_struct(self, deserializer)
            }
        }
    )*};
}

go_decode_struct!(StrategiesFile, ServiceStrategy, OperationStrategy);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn strategy(kind: &str, param: f64) -> Strategy {
        Strategy {
            kind: kind.to_owned(),
            param,
        }
    }

    #[test]
    fn reads_every_member() {
        let file = parse(
            br#"{"default_strategy": {"type": "probabilistic", "param": 0.5,
                   "operation_strategies": [{"operation": "op", "type": "probabilistic", "param": 0.1}]},
                 "service_strategies": [{"service": "foo", "type": "ratelimiting", "param": 5}]}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            file,
            StrategiesFile {
                default_strategy: Some(ServiceStrategy {
                    service: String::new(),
                    strategy: strategy("probabilistic", 0.5),
                    operation_strategies: vec![OperationStrategy {
                        operation: "op".to_owned(),
                        strategy: strategy("probabilistic", 0.1),
                    }],
                }),
                service_strategies: vec![ServiceStrategy {
                    service: "foo".to_owned(),
                    strategy: strategy("ratelimiting", 5.0),
                    operation_strategies: vec![],
                }],
            }
        );
    }

    #[test]
    fn null_document_is_no_strategies() {
        assert_eq!(parse(b" null ").unwrap(), None);
        assert_eq!(parse(b"{}").unwrap(), Some(StrategiesFile::default()));
    }

    #[test]
    fn repeated_keys_merge_as_in_go() {
        let file = parse(
            br#"{"service_strategies": [{"service": "a", "type": "ratelimiting", "param": 9},
                                        {"service": "b"}],
                 "service_strategies": [{"service": "c"}],
                 "default_strategy": {"type": "ratelimiting", "param": 2},
                 "default_strategy": {"param": 3, "type": null}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(file.service_strategies.len(), 1);
        assert_eq!(file.service_strategies[0].service, "c");
        assert_eq!(
            file.service_strategies[0].strategy,
            strategy("ratelimiting", 9.0)
        );
        assert_eq!(
            file.default_strategy.unwrap().strategy,
            strategy("ratelimiting", 3.0)
        );
    }

    #[test]
    fn errors_carry_line_and_column() {
        let error = parse(b"{\n  \"service_strategies\": [null]\n}").unwrap_err();
        assert_eq!((error.line(), error.column()), (2, 29));
        assert!(
            error
                .to_string()
                .contains("expected a service strategy object")
        );
        let error = parse(b"{\"default_strategy\": {\"param\": \"0.5\"}}").unwrap_err();
        assert!(error.to_string().contains("expected a number"), "{error}");
        assert!(parse(b"{} x").is_err());
        assert!(parse(b"").is_err());
    }
}
