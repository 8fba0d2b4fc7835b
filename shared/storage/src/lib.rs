//! spur-storage: the one storage contract every Spur backend implements.
//!
//! - [`SpanWriter`] and [`SpanReader`] (and [`DependencyStore`]) are the traits; their rustdoc is
//!   the contract (durability, idempotence, ordering, limits), written down once here.
//! - [`query`] holds the query shapes, [`StorageError`] the one error type.
//! - [`memory`] is a bounded in-memory backend for tests and demos.
//! - [`testsuite`] (feature `testsuite`) is the conformance suite: a backend proves it meets the
//!   contract by invoking [`conformance_suite!`] in its tests.
//!
//! Backends live in their own crates (`spur-storage-embedded`, later Cassandra and
//! Elasticsearch); this crate owns no I/O.

pub mod error;
pub mod matching;
pub mod memory;
pub mod query;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod traits;

pub use bytes::Bytes;
pub use error::{ErrorKind, StorageError};
pub use query::{GetTraceQuery, Operation, OperationQuery, TraceQuery};
pub use spur_model::span_view::EncodedSpan;
pub use traits::{Capabilities, DependencyStore, SpanReader, SpanWriter, Trace};
