//! The collector set: `reporter.grpc.host-port` entries resolved to addresses (again every
//! `reporter.grpc.resolve-interval`, so a Kubernetes headless service's pods come and go), kept
//! in one balanced gRPC channel that spreads calls over every address (tonic's power-of-two
//! choices on pending requests). Owns no sending: the reporter and the sampling proxy share the
//! channel.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};

use crate::metrics::{COLLECTOR_ADDRESS, COLLECTORS, RESOLVE_ERRORS};

/// A channel over every collector address, kept up to date until `stop` is cancelled.
pub fn balanced(
    collectors: Vec<String>,
    resolve_interval: Duration,
    stop: CancellationToken,
) -> Channel {
    let (channel, changes) = Channel::balance_channel::<SocketAddr>(64);
    tokio::spawn(async move {
        let mut current: BTreeSet<SocketAddr> = BTreeSet::new();
        loop {
            let resolved = resolve(&collectors).await;
            // A failed lookup keeps the addresses already known rather than emptying the set.
            if !resolved.is_empty() {
                for gone in current.difference(&resolved) {
                    let _ = changes.send(Change::Remove(*gone)).await;
                    metrics::gauge!(COLLECTOR_ADDRESS, "address" => gone.to_string()).set(0.0);
                    tracing::info!(address = %gone, "collector removed");
                }
                for new in resolved.difference(&current) {
                    match Endpoint::from_shared(format!("http://{new}")) {
                        Ok(endpoint) => {
                            let endpoint = endpoint
                                .connect_timeout(Duration::from_secs(2))
                                .tcp_nodelay(true);
                            let _ = changes.send(Change::Insert(*new, endpoint)).await;
                            metrics::gauge!(COLLECTOR_ADDRESS, "address" => new.to_string())
                                .set(1.0);
                            tracing::info!(address = %new, "collector added");
                        }
                        Err(error) => tracing::warn!(address = %new, %error, "bad collector"),
                    }
                }
                current = resolved;
                metrics::gauge!(COLLECTORS).set(current.len() as f64);
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(resolve_interval.max(Duration::from_millis(100))) => {}
            }
        }
    });
    channel
}

async fn resolve(collectors: &[String]) -> BTreeSet<SocketAddr> {
    let mut addresses = BTreeSet::new();
    for collector in collectors {
        match tokio::net::lookup_host(collector.as_str()).await {
            Ok(found) => addresses.extend(found),
            Err(error) => {
                metrics::counter!(RESOLVE_ERRORS).increment(1);
                tracing::warn!(%collector, %error, "cannot resolve collector");
            }
        }
    }
    addresses
}
