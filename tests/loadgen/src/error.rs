//! The generator's error type: what can stop a run before or instead of its timed phase.
//! Failed requests during the run are not errors; they are counted in the report.

use std::path::PathBuf;

/// Why `spur-loadgen` could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag value clap could not reject on its own.
    #[error("{0}")]
    Usage(String),
    /// A generated span did not convert to Jaeger's model (a bug in the generator).
    #[error("generated spans do not convert to Jaeger's model: {0}")]
    Model(#[from] spur_model::DecodeError),
    #[error("invalid endpoint {endpoint}: {source}")]
    Endpoint {
        endpoint: String,
        source: tonic::transport::Error,
    },
    #[error("cannot connect to {endpoint}: {source}")]
    Connect {
        endpoint: String,
        source: tonic::transport::Error,
    },
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("encoding the sample trace as OTLP/JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
}
