//! Go's `time.Duration.String()` (`"1.5s"`, `"250ms"`, `"-3µs"`, `"1h2m0.5s"`, `"0s"`), so
//! clock-skew warnings read exactly as Jaeger's. Formatting only.

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Formats signed nanoseconds as Go prints a `time.Duration`.
pub(super) fn format(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    if magnitude == 0 {
        return "0s".to_string();
    }
    if magnitude < NANOS_PER_MICRO {
        return format!("{sign}{magnitude}ns");
    }
    if magnitude < NANOS_PER_MILLI {
        return format!("{sign}{}µs", decimal(magnitude, NANOS_PER_MICRO, 3));
    }
    if magnitude < NANOS_PER_SECOND {
        return format!("{sign}{}ms", decimal(magnitude, NANOS_PER_MILLI, 6));
    }
    let whole_seconds = magnitude / NANOS_PER_SECOND;
    let fraction = magnitude % NANOS_PER_SECOND;
    let seconds = decimal(
        (whole_seconds % 60) * NANOS_PER_SECOND + fraction,
        NANOS_PER_SECOND,
        9,
    );
    let minutes = (whole_seconds / 60) % 60;
    let hours = whole_seconds / 3600;
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{seconds}s")
    } else {
        format!("{sign}{seconds}s")
    }
}

/// `value / unit` with up to `digits` fractional digits, trailing zeros (and point) dropped.
fn decimal(value: u64, unit: u64, digits: usize) -> String {
    let whole = value / unit;
    let fraction = value % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0digits$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn matches_go_duration_strings() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1_000, "1µs"),
            (1_500, "1.5µs"),
            (-2_000, "-2µs"),
            (1_000_000, "1ms"),
            (250_000_000, "250ms"),
            (1_234_567, "1.234567ms"),
            (1_000_000_000, "1s"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (61_500_000_000, "1m1.5s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_723_000_000_001, "1h2m3.000000001s"),
            (-90_000_000_000, "-1m30s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (nanos, expected) in cases {
            assert_eq!(format(nanos), expected, "{nanos}");
        }
    }
}
