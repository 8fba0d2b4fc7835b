//! spur-loadgen: a load generator for collector benchmarks, and the way to send a first trace.
//!
//! It builds realistic traces ([`spans`]), pads them to `--span-bytes` ([`size`]), encodes
//! every request before the timed phase ([`pool`]) for OTLP gRPC ([`otlp`]) or Jaeger gRPC
//! ([`jaeger`]), sends them with bounded concurrency, rate and retries ([`send`]) and reports
//! one JSON line ([`report`]). `--once-file` instead writes one OTLP/JSON trace ([`once`]).

pub mod cli;
pub mod error;
pub mod jaeger;
pub mod once;
pub mod otlp;
pub mod pool;
pub mod report;
pub mod rng;
pub mod send;
pub mod size;
pub mod spans;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use cli::Cli;
pub use error::Error;

use crate::cli::Settings;
use crate::pool::Pool;
use crate::report::Summary;

/// gRPC servers' default receive limit (Jaeger's `--collector.grpc-server.max-message-size`).
const DEFAULT_GRPC_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished {
    /// `--once-file`: the sample trace was written.
    SampleWritten,
    /// A load run ended; its summary was printed.
    Load(Summary),
}

/// Runs what the flags ask for: writes the sample trace, or connects, builds the pool, sends,
/// and prints the JSON summary on stdout and the human one on stderr.
pub fn run(cli: &Cli) -> Result<Finished, Error> {
    if let Some(path) = &cli.once_file {
        once::write(path, cli.seed, now_unix_nanos())?;
        return Ok(Finished::SampleWritten);
    }
    let settings = cli.settings().map_err(Error::Usage)?;
    let runtime = if cli.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(usize::try_from(cli.threads).unwrap_or(1))
            .enable_all()
            .build()
    }
    .map_err(Error::Runtime)?;
    runtime.block_on(load(&settings)).map(Finished::Load)
}

async fn load(settings: &Settings) -> Result<Summary, Error> {
    let channel = send::connect(settings).await?;
    let pool = Arc::new(Pool::build(settings, now_unix_nanos())?);
    eprintln!(
        "spur-loadgen: built {} requests ({} spans, {:.0} B each as api_v2) in {:.2} s; \
         sending to {} over {}",
        pool.len(),
        pool.spans(),
        pool.mean_span_bytes,
        pool.build_time.as_secs_f64(),
        settings.endpoint,
        settings.protocol.name(),
    );
    if pool.max_request_bytes() > DEFAULT_GRPC_MAX_MESSAGE_BYTES {
        eprintln!(
            "spur-loadgen: warning: requests of up to {} bytes exceed the 4 MiB gRPC message limit \
             collectors apply by default; lower --batch or --span-bytes",
            pool.max_request_bytes()
        );
    }
    let outcome = send::run(settings, Arc::clone(&pool), channel).await;
    let summary = Summary::new(settings.protocol, &pool, &outcome);
    println!("{}", summary.to_json());
    eprintln!("{}", summary.to_text(&settings.endpoint));
    Ok(summary)
}

fn now_unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
