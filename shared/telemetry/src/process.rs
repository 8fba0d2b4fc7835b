//! What every service's `main` and `run` share once configured: running the async part on a
//! tokio runtime with logging set up (and transparent huge pages off) and mapping its outcome to
//! an exit code, and serving a set of servers until shutdown or until one of them stops on its
//! own.

use std::future::Future;
use std::process::ExitCode;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Initializes logging, runs `work` on a new multi-threaded runtime, and gives exit code 0 when
/// it returns `Ok(true)` (a clean run), 1 when `Ok(false)` (e.g. data lost at shutdown) or an
/// error (printed, prefixed with `program`).
pub fn run_process<F>(program: &str, work: F) -> ExitCode
where
    F: Future<Output = anyhow::Result<bool>>,
{
    crate::logging::init();
    if let Err(error) = disable_transparent_huge_pages() {
        tracing::debug!(%error, "transparent huge pages stay as the system sets them");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{program}: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("{program}: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Turns transparent huge pages off for this process (`prctl(PR_SET_THP_DISABLE)`, which
/// threads started afterwards inherit).
///
/// mimalloc asks for huge pages on its large regions, and returns idle memory to the system a
/// second after use; each time such memory is used again, the kernel zeroes a whole 2 MiB page
/// for a first touch of a few bytes. Measured on the ingester draining Kafka into the embedded
/// store on one core, 21 % of its CPU went to zeroing pages; with huge pages off, 0.87x the CPU
/// per span.
pub fn disable_transparent_huge_pages() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(true)?;
    Ok(())
}

/// Waits until `shutdown` is cancelled or one of `servers` ends; a server ending on its own is a
/// failure, returned (the caller then stops the rest).
pub async fn until_shutdown_or_failure(
    servers: &mut JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> Option<anyhow::Error> {
    tokio::select! {
        _ = shutdown.cancelled() => None,
        Some(ended) = servers.join_next() => Some(match ended {
            Ok(Ok(())) => anyhow::anyhow!("a server stopped unexpectedly"),
            Ok(Err(error)) => error,
            Err(error) => anyhow::anyhow!("a server panicked: {error}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_ending_on_its_own_is_a_failure_and_shutdown_is_not() {
        let mut servers = JoinSet::new();
        servers.spawn(async { Err(anyhow::anyhow!("port lost")) });
        let failure = until_shutdown_or_failure(&mut servers, &CancellationToken::new()).await;
        assert_eq!(
            failure.map(|error| error.to_string()),
            Some("port lost".to_owned())
        );

        let mut servers: JoinSet<anyhow::Result<()>> = JoinSet::new();
        servers.spawn(std::future::pending());
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        assert!(
            until_shutdown_or_failure(&mut servers, &shutdown)
                .await
                .is_none()
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn transparent_huge_pages_are_turned_off() {
        disable_transparent_huge_pages().unwrap();
        assert!(rustix::thread::transparent_huge_pages_are_disabled().unwrap());
        // Inherited by threads started afterwards (the runtime's and the storage engine's).
        let in_thread = std::thread::spawn(rustix::thread::transparent_huge_pages_are_disabled);
        assert!(in_thread.join().unwrap().unwrap());
    }
}
