//! Benchmark load for the agent (`deploy/bench/agent.sh`): sends thrift compact `emitBatch`
//! datagrams of `SPANS` spans each (realistic spans: 10 tags, a log, a parent) to an agent's
//! UDP port at a fixed rate from one thread, for a bounded time, then prints one JSON line.
//!
//! usage: udp_blast ADDRESS DATAGRAMS_PER_SECOND SECONDS [SPANS]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use spur_model::SpanId;
use spur_model::testing::sample_batch;
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: udp_blast ADDRESS DATAGRAMS_PER_SECOND SECONDS [SPANS]".into());
    }
    let address = &args[1];
    let rate: u64 = args[2].parse()?;
    let seconds: f64 = args[3].parse()?;
    let spans: usize = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(10);
    // 1,024 distinct datagrams, cycled.
    let datagrams: Vec<Vec<u8>> = (0..1_024u64)
        .map(|index| {
            let mut batch = sample_batch(spans);
            for (offset, span) in batch.spans.iter_mut().enumerate() {
                span.span_id = SpanId(index * 1_000 + offset as u64 + 1)
                    .to_bytes()
                    .to_vec();
            }
            encode_agent_message(&batch, ThriftProtocol::Compact)
        })
        .collect();
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.connect(address)?;
    let total = (rate as f64 * seconds) as u64;
    let started = Instant::now();
    let mut sent = 0u64;
    let mut errors = 0u64;
    let mut bytes = 0u64;
    // Paced in slices of 1 ms so the rate is even, not bursts of a second.
    while sent < total {
        let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
        if sent >= due.min(total) {
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        let datagram = &datagrams[(sent % datagrams.len() as u64) as usize];
        match socket.send(datagram) {
            Ok(n) => bytes += n as u64,
            Err(_) => errors += 1,
        }
        sent += 1;
        if started.elapsed().as_secs_f64() > seconds * 2.0 + 5.0 {
            break; // bounded even if the sender cannot keep the pace
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{{\"sent\":{sent},\"send_errors\":{errors},\"seconds\":{elapsed:.3},\"datagrams_per_second\":{:.0},\"mean_datagram_bytes\":{:.0},\"spans_per_datagram\":{spans}}}",
        sent as f64 / elapsed,
        bytes as f64 / sent.max(1) as f64
    );
    Ok(())
}
