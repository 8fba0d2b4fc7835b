//! Zipkin v1 JSON (`POST /api/v1/spans`): a top-level array of spans whose kind, service and
//! timing hide in annotations (`cs`/`cr`/`sr`/`ss`/`ms`/`mr`, each with an endpoint) and whose
//! tags and peer addresses are typed binary annotations (`lc`, `ca`/`sa`/`ma`, others).
//!
//! This file owns that JSON shape and the typing of binary annotation values; `v1_spans`
//! turns the parsed annotations into v2-shaped spans (kinds, endpoints, times, the split).

use base64::Engine;
use serde::Deserialize;

use super::json_common::{
    JsonEndpoint, Scalar, micros, parent_id, parse_payload, preview, span_id, trace_id,
};
use super::to_model::{TagValue, ZipkinSpan, batch, to_model};
use super::v1_spans::{V1Annotation, V1Binary, assemble, core_kind};
use crate::DecodeError;
use crate::api_v2::Batch;

const FORMAT: &str = "Zipkin v1 JSON";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonSpan {
    trace_id: Option<String>,
    id: Option<String>,
    parent_id: Option<String>,
    name: Option<String>,
    timestamp: Option<i64>,
    duration: Option<i64>,
    debug: Option<bool>,
    annotations: Option<Vec<JsonAnnotation>>,
    binary_annotations: Option<Vec<JsonBinaryAnnotation>>,
}

#[derive(Debug, Deserialize)]
struct JsonAnnotation {
    timestamp: Option<i64>,
    value: Option<String>,
    endpoint: Option<JsonEndpoint>,
}

#[derive(Debug, Deserialize)]
struct JsonBinaryAnnotation {
    key: Option<String>,
    value: Option<Scalar>,
    /// Zipkin's optional `type` (`BOOL`, `BYTES`, `I16`, `I32`, `I64`, `DOUBLE`, `STRING`).
    #[serde(rename = "type")]
    value_type: Option<String>,
    endpoint: Option<JsonEndpoint>,
}

/// Decodes a Zipkin v1 JSON array of spans; a shared client+server span yields two spans.
pub fn decode_v1_json(payload: &[u8]) -> Result<Batch, DecodeError> {
    let spans: Vec<JsonSpan> = parse_payload(payload)?;
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        out.extend(convert(span)?.into_iter().map(to_model));
    }
    Ok(batch(out))
}

fn convert(span: JsonSpan) -> Result<Vec<ZipkinSpan>, DecodeError> {
    let trace_id = trace_id(span.trace_id.as_deref())?;
    let id = span_id(span.id.as_deref())?;
    let parent_id = parent_id(span.parent_id.as_deref())?;
    let timestamp = micros(FORMAT, "timestamp", span.timestamp)?;
    let duration = micros(FORMAT, "duration", span.duration)?;
    let annotations = span
        .annotations
        .unwrap_or_default()
        .into_iter()
        .map(parse_annotation)
        .collect::<Result<Vec<_>, _>>()?;
    let binaries = span
        .binary_annotations
        .unwrap_or_default()
        .into_iter()
        .filter_map(|binary| parse_binary(binary).transpose())
        .collect::<Result<Vec<_>, _>>()?;

    let header = ZipkinSpan {
        trace_id,
        id,
        parent_id,
        name: span.name.unwrap_or_default(),
        timestamp,
        duration,
        debug: span.debug.unwrap_or(false),
        ..ZipkinSpan::default()
    };
    Ok(assemble(header, annotations, binaries))
}

fn parse_annotation(annotation: JsonAnnotation) -> Result<V1Annotation, DecodeError> {
    let timestamp = micros(FORMAT, "annotation timestamp", annotation.timestamp)?.ok_or(
        DecodeError::MissingField {
            field: "annotations.timestamp",
        },
    )?;
    let value = annotation.value.unwrap_or_default();
    Ok(V1Annotation {
        timestamp,
        kind: core_kind(&value),
        value,
        endpoint: annotation.endpoint.map(|e| e.parse(FORMAT)).transpose()?,
    })
}

/// `None` for an address annotation without an endpoint: it says nothing (Jaeger drops it too).
fn parse_binary(binary: JsonBinaryAnnotation) -> Result<Option<V1Binary>, DecodeError> {
    let key = binary.key.ok_or(DecodeError::MissingField {
        field: "binaryAnnotations.key",
    })?;
    let endpoint = binary.endpoint.map(|e| e.parse(FORMAT)).transpose()?;
    let value = binary.value.unwrap_or(Scalar::Null);
    Ok(match (key.as_str(), endpoint) {
        ("ca" | "sa" | "ma", Some(endpoint)) => Some(V1Binary::Address { key, endpoint }),
        ("ca" | "sa" | "ma", None) => None,
        ("lc", endpoint) => Some(V1Binary::Tag {
            key: "component".to_owned(),
            value: TagValue::String(value.into_text()),
            endpoint,
            local_component: true,
        }),
        (_, endpoint) => {
            let value = tag_value(&key, value, binary.value_type.as_deref())?;
            Some(V1Binary::Tag {
                key,
                value,
                endpoint,
                local_component: false,
            })
        }
    })
}

/// A typed tag from a binary annotation: Zipkin's `type` if given, else the JSON type.
fn tag_value(key: &str, value: Scalar, value_type: Option<&str>) -> Result<TagValue, DecodeError> {
    let mismatch = |expected: &str| {
        DecodeError::malformed(
            FORMAT,
            format!("binary annotation {:?} is not {expected}", preview(key)),
        )
    };
    Ok(match (value_type, value) {
        (None | Some("STRING"), value) => infer(value),
        (Some("BOOL"), Scalar::Bool(flag)) => TagValue::Bool(flag),
        (Some("BOOL"), Scalar::String(text)) => {
            TagValue::Bool(text.parse().map_err(|_| mismatch("a boolean"))?)
        }
        (Some("I16" | "I32" | "I64"), Scalar::Int(number)) => TagValue::Int64(number),
        (Some("I16" | "I32" | "I64"), Scalar::String(text)) => {
            TagValue::Int64(text.parse().map_err(|_| mismatch("an integer"))?)
        }
        (Some("DOUBLE"), Scalar::Int(number)) => TagValue::Float64(number as f64),
        (Some("DOUBLE"), Scalar::UInt(number)) => TagValue::Float64(number as f64),
        (Some("DOUBLE"), Scalar::Float(number)) => TagValue::Float64(number),
        (Some("DOUBLE"), Scalar::String(text)) => {
            TagValue::Float64(text.parse().map_err(|_| mismatch("a number"))?)
        }
        (Some("BYTES"), Scalar::String(text)) => TagValue::Binary(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| mismatch("base64"))?,
        ),
        (Some("BOOL"), _) => return Err(mismatch("a boolean")),
        (Some("I16" | "I32" | "I64"), _) => return Err(mismatch("an integer")),
        (Some("DOUBLE"), _) => return Err(mismatch("a number")),
        (Some("BYTES"), _) => return Err(mismatch("base64 text")),
        (Some(other), _) => {
            return Err(DecodeError::malformed(
                FORMAT,
                format!("unknown binary annotation type {:?}", preview(other)),
            ));
        }
    })
}

/// Bool stays bool, integers become int64, other numbers float64, text stays text.
fn infer(value: Scalar) -> TagValue {
    match value {
        Scalar::Null => TagValue::String(String::new()),
        Scalar::String(text) => TagValue::String(text),
        Scalar::Bool(flag) => TagValue::Bool(flag),
        Scalar::Int(number) => TagValue::Int64(number),
        Scalar::UInt(number) => TagValue::Float64(number as f64),
        Scalar::Float(number) => TagValue::Float64(number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_v2::{KeyValue, Span, SpanRefType};
    use crate::{SpanId, TraceId};

    fn string_tag(key: &str, value: &str) -> KeyValue {
        KeyValue::string(key, value)
    }

    fn micros_of(timestamp: Option<crate::wkt::Timestamp>) -> i64 {
        crate::time::micros_from_timestamp(&timestamp.unwrap_or_default())
    }

    fn duration_micros(span: &Span) -> i64 {
        crate::time::micros_from_duration(&span.duration.unwrap_or_default())
    }

    const CLIENT_SPAN: &str = r#"[{
        "traceId": "00000000000000020000000000000001",
        "id": "000000000000000a",
        "parentId": "0000000000000009",
        "name": "get",
        "debug": true,
        "annotations": [
            {"timestamp": 1000, "value": "cs", "endpoint": {"serviceName": "frontend", "ipv4": "127.0.0.1", "port": 8080}},
            {"timestamp": 1100, "value": "retry", "endpoint": {"serviceName": "frontend"}},
            {"timestamp": 1500, "value": "cr", "endpoint": {"serviceName": "frontend"}}
        ],
        "binaryAnnotations": [
            {"key": "lc", "value": "http", "endpoint": {"serviceName": "frontend"}},
            {"key": "http.status_code", "value": 200},
            {"key": "ratio", "value": 0.5},
            {"key": "cached", "value": false},
            {"key": "path", "value": "/x"},
            {"key": "error", "value": ""},
            {"key": "count", "value": "12", "type": "I64"},
            {"key": "blob", "value": "AQI=", "type": "BYTES"},
            {"key": "sa", "value": true, "endpoint": {"serviceName": "backend", "ipv4": "10.0.0.2", "ipv6": "::2", "port": 9411}},
            {"key": "ca", "value": true}
        ]
    }]"#;

    #[test]
    fn decodes_a_client_span_field_by_field() {
        let batch = decode_v1_json(CLIENT_SPAN.as_bytes()).unwrap();
        assert!(batch.process.is_none());
        assert_eq!(batch.spans.len(), 1);
        let span = &batch.spans[0];
        let trace = TraceId::new(2, 1);
        assert_eq!(span.trace_id, trace.to_bytes().to_vec());
        assert_eq!(span.span_id, SpanId(10).to_bytes().to_vec());
        assert_eq!(span.references.len(), 1);
        assert_eq!(span.references[0].span_id, SpanId(9).to_bytes().to_vec());
        assert_eq!(span.references[0].trace_id, trace.to_bytes().to_vec());
        assert_eq!(span.references[0].ref_type, SpanRefType::ChildOf as i32);
        assert_eq!(span.operation_name, "get");
        assert_eq!(span.flags, 3);
        assert_eq!(micros_of(span.start_time), 1000);
        assert_eq!(duration_micros(span), 500);
        assert_eq!(
            span.tags,
            vec![
                string_tag("component", "http"),
                KeyValue::int64("http.status_code", 200),
                KeyValue::float64("ratio", 0.5),
                KeyValue::bool("cached", false),
                string_tag("path", "/x"),
                KeyValue::bool("error", true),
                KeyValue::int64("count", 12),
                KeyValue::binary("blob", vec![1, 2]),
                string_tag("peer.service", "backend"),
                string_tag("peer.ipv4", "10.0.0.2"),
                string_tag("peer.ipv6", "::2"),
                KeyValue::int64("peer.port", 9411),
                string_tag("span.kind", "client"),
            ]
        );
        assert_eq!(span.logs.len(), 1);
        assert_eq!(micros_of(span.logs[0].timestamp), 1100);
        assert_eq!(span.logs[0].fields, vec![string_tag("event", "retry")]);
        let process = span.process.as_ref().unwrap();
        assert_eq!(process.service_name, "frontend");
        assert_eq!(process.tags, vec![string_tag("ip", "127.0.0.1")]);
    }

    #[test]
    fn error_binary_annotation_with_a_message() {
        let batch = decode_v1_json(
            br#"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"error","value":"refused"}]}]"#,
        )
        .unwrap();
        assert_eq!(
            batch.spans[0].tags,
            vec![
                KeyValue::bool("error", true),
                string_tag("error.message", "refused")
            ]
        );
    }

    #[test]
    fn empty_array_is_an_empty_batch() {
        assert!(decode_v1_json(b"[]").unwrap().spans.is_empty());
        assert!(decode_v1_json(b" [ ] ").unwrap().process.is_none());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let cases: &[&[u8]] = &[
            b"",
            b"[",
            b"[{\"traceId\":\"1\",\"id\":\"2\",\"annotations\":[{\"timestamp\":1,",
            b"{}",
            b"\"[]\"",
            br#"[{"traceId":1,"id":"2"}]"#,
            br#"[{"traceId":"1","id":"2","timestamp":-5}]"#,
            br#"[{"traceId":"1","id":"2","duration":184467440737095516150}]"#,
            br#"[{"traceId":"1","id":"2","annotations":[{"value":"cs"}]}]"#,
            br#"[{"traceId":"1","id":"2","annotations":[{"timestamp":1,"value":"cs","endpoint":{"ipv4":"a.b.c.d"}}]}]"#,
            br#"[{"traceId":"1","id":"2","binaryAnnotations":[{"value":"x"}]}]"#,
            br#"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":"maybe","type":"BOOL"}]}]"#,
            br#"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":"1.5","type":"I64"}]}]"#,
            br#"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":"!!","type":"BYTES"}]}]"#,
            br#"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":1,"type":"I128"}]}]"#,
            br#"[{"traceId":"1","id":"2","binaryAnnotations":[{"key":"k","value":{"a":1}}]}]"#,
            b"[{\"traceId\":\"1\",\"id\":\"\xff\"}]",
        ];
        for case in cases {
            assert!(
                decode_v1_json(case).is_err(),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
        assert!(matches!(
            decode_v1_json(b"[{\"traceId\":\"\xe2\x82\"}]"),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
        for case in [
            r#"[{"traceId":"g000000000000001","id":"2"}]"#,
            r#"[{"traceId":"000000000000000000000000000000001","id":"2"}]"#,
            r#"[{"traceId":"1","id":"0x2"}]"#,
            r#"[{"traceId":"1","id":"2","parentId":"00000000000000000000"}]"#,
        ] {
            assert!(
                matches!(
                    decode_v1_json(case.as_bytes()),
                    Err(DecodeError::InvalidId { .. })
                ),
                "{case}"
            );
        }
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let batch = decode_v1_json(
            br#"[{"traceId":"ffffffffffffffffffffffffffffffff","id":"ffffffffffffffff",
                  "annotations":[{"timestamp":9223372036854775807,"value":"cs"},
                                 {"timestamp":0,"value":"cr"}],
                  "binaryAnnotations":[{"key":"big","value":18446744073709551615},
                                       {"key":"f","value":1e308}]}]"#,
        )
        .unwrap();
        let span = &batch.spans[0];
        assert_eq!(span.trace_id, vec![0xff; 16]);
        assert_eq!(micros_of(span.start_time), i64::MAX);
        assert_eq!(duration_micros(span), 0);
        assert_eq!(span.tags[0], KeyValue::float64("big", u64::MAX as f64));
        assert_eq!(span.tags[1], KeyValue::float64("f", 1e308));
    }
}
