//! Zipkin v2 protobuf (`POST /api/v2/spans`, `application/x-protobuf`): a `ListOfSpans` with
//! binary ids, `fixed64` timestamps and packed addresses. This file owns the translation of the
//! generated [`crate::zipkin_proto3`] types into the shared [`ZipkinSpan`].

use std::net::{Ipv4Addr, Ipv6Addr};

use prost::Message;

use super::to_model::{Annotation, Endpoint, Kind, TagValue, ZipkinSpan, batch, to_model};
use crate::api_v2::Batch;
use crate::zipkin_proto3::{self as proto, ListOfSpans, span};
use crate::{DecodeError, SpanId, TraceId};

const FORMAT: &str = "Zipkin v2 protobuf";

/// Decodes a Zipkin `ListOfSpans` into a batch (one model span per Zipkin span).
///
/// Tags arrive as a protobuf map, which has no order; they are emitted sorted by key so the
/// output is deterministic.
pub fn decode_v2_proto(payload: &[u8]) -> Result<Batch, DecodeError> {
    let list = ListOfSpans::decode(payload)?;
    let spans = list
        .spans
        .into_iter()
        .map(|span| convert(span).map(to_model))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(batch(spans))
}

fn convert(span: proto::Span) -> Result<ZipkinSpan, DecodeError> {
    if span.trace_id.is_empty() {
        return Err(DecodeError::MissingField { field: "trace_id" });
    }
    if span.id.is_empty() {
        return Err(DecodeError::MissingField { field: "id" });
    }
    let trace_id = TraceId::from_bytes(&span.trace_id)?;
    let id = SpanId::from_bytes(&span.id)?;
    let parent_id = if span.parent_id.is_empty() {
        None
    } else {
        Some(SpanId::from_bytes(&span.parent_id)?).filter(|parent| parent.0 != 0)
    };
    // Proto3 enums are open: an unknown kind is treated like an unspecified one.
    let kind = match span::Kind::try_from(span.kind) {
        Ok(span::Kind::Client) => Some(Kind::Client),
        Ok(span::Kind::Server) => Some(Kind::Server),
        Ok(span::Kind::Producer) => Some(Kind::Producer),
        Ok(span::Kind::Consumer) => Some(Kind::Consumer),
        Ok(span::Kind::SpanKindUnspecified) | Err(_) => None,
    };
    let annotations = span
        .annotations
        .into_iter()
        .map(|annotation| {
            Ok(Annotation {
                timestamp: micros("annotation timestamp", annotation.timestamp)?,
                value: annotation.value,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    let mut tags: Vec<(String, String)> = span.tags.into_iter().collect();
    tags.sort_unstable();
    Ok(ZipkinSpan {
        trace_id,
        id,
        parent_id,
        name: span.name,
        kind,
        // Proto3 has no presence: zero means the sender did not set it.
        timestamp: match span.timestamp {
            0 => None,
            value => Some(micros("timestamp", value)?),
        },
        duration: Some(micros("duration", span.duration)?),
        debug: span.debug,
        local_endpoint: span.local_endpoint.map(endpoint).transpose()?,
        remote_endpoint: span.remote_endpoint.map(endpoint).transpose()?,
        annotations,
        tags: tags
            .into_iter()
            .map(|(key, value)| (key, TagValue::String(value)))
            .collect(),
    })
}

/// Unsigned microseconds that must fit the model's signed 64-bit times.
fn micros(field: &'static str, value: u64) -> Result<i64, DecodeError> {
    i64::try_from(value)
        .map_err(|_| DecodeError::malformed(FORMAT, format!("{field} {value} is out of range")))
}

/// Addresses are packed bytes (4 for IPv4, 16 for IPv6; empty means absent).
fn endpoint(endpoint: proto::Endpoint) -> Result<Endpoint, DecodeError> {
    let ipv4 = match endpoint.ipv4.len() {
        0 => None,
        _ => {
            let octets: [u8; 4] = endpoint.ipv4.as_slice().try_into().map_err(|_| {
                DecodeError::malformed(
                    FORMAT,
                    format!("ipv4 is {} bytes, expected 4", endpoint.ipv4.len()),
                )
            })?;
            Some(Ipv4Addr::from(octets))
        }
    };
    let ipv6 = match endpoint.ipv6.len() {
        0 => None,
        _ => {
            let octets: [u8; 16] = endpoint.ipv6.as_slice().try_into().map_err(|_| {
                DecodeError::malformed(
                    FORMAT,
                    format!("ipv6 is {} bytes, expected 16", endpoint.ipv6.len()),
                )
            })?;
            Some(Ipv6Addr::from(octets))
        }
    };
    let port = match endpoint.port {
        port if port <= 0 => None,
        port => Some(u16::try_from(port).map_err(|_| {
            DecodeError::malformed(FORMAT, format!("invalid port {port}, expected 1 to 65535"))
        })?),
    };
    Ok(Endpoint {
        service_name: endpoint.service_name,
        ipv4,
        ipv6,
        port,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::api_v2::{KeyValue, SpanRefType};

    fn full_span() -> proto::Span {
        proto::Span {
            trace_id: TraceId::new(7, 8).to_bytes().to_vec(),
            parent_id: 5u64.to_be_bytes().to_vec(),
            id: 6u64.to_be_bytes().to_vec(),
            kind: span::Kind::Client as i32,
            name: "SELECT".into(),
            timestamp: 1_700_000_000_000_001,
            duration: 1_000_002,
            local_endpoint: Some(proto::Endpoint {
                service_name: "db-client".into(),
                ipv4: vec![10, 1, 2, 3],
                ipv6: Vec::new(),
                port: 0,
            }),
            remote_endpoint: Some(proto::Endpoint {
                service_name: "postgres".into(),
                ipv4: Vec::new(),
                ipv6: Ipv6Addr::LOCALHOST.octets().to_vec(),
                port: 5432,
            }),
            annotations: vec![proto::Annotation {
                timestamp: 1_700_000_000_500_000,
                value: "x".into(),
            }],
            tags: HashMap::from([
                ("z.tag".to_owned(), "last".to_owned()),
                ("error".to_owned(), String::new()),
                ("a.tag".to_owned(), "first".to_owned()),
            ]),
            debug: false,
            shared: false,
        }
    }

    fn encode(spans: Vec<proto::Span>) -> Vec<u8> {
        ListOfSpans { spans }.encode_to_vec()
    }

    #[test]
    fn decodes_a_full_span_field_by_field() {
        let batch = decode_v2_proto(&encode(vec![full_span()])).unwrap();
        assert!(batch.process.is_none());
        let span = &batch.spans[0];
        assert_eq!(span.trace_id, TraceId::new(7, 8).to_bytes().to_vec());
        assert_eq!(span.span_id, SpanId(6).to_bytes().to_vec());
        assert_eq!(span.references.len(), 1);
        assert_eq!(span.references[0].span_id, SpanId(5).to_bytes().to_vec());
        assert_eq!(span.references[0].ref_type, SpanRefType::ChildOf as i32);
        assert_eq!(span.operation_name, "SELECT");
        assert_eq!(span.flags, 1);
        let start = span.start_time.unwrap();
        assert_eq!((start.seconds, start.nanos), (1_700_000_000, 1_000));
        let duration = span.duration.unwrap();
        assert_eq!((duration.seconds, duration.nanos), (1, 2_000));
        assert_eq!(
            span.tags,
            vec![
                KeyValue::string("a.tag", "first"),
                KeyValue::bool("error", true),
                KeyValue::string("z.tag", "last"),
                KeyValue::string("peer.service", "postgres"),
                KeyValue::string("peer.ipv6", "::1"),
                KeyValue::int64("peer.port", 5432),
                KeyValue::string("span.kind", "client"),
            ]
        );
        assert_eq!(span.logs.len(), 1);
        assert_eq!(span.logs[0].fields, vec![KeyValue::string("event", "x")]);
        assert_eq!(span.logs[0].timestamp.unwrap().nanos, 500_000_000);
        let process = span.process.as_ref().unwrap();
        assert_eq!(process.service_name, "db-client");
        assert_eq!(process.tags, vec![KeyValue::string("ip", "10.1.2.3")]);
    }

    #[test]
    fn eight_byte_trace_ids_widen_to_sixteen_and_debug_sets_flag() {
        let mut span = full_span();
        span.trace_id = 9u64.to_be_bytes().to_vec();
        span.parent_id = vec![0; 8];
        span.debug = true;
        span.kind = 42;
        span.local_endpoint = None;
        let batch = decode_v2_proto(&encode(vec![span])).unwrap();
        let span = &batch.spans[0];
        assert_eq!(span.trace_id, TraceId::new(0, 9).to_bytes().to_vec());
        assert!(span.references.is_empty());
        assert_eq!(span.flags, 3);
        assert!(!span.tags.iter().any(|tag| tag.key == "span.kind"));
        assert_eq!(
            span.process.as_ref().unwrap().service_name,
            "unknown-service-name"
        );
    }

    #[test]
    fn empty_payload_is_an_empty_batch() {
        assert!(decode_v2_proto(&[]).unwrap().spans.is_empty());
        assert!(
            decode_v2_proto(&encode(Vec::new()))
                .unwrap()
                .spans
                .is_empty()
        );
    }

    #[test]
    fn garbage_and_truncated_protobuf_are_errors() {
        assert!(matches!(
            decode_v2_proto(&[0xff; 32]),
            Err(DecodeError::Protobuf(_))
        ));
        // Field 1, length-delimited, claiming far more bytes than follow.
        assert!(matches!(
            decode_v2_proto(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
            Err(DecodeError::Protobuf(_))
        ));
        let full = encode(vec![full_span()]);
        for cut in 1..full.len() {
            assert!(decode_v2_proto(&full[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn bad_ids_addresses_and_times_are_errors() {
        type Mutate = fn(&mut proto::Span);
        type Check = fn(&DecodeError) -> bool;
        let cases: Vec<(Mutate, Check)> = vec![
            (
                |s| s.trace_id = vec![1; 12],
                |e| matches!(e, DecodeError::InvalidId { .. }),
            ),
            (
                |s| s.trace_id.clear(),
                |e| matches!(e, DecodeError::MissingField { .. }),
            ),
            (
                |s| s.id = vec![1; 9],
                |e| matches!(e, DecodeError::InvalidId { .. }),
            ),
            (
                |s| s.id.clear(),
                |e| matches!(e, DecodeError::MissingField { .. }),
            ),
            (
                |s| s.parent_id = vec![1; 4],
                |e| matches!(e, DecodeError::InvalidId { .. }),
            ),
            (
                |s| s.timestamp = u64::MAX,
                |e| matches!(e, DecodeError::Malformed { .. }),
            ),
            (
                |s| s.duration = u64::MAX,
                |e| matches!(e, DecodeError::Malformed { .. }),
            ),
            (
                |s| s.annotations[0].timestamp = 1 << 63,
                |e| matches!(e, DecodeError::Malformed { .. }),
            ),
            (
                |s| {
                    s.local_endpoint
                        .as_mut()
                        .into_iter()
                        .for_each(|e| e.ipv4 = vec![1; 5])
                },
                |e| matches!(e, DecodeError::Malformed { .. }),
            ),
            (
                |s| {
                    s.remote_endpoint
                        .as_mut()
                        .into_iter()
                        .for_each(|e| e.ipv6 = vec![1; 4])
                },
                |e| matches!(e, DecodeError::Malformed { .. }),
            ),
            (
                |s| {
                    s.remote_endpoint
                        .as_mut()
                        .into_iter()
                        .for_each(|e| e.port = 70_000)
                },
                |e| matches!(e, DecodeError::Malformed { .. }),
            ),
        ];
        for (index, (mutate, expected)) in cases.into_iter().enumerate() {
            let mut span = full_span();
            mutate(&mut span);
            let error = decode_v2_proto(&encode(vec![span])).unwrap_err();
            assert!(expected(&error), "case {index}: {error}");
        }
    }

    #[test]
    fn invalid_utf8_in_a_string_is_an_error() {
        let mut bytes = encode(vec![proto::Span {
            name: "NAME!".into(),
            ..full_span()
        }]);
        let at = bytes.windows(5).position(|w| w == b"NAME!").unwrap();
        bytes[at] = 0xff;
        assert!(matches!(
            decode_v2_proto(&bytes),
            Err(DecodeError::Protobuf(_))
        ));
    }
}
