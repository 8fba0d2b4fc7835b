//! spur-dependencies: the service dependency graph without a batch job.
//!
//! Jaeger derives `/api/dependencies` with a separate Spark job over stored traces; Spur derives
//! the same links while spans are written:
//!
//! - [`LinkDeriver`] ([`deriver`]) pairs each span with its parent (Jaeger's `ParentSpanID()`),
//!   in whichever order they arrive, and counts one call per child span whose parent belongs to
//!   another service, as Jaeger's in-memory store and Spark job do. Its memory is bounded.
//! - [`DerivingWriter`] ([`writer`]) wraps any [`spur_storage::SpanWriter`]: spans are counted
//!   once their write succeeded, and the counts are stored through a
//!   [`spur_storage::DependencyStore`] every flush interval and at shutdown.
//!
//! It owns the derivation only; the links are stored and read by the backends.

pub mod deriver;
mod metrics;
pub mod settings;
pub mod writer;

pub use deriver::{DeriverLimits, LinkDeriver};
pub use settings::{SETTINGS, read_options};
pub use writer::{DerivingWriter, DerivingWriterOptions};
