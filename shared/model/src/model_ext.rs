//! Small conveniences on the generated api_v2 types: typed tag constructors and id accessors.
//! Decoders build spans through these so every format fills the model the same way.

use crate::api_v2::{KeyValue, Span, SpanRef, SpanRefType, ValueType};
use crate::{DecodeError, SpanId, TraceId};

impl KeyValue {
    pub fn string(key: impl Into<String>, value: impl Into<String>) -> Self {
        KeyValue {
            key: key.into(),
            v_str: value.into(),
            ..Default::default()
        }
    }

    pub fn bool(key: impl Into<String>, value: bool) -> Self {
        KeyValue {
            key: key.into(),
            v_type: ValueType::Bool as i32,
            v_bool: value,
            ..Default::default()
        }
    }

    pub fn int64(key: impl Into<String>, value: i64) -> Self {
        KeyValue {
            key: key.into(),
            v_type: ValueType::Int64 as i32,
            v_int64: value,
            ..Default::default()
        }
    }

    pub fn float64(key: impl Into<String>, value: f64) -> Self {
        KeyValue {
            key: key.into(),
            v_type: ValueType::Float64 as i32,
            v_float64: value,
            ..Default::default()
        }
    }

    pub fn binary(key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        KeyValue {
            key: key.into(),
            v_type: ValueType::Binary as i32,
            v_binary: value.into(),
            ..Default::default()
        }
    }
}

impl SpanRef {
    pub fn new(trace_id: TraceId, span_id: SpanId, ref_type: SpanRefType) -> Self {
        SpanRef {
            trace_id: trace_id.to_bytes().to_vec(),
            span_id: span_id.to_bytes().to_vec(),
            ref_type: ref_type as i32,
        }
    }
}

impl Span {
    /// The span's trace id (errors if the bytes are neither 16 nor 8 long).
    pub fn trace_id(&self) -> Result<TraceId, DecodeError> {
        TraceId::from_bytes(&self.trace_id)
    }

    pub fn span_id(&self) -> Result<SpanId, DecodeError> {
        SpanId::from_bytes(&self.span_id)
    }

    /// Jaeger's `ParentSpanID()`: the first CHILD_OF reference in the same trace, else the first
    /// FOLLOWS_FROM in the same trace, else none.
    pub fn parent_span_id(&self) -> Option<SpanId> {
        let first_of = |kind: SpanRefType| {
            self.references
                .iter()
                .find(|r| r.ref_type == kind as i32 && r.trace_id == self.trace_id)
                .and_then(|r| SpanId::from_bytes(&r.span_id).ok())
        };
        first_of(SpanRefType::ChildOf).or_else(|| first_of(SpanRefType::FollowsFrom))
    }
}
