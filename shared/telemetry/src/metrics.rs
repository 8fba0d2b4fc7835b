//! The process's one metrics registry: a Prometheus recorder behind the `metrics` facade, so
//! every crate records with `metrics::counter!` and friends and the admin server renders it.
//! Installed once per process; later calls (tests, the all-in-one's several services) share it.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Buckets of latency histograms in seconds (Prometheus' defaults, Jaeger's too, plus 100 µs).
pub const LATENCY_SECONDS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Buckets of size histograms (bytes, spans per batch).
pub const SIZES: &[f64] = &[
    1.0,
    10.0,
    100.0,
    1_000.0,
    10_000.0,
    100_000.0,
    1_000_000.0,
    10_000_000.0,
];

/// Installs the Prometheus recorder (first call) and returns the handle that renders it.
/// Histograms whose name ends in `_seconds` or `latency` use [`LATENCY_SECONDS`]; those ending
/// in `_bytes` or `_size` use [`SIZES`].
pub fn install() -> Result<PrometheusHandle, String> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("latency".into()), LATENCY_SECONDS)
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("duration".into()), LATENCY_SECONDS)
                })
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_bytes".into()), SIZES))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_size".into()), SIZES))
                .map_err(|error| error.to_string())?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|error| error.to_string())?;
            Ok(handle)
        })
        .clone()
}
