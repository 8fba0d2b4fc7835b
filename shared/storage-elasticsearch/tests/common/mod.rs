//! What the tests against real servers share: the server URLs (`SPUR_TEST_ES`, default
//! http://127.0.0.1:9200; `SPUR_TEST_OPENSEARCH`, default http://127.0.0.1:9201), options for a
//! fresh index prefix per check and run, and removing what earlier runs left behind.

#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use elasticsearch::http::Method;
use spur_storage_elasticsearch::{
    BulkOptions, Client, ElasticsearchOptions, Flavor, IndexNaming, Refresh, TemplateOptions,
};

/// Every test index prefix starts with this.
pub const TEST_PREFIX: &str = "spurtest";

pub fn server_url(flavor: Flavor) -> String {
    match flavor {
        Flavor::Elasticsearch => {
            std::env::var("SPUR_TEST_ES").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned())
        }
        Flavor::OpenSearch => std::env::var("SPUR_TEST_OPENSEARCH")
            .unwrap_or_else(|_| "http://127.0.0.1:9201".to_owned()),
    }
}

/// A prefix no other test or run uses: `spurtest-<tag>-<pid>-<nanos>`.
pub fn unique_prefix(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let tag: String = tag
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect::<String>()
        .to_lowercase();
    format!(
        "{TEST_PREFIX}-{tag}-{}-{:x}",
        std::process::id(),
        nanos % (1 << 40)
    )
}

/// Options for tests: one shard, no replica, writes visible at once, short flush interval.
pub fn test_options(flavor: Flavor, prefix: &str) -> ElasticsearchOptions {
    let mut options = ElasticsearchOptions::new(vec![server_url(flavor)]);
    options.flavor = flavor;
    options.naming = IndexNaming::new(prefix, "-", false, false, false);
    options.templates = TemplateOptions {
        shards: 1,
        replicas: 0,
        ..TemplateOptions::default()
    };
    options.bulk = BulkOptions {
        flush_interval: Duration::from_millis(2),
        workers: 2,
        refresh: Refresh::Immediate,
        ..BulkOptions::default()
    };
    options.timeout = Duration::from_secs(60);
    options
}

/// Deletes the test indices (and their templates) created more than an hour ago, so runs do
/// not pile up shards; a run in progress elsewhere is younger than that.
pub async fn remove_stale_test_indices(client: &Client) {
    let Ok(indices) = client
        .json(
            Method::Get,
            &format!("/_cat/indices/{TEST_PREFIX}-*"),
            &[("format", "json"), ("h", "index,creation.date")],
            None,
        )
        .await
    else {
        return;
    };
    let now_millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    let now_millis = i64::try_from(now_millis).unwrap_or(i64::MAX);
    let mut stale = Vec::new();
    let mut prefixes = Vec::new();
    for entry in indices.as_array().into_iter().flatten() {
        let (Some(name), Some(created)) =
            (entry["index"].as_str(), entry["creation.date"].as_str())
        else {
            continue;
        };
        let created: i64 = created.parse().unwrap_or(i64::MAX);
        if now_millis - created > 3_600_000 {
            stale.push(name.to_owned());
            if let Some(at) = name.find("-jaeger-") {
                let prefix = name[..at].to_owned();
                if !prefixes.contains(&prefix) {
                    prefixes.push(prefix);
                }
            }
        }
    }
    for chunk in stale.chunks(40) {
        let _ = client
            .send(Method::Delete, &format!("/{}", chunk.join(",")), &[], None)
            .await;
    }
    for prefix in prefixes {
        for api in ["_index_template", "_template"] {
            let _ = client
                .send(
                    Method::Delete,
                    &format!("/{api}/{prefix}-jaeger-*"),
                    &[],
                    None,
                )
                .await;
        }
    }
}
