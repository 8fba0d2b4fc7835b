//! Jaeger's Cassandra row shapes (schema v004) and the conversions between them and api_v2 spans:
//! the `keyvalue`, `log`, `span_ref` and `process` user-defined types, a `traces` row, the span
//! hash, the span kind written to `operation_names_v2`, and the time buckets of the indexes.

use prost::Message;
use scylla::{DeserializeRow, DeserializeValue, SerializeValue};
use spur_model::api_v2::{KeyValue, Log, Process, Span, SpanRef, SpanRefType, ValueType};
use spur_model::time::{
    duration_from_micros, micros_from_duration, micros_from_timestamp, timestamp_from_micros,
};
use spur_model::{SpanId, TraceId};
use spur_storage::StorageError;

/// Span warnings travel as string tags with this key prefix and a 1-based number, as Jaeger
/// stores them; reads turn them back into warnings.
pub const WARNING_TAG_PREFIX: &str = "$$span.warning.";

/// The `keyvalue` UDT. Every field is optional on read: Jaeger writes zero values, other writers
/// may leave fields null.
#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
pub struct KeyValueUdt {
    pub key: Option<String>,
    pub value_type: Option<String>,
    pub value_string: Option<String>,
    pub value_bool: Option<bool>,
    pub value_long: Option<i64>,
    pub value_double: Option<f64>,
    pub value_binary: Option<Vec<u8>>,
}

/// The `log` UDT: a timestamp in microseconds and its fields.
#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
pub struct LogUdt {
    pub ts: Option<i64>,
    pub fields: Option<Vec<KeyValueUdt>>,
}

/// The `span_ref` UDT: `child-of` or `follows-from`, a 16-byte trace id, a signed span id.
#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
pub struct SpanRefUdt {
    pub ref_type: Option<String>,
    pub trace_id: Option<Vec<u8>>,
    pub span_id: Option<i64>,
}

/// The `process` UDT.
#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
pub struct ProcessUdt {
    pub service_name: Option<String>,
    pub tags: Option<Vec<KeyValueUdt>>,
}

/// The `dependency` UDT of `dependencies_v2`.
#[derive(Debug, Clone, PartialEq, SerializeValue, DeserializeValue)]
pub struct DependencyUdt {
    pub parent: Option<String>,
    pub child: Option<String>,
    pub call_count: Option<i64>,
    pub source: Option<String>,
}

/// One row of `traces`, every column Jaeger's reader selects (all but `span_hash`).
#[derive(Debug, Clone, PartialEq, DeserializeRow)]
pub struct SpanRow {
    pub trace_id: Vec<u8>,
    pub span_id: i64,
    pub parent_id: Option<i64>,
    pub operation_name: Option<String>,
    pub flags: Option<i32>,
    pub start_time: Option<i64>,
    pub duration: Option<i64>,
    pub tags: Option<Vec<KeyValueUdt>>,
    pub logs: Option<Vec<LogUdt>>,
    pub refs: Option<Vec<SpanRefUdt>>,
    pub process: Option<ProcessUdt>,
}

/// A span ready to be written: its row values and what the indexes need.
#[derive(Debug, Clone)]
pub struct WritableSpan {
    pub trace_id: Vec<u8>,
    pub span_id: i64,
    pub span_hash: i64,
    pub operation_name: String,
    pub flags: i32,
    pub start_time: i64,
    pub duration: i64,
    pub tags: Vec<KeyValueUdt>,
    pub logs: Vec<LogUdt>,
    pub refs: Vec<SpanRefUdt>,
    pub process: ProcessUdt,
    pub service_name: String,
    pub span_kind: String,
}

/// Jaeger's firehose flag: such spans get no tag or duration index rows.
pub const FIREHOSE_FLAG: u32 = 8;

impl WritableSpan {
    /// Converts a span, rejecting one without a process or with malformed ids.
    pub fn from_span(span: &Span) -> Result<WritableSpan, StorageError> {
        let invalid = |message: String| StorageError::InvalidArgument(message);
        let Some(process) = &span.process else {
            return Err(invalid("span without a process".into()));
        };
        let trace_id = span.trace_id().map_err(|e| invalid(e.to_string()))?;
        let span_id = span.span_id().map_err(|e| invalid(e.to_string()))?;
        let mut tags: Vec<KeyValueUdt> = span.tags.iter().map(KeyValueUdt::from_model).collect();
        tags.extend(span.warnings.iter().zip(1..).map(|(warning, n)| {
            KeyValueUdt::from_model(&KeyValue::string(
                format!("{WARNING_TAG_PREFIX}{n}"),
                warning.clone(),
            ))
        }));
        Ok(WritableSpan {
            trace_id: trace_id.to_bytes().to_vec(),
            span_id: span_id.0 as i64,
            span_hash: span_hash(span),
            operation_name: span.operation_name.clone(),
            flags: span.flags as i32,
            start_time: span.start_time.as_ref().map_or(0, micros_from_timestamp),
            duration: span.duration.as_ref().map_or(0, micros_from_duration),
            tags,
            logs: span
                .logs
                .iter()
                .map(|log| LogUdt {
                    ts: Some(log.timestamp.as_ref().map_or(0, micros_from_timestamp)),
                    fields: Some(log.fields.iter().map(KeyValueUdt::from_model).collect()),
                })
                .collect(),
            refs: span.references.iter().map(SpanRefUdt::from_model).collect(),
            process: ProcessUdt {
                service_name: Some(process.service_name.clone()),
                tags: Some(process.tags.iter().map(KeyValueUdt::from_model).collect()),
            },
            service_name: process.service_name.clone(),
            span_kind: spur_storage::matching::span_kind(span).to_owned(),
        })
    }

    pub fn is_firehose(&self) -> bool {
        self.flags as u32 & FIREHOSE_FLAG != 0
    }
}

/// A stable 64-bit hash of the whole span: the same span always gets the same one (so a
/// redelivered span overwrites its row), spans sharing ids but differing get different ones
/// (Zipkin's shared client/server span ids). Jaeger hashes its own encoding; any stable value
/// serves, as Jaeger's reader never interprets it.
pub fn span_hash(span: &Span) -> i64 {
    xxhash_rust::xxh3::xxh3_64(&span.encode_to_vec()) as i64
}

impl KeyValueUdt {
    pub fn from_model(tag: &KeyValue) -> KeyValueUdt {
        let value_type = ValueType::try_from(tag.v_type).unwrap_or(ValueType::String);
        // Every field set, zero where unused, as Jaeger's writer fills it: readers decoding
        // into plain types (Jaeger's own) need no nulls.
        let mut udt = KeyValueUdt {
            key: Some(tag.key.clone()),
            value_type: Some(value_type_name(value_type).to_owned()),
            value_string: Some(String::new()),
            value_bool: Some(false),
            value_long: Some(0),
            value_double: Some(0.0),
            value_binary: Some(Vec::new()),
        };
        match value_type {
            ValueType::String => udt.value_string = Some(tag.v_str.clone()),
            ValueType::Bool => udt.value_bool = Some(tag.v_bool),
            ValueType::Int64 => udt.value_long = Some(tag.v_int64),
            ValueType::Float64 => udt.value_double = Some(tag.v_float64),
            ValueType::Binary => udt.value_binary = Some(tag.v_binary.clone()),
        }
        udt
    }

    pub fn into_model(self) -> KeyValue {
        let key = self.key.unwrap_or_default();
        match self.value_type.as_deref() {
            Some("bool") => KeyValue::bool(key, self.value_bool.unwrap_or_default()),
            Some("int64") => KeyValue::int64(key, self.value_long.unwrap_or_default()),
            Some("float64") => KeyValue::float64(key, self.value_double.unwrap_or_default()),
            Some("binary") => KeyValue::binary(key, self.value_binary.unwrap_or_default()),
            _ => KeyValue::string(key, self.value_string.unwrap_or_default()),
        }
    }
}

fn value_type_name(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::String => "string",
        ValueType::Bool => "bool",
        ValueType::Int64 => "int64",
        ValueType::Float64 => "float64",
        ValueType::Binary => "binary",
    }
}

impl SpanRefUdt {
    fn from_model(reference: &SpanRef) -> SpanRefUdt {
        let ref_type = if reference.ref_type == SpanRefType::FollowsFrom as i32 {
            "follows-from"
        } else {
            "child-of"
        };
        // A well-formed id is stored as Jaeger does (16 bytes); anything else as given.
        let trace_id = TraceId::from_bytes(&reference.trace_id)
            .map_or_else(|_| reference.trace_id.clone(), |id| id.to_bytes().to_vec());
        SpanRefUdt {
            ref_type: Some(ref_type.to_owned()),
            trace_id: Some(trace_id),
            span_id: Some(SpanId::from_bytes(&reference.span_id).map_or(0, |id| id.0 as i64)),
        }
    }

    fn into_model(self) -> SpanRef {
        let ref_type = match self.ref_type.as_deref() {
            Some("follows-from") => SpanRefType::FollowsFrom,
            _ => SpanRefType::ChildOf,
        };
        SpanRef {
            trace_id: self.trace_id.unwrap_or_default(),
            span_id: SpanId(self.span_id.unwrap_or_default() as u64)
                .to_bytes()
                .to_vec(),
            ref_type: ref_type as i32,
        }
    }
}

impl SpanRow {
    /// The api_v2 span this row holds, as Jaeger's reader rebuilds it: a non-zero `parent_id`
    /// without a matching reference becomes a CHILD_OF reference, warning tags become warnings.
    pub fn into_span(self) -> Result<Span, StorageError> {
        let trace_id = TraceId::from_bytes(&self.trace_id)
            .map_err(|e| StorageError::Internal(format!("a traces row: {e}")))?;
        let trace_id_bytes = trace_id.to_bytes().to_vec();
        let span_id = SpanId(self.span_id as u64);
        let mut references: Vec<SpanRef> = self
            .refs
            .unwrap_or_default()
            .into_iter()
            .map(SpanRefUdt::into_model)
            .collect();
        if let Some(parent) = self.parent_id.filter(|parent| *parent != 0) {
            let parent_bytes = SpanId(parent as u64).to_bytes().to_vec();
            if !references.iter().any(|r| r.span_id == parent_bytes) {
                references.insert(
                    0,
                    SpanRef {
                        trace_id: trace_id_bytes.clone(),
                        span_id: parent_bytes,
                        ref_type: SpanRefType::ChildOf as i32,
                    },
                );
            }
        }
        let mut tags = Vec::new();
        let mut warnings: Vec<(u32, String)> = Vec::new();
        for tag in self.tags.unwrap_or_default() {
            let tag = tag.into_model();
            match tag.key.strip_prefix(WARNING_TAG_PREFIX) {
                Some(number) => warnings.push((number.parse().unwrap_or(u32::MAX), tag.v_str)),
                None => tags.push(tag),
            }
        }
        warnings.sort_by_key(|(number, _)| *number);
        let process = self.process.map(|process| Process {
            service_name: process.service_name.unwrap_or_default(),
            tags: process
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(KeyValueUdt::into_model)
                .collect(),
        });
        Ok(Span {
            trace_id: trace_id_bytes,
            span_id: span_id.to_bytes().to_vec(),
            operation_name: self.operation_name.unwrap_or_default(),
            references,
            flags: self.flags.unwrap_or_default() as u32,
            start_time: Some(timestamp_from_micros(self.start_time.unwrap_or_default())),
            duration: Some(duration_from_micros(self.duration.unwrap_or_default())),
            tags,
            logs: self
                .logs
                .unwrap_or_default()
                .into_iter()
                .map(|log| Log {
                    timestamp: Some(timestamp_from_micros(log.ts.unwrap_or_default())),
                    fields: log
                        .fields
                        .unwrap_or_default()
                        .into_iter()
                        .map(KeyValueUdt::into_model)
                        .collect(),
                })
                .collect(),
            process,
            process_id: String::new(),
            warnings: warnings.into_iter().map(|(_, warning)| warning).collect(),
        })
    }
}

const HOUR_MICROS: i64 = 3_600_000_000;
const DAY_MILLIS: i64 = 86_400_000;

/// The `duration_index` bucket of a start time: the hour nearest to it (Go's `Time.Round`,
/// halves up), in milliseconds as a CQL `timestamp`.
pub fn hour_bucket_millis(start_micros: i64) -> i64 {
    let rounded = (start_micros + HOUR_MICROS / 2).div_euclid(HOUR_MICROS) * HOUR_MICROS;
    rounded / 1000
}

/// Every `duration_index` bucket a start-time window can have rows in, newest first.
pub fn hour_buckets_millis(min_micros: i64, max_micros: i64) -> Vec<i64> {
    let (first, last) = (
        hour_bucket_millis(min_micros),
        hour_bucket_millis(max_micros),
    );
    let step = HOUR_MICROS / 1000;
    let count = ((last - first) / step).max(0);
    (0..=count).map(|n| last - n * step).collect()
}

/// The `dependencies_v2` bucket of a timestamp (ms): its UTC day.
pub fn day_bucket_millis(millis: i64) -> i64 {
    millis.div_euclid(DAY_MILLIS) * DAY_MILLIS
}

/// Every day bucket of a window in milliseconds, oldest first.
pub fn day_buckets_millis(min_millis: i64, max_millis: i64) -> Vec<i64> {
    let (first, last) = (day_bucket_millis(min_millis), day_bucket_millis(max_millis));
    let count = ((last - first) / DAY_MILLIS).max(0);
    (0..=count).map(|n| first + n * DAY_MILLIS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_with_everything() -> Span {
        let trace_id = TraceId::new(7, 9);
        Span {
            trace_id: trace_id.to_bytes().to_vec(),
            span_id: SpanId(u64::MAX - 3).to_bytes().to_vec(),
            operation_name: "GET /".into(),
            references: vec![
                SpanRef::new(trace_id, SpanId(11), SpanRefType::ChildOf),
                SpanRef::new(TraceId::new(1, 2), SpanId(12), SpanRefType::FollowsFrom),
            ],
            flags: 1,
            start_time: Some(timestamp_from_micros(1_700_000_000_123_456)),
            duration: Some(duration_from_micros(4_321)),
            tags: vec![
                KeyValue::string("s", ""),
                KeyValue::bool("b", true),
                KeyValue::int64("i", -5),
                KeyValue::float64("f", 0.25),
                KeyValue::binary("x", vec![0, 255]),
            ],
            logs: vec![Log {
                timestamp: Some(timestamp_from_micros(1_700_000_000_200_000)),
                fields: vec![KeyValue::string("event", "retry")],
            }],
            process: Some(Process {
                service_name: "frontend".into(),
                tags: vec![KeyValue::string("hostname", "h1")],
            }),
            process_id: String::new(),
            warnings: vec!["first".into(), "second".into()],
        }
    }

    fn row_of(span: &WritableSpan) -> SpanRow {
        SpanRow {
            trace_id: span.trace_id.clone(),
            span_id: span.span_id,
            parent_id: Some(0),
            operation_name: Some(span.operation_name.clone()),
            flags: Some(span.flags),
            start_time: Some(span.start_time),
            duration: Some(span.duration),
            tags: Some(span.tags.clone()),
            logs: Some(span.logs.clone()),
            refs: Some(span.refs.clone()),
            process: Some(span.process.clone()),
        }
    }

    #[test]
    fn a_span_round_trips_through_a_row() {
        let span = span_with_everything();
        let writable = WritableSpan::from_span(&span).expect("a valid span");
        assert_eq!(
            writable.span_id,
            (u64::MAX - 3) as i64,
            "signed bigint span id"
        );
        assert_eq!(writable.tags.len(), 7, "five tags and two warning tags");
        let read = row_of(&writable).into_span().expect("a readable row");
        assert_eq!(read, span);
    }

    #[test]
    fn a_parent_id_column_becomes_a_child_of_reference() {
        let mut span = span_with_everything();
        span.references.clear();
        let mut row = row_of(&WritableSpan::from_span(&span).expect("valid"));
        row.parent_id = Some(42);
        let read = row.into_span().expect("readable");
        assert_eq!(
            read.references,
            vec![SpanRef::new(
                TraceId::new(7, 9),
                SpanId(42),
                SpanRefType::ChildOf
            )]
        );
    }

    #[test]
    fn invalid_spans_are_rejected() {
        let mut span = span_with_everything();
        span.process = None;
        assert!(matches!(
            WritableSpan::from_span(&span),
            Err(StorageError::InvalidArgument(_))
        ));
        let mut span = span_with_everything();
        span.span_id = vec![1, 2, 3];
        assert!(matches!(
            WritableSpan::from_span(&span),
            Err(StorageError::InvalidArgument(_))
        ));
    }

    #[test]
    fn the_span_hash_tells_apart_spans_sharing_ids() {
        let span = span_with_everything();
        let mut other = span.clone();
        other.operation_name = "POST /".into();
        assert_eq!(span_hash(&span), span_hash(&span.clone()));
        assert_ne!(span_hash(&span), span_hash(&other));
    }

    #[test]
    fn hour_buckets_round_half_up_like_go() {
        let hour = HOUR_MICROS;
        assert_eq!(
            hour_bucket_millis(10 * hour + hour / 2 - 1),
            10 * hour / 1000
        );
        assert_eq!(hour_bucket_millis(10 * hour + hour / 2), 11 * hour / 1000);
        assert_eq!(
            hour_buckets_millis(10 * hour, 12 * hour + 1),
            vec![12 * hour / 1000, 11 * hour / 1000, 10 * hour / 1000]
        );
    }

    #[test]
    fn day_buckets_cover_the_window() {
        let day = DAY_MILLIS;
        assert_eq!(day_buckets_millis(day + 5, 3 * day - 1), vec![day, 2 * day]);
        assert_eq!(day_buckets_millis(day, day), vec![day]);
    }
}
