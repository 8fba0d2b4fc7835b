//! Jaeger's Elasticsearch documents and their conversions to and from api_v2 spans: the span
//! document (hex ids, µs `startTime` plus `startTimeMillis`, nested `tags` / `process.tags` /
//! `logs.fields` as `{key, type, value}` with native JSON values and hex for binary, optional
//! tags-as-fields under `tag` / `process.tag`), the service document with Jaeger's FNV-1a id,
//! the dependencies document, and Spur's deterministic span document id.
//!
//! Reading accepts every shape Jaeger has written: values as strings (before Jaeger 1.69) or
//! native, unpadded trace ids, `parentSpanID` without a reference, `null` arrays.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};
use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef, SpanRefType, ValueType};
use spur_model::time::{
    duration_from_micros, micros_from_duration, micros_from_timestamp, timestamp_from_micros,
};
use spur_model::{SpanId, TraceId};
use spur_storage::StorageError;

/// Span warnings travel as string tags with this key prefix and a 1-based number (as Spur's
/// Cassandra backend and Jaeger's Cassandra layout keep them); reads turn them back.
pub const WARNING_TAG_PREFIX: &str = "$$span.warning.";

/// Which tags go to the `tag` / `process.tag` objects instead of the nested arrays (Jaeger's
/// `es.tags-as-fields.*`). Binary values always stay nested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsAsFields {
    pub all: bool,
    /// Keys elevated when `all` is false.
    pub include: Vec<String>,
    /// What replaces `.` in a key under `tag` (default `@`).
    pub dot_replacement: String,
}

impl Default for TagsAsFields {
    fn default() -> Self {
        TagsAsFields {
            all: false,
            include: Vec::new(),
            dot_replacement: "@".to_owned(),
        }
    }
}

impl TagsAsFields {
    pub fn elevates(&self, key: &str) -> bool {
        self.all || self.include.iter().any(|included| included == key)
    }

    pub fn field_name(&self, key: &str) -> String {
        key.replace('.', &self.dot_replacement)
    }

    fn key_of_field(&self, field: &str) -> String {
        if self.dot_replacement.is_empty() {
            field.to_owned()
        } else {
            field.replace(&self.dot_replacement, ".")
        }
    }
}

/// The span document, keys in Jaeger's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanDocument {
    #[serde(rename = "traceID")]
    pub trace_id: String,
    #[serde(rename = "spanID")]
    pub span_id: String,
    #[serde(
        rename = "parentSpanID",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub parent_span_id: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub flags: u32,
    #[serde(rename = "operationName", default)]
    pub operation_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<ReferenceDocument>,
    #[serde(rename = "startTime", default)]
    pub start_time: i64,
    #[serde(rename = "startTimeMillis", default)]
    pub start_time_millis: i64,
    #[serde(default)]
    pub duration: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<KeyValueDocument>,
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tag: Map<String, Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub logs: Vec<LogDocument>,
    #[serde(default)]
    pub process: ProcessDocument,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceDocument {
    #[serde(rename = "refType")]
    pub ref_type: String,
    #[serde(rename = "traceID")]
    pub trace_id: String,
    #[serde(rename = "spanID")]
    pub span_id: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProcessDocument {
    #[serde(rename = "serviceName", default)]
    pub service_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<KeyValueDocument>,
    #[serde(
        default,
        skip_serializing_if = "Map::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tag: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogDocument {
    #[serde(default)]
    pub timestamp: i64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub fields: Vec<KeyValueDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyValueDocument {
    pub key: String,
    #[serde(rename = "type", default)]
    pub value_type: String,
    #[serde(default)]
    pub value: Value,
}

/// The service document of `jaeger-service-*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDocument {
    #[serde(rename = "serviceName")]
    pub service_name: String,
    #[serde(rename = "operationName")]
    pub operation_name: String,
}

impl ServiceDocument {
    /// Jaeger's document id: lower-case unpadded hex of FNV-1a 64 over the service name
    /// immediately followed by the operation name.
    pub fn id(&self) -> String {
        let hash = self
            .service_name
            .bytes()
            .chain(self.operation_name.bytes())
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        format!("{hash:x}")
    }
}

/// The dependencies document of `jaeger-dependencies-*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependenciesDocument {
    /// RFC 3339, UTC.
    pub timestamp: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub dependencies: Vec<DependencyLinkDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyLinkDocument {
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub child: String,
    #[serde(rename = "callCount", default)]
    pub call_count: u64,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Spur's document id of a span document: 128 bits of xxh3 over the document's bytes, so
/// writing the same span again (a redelivery, a replay) overwrites the first copy instead of
/// adding a second, and two different spans sharing a span id (Zipkin's shared spans) both stay.
pub fn span_document_id(document_bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(document_bytes))
}

/// Converts a span for writing; rejects a span without process or with malformed ids.
pub fn span_to_document(
    span: &Span,
    tags_as_fields: &TagsAsFields,
) -> Result<SpanDocument, StorageError> {
    let invalid = |message: String| StorageError::InvalidArgument(message);
    let trace_id = TraceId::from_bytes(&span.trace_id)
        .map_err(|e| invalid(format!("span with a malformed trace id: {e}")))?;
    let span_id = SpanId::from_bytes(&span.span_id)
        .map_err(|e| invalid(format!("span with a malformed span id: {e}")))?;
    let Some(process) = span.process.as_ref() else {
        return Err(invalid(format!(
            "span {span_id} of trace {trace_id} has no process"
        )));
    };
    let mut references = Vec::with_capacity(span.references.len());
    for reference in &span.references {
        let ref_trace = TraceId::from_bytes(&reference.trace_id)
            .map_err(|e| invalid(format!("span {span_id}: a reference's trace id: {e}")))?;
        let ref_span = SpanId::from_bytes(&reference.span_id)
            .map_err(|e| invalid(format!("span {span_id}: a reference's span id: {e}")))?;
        let ref_type = if reference.ref_type == SpanRefType::FollowsFrom as i32 {
            "FOLLOWS_FROM"
        } else {
            "CHILD_OF"
        };
        references.push(ReferenceDocument {
            ref_type: ref_type.to_owned(),
            trace_id: ref_trace.to_string(),
            span_id: ref_span.to_string(),
        });
    }
    let start_time = span.start_time.as_ref().map_or(0, micros_from_timestamp);
    let duration = span.duration.as_ref().map_or(0, micros_from_duration);
    let warnings = span
        .warnings
        .iter()
        .zip(1..)
        .map(|(warning, n): (&String, u32)| {
            KeyValue::string(format!("{WARNING_TAG_PREFIX}{n}"), warning.clone())
        });
    let all_tags: Vec<KeyValue> = span.tags.iter().cloned().chain(warnings).collect();
    let (tags, tag) = split_tags(&all_tags, tags_as_fields);
    let (process_tags, process_tag) = split_tags(&process.tags, tags_as_fields);
    let logs = span
        .logs
        .iter()
        .map(|log| LogDocument {
            timestamp: log.timestamp.as_ref().map_or(0, micros_from_timestamp),
            fields: log.fields.iter().map(key_value_to_document).collect(),
        })
        .collect();
    Ok(SpanDocument {
        trace_id: trace_id.to_string(),
        span_id: span_id.to_string(),
        parent_span_id: String::new(),
        flags: span.flags,
        operation_name: span.operation_name.clone(),
        references,
        start_time,
        start_time_millis: start_time.div_euclid(1_000),
        duration,
        tags,
        tag,
        logs,
        process: ProcessDocument {
            service_name: process.service_name.clone(),
            tags: process_tags,
            tag: process_tag,
        },
    })
}

/// Nested tags and, with tags-as-fields, the elevated ones as an object.
fn split_tags(
    tags: &[KeyValue],
    tags_as_fields: &TagsAsFields,
) -> (Vec<KeyValueDocument>, Map<String, Value>) {
    let mut nested = Vec::with_capacity(tags.len());
    let mut fields = Map::new();
    for tag in tags {
        let binary = tag.v_type == ValueType::Binary as i32;
        if !binary && tags_as_fields.elevates(&tag.key) {
            fields.insert(tags_as_fields.field_name(&tag.key), native_value(tag));
        } else {
            nested.push(key_value_to_document(tag));
        }
    }
    (nested, fields)
}

fn key_value_to_document(tag: &KeyValue) -> KeyValueDocument {
    let value_type = match ValueType::try_from(tag.v_type).unwrap_or(ValueType::String) {
        ValueType::String => "string",
        ValueType::Bool => "bool",
        ValueType::Int64 => "int64",
        ValueType::Float64 => "float64",
        ValueType::Binary => "binary",
    };
    KeyValueDocument {
        key: tag.key.clone(),
        value_type: value_type.to_owned(),
        value: native_value(tag),
    }
}

/// The JSON value Jaeger (1.69 and later) writes: native for bool, int64 and float64, hex for
/// binary. A whole float is written without a fraction, as Go writes it, so the indexed text
/// equals the value's string form in queries (`2`, not `2.0`).
fn native_value(tag: &KeyValue) -> Value {
    match ValueType::try_from(tag.v_type).unwrap_or(ValueType::String) {
        ValueType::String => Value::String(tag.v_str.clone()),
        ValueType::Bool => Value::Bool(tag.v_bool),
        ValueType::Int64 => Value::Number(tag.v_int64.into()),
        ValueType::Float64 => float_value(tag.v_float64),
        ValueType::Binary => Value::String(hex(&tag.v_binary)),
    }
}

/// 2^53: floats below it in magnitude with no fraction are exact as integers.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

fn float_value(value: f64) -> Value {
    if value.fract() == 0.0
        && value.abs() < EXACT_INTEGER_LIMIT
        && !(value == 0.0 && value.is_sign_negative())
    {
        // Exact: |value| < 2^53 and whole.
        #[allow(clippy::cast_possible_truncation)]
        return Value::Number(Number::from(value as i64));
    }
    Number::from_f64(value).map_or_else(
        // NaN and infinities have no JSON number: written as text, read back by type.
        || Value::String(value.to_string()),
        Value::Number,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Why a stored document could not be read as a span.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableDocument(String);

/// Converts a stored document back into a span.
pub fn document_to_span(
    document: SpanDocument,
    tags_as_fields: &TagsAsFields,
) -> Result<Span, UnreadableDocument> {
    let bad = |what: String| UnreadableDocument(what);
    let trace_id = TraceId::from_hex(&document.trace_id)
        .map_err(|e| bad(format!("traceID {:?}: {e}", document.trace_id)))?;
    let span_id = SpanId::from_hex(&document.span_id)
        .map_err(|e| bad(format!("spanID {:?}: {e}", document.span_id)))?;
    let mut references = Vec::with_capacity(document.references.len() + 1);
    for reference in &document.references {
        let ref_trace = TraceId::from_hex(&reference.trace_id)
            .map_err(|e| bad(format!("reference traceID {:?}: {e}", reference.trace_id)))?;
        let ref_span = SpanId::from_hex(&reference.span_id)
            .map_err(|e| bad(format!("reference spanID {:?}: {e}", reference.span_id)))?;
        let ref_type = if reference.ref_type == "FOLLOWS_FROM" {
            SpanRefType::FollowsFrom
        } else {
            SpanRefType::ChildOf
        };
        references.push(SpanRef::new(ref_trace, ref_span, ref_type));
    }
    // Old Jaeger documents name the parent only in `parentSpanID`.
    if !document.parent_span_id.is_empty() {
        let parent = SpanId::from_hex(&document.parent_span_id)
            .map_err(|e| bad(format!("parentSpanID {:?}: {e}", document.parent_span_id)))?;
        let parent_bytes = parent.to_bytes();
        let known = references
            .iter()
            .any(|reference| reference.span_id == parent_bytes);
        if !known && parent.0 != 0 {
            references.insert(0, SpanRef::new(trace_id, parent, SpanRefType::ChildOf));
        }
    }
    let mut tags = key_values_from_documents(&document.tags)?;
    tags.extend(fields_to_key_values(&document.tag, tags_as_fields));
    let mut warnings = Vec::new();
    tags.retain(|tag| {
        if tag.key.starts_with(WARNING_TAG_PREFIX) && tag.v_type == ValueType::String as i32 {
            warnings.push((tag.key.clone(), tag.v_str.clone()));
            false
        } else {
            true
        }
    });
    warnings.sort_by_key(|(key, _)| {
        key[WARNING_TAG_PREFIX.len()..]
            .parse::<u32>()
            .unwrap_or(u32::MAX)
    });
    let mut process_tags = key_values_from_documents(&document.process.tags)?;
    process_tags.extend(fields_to_key_values(&document.process.tag, tags_as_fields));
    let mut logs = Vec::with_capacity(document.logs.len());
    for log in &document.logs {
        logs.push(Log {
            timestamp: Some(timestamp_from_micros(log.timestamp)),
            fields: key_values_from_documents(&log.fields)?,
        });
    }
    Ok(Span {
        trace_id: trace_id.to_bytes().to_vec(),
        span_id: span_id.to_bytes().to_vec(),
        operation_name: document.operation_name,
        references,
        flags: document.flags,
        start_time: Some(timestamp_from_micros(document.start_time)),
        duration: Some(duration_from_micros(document.duration)),
        tags,
        logs,
        process: Some(Process {
            service_name: document.process.service_name,
            tags: process_tags,
        }),
        process_id: String::new(),
        warnings: warnings.into_iter().map(|(_, warning)| warning).collect(),
    })
}

fn key_values_from_documents(
    documents: &[KeyValueDocument],
) -> Result<Vec<KeyValue>, UnreadableDocument> {
    documents.iter().map(key_value_from_document).collect()
}

/// One `{key, type, value}`: the value may be native JSON or its string form.
fn key_value_from_document(document: &KeyValueDocument) -> Result<KeyValue, UnreadableDocument> {
    let key = document.key.clone();
    let bad = || {
        UnreadableDocument(format!(
            "tag {:?} of type {:?} has value {}",
            document.key, document.value_type, document.value
        ))
    };
    let text = match &document.value {
        Value::String(text) => Some(text.as_str()),
        _ => None,
    };
    let tag = match document.value_type.as_str() {
        "bool" => {
            let value = match (&document.value, text) {
                (Value::Bool(value), _) => *value,
                (_, Some(text)) => text.parse::<bool>().map_err(|_| bad())?,
                _ => return Err(bad()),
            };
            KeyValue::bool(key, value)
        }
        "int64" => {
            let value = match (&document.value, text) {
                (Value::Number(number), _) => number
                    .as_i64()
                    .or_else(|| number.as_f64().map(float_to_i64))
                    .ok_or_else(bad)?,
                (_, Some(text)) => text.parse::<i64>().map_err(|_| bad())?,
                _ => return Err(bad()),
            };
            KeyValue::int64(key, value)
        }
        "float64" => {
            let value = match (&document.value, text) {
                (Value::Number(number), _) => number.as_f64().ok_or_else(bad)?,
                (_, Some(text)) => text.parse::<f64>().map_err(|_| bad())?,
                _ => return Err(bad()),
            };
            KeyValue::float64(key, value)
        }
        "binary" => KeyValue::binary(key, text.and_then(unhex).ok_or_else(bad)?),
        // "string", and anything unknown, as its text.
        _ => KeyValue::string(key, value_text(&document.value)),
    };
    Ok(tag)
}

#[allow(clippy::cast_possible_truncation)]
fn float_to_i64(value: f64) -> i64 {
    value as i64
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Tags-as-fields back to tags: strings, booleans, integers, floats by their JSON type.
fn fields_to_key_values<'a>(
    fields: &'a Map<String, Value>,
    tags_as_fields: &'a TagsAsFields,
) -> impl Iterator<Item = KeyValue> + 'a {
    fields.iter().map(|(field, value)| {
        let key = tags_as_fields.key_of_field(field);
        match value {
            Value::Bool(value) => KeyValue::bool(key, *value),
            Value::Number(number) => match number.as_i64() {
                Some(integer) => KeyValue::int64(key, integer),
                None => KeyValue::float64(key, number.as_f64().unwrap_or_default()),
            },
            other => KeyValue::string(key, value_text(other)),
        }
    })
}

/// The trace id as Jaeger writes it, and the unpadded form pre-1.16 Jaeger wrote (when it
/// differs), for reads.
pub fn trace_id_forms(trace_id: TraceId) -> Vec<String> {
    let padded = trace_id.to_string();
    let unpadded = if trace_id.high == 0 {
        format!("{:x}", trace_id.low)
    } else {
        format!("{:x}{:016x}", trace_id.high, trace_id.low)
    };
    if unpadded == padded {
        vec![padded]
    } else {
        vec![padded, unpadded]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span() -> Span {
        Span {
            trace_id: TraceId::new(0, 0x1f).to_bytes().to_vec(),
            span_id: SpanId(2).to_bytes().to_vec(),
            operation_name: "GET /".into(),
            references: vec![SpanRef::new(
                TraceId::new(0, 0x1f),
                SpanId(1),
                SpanRefType::FollowsFrom,
            )],
            flags: 1,
            start_time: Some(timestamp_from_micros(1_485_467_191_639_875)),
            duration: Some(duration_from_micros(5)),
            tags: vec![
                KeyValue::string("span.kind", "server"),
                KeyValue::bool("error", true),
                KeyValue::int64("http.status_code", 503),
                KeyValue::float64("ratio", 0.25),
                KeyValue::float64("whole", 2.0),
                KeyValue::binary("blob", vec![0, 0, 0x30, 0x39]),
            ],
            logs: vec![Log {
                timestamp: Some(timestamp_from_micros(1_485_467_191_639_900)),
                fields: vec![KeyValue::string("event", "x")],
            }],
            process: Some(Process {
                service_name: "svc".into(),
                tags: vec![KeyValue::string("hostname", "h")],
            }),
            process_id: String::new(),
            warnings: vec!["clock skew".into()],
        }
    }

    #[test]
    fn a_span_round_trips_through_its_document() {
        let plain = TagsAsFields::default();
        let document = span_to_document(&span(), &plain).expect("a valid span");
        assert_eq!(document.trace_id, "000000000000001f");
        assert_eq!(document.start_time_millis, 1_485_467_191_639);
        let json = serde_json::to_value(&document).expect("serializes");
        assert_eq!(json["tags"][4]["value"], serde_json::json!(2));
        assert_eq!(json["tags"][5]["value"], "00003039");
        let back: SpanDocument = serde_json::from_value(json).expect("deserializes");
        assert_eq!(document_to_span(back, &plain).expect("readable"), span());
    }

    #[test]
    fn tags_as_fields_round_trip_except_binary() {
        let all = TagsAsFields {
            all: true,
            ..TagsAsFields::default()
        };
        let document = span_to_document(&span(), &all).expect("a valid span");
        assert_eq!(document.tag["span@kind"], "server");
        assert_eq!(document.tags.len(), 1, "only the binary tag stays nested");
        let read = document_to_span(document, &all).expect("readable");
        let mut expected = span();
        let mut keys: Vec<_> = read.tags.iter().map(|tag| tag.key.clone()).collect();
        let mut written: Vec<_> = expected.tags.iter().map(|tag| tag.key.clone()).collect();
        keys.sort();
        written.sort();
        assert_eq!(keys, written);
        expected.tags.clear();
        assert_eq!(
            read.process.map(|p| p.tags),
            expected.process.map(|p| p.tags)
        );
    }

    #[test]
    fn string_values_of_old_jaeger_documents_are_read() {
        let old = serde_json::json!({
            "traceID": "1f", "spanID": "2", "parentSpanID": "1", "operationName": "op",
            "references": null, "startTime": 10, "startTimeMillis": 0, "duration": 1,
            "tags": [
                {"key": "b", "type": "bool", "value": "true"},
                {"key": "i", "type": "int64", "value": "-42"},
                {"key": "f", "type": "float64", "value": "0.5"}
            ],
            "logs": [{"timestamp": 11, "fields": null}],
            "process": {"serviceName": "svc", "tags": null}
        });
        let document: SpanDocument = serde_json::from_value(old).expect("deserializes");
        let read = document_to_span(document, &TagsAsFields::default()).expect("readable");
        assert_eq!(read.trace_id, TraceId::new(0, 0x1f).to_bytes().to_vec());
        assert_eq!(
            read.tags,
            vec![
                KeyValue::bool("b", true),
                KeyValue::int64("i", -42),
                KeyValue::float64("f", 0.5)
            ]
        );
        assert_eq!(read.references.len(), 1, "parentSpanID becomes a reference");
        assert!(read.logs[0].fields.is_empty());
    }

    #[test]
    fn malformed_ids_are_rejected_on_write_and_reported_on_read() {
        let mut bad = span();
        bad.trace_id = vec![1, 2, 3];
        let error = span_to_document(&bad, &TagsAsFields::default()).expect_err("rejected");
        assert_eq!(error.kind(), spur_storage::ErrorKind::InvalidArgument);
        let mut no_process = span();
        no_process.process = None;
        assert!(span_to_document(&no_process, &TagsAsFields::default()).is_err());
        let mut document = span_to_document(&span(), &TagsAsFields::default()).expect("valid");
        document.span_id = "xyz".into();
        assert!(document_to_span(document, &TagsAsFields::default()).is_err());
    }

    #[test]
    fn the_service_id_is_jaegers_fnv_hash_and_trace_ids_have_a_legacy_form() {
        // FNV-1a 64 of the empty input is the offset basis.
        let empty = ServiceDocument {
            service_name: String::new(),
            operation_name: String::new(),
        };
        assert_eq!(empty.id(), "cbf29ce484222325");
        let document = ServiceDocument {
            service_name: "a".into(),
            operation_name: String::new(),
        };
        assert_eq!(document.id(), "af63dc4c8601ec8c");
        assert_eq!(
            trace_id_forms(TraceId::new(0, 0x1f)),
            vec!["000000000000001f", "1f"]
        );
        assert_eq!(
            trace_id_forms(TraceId::new(u64::MAX, 1)).len(),
            1,
            "a full-width id has one form"
        );
    }
}
