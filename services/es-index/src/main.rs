//! spur-es-index: Jaeger's Elasticsearch/OpenSearch index maintenance, with Jaeger's
//! environment (`SPAN_STORAGE_TYPE`, every `ES_*` setting the services read) so the Helm
//! hooks and CronJobs pass the same variables as the collector and query:
//! - `init`: put the index templates; with `ES_USE_ALIASES=true` (or `--rollover`) also create
//!   the first `…-000001` indices behind the read and write aliases (Jaeger's
//!   `es-rollover init`). Running it again changes nothing.
//! - `clean [NUMBER_OF_DAYS] [URL]`: delete indices older than N days (Jaeger's
//!   `es-index-cleaner`; `NUMBER_OF_DAYS` from the environment too).
//! - `rollover`: roll the write aliases over when `CONDITIONS` hold (Jaeger's `es-rollover
//!   rollover`, default `{"max_age": "2d"}`).
//!
//! The work is `spur_storage_elasticsearch::maintenance`; this file parses and reports.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use spur_storage_elasticsearch::{
    Client, ElasticsearchOptions, Flavor, ServerVersion, maintenance,
};
use spur_storage_factory::{StorageConfig, StorageKind, elasticsearch_options};

#[derive(Parser)]
#[command(name = "spur-es-index", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Put Jaeger's index templates; in rollover mode, also the first indices and aliases.
    Init(Common),
    /// Delete span, service and dependencies indices older than NUMBER_OF_DAYS days.
    Clean(CleanArgs),
    /// Roll the write aliases over to new indices when CONDITIONS hold.
    Rollover(RolloverArgs),
}

/// The settings the Helm chart passes are declared here (so `--help` lists them); every other
/// `ES_*` setting of the services is read from the environment too (see the README).
#[derive(Args)]
struct Common {
    /// `elasticsearch` or `opensearch` (default elasticsearch).
    #[arg(long, env = "SPAN_STORAGE_TYPE")]
    span_storage_type: Option<String>,
    /// Comma-separated node URLs (default http://127.0.0.1:9200).
    #[arg(long, env = "ES_SERVER_URLS")]
    server_urls: Option<String>,
    /// Index prefix: indices are `<prefix>-jaeger-…`.
    #[arg(long, env = "ES_INDEX_PREFIX")]
    index_prefix: Option<String>,
    /// Basic authentication user name.
    #[arg(long, env = "ES_USERNAME")]
    username: Option<String>,
    /// Basic authentication password.
    #[arg(long, env = "ES_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Rollover mode: indices behind -read/-write aliases (as the services' ES_USE_ALIASES).
    #[arg(long, env = "ES_USE_ALIASES")]
    rollover: bool,
    /// How long to wait for the cluster to answer, seconds.
    #[arg(long, env = "ES_WAIT_TIMEOUT", default_value_t = 60)]
    wait_timeout: u64,
}

#[derive(Args)]
struct CleanArgs {
    #[command(flatten)]
    common: Common,
    /// Keep this many days of indices (Jaeger's es-index-cleaner's first argument).
    #[arg(env = "NUMBER_OF_DAYS")]
    number_of_days: u32,
    /// Server URL (overrides ES_SERVER_URLS; Jaeger's es-index-cleaner's second argument).
    url: Option<String>,
}

#[derive(Args)]
struct RolloverArgs {
    #[command(flatten)]
    common: Common,
    /// Rollover conditions as JSON.
    #[arg(long, env = "CONDITIONS", default_value = r#"{"max_age": "2d"}"#)]
    conditions: String,
}

/// The backend's options from the environment, as the services read it.
fn options(common: &Common, url: Option<&str>) -> anyhow::Result<ElasticsearchOptions> {
    let mut env: HashMap<String, String> = std::env::vars().collect();
    for (key, value) in [
        ("SPAN_STORAGE_TYPE", &common.span_storage_type),
        ("ES_SERVER_URLS", &common.server_urls),
        ("ES_INDEX_PREFIX", &common.index_prefix),
        ("ES_USERNAME", &common.username),
        ("ES_PASSWORD", &common.password),
    ] {
        if let Some(value) = value {
            env.insert(key.to_owned(), value.clone());
        }
    }
    if common.rollover {
        env.insert("ES_USE_ALIASES".into(), "true".into());
    }
    if let Some(url) = url {
        env.insert("ES_SERVER_URLS".into(), url.to_owned());
    }
    let config = StorageConfig::from_env_or(&env, StorageKind::Elasticsearch)
        .context("reading the ES_* settings")?;
    let (config, flavor) = match config {
        StorageConfig::Elasticsearch(config) => (config, Flavor::Elasticsearch),
        StorageConfig::Opensearch(config) => (config, Flavor::OpenSearch),
        other => bail!(
            "SPAN_STORAGE_TYPE is {}: spur-es-index serves elasticsearch and opensearch",
            other.kind()
        ),
    };
    Ok(elasticsearch_options(&config, flavor)?)
}

/// Connects and asks the server its version, retrying until the wait timeout.
async fn connect(
    options: &ElasticsearchOptions,
    wait_timeout: u64,
) -> anyhow::Result<(Client, ServerVersion)> {
    let client = Client::new(options)?;
    let deadline = Instant::now() + Duration::from_secs(wait_timeout);
    loop {
        let version = match options.version {
            Some(major) => Ok(ServerVersion {
                flavor: options.flavor,
                major,
            }),
            None => client.server_version(options.flavor).await,
        };
        match version {
            Ok(version) => return Ok((client, version)),
            Err(error) if Instant::now() < deadline => {
                eprintln!("waiting for {}: {error}", options.servers.join(","));
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(error) => return Err(error).context("the cluster did not answer in time"),
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init(common) => {
            let options = options(&common, None)?;
            let (client, version) = connect(&options, common.wait_timeout).await?;
            let created =
                maintenance::init(&client, &options.naming, version, &options.templates).await?;
            println!(
                "templates put ({:?} {}); indices created: {}",
                version.flavor,
                version.major,
                if created.is_empty() {
                    "none".to_owned()
                } else {
                    created.join(", ")
                }
            );
        }
        Command::Clean(args) => {
            let options = options(&args.common, args.url.as_deref())?;
            let (client, _) = connect(&options, args.common.wait_timeout).await?;
            let deleted = maintenance::clean(
                &client,
                &options.naming,
                args.number_of_days,
                chrono::Utc::now(),
            )
            .await?;
            println!(
                "deleted {} indices older than {} days{}{}",
                deleted.len(),
                args.number_of_days,
                if deleted.is_empty() { "" } else { ": " },
                deleted.join(", ")
            );
        }
        Command::Rollover(args) => {
            let conditions: serde_json::Value = serde_json::from_str(&args.conditions)
                .with_context(|| format!("CONDITIONS {:?} is not JSON", args.conditions))?;
            let options = options(&args.common, None)?;
            let (client, _) = connect(&options, args.common.wait_timeout).await?;
            let rolled = maintenance::rollover(&client, &options.naming, &conditions).await?;
            println!(
                "rolled over: {}",
                if rolled.is_empty() {
                    "nothing (conditions not met)".to_owned()
                } else {
                    rolled.join(", ")
                }
            );
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse().command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur-es-index: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
