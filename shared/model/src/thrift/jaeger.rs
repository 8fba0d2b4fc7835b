//! `jaeger.thrift` structs read straight into the api_v2 model (Jaeger's thrift→domain rules):
//! ids from their i64 halves, µs times to Timestamp/Duration, TagType to ValueType, and a
//! non-zero `parentSpanId` prepended as a CHILD_OF reference unless already present.
//! Required fields are enforced as Jaeger's generated Go code does.

use super::ThriftBatch;
use super::protocol::{Protocol, TType, skip};
use crate::api_v2::{Batch, KeyValue, Log, Process, Span, SpanRef, SpanRefType};
use crate::time::{duration_from_micros, timestamp_from_micros};
use crate::{DecodeError, SpanId, TraceId};

/// Thrift `TagType` codes (their order differs from api_v2 `ValueType`).
mod tag_type {
    pub const STRING: i32 = 0;
    pub const DOUBLE: i32 = 1;
    pub const BOOL: i32 = 2;
    pub const LONG: i32 = 3;
    pub const BINARY: i32 = 4;
}

/// Records which required fields were seen, to report the first missing one by name.
struct Required<const N: usize> {
    seen: [bool; N],
    names: [&'static str; N],
}

impl<const N: usize> Required<N> {
    fn new(names: [&'static str; N]) -> Self {
        Required {
            seen: [false; N],
            names,
        }
    }

    fn mark(&mut self, index: usize) {
        if let Some(seen) = self.seen.get_mut(index) {
            *seen = true;
        }
    }

    fn check(&self) -> Result<(), DecodeError> {
        match self.seen.iter().position(|seen| !seen) {
            Some(index) => Err(DecodeError::MissingField {
                field: self.names[index],
            }),
            None => Ok(()),
        }
    }
}

/// Reads the `emitBatch` args struct of an agent datagram: field 1 is the batch.
pub(crate) fn read_emit_batch_args<'a, P: Protocol<'a>>(
    protocol: &mut P,
) -> Result<ThriftBatch, DecodeError> {
    let mut batch = None;
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::Struct) => batch = Some(read_batch(protocol)?),
            _ => skip(protocol, field_type, 0)?,
        }
    }
    protocol.struct_end();
    batch.ok_or(DecodeError::MissingField {
        field: "emitBatch.batch",
    })
}

pub(crate) fn read_batch<'a, P: Protocol<'a>>(
    protocol: &mut P,
) -> Result<ThriftBatch, DecodeError> {
    let mut required = Required::new(["Batch.process", "Batch.spans"]);
    let mut batch = ThriftBatch {
        batch: Batch::default(),
        seq_no: None,
        stats: None,
    };
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::Struct) => {
                batch.batch.process = Some(read_process(protocol)?);
                required.mark(0);
            }
            (2, TType::List) => {
                let count = list_of_structs(protocol, "Batch.spans")?;
                batch.batch.spans.reserve(count);
                for _ in 0..count {
                    batch.batch.spans.push(read_span(protocol)?);
                }
                required.mark(1);
            }
            (3, TType::I64) => batch.seq_no = Some(protocol.read_i64()?),
            (4, TType::Struct) => batch.stats = Some(read_client_stats(protocol)?),
            _ => skip(protocol, field_type, 0)?,
        }
    }
    protocol.struct_end();
    required.check()?;
    Ok(batch)
}

/// Client-side drop counters an SDK reports with each batch (consumed by agent metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    pub full_queue_dropped_spans: i64,
    pub too_large_dropped_spans: i64,
    pub failed_to_emit_spans: i64,
}

fn read_client_stats<'a, P: Protocol<'a>>(protocol: &mut P) -> Result<ClientStats, DecodeError> {
    let mut required = Required::new([
        "ClientStats.fullQueueDroppedSpans",
        "ClientStats.tooLargeDroppedSpans",
        "ClientStats.failedToEmitSpans",
    ]);
    let mut stats = ClientStats::default();
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::I64) => stats.full_queue_dropped_spans = protocol.read_i64()?,
            (2, TType::I64) => stats.too_large_dropped_spans = protocol.read_i64()?,
            (3, TType::I64) => stats.failed_to_emit_spans = protocol.read_i64()?,
            _ => {
                skip(protocol, field_type, 0)?;
                continue;
            }
        }
        required.mark(usize::try_from(id - 1).unwrap_or(usize::MAX));
    }
    protocol.struct_end();
    required.check()?;
    Ok(stats)
}

fn read_process<'a, P: Protocol<'a>>(protocol: &mut P) -> Result<Process, DecodeError> {
    let mut service_name = None;
    let mut tags = Vec::new();
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::Binary) => service_name = Some(protocol.read_string("Process.serviceName")?),
            (2, TType::List) => tags = read_tags(protocol, "Process.tags")?,
            _ => skip(protocol, field_type, 0)?,
        }
    }
    protocol.struct_end();
    let service_name = service_name.ok_or(DecodeError::MissingField {
        field: "Process.serviceName",
    })?;
    Ok(Process { service_name, tags })
}

fn read_span<'a, P: Protocol<'a>>(protocol: &mut P) -> Result<Span, DecodeError> {
    let mut required = Required::new([
        "Span.traceIdLow",
        "Span.traceIdHigh",
        "Span.spanId",
        "Span.parentSpanId",
        "Span.operationName",
        "Span.flags",
        "Span.startTime",
        "Span.duration",
    ]);
    let (mut trace_low, mut trace_high, mut span_id, mut parent_id) = (0i64, 0i64, 0i64, 0i64);
    let (mut start_time, mut duration) = (0i64, 0i64);
    let mut span = Span::default();
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::I64) => trace_low = protocol.read_i64()?,
            (2, TType::I64) => trace_high = protocol.read_i64()?,
            (3, TType::I64) => span_id = protocol.read_i64()?,
            (4, TType::I64) => parent_id = protocol.read_i64()?,
            (5, TType::Binary) => {
                span.operation_name = protocol.read_string("Span.operationName")?
            }
            (6, TType::List) => {
                let count = list_of_structs(protocol, "Span.references")?;
                span.references.reserve(count);
                for _ in 0..count {
                    span.references.push(read_span_ref(protocol)?);
                }
            }
            (7, TType::I32) => span.flags = protocol.read_i32()? as u32,
            (8, TType::I64) => start_time = protocol.read_i64()?,
            (9, TType::I64) => duration = protocol.read_i64()?,
            (10, TType::List) => span.tags = read_tags(protocol, "Span.tags")?,
            (11, TType::List) => {
                let count = list_of_structs(protocol, "Span.logs")?;
                span.logs.reserve(count);
                for _ in 0..count {
                    span.logs.push(read_log(protocol)?);
                }
            }
            _ => {
                skip(protocol, field_type, 0)?;
                continue;
            }
        }
        if (1..=9).contains(&id) && id != 6 {
            let index = if id > 6 { id - 2 } else { id - 1 };
            required.mark(usize::try_from(index).unwrap_or(usize::MAX));
        }
    }
    protocol.struct_end();
    required.check()?;

    let trace_id = TraceId::new(trace_high as u64, trace_low as u64);
    span.trace_id = trace_id.to_bytes().to_vec();
    span.span_id = SpanId(span_id as u64).to_bytes().to_vec();
    span.start_time = Some(timestamp_from_micros(start_time));
    span.duration = Some(duration_from_micros(duration));
    if parent_id != 0 {
        add_parent_reference(&mut span, trace_id, SpanId(parent_id as u64));
    }
    Ok(span)
}

/// Jaeger's `MaybeAddParentSpanID`: prepend a CHILD_OF reference to the parent unless some
/// reference already points at it.
fn add_parent_reference(span: &mut Span, trace_id: TraceId, parent: SpanId) {
    let trace_bytes = trace_id.to_bytes();
    let parent_bytes = parent.to_bytes();
    let present = span
        .references
        .iter()
        .any(|r| r.span_id.as_slice() == parent_bytes && r.trace_id.as_slice() == trace_bytes);
    if !present {
        span.references
            .insert(0, SpanRef::new(trace_id, parent, SpanRefType::ChildOf));
    }
}

fn read_span_ref<'a, P: Protocol<'a>>(protocol: &mut P) -> Result<SpanRef, DecodeError> {
    let mut required = Required::new([
        "SpanRef.refType",
        "SpanRef.traceIdLow",
        "SpanRef.traceIdHigh",
        "SpanRef.spanId",
    ]);
    let (mut ref_type, mut low, mut high, mut span_id) = (0i32, 0i64, 0i64, 0i64);
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::I32) => ref_type = protocol.read_i32()?,
            (2, TType::I64) => low = protocol.read_i64()?,
            (3, TType::I64) => high = protocol.read_i64()?,
            (4, TType::I64) => span_id = protocol.read_i64()?,
            _ => {
                skip(protocol, field_type, 0)?;
                continue;
            }
        }
        required.mark(usize::try_from(id - 1).unwrap_or(usize::MAX));
    }
    protocol.struct_end();
    required.check()?;
    Ok(SpanRef {
        trace_id: TraceId::new(high as u64, low as u64).to_bytes().to_vec(),
        span_id: SpanId(span_id as u64).to_bytes().to_vec(),
        ref_type,
    })
}

fn read_log<'a, P: Protocol<'a>>(protocol: &mut P) -> Result<Log, DecodeError> {
    let mut required = Required::new(["Log.timestamp", "Log.fields"]);
    let mut log = Log::default();
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::I64) => log.timestamp = Some(timestamp_from_micros(protocol.read_i64()?)),
            (2, TType::List) => log.fields = read_tags(protocol, "Log.fields")?,
            _ => {
                skip(protocol, field_type, 0)?;
                continue;
            }
        }
        required.mark(usize::try_from(id - 1).unwrap_or(usize::MAX));
    }
    protocol.struct_end();
    required.check()?;
    Ok(log)
}

fn read_tags<'a, P: Protocol<'a>>(
    protocol: &mut P,
    field: &'static str,
) -> Result<Vec<KeyValue>, DecodeError> {
    let count = list_of_structs(protocol, field)?;
    let mut tags = Vec::with_capacity(count);
    for _ in 0..count {
        tags.push(read_tag(protocol)?);
    }
    Ok(tags)
}

fn read_tag<'a, P: Protocol<'a>>(protocol: &mut P) -> Result<KeyValue, DecodeError> {
    let (mut key, mut thrift_type) = (None, None);
    let (mut v_str, mut v_double, mut v_bool, mut v_long, mut v_binary) =
        (String::new(), 0.0, false, 0i64, Vec::new());
    protocol.struct_begin()?;
    while let Some((field_type, id)) = protocol.field_begin()? {
        match (id, field_type) {
            (1, TType::Binary) => key = Some(protocol.read_string("Tag.key")?),
            (2, TType::I32) => thrift_type = Some(protocol.read_i32()?),
            (3, TType::Binary) => v_str = protocol.read_string("Tag.vStr")?,
            (4, TType::Double) => v_double = protocol.read_double()?,
            (5, TType::Bool) => v_bool = protocol.read_bool()?,
            (6, TType::I64) => v_long = protocol.read_i64()?,
            (7, TType::Binary) => v_binary = protocol.read_bytes()?.to_vec(),
            _ => skip(protocol, field_type, 0)?,
        }
    }
    protocol.struct_end();
    let key = key.ok_or(DecodeError::MissingField { field: "Tag.key" })?;
    let thrift_type = thrift_type.ok_or(DecodeError::MissingField { field: "Tag.vType" })?;
    // Only the value named by the type is kept, as Jaeger's converter does.
    Ok(match thrift_type {
        tag_type::STRING => KeyValue::string(key, v_str),
        tag_type::DOUBLE => KeyValue::float64(key, v_double),
        tag_type::BOOL => KeyValue::bool(key, v_bool),
        tag_type::LONG => KeyValue::int64(key, v_long),
        tag_type::BINARY => KeyValue::binary(key, v_binary),
        // Jaeger keeps the tag, as a string that says what went wrong.
        unknown => KeyValue::string(key, format!("Unknown VType: {unknown}")),
    })
}

/// Reads a list header whose elements must be structs.
fn list_of_structs<'a, P: Protocol<'a>>(
    protocol: &mut P,
    field: &'static str,
) -> Result<usize, DecodeError> {
    let (element_type, count) = protocol.list_begin()?;
    if element_type != TType::Struct && count > 0 {
        return Err(DecodeError::malformed(
            "thrift",
            format!("{field} holds {element_type:?} elements, expected structs"),
        ));
    }
    Ok(count)
}
