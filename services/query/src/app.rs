//! The query service as a process: settings, the storage reader, ports, serving until SIGTERM.

use std::process::ExitCode;

use spur_config::{Problems, Program};
use spur_storage_factory::{StorageConfig, StorageKind, read_storage};

use crate::config::{QueryConfig, SETTINGS};
use crate::server::{Listeners, Services};

/// Runs `spur-query`; `default_storage` applies when `SPAN_STORAGE_TYPE` is unset.
pub fn main(program: Program, default_storage: StorageKind) -> ExitCode {
    let declared: Vec<spur_config::Setting> = SETTINGS
        .iter()
        .chain(spur_storage_factory::SETTINGS)
        .copied()
        .collect();
    let (settings, env) = match spur_config::load_process(program, &declared) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut problems = Problems::default();
    let config = QueryConfig::read(&settings, &mut problems);
    let storage = read_storage(&settings, &env, default_storage, &mut problems);
    if let Err(code) = problems.finish_process(program) {
        return code;
    }
    let Some(storage) = storage else {
        return ExitCode::from(2);
    };
    spur_telemetry::process::run_process(program.name, async move {
        serve(config, storage).await.map(|()| true)
    })
}

async fn serve(config: QueryConfig, storage: StorageConfig) -> anyhow::Result<()> {
    let metrics = spur_telemetry::metrics::install().map_err(anyhow::Error::msg)?;
    let built = spur_storage_factory::build(&storage).await?;
    let reader = built.reader.ok_or_else(|| {
        anyhow::anyhow!(
            "this storage backend is write-only; the query service needs one it can read"
        )
    })?;
    let listeners = Listeners::bind(&config).await?;
    let services = Services {
        reader,
        dependencies: built.dependencies,
        health: spur_telemetry::health::Health::new(),
        metrics,
        adjust: crate::adjust::AdjustOptions {
            max_clock_skew_adjustment: config.max_clock_skew_adjustment,
        },
        base_path: config.base_path.clone(),
    };
    crate::server::run(services, listeners, spur_telemetry::shutdown::on_signal()).await
}
