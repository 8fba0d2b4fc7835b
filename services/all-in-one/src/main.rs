//! Entry point of `spur-all-in-one`: the collector's receivers and the query API in one
//! process over one storage backend, the **embedded store** unless `SPAN_STORAGE_TYPE` says
//! otherwise (data under `BADGER_DIRECTORY_VALUE`, default `data/values`). One admin port
//! (14269) serves health and metrics for both. The agent's UDP ports (6831 compact, 6832
//! binary) feed the same pipeline. The query port (16686) serves the web UI too.

use std::process::ExitCode;
use std::sync::Arc;

use spur_agent_udp::Protocol;
use spur_config::{Problems, Program, Setting};
use spur_storage_factory::{StorageConfig, StorageKind, read_storage};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The agent's UDP ports, served in this process (Jaeger's agent flag names).
const UDP_SETTINGS: &[Setting] = &[
    Setting::new(
        "processor.jaeger-compact.server-host-port",
        ":6831",
        "agent UDP port, thrift compact emitBatch; empty disables",
    ),
    Setting::new(
        "processor.jaeger-binary.server-host-port",
        ":6832",
        "agent UDP port, thrift binary emitBatch; empty disables",
    ),
];

const PROGRAM: Program = Program {
    name: "spur-all-in-one",
    about: "Spur in one process: every collector receiver and the query API, on the embedded store",
};

fn main() -> ExitCode {
    // The admin port is declared by both services; the collector's (14269), Jaeger's choice for
    // the all-in-one, comes first and so wins.
    let declared: Vec<Setting> = spur_collector::SETTINGS
        .iter()
        .chain(spur_query::config::SETTINGS)
        .chain(UDP_SETTINGS)
        .chain(spur_storage_factory::SETTINGS)
        .chain(spur_dependencies::SETTINGS)
        .copied()
        .collect();
    let (settings, env) = match spur_config::load_process(PROGRAM, &declared) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut problems = Problems::default();
    let collector = spur_collector::CollectorConfig::read(&settings, &mut problems);
    let mut udp = Vec::new();
    for (key, protocol) in [
        (
            "processor.jaeger-compact.server-host-port",
            Protocol::Compact,
        ),
        ("processor.jaeger-binary.server-host-port", Protocol::Binary),
    ] {
        if let Some(Some(address)) =
            settings.parse_with(key, &mut problems, spur_config::parse_host_port)
        {
            udp.push((address, protocol, key));
        }
    }
    let mut query = spur_query::config::QueryConfig::read(&settings, &mut problems);
    query.admin = None;
    let storage = read_storage(&settings, &env, StorageKind::Embedded, &mut problems);
    let dependencies = spur_dependencies::read_options(&settings, &mut problems);
    if let Err(code) = problems.finish_process(PROGRAM) {
        return code;
    }
    let Some(storage) = storage else {
        return ExitCode::from(2);
    };
    spur_telemetry::process::run_process(PROGRAM.name, async move {
        Ok(serve(collector, query, udp, storage, dependencies).await? == 0)
    })
}

/// Runs both services until SIGTERM; returns the spans lost at shutdown.
async fn serve(
    collector: spur_collector::CollectorConfig,
    query: spur_query::config::QueryConfig,
    udp: Vec<(std::net::SocketAddr, Protocol, &'static str)>,
    storage: StorageConfig,
    dependencies: Option<spur_dependencies::DerivingWriterOptions>,
) -> anyhow::Result<u64> {
    let metrics = spur_telemetry::metrics::install().map_err(anyhow::Error::msg)?;
    let built = spur_storage_factory::build(&storage)
        .await?
        .with_derived_dependencies(dependencies);
    let reader = built
        .reader
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the all-in-one needs a storage backend it can read"))?;
    let sampling = spur_sampling::StrategyStore::open(collector.sampling_options()).await?;
    let mut collector_listeners = spur_collector::Listeners::bind(&collector).await?;
    for (address, protocol, key) in udp {
        let socket = tokio::net::UdpSocket::bind(address)
            .await
            .map_err(|error| anyhow::anyhow!("cannot listen on {address}/udp ({key}): {error}"))?;
        collector_listeners.udp.push((socket, protocol));
    }
    let query_listeners = spur_query::server::Listeners::bind(&query).await?;
    let health = spur_telemetry::health::Health::new();
    let shutdown = spur_telemetry::shutdown::on_signal();
    let collector_services = spur_collector::server::Services {
        writer: Arc::clone(&built.writer),
        writer_name: "storage",
        health: health.clone(),
        metrics: metrics.clone(),
        sampling,
    };
    let query_services = spur_query::server::Services {
        reader,
        dependencies: built.dependencies.clone(),
        health: spur_telemetry::health::Health::new(),
        metrics,
        adjust: spur_query::adjust::AdjustOptions {
            max_clock_skew_adjustment: query.max_clock_skew_adjustment,
        },
        base_path: query.base_path.clone(),
    };
    // Whichever service ends first (SIGTERM, or a failure) stops the other.
    let collector_stop = shutdown.clone();
    let query_stop = shutdown.clone();
    let (collected, queried) = tokio::join!(
        async move {
            let result = spur_collector::run(
                collector,
                collector_services,
                collector_listeners,
                collector_stop.clone(),
            )
            .await;
            collector_stop.cancel();
            result
        },
        async move {
            let result =
                spur_query::server::run(query_services, query_listeners, query_stop.clone()).await;
            query_stop.cancel();
            result
        },
    );
    queried?;
    Ok(collected?.lost_spans)
}
