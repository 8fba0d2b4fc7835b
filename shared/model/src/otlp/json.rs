//! OTLP/JSON (the OTLP/HTTP `application/json` body) into the generated OTLP protobuf types.
//!
//! The `with-serde` impls of `opentelemetry-proto` 0.33 are not used. They read the Node and
//! Python SDKs' shape, but reject what other senders produce: `{"arrayValue":{}}` (how
//! protobuf-JSON writers such as the Collector emit an empty array), `null` fields, `"NaN"`
//! doubles, enum names, 32-bit integers as strings; they silently drop snake_case keys (ids
//! included) and report bad ids as generic JSON errors. These intermediate types accept what
//! the OpenTelemetry Collector's own OTLP/JSON reader (pdata) accepts:
//! - lowerCamelCase keys, and the snake_case proto names as aliases; unknown keys ignored;
//! - trace and span ids as hex strings (either case), empty for "unset";
//! - 64-bit integers as numbers or decimal strings; doubles as numbers or strings
//!   (`"NaN"`, `"Infinity"`); enums as integers or their proto names;
//! - `null` anywhere meaning "absent".
//!
//! One serde_json leniency remains: a message written as a positional array (`[[...]]` for
//! `{"resourceSpans":[...]}`) is read field by field, where pdata would reject it.
//!
//! Attribute values and scalars live in `json_values`. Ids are decoded here only as far as hex;
//! their lengths are checked by the mapping, which treats both encodings alike.

use serde::Deserialize;

use super::json_values::{Enum, Int, JsonKeyValue, excerpt, key_values, nullable};
use crate::DecodeError;
use crate::otlp_proto::collector::trace::v1::ExportTraceServiceRequest;
use crate::otlp_proto::common::v1::InstrumentationScope;
use crate::otlp_proto::resource::v1::Resource;
use crate::otlp_proto::trace::v1::span::{Event, Link, SpanKind};
use crate::otlp_proto::trace::v1::status::StatusCode;
use crate::otlp_proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

/// Parses an OTLP/JSON `ExportTraceServiceRequest`.
pub(super) fn decode(payload: &[u8]) -> Result<ExportTraceServiceRequest, DecodeError> {
    let request: JsonRequest = serde_json::from_slice(payload)?;
    request.into_proto()
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonRequest {
    #[serde(alias = "resource_spans", deserialize_with = "nullable")]
    resource_spans: Vec<JsonResourceSpans>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonResourceSpans {
    resource: Option<JsonResource>,
    #[serde(alias = "scope_spans", deserialize_with = "nullable")]
    scope_spans: Vec<JsonScopeSpans>,
    #[serde(alias = "schema_url", deserialize_with = "nullable")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonResource {
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(alias = "dropped_attributes_count", deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonScopeSpans {
    scope: Option<JsonScope>,
    #[serde(deserialize_with = "nullable")]
    spans: Vec<JsonSpan>,
    #[serde(alias = "schema_url", deserialize_with = "nullable")]
    schema_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonScope {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    version: String,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(alias = "dropped_attributes_count", deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonSpan {
    #[serde(alias = "trace_id", deserialize_with = "nullable")]
    trace_id: String,
    #[serde(alias = "span_id", deserialize_with = "nullable")]
    span_id: String,
    #[serde(alias = "trace_state", deserialize_with = "nullable")]
    trace_state: String,
    #[serde(alias = "parent_span_id", deserialize_with = "nullable")]
    parent_span_id: String,
    #[serde(deserialize_with = "nullable")]
    flags: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    kind: Enum<SpanKind>,
    #[serde(alias = "start_time_unix_nano", deserialize_with = "nullable")]
    start_time_unix_nano: Int<u64>,
    #[serde(alias = "end_time_unix_nano", deserialize_with = "nullable")]
    end_time_unix_nano: Int<u64>,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(alias = "dropped_attributes_count", deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    events: Vec<JsonEvent>,
    #[serde(alias = "dropped_events_count", deserialize_with = "nullable")]
    dropped_events_count: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    links: Vec<JsonLink>,
    #[serde(alias = "dropped_links_count", deserialize_with = "nullable")]
    dropped_links_count: Int<u32>,
    status: Option<JsonStatus>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonEvent {
    #[serde(alias = "time_unix_nano", deserialize_with = "nullable")]
    time_unix_nano: Int<u64>,
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(alias = "dropped_attributes_count", deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct JsonLink {
    #[serde(alias = "trace_id", deserialize_with = "nullable")]
    trace_id: String,
    #[serde(alias = "span_id", deserialize_with = "nullable")]
    span_id: String,
    #[serde(alias = "trace_state", deserialize_with = "nullable")]
    trace_state: String,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<JsonKeyValue>,
    #[serde(alias = "dropped_attributes_count", deserialize_with = "nullable")]
    dropped_attributes_count: Int<u32>,
    #[serde(deserialize_with = "nullable")]
    flags: Int<u32>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JsonStatus {
    #[serde(deserialize_with = "nullable")]
    message: String,
    #[serde(deserialize_with = "nullable")]
    code: Enum<StatusCode>,
}

impl JsonRequest {
    fn into_proto(self) -> Result<ExportTraceServiceRequest, DecodeError> {
        let resource_spans: Result<Vec<_>, _> = self
            .resource_spans
            .into_iter()
            .map(JsonResourceSpans::into_proto)
            .collect();
        Ok(ExportTraceServiceRequest {
            resource_spans: resource_spans?,
        })
    }
}

impl JsonResourceSpans {
    fn into_proto(self) -> Result<ResourceSpans, DecodeError> {
        let scope_spans: Result<Vec<_>, _> = self
            .scope_spans
            .into_iter()
            .map(JsonScopeSpans::into_proto)
            .collect();
        Ok(ResourceSpans {
            resource: self.resource.map(|resource| Resource {
                attributes: key_values(resource.attributes),
                dropped_attributes_count: resource.dropped_attributes_count.0,
                ..Default::default()
            }),
            scope_spans: scope_spans?,
            schema_url: self.schema_url,
        })
    }
}

impl JsonScopeSpans {
    fn into_proto(self) -> Result<ScopeSpans, DecodeError> {
        let spans: Result<Vec<_>, _> = self.spans.into_iter().map(JsonSpan::into_proto).collect();
        Ok(ScopeSpans {
            scope: self.scope.map(|scope| InstrumentationScope {
                name: scope.name,
                version: scope.version,
                attributes: key_values(scope.attributes),
                dropped_attributes_count: scope.dropped_attributes_count.0,
            }),
            spans: spans?,
            schema_url: self.schema_url,
        })
    }
}

impl JsonSpan {
    fn into_proto(self) -> Result<Span, DecodeError> {
        let links: Result<Vec<_>, _> = self.links.into_iter().map(JsonLink::into_proto).collect();
        Ok(Span {
            trace_id: hex_id("trace", "traceId", &self.trace_id)?,
            span_id: hex_id("span", "spanId", &self.span_id)?,
            trace_state: self.trace_state,
            parent_span_id: hex_id("span", "parentSpanId", &self.parent_span_id)?,
            flags: self.flags.0,
            name: self.name,
            kind: self.kind.0,
            start_time_unix_nano: self.start_time_unix_nano.0,
            end_time_unix_nano: self.end_time_unix_nano.0,
            attributes: key_values(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count.0,
            events: self.events.into_iter().map(JsonEvent::into_proto).collect(),
            dropped_events_count: self.dropped_events_count.0,
            links: links?,
            dropped_links_count: self.dropped_links_count.0,
            status: self.status.map(|status| Status {
                message: status.message,
                code: status.code.0,
            }),
        })
    }
}

impl JsonEvent {
    fn into_proto(self) -> Event {
        Event {
            time_unix_nano: self.time_unix_nano.0,
            name: self.name,
            attributes: key_values(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count.0,
        }
    }
}

impl JsonLink {
    fn into_proto(self) -> Result<Link, DecodeError> {
        Ok(Link {
            trace_id: hex_id("trace", "links.traceId", &self.trace_id)?,
            span_id: hex_id("span", "links.spanId", &self.span_id)?,
            trace_state: self.trace_state,
            attributes: key_values(self.attributes),
            dropped_attributes_count: self.dropped_attributes_count.0,
            flags: self.flags.0,
        })
    }
}

/// Hex text to id bytes; the empty string is an unset id (no bytes).
fn hex_id(kind: &'static str, field: &str, text: &str) -> Result<Vec<u8>, DecodeError> {
    let invalid = || DecodeError::InvalidId {
        kind,
        reason: format!("{field} {:?} is not hex bytes", excerpt(text)),
    };
    if !text.len().is_multiple_of(2) {
        return Err(invalid());
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => Some((hex_digit(*high)? << 4) | hex_digit(*low)?),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::DecodeError;
    use crate::api_v2::{KeyValue, SpanRef, SpanRefType};
    use crate::otlp::decode_json;
    use crate::time::{duration_from_nanos, timestamp_from_nanos};
    use crate::{SpanId, TraceId};

    /// Written the way the OpenTelemetry JS SDK's OTLP/HTTP JSON exporter writes it: hex ids,
    /// times as decimal strings, `kind` and status `code` as integers, ints as numbers or
    /// strings, zero counts present, absent fields (parentSpanId, scope version) left out.
    const SDK_STYLE: &str = r#"{
      "resourceSpans": [{
        "resource": {
          "attributes": [
            {"key": "service.name", "value": {"stringValue": "web-frontend"}},
            {"key": "telemetry.sdk.language", "value": {"stringValue": "nodejs"}},
            {"key": "process.pid", "value": {"intValue": 4242}}
          ],
          "droppedAttributesCount": 0
        },
        "scopeSpans": [{
          "scope": {"name": "@opentelemetry/instrumentation-http", "version": "0.52.1"},
          "spans": [{
            "traceId": "5B8EFFF798038103D269B633813FC60C",
            "spanId": "eee19b7ec3c1b174",
            "parentSpanId": "eee19b7ec3c1b173",
            "traceState": "rojo=00f067aa0ba902b7",
            "name": "GET /api",
            "kind": 3,
            "startTimeUnixNano": "1544712660000000000",
            "endTimeUnixNano": "1544712661000000123",
            "attributes": [
              {"key": "http.status_code", "value": {"intValue": "503"}},
              {"key": "http.url", "value": {"stringValue": "http://x/api?a=1&b=<2>"}},
              {"key": "retry", "value": {"boolValue": true}},
              {"key": "ratio", "value": {"doubleValue": 0.5}},
              {"key": "ids", "value": {"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "two"}, {"doubleValue": 3}]}}},
              {"key": "raw", "value": {"bytesValue": "AQL+/w=="}}
            ],
            "droppedAttributesCount": 0,
            "events": [{
              "timeUnixNano": "1544712660500000000",
              "name": "retrying",
              "attributes": [{"key": "attempt", "value": {"intValue": 2}}],
              "droppedAttributesCount": 0
            }],
            "droppedEventsCount": 0,
            "status": {"code": 2, "message": "upstream 503"},
            "links": [
              {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
               "attributes": [], "droppedAttributesCount": 0},
              {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b173",
               "attributes": [{"key": "opentracing.ref_type", "value": {"stringValue": "child_of"}}]}
            ],
            "droppedLinksCount": 0
          }, {
            "traceId": "5b8efff798038103d269b633813fc60c",
            "spanId": "eee19b7ec3c1b173",
            "name": "root",
            "kind": 1,
            "startTimeUnixNano": 1544712660000000000,
            "endTimeUnixNano": 1544712662000000000,
            "status": {"code": 0}
          }]
        }, {
          "scope": {"name": "manual"},
          "spans": []
        }]
      }]
    }"#;

    fn trace() -> TraceId {
        TraceId::from_hex("5b8efff798038103d269b633813fc60c").unwrap()
    }

    #[test]
    fn sdk_style_json_maps_field_by_field() {
        let batches = decode_json(SDK_STYLE.as_bytes()).unwrap();
        assert_eq!(batches.len(), 1);
        let process = batches[0].process.as_ref().unwrap();
        assert_eq!(process.service_name, "web-frontend");
        assert_eq!(
            process.tags,
            vec![
                KeyValue::string("telemetry.sdk.language", "nodejs"),
                KeyValue::int64("process.pid", 4242),
            ]
        );
        assert_eq!(batches[0].spans.len(), 2);

        let span = &batches[0].spans[0];
        assert_eq!(span.trace_id, trace().to_bytes().to_vec());
        assert_eq!(
            span.span_id,
            SpanId(0xeee1_9b7e_c3c1_b174).to_bytes().to_vec()
        );
        assert_eq!(span.operation_name, "GET /api");
        assert_eq!(
            span.start_time,
            Some(timestamp_from_nanos(1_544_712_660_000_000_000))
        );
        assert_eq!(span.duration, Some(duration_from_nanos(1_000_000_123)));
        assert_eq!(span.flags, 0);
        assert!(span.process.is_none());
        // The second link names the parent with `child_of`: it keeps the parent CHILD_OF.
        let other = TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap();
        assert_eq!(
            span.references,
            vec![
                SpanRef::new(trace(), SpanId(0xeee1_9b7e_c3c1_b173), SpanRefType::ChildOf),
                SpanRef::new(
                    other,
                    SpanId(0xb7ad_6b71_6920_3331),
                    SpanRefType::FollowsFrom
                ),
            ]
        );
        assert_eq!(
            span.tags,
            vec![
                KeyValue::string("otel.scope.name", "@opentelemetry/instrumentation-http"),
                KeyValue::string("otel.scope.version", "0.52.1"),
                KeyValue::int64("http.status_code", 503),
                KeyValue::string("http.url", "http://x/api?a=1&b=<2>"),
                KeyValue::bool("retry", true),
                KeyValue::float64("ratio", 0.5),
                KeyValue::string("ids", r#"[1,"two",3]"#),
                KeyValue::binary("raw", vec![1, 2, 0xfe, 0xff]),
                KeyValue::string("span.kind", "client"),
                KeyValue::string("otel.status_code", "ERROR"),
                KeyValue::bool("error", true),
                KeyValue::string("otel.status_description", "upstream 503"),
                KeyValue::string("w3c.tracestate", "rojo=00f067aa0ba902b7"),
            ]
        );
        assert_eq!(span.logs.len(), 1);
        assert_eq!(
            span.logs[0].timestamp,
            Some(timestamp_from_nanos(1_544_712_660_500_000_000))
        );
        assert_eq!(
            span.logs[0].fields,
            vec![
                KeyValue::string("event", "retrying"),
                KeyValue::int64("attempt", 2)
            ]
        );

        let root = &batches[0].spans[1];
        assert!(root.references.is_empty());
        assert_eq!(root.duration, Some(duration_from_nanos(2_000_000_000)));
        assert_eq!(
            root.tags,
            vec![
                KeyValue::string("otel.scope.name", "@opentelemetry/instrumentation-http"),
                KeyValue::string("otel.scope.version", "0.52.1"),
                KeyValue::string("span.kind", "internal"),
            ]
        );
    }

    #[test]
    fn protobuf_json_variants_are_accepted() {
        let payload = r#"{"resource_spans": [{"resource": null, "scope_spans": [{"scope": null, "spans": [{
            "trace_id": "5b8efff798038103d269b633813fc60c", "span_id": "eee19b7ec3c1b174",
            "parent_span_id": "", "trace_state": null, "name": "x", "kind": "SPAN_KIND_PRODUCER",
            "start_time_unix_nano": "10", "end_time_unix_nano": "5", "flags": "257",
            "dropped_attributes_count": "3", "unknownField": {"nested": [1, 2]},
            "attributes": [
              {"key": "empty_array", "value": {"arrayValue": {}}},
              {"key": "empty_map", "value": {"kvlistValue": {}}},
              {"key": "nan", "value": {"doubleValue": "NaN"}},
              {"key": "inf", "value": {"double_value": "-Infinity"}},
              {"key": "nothing", "value": {}},
              {"key": "null", "value": null},
              {"key": "no_value"},
              {"key": "later_wins", "value": {"stringValue": "a", "intValue": 7}},
              {"key": "unpadded", "value": {"bytesValue": "AQI"}},
              {"key": "nested", "value": {"kvlistValue": {"values": [
                {"key": "b", "value": {"arrayValue": {"values": [null, {"boolValue": false}]}}},
                {"key": "a", "value": {"int_value": -1}}]}}}
            ],
            "status": {"code": "STATUS_CODE_OK", "message": null}
        }]}]}]}"#;
        let batches = decode_json(payload.as_bytes()).unwrap();
        let process = batches[0].process.as_ref().unwrap();
        assert_eq!(process.service_name, "OTLPResourceNoServiceName");
        let span = &batches[0].spans[0];
        assert!(span.references.is_empty());
        assert_eq!(
            span.duration,
            Some(duration_from_nanos(-5)),
            "end before start stays negative"
        );
        let tags: Vec<(&str, &KeyValue)> = span.tags.iter().map(|t| (t.key.as_str(), t)).collect();
        let get = |key: &str| {
            tags.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, t)| (*t).clone())
                .unwrap()
        };
        assert_eq!(get("empty_array"), KeyValue::string("empty_array", "[]"));
        assert_eq!(get("empty_map"), KeyValue::string("empty_map", "{}"));
        assert!(get("nan").v_float64.is_nan());
        assert_eq!(get("inf"), KeyValue::float64("inf", f64::NEG_INFINITY));
        assert_eq!(get("nothing"), KeyValue::string("nothing", ""));
        assert_eq!(get("null"), KeyValue::string("null", ""));
        assert_eq!(get("no_value"), KeyValue::string("no_value", ""));
        assert_eq!(get("later_wins"), KeyValue::int64("later_wins", 7));
        assert_eq!(get("unpadded"), KeyValue::binary("unpadded", vec![1, 2]));
        assert_eq!(
            get("nested"),
            KeyValue::string("nested", r#"{"a":-1,"b":[null,false]}"#)
        );
        assert_eq!(get("span.kind").v_str, "producer");
        assert_eq!(get("otel.status_code").v_str, "OK");
    }

    #[test]
    fn empty_requests_give_no_batches() {
        for payload in [
            r#"{}"#,
            r#"{"resourceSpans": []}"#,
            r#"{"resourceSpans": null}"#,
            r#"{"resourceSpans": [{}]}"#,
        ] {
            assert!(
                decode_json(payload.as_bytes()).unwrap().is_empty(),
                "{payload}"
            );
        }
    }

    fn with_span(span: &str) -> String {
        format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#)
    }

    const IDS: &str = r#""traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174""#;

    #[test]
    fn wrong_json_is_an_error() {
        let bad = [
            String::new(),
            "not json".into(),
            r#"{"resourceSpans": {}}"#.into(),
            r#"{"resourceSpans": [{"scopeSpans": "x"}]}"#.into(),
            format!("{} trailing", with_span(&format!("{{{IDS}}}"))),
            with_span(&format!(r#"{{{IDS},"kind":true}}"#)),
            with_span(&format!(r#"{{{IDS},"kind":"SPAN_KIND_SIDEWAYS"}}"#)),
            with_span(&format!(r#"{{{IDS},"kind":4294967296}}"#)),
            with_span(&format!(r#"{{{IDS},"name":5}}"#)),
            with_span(&format!(r#"{{{IDS},"attributes":{{}}}}"#)),
            with_span(&format!(
                r#"{{{IDS},"attributes":[{{"key":"a","value":{{"intValue":"abc"}}}}]}}"#
            )),
            with_span(&format!(
                r#"{{{IDS},"attributes":[{{"key":"a","value":{{"intValue":1.5}}}}]}}"#
            )),
            with_span(&format!(
                r#"{{{IDS},"attributes":[{{"key":"a","value":{{"bytesValue":"!!"}}}}]}}"#
            )),
            with_span(&format!(
                r#"{{{IDS},"attributes":[{{"key":"a","value":"plain"}}]}}"#
            )),
            with_span(&format!(r#"{{{IDS},"startTimeUnixNano":"-1"}}"#)),
            with_span(&format!(r#"{{{IDS},"startTimeUnixNano":1e18}}"#)),
            with_span(&format!(
                r#"{{{IDS},"endTimeUnixNano":"18446744073709551616"}}"#
            )),
            with_span(&format!(r#"{{{IDS},"flags":-1}}"#)),
            with_span(&format!(r#"{{{IDS},"status":{{"code":[]}}}}"#)),
            with_span(&format!(
                r#"{{{IDS},"traceId":"5b8efff798038103d269b633813fc60c"}}"#
            )),
        ];
        for payload in bad {
            let result = decode_json(payload.as_bytes());
            assert!(
                matches!(result, Err(DecodeError::Json(_))),
                "{payload}: {result:?}"
            );
        }
        // Nesting beyond serde_json's recursion limit fails cleanly.
        let deep = format!(
            r#"{{"key":"a","value":{}{}}}"#,
            r#"{"arrayValue":{"values":["#.repeat(500),
            "]}}".repeat(500)
        );
        let payload = with_span(&format!(r#"{{{IDS},"attributes":[{deep}]}}"#));
        assert!(matches!(
            decode_json(payload.as_bytes()),
            Err(DecodeError::Json(_))
        ));
    }

    #[test]
    fn bad_ids_are_invalid_id_errors() {
        let trace = "5b8efff798038103d269b633813fc60c";
        let span = "eee19b7ec3c1b174";
        let cases = [
            format!(r#""traceId":"zz{}","spanId":"{span}""#, &trace[2..]),
            format!(r#""traceId":"{}","spanId":"{span}""#, &trace[1..]),
            format!(r#""traceId":"{}","spanId":"{span}""#, &trace[..16]),
            format!(r#""traceId":"{trace}00","spanId":"{span}""#),
            format!(r#""traceId":"{}","spanId":"{span}""#, "0".repeat(32)),
            format!(r#""spanId":"{span}""#),
            format!(r#""traceId":"{trace}","spanId":"{}""#, "0".repeat(16)),
            format!(r#""traceId":"{trace}""#),
            format!(r#""traceId":"{trace}","spanId":"eee19b7ec3c1b1""#),
            format!(r#""traceId":"{trace}","spanId":"{span}","parentSpanId":"g000000000000000""#),
            format!(r#""traceId":"{trace}","spanId":"{span}","parentSpanId":"00000001""#),
            format!(
                r#""traceId":"{trace}","spanId":"{span}","links":[{{"traceId":"{span}","spanId":"{span}"}}]"#
            ),
            format!(
                r#""traceId":"{trace}","spanId":"{span}","links":[{{"traceId":"{trace}","spanId":"é1"}}]"#
            ),
        ];
        for ids in cases {
            let result = decode_json(with_span(&format!("{{{ids}}}")).as_bytes());
            assert!(
                matches!(result, Err(DecodeError::InvalidId { .. })),
                "{ids}: {result:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn mutated_json_never_panics(edits in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 1..8)) {
            let mut payload = SDK_STYLE.as_bytes().to_vec();
            for (index, byte) in edits {
                let length = payload.len();
                payload[index % length] = byte;
            }
            let _ = decode_json(&payload);
        }
    }
}
