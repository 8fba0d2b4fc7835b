//! Zipkin v2 JSON (`POST /api/v2/spans`, `application/json`): a top-level array of spans with
//! hex ids, microsecond times, `localEndpoint`/`remoteEndpoint` and string tags. This file owns
//! the JSON shape and its translation into the shared [`ZipkinSpan`].

use serde::Deserialize;

use super::json_common::{
    JsonEndpoint, OrderedTags, Scalar, micros, parent_id, parse_payload, preview, span_id, trace_id,
};
use super::to_model::{Annotation, Kind, TagValue, ZipkinSpan, batch, to_model};
use crate::DecodeError;
use crate::api_v2::Batch;

const FORMAT: &str = "Zipkin v2 JSON";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonSpan {
    trace_id: Option<String>,
    id: Option<String>,
    parent_id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    timestamp: Option<i64>,
    duration: Option<i64>,
    debug: Option<bool>,
    local_endpoint: Option<JsonEndpoint>,
    remote_endpoint: Option<JsonEndpoint>,
    annotations: Option<Vec<JsonAnnotation>>,
    tags: Option<OrderedTags>,
}

#[derive(Debug, Deserialize)]
struct JsonAnnotation {
    timestamp: Option<i64>,
    value: Option<String>,
}

/// Decodes a Zipkin v2 JSON array of spans into a batch (one model span per Zipkin span).
pub fn decode_v2_json(payload: &[u8]) -> Result<Batch, DecodeError> {
    let spans: Vec<JsonSpan> = parse_payload(payload)?;
    let spans = spans
        .into_iter()
        .map(|span| convert(span).map(to_model))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(batch(spans))
}

fn convert(span: JsonSpan) -> Result<ZipkinSpan, DecodeError> {
    let trace_id = trace_id(span.trace_id.as_deref())?;
    let id = span_id(span.id.as_deref())?;
    let parent_id = parent_id(span.parent_id.as_deref())?;
    let kind = match span.kind.as_deref() {
        None | Some("") => None,
        Some("CLIENT") => Some(Kind::Client),
        Some("SERVER") => Some(Kind::Server),
        Some("PRODUCER") => Some(Kind::Producer),
        Some("CONSUMER") => Some(Kind::Consumer),
        Some(other) => {
            return Err(DecodeError::malformed(
                FORMAT,
                format!("unknown span kind {:?}", preview(other)),
            ));
        }
    };
    let annotations =
        span.annotations
            .unwrap_or_default()
            .into_iter()
            .map(|annotation| {
                let timestamp = micros(FORMAT, "annotation timestamp", annotation.timestamp)?
                    .ok_or(DecodeError::MissingField {
                        field: "annotations.timestamp",
                    })?;
                Ok(Annotation {
                    timestamp,
                    value: annotation.value.unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>, DecodeError>>()?;
    let tags = span
        .tags
        .unwrap_or_default()
        .0
        .into_iter()
        .filter(|(_, value)| *value != Scalar::Null)
        .map(|(key, value)| (key, TagValue::String(value.into_text())))
        .collect();
    Ok(ZipkinSpan {
        trace_id,
        id,
        parent_id,
        name: span.name.unwrap_or_default(),
        kind,
        timestamp: micros(FORMAT, "timestamp", span.timestamp)?,
        duration: micros(FORMAT, "duration", span.duration)?,
        debug: span.debug.unwrap_or(false),
        local_endpoint: span.local_endpoint.map(|e| e.parse(FORMAT)).transpose()?,
        remote_endpoint: span.remote_endpoint.map(|e| e.parse(FORMAT)).transpose()?,
        annotations,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_v2::{KeyValue, SpanRefType, ValueType};
    use crate::{SpanId, TraceId};

    const SPAN: &str = r#"[{
        "traceId": "463ac35c9f6413ad48485a3953bb6124",
        "id": "a2fb4a1d1a96d312",
        "parentId": "0020000000000001",
        "name": "get /api",
        "kind": "SERVER",
        "timestamp": 1700000000123456,
        "duration": 2500,
        "debug": true,
        "shared": true,
        "localEndpoint": {"serviceName": "frontend", "ipv4": "192.168.99.1", "ipv6": "2001:db8::c001", "port": 9000},
        "remoteEndpoint": {"serviceName": "mobile", "ipv4": "10.0.0.7", "ipv6": "::1", "port": 55123},
        "annotations": [{"timestamp": 1700000000124000, "value": "wire.recv"}],
        "tags": {"http.path": "/api", "error": "timeout", "http.status_code": 500, "retried": true}
    }]"#;

    fn string_tag(key: &str, value: &str) -> KeyValue {
        KeyValue::string(key, value)
    }

    #[test]
    fn decodes_a_full_span_field_by_field() {
        let batch = decode_v2_json(SPAN.as_bytes()).unwrap();
        assert!(batch.process.is_none());
        assert_eq!(batch.spans.len(), 1);
        let span = &batch.spans[0];
        let trace = TraceId::new(0x463ac35c9f6413ad, 0x48485a3953bb6124);
        assert_eq!(span.trace_id, trace.to_bytes().to_vec());
        assert_eq!(span.span_id, SpanId(0xa2fb4a1d1a96d312).to_bytes().to_vec());
        assert_eq!(span.references.len(), 1);
        assert_eq!(span.references[0].ref_type, SpanRefType::ChildOf as i32);
        assert_eq!(span.references[0].trace_id, trace.to_bytes().to_vec());
        assert_eq!(
            span.references[0].span_id,
            SpanId(0x0020000000000001).to_bytes().to_vec()
        );
        assert_eq!(span.operation_name, "get /api");
        assert_eq!(span.flags, 3);
        let start = span.start_time.unwrap();
        assert_eq!((start.seconds, start.nanos), (1_700_000_000, 123_456_000));
        let duration = span.duration.unwrap();
        assert_eq!((duration.seconds, duration.nanos), (0, 2_500_000));
        assert_eq!(
            span.tags,
            vec![
                string_tag("http.path", "/api"),
                KeyValue::bool("error", true),
                string_tag("error.message", "timeout"),
                string_tag("http.status_code", "500"),
                string_tag("retried", "true"),
                string_tag("peer.service", "mobile"),
                string_tag("peer.ipv4", "10.0.0.7"),
                string_tag("peer.ipv6", "::1"),
                KeyValue::int64("peer.port", 55123),
                string_tag("span.kind", "server"),
            ]
        );
        assert_eq!(span.tags[8].v_type, ValueType::Int64 as i32);
        assert_eq!(span.logs.len(), 1);
        let log_time = span.logs[0].timestamp.unwrap();
        assert_eq!(
            (log_time.seconds, log_time.nanos),
            (1_700_000_000, 124_000_000)
        );
        assert_eq!(span.logs[0].fields, vec![string_tag("event", "wire.recv")]);
        let process = span.process.as_ref().unwrap();
        assert_eq!(process.service_name, "frontend");
        assert_eq!(
            process.tags,
            vec![
                string_tag("ip", "192.168.99.1"),
                string_tag("ipv6", "2001:db8::c001")
            ]
        );
    }

    #[test]
    fn minimal_span_defaults() {
        let batch =
            decode_v2_json(br#"[{"traceId":"0000000000000001","id":"0000000000000002","parentId":"0000000000000000","kind":"CLIENT"}]"#)
                .unwrap();
        let span = &batch.spans[0];
        assert_eq!(span.trace_id, TraceId::new(0, 1).to_bytes().to_vec());
        assert!(span.references.is_empty());
        assert_eq!(span.flags, 1);
        assert_eq!(span.duration.unwrap().seconds, 0);
        assert_eq!(span.tags, vec![string_tag("span.kind", "client")]);
        let process = span.process.as_ref().unwrap();
        assert_eq!(process.service_name, "unknown-service-name");
        assert!(process.tags.is_empty());
    }

    #[test]
    fn producer_and_consumer_kinds_and_order_is_kept() {
        let batch = decode_v2_json(
            br#"[{"traceId":"1","id":"2","kind":"PRODUCER","localEndpoint":{"serviceName":""}},
                {"traceId":"1","id":"3","kind":"CONSUMER","localEndpoint":{"serviceName":"q"}}]"#,
        )
        .unwrap();
        assert_eq!(batch.spans.len(), 2);
        assert_eq!(
            batch.spans[0].tags,
            vec![string_tag("span.kind", "producer")]
        );
        assert_eq!(
            batch.spans[1].tags,
            vec![string_tag("span.kind", "consumer")]
        );
        assert_eq!(
            batch.spans[0].process.as_ref().unwrap().service_name,
            "unknown-service-name"
        );
        assert_eq!(batch.spans[1].process.as_ref().unwrap().service_name, "q");
        assert_eq!(batch.spans[1].span_id, SpanId(3).to_bytes().to_vec());
    }

    #[test]
    fn empty_array_is_an_empty_batch() {
        let batch = decode_v2_json(b"[]").unwrap();
        assert!(batch.spans.is_empty());
        assert!(batch.process.is_none());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let cases: &[&[u8]] = &[
            b"",
            b"[{\"traceId\":\"1\",\"id\":",
            b"{\"traceId\":\"1\",\"id\":\"2\"}",
            b"[null]",
            br#"[{"traceId":1,"id":"2"}]"#,
            br#"[{"traceId":"1","id":"2","timestamp":"now"}]"#,
            br#"[{"traceId":"1","id":"2","timestamp":1.5}]"#,
            br#"[{"traceId":"1","id":"2","timestamp":1e400}]"#,
            br#"[{"traceId":"1","id":"2","timestamp":99999999999999999999999}]"#,
            br#"[{"traceId":"1","id":"2","duration":-1}]"#,
            br#"[{"traceId":"1","id":"2","kind":"SIDEWAYS"}]"#,
            br#"[{"traceId":"1","id":"2","tags":{"a":[1]}}]"#,
            br#"[{"traceId":"1","id":"2","annotations":[{"value":"x"}]}]"#,
            br#"[{"traceId":"1","id":"2","localEndpoint":{"ipv4":"300.1.1.1"}}]"#,
            br#"[{"traceId":"1","id":"2","remoteEndpoint":{"port":65536}}]"#,
            b"[{\"traceId\":\"1\",\"id\":\"2\",\"name\":\"\xff\xfe\"}]",
        ];
        for case in cases {
            assert!(
                decode_v2_json(case).is_err(),
                "{}",
                String::from_utf8_lossy(case)
            );
        }
        assert!(matches!(
            decode_v2_json(b"[\"\xc3\x28\"]"),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
        assert!(matches!(
            decode_v2_json(b"[{\"traceId\":"),
            Err(DecodeError::Json(_))
        ));
    }

    #[test]
    fn bad_ids_are_invalid_id_errors() {
        let long = format!(r#"[{{"traceId":"{}","id":"2"}}]"#, "a".repeat(100_000));
        for case in [
            r#"[{"traceId":"zz","id":"2"}]"#,
            r#"[{"traceId":"","id":"2"}]"#,
            r#"[{"traceId":"1","id":"00000000000000001"}]"#,
            r#"[{"traceId":"1","id":"-1"}]"#,
            r#"[{"traceId":"1","id":"2","parentId":"q"}]"#,
            long.as_str(),
        ] {
            assert!(
                matches!(
                    decode_v2_json(case.as_bytes()),
                    Err(DecodeError::InvalidId { .. })
                ),
                "{}",
                preview(case)
            );
        }
        assert_eq!(
            decode_v2_json(br#"[{"id":"2"}]"#),
            Err(DecodeError::MissingField { field: "traceId" })
        );
        assert_eq!(
            decode_v2_json(br#"[{"traceId":"1"}]"#),
            Err(DecodeError::MissingField { field: "id" })
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let deep = format!(
            "[{{\"traceId\":\"1\",\"id\":\"2\",\"x\":{}}}]",
            "[".repeat(100_000)
        );
        assert!(decode_v2_json(deep.as_bytes()).is_err());
    }
}
