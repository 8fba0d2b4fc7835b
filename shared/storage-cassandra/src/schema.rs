//! Jaeger's Cassandra schema v004: the CQL that creates it (keyspace with its replication,
//! user-defined types, tables with Jaeger's names, keys, compaction and TTLs), applied
//! idempotently by [`init`], and [`check`], which tells at start-up whether a keyspace holds it.

use std::time::Duration;

use scylla::client::session::Session;

use crate::error::from_execution;
use spur_storage::StorageError;

/// Jaeger's `create.sh` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaOptions {
    /// Letters, digits and `_` only (Jaeger's rule).
    pub keyspace: String,
    pub replication: Replication,
    /// Default time to live of span and index rows (Jaeger's `TRACE_TTL`, default 2 days).
    pub trace_ttl: Duration,
    /// Default time to live of dependency rows, zero for none (Jaeger's `DEPENDENCIES_TTL`).
    pub dependencies_ttl: Duration,
    /// The `traces` table's time-window compaction window, in minutes (Jaeger's default: the
    /// TTL in minutes divided by 30, rounded up).
    pub compaction_window_minutes: u64,
}

/// How the keyspace is replicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replication {
    /// `MODE=test`: SimpleStrategy with this factor (Jaeger's default 1).
    Simple { factor: u32 },
    /// `MODE=prod`: NetworkTopologyStrategy with this factor in the data center (default 2).
    NetworkTopology { datacenter: String, factor: u32 },
}

/// Jaeger's default `TRACE_TTL`: 172800 s.
pub const DEFAULT_TRACE_TTL: Duration = Duration::from_secs(2 * 24 * 3600);

impl SchemaOptions {
    /// A test-mode keyspace with Jaeger's defaults.
    pub fn new(keyspace: impl Into<String>) -> Self {
        SchemaOptions {
            keyspace: keyspace.into(),
            replication: Replication::Simple { factor: 1 },
            trace_ttl: DEFAULT_TRACE_TTL,
            dependencies_ttl: Duration::ZERO,
            compaction_window_minutes: default_compaction_window_minutes(DEFAULT_TRACE_TTL),
        }
    }

    /// The statements creating the schema, in order; each is `IF NOT EXISTS`.
    pub fn statements(&self) -> Result<Vec<String>, StorageError> {
        validate_keyspace(&self.keyspace)?;
        let ks = &self.keyspace;
        let replication = match &self.replication {
            Replication::Simple { factor } => {
                format!("{{'class': 'SimpleStrategy', 'replication_factor': '{factor}'}}")
            }
            Replication::NetworkTopology { datacenter, factor } => {
                if !datacenter
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(StorageError::InvalidArgument(format!(
                        "data center name {datacenter:?} may hold letters, digits, '_' and '-' only"
                    )));
                }
                format!("{{'class': 'NetworkTopologyStrategy', '{datacenter}': '{factor}'}}")
            }
        };
        let ttl = self.trace_ttl.as_secs();
        let common = format!(
            "default_time_to_live = {ttl} AND speculative_retry = 'NONE' AND gc_grace_seconds = 10800"
        );
        let twcs = |size: u64, unit: &str| {
            format!(
                "compaction = {{'compaction_window_size': '{size}', 'compaction_window_unit': '{unit}', \
                 'class': 'org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy'}}"
            )
        };
        let stcs = "compaction = {'min_threshold': '4', 'max_threshold': '32', \
                    'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy'}";
        let hourly = twcs(1, "HOURS");
        let traces_window = twcs(self.compaction_window_minutes.max(1), "MINUTES");
        Ok(vec![
            format!("CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {replication}"),
            format!(
                "CREATE TYPE IF NOT EXISTS {ks}.keyvalue (key text, value_type text, value_string text, \
                 value_bool boolean, value_long bigint, value_double double, value_binary blob)"
            ),
            format!(
                "CREATE TYPE IF NOT EXISTS {ks}.log (ts bigint, fields frozen<list<frozen<keyvalue>>>)"
            ),
            format!(
                "CREATE TYPE IF NOT EXISTS {ks}.span_ref (ref_type text, trace_id blob, span_id bigint)"
            ),
            format!(
                "CREATE TYPE IF NOT EXISTS {ks}.process (service_name text, tags frozen<list<frozen<keyvalue>>>)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.traces (trace_id blob, span_id bigint, span_hash bigint, \
                 parent_id bigint, operation_name text, flags int, start_time bigint, duration bigint, \
                 tags list<frozen<keyvalue>>, logs list<frozen<log>>, refs list<frozen<span_ref>>, \
                 process frozen<process>, PRIMARY KEY (trace_id, span_id, span_hash)) \
                 WITH {traces_window} AND {common}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.service_names (service_name text, PRIMARY KEY (service_name)) \
                 WITH {stcs} AND {common}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.operation_names_v2 (service_name text, span_kind text, \
                 operation_name text, PRIMARY KEY ((service_name), span_kind, operation_name)) \
                 WITH {stcs} AND {common}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.service_operation_index (service_name text, \
                 operation_name text, start_time bigint, trace_id blob, \
                 PRIMARY KEY ((service_name, operation_name), start_time)) \
                 WITH CLUSTERING ORDER BY (start_time DESC) AND {hourly} AND {common}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.service_name_index (service_name text, bucket int, \
                 start_time bigint, trace_id blob, PRIMARY KEY ((service_name, bucket), start_time)) \
                 WITH CLUSTERING ORDER BY (start_time DESC) AND {hourly} AND {common}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.duration_index (service_name text, operation_name text, \
                 bucket timestamp, duration bigint, start_time bigint, trace_id blob, \
                 PRIMARY KEY ((service_name, operation_name, bucket), duration, start_time, trace_id)) \
                 WITH CLUSTERING ORDER BY (duration DESC, start_time DESC) AND {hourly} AND {common}"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.tag_index (service_name text, tag_key text, \
                 tag_value text, start_time bigint, trace_id blob, span_id bigint, \
                 PRIMARY KEY ((service_name, tag_key, tag_value), start_time, trace_id, span_id)) \
                 WITH CLUSTERING ORDER BY (start_time DESC) AND {hourly} AND {common}"
            ),
            format!(
                "CREATE TYPE IF NOT EXISTS {ks}.dependency (parent text, child text, call_count bigint, \
                 source text)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.dependencies_v2 (ts_bucket timestamp, ts timestamp, \
                 dependencies list<frozen<dependency>>, PRIMARY KEY (ts_bucket, ts)) \
                 WITH CLUSTERING ORDER BY (ts DESC) AND {stcs} AND default_time_to_live = {}",
                self.dependencies_ttl.as_secs()
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.operation_throughput (bucket int, ts timeuuid, \
                 throughput text, PRIMARY KEY (bucket, ts)) WITH CLUSTERING ORDER BY (ts DESC)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.sampling_probabilities (bucket int, ts timeuuid, \
                 hostname text, probabilities text, PRIMARY KEY (bucket, ts)) \
                 WITH CLUSTERING ORDER BY (ts DESC)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {ks}.leases (name text, owner text, PRIMARY KEY (name))"
            ),
        ])
    }
}

/// Jaeger's default compaction window of `traces`: TTL minutes / 30, rounded up.
pub fn default_compaction_window_minutes(trace_ttl: Duration) -> u64 {
    trace_ttl.as_secs().div_ceil(60).div_ceil(30).max(1)
}

/// Jaeger's keyspace rule: letters, digits and `_`, so names never need quoting.
pub fn validate_keyspace(keyspace: &str) -> Result<(), StorageError> {
    if keyspace.is_empty()
        || !keyspace
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(StorageError::InvalidArgument(format!(
            "keyspace {keyspace:?} may hold only letters, digits and '_'"
        )));
    }
    Ok(())
}

/// Creates what is missing of the schema; running it again changes nothing.
pub async fn init(session: &Session, options: &SchemaOptions) -> Result<(), StorageError> {
    for statement in options.statements()? {
        session
            .query_unpaged(statement.as_str(), &[])
            .await
            .map_err(|error| from_execution("creating the schema", error))?;
    }
    session
        .await_schema_agreement()
        .await
        .map_err(|error| StorageError::Unavailable(format!("schema agreement: {error}")))?;
    Ok(())
}

/// The tables a v004 keyspace has; a v003 one has `operation_names` instead of
/// `operation_names_v2`.
pub const V004_TABLES: &[&str] = &[
    "traces",
    "service_names",
    "operation_names_v2",
    "service_operation_index",
    "service_name_index",
    "duration_index",
    "tag_index",
    "dependencies_v2",
];

/// Fails with a message saying what to do when the keyspace lacks schema v004.
pub async fn check(session: &Session, keyspace: &str) -> Result<(), StorageError> {
    validate_keyspace(keyspace)?;
    let rows = session
        .query_unpaged(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
            (keyspace,),
        )
        .await
        .map_err(|error| from_execution("reading the schema", error))?
        .into_rows_result()
        .map_err(|error| StorageError::Internal(format!("reading the schema: {error}")))?;
    let mut tables = Vec::new();
    for row in rows
        .rows::<(String,)>()
        .map_err(|error| StorageError::Internal(format!("reading the schema: {error}")))?
    {
        let (table,) =
            row.map_err(|error| StorageError::Internal(format!("reading the schema: {error}")))?;
        tables.push(table);
    }
    let init_hint = format!("create it with `spur-cassandra-schema init --keyspace {keyspace}`");
    if tables.is_empty() {
        return Err(StorageError::Unavailable(format!(
            "Cassandra keyspace {keyspace} has no tables (or does not exist): {init_hint}"
        )));
    }
    if tables.iter().any(|t| t == "operation_names")
        && !tables.iter().any(|t| t == "operation_names_v2")
    {
        return Err(StorageError::Unavailable(format!(
            "Cassandra keyspace {keyspace} holds Jaeger's schema v003; Spur needs v004 \
             (add table operation_names_v2 as Jaeger's v004 template does, or {init_hint})"
        )));
    }
    let missing: Vec<&str> = V004_TABLES
        .iter()
        .copied()
        .filter(|table| !tables.iter().any(|t| t == table))
        .collect();
    if !missing.is_empty() {
        return Err(StorageError::Unavailable(format!(
            "Cassandra keyspace {keyspace} lacks tables of schema v004 ({}): {init_hint}",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// The `traces` table's `default_time_to_live` (zero: none).
pub async fn traces_ttl(session: &Session, keyspace: &str) -> Result<Duration, StorageError> {
    let context = "reading the traces table's TTL";
    let result = session
        .query_unpaged(
            "SELECT default_time_to_live FROM system_schema.tables \
             WHERE keyspace_name = ? AND table_name = 'traces'",
            (keyspace,),
        )
        .await
        .map_err(|error| from_execution(context, error))?
        .into_rows_result()
        .map_err(|error| StorageError::Internal(format!("{context}: {error}")))?;
    let (seconds,): (Option<i32>,) = result
        .first_row()
        .map_err(|error| StorageError::Internal(format!("{context}: {error}")))?;
    Ok(Duration::from_secs(
        u64::try_from(seconds.unwrap_or(0)).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_follow_jaegers_template() {
        let statements = SchemaOptions::new("jaeger_v1_test")
            .statements()
            .expect("valid");
        assert_eq!(statements.len(), 17);
        assert!(statements[0].contains("'SimpleStrategy', 'replication_factor': '1'"));
        let traces = statements
            .iter()
            .find(|s| s.contains(".traces ("))
            .expect("a traces table");
        assert!(traces.contains("PRIMARY KEY (trace_id, span_id, span_hash)"));
        assert!(traces.contains("default_time_to_live = 172800"));
        assert!(traces.contains("'compaction_window_size': '96'"));
        assert!(statements.iter().all(|s| s.contains("IF NOT EXISTS")));
    }

    #[test]
    fn keyspace_names_are_checked() {
        assert!(SchemaOptions::new("bad-name").statements().is_err());
        assert!(SchemaOptions::new("x; DROP").statements().is_err());
        let prod = SchemaOptions {
            replication: Replication::NetworkTopology {
                datacenter: "dc1".into(),
                factor: 2,
            },
            ..SchemaOptions::new("jaeger_v1_dc1")
        };
        let statements = prod.statements().expect("valid");
        assert!(statements[0].contains("'NetworkTopologyStrategy', 'dc1': '2'"));
    }
}
