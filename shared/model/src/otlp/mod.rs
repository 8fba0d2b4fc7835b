//! OTLP trace decoders: protobuf and JSON `ExportTraceServiceRequest`s into Jaeger batches.
//!
//! - [`decode_proto`]: the protobuf body of OTLP/gRPC (after de-framing) and OTLP/HTTP
//!   `application/x-protobuf`;
//! - [`decode_json`]: the OTLP/HTTP `application/json` body (hex ids, integer enums, 64-bit
//!   integers as strings or numbers);
//! - [`request_to_batches`]: the mapping both share, for receivers that already hold a decoded
//!   request (the gRPC service).
//!
//! The mapping is Jaeger's (see `to_model`): one batch per `ResourceSpans`, the process on the
//! batch, spans without their own process. Malformed input is a [`DecodeError`], never a panic.

mod json;
mod json_values;
mod to_model;
mod value_text;

use prost::Message;

use crate::DecodeError;
use crate::api_v2::Batch;
use crate::otlp_proto::collector::trace::v1::ExportTraceServiceRequest;

pub use to_model::request_to_batches;

/// Decodes a protobuf `ExportTraceServiceRequest` (OTLP/gRPC or OTLP/HTTP protobuf body).
pub fn decode_proto(payload: &[u8]) -> Result<Vec<Batch>, DecodeError> {
    let request = ExportTraceServiceRequest::decode(payload)?;
    request_to_batches(request)
}

/// Decodes an OTLP/JSON `ExportTraceServiceRequest` (OTLP/HTTP JSON body).
pub fn decode_json(payload: &[u8]) -> Result<Vec<Batch>, DecodeError> {
    request_to_batches(json::decode(payload)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_v2::{KeyValue, Span, SpanRef, SpanRefType};
    use crate::otlp_proto::common::v1::{
        AnyValue, ArrayValue, InstrumentationScope, KeyValue as OtlpKeyValue, KeyValueList,
        any_value::Value,
    };
    use crate::otlp_proto::resource::v1::Resource;
    use crate::otlp_proto::trace::v1::span::{Event, Link, SpanKind};
    use crate::otlp_proto::trace::v1::status::StatusCode;
    use crate::otlp_proto::trace::v1::{ResourceSpans, ScopeSpans, Span as OtlpSpan, Status};
    use crate::time::{duration_from_nanos, timestamp_from_nanos};
    use crate::{SpanId, TraceId};

    const TRACE: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    const OTHER_TRACE: [u8; 16] = [0xff; 16];
    const START: u64 = 1_700_000_000_123_456_789;

    fn attribute(key: &str, value: Value) -> OtlpKeyValue {
        OtlpKeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    fn text(value: &str) -> Value {
        Value::StringValue(value.into())
    }

    fn span_id(n: u64) -> Vec<u8> {
        n.to_be_bytes().to_vec()
    }

    fn trace_id() -> TraceId {
        TraceId::from_bytes(&TRACE).unwrap()
    }

    fn otlp_span(id: u64, name: &str) -> OtlpSpan {
        OtlpSpan {
            trace_id: TRACE.to_vec(),
            span_id: span_id(id),
            name: name.into(),
            start_time_unix_nano: START,
            end_time_unix_nano: START + 1_500_000_000,
            ..Default::default()
        }
    }

    fn scope_spans(name: &str, version: &str, spans: Vec<OtlpSpan>) -> ScopeSpans {
        let scope = InstrumentationScope {
            name: name.into(),
            version: version.into(),
            ..Default::default()
        };
        ScopeSpans {
            scope: Some(scope),
            spans,
            ..Default::default()
        }
    }

    fn hand_built_request() -> ExportTraceServiceRequest {
        let server = OtlpSpan {
            parent_span_id: span_id(0x10),
            kind: SpanKind::Server as i32,
            trace_state: "vendor=x".into(),
            attributes: vec![
                attribute("http.method", text("GET")),
                attribute("retries", Value::IntValue(-3)),
                attribute("cached", Value::BoolValue(false)),
                attribute("ratio", Value::DoubleValue(0.25)),
                attribute("blob", Value::BytesValue(vec![0, 0xff])),
                attribute(
                    "list",
                    Value::ArrayValue(ArrayValue {
                        values: vec![
                            AnyValue {
                                value: Some(text("a")),
                            },
                            AnyValue {
                                value: Some(Value::IntValue(1)),
                            },
                        ],
                    }),
                ),
                attribute(
                    "map",
                    Value::KvlistValue(KeyValueList {
                        values: vec![
                            attribute("z", Value::BoolValue(true)),
                            attribute("a", text("<b>")),
                        ],
                    }),
                ),
                OtlpKeyValue {
                    key: "empty".into(),
                    value: None,
                    ..Default::default()
                },
            ],
            events: vec![Event {
                time_unix_nano: START + 5,
                name: "exception".into(),
                attributes: vec![attribute("exception.type", text("Boom"))],
                dropped_attributes_count: 2,
            }],
            links: vec![Link {
                trace_id: OTHER_TRACE.to_vec(),
                span_id: span_id(0x99),
                attributes: vec![attribute("why", text("batch"))],
                ..Default::default()
            }],
            status: Some(Status {
                code: StatusCode::Error as i32,
                message: "it broke".into(),
            }),
            dropped_attributes_count: 4,
            flags: 0x301,
            ..otlp_span(0x20, "GET /users")
        };
        let ok_span = OtlpSpan {
            status: Some(Status {
                code: StatusCode::Ok as i32,
                message: String::new(),
            }),
            ..otlp_span(0x30, "internal-work")
        };
        let consumer = OtlpSpan {
            kind: SpanKind::Consumer as i32,
            ..otlp_span(0x40, "consume")
        };
        let resource = Resource {
            attributes: vec![
                attribute("host.name", text("h1")),
                attribute("service.name", text("checkout")),
                attribute("process.pid", Value::IntValue(42)),
            ],
            ..Default::default()
        };
        ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans {
                    resource: Some(resource),
                    scope_spans: vec![
                        scope_spans("io.http", "1.2.0", vec![server, ok_span]),
                        scope_spans("", "", vec![consumer]),
                    ],
                    ..Default::default()
                },
                // Neither resource attributes nor scope spans: Jaeger emits no batch.
                ResourceSpans::default(),
                ResourceSpans {
                    resource: None,
                    scope_spans: vec![scope_spans("lib", "", vec![otlp_span(0x50, "lonely")])],
                    ..Default::default()
                },
            ],
        }
    }

    fn tag(tags: &[KeyValue], key: &str) -> KeyValue {
        tags.iter()
            .find(|tag| tag.key == key)
            .cloned()
            .unwrap_or_else(|| panic!("no tag {key}"))
    }

    fn keys(tags: &[KeyValue]) -> Vec<&str> {
        tags.iter().map(|tag| tag.key.as_str()).collect()
    }

    #[test]
    fn hand_built_protobuf_request_maps_field_by_field() {
        let payload = hand_built_request().encode_to_vec();
        let batches = decode_proto(&payload).unwrap();
        assert_eq!(batches.len(), 2);

        let process = batches[0].process.as_ref().unwrap();
        assert_eq!(process.service_name, "checkout");
        assert_eq!(
            process.tags,
            vec![
                KeyValue::string("host.name", "h1"),
                KeyValue::int64("process.pid", 42)
            ]
        );
        assert_eq!(batches[0].spans.len(), 3);
        let server = &batches[0].spans[0];
        assert_eq!(server.trace_id, TRACE.to_vec());
        assert_eq!(server.span_id, span_id(0x20));
        assert_eq!(server.operation_name, "GET /users");
        assert_eq!(server.flags, 0, "Jaeger's translator sets no flags");
        assert_eq!(server.start_time, Some(timestamp_from_nanos(START)));
        assert_eq!(server.duration, Some(duration_from_nanos(1_500_000_000)));
        assert!(server.process.is_none());
        assert_eq!(server.process_id, "");
        assert!(server.warnings.is_empty());
        assert_eq!(
            server.references,
            vec![
                SpanRef::new(trace_id(), SpanId(0x10), SpanRefType::ChildOf),
                SpanRef::new(
                    TraceId::from_bytes(&OTHER_TRACE).unwrap(),
                    SpanId(0x99),
                    SpanRefType::FollowsFrom
                ),
            ]
        );
        assert_eq!(
            server.tags,
            vec![
                KeyValue::string("otel.scope.name", "io.http"),
                KeyValue::string("otel.scope.version", "1.2.0"),
                KeyValue::string("http.method", "GET"),
                KeyValue::int64("retries", -3),
                KeyValue::bool("cached", false),
                KeyValue::float64("ratio", 0.25),
                KeyValue::binary("blob", vec![0, 0xff]),
                KeyValue::string("list", r#"["a",1]"#),
                KeyValue::string("map", r#"{"a":"\u003cb\u003e","z":true}"#),
                KeyValue::string("empty", ""),
                KeyValue::string("span.kind", "server"),
                KeyValue::string("otel.status_code", "ERROR"),
                KeyValue::bool("error", true),
                KeyValue::string("otel.status_description", "it broke"),
                KeyValue::string("w3c.tracestate", "vendor=x"),
            ]
        );
        assert_eq!(server.logs.len(), 1);
        assert_eq!(
            server.logs[0].timestamp,
            Some(timestamp_from_nanos(START + 5))
        );
        assert_eq!(
            server.logs[0].fields,
            vec![
                KeyValue::string("event", "exception"),
                KeyValue::string("exception.type", "Boom")
            ]
        );

        let ok_span = &batches[0].spans[1];
        assert!(ok_span.references.is_empty());
        assert_eq!(
            keys(&ok_span.tags),
            ["otel.scope.name", "otel.scope.version", "otel.status_code"]
        );
        assert_eq!(tag(&ok_span.tags, "otel.status_code").v_str, "OK");
        let consumer = &batches[0].spans[2];
        assert_eq!(
            consumer.tags,
            vec![KeyValue::string("span.kind", "consumer")]
        );

        let lonely: &Span = &batches[1].spans[0];
        let process = batches[1].process.as_ref().unwrap();
        assert_eq!(process.service_name, "OTLPResourceNoServiceName");
        assert!(process.tags.is_empty());
        assert_eq!(
            lonely.tags,
            vec![KeyValue::string("otel.scope.name", "lib")]
        );
    }

    #[test]
    fn empty_request_gives_no_batches() {
        assert_eq!(decode_proto(&[]).unwrap(), Vec::<Batch>::new());
        let empty = ExportTraceServiceRequest::default().encode_to_vec();
        assert!(decode_proto(&empty).unwrap().is_empty());
    }

    /// A protobuf length-delimited field.
    fn field(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag << 3 | 2];
        prost::encoding::encode_varint(body.len() as u64, &mut out);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn malformed_protobuf_is_an_error() {
        let payload = hand_built_request().encode_to_vec();
        for cut in [1, 2, payload.len() / 2, payload.len() - 1] {
            assert!(
                matches!(decode_proto(&payload[..cut]), Err(DecodeError::Protobuf(_))),
                "cut at {cut}"
            );
        }
        let garbage: Vec<u8> = (0..=255u8).rev().cycle().take(4096).collect();
        assert!(decode_proto(&garbage).is_err());
        assert!(decode_proto(&[0xff; 64]).is_err());
        // resource_spans claiming 4 GiB.
        assert!(matches!(
            decode_proto(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]),
            Err(DecodeError::Protobuf(_))
        ));
        // A varint that never ends.
        assert!(
            decode_proto(&[
                0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01
            ])
            .is_err()
        );
        // Span name (field 5) with invalid UTF-8, nested request → resource_spans → scope_spans → spans.
        let span = field(5, &[b'o', 0xff, 0xfe]);
        let payload = field(1, &field(2, &field(2, &span)));
        assert!(
            matches!(decode_proto(&payload), Err(DecodeError::Protobuf(message)) if message.contains("UTF-8"))
        );
        // Attribute nesting deeper than prost's recursion limit.
        let mut any_value = Vec::new();
        for _ in 0..200 {
            any_value = field(5, &field(1, &any_value)); // AnyValue.array_value → ArrayValue.values
        }
        let span = field(9, &field(2, &any_value)); // Span.attributes → KeyValue.value
        let payload = field(1, &field(2, &field(2, &span)));
        assert!(
            matches!(decode_proto(&payload), Err(DecodeError::Protobuf(message)) if message.contains("recursion"))
        );
    }

    fn decode_span(span: OtlpSpan) -> Result<Vec<Batch>, DecodeError> {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![span],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        decode_proto(&request.encode_to_vec())
    }

    #[test]
    fn invalid_ids_are_rejected() {
        let base = || otlp_span(1, "op");
        let bad = [
            OtlpSpan {
                trace_id: vec![1; 8],
                ..base()
            },
            OtlpSpan {
                trace_id: vec![1; 17],
                ..base()
            },
            OtlpSpan {
                trace_id: vec![],
                ..base()
            },
            OtlpSpan {
                trace_id: vec![0; 16],
                ..base()
            },
            OtlpSpan {
                span_id: vec![1; 4],
                ..base()
            },
            OtlpSpan {
                span_id: vec![],
                ..base()
            },
            OtlpSpan {
                span_id: vec![0; 8],
                ..base()
            },
            OtlpSpan {
                parent_span_id: vec![1; 3],
                ..base()
            },
            OtlpSpan {
                links: vec![Link {
                    trace_id: vec![1; 5],
                    span_id: span_id(2),
                    ..Default::default()
                }],
                ..base()
            },
            OtlpSpan {
                links: vec![Link {
                    trace_id: TRACE.to_vec(),
                    span_id: vec![2; 9],
                    ..Default::default()
                }],
                ..base()
            },
        ];
        for (index, span) in bad.into_iter().enumerate() {
            assert!(
                matches!(decode_span(span), Err(DecodeError::InvalidId { .. })),
                "case {index}"
            );
        }
        // Unset parents and links with unset contexts are fine.
        let fine = OtlpSpan {
            parent_span_id: vec![0; 8],
            links: vec![Link::default()],
            ..base()
        };
        let batches = decode_span(fine).unwrap();
        let references = &batches[0].spans[0].references;
        assert_eq!(
            references,
            &vec![SpanRef::new(
                TraceId::default(),
                SpanId(0),
                SpanRefType::FollowsFrom
            )]
        );
        assert_eq!(references[0].trace_id.len(), 16);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = decode_proto(&bytes);
            let _ = decode_json(&bytes);
        }

        #[test]
        fn mutated_requests_never_panic(edits in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 1..8)) {
            let mut payload = hand_built_request().encode_to_vec();
            for (index, byte) in edits {
                let length = payload.len();
                payload[index % length] = byte;
            }
            let _ = decode_proto(&payload);
        }
    }
}
