//! spur-cassandra-schema: `init` creates Jaeger's Cassandra schema v004 in a keyspace (what
//! Jaeger's `create.sh` / `jaeger-cassandra-schema` image does, with the same environment
//! names: MODE, DATACENTER, KEYSPACE, TRACE_TTL, DEPENDENCIES_TTL, REPLICATION_FACTOR, ...),
//! idempotently, after waiting for the cluster; `check` verifies a keyspace holds it.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use spur_storage_cassandra::schema::{self, Replication, SchemaOptions};
use spur_storage_cassandra::{CassandraOptions, TlsOptions};

#[derive(Parser)]
#[command(name = "spur-cassandra-schema", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the keyspace and schema v004 where missing (running it again changes nothing).
    Init(InitArgs),
    /// Exit 0 when the keyspace holds schema v004, else say what is missing and exit 1.
    Check(Connection),
}

#[derive(Args)]
struct Connection {
    /// Contact points, comma-separated `host` or `host:port`.
    #[arg(
        long,
        env = "CASSANDRA_SERVERS",
        value_delimiter = ',',
        default_value = "127.0.0.1"
    )]
    servers: Vec<String>,
    /// Port of servers given without one.
    #[arg(long, env = "CASSANDRA_PORT", default_value_t = 9042)]
    port: u16,
    /// Keyspace (Jaeger's create.sh default: jaeger_v1_<datacenter>).
    #[arg(long, env = "KEYSPACE")]
    keyspace: Option<String>,
    #[arg(long, env = "CASSANDRA_USERNAME")]
    username: Option<String>,
    #[arg(long, env = "CASSANDRA_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// TLS to the nodes.
    #[arg(long, env = "CASSANDRA_TLS_ENABLED", default_value_t = false)]
    tls: bool,
    #[arg(long, env = "CASSANDRA_TLS_CA")]
    tls_ca: Option<std::path::PathBuf>,
    /// How long to wait for the cluster to answer (Jaeger's CASSANDRA_WAIT_TIMEOUT), seconds.
    #[arg(long, env = "CASSANDRA_WAIT_TIMEOUT", default_value_t = 60)]
    wait_timeout: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// SimpleStrategy (default factor 1).
    Test,
    /// NetworkTopologyStrategy in DATACENTER (default factor 2).
    Prod,
}

#[derive(Args)]
struct InitArgs {
    #[command(flatten)]
    connection: Connection,
    #[arg(long, env = "MODE", value_enum, default_value = "test")]
    mode: Mode,
    /// Data center of the prod replication and of the default keyspace name.
    #[arg(long, env = "DATACENTER", default_value = "dc1")]
    datacenter: String,
    /// Replication factor (default: 1 in test mode, 2 in prod).
    #[arg(long, env = "REPLICATION_FACTOR")]
    replication_factor: Option<u32>,
    /// Default TTL of spans and indexes, seconds (Jaeger's default two days).
    #[arg(long, env = "TRACE_TTL", default_value_t = 172_800)]
    trace_ttl: u64,
    /// Default TTL of dependencies, seconds, 0 = none.
    #[arg(long, env = "DEPENDENCIES_TTL", default_value_t = 0)]
    dependencies_ttl: u64,
    /// Compaction window of `traces` as `<n>m`, `<n>h` or `<n>d` (default: TTL/30 minutes).
    #[arg(long, env = "COMPACTION_WINDOW")]
    compaction_window: Option<String>,
}

impl Connection {
    fn keyspace(&self, datacenter: &str) -> String {
        self.keyspace
            .clone()
            .unwrap_or_else(|| format!("jaeger_v1_{datacenter}").replace('-', "_"))
    }

    fn options(&self, keyspace: String) -> CassandraOptions {
        let servers = self
            .servers
            .iter()
            .map(|server| {
                if server.contains(':') {
                    server.clone()
                } else {
                    format!("{server}:{}", self.port)
                }
            })
            .collect();
        let mut options = CassandraOptions::new(servers, keyspace);
        options.username.clone_from(&self.username);
        options.password.clone_from(&self.password);
        options.tls = self.tls.then(|| TlsOptions {
            ca: self.tls_ca.clone(),
            ..TlsOptions::default()
        });
        options
    }

    /// Connects, retrying until the wait timeout.
    async fn session(
        &self,
        options: &CassandraOptions,
    ) -> anyhow::Result<spur_storage_cassandra::Session> {
        let deadline = Instant::now() + Duration::from_secs(self.wait_timeout);
        loop {
            match spur_storage_cassandra::connect(options).await {
                Ok(session) => return Ok(session),
                Err(error) if Instant::now() < deadline => {
                    eprintln!("waiting for Cassandra: {error}");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Err(error) => return Err(error).context("Cassandra did not answer in time"),
            }
        }
    }
}

/// `<n>m`, `<n>h` or `<n>d` as minutes.
fn compaction_minutes(text: &str) -> anyhow::Result<u64> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let number: u64 = number
        .parse()
        .with_context(|| format!("COMPACTION_WINDOW {text:?}: expected <n>m, <n>h or <n>d"))?;
    Ok(match unit {
        "m" => number,
        "h" => number * 60,
        "d" => number * 1440,
        _ => bail!("COMPACTION_WINDOW {text:?}: expected <n>m, <n>h or <n>d"),
    })
}

async fn init(args: InitArgs) -> anyhow::Result<()> {
    let keyspace = args.connection.keyspace(&args.datacenter);
    let replication = match args.mode {
        Mode::Test => Replication::Simple {
            factor: args.replication_factor.unwrap_or(1),
        },
        Mode::Prod => Replication::NetworkTopology {
            datacenter: args.datacenter.clone(),
            factor: args.replication_factor.unwrap_or(2),
        },
    };
    let trace_ttl = Duration::from_secs(args.trace_ttl);
    let compaction_window_minutes = match &args.compaction_window {
        Some(text) => compaction_minutes(text)?,
        None => schema::default_compaction_window_minutes(trace_ttl),
    };
    let schema_options = SchemaOptions {
        keyspace: keyspace.clone(),
        replication,
        trace_ttl,
        dependencies_ttl: Duration::from_secs(args.dependencies_ttl),
        compaction_window_minutes,
    };
    let options = args.connection.options(keyspace.clone());
    let session = args.connection.session(&options).await?;
    schema::init(&session, &schema_options).await?;
    schema::check(&session, &keyspace).await?;
    println!("keyspace {keyspace}: schema v004 ready");
    Ok(())
}

async fn check(connection: Connection) -> anyhow::Result<()> {
    let keyspace = connection.keyspace("dc1");
    let options = connection.options(keyspace.clone());
    let session = connection.session(&options).await?;
    schema::check(&session, &keyspace).await?;
    println!("keyspace {keyspace}: schema v004 present");
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Init(args) => init(args).await,
        Command::Check(connection) => check(connection).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur-cassandra-schema: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
