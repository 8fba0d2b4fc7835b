//! spur-ingester: Kafka consumer group draining spans into storage at least once, and topic replay.
//!
//! Skeleton: the service is built by its own issue. Until then [`run`] reports that it is not
//! available, so nobody mistakes this binary for a working one.

/// Runs the service until shutdown. Not yet implemented: always returns an error.
pub fn run() -> anyhow::Result<()> {
    anyhow::bail!("spur-ingester is not implemented yet")
}
