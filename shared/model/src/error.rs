//! The one error type every decoder returns: what was wrong with the input, never a panic.

use thiserror::Error;

/// Why a payload could not be decoded into spans. Every variant is the sender's fault
/// (the receiver answers 400 / `InvalidArgument` and counts the payload as rejected).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DecodeError {
    /// The payload ended before a complete value was read.
    #[error("truncated input: needed {needed} more bytes at offset {offset}")]
    Truncated { offset: usize, needed: usize },
    /// A length or count field claims more data than the payload holds, or exceeds a limit.
    #[error("invalid length {length} at offset {offset}: {reason}")]
    InvalidLength {
        offset: usize,
        length: i64,
        reason: &'static str,
    },
    /// A string field was not valid UTF-8.
    #[error("invalid UTF-8 in {field}")]
    InvalidUtf8 { field: &'static str },
    /// A field required by the format was absent.
    #[error("required field {field} is missing")]
    MissingField { field: &'static str },
    /// The bytes do not follow the format's grammar (bad type code, bad varint, nesting...).
    #[error("malformed {format}: {reason}")]
    Malformed {
        format: &'static str,
        reason: String,
    },
    /// A trace or span id has the wrong length or is not hex.
    #[error("invalid {kind} id: {reason}")]
    InvalidId { kind: &'static str, reason: String },
    /// A JSON payload did not match the expected shape.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A protobuf payload did not decode.
    #[error("invalid protobuf: {0}")]
    Protobuf(String),
}

impl DecodeError {
    pub(crate) fn malformed(format: &'static str, reason: impl Into<String>) -> Self {
        DecodeError::Malformed {
            format,
            reason: reason.into(),
        }
    }
}

impl From<prost::DecodeError> for DecodeError {
    fn from(error: prost::DecodeError) -> Self {
        DecodeError::Protobuf(error.to_string())
    }
}

impl From<serde_json::Error> for DecodeError {
    fn from(error: serde_json::Error) -> Self {
        DecodeError::Json(error.to_string())
    }
}
