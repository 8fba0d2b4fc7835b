//! Time conversions. The protobuf model carries `Timestamp`/`Duration` (nanosecond precision);
//! Thrift, Zipkin, the UI JSON, Cassandra and Elasticsearch use microseconds.

use crate::wkt::{Duration, Timestamp};

const NANOS_PER_MICRO: i64 = 1_000;
const MICROS_PER_SECOND: i64 = 1_000_000;
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// A timestamp from microseconds since the Unix epoch (negative values allowed).
pub fn timestamp_from_micros(micros: i64) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(MICROS_PER_SECOND),
        nanos: (micros.rem_euclid(MICROS_PER_SECOND) * NANOS_PER_MICRO) as i32,
    }
}

/// A timestamp from nanoseconds since the Unix epoch (OTLP's `fixed64` times).
pub fn timestamp_from_nanos(nanos: u64) -> Timestamp {
    Timestamp {
        seconds: (nanos / NANOS_PER_SECOND as u64) as i64,
        nanos: (nanos % NANOS_PER_SECOND as u64) as i32,
    }
}

/// Microseconds since the epoch, truncating sub-microsecond precision toward negative infinity.
pub fn micros_from_timestamp(timestamp: &Timestamp) -> i64 {
    timestamp
        .seconds
        .saturating_mul(MICROS_PER_SECOND)
        .saturating_add(i64::from(timestamp.nanos).div_euclid(NANOS_PER_MICRO))
}

/// A duration from microseconds; seconds and nanos share the sign, as protobuf requires.
pub fn duration_from_micros(micros: i64) -> Duration {
    Duration {
        seconds: micros / MICROS_PER_SECOND,
        nanos: ((micros % MICROS_PER_SECOND) * NANOS_PER_MICRO) as i32,
    }
}

/// A duration from nanoseconds (OTLP end minus start).
pub fn duration_from_nanos(nanos: i64) -> Duration {
    Duration {
        seconds: nanos / NANOS_PER_SECOND,
        nanos: (nanos % NANOS_PER_SECOND) as i32,
    }
}

/// Whole microseconds of a duration (truncated toward zero).
pub fn micros_from_duration(duration: &Duration) -> i64 {
    duration
        .seconds
        .saturating_mul(MICROS_PER_SECOND)
        .saturating_add(i64::from(duration.nanos) / NANOS_PER_MICRO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip_including_negative() {
        for micros in [
            0,
            1,
            999_999,
            1_000_000,
            1_700_000_000_123_456,
            -1,
            -1_500_000,
        ] {
            assert_eq!(
                micros_from_timestamp(&timestamp_from_micros(micros)),
                micros
            );
            assert_eq!(micros_from_duration(&duration_from_micros(micros)), micros);
        }
        let negative = timestamp_from_micros(-1);
        assert_eq!((negative.seconds, negative.nanos), (-1, 999_999_000));
    }

    #[test]
    fn nanos_convert() {
        let timestamp = timestamp_from_nanos(1_700_000_000_123_456_789);
        assert_eq!(
            (timestamp.seconds, timestamp.nanos),
            (1_700_000_000, 123_456_789)
        );
        assert_eq!(micros_from_timestamp(&timestamp), 1_700_000_000_123_456);
        let duration = duration_from_nanos(1_500_000_000);
        assert_eq!((duration.seconds, duration.nanos), (1, 500_000_000));
    }
}
