//! PostSpans requests encoded once: each queued batch keeps its spans as protobuf bytes
//! (`Batch.spans` entries) and its process as the `Batch.process` entry, so merging batches of
//! one process is concatenation, a retry resends the same bytes, and a queued span costs its
//! encoded size (~0.4 KiB) rather than its decoded structs. [`RawCodec`] hands the bytes to
//! tonic as they are.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};
use spur_model::api_v2::Batch;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// `Batch.spans` field number, and `PostSpansRequest.batch`'s.
const SPANS_FIELD: u32 = 1;
const PROCESS_FIELD: u32 = 2;
const BATCH_FIELD: u32 = 1;

/// A batch's spans and process, as protobuf field entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBatch {
    /// The `Batch.process` entry (empty when the batch had none).
    pub process: Bytes,
    /// Concatenated `Batch.spans` entries.
    pub spans: Bytes,
    pub span_count: usize,
}

impl EncodedBatch {
    pub fn encode(batch: &Batch) -> EncodedBatch {
        let mut spans = BytesMut::with_capacity(batch.spans.len() * 512);
        for span in &batch.spans {
            prost::encoding::message::encode(SPANS_FIELD, span, &mut spans);
        }
        let mut process = BytesMut::new();
        if let Some(value) = &batch.process {
            prost::encoding::message::encode(PROCESS_FIELD, value, &mut process);
        }
        EncodedBatch {
            process: process.freeze(),
            spans: spans.freeze(),
            span_count: batch.spans.len(),
        }
    }
}

/// One PostSpans call's body: a `PostSpansRequest` of the spans (all of one process).
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub body: Bytes,
    pub span_count: usize,
}

impl Outgoing {
    /// The request carrying every part's spans under `process`.
    pub fn new(process: &Bytes, parts: &[Bytes], span_count: usize) -> Outgoing {
        let batch_len = parts.iter().map(Bytes::len).sum::<usize>() + process.len();
        let mut body =
            BytesMut::with_capacity(batch_len + 1 + encoded_len_varint(batch_len as u64));
        encode_key(BATCH_FIELD, WireType::LengthDelimited, &mut body);
        encode_varint(batch_len as u64, &mut body);
        for part in parts {
            body.extend_from_slice(part);
        }
        body.extend_from_slice(process);
        Outgoing {
            body: body.freeze(),
            span_count,
        }
    }
}

/// Sends pre-encoded request bytes; ignores the (empty) response message.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ();
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use spur_model::api_v2::PostSpansRequest;
    use spur_model::testing::sample_batch;

    #[test]
    fn merged_parts_decode_as_one_batch_of_every_span() {
        let first = sample_batch(3);
        let mut second = sample_batch(2);
        second.spans[0].operation_name = "other".to_owned();
        let (a, b) = (EncodedBatch::encode(&first), EncodedBatch::encode(&second));
        assert_eq!(a.process, b.process);
        let outgoing = Outgoing::new(&a.process, &[a.spans.clone(), b.spans.clone()], 5);
        let decoded = PostSpansRequest::decode(outgoing.body)
            .unwrap()
            .batch
            .unwrap();
        assert_eq!(decoded.process, first.process);
        let mut want = first.spans.clone();
        want.extend(second.spans.clone());
        assert_eq!(decoded.spans, want);
    }
}
