//! Errors of loading strategies: reading or downloading the file, and parsing it. Every
//! message names the file (or URL) and the problem; parse errors carry serde_json's line and
//! column. Serving never fails: errors only happen at start and on reload.

use std::path::PathBuf;

/// How an error should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The configuration is wrong (bad JSON, unsupported URL); retrying cannot help.
    InvalidArgument,
    /// The file does not exist.
    NotFound,
    /// The file or URL could not be read for now; a later attempt may succeed.
    Unavailable,
}

/// An error loading sampling strategies.
#[derive(Debug, thiserror::Error)]
pub enum SamplingError {
    #[error("failed to read strategies file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("failed to download sampling strategies from {url}: {message}")]
    Download { url: String, message: String },
    #[error("failed to parse sampling strategies from {origin}: {error}")]
    Parse {
        /// The file's path or URL.
        origin: String,
        /// What is wrong, and where (`error.line()`, `error.column()`).
        error: serde_json::Error,
    },
    #[error("unsupported sampling strategies URL {url}: {reason}")]
    UnsupportedUrl { url: String, reason: &'static str },
}

impl SamplingError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SamplingError::Read { error, .. } if error.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            SamplingError::Read { .. } | SamplingError::Download { .. } => ErrorKind::Unavailable,
            SamplingError::Parse { .. } | SamplingError::UnsupportedUrl { .. } => {
                ErrorKind::InvalidArgument
            }
        }
    }
}
