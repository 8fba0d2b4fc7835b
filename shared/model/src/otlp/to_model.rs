//! OTLP traces → Jaeger api_v2 batches, the way Jaeger does it.
//!
//! Jaeger's collector (v1.76, and v2's v1-storage adapter) converts OTLP with the
//! opentelemetry-collector-contrib translator `pkg/translator/jaeger/traces_to_jaegerproto.go`
//! (contrib v0.140.1 in Jaeger v1.76.0, v0.155.0 in Jaeger v2.20; same behaviour). This module
//! reproduces that translator:
//! - one batch per `ResourceSpans`, skipped when the resource has no attributes and there are no
//!   scope spans; spans carry no process of their own;
//! - `service.name` (first occurrence, string values only) → service name, every other resource
//!   attribute → process tag; a resource with no attributes at all → `OTLPResourceNoServiceName`;
//! - span tags in the translator's order: `otel.scope.name`, `otel.scope.version` (the current
//!   semconv names; older translators wrote `otel.library.*`), the attributes, `span.kind`,
//!   `otel.status_code`, `error`, `otel.status_description` (whenever the message is non-empty,
//!   whatever the code), `w3c.tracestate`;
//! - references: the parent as CHILD_OF first, then one per link, FOLLOWS_FROM unless the link
//!   has `opentracing.ref_type` = `child_of`; a link to the parent itself only retypes it;
//! - events → logs with an `event` field (the name) unless an attribute is already named `event`;
//! - dropped counts, link attributes, scope attributes, span flags: not carried (Jaeger's
//!   translator sets no flags; the sampled bit only appears in contrib releases newer than the
//!   ones Jaeger ships).
//!
//! Where pdata would accept what Spur rejects: span and trace ids must be present and non-zero
//! (Jaeger stores all-zero ids); ids of a wrong length are rejected by both.

use crate::api_v2::{Batch, KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use crate::otlp_proto::collector::trace::v1::ExportTraceServiceRequest;
use crate::otlp_proto::common::v1::{InstrumentationScope, KeyValue as OtlpKeyValue, any_value};
use crate::otlp_proto::trace::v1::span::{Event, Link, SpanKind};
use crate::otlp_proto::trace::v1::status::StatusCode;
use crate::otlp_proto::trace::v1::{ResourceSpans, Span as OtlpSpan, Status};
use crate::time::{duration_from_nanos, timestamp_from_nanos};
use crate::{DecodeError, SpanId, TraceId};

use super::value_text::json_text;

/// Service name of a resource without attributes (contrib's `tracetranslator.ResourceNoServiceName`).
const NO_SERVICE_NAME: &str = "OTLPResourceNoServiceName";
const SERVICE_NAME: &str = "service.name";
const SCOPE_NAME: &str = "otel.scope.name";
const SCOPE_VERSION: &str = "otel.scope.version";
const SPAN_KIND: &str = "span.kind";
const STATUS_CODE: &str = "otel.status_code";
const STATUS_DESCRIPTION: &str = "otel.status_description";
const ERROR: &str = "error";
const TRACE_STATE: &str = "w3c.tracestate";
const EVENT_NAME: &str = "event";
const REF_TYPE: &str = "opentracing.ref_type";
const REF_TYPE_CHILD_OF: &str = "child_of";

/// Converts a decoded OTLP export request into Jaeger batches, one per `ResourceSpans`.
/// Takes the request by value so strings and id buffers move into the model uncopied.
pub fn request_to_batches(request: ExportTraceServiceRequest) -> Result<Vec<Batch>, DecodeError> {
    let mut batches = Vec::with_capacity(request.resource_spans.len());
    for resource_spans in request.resource_spans {
        if let Some(batch) = resource_spans_to_batch(resource_spans)? {
            batches.push(batch);
        }
    }
    Ok(batches)
}

fn resource_spans_to_batch(resource_spans: ResourceSpans) -> Result<Option<Batch>, DecodeError> {
    let ResourceSpans {
        resource,
        scope_spans,
        schema_url: _,
    } = resource_spans;
    let attributes = resource
        .map(|resource| resource.attributes)
        .unwrap_or_default();
    if attributes.is_empty() && scope_spans.is_empty() {
        return Ok(None);
    }
    let process = resource_to_process(attributes);
    let span_count = scope_spans
        .iter()
        .fold(0usize, |sum, scope| sum.saturating_add(scope.spans.len()));
    let mut spans = Vec::with_capacity(span_count);
    for scope_spans in scope_spans {
        let scope = scope_spans.scope.unwrap_or_default();
        for span in scope_spans.spans {
            spans.push(span_to_model(span, &scope)?);
        }
    }
    Ok(Some(Batch {
        spans,
        process: Some(process),
    }))
}

fn resource_to_process(attributes: Vec<OtlpKeyValue>) -> Process {
    if attributes.is_empty() {
        return Process {
            service_name: NO_SERVICE_NAME.to_owned(),
            tags: Vec::new(),
        };
    }
    let mut service_name = None;
    let mut tags = Vec::with_capacity(attributes.len());
    for attribute in attributes {
        if attribute.key == SERVICE_NAME {
            // pdata's `Get` finds the first one and `Str()` is "" for non-strings; every
            // `service.name` is left out of the tags.
            if service_name.is_none() {
                service_name = Some(match attribute.value.and_then(|any| any.value) {
                    Some(any_value::Value::StringValue(name)) => name,
                    _ => String::new(),
                });
            }
            continue;
        }
        tags.push(attribute_to_tag(attribute));
    }
    Process {
        service_name: service_name.unwrap_or_default(),
        tags,
    }
}

/// One attribute as a typed tag; arrays and maps become their JSON text, empty values "".
fn attribute_to_tag(attribute: OtlpKeyValue) -> KeyValue {
    let key = attribute.key;
    match attribute.value.and_then(|any| any.value) {
        Some(any_value::Value::StringValue(text)) => KeyValue::string(key, text),
        Some(any_value::Value::BoolValue(flag)) => KeyValue::bool(key, flag),
        Some(any_value::Value::IntValue(number)) => KeyValue::int64(key, number),
        Some(any_value::Value::DoubleValue(number)) => KeyValue::float64(key, number),
        Some(any_value::Value::BytesValue(bytes)) => KeyValue::binary(key, bytes),
        Some(value @ (any_value::Value::ArrayValue(_) | any_value::Value::KvlistValue(_))) => {
            KeyValue::string(key, json_text(&value))
        }
        None | Some(any_value::Value::StringValueStrindex(_)) => KeyValue::string(key, ""),
    }
}

fn span_to_model(span: OtlpSpan, scope: &InstrumentationScope) -> Result<Span, DecodeError> {
    let OtlpSpan {
        trace_id,
        span_id,
        trace_state,
        parent_span_id,
        flags: _,
        name,
        kind,
        start_time_unix_nano,
        end_time_unix_nano,
        attributes,
        dropped_attributes_count: _,
        events,
        dropped_events_count: _,
        links,
        dropped_links_count: _,
        status,
    } = span;
    let trace = span_trace_id(&trace_id)?;
    span_span_id(&span_id)?;
    let parent = parent_span_id_of(&parent_span_id)?;
    let references = references(trace, parent, links)?;

    let mut tags = Vec::with_capacity(attributes.len().saturating_add(7));
    if !scope.name.is_empty() {
        tags.push(KeyValue::string(SCOPE_NAME, scope.name.as_str()));
    }
    if !scope.version.is_empty() {
        tags.push(KeyValue::string(SCOPE_VERSION, scope.version.as_str()));
    }
    tags.extend(attributes.into_iter().map(attribute_to_tag));
    if let Some(kind) = span_kind_tag(kind) {
        tags.push(KeyValue::string(SPAN_KIND, kind));
    }
    let Status { message, code } = status.unwrap_or_default();
    match StatusCode::try_from(code) {
        Ok(StatusCode::Error) => {
            tags.push(KeyValue::string(STATUS_CODE, "ERROR"));
            tags.push(KeyValue::bool(ERROR, true));
        }
        Ok(StatusCode::Ok) => tags.push(KeyValue::string(STATUS_CODE, "OK")),
        Ok(StatusCode::Unset) | Err(_) => {}
    }
    if !message.is_empty() {
        tags.push(KeyValue::string(STATUS_DESCRIPTION, message));
    }
    if !trace_state.is_empty() {
        tags.push(KeyValue::string(TRACE_STATE, trace_state));
    }

    let duration = i128::from(end_time_unix_nano) - i128::from(start_time_unix_nano);
    let duration =
        i64::try_from(duration).unwrap_or(if duration < 0 { i64::MIN } else { i64::MAX });
    Ok(Span {
        // Validated above as 16 and 8 non-zero bytes: moved, not copied.
        trace_id,
        span_id,
        operation_name: name,
        references,
        flags: 0,
        start_time: Some(timestamp_from_nanos(start_time_unix_nano)),
        duration: Some(duration_from_nanos(duration)),
        tags,
        logs: events.into_iter().map(event_to_log).collect(),
        process: None,
        process_id: String::new(),
        warnings: Vec::new(),
    })
}

fn span_kind_tag(kind: i32) -> Option<&'static str> {
    match SpanKind::try_from(kind).ok()? {
        SpanKind::Client => Some("client"),
        SpanKind::Server => Some("server"),
        SpanKind::Producer => Some("producer"),
        SpanKind::Consumer => Some("consumer"),
        SpanKind::Internal => Some("internal"),
        SpanKind::Unspecified => None,
    }
}

/// The parent as the first CHILD_OF reference, then the links (see the module doc).
fn references(
    trace: TraceId,
    parent: Option<SpanId>,
    links: Vec<Link>,
) -> Result<Vec<SpanRef>, DecodeError> {
    let mut references = Vec::with_capacity(links.len().saturating_add(1));
    if let Some(parent) = parent {
        references.push(SpanRef::new(trace, parent, SpanRefType::ChildOf));
    }
    for link in links {
        let link_trace = link_trace_id(&link.trace_id)?;
        let link_span = link_span_id(&link.span_id)?;
        let ref_type = link_ref_type(&link.attributes);
        if parent == Some(link_span) && link_trace == trace {
            if let Some(parent_reference) = references.first_mut() {
                parent_reference.ref_type = ref_type as i32;
            }
            continue;
        }
        references.push(SpanRef::new(link_trace, link_span, ref_type));
    }
    Ok(references)
}

fn link_ref_type(attributes: &[OtlpKeyValue]) -> SpanRefType {
    let first = attributes
        .iter()
        .find(|attribute| attribute.key == REF_TYPE);
    match first
        .and_then(|attribute| attribute.value.as_ref())
        .and_then(|any| any.value.as_ref())
    {
        Some(any_value::Value::StringValue(kind)) if kind == REF_TYPE_CHILD_OF => {
            SpanRefType::ChildOf
        }
        _ => SpanRefType::FollowsFrom,
    }
}

fn event_to_log(event: Event) -> Log {
    let Event {
        time_unix_nano,
        name,
        attributes,
        dropped_attributes_count: _,
    } = event;
    let named_by_attribute = attributes
        .iter()
        .any(|attribute| attribute.key == EVENT_NAME);
    let mut fields = Vec::with_capacity(attributes.len().saturating_add(1));
    if !name.is_empty() && !named_by_attribute {
        fields.push(KeyValue::string(EVENT_NAME, name));
    }
    fields.extend(attributes.into_iter().map(attribute_to_tag));
    Log {
        timestamp: Some(timestamp_from_nanos(time_unix_nano)),
        fields,
    }
}

/// A span's own trace id: exactly 16 bytes, not all zero.
fn span_trace_id(bytes: &[u8]) -> Result<TraceId, DecodeError> {
    if bytes.len() != 16 {
        return Err(invalid(
            "trace",
            format!("{} bytes, expected 16", bytes.len()),
        ));
    }
    let id = TraceId::from_bytes(bytes)?;
    if id.is_zero() {
        return Err(invalid("trace", "all zero".to_owned()));
    }
    Ok(id)
}

/// A span's own span id: exactly 8 bytes, not all zero.
fn span_span_id(bytes: &[u8]) -> Result<SpanId, DecodeError> {
    let id = SpanId::from_bytes(bytes)?;
    if id.0 == 0 {
        return Err(invalid("span", "all zero".to_owned()));
    }
    Ok(id)
}

/// The parent span id: empty or all zero means a root span; otherwise exactly 8 bytes.
fn parent_span_id_of(bytes: &[u8]) -> Result<Option<SpanId>, DecodeError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let id = SpanId::from_bytes(bytes)?;
    Ok((id.0 != 0).then_some(id))
}

/// A link's trace id: 16 bytes, or empty for the zero id (OTel SDKs may record links whose
/// context is invalid, and Jaeger keeps them with zero ids).
fn link_trace_id(bytes: &[u8]) -> Result<TraceId, DecodeError> {
    match bytes.len() {
        0 => Ok(TraceId::default()),
        16 => TraceId::from_bytes(bytes),
        other => Err(invalid(
            "trace",
            format!("link: {other} bytes, expected 16"),
        )),
    }
}

/// A link's span id: 8 bytes, or empty for the zero id.
fn link_span_id(bytes: &[u8]) -> Result<SpanId, DecodeError> {
    if bytes.is_empty() {
        return Ok(SpanId::default());
    }
    SpanId::from_bytes(bytes)
}

fn invalid(kind: &'static str, reason: String) -> DecodeError {
    DecodeError::InvalidId { kind, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp_proto::common::v1::AnyValue;
    use crate::otlp_proto::resource::v1::Resource;
    use crate::otlp_proto::trace::v1::ScopeSpans;

    const TRACE: [u8; 16] = [7; 16];

    fn attribute(key: &str, value: any_value::Value) -> OtlpKeyValue {
        OtlpKeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    fn text(key: &str, value: &str) -> OtlpKeyValue {
        attribute(key, any_value::Value::StringValue(value.into()))
    }

    fn span(id: u64) -> OtlpSpan {
        OtlpSpan {
            trace_id: TRACE.to_vec(),
            span_id: id.to_be_bytes().to_vec(),
            ..Default::default()
        }
    }

    fn convert(span: OtlpSpan) -> Span {
        let batch = resource_spans_to_batch(ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..Default::default()
            }],
            ..Default::default()
        });
        batch.unwrap().unwrap().spans.remove(0)
    }

    fn link(span_id: u64, attributes: Vec<OtlpKeyValue>) -> Link {
        Link {
            trace_id: TRACE.to_vec(),
            span_id: span_id.to_be_bytes().to_vec(),
            attributes,
            ..Default::default()
        }
    }

    fn trace() -> TraceId {
        TraceId::from_bytes(&TRACE).unwrap()
    }

    #[test]
    fn service_name_follows_the_translator() {
        let process = |attributes| resource_to_process(attributes);
        assert_eq!(process(vec![]).service_name, "OTLPResourceNoServiceName");
        let unnamed = process(vec![text("host.name", "h")]);
        assert_eq!(
            unnamed.service_name, "",
            "attributes without service.name: empty name"
        );
        assert_eq!(unnamed.tags, vec![KeyValue::string("host.name", "h")]);
        let not_a_string = process(vec![attribute(
            "service.name",
            any_value::Value::IntValue(5),
        )]);
        assert_eq!(not_a_string.service_name, "");
        assert!(not_a_string.tags.is_empty());
        let twice = process(vec![
            text("service.name", "first"),
            text("a", "b"),
            text("service.name", "second"),
        ]);
        assert_eq!(twice.service_name, "first");
        assert_eq!(twice.tags, vec![KeyValue::string("a", "b")]);
    }

    #[test]
    fn batches_are_skipped_only_without_attributes_and_scopes() {
        assert!(
            resource_spans_to_batch(ResourceSpans::default())
                .unwrap()
                .is_none()
        );
        let with_resource = ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("service.name", "s")],
                ..Default::default()
            }),
            ..Default::default()
        };
        let batch = resource_spans_to_batch(with_resource).unwrap().unwrap();
        assert!(batch.spans.is_empty());
        assert_eq!(batch.process.unwrap().service_name, "s");
        let empty_scope = ResourceSpans {
            scope_spans: vec![ScopeSpans::default()],
            ..Default::default()
        };
        assert!(
            resource_spans_to_batch(empty_scope)
                .unwrap()
                .unwrap()
                .spans
                .is_empty()
        );
    }

    #[test]
    fn links_to_the_parent_retype_it() {
        let child_of = || vec![text("opentracing.ref_type", "child_of")];
        let plain = convert(OtlpSpan {
            parent_span_id: 9u64.to_be_bytes().to_vec(),
            links: vec![link(9, vec![])],
            ..span(1)
        });
        assert_eq!(
            plain.references,
            vec![SpanRef::new(trace(), SpanId(9), SpanRefType::FollowsFrom)]
        );

        let kept = convert(OtlpSpan {
            parent_span_id: 9u64.to_be_bytes().to_vec(),
            links: vec![link(9, child_of())],
            ..span(1)
        });
        assert_eq!(
            kept.references,
            vec![SpanRef::new(trace(), SpanId(9), SpanRefType::ChildOf)]
        );

        let links = vec![
            link(3, child_of()),
            link(4, vec![text("opentracing.ref_type", "follows_from")]),
            link(
                5,
                vec![attribute(
                    "opentracing.ref_type",
                    any_value::Value::BoolValue(true),
                )],
            ),
        ];
        let root = convert(OtlpSpan { links, ..span(1) });
        assert_eq!(
            root.references,
            vec![
                SpanRef::new(trace(), SpanId(3), SpanRefType::ChildOf),
                SpanRef::new(trace(), SpanId(4), SpanRefType::FollowsFrom),
                SpanRef::new(trace(), SpanId(5), SpanRefType::FollowsFrom),
            ]
        );
    }

    #[test]
    fn events_become_logs() {
        let events = vec![
            Event {
                time_unix_nano: 5,
                name: "named".into(),
                attributes: vec![text("k", "v")],
                dropped_attributes_count: 1,
            },
            Event {
                time_unix_nano: 6,
                name: "shadowed".into(),
                attributes: vec![text("event", "from attribute")],
                ..Default::default()
            },
            Event {
                time_unix_nano: 7,
                ..Default::default()
            },
        ];
        let logs = convert(OtlpSpan { events, ..span(1) }).logs;
        assert_eq!(
            logs[0].fields,
            vec![
                KeyValue::string("event", "named"),
                KeyValue::string("k", "v")
            ]
        );
        assert_eq!(
            logs[1].fields,
            vec![KeyValue::string("event", "from attribute")]
        );
        assert!(logs[2].fields.is_empty());
        assert_eq!(logs[2].timestamp, Some(timestamp_from_nanos(7)));
    }

    #[test]
    fn status_kind_and_trace_state_tags() {
        let tags = |span: OtlpSpan| convert(span).tags;
        let unset_with_message = OtlpSpan {
            status: Some(Status {
                code: 0,
                message: "note".into(),
            }),
            ..span(1)
        };
        assert_eq!(
            tags(unset_with_message),
            vec![KeyValue::string("otel.status_description", "note")]
        );
        let unknown = OtlpSpan {
            status: Some(Status {
                code: 9,
                message: String::new(),
            }),
            kind: 42,
            ..span(1)
        };
        assert!(tags(unknown).is_empty());
        for (kind, name) in [
            (1, "internal"),
            (2, "server"),
            (3, "client"),
            (4, "producer"),
            (5, "consumer"),
        ] {
            assert_eq!(
                tags(OtlpSpan { kind, ..span(1) }),
                vec![KeyValue::string("span.kind", name)]
            );
        }
        assert!(tags(OtlpSpan { kind: 0, ..span(1) }).is_empty());
        let with_state = OtlpSpan {
            trace_state: "a=b".into(),
            ..span(1)
        };
        assert_eq!(
            tags(with_state),
            vec![KeyValue::string("w3c.tracestate", "a=b")]
        );
    }

    #[test]
    fn durations_are_end_minus_start_saturating() {
        let duration = |start, end| {
            convert(OtlpSpan {
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                ..span(1)
            })
            .duration
        };
        assert_eq!(
            duration(10, 2_000_000_015),
            Some(duration_from_nanos(2_000_000_005))
        );
        assert_eq!(duration(10, 4), Some(duration_from_nanos(-6)));
        assert_eq!(duration(0, u64::MAX), Some(duration_from_nanos(i64::MAX)));
        assert_eq!(duration(u64::MAX, 0), Some(duration_from_nanos(i64::MIN)));
        let unset = convert(span(1));
        assert_eq!(unset.start_time, Some(timestamp_from_nanos(0)));
        assert_eq!(unset.duration, Some(duration_from_nanos(0)));
    }

    #[test]
    fn strindex_values_are_empty() {
        let tag = attribute_to_tag(attribute("k", any_value::Value::StringValueStrindex(3)));
        assert_eq!(tag, KeyValue::string("k", ""));
    }
}
