//! Dependency links in Jaeger's `jaeger-dependencies-YYYY-MM-DD` indices: one document per
//! write (its id the write's millisecond), `{timestamp (RFC 3339), dependencies: [{parent,
//! child, callCount}]}`, read back with a range on `timestamp` over the days of the window,
//! summed per (parent, child).

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use elasticsearch::http::Method;
use serde_json::json;
use spur_model::api_v2::DependencyLink;
use spur_storage::StorageError;

use crate::dbmodel::{DependenciesDocument, DependencyLinkDocument};
use crate::indices::{IndexKind, to_datetime};
use crate::writer::{DocumentKind, Operation};
use crate::{ElasticsearchStore, error};

impl ElasticsearchStore {
    pub(crate) async fn store_dependencies(
        &self,
        timestamp: i64,
        links: Vec<DependencyLink>,
    ) -> Result<(), StorageError> {
        let document = DependenciesDocument {
            timestamp: to_datetime(timestamp).to_rfc3339_opts(SecondsFormat::AutoSi, true),
            dependencies: links
                .into_iter()
                .map(|link| DependencyLinkDocument {
                    parent: link.parent,
                    child: link.child,
                    call_count: link.call_count,
                })
                .collect(),
        };
        let source = serde_json::to_vec(&document)
            .map_err(|e| error::from_decoding("a dependencies document", e))?;
        let index = self.naming.write_index(IndexKind::Dependencies, timestamp);
        // One document per millisecond (the contract's precision): a bulk request retried after
        // a lost answer overwrites instead of counting the links twice; Jaeger lets the server
        // pick random ids, which reads sum the same way.
        let id = format!("{}", timestamp.div_euclid(1000));
        let operation = Operation::new(index, Some(id), source, DocumentKind::Dependencies);
        self.bulk.write(vec![operation]).await
    }

    pub(crate) async fn read_dependencies(
        &self,
        end_time: i64,
        lookback: i64,
    ) -> Result<Vec<DependencyLink>, StorageError> {
        let start = end_time.saturating_sub(lookback.max(0));
        let indices = self
            .naming
            .read_indices(IndexKind::Dependencies, start, end_time);
        // Milliseconds, as the `timestamp` date field stores them.
        let body = json!({
            "size": self.options.max_doc_count.clamp(1, 10_000),
            "query": {"range": {"timestamp": {
                "gte": start.div_euclid(1000),
                "lte": end_time.div_euclid(1000),
                "format": "epoch_millis"
            }}}
        });
        let path = format!("/{}/_search", indices.join(","));
        let answer = self
            .client
            .json(
                Method::Post,
                &path,
                &[("ignore_unavailable", "true"), ("allow_no_indices", "true")],
                Some(&body),
            )
            .await?;
        let mut summed: BTreeMap<(String, String), u64> = BTreeMap::new();
        for hit in answer["hits"]["hits"].as_array().into_iter().flatten() {
            let document: DependenciesDocument = serde_json::from_value(hit["_source"].clone())
                .map_err(|e| error::from_decoding("a stored dependencies document", e))?;
            for link in document.dependencies {
                *summed.entry((link.parent, link.child)).or_default() += link.call_count;
            }
        }
        Ok(summed
            .into_iter()
            .map(|((parent, child), call_count)| DependencyLink {
                parent,
                child,
                call_count,
                source: String::new(),
            })
            .collect())
    }
}
