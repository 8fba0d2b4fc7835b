//! Profiling driver (not a benchmark): writes N batches of B spans (~20 tags each) into a fresh
//! store and prints spans per second. `cargo run --release --example write_rate -- 500 100`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use spur_model::TraceId;
use spur_model::api_v2::{KeyValue, Process, Span};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_storage::{SpanReader, SpanWriter, TraceQuery};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batches: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let size: u64 = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let directory = std::env::temp_dir().join(format!("spur-write-rate-{}", std::process::id()));
    let store = EmbeddedStore::open(EmbeddedOptions {
        directory: directory.clone(),
        retention: Duration::from_secs(72 * 3600),
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_micros() as i64;
    let began = Instant::now();
    for batch in 0..batches {
        let spans: Vec<Span> = (0..size)
            .map(|i| {
                let index = batch * size + i;
                Span {
                    trace_id: TraceId::new(
                        (index / 10).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                        index / 10,
                    )
                    .to_bytes()
                    .to_vec(),
                    span_id: (index + 1).to_be_bytes().to_vec(),
                    operation_name: format!("op-{}", index % 20),
                    start_time: Some(timestamp_from_micros(
                        now - 3_600_000_000 + index as i64 * 50,
                    )),
                    duration: Some(duration_from_micros(100)),
                    tags: (0..18)
                        .map(|t| {
                            KeyValue::string(
                                format!("attr.{t:02}"),
                                format!("value-{}", (index + t) % 7),
                            )
                        })
                        .collect(),
                    process: Some(Process {
                        service_name: format!("service-{}", (index / 10) % 10),
                        tags: vec![
                            KeyValue::string("hostname", "host-1"),
                            KeyValue::string("v", "1"),
                        ],
                    }),
                    ..Default::default()
                }
            })
            .collect();
        runtime.block_on(store.write_spans(spans))?;
    }
    let seconds = began.elapsed().as_secs_f64();
    // A query applies every pending index entry first: this times "written and indexed".
    runtime.block_on(store.find_trace_ids(&TraceQuery {
        service_name: "service-0".into(),
        ..TraceQuery::default()
    }))?;
    let indexed = began.elapsed().as_secs_f64();
    let spans = (batches * size) as f64;
    println!(
        "{spans} spans written in {seconds:.2} s ({:.0} spans/s), indexed after {indexed:.2} s \
         ({:.0} spans/s)",
        spans / seconds,
        spans / indexed
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
    Ok(())
}
