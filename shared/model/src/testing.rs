//! Test support, compiled only for tests, benchmarks and fuzz targets (`testsuite` feature):
//! proptest strategies for valid model spans and a deterministic sample-batch generator.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::api_v2::{Batch, KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use crate::time::{duration_from_micros, timestamp_from_micros};
use crate::{SpanId, TraceId};

/// Timestamps whose RFC 3339 form exists (years 1970..2200) at microsecond precision, as every
/// non-protobuf representation (Thrift, UI JSON) carries microseconds.
fn micros_since_epoch() -> impl Strategy<Value = i64> {
    0i64..7_258_118_400_000_000
}

fn trace_id() -> impl Strategy<Value = TraceId> {
    prop_oneof![
        any::<u64>().prop_map(|low| TraceId::new(0, low)),
        (any::<u64>(), any::<u64>()).prop_map(|(high, low)| TraceId::new(high, low)),
    ]
}

/// A tag of any value type, with only the field of its type set (as every decoder builds them).
pub fn key_value() -> impl Strategy<Value = KeyValue> {
    let key = "\\PC{0,12}";
    prop_oneof![
        (key, "\\PC{0,24}").prop_map(|(k, v)| KeyValue::string(k, v)),
        (key, any::<bool>()).prop_map(|(k, v)| KeyValue::bool(k, v)),
        (key, any::<i64>()).prop_map(|(k, v)| KeyValue::int64(k, v)),
        (key, -1e300f64..1e300).prop_map(|(k, v)| KeyValue::float64(k, v)),
        (key, vec(any::<u8>(), 0..16)).prop_map(|(k, v)| KeyValue::binary(k, v)),
    ]
}

pub fn process() -> impl Strategy<Value = Process> {
    ("\\PC{0,16}", vec(key_value(), 0..4))
        .prop_map(|(service_name, tags)| Process { service_name, tags })
}

/// A valid model span (16-byte trace ids, 8-byte span ids, times present) with its process
/// embedded, as a Kafka message carries it.
pub fn span() -> impl Strategy<Value = Span> {
    let references = vec(
        (trace_id(), any::<u64>(), any::<bool>()).prop_map(|(trace, span, follows)| {
            let kind = if follows {
                SpanRefType::FollowsFrom
            } else {
                SpanRefType::ChildOf
            };
            SpanRef::new(trace, SpanId(span), kind)
        }),
        0..3,
    );
    let logs = vec(
        (micros_since_epoch(), vec(key_value(), 0..3)).prop_map(|(micros, fields)| Log {
            timestamp: Some(timestamp_from_micros(micros)),
            fields,
        }),
        0..3,
    );
    (
        (
            trace_id(),
            any::<u64>(),
            "\\PC{0,20}",
            references,
            any::<u32>(),
        ),
        (
            micros_since_epoch(),
            0i64..86_400_000_000,
            vec(key_value(), 0..6),
            logs,
        ),
        (process(), vec("\\PC{0,10}", 0..2)),
    )
        .prop_map(
            |(
                (trace, span_id, operation_name, references, flags),
                (start, duration, tags, logs),
                (process, warnings),
            )| Span {
                trace_id: trace.to_bytes().to_vec(),
                span_id: SpanId(span_id).to_bytes().to_vec(),
                operation_name,
                references,
                flags,
                start_time: Some(timestamp_from_micros(start)),
                duration: Some(duration_from_micros(duration)),
                tags,
                logs,
                process: Some(process),
                process_id: String::new(),
                warnings,
            },
        )
}

/// A deterministic batch shaped like real instrumentation: `spans` spans of one service, each
/// with 10 tags of mixed types, one log, and a parent reference; used by benchmarks.
pub fn sample_batch(spans: usize) -> Batch {
    let trace = TraceId::new(0x0123_4567_89ab_cdef, 0x0fed_cba9_8765_4321);
    let process = Process {
        service_name: "frontend".into(),
        tags: vec![
            KeyValue::string("hostname", "web-7f9c6d4b8-x2k4q"),
            KeyValue::string("ip", "10.32.4.17"),
            KeyValue::string("jaeger.version", "Go-2.30.0"),
        ],
    };
    let spans = (0..spans as u64)
        .map(|index| Span {
            trace_id: trace.to_bytes().to_vec(),
            span_id: SpanId(index + 2).to_bytes().to_vec(),
            operation_name: format!("HTTP GET /api/v1/resource/{}", index % 16),
            references: vec![SpanRef::new(trace, SpanId(1), SpanRefType::ChildOf)],
            flags: 1,
            start_time: Some(timestamp_from_micros(
                1_700_000_000_000_000 + index as i64 * 137,
            )),
            duration: Some(duration_from_micros(1_234 + index as i64)),
            tags: vec![
                KeyValue::string("span.kind", "server"),
                KeyValue::string("http.method", "GET"),
                KeyValue::string("http.url", "https://shop.example.com/api/v1/resource?id=42"),
                KeyValue::int64("http.status_code", 200),
                KeyValue::string("component", "net/http"),
                KeyValue::bool("error", false),
                KeyValue::string("peer.service", "inventory"),
                KeyValue::int64("peer.port", 8080),
                KeyValue::float64("sampler.param", 0.25),
                KeyValue::string("sampler.type", "probabilistic"),
            ],
            logs: vec![Log {
                timestamp: Some(timestamp_from_micros(1_700_000_000_000_500 + index as i64)),
                fields: vec![
                    KeyValue::string("event", "cache miss"),
                    KeyValue::int64("retry", 1),
                ],
            }],
            process: None,
            process_id: String::new(),
            warnings: Vec::new(),
        })
        .collect();
    Batch {
        spans,
        process: Some(process),
    }
}

/// The OTLP request an OpenTelemetry SDK would send for [`sample_batch`]'s spans: one resource,
/// one scope, the same attributes and events. Used by the OTLP benchmarks.
pub fn sample_otlp_request(
    spans: usize,
) -> crate::otlp_proto::collector::trace::v1::ExportTraceServiceRequest {
    use crate::otlp_proto::collector::trace::v1::ExportTraceServiceRequest;
    use crate::otlp_proto::common::v1::{
        AnyValue, InstrumentationScope, KeyValue as Attribute, any_value,
    };
    use crate::otlp_proto::resource::v1::Resource;
    use crate::otlp_proto::trace::v1::{ResourceSpans, ScopeSpans, Span as OtlpSpan, span};

    let attribute = |key: &str, value: any_value::Value| Attribute {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    };
    let string =
        |key: &str, value: &str| attribute(key, any_value::Value::StringValue(value.into()));
    let batch = sample_batch(spans);
    let otlp_spans = batch
        .spans
        .iter()
        .map(|model| {
            let start = crate::time::micros_from_timestamp(
                model.start_time.as_ref().unwrap_or(&Default::default()),
            );
            let start_nanos = start as u64 * 1_000;
            OtlpSpan {
                trace_id: model.trace_id.clone(),
                span_id: model.span_id.clone(),
                parent_span_id: 1u64.to_be_bytes().to_vec(),
                name: model.operation_name.clone(),
                kind: span::SpanKind::Server as i32,
                start_time_unix_nano: start_nanos,
                end_time_unix_nano: start_nanos + 1_234_000,
                attributes: vec![
                    string("http.method", "GET"),
                    string("http.url", "https://shop.example.com/api/v1/resource?id=42"),
                    attribute("http.status_code", any_value::Value::IntValue(200)),
                    string("component", "net/http"),
                    string("peer.service", "inventory"),
                    attribute("peer.port", any_value::Value::IntValue(8080)),
                    attribute("sampler.param", any_value::Value::DoubleValue(0.25)),
                    string("sampler.type", "probabilistic"),
                    attribute("cache.hit", any_value::Value::BoolValue(false)),
                ],
                events: vec![span::Event {
                    time_unix_nano: start_nanos + 500_000,
                    name: "cache miss".into(),
                    attributes: vec![attribute("retry", any_value::Value::IntValue(1))],
                    ..Default::default()
                }],
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    string("service.name", "frontend"),
                    string("host.name", "web-7f9c6d4b8-x2k4q"),
                    string("telemetry.sdk.language", "go"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "net/http".into(),
                    version: "1.0.0".into(),
                    ..Default::default()
                }),
                spans: otlp_spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Zipkin v2 JSON for [`sample_batch`]'s spans, as a Zipkin reporter would post it.
pub fn sample_zipkin_v2_json(spans: usize) -> Vec<u8> {
    let batch = sample_batch(spans);
    let items: Vec<serde_json::Value> = batch
        .spans
        .iter()
        .map(|span| {
            let start = crate::time::micros_from_timestamp(
                span.start_time.as_ref().unwrap_or(&Default::default()),
            );
            serde_json::json!({
                "traceId": span.trace_id().unwrap_or_default().to_string(),
                "id": span.span_id().unwrap_or_default().to_string(),
                "parentId": "0000000000000001",
                "kind": "SERVER",
                "name": span.operation_name,
                "timestamp": start,
                "duration": 1234,
                "localEndpoint": {"serviceName": "frontend", "ipv4": "10.32.4.17", "port": 8080},
                "remoteEndpoint": {"serviceName": "inventory", "ipv4": "10.32.9.2", "port": 8080},
                "annotations": [{"timestamp": start + 500, "value": "cache miss"}],
                "tags": {
                    "http.method": "GET",
                    "http.path": "/api/v1/resource",
                    "http.url": "https://shop.example.com/api/v1/resource?id=42",
                    "http.status_code": "200",
                    "component": "net/http",
                    "sampler.type": "probabilistic",
                    "sampler.param": "0.25",
                }
            })
        })
        .collect();
    serde_json::to_vec(&items).unwrap_or_default()
}

/// The storage benchmarks' workload: services, operations and tag values per span.
pub mod workload {
    use super::*;

    pub const SERVICES: u64 = 10;
    pub const OPERATIONS: u64 = 20;

    /// Trace `trace`'s id: scattered over the id space like the random ids clients generate.
    pub fn trace_id(trace: u64) -> TraceId {
        TraceId::new(trace.wrapping_mul(0x9e37_79b9_7f4a_7c15), trace)
    }

    /// Span `index` of trace `trace`, starting at `start` (µs): 20 tags (18 span tags with 7
    /// values each, 2 process tags), a parent reference, service `service-{trace % 10}` and
    /// operation `op-{(trace + index) % 20}`.
    pub fn span(index: u64, trace: u64, start: i64) -> Span {
        Span {
            trace_id: trace_id(trace).to_bytes().to_vec(),
            span_id: (index + 1).to_be_bytes().to_vec(),
            operation_name: format!("op-{}", (trace + index) % OPERATIONS),
            references: vec![SpanRef::new(
                trace_id(trace),
                SpanId(1),
                SpanRefType::ChildOf,
            )],
            flags: 1,
            start_time: Some(timestamp_from_micros(start)),
            duration: Some(duration_from_micros(100 + (index % 1000) as i64)),
            tags: (0..18)
                .map(|t| {
                    KeyValue::string(format!("attr.{t:02}"), format!("value-{}", (index + t) % 7))
                })
                .collect(),
            process: Some(Process {
                service_name: format!("service-{}", trace % SERVICES),
                tags: vec![
                    KeyValue::string("hostname", format!("host-{}", trace % 50)),
                    KeyValue::string("jaeger.version", "Go-2.30.0"),
                ],
            }),
            ..Default::default()
        }
    }
}
