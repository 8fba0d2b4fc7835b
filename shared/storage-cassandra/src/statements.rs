//! The prepared statements, one per table access, shaped as Jaeger's writer and reader issue them
//! (index range reads are inclusive at both ends, as the storage contract is).

use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;
use spur_storage::StorageError;

use crate::CassandraOptions;
use crate::error::from_execution;

pub(crate) struct Statements {
    pub insert_span: PreparedStatement,
    pub insert_service_name: PreparedStatement,
    pub insert_operation_name: PreparedStatement,
    pub insert_service_name_index: PreparedStatement,
    pub insert_service_operation_index: PreparedStatement,
    pub insert_duration_index: PreparedStatement,
    pub insert_tag_index: PreparedStatement,
    pub insert_dependencies: PreparedStatement,
    pub select_trace: PreparedStatement,
    pub select_services: PreparedStatement,
    pub select_operations: PreparedStatement,
    pub select_operations_of_kind: PreparedStatement,
    pub query_service_name_index: PreparedStatement,
    pub query_service_operation_index: PreparedStatement,
    pub query_tag_index: PreparedStatement,
    pub query_duration_index: PreparedStatement,
    pub select_dependencies: PreparedStatement,
}

impl Statements {
    pub async fn prepare(
        session: &Session,
        options: &CassandraOptions,
    ) -> Result<Statements, StorageError> {
        let ks = &options.keyspace;
        let page_size = options.page_size.max(1);
        let prepare = |cql: String| async move {
            let mut statement = session
                .prepare(cql.as_str())
                .await
                .map_err(|error| from_execution(&format!("preparing {cql}"), error.into()))?;
            statement.set_page_size(page_size);
            // Every write is an upsert of the same values and every read has no side
            // effect: the driver may retry or speculate them.
            statement.set_is_idempotent(true);
            Ok::<_, StorageError>(statement)
        };
        Ok(Statements {
            insert_span: prepare(format!(
                "INSERT INTO {ks}.traces (trace_id, span_id, span_hash, parent_id, operation_name, \
                 flags, start_time, duration, tags, logs, refs, process) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?"
            ))
            .await?,
            insert_service_name: prepare(format!(
                "INSERT INTO {ks}.service_names (service_name) VALUES (?) USING TTL ?"
            ))
            .await?,
            insert_operation_name: prepare(format!(
                "INSERT INTO {ks}.operation_names_v2 (service_name, span_kind, operation_name) \
                 VALUES (?, ?, ?) USING TTL ?"
            ))
            .await?,
            insert_service_name_index: prepare(format!(
                "INSERT INTO {ks}.service_name_index (service_name, bucket, start_time, trace_id) \
                 VALUES (?, ?, ?, ?) USING TTL ?"
            ))
            .await?,
            insert_service_operation_index: prepare(format!(
                "INSERT INTO {ks}.service_operation_index \
                 (service_name, operation_name, start_time, trace_id) VALUES (?, ?, ?, ?) USING TTL ?"
            ))
            .await?,
            insert_duration_index: prepare(format!(
                "INSERT INTO {ks}.duration_index \
                 (service_name, operation_name, bucket, duration, start_time, trace_id) \
                 VALUES (?, ?, ?, ?, ?, ?) USING TTL ?"
            ))
            .await?,
            insert_tag_index: prepare(format!(
                "INSERT INTO {ks}.tag_index \
                 (trace_id, span_id, service_name, start_time, tag_key, tag_value) \
                 VALUES (?, ?, ?, ?, ?, ?) USING TTL ?"
            ))
            .await?,
            insert_dependencies: prepare(format!(
                "INSERT INTO {ks}.dependencies_v2 (ts, ts_bucket, dependencies) VALUES (?, ?, ?)"
            ))
            .await?,
            select_trace: prepare(format!(
                "SELECT trace_id, span_id, parent_id, operation_name, flags, start_time, duration, \
                 tags, logs, refs, process FROM {ks}.traces WHERE trace_id = ?"
            ))
            .await?,
            select_services: prepare(format!("SELECT service_name FROM {ks}.service_names")).await?,
            select_operations: prepare(format!(
                "SELECT span_kind, operation_name FROM {ks}.operation_names_v2 WHERE service_name = ?"
            ))
            .await?,
            select_operations_of_kind: prepare(format!(
                "SELECT span_kind, operation_name FROM {ks}.operation_names_v2 \
                 WHERE service_name = ? AND span_kind = ?"
            ))
            .await?,
            query_service_name_index: prepare(format!(
                "SELECT start_time, trace_id FROM {ks}.service_name_index \
                 WHERE service_name = ? AND bucket = ? AND start_time >= ? AND start_time <= ?"
            ))
            .await?,
            query_service_operation_index: prepare(format!(
                "SELECT start_time, trace_id FROM {ks}.service_operation_index \
                 WHERE service_name = ? AND operation_name = ? AND start_time >= ? AND start_time <= ?"
            ))
            .await?,
            query_tag_index: prepare(format!(
                "SELECT start_time, trace_id FROM {ks}.tag_index \
                 WHERE service_name = ? AND tag_key = ? AND tag_value = ? \
                 AND start_time >= ? AND start_time <= ?"
            ))
            .await?,
            query_duration_index: prepare(format!(
                "SELECT start_time, trace_id FROM {ks}.duration_index \
                 WHERE service_name = ? AND operation_name = ? AND bucket = ? \
                 AND duration >= ? AND duration <= ?"
            ))
            .await?,
            select_dependencies: prepare(format!(
                "SELECT ts, dependencies FROM {ks}.dependencies_v2 \
                 WHERE ts_bucket = ? AND ts >= ? AND ts <= ?"
            ))
            .await?,
        })
    }
}
