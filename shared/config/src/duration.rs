//! Durations in Go's text form (`time.ParseDuration` / `Duration.String`), the form Jaeger's
//! flags and environment variables take: `72h`, `1h30m`, `90s`, `1.5h`, `500ms`, `72h0m0s`.
//! Owns parsing and printing, and the serde adapter config structs use; nothing else.

use std::time::Duration;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Units, longest spelling first so `ms` is not read as `m` then `s`.
const UNITS: [(&str, u128); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", NANOS_PER_SECOND),
    ("m", 60 * NANOS_PER_SECOND),
    ("h", 3_600 * NANOS_PER_SECOND),
];

/// Parses a non-negative Go duration: one or more `<decimal><unit>` terms, or a bare `0`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let body = text.strip_prefix('+').unwrap_or(text);
    if body.starts_with('-') {
        return Err(format!("{text:?} is negative"));
    }
    if body == "0" {
        return Ok(Duration::ZERO);
    }
    if body.is_empty() {
        return Err("empty duration".to_owned());
    }
    let invalid = || format!("{text:?} is not a duration like 72h, 1h30m, 90s or 500ms");
    let mut rest = body;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_length = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_length);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
            return Err(invalid());
        }
        let Some((unit, unit_nanos)) = UNITS.iter().find(|(unit, _)| after.starts_with(unit))
        else {
            return Err(invalid());
        };
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        // Digits beyond nanosecond precision of the largest unit cannot change the result.
        let fraction = &fraction[..fraction.len().min(18)];
        let fraction_nanos = if fraction.is_empty() {
            0
        } else {
            let digits: u128 = fraction.parse().map_err(|_| invalid())?;
            digits * unit_nanos / 10u128.pow(u32::try_from(fraction.len()).unwrap_or(18))
        };
        let term = whole
            .checked_mul(*unit_nanos)
            .and_then(|nanos| nanos.checked_add(fraction_nanos));
        total = term
            .and_then(|term| total.checked_add(term))
            .ok_or_else(invalid)?;
        rest = &after[unit.len()..];
    }
    let seconds = u64::try_from(total / NANOS_PER_SECOND).map_err(|_| invalid())?;
    let nanos = u32::try_from(total % NANOS_PER_SECOND).map_err(|_| invalid())?;
    Ok(Duration::new(seconds, nanos))
}

/// Prints a duration as Go does: `72h0m0s`, `1m30s`, `1.5s`, `500ms`, `0s`.
pub fn format(duration: Duration) -> String {
    let nanos = duration.subsec_nanos();
    let seconds = duration.as_secs();
    if seconds == 0 {
        return match nanos {
            0 => "0s".to_owned(),
            1..1_000 => format!("{nanos}ns"),
            1_000..1_000_000 => format!("{}µs", decimal(u64::from(nanos), 1_000)),
            _ => format!("{}ms", decimal(u64::from(nanos), 1_000_000)),
        };
    }
    let (hours, minutes) = (seconds / 3_600, seconds % 3_600 / 60);
    let seconds = decimal(
        (seconds % 60) * 1_000_000_000 + u64::from(nanos),
        1_000_000_000,
    );
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m{seconds}s"),
        _ => format!("{hours}h{minutes}m{seconds}s"),
    }
}

/// `value / scale` in decimal, without trailing zeros after the point.
fn decimal(value: u64, scale: u64) -> String {
    let (whole, fraction) = (value / scale, value % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let fraction = format!("{fraction:0width$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// Serde adapter: a duration as Go text (`#[serde(with = "crate::duration::text")]`).
pub mod text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format(*duration))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for an optional duration: `null`/absent is `None`, else Go text
/// (`#[serde(with = "crate::duration::optional_text")]`).
pub mod optional_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => serializer.serialize_str(&super::format(*duration)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| super::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_forms() {
        let cases = [
            ("72h", Duration::from_secs(72 * 3_600)),
            ("72h0m0s", Duration::from_secs(72 * 3_600)),
            ("1h30m", Duration::from_secs(5_400)),
            ("1.5h", Duration::from_secs(5_400)),
            ("90s", Duration::from_secs(90)),
            ("500ms", Duration::from_millis(500)),
            ("1.5µs", Duration::from_nanos(1_500)),
            ("3us", Duration::from_micros(3)),
            ("7ns", Duration::from_nanos(7)),
            ("0", Duration::ZERO),
            ("+2m", Duration::from_secs(120)),
            (".5s", Duration::from_millis(500)),
            (" 10m ", Duration::from_secs(600)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_what_go_rejects_and_negatives() {
        for text in [
            "", "72", "h", "1d", "-1h", "1.2.3s", "1h30", "abc", "1 h", ".",
        ] {
            assert!(parse(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn prints_as_go_and_round_trips() {
        let cases = [
            (Duration::from_secs(72 * 3_600), "72h0m0s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_millis(1_500), "1.5s"),
            (Duration::from_millis(500), "500ms"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_nanos(7), "7ns"),
            (Duration::ZERO, "0s"),
        ];
        for (duration, text) in cases {
            assert_eq!(format(duration), text);
            assert_eq!(parse(text), Ok(duration), "{text}");
        }
    }
}
