//! Maps the driver's errors onto `StorageError`, so callers know what to retry: timeouts and
//! unreachable or overloaded nodes are retryable, a refused statement is not.

use scylla::errors::{DbError, ExecutionError, RequestAttemptError};
use spur_storage::StorageError;

/// Classifies a failed statement; `context` says what was being done.
pub fn from_execution(context: &str, error: ExecutionError) -> StorageError {
    let message = format!("{context}: {error}");
    match &error {
        ExecutionError::RequestTimeout(_) => StorageError::Timeout(message),
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(db, _)) => match db {
            DbError::ReadTimeout { .. } | DbError::WriteTimeout { .. } => {
                StorageError::Timeout(message)
            }
            DbError::SyntaxError
            | DbError::Invalid
            | DbError::AlreadyExists { .. }
            | DbError::Unauthorized
            | DbError::AuthenticationError
            | DbError::ConfigError
            | DbError::FunctionFailure { .. } => StorageError::Internal(message),
            _ => StorageError::Unavailable(message),
        },
        ExecutionError::LastAttemptError(
            RequestAttemptError::BrokenConnectionError(_)
            | RequestAttemptError::UnableToAllocStreamId,
        )
        | ExecutionError::ConnectionPoolError(_)
        | ExecutionError::EmptyPlan
        | ExecutionError::SchemaAgreementError(_) => StorageError::Unavailable(message),
        _ => StorageError::Internal(message),
    }
}

/// A paged read that failed part-way (the driver's pager errors carry no finer class we use):
/// retryable, since a page fetch fails for the same reasons a statement does.
pub fn from_paging(context: &str, error: impl std::fmt::Display) -> StorageError {
    StorageError::Unavailable(format!("{context}: {error}"))
}

/// A row that does not have the shape of Jaeger's schema.
pub fn from_decoding(context: &str, error: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(format!("{context}: {error}"))
}
