//! spur-agent-udp: the agent's UDP receivers, as Jaeger's agent serves them: one thrift
//! `Agent.emitBatch` message per datagram, compact protocol on 6831 (what most jaeger-client
//! libraries send) and binary on 6832 (Node's). Used by `spur-agent` and by the all-in-one,
//! each with its own [`BatchSink`].
//!
//! Per socket, reader tasks put datagrams on a bounded queue (Jaeger's `server-queue-size`) and
//! worker tasks (Jaeger's `workers`) decode them and hand the batches to the sink. A full queue
//! drops the datagram, as Jaeger's agent does; a datagram longer than `server-max-packet-size`
//! is dropped whole rather than decoded truncated; both are counted, as are decode failures by
//! reason. Nothing a client sends stops the server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use spur_model::DecodeError;
use spur_model::thrift::ThriftBatch;
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub mod metrics_names;

use metrics_names::*;

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

    fn decode(self, datagram: &[u8]) -> Result<ThriftBatch, DecodeError> {
        match self {
            Protocol::Compact => spur_model::thrift::decode_agent_compact(datagram),
            Protocol::Binary => spur_model::thrift::decode_agent_binary(datagram),
        }
    }
}

/// Jaeger's per-processor UDP settings (`processor.jaeger-<protocol>.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpOptions {
    /// Largest datagram accepted (`server-max-packet-size`, 65,000 bytes).
    pub max_packet_bytes: usize,
    /// Datagrams queued between reading and decoding (`server-queue-size`, 1,000).
    pub queue_packets: usize,
    /// Decoding tasks (`workers`, 10).
    pub workers: usize,
    /// Reading tasks.
    pub readers: usize,
    /// The socket's receive buffer (`server-socket-buffer-size`); 0 keeps the kernel default.
    pub socket_buffer_bytes: usize,
}

impl Default for UdpOptions {
    fn default() -> Self {
        UdpOptions {
            max_packet_bytes: 65_000,
            queue_packets: 1_000,
            workers: 10,
            readers: 2,
            socket_buffer_bytes: 0,
        }
    }
}

/// Where decoded batches go: the collector's pipeline in the all-in-one, the reporter's queue
/// in the agent. `accept` may wait (backpressure reaches the queue, then the kernel buffer).
pub trait BatchSink: Clone + Send + Sync + 'static {
    fn accept(&self, batch: ThriftBatch, protocol: Protocol) -> impl Future<Output = ()> + Send;
}

/// Binds a UDP socket with the receive buffer asked for (the kernel may cap it at
/// `net.core.rmem_max`; the size obtained is logged).
pub fn bind(address: SocketAddr, socket_buffer_bytes: usize) -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    if socket_buffer_bytes > 0 {
        socket.set_recv_buffer_size(socket_buffer_bytes)?;
        tracing::info!(
            %address,
            asked = socket_buffer_bytes,
            obtained = socket.recv_buffer_size().unwrap_or(0),
            "UDP receive buffer"
        );
    }
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    UdpSocket::from_std(socket.into())
}

/// Serves one UDP port until `stop` is cancelled; datagrams already queued are decoded and
/// handed to the sink before it returns.
pub async fn serve<S: BatchSink>(
    socket: UdpSocket,
    protocol: Protocol,
    options: UdpOptions,
    sink: S,
    stop: CancellationToken,
) {
    let socket = Arc::new(socket);
    let labels = [("model", "jaeger"), ("protocol", protocol.label())];
    let (queue, datagrams) = mpsc::channel::<Vec<u8>>(options.queue_packets.max(1));
    let datagrams = Arc::new(Mutex::new(datagrams));
    let mut workers = JoinSet::new();
    for _ in 0..options.workers.max(1) {
        let datagrams = Arc::clone(&datagrams);
        let sink = sink.clone();
        workers.spawn(async move {
            loop {
                let next = datagrams.lock().await.recv().await;
                let Some(datagram) = next else { break };
                process(&datagram, protocol, &sink).await;
            }
        });
    }
    let mut readers = JoinSet::new();
    for _ in 0..options.readers.max(1) {
        let socket = Arc::clone(&socket);
        let queue = queue.clone();
        let stop = stop.clone();
        readers.spawn(async move {
            // One byte more than the limit, so a longer datagram shows as too large instead of
            // arriving silently truncated.
            let mut buffer = vec![0u8; options.max_packet_bytes + 1];
            loop {
                let received = tokio::select! {
                    _ = stop.cancelled() => break,
                    received = socket.recv_from(&mut buffer) => received,
                };
                match received {
                    Ok((length, _)) if length > options.max_packet_bytes => {
                        metrics::counter!(PACKETS_TOO_LARGE, &labels).increment(1);
                    }
                    Ok((length, _)) => {
                        metrics::gauge!(PACKET_SIZE, &labels).set(length as f64);
                        if queue.try_send(buffer[..length].to_vec()).is_err() {
                            metrics::counter!(PACKETS_DROPPED, &labels).increment(1);
                        }
                        metrics::gauge!(QUEUE_SIZE, &labels)
                            .set((queue.max_capacity() - queue.capacity()) as f64);
                    }
                    Err(error) => {
                        metrics::counter!(READ_ERRORS, &labels).increment(1);
                        tracing::debug!(%error, "UDP read failed");
                    }
                }
            }
        });
    }
    drop(queue);
    while readers.join_next().await.is_some() {}
    while workers.join_next().await.is_some() {}
}

async fn process<S: BatchSink>(datagram: &[u8], protocol: Protocol, sink: &S) {
    let labels = [("model", "jaeger"), ("protocol", protocol.label())];
    match protocol.decode(datagram) {
        Ok(decoded) => {
            metrics::counter!(PACKETS_PROCESSED, &labels).increment(1);
            sink.accept(decoded, protocol).await;
        }
        Err(error) => {
            metrics::counter!(HANDLER_ERRORS, &labels).increment(1);
            metrics::counter!(
                DECODE_ERRORS,
                "protocol" => protocol.label(),
                "reason" => decode_reason(&error)
            )
            .increment(1);
            tracing::debug!(%error, "undecodable agent datagram");
        }
    }
}

/// A bounded label for a decode failure.
fn decode_reason(error: &DecodeError) -> &'static str {
    match error {
        DecodeError::Truncated { .. } => "truncated",
        DecodeError::InvalidLength { .. } => "invalid_length",
        DecodeError::InvalidUtf8 { .. } => "invalid_utf8",
        DecodeError::MissingField { .. } => "missing_field",
        DecodeError::InvalidId { .. } => "invalid_id",
        _ => "malformed",
    }
}
