//! The ingester as a process: `spur-ingester` drains the topic as a consumer group member until
//! SIGTERM; `spur-ingester replay ...` re-drains a window of it and exits. Both read Jaeger's
//! `kafka.consumer.*` and storage settings (flags, YAML, environment) and map the outcome to an
//! exit code (0 clean, 1 failure or batches abandoned at shutdown, 2 invalid configuration).

use std::process::ExitCode;
use std::sync::Arc;

use spur_config::{Problems, Program};
use spur_storage_factory::{StorageConfig, read_storage};

use crate::config::{IngesterConfig, KAFKA_SETTINGS, SETTINGS};
use crate::replay::{ReplayConfig, replay};
use crate::write::{DeadLetter, Destination};

pub fn main(program: Program) -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("replay") {
        return replay_main();
    }
    let declared: Vec<spur_config::Setting> = SETTINGS
        .iter()
        .chain(KAFKA_SETTINGS)
        .chain(spur_storage_factory::SETTINGS)
        .chain(spur_dependencies::SETTINGS)
        .copied()
        .collect();
    let (settings, env) = match spur_config::load_process(program, &declared) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut problems = Problems::default();
    let config = IngesterConfig::read(&settings, &mut problems);
    let dependencies = spur_dependencies::read_options(&settings, &mut problems);
    let storage = read_storage(
        &settings,
        &env,
        spur_storage_factory::env::DEFAULT_KIND,
        &mut problems,
    );
    if let Err(code) = problems.finish_process(program) {
        return code;
    }
    let Some(storage) = storage else {
        return ExitCode::from(2);
    };
    spur_telemetry::process::run_process(program.name, async move {
        let metrics = spur_telemetry::metrics::install().map_err(anyhow::Error::msg)?;
        let destination = destination(&storage, &config, dependencies).await?;
        let health = spur_telemetry::health::Health::new();
        let shutdown = spur_telemetry::shutdown::on_signal();
        let admin_stop = tokio_util::sync::CancellationToken::new();
        let admin = match config.admin {
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(address).await?;
                let router = spur_telemetry::admin::router(health.clone(), metrics, "ingester");
                let stop = admin_stop.clone();
                Some(tokio::spawn(spur_telemetry::admin::serve(
                    listener, router, stop,
                )))
            }
            None => None,
        };
        let ready = health.clone();
        let report = crate::ingest::run(
            &config,
            destination.clone(),
            move || ready.set_ready(),
            shutdown,
        )
        .await;
        health.set_unavailable();
        let flushed = destination.writer.flush(config.shutdown_timeout).await;
        admin_stop.cancel();
        if let Some(admin) = admin {
            let _ = admin.await;
        }
        let report = report?;
        tracing::info!(?report, "ingester stopped");
        Ok(report.abandoned_batches == 0 && matches!(flushed, Ok(0)))
    })
}

fn replay_main() -> ExitCode {
    let program = Program {
        name: "spur-ingester replay",
        about: "Re-drains a Kafka topic (or partitions, an offset range, a time window) into storage without moving the ingesters' offsets",
    };
    let declared: Vec<spur_config::Setting> = crate::replay::SETTINGS
        .iter()
        .chain(KAFKA_SETTINGS)
        .chain(spur_storage_factory::SETTINGS)
        .copied()
        .collect();
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let args = std::env::args_os().skip(1); // "replay" stands for the program name
    let settings = match spur_config::load(program, &declared, args, &env) {
        Ok(settings) => settings,
        Err(spur_config::LoadError::CommandLine(error)) => error.exit(),
        Err(error) => {
            eprintln!("{}: {error}", program.name);
            return ExitCode::from(2);
        }
    };
    let mut problems = Problems::default();
    let config = ReplayConfig::read(&settings, &mut problems);
    let storage = read_storage(
        &settings,
        &env,
        spur_storage_factory::env::DEFAULT_KIND,
        &mut problems,
    );
    if let Err(code) = problems.finish_process(program) {
        return code;
    }
    let Some(storage) = storage else {
        return ExitCode::from(2);
    };
    spur_telemetry::process::run_process(program.name, async move {
        let ingester = IngesterConfig {
            consumer: config.consumer.clone(),
            parallelism: 1,
            batch_max_spans: config.batch_max_spans,
            batch_linger: std::time::Duration::ZERO,
            dead_letter_topic: None,
            shutdown_timeout: std::time::Duration::from_secs(10),
            admin: None,
        };
        // A replay re-writes spans already counted once: links are not derived again.
        let destination = destination(&storage, &ingester, None).await?;
        let summary = replay(&config, &destination).await?;
        destination
            .writer
            .flush(std::time::Duration::from_secs(30))
            .await?;
        println!(
            "{}",
            serde_json::json!({
                "messages": summary.messages,
                "spans_written": summary.spans_written,
                "poison": summary.poison,
                "seconds": summary.seconds,
                "spans_per_second": summary.spans_written as f64 / summary.seconds.max(0.001),
                "dry_run": config.dry_run,
            })
        );
        Ok(true)
    })
}

/// The storage writer (deriving dependency links with `dependencies`) and where poison goes.
pub async fn destination(
    storage: &StorageConfig,
    config: &IngesterConfig,
    dependencies: Option<spur_dependencies::DerivingWriterOptions>,
) -> anyhow::Result<Destination> {
    if matches!(storage, StorageConfig::Kafka(_)) {
        anyhow::bail!(
            "SPAN_STORAGE_TYPE=kafka: the ingester writes to a storage backend, not back to Kafka"
        );
    }
    let built = spur_storage_factory::build(storage)
        .await?
        .with_derived_dependencies(dependencies);
    let dead_letter = match &config.dead_letter_topic {
        Some(topic) => {
            let mut client = rdkafka::ClientConfig::new();
            client.set("bootstrap.servers", config.consumer.brokers.join(","));
            Some(DeadLetter {
                producer: client.create()?,
                topic: topic.clone(),
            })
        }
        None => None,
    };
    Ok(Destination {
        writer: Arc::clone(&built.writer),
        backend: backend_name(storage),
        encoding: config.consumer.encoding,
        topic: config.consumer.topic.clone(),
        dead_letter,
    })
}

fn backend_name(storage: &StorageConfig) -> &'static str {
    match storage {
        StorageConfig::Memory(_) => "memory",
        StorageConfig::Embedded(_) => "embedded",
        StorageConfig::Cassandra(_) => "cassandra",
        StorageConfig::Elasticsearch(_) => "elasticsearch",
        StorageConfig::Opensearch(_) => "opensearch",
        StorageConfig::Kafka(_) => "kafka",
    }
}
