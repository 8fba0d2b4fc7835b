//! The collector as a process: load the settings (flags, YAML, environment), open the writer
//! the storage settings choose, bind the ports, serve until SIGTERM, and turn the outcome into
//! an exit code. `spur-collector` runs it with Jaeger's default backend; `spur-all-in-one`
//! with the embedded store.

use std::process::ExitCode;
use std::sync::Arc;

use spur_config::{Problems, Program};
use spur_storage_factory::{StorageConfig, StorageKind, read_storage};

use crate::server::Services;
use crate::{CollectorConfig, Listeners, SETTINGS};

/// Runs the process; `default_storage` applies when `SPAN_STORAGE_TYPE` is unset. Exit codes:
/// 0 after a clean shutdown, 1 when serving failed or spans were lost at shutdown, 2 for an
/// invalid configuration.
pub fn main(program: Program, default_storage: StorageKind) -> ExitCode {
    let declared: Vec<spur_config::Setting> = SETTINGS
        .iter()
        .chain(spur_storage_factory::SETTINGS)
        .chain(spur_dependencies::SETTINGS)
        .copied()
        .collect();
    let (settings, env) = match spur_config::load_process(program, &declared) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut problems = Problems::default();
    let config = CollectorConfig::read(&settings, &mut problems);
    let storage = read_storage(&settings, &env, default_storage, &mut problems);
    let dependencies = spur_dependencies::read_options(&settings, &mut problems);
    if let Err(code) = problems.finish_process(program) {
        return code;
    }
    let Some(storage) = storage else {
        return ExitCode::from(2);
    };
    spur_telemetry::process::run_process(program.name, async move {
        Ok(serve(config, storage, dependencies).await? == 0)
    })
}

/// Opens the writer, binds, serves; returns the spans lost at shutdown.
async fn serve(
    config: CollectorConfig,
    storage: StorageConfig,
    dependencies: Option<spur_dependencies::DerivingWriterOptions>,
) -> anyhow::Result<u64> {
    let metrics = spur_telemetry::metrics::install().map_err(anyhow::Error::msg)?;
    let writer_name = if matches!(storage, StorageConfig::Kafka(_)) {
        "kafka"
    } else {
        "storage"
    };
    tracing::info!(storage = ?storage_kind(&storage), "opening the span writer");
    let built = spur_storage_factory::build(&storage)
        .await?
        .with_derived_dependencies(dependencies);
    let sampling = spur_sampling::StrategyStore::open(config.sampling_options()).await?;
    let listeners = Listeners::bind(&config).await?;
    let shutdown = spur_telemetry::shutdown::on_signal();
    let services = Services {
        writer: Arc::clone(&built.writer),
        writer_name,
        health: spur_telemetry::health::Health::new(),
        metrics,
        sampling,
    };
    let report = crate::run(config, services, listeners, shutdown).await?;
    Ok(report.lost_spans)
}

fn storage_kind(storage: &StorageConfig) -> &'static str {
    match storage {
        StorageConfig::Memory(_) => "memory",
        StorageConfig::Embedded(_) => "embedded",
        StorageConfig::Cassandra(_) => "cassandra",
        StorageConfig::Elasticsearch(_) => "elasticsearch",
        StorageConfig::Opensearch(_) => "opensearch",
        StorageConfig::Kafka(_) => "kafka",
    }
}
