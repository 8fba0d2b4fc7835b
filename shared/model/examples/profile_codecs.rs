//! Profiling driver (not a benchmark): runs one codec in a loop so `valgrind --tool=callgrind`
//! or `perf` can attribute its cost. `cargo run --release --example profile_codecs -- <codec>`.

use spur_model::api_v2::Span;
use spur_model::testing::sample_batch;
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message};
use spur_model::{kafka, thrift};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let codec = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "protobuf-decode".into());
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let batch = sample_batch(50);
    let spans: Vec<Span> = batch
        .spans
        .iter()
        .map(|span| Span {
            process: batch.process.clone(),
            ..span.clone()
        })
        .collect();
    let messages: Vec<Vec<u8>> = spans.iter().map(kafka::encode_protobuf).collect();
    let compact = encode_agent_message(&batch, ThriftProtocol::Compact);
    let mut count = 0usize;
    for _ in 0..rounds {
        match codec.as_str() {
            "protobuf-decode" => {
                for message in &messages {
                    count += kafka::decode_protobuf(message)?.tags.len();
                }
            }
            "thrift-compact" => {
                count += thrift::decode_agent_compact(&compact)?.batch.spans.len();
            }
            other => return Err(format!("unknown codec {other}").into()),
        }
    }
    println!("{count}");
    Ok(())
}
