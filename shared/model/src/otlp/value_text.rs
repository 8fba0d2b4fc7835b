//! The text Jaeger stores for OTLP array and key-value-list attributes.
//!
//! Jaeger's translator turns an array or kvlist attribute into a *string* tag holding
//! pdata's `Value.AsString()`, which is Go's `encoding/json.Marshal` of the value's raw form.
//! To produce the same bytes this module follows `encoding/json`'s rules, not serde_json's:
//! - map keys sorted byte-wise, a repeated key keeps its last value;
//! - strings escaped with HTML escaping (`<`, `>`, `&` as `\u003c`...), U+2028/U+2029 as
//!   `\u2028`/`\u2029`, `\b \f \n \r \t` short forms, other control bytes as `\u00xx`;
//! - floats in ES6 style (`3`, not `3.0`; `1e+21`, `1e-7`), and a NaN or infinity anywhere makes
//!   Marshal fail, which Jaeger turns into an empty string;
//! - bytes as padded standard base64, empty bytes and empty values as `null`.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::otlp_proto::common::v1::any_value::Value;

/// A value `encoding/json` refuses to marshal (NaN or ±Inf).
struct Unsupported;

/// The JSON text of an attribute value, as Jaeger's translator writes it for arrays and maps.
pub(super) fn json_text(value: &Value) -> String {
    let mut out = String::new();
    match write_value(&mut out, Some(value)) {
        Ok(()) => out,
        Err(Unsupported) => String::new(),
    }
}

fn write_value(out: &mut String, value: Option<&Value>) -> Result<(), Unsupported> {
    match value {
        // An empty value (and the profiling-only string index, which pdata does not know).
        None | Some(Value::StringValueStrindex(_)) => out.push_str("null"),
        Some(Value::StringValue(text)) => write_string(out, text),
        Some(Value::BoolValue(flag)) => out.push_str(if *flag { "true" } else { "false" }),
        Some(Value::IntValue(number)) => out.push_str(&number.to_string()),
        Some(Value::DoubleValue(number)) => write_float(out, *number)?,
        Some(Value::BytesValue(bytes)) if bytes.is_empty() => out.push_str("null"),
        Some(Value::BytesValue(bytes)) => {
            out.push('"');
            out.push_str(&STANDARD.encode(bytes));
            out.push('"');
        }
        Some(Value::ArrayValue(array)) => {
            out.push('[');
            for (index, element) in array.values.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(out, element.value.as_ref())?;
            }
            out.push(']');
        }
        Some(Value::KvlistValue(list)) => {
            let entries: BTreeMap<&str, Option<&Value>> = list
                .values
                .iter()
                .map(|entry| {
                    (
                        entry.key.as_str(),
                        entry.value.as_ref().and_then(|any| any.value.as_ref()),
                    )
                })
                .collect();
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, value)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Go's float encoding: shortest round-trip digits, exponent form outside [1e-6, 1e21).
fn write_float(out: &mut String, number: f64) -> Result<(), Unsupported> {
    if !number.is_finite() {
        return Err(Unsupported);
    }
    let magnitude = number.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        // Rust writes `1e21` / `1.5e-7`; Go writes `1e+21` / `1.5e-7`.
        let text = format!("{number:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                out.push_str(mantissa);
                out.push_str("e+");
                out.push_str(exponent);
            }
            _ => out.push_str(&text),
        }
    } else {
        out.push_str(&number.to_string());
    }
    Ok(())
}

/// Go's `encoding/json` string escaping with `escapeHTML` on (what `json.Marshal` uses).
fn write_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let byte = c as u32;
                out.push_str("\\u00");
                out.push(char::from(HEX[((byte >> 4) & 0xf) as usize]));
                out.push(char::from(HEX[(byte & 0xf) as usize]));
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp_proto::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList};

    fn any(value: Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }

    fn array(values: Vec<Value>) -> Value {
        Value::ArrayValue(ArrayValue {
            values: values.into_iter().map(any).collect(),
        })
    }

    fn entry(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(any(value)),
            ..Default::default()
        }
    }

    #[test]
    fn arrays_render_like_go() {
        let value = array(vec![
            Value::StringValue("a".into()),
            Value::BoolValue(true),
            Value::IntValue(-7),
            Value::DoubleValue(3.0),
            Value::DoubleValue(0.5),
            Value::BytesValue(vec![1, 2, 0xfe, 0xff]),
            Value::BytesValue(vec![]),
            array(vec![]),
        ]);
        assert_eq!(
            json_text(&value),
            r#"["a",true,-7,3,0.5,"AQL+/w==",null,[]]"#
        );
        let with_empty = Value::ArrayValue(ArrayValue {
            values: vec![AnyValue { value: None }],
        });
        assert_eq!(json_text(&with_empty), "[null]");
    }

    #[test]
    fn maps_sort_keys_and_keep_the_last_duplicate() {
        let value = Value::KvlistValue(KeyValueList {
            values: vec![
                entry("b", Value::IntValue(1)),
                entry("a", Value::StringValue("x".into())),
                entry("b", Value::IntValue(2)),
                KeyValue {
                    key: "c".into(),
                    value: None,
                    ..Default::default()
                },
                entry("m", Value::KvlistValue(KeyValueList::default())),
                entry("B", Value::BoolValue(true)),
            ],
        });
        // Expected bytes as Go's json.Marshal writes them (checked with Go 1.26).
        assert_eq!(
            json_text(&value),
            r#"{"B":true,"a":"x","b":2,"c":null,"m":{}}"#
        );
    }

    #[test]
    fn strings_use_go_escaping() {
        let value = array(vec![Value::StringValue(
            "q\"\\<a>&\n\r\t\u{8}\u{c}\u{1}\u{7f}é\u{2028}".into(),
        )]);
        assert_eq!(
            json_text(&value),
            "[\"q\\\"\\\\\\u003ca\\u003e\\u0026\\n\\r\\t\\b\\f\\u0001\u{7f}é\\u2028\"]"
        );
    }

    #[test]
    fn floats_use_go_formatting() {
        let cases = [
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1e20, "100000000000000000000"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (1e-10, "1e-10"),
            (-0.0, "-0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (3.0, "3"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.000_001_234, "0.000001234"),
        ];
        for (number, expected) in cases {
            assert_eq!(
                json_text(&array(vec![Value::DoubleValue(number)])),
                format!("[{expected}]")
            );
        }
    }

    #[test]
    fn non_finite_floats_make_the_whole_text_empty() {
        let value = array(vec![Value::IntValue(1), Value::DoubleValue(f64::NAN)]);
        assert_eq!(json_text(&value), "");
        assert_eq!(
            json_text(&array(vec![Value::DoubleValue(f64::INFINITY)])),
            ""
        );
    }
}
