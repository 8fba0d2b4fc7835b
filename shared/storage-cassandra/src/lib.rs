//! spur-storage-cassandra: the `cassandra` storage backend, for Apache Cassandra 4.x/5.x and
//! ScyllaDB, on Jaeger's schema v004, so Spur and Jaeger read each other's data in one keyspace.
//!
//! - [`CassandraOptions`] and [`connect`]: contact points, data center, consistency, TLS,
//!   password authentication, pool size, timeouts (Jaeger's `cassandra.*` flags).
//! - [`schema`]: Jaeger's v004 CQL, created by [`schema::init`] and verified at start-up by
//!   [`schema::check`].
//! - [`dbmodel`]: the row and user-defined-type shapes and their conversions.
//! - [`CassandraStore`] implements the storage traits: the writer (`writer`: the span row and
//!   every index row Jaeger writes, TTLs, write caches), the reader (`reader`: index lookups, then
//!   whole traces, with the contract's exact matching) and dependencies (`dependencies`).
//! - `metrics`: Jaeger's `jaeger_cassandra_*` metric names.

pub mod dbmodel;
mod dependencies;
pub mod error;
mod metrics;
mod reader;
pub mod schema;
mod statements;
mod writer;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use scylla::client::PoolSize;
use scylla::client::execution_profile::ExecutionProfile;
pub use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
pub use scylla::statement::Consistency;
use spur_storage::StorageError;

use statements::Statements;
pub use writer::IndexOptions;

/// How to reach the cluster and how to write (Jaeger's `cassandra.*` flags).
#[derive(Debug, Clone, PartialEq)]
pub struct CassandraOptions {
    /// Contact points, `host:port`.
    pub servers: Vec<String>,
    pub keyspace: String,
    /// Prefer the nodes of this data center (`cassandra.local-dc`).
    pub local_dc: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// TLS to the nodes; `None` is plain TCP.
    pub tls: Option<TlsOptions>,
    /// Consistency of every statement (Jaeger's default LOCAL_ONE).
    pub consistency: Consistency,
    /// Connections per node (`cassandra.connections-per-host`, default 2).
    pub connections_per_host: usize,
    /// How long one statement may take (`cassandra.timeout`).
    pub timeout: Duration,
    /// How long connecting may take (`cassandra.connect-timeout`).
    pub connect_timeout: Duration,
    /// How long spans are kept, counted from their start time: each row's TTL is what is left
    /// of it, and spans already past it are not written. `None`: the `traces` table's
    /// `default_time_to_live`, as the schema was created (Jaeger's `TRACE_TTL`); zero: forever.
    pub span_ttl: Option<Duration>,
    /// Statements in flight per write call.
    pub write_concurrency: usize,
    /// Which tags get `tag_index` rows.
    pub index: IndexOptions,
    /// How long a written service or operation name is not written again
    /// (`cassandra.span-store-write-cache-ttl`, default 12 h).
    pub write_cache_ttl: Duration,
    /// Rows per page when reading a trace or an index.
    pub page_size: i32,
    /// A trace with more spans than this is returned cut to this many (and counted), so one
    /// runaway trace cannot exhaust memory.
    pub max_trace_spans: usize,
    /// Create the schema when the keyspace lacks it, with these settings, instead of failing.
    pub create_schema: Option<schema::SchemaOptions>,
}

/// TLS settings (`cassandra.tls.*`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// CA certificates to trust (PEM); the system's when `None`.
    pub ca: Option<PathBuf>,
    /// Client certificate and key (PEM) for mutual TLS.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Accept any server certificate (`cassandra.tls.skip-host-verify`).
    pub skip_host_verify: bool,
}

impl CassandraOptions {
    /// Jaeger's defaults for one keyspace on these servers.
    pub fn new(servers: Vec<String>, keyspace: impl Into<String>) -> Self {
        CassandraOptions {
            servers,
            keyspace: keyspace.into(),
            local_dc: None,
            username: None,
            password: None,
            tls: None,
            consistency: Consistency::LocalOne,
            connections_per_host: 2,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            span_ttl: None,
            write_concurrency: 64,
            index: IndexOptions::default(),
            write_cache_ttl: Duration::from_secs(12 * 3600),
            page_size: 1000,
            max_trace_spans: 200_000,
            create_schema: None,
        }
    }
}

/// Opens a session to the cluster.
pub async fn connect(options: &CassandraOptions) -> Result<Session, StorageError> {
    let per_host =
        NonZeroUsize::new(options.connections_per_host.max(1)).unwrap_or(NonZeroUsize::MIN);
    let profile = ExecutionProfile::builder()
        .consistency(options.consistency)
        .request_timeout(Some(options.timeout))
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(&options.servers)
        .connection_timeout(options.connect_timeout)
        .pool_size(PoolSize::PerHost(per_host))
        .default_execution_profile_handle(profile.into_handle());
    if let Some(datacenter) = &options.local_dc {
        builder = builder.prefer_datacenter(datacenter.clone());
    }
    match (&options.username, &options.password) {
        (Some(user), Some(password)) => builder = builder.user(user, password),
        (None, None) => {}
        _ => {
            return Err(StorageError::InvalidArgument(
                "Cassandra user name and password go together".into(),
            ));
        }
    }
    if let Some(tls) = &options.tls {
        builder = builder.tls_context(Some(tls_context(tls)?));
    }
    builder.build().await.map_err(|error| {
        StorageError::Unavailable(format!(
            "connecting to Cassandra at {}: {error}",
            options.servers.join(",")
        ))
    })
}

fn tls_context(tls: &TlsOptions) -> Result<openssl::ssl::SslContext, StorageError> {
    use openssl::ssl::{SslContextBuilder, SslFiletype, SslMethod, SslVerifyMode};
    let invalid = |what: &str, error: openssl::error::ErrorStack| {
        StorageError::InvalidArgument(format!("Cassandra TLS {what}: {error}"))
    };
    let mut context =
        SslContextBuilder::new(SslMethod::tls()).map_err(|e| invalid("context", e))?;
    match &tls.ca {
        Some(ca) => context
            .set_ca_file(ca)
            .map_err(|e| invalid(&format!("CA file {}", ca.display()), e))?,
        None => context
            .set_default_verify_paths()
            .map_err(|e| invalid("system CA certificates", e))?,
    }
    if let Some(cert) = &tls.cert {
        context
            .set_certificate_chain_file(cert)
            .map_err(|e| invalid(&format!("certificate {}", cert.display()), e))?;
    }
    if let Some(key) = &tls.key {
        context
            .set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| invalid(&format!("key {}", key.display()), e))?;
    }
    context.set_verify(if tls.skip_host_verify {
        SslVerifyMode::NONE
    } else {
        SslVerifyMode::PEER
    });
    Ok(context.build())
}

/// A keyspace holding Jaeger's schema v004, read and written through the storage traits.
pub struct CassandraStore {
    session: Arc<Session>,
    statements: Statements,
    options: CassandraOptions,
    /// `options.span_ttl`, or the table's when that is `None`.
    span_ttl: Duration,
    caches: writer::WriteCaches,
}

impl CassandraStore {
    /// Connects, makes sure the keyspace holds schema v004 (creating it when
    /// `options.create_schema` says so) and prepares the statements.
    pub async fn open(options: CassandraOptions) -> Result<CassandraStore, StorageError> {
        let session = connect(&options).await?;
        Self::with_session(Arc::new(session), options).await
    }

    /// As [`open`](Self::open), over a session already connected.
    pub async fn with_session(
        session: Arc<Session>,
        options: CassandraOptions,
    ) -> Result<CassandraStore, StorageError> {
        if let Some(schema_options) = &options.create_schema {
            if schema_options.keyspace != options.keyspace {
                return Err(StorageError::InvalidArgument(format!(
                    "the schema to create is for keyspace {}, the store uses {}",
                    schema_options.keyspace, options.keyspace
                )));
            }
            schema::init(&session, schema_options).await?;
        }
        schema::check(&session, &options.keyspace).await?;
        let statements = Statements::prepare(&session, &options).await?;
        let span_ttl = match options.span_ttl {
            Some(ttl) => ttl,
            None => schema::traces_ttl(&session, &options.keyspace).await?,
        };
        Ok(CassandraStore {
            span_ttl,
            caches: writer::WriteCaches::new(options.write_cache_ttl),
            session,
            statements,
            options,
        })
    }
}
