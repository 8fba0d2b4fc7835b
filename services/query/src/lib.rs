//! spur-query: Jaeger-compatible HTTP and gRPC query API and the web UI.
//!
//! Skeleton: the service is built by its own issue. Until then [`run`] reports that it is not
//! available, so nobody mistakes this binary for a working one.

/// Runs the service until shutdown. Not yet implemented: always returns an error.
pub fn run() -> anyhow::Result<()> {
    anyhow::bail!("spur-query is not implemented yet")
}
