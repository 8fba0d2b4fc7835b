//! Encoding a write's spans into Kafka messages before anything is enqueued: each span checked
//! against the storage contract (a process, well-formed ids), 8-byte trace ids widened to 16 as
//! Jaeger writes them, keyed by the trace id's hex form, all in one buffer; a batch's shared
//! process encoded once. Not its business: enqueueing (`writer`).

use std::io::Write as _;
use std::ops::Range;

use spur_model::api_v2::{Process, Span};
use spur_model::kafka::{self, Encoding};
use spur_model::{SpanId, TraceId};
use spur_storage::StorageError;

/// A write's messages, encoded into one buffer before anything is enqueued.
pub(crate) struct Encoded {
    pub(crate) bytes: Vec<u8>,
    pub(crate) messages: Vec<EncodedMessage>,
}

pub(crate) struct EncodedMessage {
    pub(crate) key: Range<usize>,
    pub(crate) value: Range<usize>,
}

impl Encoded {
    /// Checks and encodes every span; one malformed span rejects the write
    /// (`InvalidArgument`). 8-byte trace ids are widened to 16 bytes, as Jaeger always writes
    /// them.
    pub(crate) fn new(mut spans: Vec<Span>, encoding: Encoding) -> Result<Self, StorageError> {
        let mut bytes = Vec::with_capacity(spans.len() * 512);
        let mut messages = Vec::with_capacity(spans.len());
        for (index, span) in spans.iter_mut().enumerate() {
            let trace_id = check_span(span)
                .map_err(|why| StorageError::InvalidArgument(format!("span {index}: {why}")))?;
            let key_start = bytes.len();
            // Writing into a Vec cannot fail.
            let _ = write!(bytes, "{trace_id}");
            let value_start = bytes.len();
            match encoding {
                Encoding::Protobuf => kafka::encode_protobuf_into(span, &mut bytes),
                Encoding::Json => bytes.extend_from_slice(&kafka::encode_json(span)),
            }
            messages.push(EncodedMessage {
                key: key_start..value_start,
                value: value_start..bytes.len(),
            });
        }
        Ok(Encoded { bytes, messages })
    }
}

impl Encoded {
    /// Protobuf messages of spans sharing `process`: see `crate::KafkaSpanWriter`'s `write_batch`.
    pub(crate) fn with_shared_process(
        mut spans: Vec<Span>,
        process: &Process,
    ) -> Result<Self, StorageError> {
        let mut process_field = Vec::with_capacity(256);
        prost::encoding::message::encode(PROCESS_FIELD, process, &mut process_field);
        let mut bytes = Vec::with_capacity(spans.len() * 512);
        let mut messages = Vec::with_capacity(spans.len());
        for (index, span) in spans.iter_mut().enumerate() {
            let shared = span.process.is_none();
            let checked = if shared {
                check_ids(span)
            } else {
                check_span(span)
            };
            let trace_id = checked
                .map_err(|why| StorageError::InvalidArgument(format!("span {index}: {why}")))?;
            let key_start = bytes.len();
            let _ = write!(bytes, "{trace_id}");
            let value_start = bytes.len();
            kafka::encode_protobuf_into(span, &mut bytes);
            if shared {
                bytes.extend_from_slice(&process_field);
            }
            messages.push(EncodedMessage {
                key: key_start..value_start,
                value: value_start..bytes.len(),
            });
        }
        Ok(Encoded { bytes, messages })
    }
}

/// `Span.process`'s field number in `jaeger.api_v2.Span`.
const PROCESS_FIELD: u32 = 10;

/// The storage contract's requirements of a span (a process, well-formed ids, references
/// included, so the ingester can decode it); widens 8-byte trace ids. Returns the trace id.
fn check_span(span: &mut Span) -> Result<TraceId, String> {
    if span.process.is_none() {
        return Err("no process".to_owned());
    }
    check_ids(span)
}

/// Well-formed ids (references included); widens 8-byte trace ids. Returns the trace id.
fn check_ids(span: &mut Span) -> Result<TraceId, String> {
    let trace_id = widen_trace_id(&mut span.trace_id)?;
    SpanId::from_bytes(&span.span_id).map_err(|error| error.to_string())?;
    for reference in &mut span.references {
        widen_trace_id(&mut reference.trace_id).map_err(|why| format!("reference: {why}"))?;
        SpanId::from_bytes(&reference.span_id).map_err(|error| format!("reference: {error}"))?;
    }
    Ok(trace_id)
}

fn widen_trace_id(bytes: &mut Vec<u8>) -> Result<TraceId, String> {
    let trace_id = TraceId::from_bytes(bytes).map_err(|error| error.to_string())?;
    if bytes.len() != 16 {
        *bytes = trace_id.to_bytes().to_vec();
    }
    Ok(trace_id)
}

#[cfg(test)]
mod tests {
    use spur_model::api_v2::{KeyValue, SpanRef, SpanRefType};

    use super::*;
    fn span(trace_id: Vec<u8>) -> Span {
        Span {
            trace_id,
            span_id: 7u64.to_be_bytes().to_vec(),
            operation_name: "get".into(),
            process: Some(Process {
                service_name: "shop".into(),
                tags: Vec::new(),
            }),
            ..Span::default()
        }
    }

    #[test]

    fn messages_are_keyed_by_the_trace_id_hex_and_encoded_as_configured() {
        let short = span(5u64.to_be_bytes().to_vec());
        let long = span(TraceId::new(1, 2).to_bytes().to_vec());
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            let batch = Encoded::new(vec![short.clone(), long.clone()], encoding).unwrap();
            let keys: Vec<&[u8]> = batch
                .messages
                .iter()
                .map(|message| &batch.bytes[message.key.clone()])
                .collect();
            assert_eq!(
                keys,
                [
                    b"0000000000000005".as_slice(),
                    b"00000000000000010000000000000002".as_slice()
                ]
            );
            let decoded: Vec<Span> = batch
                .messages
                .iter()
                .map(|message| kafka::decode(&batch.bytes[message.value.clone()], encoding))
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(decoded[0].trace_id, TraceId::new(0, 5).to_bytes());
            assert_eq!(decoded[1].trace_id, long.trace_id);
        }
    }

    #[test]

    fn a_shared_process_is_encoded_once_and_decodes_into_every_span() {
        let process = Process {
            service_name: "batch-service".into(),
            tags: vec![KeyValue::string("host", "a")],
        };
        let shared = Span {
            process: None,
            ..span(TraceId::new(1, 2).to_bytes().to_vec())
        };
        let own = span(TraceId::new(3, 4).to_bytes().to_vec());
        let batch =
            Encoded::with_shared_process(vec![shared.clone(), own.clone()], &process).unwrap();
        let decoded: Vec<Span> = batch
            .messages
            .iter()
            .map(|message| kafka::decode_protobuf(&batch.bytes[message.value.clone()]).unwrap())
            .collect();
        // What the per-span path (process embedded in each span) writes for the same spans.
        let flattened = Span {
            process: Some(process),
            ..shared
        };
        let expected: Vec<Span> = [flattened, own]
            .iter()
            .map(|span| kafka::decode_protobuf(&kafka::encode_protobuf(span)).unwrap())
            .collect();
        assert_eq!(decoded, expected);
        let mut bad = span(vec![1, 2, 3]);
        bad.process = None;
        assert!(Encoded::with_shared_process(vec![bad], &Process::default()).is_err());
    }

    #[test]

    fn eight_byte_trace_ids_are_written_as_sixteen() {
        let mut with_reference = span(5u64.to_be_bytes().to_vec());
        with_reference.references = vec![SpanRef {
            trace_id: 5u64.to_be_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            ref_type: SpanRefType::ChildOf as i32,
        }];
        let batch = Encoded::new(vec![with_reference], Encoding::Protobuf).unwrap();
        let value = &batch.bytes[batch.messages[0].value.clone()];
        let decoded = <Span as prost::Message>::decode(value).unwrap();
        assert_eq!(decoded.trace_id, TraceId::new(0, 5).to_bytes());
        assert_eq!(
            decoded.references[0].trace_id,
            TraceId::new(0, 5).to_bytes()
        );
    }

    #[test]

    fn a_malformed_span_rejects_the_whole_write() {
        let good = span(TraceId::new(1, 2).to_bytes().to_vec());
        let mut no_process = good.clone();
        no_process.process = None;
        let mut bad_span_id = good.clone();
        bad_span_id.span_id = vec![1, 2, 3];
        let mut bad_reference = good.clone();
        bad_reference.references = vec![SpanRef {
            trace_id: vec![1; 3],
            span_id: 1u64.to_be_bytes().to_vec(),
            ref_type: 0,
        }];
        let cases = [
            (span(vec![1; 12]), "span 1: "),
            (no_process, "span 1: no process"),
            (bad_span_id, "span 1: "),
            (bad_reference, "span 1: reference: "),
        ];
        for (bad, expected) in cases {
            let Err(error) = Encoded::new(vec![good.clone(), bad], Encoding::Protobuf) else {
                panic!("{expected} accepted");
            };
            assert!(
                matches!(error, StorageError::InvalidArgument(_)),
                "{error:?}"
            );
            assert!(error.to_string().contains(expected), "{error}");
        }
    }
}
