//! The query service as a process: settings, the storage reader, ports, serving until SIGTERM.

use std::collections::HashMap;
use std::process::ExitCode;

use spur_config::{LoadError, Problems, Program};
use spur_storage_factory::{StorageConfig, StorageKind};

use crate::config::{QueryConfig, SETTINGS};
use crate::server::{Listeners, Services};

/// Runs `spur-query`; `default_storage` applies when `SPAN_STORAGE_TYPE` is unset.
pub fn main(program: Program, default_storage: StorageKind) -> ExitCode {
    let env: HashMap<String, String> = std::env::vars().collect();
    let declared: Vec<spur_config::Setting> = SETTINGS
        .iter()
        .chain(spur_storage_factory::SETTINGS)
        .copied()
        .collect();
    let settings = match spur_config::load(program, &declared, std::env::args_os(), &env) {
        Ok(settings) => settings,
        Err(LoadError::CommandLine(error)) => error.exit(),
        Err(error) => {
            eprintln!("{}: {error}", program.name);
            return ExitCode::from(2);
        }
    };
    let mut problems = Problems::default();
    let config = QueryConfig::read(&settings, &mut problems);
    let storage = match StorageConfig::from_env_or(&settings.as_env(&env), default_storage) {
        Ok(storage) => Some(storage),
        Err(error) => {
            problems.extend(
                error
                    .problems
                    .into_iter()
                    .map(|problem| (problem.key.to_owned(), problem.message)),
            );
            None
        }
    };
    if let Err(error) = problems.finish() {
        eprintln!("{}: {error}", program.name);
        return ExitCode::from(2);
    }
    let Some(storage) = storage else {
        return ExitCode::from(2);
    };
    spur_telemetry::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{}: cannot start the runtime: {error}", program.name);
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config, storage)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}: {error:#}", program.name);
            ExitCode::FAILURE
        }
    }
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
