//! Jaeger Thrift decoders: the agent's UDP datagrams (an `Agent.emitBatch` message in the compact
//! protocol on 6831 or the binary protocol on 6832) and the bare binary `Batch` body of the
//! collector's `POST /api/traces`. Spans come out in api_v2 form with the batch's process kept
//! once at batch level, as Jaeger's agent forwards them.

mod binary;
mod compact;
mod jaeger;
mod protocol;
#[cfg(any(test, feature = "testsuite"))]
pub mod writer;

pub use jaeger::ClientStats;

use crate::DecodeError;
use crate::api_v2::Batch;
use binary::BinaryReader;
use compact::CompactReader;
use protocol::Protocol;

/// The method an agent datagram must carry (the Zipkin one, `emitZipkinBatch`, is not handled
/// here).
const EMIT_BATCH: &[u8] = b"emitBatch";
/// Thrift message types a client may use for `emitBatch`: CALL (1) and ONEWAY (4).
const CALL: u8 = 1;
const ONEWAY: u8 = 4;

/// A decoded Thrift batch: the model batch plus the client's own bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct ThriftBatch {
    /// Spans with `process: None`; the process is in `batch.process`.
    pub batch: Batch,
    /// Client-assigned batch sequence number, for loss detection.
    pub seq_no: Option<i64>,
    /// The client's own drop counters.
    pub stats: Option<ClientStats>,
}

/// Decodes an agent UDP datagram in the compact protocol (port 6831).
pub fn decode_agent_compact(datagram: &[u8]) -> Result<ThriftBatch, DecodeError> {
    decode_agent_message(&mut CompactReader::new(datagram))
}

/// Decodes an agent UDP datagram in the binary protocol (port 6832).
pub fn decode_agent_binary(datagram: &[u8]) -> Result<ThriftBatch, DecodeError> {
    decode_agent_message(&mut BinaryReader::new(datagram))
}

/// Decodes a bare `jaeger.Batch` struct in the binary protocol (`POST /api/traces` body).
pub fn decode_batch_binary(body: &[u8]) -> Result<ThriftBatch, DecodeError> {
    jaeger::read_batch(&mut BinaryReader::new(body))
}

/// Decodes a bare `jaeger.Batch` struct in the compact protocol.
pub fn decode_batch_compact(body: &[u8]) -> Result<ThriftBatch, DecodeError> {
    jaeger::read_batch(&mut CompactReader::new(body))
}

fn decode_agent_message<'a, P: Protocol<'a>>(protocol: &mut P) -> Result<ThriftBatch, DecodeError> {
    let header = protocol.message_begin()?;
    if header.name != EMIT_BATCH {
        return Err(DecodeError::malformed(
            "thrift",
            format!(
                "unsupported method {:?}, expected emitBatch",
                String::from_utf8_lossy(header.name)
            ),
        ));
    }
    if header.message_type != CALL && header.message_type != ONEWAY {
        return Err(DecodeError::malformed(
            "thrift",
            format!(
                "message type {}, expected a call or oneway",
                header.message_type
            ),
        ));
    }
    // Like Jaeger, bytes after the message are ignored: the spans before them are good.
    jaeger::read_emit_batch_args(protocol)
}
