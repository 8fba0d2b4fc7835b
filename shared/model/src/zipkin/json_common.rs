//! Pieces both Zipkin JSON formats (v1 and v2) share: payload parsing, hex ids, times,
//! endpoints with textual addresses, scalar values and order-preserving tag objects.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};

use super::to_model::Endpoint;
use crate::{DecodeError, SpanId, TraceId};

/// Parses a whole JSON payload, rejecting invalid UTF-8 up front with a clear error.
pub(super) fn parse_payload<T: DeserializeOwned>(payload: &[u8]) -> Result<T, DecodeError> {
    let text = std::str::from_utf8(payload).map_err(|_| DecodeError::InvalidUtf8 {
        field: "Zipkin JSON payload",
    })?;
    Ok(serde_json::from_str(text)?)
}

/// A required hex trace id (1 to 32 digits; 16 or 32 in practice).
pub(super) fn trace_id(text: Option<&str>) -> Result<TraceId, DecodeError> {
    TraceId::from_hex(text.ok_or(DecodeError::MissingField { field: "traceId" })?)
}

/// A required hex span id (1 to 16 digits).
pub(super) fn span_id(text: Option<&str>) -> Result<SpanId, DecodeError> {
    SpanId::from_hex(text.ok_or(DecodeError::MissingField { field: "id" })?)
}

/// An optional parent id: absent, empty or all zeros means a root span.
pub(super) fn parent_id(text: Option<&str>) -> Result<Option<SpanId>, DecodeError> {
    match text {
        None | Some("") => Ok(None),
        Some(text) => SpanId::from_hex(text).map(|id| (id.0 != 0).then_some(id)),
    }
}

/// A Zipkin time or duration: unsigned microseconds (serde already refused floats and overflow).
pub(super) fn micros(
    format: &'static str,
    field: &'static str,
    value: Option<i64>,
) -> Result<Option<i64>, DecodeError> {
    match value {
        Some(micros) if micros < 0 => Err(DecodeError::malformed(
            format,
            format!("{field} is {micros}, expected non-negative microseconds"),
        )),
        other => Ok(other),
    }
}

/// A JSON endpoint: addresses as text, port as a number.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JsonEndpoint {
    service_name: Option<String>,
    ipv4: Option<String>,
    ipv6: Option<String>,
    port: Option<i64>,
}

impl JsonEndpoint {
    /// Parses the addresses. Empty strings and non-positive ports count as absent (as Zipkin
    /// does); unparsable addresses and ports above 65535 are errors.
    pub(super) fn parse(self, format: &'static str) -> Result<Endpoint, DecodeError> {
        let ipv4 = match self.ipv4.as_deref() {
            None | Some("") => None,
            Some(text) => Some(text.parse::<Ipv4Addr>().map_err(|_| {
                DecodeError::malformed(format, format!("invalid ipv4 {:?}", preview(text)))
            })?),
        };
        let ipv6 = match self.ipv6.as_deref() {
            None | Some("") => None,
            Some(text) => Some(text.parse::<Ipv6Addr>().map_err(|_| {
                DecodeError::malformed(format, format!("invalid ipv6 {:?}", preview(text)))
            })?),
        };
        let port = match self.port {
            None => None,
            Some(port) if port <= 0 => None,
            Some(port) => Some(u16::try_from(port).map_err(|_| {
                DecodeError::malformed(format, format!("invalid port {port}, expected 1 to 65535"))
            })?),
        };
        Ok(Endpoint {
            service_name: self.service_name.unwrap_or_default(),
            ipv4,
            ipv6,
            port,
        })
    }
}

/// At most 64 characters of untrusted text, for error messages.
pub(super) fn preview(text: &str) -> String {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// A JSON scalar: what a v1 binary annotation value or a lenient v2 tag value may be.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    Null,
    String(String),
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    Float(f64),
}

impl Scalar {
    /// The value as text (numbers and bools as JSON writes them; null as empty).
    pub(super) fn into_text(self) -> String {
        match self {
            Scalar::Null => String::new(),
            Scalar::String(text) => text,
            Scalar::Bool(flag) => flag.to_string(),
            Scalar::Int(number) => number.to_string(),
            Scalar::UInt(number) => number.to_string(),
            Scalar::Float(number) => number.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, boolean, number or null")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(value))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(value).map_or(Scalar::UInt(value), Scalar::Int))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(value))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Scalar, E> {
                Ok(Scalar::String(value.to_owned()))
            }

            fn visit_string<E: de::Error>(self, value: String) -> Result<Scalar, E> {
                Ok(Scalar::String(value))
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// A JSON object of tags, kept in input order (duplicate keys are all kept).
#[derive(Debug, Default, PartialEq)]
pub(super) struct OrderedTags(pub Vec<(String, Scalar)>);

impl<'de> Deserialize<'de> for OrderedTags {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TagsVisitor;

        impl<'de> Visitor<'de> for TagsVisitor {
            type Value = OrderedTags;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of tags")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<OrderedTags, M::Error> {
                let mut tags = Vec::new();
                while let Some(entry) = map.next_entry::<String, Scalar>()? {
                    tags.push(entry);
                }
                Ok(OrderedTags(tags))
            }
        }

        deserializer.deserialize_map(TagsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_addresses_and_ports() {
        let endpoint: JsonEndpoint = serde_json::from_str(
            r#"{"serviceName":"a","ipv4":"10.0.0.1","ipv6":"::1","port":8080}"#,
        )
        .unwrap();
        let endpoint = endpoint.parse("test").unwrap();
        assert_eq!(endpoint.service_name, "a");
        assert_eq!(endpoint.ipv4, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(endpoint.ipv6, Some(Ipv6Addr::LOCALHOST));
        assert_eq!(endpoint.port, Some(8080));

        let zero: JsonEndpoint = serde_json::from_str(r#"{"ipv4":"","port":0}"#).unwrap();
        assert_eq!(zero.parse("test").unwrap(), Endpoint::default());
        for bad in [
            r#"{"ipv4":"1.2.3"}"#,
            r#"{"ipv6":"zz::"}"#,
            r#"{"port":70000}"#,
        ] {
            let endpoint: JsonEndpoint = serde_json::from_str(bad).unwrap();
            assert!(
                matches!(endpoint.parse("test"), Err(DecodeError::Malformed { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn preview_truncates_long_text_on_char_boundaries() {
        assert_eq!(preview("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(preview(&long).chars().count(), 64 + 3);
    }

    #[test]
    fn scalars_and_tags_keep_types_and_order() {
        let tags: OrderedTags =
            serde_json::from_str(r#"{"z":"s","a":true,"m":-1,"b":18446744073709551615,"f":1.5}"#)
                .unwrap();
        assert_eq!(
            tags.0,
            vec![
                ("z".into(), Scalar::String("s".into())),
                ("a".into(), Scalar::Bool(true)),
                ("m".into(), Scalar::Int(-1)),
                ("b".into(), Scalar::UInt(u64::MAX)),
                ("f".into(), Scalar::Float(1.5)),
            ]
        );
        assert!(serde_json::from_str::<OrderedTags>(r#"{"a":{"b":1}}"#).is_err());
        assert!(serde_json::from_str::<OrderedTags>(r#"["a"]"#).is_err());
    }

    #[test]
    fn parent_ids_of_zero_or_empty_are_roots() {
        assert_eq!(parent_id(None).unwrap(), None);
        assert_eq!(parent_id(Some("")).unwrap(), None);
        assert_eq!(parent_id(Some("0000000000000000")).unwrap(), None);
        assert_eq!(
            parent_id(Some("00000000000000ff")).unwrap(),
            Some(SpanId(0xff))
        );
        assert!(parent_id(Some("xyz")).is_err());
    }
}
