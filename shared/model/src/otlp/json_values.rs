//! The value-level pieces of OTLP/JSON: attributes (`KeyValue`, `AnyValue`, arrays, kvlists)
//! and the lenient scalars protobuf-JSON allows (integers as numbers or strings, doubles as
//! `"NaN"`/`"Infinity"`, enums as numbers or names, `null` for "absent").
//!
//! `AnyValue`s are decoded straight into the generated protobuf oneof, so nested arrays and maps
//! need no second pass. Nesting depth is bounded by serde_json's recursion limit.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::otlp_proto::common::v1::{
    AnyValue, ArrayValue, KeyValue, KeyValueList, any_value::Value,
};
use crate::otlp_proto::trace::v1::span::SpanKind;
use crate::otlp_proto::trace::v1::status::StatusCode;

/// Standard base64, padding optional (pdata requires it; protobuf-JSON readers do not).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct JsonKeyValue {
    #[serde(deserialize_with = "nullable")]
    key: String,
    #[serde(deserialize_with = "nullable")]
    value: JsonAnyValue,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonArrayValue {
    #[serde(deserialize_with = "nullable")]
    values: Vec<JsonAnyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonKeyValueList {
    #[serde(deserialize_with = "nullable")]
    values: Vec<JsonKeyValue>,
}

/// An `AnyValue` object, decoded straight into the protobuf oneof (`None` = empty value).
#[derive(Default)]
pub(super) struct JsonAnyValue(Option<Value>);

/// At most the first 32 characters of a sender's string, for error messages.
pub(super) fn excerpt(text: &str) -> &str {
    text.char_indices()
        .nth(32)
        .and_then(|(end, _)| text.get(..end))
        .unwrap_or(text)
}

/// `null` as the field's default, as protobuf-JSON readers do.
pub(super) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl JsonKeyValue {
    pub(super) fn into_proto(self) -> KeyValue {
        KeyValue {
            key: self.key,
            value: Some(AnyValue {
                value: self.value.0,
            }),
            ..Default::default()
        }
    }
}

pub(super) fn key_values(values: Vec<JsonKeyValue>) -> Vec<KeyValue> {
    values.into_iter().map(JsonKeyValue::into_proto).collect()
}

/// An integer given as a JSON number or a decimal string.
#[derive(Default, Clone, Copy)]
pub(super) struct Int<T>(pub(super) T);

impl<'de, T> Deserialize<'de> for Int<T>
where
    T: TryFrom<u64> + TryFrom<i64> + FromStr,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntVisitor<T>(PhantomData<T>);
        impl<T> Visitor<'_> for IntVisitor<T>
        where
            T: TryFrom<u64> + TryFrom<i64> + FromStr,
        {
            type Value = Int<T>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an integer or a decimal string")
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                T::try_from(value)
                    .map(Int)
                    .map_err(|_| E::custom(format!("{value} out of range")))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                T::try_from(value)
                    .map(Int)
                    .map_err(|_| E::custom(format!("{value} out of range")))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                value
                    .parse()
                    .map(Int)
                    .map_err(|_| E::custom(format!("{:?} is not an integer", excerpt(value))))
            }
        }
        deserializer.deserialize_any(IntVisitor(PhantomData))
    }
}

/// A double given as a JSON number or a string (`"NaN"`, `"Infinity"`, `"-Infinity"`, decimal).
struct Double(f64);

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DoubleVisitor;
        impl Visitor<'_> for DoubleVisitor {
            type Value = Double;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a number or a numeric string")
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Double, E> {
                Ok(Double(value))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Double, E> {
                Ok(Double(value as f64))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Double, E> {
                Ok(Double(value as f64))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Double, E> {
                value
                    .parse()
                    .map(Double)
                    .map_err(|_| E::custom(format!("{:?} is not a number", excerpt(value))))
            }
        }
        deserializer.deserialize_any(DoubleVisitor)
    }
}

/// A protobuf enum given as its number or its name.
pub(super) struct Enum<E>(pub(super) i32, PhantomData<E>);

impl<E> Default for Enum<E> {
    fn default() -> Self {
        Enum(0, PhantomData)
    }
}

/// The proto names of an enum's values.
pub(super) trait NamedEnum {
    fn number_of(name: &str) -> Option<i32>;
}

impl NamedEnum for SpanKind {
    fn number_of(name: &str) -> Option<i32> {
        SpanKind::from_str_name(name).map(|kind| kind as i32)
    }
}

impl NamedEnum for StatusCode {
    fn number_of(name: &str) -> Option<i32> {
        StatusCode::from_str_name(name).map(|code| code as i32)
    }
}

impl<'de, E: NamedEnum> Deserialize<'de> for Enum<E> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnumVisitor<E>(PhantomData<E>);
        impl<E: NamedEnum> Visitor<'_> for EnumVisitor<E> {
            type Value = Enum<E>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an enum number or name")
            }
            fn visit_u64<Er: de::Error>(self, value: u64) -> Result<Self::Value, Er> {
                let number = i32::try_from(value).map_err(|_| Er::custom("enum out of range"))?;
                Ok(Enum(number, PhantomData))
            }
            fn visit_i64<Er: de::Error>(self, value: i64) -> Result<Self::Value, Er> {
                let number = i32::try_from(value).map_err(|_| Er::custom("enum out of range"))?;
                Ok(Enum(number, PhantomData))
            }
            fn visit_str<Er: de::Error>(self, value: &str) -> Result<Self::Value, Er> {
                E::number_of(value)
                    .map(|number| Enum(number, PhantomData))
                    .ok_or_else(|| Er::custom(format!("unknown enum value {:?}", excerpt(value))))
            }
        }
        deserializer.deserialize_any(EnumVisitor(PhantomData))
    }
}

/// The keys of an `AnyValue` object.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum AnyValueKey {
    #[serde(alias = "string_value")]
    StringValue,
    #[serde(alias = "bool_value")]
    BoolValue,
    #[serde(alias = "int_value")]
    IntValue,
    #[serde(alias = "double_value")]
    DoubleValue,
    #[serde(alias = "array_value")]
    ArrayValue,
    #[serde(alias = "kvlist_value")]
    KvlistValue,
    #[serde(alias = "bytes_value")]
    BytesValue,
    #[serde(other)]
    Unknown,
}

impl<'de> Deserialize<'de> for JsonAnyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnyValueVisitor;
        impl<'de> Visitor<'de> for AnyValueVisitor {
            type Value = JsonAnyValue;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an AnyValue object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<JsonAnyValue, E> {
                Ok(JsonAnyValue(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonAnyValue, A::Error> {
                // A later key wins, as in pdata; `null` leaves the value unset.
                let mut value = None;
                while let Some(key) = map.next_key::<AnyValueKey>()? {
                    let next = match key {
                        AnyValueKey::StringValue => {
                            map.next_value::<Option<String>>()?.map(Value::StringValue)
                        }
                        AnyValueKey::BoolValue => {
                            map.next_value::<Option<bool>>()?.map(Value::BoolValue)
                        }
                        AnyValueKey::IntValue => map
                            .next_value::<Option<Int<i64>>>()?
                            .map(|int| Value::IntValue(int.0)),
                        AnyValueKey::DoubleValue => map
                            .next_value::<Option<Double>>()?
                            .map(|double| Value::DoubleValue(double.0)),
                        AnyValueKey::ArrayValue => {
                            map.next_value::<Option<JsonArrayValue>>()?.map(|array| {
                                let values = array
                                    .values
                                    .into_iter()
                                    .map(|element| AnyValue { value: element.0 })
                                    .collect();
                                Value::ArrayValue(ArrayValue { values })
                            })
                        }
                        AnyValueKey::KvlistValue => {
                            map.next_value::<Option<JsonKeyValueList>>()?.map(|list| {
                                Value::KvlistValue(KeyValueList {
                                    values: key_values(list.values),
                                })
                            })
                        }
                        AnyValueKey::BytesValue => match map.next_value::<Option<String>>()? {
                            Some(text) => Some(Value::BytesValue(
                                BASE64.decode(text).map_err(de::Error::custom)?,
                            )),
                            None => None,
                        },
                        AnyValueKey::Unknown => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    if next.is_some() {
                        value = next;
                    }
                }
                Ok(JsonAnyValue(value))
            }
        }
        deserializer.deserialize_any(AnyValueVisitor)
    }
}
