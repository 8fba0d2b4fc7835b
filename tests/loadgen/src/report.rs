//! The run's report: one JSON line for scripts (stdout) and a sentence for people (stderr).

use std::collections::BTreeMap;

use serde::Serialize;
use tonic::Code;

use crate::cli::Protocol;
use crate::pool::Pool;
use crate::send::Outcome;

/// The JSON summary printed on stdout at the end of a load run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub protocol: &'static str,
    pub sent_spans: u64,
    pub acked_spans: u64,
    pub failed_requests: u64,
    /// Error answers by gRPC code name (`RESOURCE_EXHAUSTED`, …), retried ones included.
    pub failures_by_code: BTreeMap<&'static str, u64>,
    pub seconds: f64,
    /// Acknowledged spans per second of the timed phase.
    pub spans_per_second: f64,
    /// Mean encoded size of a span as Jaeger's api_v2 `Span` in a `PostSpans` batch.
    pub mean_span_bytes: f64,
    /// Mean request body bytes per span on the chosen protocol.
    pub wire_bytes_per_span: f64,
}

impl Summary {
    pub fn new(protocol: Protocol, pool: &Pool, outcome: &Outcome) -> Self {
        let seconds = outcome.elapsed.as_secs_f64();
        let spans_per_second = if seconds > 0.0 {
            outcome.acked_spans as f64 / seconds
        } else {
            0.0
        };
        Summary {
            protocol: protocol.name(),
            sent_spans: outcome.sent_spans,
            acked_spans: outcome.acked_spans,
            failed_requests: outcome.failed_requests,
            failures_by_code: outcome.failures_by_code.clone(),
            seconds: round(seconds, 3),
            spans_per_second: round(spans_per_second, 1),
            mean_span_bytes: round(pool.mean_span_bytes, 1),
            wire_bytes_per_span: round(pool.wire_bytes_per_span, 1),
        }
    }

    /// The one-line JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }

    /// The human form, for stderr.
    pub fn to_text(&self, endpoint: &str) -> String {
        let failures = if self.failures_by_code.is_empty() {
            "no error answers".to_owned()
        } else {
            let codes: Vec<String> = self
                .failures_by_code
                .iter()
                .map(|(code, count)| format!("{code} ×{count}"))
                .collect();
            format!("error answers: {}", codes.join(", "))
        };
        format!(
            "spur-loadgen: {protocol} → {endpoint}: sent {sent} spans, {acked} acknowledged in \
             {seconds:.2} s = {rate:.0} spans/s; {failed} failed requests; {failures}; mean span \
             {mean:.0} B as api_v2, {wire:.0} B per span on the wire",
            protocol = self.protocol,
            sent = self.sent_spans,
            acked = self.acked_spans,
            seconds = self.seconds,
            rate = self.spans_per_second,
            failed = self.failed_requests,
            mean = self.mean_span_bytes,
            wire = self.wire_bytes_per_span,
        )
    }
}

/// The canonical upper-case name of a gRPC status code.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_documented_fields() {
        let summary = Summary {
            protocol: "otlp",
            sent_spans: 10,
            acked_spans: 9,
            failed_requests: 1,
            failures_by_code: BTreeMap::from([("RESOURCE_EXHAUSTED", 4)]),
            seconds: 2.0,
            spans_per_second: 4.5,
            mean_span_bytes: 498.0,
            wire_bytes_per_span: 520.0,
        };
        let json: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
        assert_eq!(json["failures_by_code"]["RESOURCE_EXHAUSTED"], 4);
        assert_eq!(json["protocol"], "otlp");
        assert!(!summary.to_json().contains('\n'));
        assert!(
            summary
                .to_text("http://x")
                .contains("RESOURCE_EXHAUSTED ×4")
        );
    }

    #[test]
    fn code_names_are_canonical() {
        assert_eq!(code_name(Code::Unavailable), "UNAVAILABLE");
        assert_eq!(code_name(Code::DeadlineExceeded), "DEADLINE_EXCEEDED");
    }
}
