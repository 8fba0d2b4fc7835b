//! `google.protobuf.Timestamp` and `Duration` for the api_v2 model, with the proto3 JSON forms
//! Jaeger's Go `jsonpb` writes: RFC 3339 in UTC with a `Z` and 0, 3, 6 or 9 fractional digits
//! (`"2024-05-01T12:34:56.123456Z"`), and seconds with 0, 3, 6 or 9 fractional digits plus `s`
//! (`"1.500s"`, `"0.000005s"`). Reading accepts any RFC 3339 offset and 0–9 fractional digits.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// A point in time: seconds and nanoseconds (0..1e9) since the Unix epoch.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// A signed span of time; seconds and nanos carry the same sign.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
pub struct Duration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let nanos = u32::try_from(self.nanos).map_err(serde::ser::Error::custom)?;
        let time = DateTime::from_timestamp(self.seconds, nanos)
            .ok_or_else(|| serde::ser::Error::custom("timestamp out of range"))?;
        serializer.serialize_str(&time.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let time = DateTime::parse_from_rfc3339(&text).map_err(D::Error::custom)?;
        Ok(Timestamp {
            seconds: time.timestamp(),
            nanos: time.timestamp_subsec_nanos() as i32,
        })
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let total =
            i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos);
        let (sign, magnitude) = if total < 0 {
            ("-", -total)
        } else {
            ("", total)
        };
        let seconds = magnitude / i128::from(NANOS_PER_SECOND);
        let mut fraction = format!("{:09}", magnitude % i128::from(NANOS_PER_SECOND));
        // Trim whole groups of three zeros, as Go's jsonpb does.
        while fraction.ends_with("000") {
            fraction.truncate(fraction.len() - 3);
        }
        let mut text = String::with_capacity(24);
        let _ = write!(text, "{sign}{seconds}");
        if !fraction.is_empty() {
            let _ = write!(text, ".{fraction}");
        }
        text.push('s');
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_duration(&text).ok_or_else(|| D::Error::custom(format!("invalid duration {text:?}")))
    }
}

fn parse_duration(text: &str) -> Option<Duration> {
    let body = text.strip_suffix('s')?;
    let (negative, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 9 {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let nanos: i32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().ok()?
    };
    Some(if negative {
        Duration {
            seconds: -seconds,
            nanos: -nanos,
        }
    } else {
        Duration { seconds, nanos }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize>(value: T) -> String {
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn timestamps_use_z_and_groups_of_three_digits() {
        assert_eq!(
            json(Timestamp {
                seconds: 1_714_566_896,
                nanos: 123_456_000
            }),
            "\"2024-05-01T12:34:56.123456Z\""
        );
        assert_eq!(
            json(Timestamp {
                seconds: 1_714_566_896,
                nanos: 120_000_000
            }),
            "\"2024-05-01T12:34:56.120Z\""
        );
        assert_eq!(
            json(Timestamp {
                seconds: 1_714_566_897,
                nanos: 0
            }),
            "\"2024-05-01T12:34:57Z\""
        );
        let parsed: Timestamp = serde_json::from_str("\"2024-05-01T14:34:56.5+02:00\"").unwrap();
        assert_eq!(
            parsed,
            Timestamp {
                seconds: 1_714_566_896,
                nanos: 500_000_000
            }
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn durations_match_go_jsonpb() {
        assert_eq!(
            json(Duration {
                seconds: 1,
                nanos: 500_000_000
            }),
            "\"1.500s\""
        );
        assert_eq!(
            json(Duration {
                seconds: 0,
                nanos: 5_000
            }),
            "\"0.000005s\""
        );
        assert_eq!(
            json(Duration {
                seconds: 0,
                nanos: 0
            }),
            "\"0s\""
        );
        assert_eq!(
            json(Duration {
                seconds: -1,
                nanos: -500_000_000
            }),
            "\"-1.500s\""
        );
        for text in ["1.500s", "0.000005s", "0s", "-1.5s", "3.000000001s"] {
            let parsed: Duration = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            let again: Duration = serde_json::from_str(&json(parsed)).unwrap();
            assert_eq!(parsed, again);
        }
        for bad in ["1", "s", "1.2.3s", "1.0000000001s", "abc", "--1s"] {
            assert!(
                serde_json::from_str::<Duration>(&format!("\"{bad}\"")).is_err(),
                "{bad}"
            );
        }
    }
}
