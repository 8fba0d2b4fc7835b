//! spur-all-in-one: agent, collector and query in one process on the embedded store.
//!
//! Skeleton: the service is built by its own issue. Until then [`run`] reports that it is not
//! available, so nobody mistakes this binary for a working one.

/// Runs the service until shutdown. Not yet implemented: always returns an error.
pub fn run() -> anyhow::Result<()> {
    anyhow::bail!("spur-all-in-one is not implemented yet")
}
