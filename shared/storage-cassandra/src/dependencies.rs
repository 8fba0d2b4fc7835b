//! Dependency links in Jaeger's `dependencies_v2` table: one row per write, keyed by its UTC day
//! and its timestamp (milliseconds, as the table's `timestamp` columns hold), read back for every
//! day of a window and summed per (parent, child).

use std::collections::BTreeMap;
use std::time::Instant;

use async_trait::async_trait;
use futures::StreamExt;
use scylla::value::CqlTimestamp;
use spur_model::api_v2::DependencyLink;
use spur_storage::{DependencyStore, StorageError};

use crate::dbmodel::{DependencyUdt, day_bucket_millis, day_buckets_millis};
use crate::error::{from_decoding, from_execution, from_paging};
use crate::{CassandraStore, metrics};

#[async_trait]
impl DependencyStore for CassandraStore {
    async fn write_dependencies(
        &self,
        timestamp: i64,
        links: Vec<DependencyLink>,
    ) -> Result<(), StorageError> {
        let millis = timestamp.div_euclid(1000);
        let dependencies: Vec<DependencyUdt> = links
            .into_iter()
            .map(|link| DependencyUdt {
                parent: Some(link.parent),
                child: Some(link.child),
                call_count: Some(i64::try_from(link.call_count).unwrap_or(i64::MAX)),
                source: Some(link.source),
            })
            .collect();
        let started = Instant::now();
        let result = self
            .session
            .execute_unpaged(
                &self.statements.insert_dependencies,
                (
                    CqlTimestamp(millis),
                    CqlTimestamp(day_bucket_millis(millis)),
                    dependencies,
                ),
            )
            .await;
        metrics::record_write("dependencies", started, &result);
        result
            .map(drop)
            .map_err(|error| from_execution("writing dependencies_v2", error))
    }

    async fn get_dependencies(
        &self,
        end_time: i64,
        lookback: i64,
    ) -> Result<Vec<DependencyLink>, StorageError> {
        let context = "reading dependencies_v2";
        // Rows hold milliseconds: the window's whole milliseconds, inclusive.
        let (from, to) = (
            (end_time.saturating_sub(lookback) + 999).div_euclid(1000),
            end_time.div_euclid(1000),
        );
        let mut sums: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
        for bucket in day_buckets_millis(from, to) {
            let mut rows = self
                .session
                .execute_iter(
                    self.statements.select_dependencies.clone(),
                    (CqlTimestamp(bucket), CqlTimestamp(from), CqlTimestamp(to)),
                )
                .await
                .map_err(|error| from_paging(context, error))?
                .rows_stream::<(CqlTimestamp, Option<Vec<DependencyUdt>>)>()
                .map_err(|error| from_decoding(context, error))?;
            while let Some(row) = rows.next().await {
                let (_, links) = row.map_err(|error| from_paging(context, error))?;
                for link in links.unwrap_or_default() {
                    let key = (
                        link.parent.unwrap_or_default(),
                        link.child.unwrap_or_default(),
                    );
                    let entry = sums.entry(key).or_insert((0, String::new()));
                    entry.0 = entry
                        .0
                        .saturating_add(u64::try_from(link.call_count.unwrap_or(0)).unwrap_or(0));
                    if entry.1.is_empty() {
                        entry.1 = link.source.unwrap_or_default();
                    }
                }
            }
        }
        Ok(sums
            .into_iter()
            .map(|((parent, child), (call_count, source))| DependencyLink {
                parent,
                child,
                call_count,
                source,
            })
            .collect())
    }
}
