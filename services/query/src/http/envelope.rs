//! Jaeger's response envelope `{data, total, limit, offset, errors}` and how it is written:
//! successes as `application/json` (indented with four spaces under `prettyPrint`), errors
//! as Go's `http.Error` writes them (`text/plain; charset=utf-8`, the JSON envelope with
//! `data: null` and `errors: [{code, msg}]`, then a newline).
//!
//! What goes into `data` is the handlers' business, not this module's.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The envelope of every `/api` answer. `limit` and `offset` are always 0, as in Jaeger.
#[derive(Debug, Serialize)]
pub struct Envelope<T: Serialize> {
    pub data: Option<T>,
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    pub errors: Option<Vec<StructuredError>>,
}

impl<T: Serialize> Envelope<T> {
    /// `data` with `total` left at 0 and no errors.
    pub fn data(data: T) -> Self {
        Envelope {
            data: Some(data),
            total: 0,
            limit: 0,
            offset: 0,
            errors: None,
        }
    }

    /// `data` with `total` set (services and operations lists).
    pub fn counted(data: T, total: usize) -> Self {
        Envelope {
            total,
            ..Envelope::data(data)
        }
    }
}

/// One entry of `errors`: `code` is the HTTP status of a failed request (absent for per-trace
/// errors), `traceID` names the trace a per-trace error is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StructuredError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    pub msg: String,
    #[serde(rename = "traceID", skip_serializing_if = "String::is_empty")]
    pub trace_id: String,
}

/// A failed request: the HTTP status and Jaeger's error text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub msg: String,
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            msg: msg.into(),
        }
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            msg: msg.into(),
        }
    }

    pub fn internal(msg: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            msg: msg.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let envelope: Envelope<()> = Envelope {
            data: None,
            total: 0,
            limit: 0,
            offset: 0,
            errors: Some(vec![StructuredError {
                code: Some(self.status.as_u16()),
                msg: self.msg,
                trace_id: String::new(),
            }]),
        };
        let mut body = serde_json::to_vec(&envelope).unwrap_or_default();
        body.push(b'\n');
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

/// Writes a successful envelope, indented when `pretty`.
pub fn json_response<T: Serialize>(envelope: &Envelope<T>, pretty: bool) -> Response {
    let encoded = if pretty {
        let mut buffer = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, formatter);
        envelope.serialize(&mut serializer).map(|()| buffer)
    } else {
        serde_json::to_vec(envelope)
    };
    match encoded {
        Ok(body) => {
            let mut response = Response::new(Body::from(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(error) => ApiError::internal(format!(
            "failed writing HTTP response: failed marshalling HTTP response to JSON: {error}"
        ))
        .into_response(),
    }
}
