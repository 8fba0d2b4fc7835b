//! Entry point of `spur-collector`: load the settings, open the writer, bind the ports, run
//! until SIGTERM, and exit non-zero if spans were lost on the way out.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use spur_collector::server::Services;
use spur_collector::{CollectorConfig, Listeners, SETTINGS};
use spur_config::{LoadError, Problems, Program};
use spur_storage_factory::StorageConfig;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PROGRAM: Program = Program {
    name: "spur-collector",
    about: "Receives spans (Jaeger gRPC/HTTP, Zipkin, OTLP) and writes them to Kafka or storage",
};

fn main() -> ExitCode {
    let env: HashMap<String, String> = std::env::vars().collect();
    let declared: Vec<spur_config::Setting> = SETTINGS
        .iter()
        .chain(spur_storage_factory::SETTINGS)
        .copied()
        .collect();
    let settings = match spur_config::load(PROGRAM, &declared, std::env::args_os(), &env) {
        Ok(settings) => settings,
        Err(LoadError::CommandLine(error)) => error.exit(),
        Err(error) => {
            eprintln!("spur-collector: {error}");
            return ExitCode::from(2);
        }
    };
    let mut problems = Problems::default();
    let config = CollectorConfig::read(&settings, &mut problems);
    let storage = StorageConfig::from_env(&settings.as_env(&env));
    let storage = match storage {
        Ok(storage) => Some(storage),
        Err(error) => {
            problems.extend(
                error
                    .problems
                    .into_iter()
                    .map(|p| (p.key.to_owned(), p.message)),
            );
            None
        }
    };
    if let Err(error) = problems.finish() {
        eprintln!("spur-collector: {error}");
        return ExitCode::from(2);
    }
    let Some(storage) = storage else {
        return ExitCode::from(2);
    };
    spur_telemetry::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("spur-collector: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config, storage)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("spur-collector: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: CollectorConfig, storage: StorageConfig) -> anyhow::Result<u64> {
    let metrics = spur_telemetry::metrics::install().map_err(anyhow::Error::msg)?;
    let writer_name = if matches!(storage, StorageConfig::Kafka(_)) {
        "kafka"
    } else {
        "storage"
    };
    let built = spur_storage_factory::build(&storage).await?;
    let sampling = spur_collector::sampling::StrategyStore::open(
        config.strategies_file.as_deref(),
        config.strategies_reload,
    )
    .await?;
    let listeners = Listeners::bind(&config).await?;
    let shutdown = spur_telemetry::shutdown::on_signal();
    let context = Services {
        writer: Arc::clone(&built.writer),
        writer_name,
        health: spur_telemetry::health::Health::new(),
        metrics,
        sampling,
    };
    let report = spur_collector::run(config, context, listeners, shutdown).await?;
    Ok(report.lost_spans)
}
