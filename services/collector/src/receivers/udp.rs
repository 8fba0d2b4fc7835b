//! The agent's UDP receivers, served by the all-in-one: one thrift `Agent.emitBatch` message per
//! datagram, compact protocol on 6831 (what most jaeger-client libraries send) and binary on
//! 6832 (Node's). A reader task puts datagrams on a bounded queue (Jaeger's
//! `server-queue-size`, 1,000 packets) and a processor task decodes and submits them to the
//! pipeline; a full queue drops the datagram, as Jaeger's agent does, and counts it. Metrics are
//! Jaeger's agent metrics (`jaeger_agent_thrift_udp_server_*{model,protocol}`).

use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::pipeline::Pipeline;
use crate::sanitize::{Format, Transport};

/// Jaeger's agent: largest datagram read (`server-max-packet-size`).
pub const MAX_PACKET_BYTES: usize = 65_000;
/// Jaeger's agent: datagrams queued between reading and processing (`server-queue-size`).
pub const QUEUE_PACKETS: usize = 1_000;

pub const PACKETS_PROCESSED: &str = "jaeger_agent_thrift_udp_server_packets_processed_total";
pub const PACKETS_DROPPED: &str = "jaeger_agent_thrift_udp_server_packets_dropped_total";
pub const READ_ERRORS: &str = "jaeger_agent_thrift_udp_server_read_errors_total";
pub const HANDLER_ERRORS: &str = "jaeger_agent_thrift_udp_t_processor_handler_errors_total";
pub const QUEUE_SIZE: &str = "jaeger_agent_thrift_udp_server_queue_size";
pub const PACKET_SIZE: &str = "jaeger_agent_thrift_udp_server_packet_size";

/// The thrift protocol of a UDP port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Compact,
    Binary,
}

impl Protocol {
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Compact => "compact",
            Protocol::Binary => "binary",
        }
    }

    fn decode(
        self,
        datagram: &[u8],
    ) -> Result<spur_model::thrift::ThriftBatch, spur_model::DecodeError> {
        match self {
            Protocol::Compact => spur_model::thrift::decode_agent_compact(datagram),
            Protocol::Binary => spur_model::thrift::decode_agent_binary(datagram),
        }
    }
}

/// Serves one UDP port until `stop` is cancelled; queued datagrams are processed before it
/// returns.
pub async fn serve(
    socket: UdpSocket,
    protocol: Protocol,
    pipeline: Pipeline,
    stop: CancellationToken,
) {
    let socket = Arc::new(socket);
    let labels = [("model", "jaeger"), ("protocol", protocol.label())];
    let (queue, mut datagrams) = mpsc::channel::<Vec<u8>>(QUEUE_PACKETS);
    let processor = tokio::spawn(async move {
        while let Some(datagram) = datagrams.recv().await {
            metrics::gauge!(QUEUE_SIZE, &labels).set(datagrams.len() as f64);
            match protocol.decode(&datagram) {
                Ok(decoded) => {
                    metrics::counter!(PACKETS_PROCESSED, &labels).increment(1);
                    // Refusals are counted by the pipeline; UDP has no way to answer.
                    let _ = pipeline
                        .submit(vec![decoded.batch], Format::Jaeger, Transport::Udp)
                        .await;
                }
                Err(error) => {
                    metrics::counter!(HANDLER_ERRORS, &labels).increment(1);
                    tracing::debug!(%error, "undecodable agent datagram");
                }
            }
        }
    });
    let mut buffer = vec![0u8; MAX_PACKET_BYTES];
    loop {
        let received = tokio::select! {
            _ = stop.cancelled() => break,
            received = socket.recv_from(&mut buffer) => received,
        };
        match received {
            Ok((length, _)) => {
                metrics::gauge!(PACKET_SIZE, &labels).set(length as f64);
                if queue.try_send(buffer[..length].to_vec()).is_err() {
                    metrics::counter!(PACKETS_DROPPED, &labels).increment(1);
                }
            }
            Err(error) => {
                metrics::counter!(READ_ERRORS, &labels).increment(1);
                tracing::debug!(%error, "UDP read failed");
            }
        }
    }
    drop(queue);
    let _ = processor.await;
}
