//! Numbers and strings written exactly as Go's `encoding/json` writes them (Go 1.22+, the
//! toolchain Jaeger v1.57.0 was released with), which is what both of Jaeger's sampling JSON
//! forms are made of: gogo `jsonpb` hands every scalar to `encoding/json`, and the legacy form
//! is `encoding/json` itself.
//!
//! Owns only the text of one scalar; which members a document has is [`crate::json`]'s job.

use std::fmt::Write as _;

/// Writes a finite `f64` as Go does: the shortest text that reads back to the same value, in
/// plain decimal notation when `1e-6 <= |value| < 1e21` (and for zero), otherwise in exponent
/// notation with a signed exponent (`1e+21`, `1e-7`, `1.5e-10`). Serde's own formatting differs
/// (`1.0`, `1e21`), so Jaeger's text cannot come from `serde_json`.
pub(crate) fn push_f64(out: &mut String, value: f64) {
    debug_assert!(value.is_finite(), "non-finite numbers have no JSON text");
    let magnitude = value.abs();
    let plain = magnitude == 0.0 || (1e-6..1e21).contains(&magnitude);
    if plain {
        // Rust's `Display` is the shortest round-trip text, never in exponent form.
        let _ = write!(out, "{value}");
        return;
    }
    let text = format!("{value:e}");
    let Some((mantissa, exponent)) = text.split_once('e') else {
        out.push_str(&text);
        return;
    };
    out.push_str(mantissa);
    out.push('e');
    match exponent.strip_prefix('-') {
        // Go pads to two digits, then trims `e-07` back to `e-7`: the digits end up minimal.
        Some(digits) => {
            out.push('-');
            out.push_str(digits);
        }
        // Only reached for |value| >= 1e21, so there are always at least two digits.
        None => {
            out.push('+');
            out.push_str(exponent);
        }
    }
}

/// Writes `value` as a JSON string the way Go's `json.Marshal` does: `"` and `\` escaped,
/// `\b \f \n \r \t` by name, other control characters as `\u00XX` (lowercase hex), and, because
/// `Marshal` escapes HTML, `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`, `\u003e`, `\u0026`,
/// `\u2028`, `\u2029`. Everything else (DEL and non-ASCII included) is written as is.
pub(crate) fn push_str(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(value: f64) -> String {
        let mut out = String::new();
        push_f64(&mut out, value);
        out
    }

    fn string(value: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, value);
        out
    }

    #[test]
    fn floats_are_gos() {
        // Expected texts are what Go 1.22's encoding/json writes for these values.
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.001, "0.001"),
            (100.0, "100"),
            (0.1, "0.1"),
            (0.30000000000000004, "0.30000000000000004"),
            (1e-6, "0.000001"),
            (9.9e-7, "9.9e-7"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (5e-324, "5e-324"),
            (-2e-8, "-2e-8"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e21, "1e+21"),
            (-1.5e300, "-1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (value, expected) in cases {
            assert_eq!(float(value), expected, "{value:?}");
        }
    }

    #[test]
    fn strings_are_gos() {
        assert_eq!(string("plain"), r#""plain""#);
        assert_eq!(string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(
            string("\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}"),
            "\"\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\""
        );
        assert_eq!(string("<a&b>"), r#""\u003ca\u0026b\u003e""#);
        assert_eq!(string("x\u{2028}y\u{2029}"), r#""x\u2028y\u2029""#);
        assert_eq!(string("héllo ✓ 🚀 /"), "\"héllo ✓ 🚀 /\"");
    }
}
