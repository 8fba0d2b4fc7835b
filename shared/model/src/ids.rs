//! Trace and span ids in their three forms: protobuf bytes (trace id always written as 16 bytes,
//! 8 accepted), lower-case hex text (Jaeger's `TraceID.String()`: 16 chars when the high half is
//! zero, else 32), and the numeric halves Thrift uses.

use std::fmt;

use crate::DecodeError;

/// A 128-bit trace id, stored as Jaeger does: the high and low 64-bit halves.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId {
    pub high: u64,
    pub low: u64,
}

/// A 64-bit span id.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(pub u64);

impl TraceId {
    pub const fn new(high: u64, low: u64) -> Self {
        TraceId { high, low }
    }

    /// The protobuf wire form: 16 bytes, high half first, big-endian.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.high.to_be_bytes());
        bytes[8..].copy_from_slice(&self.low.to_be_bytes());
        bytes
    }

    /// Reads the protobuf form: 16 bytes, or 8 bytes for a 64-bit id (high half zero).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        match bytes.len() {
            16 => Ok(TraceId::new(be_u64(&bytes[..8]), be_u64(&bytes[8..]))),
            8 => Ok(TraceId::new(0, be_u64(bytes))),
            other => Err(DecodeError::InvalidId {
                kind: "trace",
                reason: format!("{other} bytes, expected 16 or 8"),
            }),
        }
    }

    /// Parses 1 to 32 hex digits (Jaeger's rule: up to 16 digits fill the low half only).
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        let invalid = |reason: String| DecodeError::InvalidId {
            kind: "trace",
            reason,
        };
        if text.is_empty() || text.len() > 32 {
            return Err(invalid(format!(
                "{} hex digits, expected 1 to 32",
                text.len()
            )));
        }
        let split = text.len().saturating_sub(16);
        let (high, low) = text.split_at(split);
        let high = if high.is_empty() {
            0
        } else {
            parse_hex_u64(high).map_err(invalid)?
        };
        Ok(TraceId::new(high, parse_hex_u64(low).map_err(invalid)?))
    }

    pub fn is_zero(self) -> bool {
        self.high == 0 && self.low == 0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.high == 0 {
            write!(f, "{:016x}", self.low)
        } else {
            write!(f, "{:016x}{:016x}", self.high, self.low)
        }
    }
}

impl SpanId {
    /// The protobuf wire form: 8 bytes, big-endian.
    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() != 8 {
            return Err(DecodeError::InvalidId {
                kind: "span",
                reason: format!("{} bytes, expected 8", bytes.len()),
            });
        }
        Ok(SpanId(be_u64(bytes)))
    }

    /// Parses 1 to 16 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        if text.is_empty() || text.len() > 16 {
            return Err(DecodeError::InvalidId {
                kind: "span",
                reason: format!("{} hex digits, expected 1 to 16", text.len()),
            });
        }
        parse_hex_u64(text)
            .map(SpanId)
            .map_err(|reason| DecodeError::InvalidId {
                kind: "span",
                reason,
            })
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

fn be_u64(bytes: &[u8]) -> u64 {
    let mut array = [0u8; 8];
    array.copy_from_slice(bytes);
    u64::from_be_bytes(array)
}

fn parse_hex_u64(text: &str) -> Result<u64, String> {
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not hex"));
    }
    u64::from_str_radix(text, 16).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_form_is_16_digits_for_64_bit_ids_and_32_otherwise() {
        assert_eq!(TraceId::new(0, 1).to_string(), "0000000000000001");
        assert_eq!(
            TraceId::new(2, 1).to_string(),
            "00000000000000020000000000000001"
        );
        assert_eq!(SpanId(0xab).to_string(), "00000000000000ab");
    }

    #[test]
    fn hex_parsing_follows_jaeger() {
        assert_eq!(TraceId::from_hex("1").unwrap(), TraceId::new(0, 1));
        assert_eq!(
            TraceId::from_hex("20000000000000001").unwrap(),
            TraceId::new(2, 1)
        );
        assert!(TraceId::from_hex("").is_err());
        assert!(TraceId::from_hex("x1").is_err());
        assert!(TraceId::from_hex("+1").is_err());
        assert!(TraceId::from_hex(&"1".repeat(33)).is_err());
        assert!(SpanId::from_hex(&"1".repeat(17)).is_err());
    }

    #[test]
    fn bytes_accept_16_or_8() {
        let id = TraceId::new(2, 1);
        assert_eq!(TraceId::from_bytes(&id.to_bytes()).unwrap(), id);
        assert_eq!(
            TraceId::from_bytes(&1u64.to_be_bytes()).unwrap(),
            TraceId::new(0, 1)
        );
        assert!(TraceId::from_bytes(&[0; 12]).is_err());
        assert!(SpanId::from_bytes(&[0; 7]).is_err());
    }
}
