//! The Kafka message encodings Jaeger's collector writes and its ingester reads: one
//! `jaeger.api_v2.Span` per message with the process embedded, keyed by the trace id's hex form,
//! as protobuf (`protobuf`, the default) or proto3 JSON (`json`: camelCase keys, base64 ids,
//! RFC 3339 times, `"0.000005s"` durations, 64-bit ints as strings, defaults omitted).
//!
//! Decoding normalizes ids to the model's invariant (16-byte trace ids, 8-byte span ids), so a
//! message from any Jaeger version reads the same.

use std::str::FromStr;

use bytes::Bytes;
use prost::Message;

use crate::api_v2::Span;
use crate::span_view::{CheckedProcesses, EncodedSpan};
use crate::{DecodeError, SpanId, TraceId};

/// `kafka.producer.encoding` / `kafka.consumer.encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Protobuf,
    Json,
}

impl FromStr for Encoding {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "protobuf" => Ok(Encoding::Protobuf),
            "json" => Ok(Encoding::Json),
            other => Err(format!(
                "unknown Kafka encoding {other:?}: expected protobuf or json"
            )),
        }
    }
}

/// The message key: the trace id in Jaeger's hex form, so a trace stays in one partition.
pub fn message_key(span: &Span) -> Result<String, DecodeError> {
    Ok(span.trace_id()?.to_string())
}

/// Appends the span's protobuf encoding to `out` (reuse one buffer across messages).
pub fn encode_protobuf_into(span: &Span, out: &mut Vec<u8>) {
    // Encoding into a Vec cannot run out of capacity.
    let _ = span.encode(out);
}

pub fn encode_protobuf(span: &Span) -> Vec<u8> {
    span.encode_to_vec()
}

/// The proto3 JSON form of the span (Jaeger's `jsonpb` Kafka encoding).
pub fn encode_json(span: &Span) -> Vec<u8> {
    // The generated serializer only fails on non-string map keys, which the model has none of.
    serde_json::to_vec(span).unwrap_or_default()
}

pub fn decode_protobuf(payload: &[u8]) -> Result<Span, DecodeError> {
    let mut span = Span::decode(payload)?;
    normalize(&mut span)?;
    Ok(span)
}

pub fn decode_json(payload: &[u8]) -> Result<Span, DecodeError> {
    let mut span: Span = serde_json::from_slice(payload)?;
    normalize(&mut span)?;
    Ok(span)
}

pub fn encode(span: &Span, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Protobuf => encode_protobuf(span),
        Encoding::Json => encode_json(span),
    }
}

pub fn decode(payload: &[u8], encoding: Encoding) -> Result<Span, DecodeError> {
    match encoding {
        Encoding::Protobuf => decode_protobuf(payload),
        Encoding::Json => decode_json(payload),
    }
}

/// A payload as api_v2 protobuf in the form [`decode_protobuf`] gives (what storage keeps),
/// checked: the payload itself, uncopied, when it is already in that form (read in place by
/// [`crate::span_view::SpanView`], no decoding), else decoded and encoded again. `checked`
/// remembers the processes checked, for the next payloads of a batch.
pub fn normalized_protobuf(
    payload: &Bytes,
    encoding: Encoding,
    checked: &mut CheckedProcesses,
) -> Result<EncodedSpan, DecodeError> {
    if encoding == Encoding::Protobuf
        && let Ok(span) = EncodedSpan::parse_with(payload.clone(), checked)
        && span.view().kafka_ready
    {
        return Ok(span);
    }
    let span = decode(payload, encoding)?;
    EncodedSpan::parse_with(Bytes::from(encode_protobuf(&span)), checked).map_err(|_| {
        DecodeError::Malformed {
            format: "protobuf",
            reason: "the decoded span does not read back once encoded".into(),
        }
    })
}

/// Validates ids, widens 8-byte trace ids to 16 bytes (Jaeger accepts both on read), and fills
/// absent times with zero (Go's non-nullable fields read an absent time as zero; its jsonpb
/// writes nothing for a zero duration).
fn normalize(span: &mut Span) -> Result<(), DecodeError> {
    span.start_time.get_or_insert_with(Default::default);
    span.duration.get_or_insert_with(Default::default);
    for log in &mut span.logs {
        log.timestamp.get_or_insert_with(Default::default);
    }
    widen_trace_id(&mut span.trace_id)?;
    SpanId::from_bytes(&span.span_id)?;
    for reference in &mut span.references {
        widen_trace_id(&mut reference.trace_id)?;
        SpanId::from_bytes(&reference.span_id)?;
    }
    Ok(())
}

fn widen_trace_id(bytes: &mut Vec<u8>) -> Result<(), DecodeError> {
    let trace_id = TraceId::from_bytes(bytes)?;
    if bytes.len() != 16 {
        *bytes = trace_id.to_bytes().to_vec();
    }
    Ok(())
}
