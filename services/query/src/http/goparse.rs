//! Go's parsers as Jaeger's query service uses them, with Go's error texts, so that a
//! malformed parameter is refused exactly as Jaeger refuses it: `url.QueryUnescape`,
//! `strconv.ParseInt`/`ParseUint`/`ParseBool`, `time.ParseDuration` and
//! `model.TraceIDFromString`.

use spur_model::TraceId;

/// `url.QueryUnescape`: `+` is a space, `%XX` a byte; `None` on a malformed escape.
pub fn query_unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.get(index + 1).and_then(|&b| hex_value(b))?;
                let low = bytes.get(index + 2).and_then(|&b| hex_value(b))?;
                out.push(high << 4 | low);
                index += 2;
            }
            other => out.push(other),
        }
        index += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// `strconv.Quote` for the texts that show up in errors: printable characters as they are,
/// quotes and backslashes escaped, control characters as Go escapes them.
fn strconv_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let code = u32::from(c);
                if code < 0x80 {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `time`'s own quoting in duration errors: bytes outside printable ASCII as `\xNN`.
fn time_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for &byte in text.as_bytes() {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            b' '..=b'~' => out.push(char::from(byte)),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    out
}

/// `strconv.ParseInt(text, 10, bits)`.
pub fn parse_int(text: &str, bits: u32) -> Result<i64, String> {
    let syntax = || {
        format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            strconv_quote(text)
        )
    };
    let range = || {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            strconv_quote(text)
        )
    };
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    let value: i128 = if digits.len() > 30 {
        return Err(range());
    } else {
        text.parse().map_err(|_| syntax())?
    };
    let limit = 1i128 << (bits - 1);
    if value >= limit || value < -limit {
        return Err(range());
    }
    i64::try_from(value).map_err(|_| range())
}

/// `strconv.ParseUint(text, 16, 64)` for at most 16 hex digits.
fn parse_hex_u64(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            strconv_quote(text)
        ));
    }
    u64::from_str_radix(text, 16).map_err(|_| {
        format!(
            "strconv.ParseUint: parsing {}: value out of range",
            strconv_quote(text)
        )
    })
}

/// `model.TraceIDFromString`: up to 32 hex digits, the last 16 being the low half.
pub fn parse_trace_id(text: &str) -> Result<TraceId, String> {
    if text.len() > 32 {
        return Err(format!(
            "TraceID cannot be longer than 32 hex characters: {text}"
        ));
    }
    if text.len() > 16 && text.is_char_boundary(text.len() - 16) {
        let (high, low) = text.split_at(text.len() - 16);
        return Ok(TraceId::new(parse_hex_u64(high)?, parse_hex_u64(low)?));
    }
    Ok(TraceId::new(0, parse_hex_u64(text)?))
}

/// `strconv.ParseBool`; `None` where Go answers an error.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

const NANOS_PER_UNIT: [(&str, u64); 9] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{00b5}s", 1_000),
    ("\u{03bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("", 0),
];

/// `time.ParseDuration`: a signed sequence of decimal numbers with units, in nanoseconds.
pub fn parse_duration(original: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", time_quote(original));
    let mut rest = original;
    let mut negative = false;
    if let Some(stripped) = rest.strip_prefix('-') {
        negative = true;
        rest = stripped;
    } else if let Some(stripped) = rest.strip_prefix('+') {
        rest = stripped;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    const MAX: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let (whole, after) = leading_int(rest).ok_or_else(invalid)?;
        let has_whole = after.len() != rest.len();
        rest = after;
        let mut fraction = 0u64;
        let mut scale = 1f64;
        let mut has_fraction = false;
        if let Some(after_dot) = rest.strip_prefix('.') {
            let (value, value_scale, after) = leading_fraction(after_dot);
            has_fraction = after.len() != after_dot.len();
            fraction = value;
            scale = value_scale;
            rest = after;
        }
        if !has_whole && !has_fraction {
            return Err(invalid());
        }
        let unit_end = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (unit_text, after) = rest.split_at(unit_end);
        rest = after;
        if unit_text.is_empty() {
            return Err(format!(
                "time: missing unit in duration {}",
                time_quote(original)
            ));
        }
        let Some(&(_, unit)) = NANOS_PER_UNIT
            .iter()
            .find(|(name, nanos)| *nanos != 0 && *name == unit_text)
        else {
            return Err(format!(
                "time: unknown unit {} in duration {}",
                time_quote(unit_text),
                time_quote(original)
            ));
        };
        if whole > MAX / unit {
            return Err(invalid());
        }
        let mut value = whole * unit;
        if fraction > 0 {
            // Truncation toward zero is Go's rounding here.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let extra = (fraction as f64 * (unit as f64 / scale)) as u64;
            value = value.checked_add(extra).ok_or_else(invalid)?;
            if value > MAX {
                return Err(invalid());
            }
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > MAX {
            return Err(invalid());
        }
    }
    if negative {
        return Ok(0i64.wrapping_sub_unsigned(total));
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// Leading decimal digits; `None` on overflow beyond 2^63.
fn leading_int(text: &str) -> Option<(u64, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let mut value: u64 = 0;
    for byte in text[..end].bytes() {
        if value > (1 << 63) / 10 {
            return None;
        }
        value = value * 10 + u64::from(byte - b'0');
        if value > 1 << 63 {
            return None;
        }
    }
    Some((value, &text[end..]))
}

/// Leading fraction digits, ignoring those beyond what 63 bits hold, with their scale.
fn leading_fraction(text: &str) -> (u64, f64, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let mut value: u64 = 0;
    let mut scale = 1f64;
    let mut overflow = false;
    for byte in text[..end].bytes() {
        if overflow {
            continue;
        }
        if value > ((1u64 << 63) - 1) / 10 {
            overflow = true;
            continue;
        }
        let next = value * 10 + u64::from(byte - b'0');
        if next > 1 << 63 {
            overflow = true;
            continue;
        }
        value = next;
        scale *= 10.0;
    }
    (value, scale, &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_go() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("1h2m"), Ok(3_720_000_000_000));
        assert_eq!(parse_duration("-3ms"), Ok(-3_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("20\u{00b5}s"), Ok(20_000));
        assert_eq!(parse_duration(".5us"), Ok(500));
        assert_eq!(
            parse_duration("abc"),
            Err("time: invalid duration \"abc\"".into())
        );
        assert_eq!(
            parse_duration("5"),
            Err("time: missing unit in duration \"5\"".into())
        );
        assert_eq!(
            parse_duration("5x"),
            Err("time: unknown unit \"x\" in duration \"5x\"".into())
        );
        assert_eq!(
            parse_duration("9999999999h"),
            Err("time: invalid duration \"9999999999h\"".into())
        );
    }

    #[test]
    fn ints_and_ids_follow_go() {
        assert_eq!(parse_int("-42", 64), Ok(-42));
        assert_eq!(
            parse_int("4294967296", 32),
            Err("strconv.ParseInt: parsing \"4294967296\": value out of range".into())
        );
        assert_eq!(
            parse_int("", 64),
            Err("strconv.ParseInt: parsing \"\": invalid syntax".into())
        );
        assert_eq!(parse_trace_id("ab"), Ok(TraceId::new(0, 0xab)));
        assert_eq!(
            parse_trace_id("1000000000000000f"),
            Ok(TraceId::new(1, 0xf))
        );
        assert_eq!(
            parse_trace_id("xyz"),
            Err("strconv.ParseUint: parsing \"xyz\": invalid syntax".into())
        );
        assert_eq!(query_unescape("a+b%2Fc"), Some("a b/c".into()));
        assert_eq!(query_unescape("%zz"), None);
    }
}
