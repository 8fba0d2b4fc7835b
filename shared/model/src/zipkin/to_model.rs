//! The one place a Zipkin span becomes a Jaeger model span.
//!
//! Every Zipkin decoder (v1 JSON, v2 JSON, v2 protobuf) first builds [`ZipkinSpan`], a
//! v2-shaped intermediate with parsed ids, times and addresses, then calls [`to_model`]. This
//! file owns that intermediate and the mapping rules: `span.kind`, peer tags from the remote
//! endpoint, the `error` tag, annotations as logs, flags, and the process from the local
//! endpoint.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::api_v2::{Batch, KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use crate::time::{duration_from_micros, timestamp_from_micros};
use crate::{SpanId, TraceId};

/// Jaeger's service name for a span whose local endpoint names no service.
pub(crate) const UNKNOWN_SERVICE_NAME: &str = "unknown-service-name";

/// Jaeger's sampled flag; Zipkin only reports sampled spans.
const FLAG_SAMPLED: u32 = 1;
/// Jaeger's debug flag, set when the Zipkin span has `debug: true`.
const FLAG_DEBUG: u32 = 2;

/// Zipkin's span kind (v2 `kind`, or v1 core annotations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Client,
    Server,
    Producer,
    Consumer,
}

impl Kind {
    /// The value of Jaeger's `span.kind` tag.
    fn tag_value(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Server => "server",
            Kind::Producer => "producer",
            Kind::Consumer => "consumer",
        }
    }
}

/// A Zipkin endpoint with its addresses already parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Endpoint {
    /// Empty when the sender gave none.
    pub service_name: String,
    pub ipv4: Option<Ipv4Addr>,
    pub ipv6: Option<Ipv6Addr>,
    /// `None` when absent or zero.
    pub port: Option<u16>,
}

/// A typed tag value (v2 tags are always strings; v1 binary annotations carry types).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TagValue {
    String(String),
    Bool(bool),
    Int64(i64),
    Float64(f64),
    Binary(Vec<u8>),
}

/// A timestamped event (microseconds since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Annotation {
    pub timestamp: i64,
    pub value: String,
}

/// The v2-shaped span every decoder produces. Times are microseconds, already checked to fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ZipkinSpan {
    pub trace_id: TraceId,
    pub id: SpanId,
    pub parent_id: Option<SpanId>,
    pub name: String,
    pub kind: Option<Kind>,
    pub timestamp: Option<i64>,
    pub duration: Option<i64>,
    pub debug: bool,
    pub local_endpoint: Option<Endpoint>,
    pub remote_endpoint: Option<Endpoint>,
    pub annotations: Vec<Annotation>,
    pub tags: Vec<(String, TagValue)>,
}

/// Wraps decoded spans into a batch; each span carries its own process.
pub(crate) fn batch(spans: Vec<Span>) -> Batch {
    Batch {
        spans,
        process: None,
    }
}

/// Maps one intermediate span to the Jaeger model.
///
/// Tag order: the span's tags in input order (`error` expanded in place), then the `peer.*` tags
/// of the remote endpoint, then `span.kind`.
pub(crate) fn to_model(span: ZipkinSpan) -> Span {
    let mut tags = Vec::with_capacity(span.tags.len().saturating_add(5));
    for (key, value) in span.tags {
        push_tag(&mut tags, key, value);
    }
    if let Some(remote) = &span.remote_endpoint {
        push_peer_tags(&mut tags, remote);
    }
    if let Some(kind) = span.kind {
        tags.push(KeyValue::string("span.kind", kind.tag_value()));
    }

    let logs = span
        .annotations
        .into_iter()
        .filter(|annotation| !annotation.value.is_empty())
        .map(|annotation| Log {
            timestamp: Some(timestamp_from_micros(annotation.timestamp)),
            fields: vec![KeyValue::string("event", annotation.value)],
        })
        .collect();

    let references = span
        .parent_id
        .map(|parent| SpanRef::new(span.trace_id, parent, SpanRefType::ChildOf))
        .into_iter()
        .collect();

    Span {
        trace_id: span.trace_id.to_bytes().to_vec(),
        span_id: span.id.to_bytes().to_vec(),
        operation_name: span.name,
        references,
        flags: if span.debug {
            FLAG_SAMPLED | FLAG_DEBUG
        } else {
            FLAG_SAMPLED
        },
        start_time: Some(timestamp_from_micros(span.timestamp.unwrap_or(0))),
        duration: Some(duration_from_micros(span.duration.unwrap_or(0))),
        tags,
        logs,
        process: Some(process(span.local_endpoint)),
        process_id: String::new(),
        warnings: Vec::new(),
    }
}

/// The process of a span: the local endpoint's service name and addresses.
fn process(local: Option<Endpoint>) -> Process {
    let Some(local) = local else {
        return Process {
            service_name: UNKNOWN_SERVICE_NAME.to_owned(),
            tags: Vec::new(),
        };
    };
    let mut tags = Vec::new();
    if let Some(ipv4) = local.ipv4 {
        tags.push(KeyValue::string("ip", ipv4.to_string()));
    }
    if let Some(ipv6) = local.ipv6 {
        tags.push(KeyValue::string("ipv6", ipv6.to_string()));
    }
    let service_name = if local.service_name.is_empty() {
        UNKNOWN_SERVICE_NAME.to_owned()
    } else {
        local.service_name
    };
    Process { service_name, tags }
}

/// Appends one tag; `error` becomes a bool tag plus, for a message, `error.message`.
fn push_tag(tags: &mut Vec<KeyValue>, key: String, value: TagValue) {
    if key == "error" {
        match value {
            TagValue::Bool(flag) => tags.push(KeyValue::bool(key, flag)),
            TagValue::String(message) => {
                tags.push(KeyValue::bool(key, true));
                if !message.is_empty() && message != "true" {
                    tags.push(KeyValue::string("error.message", message));
                }
            }
            TagValue::Int64(number) => {
                tags.push(KeyValue::bool(key, true));
                tags.push(KeyValue::string("error.message", number.to_string()));
            }
            TagValue::Float64(number) => {
                tags.push(KeyValue::bool(key, true));
                tags.push(KeyValue::string("error.message", number.to_string()));
            }
            TagValue::Binary(_) => tags.push(KeyValue::bool(key, true)),
        }
        return;
    }
    tags.push(match value {
        TagValue::String(text) => KeyValue::string(key, text),
        TagValue::Bool(flag) => KeyValue::bool(key, flag),
        TagValue::Int64(number) => KeyValue::int64(key, number),
        TagValue::Float64(number) => KeyValue::float64(key, number),
        TagValue::Binary(bytes) => KeyValue::binary(key, bytes),
    });
}

/// Appends `peer.service`, `peer.ipv4`, `peer.ipv6` and `peer.port` for what the endpoint has.
fn push_peer_tags(tags: &mut Vec<KeyValue>, remote: &Endpoint) {
    if !remote.service_name.is_empty() {
        tags.push(KeyValue::string(
            "peer.service",
            remote.service_name.as_str(),
        ));
    }
    if let Some(ipv4) = remote.ipv4 {
        tags.push(KeyValue::string("peer.ipv4", ipv4.to_string()));
    }
    if let Some(ipv6) = remote.ipv6 {
        tags.push(KeyValue::string("peer.ipv6", ipv6.to_string()));
    }
    if let Some(port) = remote.port {
        tags.push(KeyValue::int64("peer.port", i64::from(port)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_v2::ValueType;

    #[test]
    fn minimal_span_gets_unknown_service_sampled_flag_and_zero_times() {
        let span = to_model(ZipkinSpan {
            trace_id: TraceId::new(0, 1),
            id: SpanId(2),
            ..Default::default()
        });
        assert_eq!(span.trace_id, TraceId::new(0, 1).to_bytes().to_vec());
        assert_eq!(span.trace_id.len(), 16);
        assert_eq!(span.flags, 1);
        assert!(span.references.is_empty());
        assert_eq!(span.process.unwrap().service_name, UNKNOWN_SERVICE_NAME);
        assert_eq!(span.start_time.unwrap().seconds, 0);
        assert_eq!(span.duration.unwrap().seconds, 0);
    }

    #[test]
    fn error_tags_expand() {
        let span = to_model(ZipkinSpan {
            tags: vec![
                ("error".into(), TagValue::String("boom".into())),
                ("error".into(), TagValue::String("true".into())),
                ("error".into(), TagValue::Bool(false)),
                ("error".into(), TagValue::Int64(7)),
            ],
            ..Default::default()
        });
        let tags: Vec<_> = span
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.v_type, t.v_bool, t.v_str.as_str()))
            .collect();
        let bool_type = ValueType::Bool as i32;
        let string_type = ValueType::String as i32;
        assert_eq!(
            tags,
            vec![
                ("error", bool_type, true, ""),
                ("error.message", string_type, false, "boom"),
                ("error", bool_type, true, ""),
                ("error", bool_type, false, ""),
                ("error", bool_type, true, ""),
                ("error.message", string_type, false, "7"),
            ]
        );
    }

    #[test]
    fn empty_annotations_are_dropped() {
        let span = to_model(ZipkinSpan {
            annotations: vec![
                Annotation {
                    timestamp: 5,
                    value: String::new(),
                },
                Annotation {
                    timestamp: 6,
                    value: "x".into(),
                },
            ],
            ..Default::default()
        });
        assert_eq!(span.logs.len(), 1);
        assert_eq!(span.logs[0].fields[0].v_str, "x");
    }
}
