//! Index maintenance, what `spur-es-index` runs and the Helm hooks and CronJobs call:
//! - [`init`]: Jaeger's index templates and, in rollover mode, the first indices
//!   (`…-000001`) behind the read and write aliases (Jaeger's `es-rollover init`);
//! - [`clean`]: delete the indices older than N days (Jaeger's `es-index-cleaner`);
//! - [`rollover`]: roll the write aliases over to new indices when the conditions hold and add
//!   the new indices to the read aliases (Jaeger's `es-rollover rollover`).

use chrono::{DateTime, Duration as ChronoDuration, NaiveDate, Utc};
use elasticsearch::http::Method;
use serde_json::{Value, json};
use spur_storage::StorageError;

use crate::client::{Client, ServerVersion};
use crate::indices::{IndexKind, IndexNaming};
use crate::templates::{self, TemplateOptions};
use crate::{error, metrics};

const KINDS: [IndexKind; 3] = [IndexKind::Span, IndexKind::Service, IndexKind::Dependencies];

/// Puts the templates; in rollover mode also creates each kind's first index with its aliases
/// where the write alias does not exist yet. Running it again changes nothing.
pub async fn init(
    client: &Client,
    naming: &IndexNaming,
    version: ServerVersion,
    options: &TemplateOptions,
) -> Result<Vec<String>, StorageError> {
    templates::create_templates(client, naming, version, options).await?;
    let mut created = Vec::new();
    if !naming.use_aliases {
        return Ok(created);
    }
    for kind in KINDS {
        let write_alias = naming.write_alias(kind);
        let (status, _) = client
            .send(Method::Head, &format!("/_alias/{write_alias}"), &[], None)
            .await?;
        if status.is_success() {
            continue;
        }
        let index = format!("{}000001", naming.base(kind));
        let body = json!({"aliases": {
            naming.read_alias(kind): {},
            write_alias: {"is_write_index": true}
        }});
        metrics::counter_index_create();
        let (status, bytes) = client
            .send(
                Method::Put,
                &format!("/{index}"),
                &[],
                Some(serde_json::to_vec(&body).unwrap_or_default()),
            )
            .await?;
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() && !text.contains("resource_already_exists_exception") {
            ::metrics::counter!(metrics::INDEX_CREATE_ERRORS).increment(1);
            return Err(error::from_status(&format!("PUT /{index}"), status, &text));
        }
        created.push(index);
    }
    Ok(created)
}

/// Indices named `<base>YYYY<sep>MM<sep>DD[<sep>HH]`: the date, or `None`.
fn index_date(name: &str, base: &str, separator: &str) -> Option<NaiveDate> {
    let rest = name.strip_prefix(base)?;
    let mut parts = if separator.is_empty() {
        let year = rest.get(0..4)?;
        let month = rest.get(4..6)?;
        let day = rest.get(6..8)?;
        vec![year, month, day]
    } else {
        rest.split(separator).collect()
    };
    if parts.len() == 4 {
        parts.pop();
    }
    if parts.len() != 3
        || parts
            .iter()
            .any(|part| part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(
        parts[0].parse().ok()?,
        parts[1].parse().ok()?,
        parts[2].parse().ok()?,
    )
}

/// Whether `name` is a rollover index `<base>NNNNNN`.
fn is_rollover_index(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_digit()))
}

/// Deletes the span, service and dependencies indices older than `days` days: daily indices
/// dated before (tomorrow 00:00 UTC − `days`) and rollover indices (`…-000001`) created before
/// it, in either mode (the Helm CronJob need not say which); never a current write index.
/// Returns the deleted names.
pub async fn clean(
    client: &Client,
    naming: &IndexNaming,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StorageError> {
    let tomorrow = now.date_naive() + ChronoDuration::days(1);
    let cutoff = tomorrow - ChronoDuration::days(i64::from(days));
    let pattern = format!("{}jaeger-*", naming.prefix());
    let indices = client
        .json(
            Method::Get,
            &format!("/_cat/indices/{pattern}"),
            &[
                ("format", "json"),
                ("h", "index,creation.date"),
                ("expand_wildcards", "all"),
            ],
            None,
        )
        .await?;
    let aliases = client
        .json(
            Method::Get,
            &format!("/_cat/aliases/{}jaeger-*-write", naming.prefix()),
            &[("format", "json"), ("h", "alias,index,is_write_index")],
            None,
        )
        .await?;
    // An index a rollover left behind keeps the alias with `is_write_index` false.
    let protected: Vec<&str> = aliases
        .as_array()
        .into_iter()
        .flatten()
        .filter(|alias| alias["is_write_index"].as_str() != Some("false"))
        .filter_map(|alias| alias["index"].as_str())
        .collect();
    let cutoff_millis = cutoff
        .and_hms_opt(0, 0, 0)
        .map_or(0, |at| at.and_utc().timestamp_millis());
    let mut doomed = Vec::new();
    for entry in indices.as_array().into_iter().flatten() {
        let Some(name) = entry["index"].as_str() else {
            continue;
        };
        if protected.contains(&name) {
            continue;
        }
        // Both layouts, whatever the mode: dated indices by their date, rollover indices by
        // their creation date (names of the two never overlap).
        let created = entry["creation.date"]
            .as_str()
            .and_then(|millis| millis.parse::<i64>().ok())
            .unwrap_or(i64::MAX);
        for kind in KINDS {
            let base = naming.base(kind);
            let old = if is_rollover_index(name, &base) {
                created < cutoff_millis
            } else {
                index_date(name, &base, naming.date_separator()).is_some_and(|date| date < cutoff)
            };
            if old {
                doomed.push(name.to_owned());
                break;
            }
        }
    }
    doomed.sort();
    for chunk in doomed.chunks(50) {
        client
            .json(Method::Delete, &format!("/{}", chunk.join(",")), &[], None)
            .await?;
    }
    Ok(doomed)
}

/// Rolls each kind's write alias over when `conditions` hold (Elasticsearch's rollover
/// conditions, e.g. `{"max_age": "1d"}`), and adds the new index to the read alias. Returns the
/// new indices.
pub async fn rollover(
    client: &Client,
    naming: &IndexNaming,
    conditions: &Value,
) -> Result<Vec<String>, StorageError> {
    let mut rolled = Vec::new();
    for kind in KINDS {
        let write_alias = naming.write_alias(kind);
        let answer = client
            .json(
                Method::Post,
                &format!("/{write_alias}/_rollover"),
                &[],
                Some(&json!({"conditions": conditions})),
            )
            .await?;
        if answer["rolled_over"].as_bool() != Some(true) {
            continue;
        }
        let Some(new_index) = answer["new_index"].as_str() else {
            continue;
        };
        let actions = json!({"actions": [
            {"add": {"index": new_index, "alias": naming.read_alias(kind)}}
        ]});
        client
            .json(Method::Post, "/_aliases", &[], Some(&actions))
            .await?;
        rolled.push(new_index.to_owned());
    }
    Ok(rolled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_index_dates_are_parsed_with_the_separator() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 6);
        assert_eq!(
            index_date("p-jaeger-span-2026-12-06", "p-jaeger-span-", "-"),
            date
        );
        assert_eq!(
            index_date("jaeger-span-2026.12.06.23", "jaeger-span-", "."),
            date
        );
        assert_eq!(index_date("jaeger-span-20261206", "jaeger-span-", ""), date);
        assert_eq!(index_date("jaeger-span-000001", "jaeger-span-", "-"), None);
        assert_eq!(index_date("jaeger-span-archive", "jaeger-span-", "-"), None);
        assert!(is_rollover_index("jaeger-span-000001", "jaeger-span-"));
        assert!(!is_rollover_index("jaeger-span-2026-12-06", "jaeger-span-"));
    }
}
