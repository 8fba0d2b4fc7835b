//! Maps what can go wrong talking to Elasticsearch/OpenSearch onto `StorageError`, so callers
//! know what to retry: connection failures, timeouts, 429 and 5xx are retryable; a refused
//! request (4xx) is not.

use elasticsearch::http::StatusCode;
use spur_storage::StorageError;

/// A transport failure (no HTTP answer): a timeout or an unreachable node.
pub fn from_transport(context: &str, error: &elasticsearch::Error) -> StorageError {
    let message = format!("{context}: {error}");
    if error.is_timeout() {
        StorageError::Timeout(message)
    } else {
        StorageError::Unavailable(message)
    }
}

/// An HTTP answer that is not a success; `body` is the server's explanation.
pub fn from_status(context: &str, status: StatusCode, body: &str) -> StorageError {
    let reason = short_reason(body);
    let message = format!("{context}: HTTP {}: {reason}", status.as_u16());
    if is_retryable_status(status.as_u16()) {
        StorageError::Unavailable(message)
    } else if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::GATEWAY_TIMEOUT {
        StorageError::Timeout(message)
    } else {
        StorageError::Internal(message)
    }
}

/// Whether a request (or one bulk item) refused with this status may succeed later.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || status == 502 || status == 503 || status == 504 || status == 500
}

/// An answer that does not have the shape Elasticsearch's API documents.
pub fn from_decoding(context: &str, error: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(format!("{context}: {error}"))
}

/// The `error.reason` of an Elasticsearch error body when there is one, else the body cut short.
pub fn short_reason(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let reason = parsed.as_ref().and_then(|value| {
        let error = value.get("error")?;
        let kind = error
            .get("type")
            .and_then(|kind| kind.as_str())
            .unwrap_or("");
        let reason = error
            .get("reason")
            .and_then(|reason| reason.as_str())
            .or_else(|| error.as_str())?;
        Some(if kind.is_empty() {
            reason.to_owned()
        } else {
            format!("{kind}: {reason}")
        })
    });
    reason.unwrap_or_else(|| body.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_of_an_error_body_is_extracted() {
        let body = r#"{"error":{"root_cause":[],"type":"index_not_found_exception","reason":"no such index [x]"},"status":404}"#;
        assert_eq!(
            short_reason(body),
            "index_not_found_exception: no such index [x]"
        );
        assert_eq!(short_reason("plain text"), "plain text");
    }

    #[test]
    fn overload_is_retryable_and_a_bad_request_is_not() {
        assert!(from_status("x", StatusCode::TOO_MANY_REQUESTS, "").is_retryable());
        assert!(from_status("x", StatusCode::SERVICE_UNAVAILABLE, "").is_retryable());
        assert!(!from_status("x", StatusCode::BAD_REQUEST, "").is_retryable());
    }
}
