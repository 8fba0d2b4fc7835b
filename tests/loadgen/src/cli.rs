//! Command-line flags (`clap` derive) and their checked, resolved form ([`Settings`]).
//! Owns defaults and validation only; nothing here builds spans or opens connections.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Run time when neither `--duration` nor `--spans` is given.
pub const DEFAULT_DURATION_SECS: f64 = 10.0;

/// Sends realistic traces to a collector over OTLP gRPC or Jaeger gRPC and reports throughput
/// as one JSON line on stdout.
#[derive(Debug, Clone, Parser)]
#[command(name = "spur-loadgen", version)]
pub struct Cli {
    /// Wire protocol: OTLP `TraceService/Export` or Jaeger `CollectorService/PostSpans`.
    #[arg(long, value_enum, default_value_t = Protocol::Otlp)]
    pub protocol: Protocol,

    /// Collector gRPC endpoint [default: http://127.0.0.1:4317 for otlp, :14250 for jaeger].
    #[arg(long)]
    pub endpoint: Option<String>,

    /// Target rate in spans per second; 0 sends as fast as the collector answers.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,

    /// Run for this many seconds (the default bound: 10 s).
    #[arg(long, conflicts_with = "spans")]
    pub duration: Option<f64>,

    /// Send exactly this many spans, then stop.
    #[arg(long)]
    pub spans: Option<u64>,

    /// Spans per request; every request carries one service's spans, as an SDK or agent sends them.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch: u64,

    /// Requests in flight at once (over one HTTP/2 connection).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub concurrency: u64,

    /// Number of distinct services (resources) the traces cross.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub services: u64,

    /// Approximate encoded size of each span as Jaeger's api_v2 `Span` (as in a `PostSpans`
    /// batch, without the process): smaller spans are padded with `pad.N` string tags up to it;
    /// 0 disables padding.
    #[arg(long, default_value_t = 500)]
    pub span_bytes: u64,

    /// Extra `attr_NN=val_NNN` string attributes per span (as Jaeger's tracegen `-attrs`).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=1_000))]
    pub tags: u64,

    /// Seed for ids, names and timings: the same seed sends the same spans.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Retries of a request answered RESOURCE_EXHAUSTED or UNAVAILABLE (the collector's
    /// backpressure) before it is counted as failed.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=100))]
    pub retries: u64,

    /// First retry backoff in milliseconds; doubled on each further retry.
    #[arg(long, default_value_t = 50)]
    pub retry_backoff_ms: u64,

    /// Deadline of each request, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub request_timeout: f64,

    /// Runtime worker threads; 1 runs the generator on a single thread so it takes at most one
    /// core from the collector it measures.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: u64,

    /// Instead of load: write one small trace as OTLP/JSON (the body `POST /v1/traces` on port
    /// 4318 accepts) to this file, or to stdout for `-`, and exit.
    #[arg(long)]
    pub once_file: Option<PathBuf>,
}

/// Which collector API requests go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// `opentelemetry.proto.collector.trace.v1.TraceService/Export` (port 4317).
    Otlp,
    /// `jaeger.api_v2.CollectorService/PostSpans` (port 14250).
    Jaeger,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Otlp => "otlp",
            Protocol::Jaeger => "jaeger",
        }
    }

    pub fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Otlp => "http://127.0.0.1:4317",
            Protocol::Jaeger => "http://127.0.0.1:14250",
        }
    }
}

/// When the timed phase ends. Every run has exactly one bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// Stop starting requests after this long; requests in flight finish.
    Duration(Duration),
    /// Send exactly this many spans.
    Spans(u64),
}

/// The flags after defaults and checks: what the load run uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub protocol: Protocol,
    pub endpoint: String,
    /// Spans per second, `None` for as fast as possible.
    pub rate: Option<u64>,
    pub bound: Bound,
    pub batch: usize,
    pub concurrency: usize,
    pub services: usize,
    pub span_bytes: usize,
    pub tags: usize,
    pub seed: u64,
    pub retries: u32,
    pub retry_backoff: Duration,
    pub request_timeout: Duration,
}

impl Cli {
    /// Applies defaults and checks the values clap cannot; the message names the flag.
    pub fn settings(&self) -> Result<Settings, String> {
        let bound = match (self.duration, self.spans) {
            (_, Some(0)) => return Err("--spans must be at least 1".into()),
            (_, Some(spans)) => Bound::Spans(spans),
            (Some(secs), None) => Bound::Duration(positive_secs("--duration", secs)?),
            (None, None) => Bound::Duration(Duration::from_secs_f64(DEFAULT_DURATION_SECS)),
        };
        let endpoint = self
            .endpoint
            .clone()
            .unwrap_or_else(|| self.protocol.default_endpoint().to_owned());
        Ok(Settings {
            protocol: self.protocol,
            endpoint,
            rate: (self.rate > 0).then_some(self.rate),
            bound,
            batch: to_usize("--batch", self.batch)?,
            concurrency: to_usize("--concurrency", self.concurrency)?,
            services: to_usize("--services", self.services)?,
            span_bytes: to_usize("--span-bytes", self.span_bytes)?,
            tags: to_usize("--tags", self.tags)?,
            seed: self.seed,
            retries: u32::try_from(self.retries).map_err(|_| "--retries is too large")?,
            retry_backoff: Duration::from_millis(self.retry_backoff_ms),
            request_timeout: positive_secs("--request-timeout", self.request_timeout)?,
        })
    }
}

fn positive_secs(flag: &str, secs: f64) -> Result<Duration, String> {
    if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
        return Err(format!(
            "{flag} must be a positive number of seconds, got {secs}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn to_usize(flag: &str, value: u64) -> Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("{flag} is too large: {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings, String> {
        let cli = Cli::try_parse_from(std::iter::once("spur-loadgen").chain(args.iter().copied()))
            .map_err(|error| error.to_string())?;
        cli.settings()
    }

    #[test]
    fn defaults_bound_the_run_to_ten_seconds_on_otlp() {
        let settings = parse(&[]).unwrap();
        assert_eq!(settings.protocol, Protocol::Otlp);
        assert_eq!(settings.endpoint, "http://127.0.0.1:4317");
        assert_eq!(settings.bound, Bound::Duration(Duration::from_secs(10)));
        assert_eq!(settings.rate, None);
        assert_eq!((settings.batch, settings.concurrency), (100, 4));
        assert_eq!((settings.services, settings.span_bytes), (10, 500));
        assert_eq!(settings.retries, 3);
    }

    #[test]
    fn jaeger_defaults_to_port_14250() {
        let settings = parse(&["--protocol", "jaeger"]).unwrap();
        assert_eq!(settings.endpoint, "http://127.0.0.1:14250");
    }

    #[test]
    fn spans_and_duration_exclude_each_other() {
        assert_eq!(parse(&["--spans", "5"]).unwrap().bound, Bound::Spans(5));
        assert!(parse(&["--spans", "5", "--duration", "2"]).is_err());
        assert!(parse(&["--spans", "0"]).is_err());
        assert!(parse(&["--duration", "0"]).is_err());
        assert!(parse(&["--duration", "-1"]).is_err());
        assert!(parse(&["--batch", "0"]).is_err());
        assert!(parse(&["--concurrency", "0"]).is_err());
    }
}
