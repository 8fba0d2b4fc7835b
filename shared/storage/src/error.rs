//! The storage error type: what went wrong, classified so callers can answer with the right
//! gRPC/HTTP status and know whether to retry.

use thiserror::Error;

/// How a storage error should be treated by callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (e.g. an empty service name); retrying cannot help.
    InvalidArgument,
    /// The backend cannot be reached or refused for now; retry later.
    Unavailable,
    /// The backend did not answer in time; retry later.
    Timeout,
    /// Anything else: corrupted data, a bug, an unexpected answer.
    Internal,
}

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("invalid query: {0}")]
    InvalidArgument(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage timed out: {0}")]
    Timeout(String),
    #[error("storage error: {0}")]
    Internal(String),
}

impl StorageError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StorageError::InvalidArgument(_) => ErrorKind::InvalidArgument,
            StorageError::Unavailable(_) => ErrorKind::Unavailable,
            StorageError::Timeout(_) => ErrorKind::Timeout,
            StorageError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind(), ErrorKind::Unavailable | ErrorKind::Timeout)
    }
}
