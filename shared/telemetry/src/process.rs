//! What every service's `main` and `run` share once configured: running the async part on a
//! tokio runtime with logging set up and mapping its outcome to an exit code, and serving a set
//! of servers until shutdown or until one of them stops on its own.

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
}
