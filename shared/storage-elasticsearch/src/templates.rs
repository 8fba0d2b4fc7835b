//! Jaeger's index templates (its `jaeger-{span,service,dependencies}-{7,8}.json` mappings):
//! Elasticsearch 8+ gets composable templates (`_index_template`, with `priority`), Elasticsearch
//! 7 and OpenSearch the legacy ones (`_template`), as Jaeger chooses; with ILM, the read alias
//! and the lifecycle settings. [`create_templates`] puts them (Jaeger's
//! `es.create-index-templates`, and `spur-es-index init`).

use elasticsearch::http::Method;
use serde_json::{Value, json};
use spur_storage::StorageError;

use crate::client::{Client, ServerVersion};
use crate::indices::{IndexKind, IndexNaming};
use crate::metrics;

/// Settings of the templates (Jaeger's `es.num-shards`, `es.num-replicas`,
/// `es.prioirity-*-template`, `es.use-ilm`, `es.ilm-policy-name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateOptions {
    pub shards: u32,
    pub replicas: u32,
    pub priority_span: u32,
    pub priority_service: u32,
    pub priority_dependencies: u32,
    pub use_ilm: bool,
    pub ilm_policy_name: String,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            shards: 5,
            replicas: 1,
            priority_span: 0,
            priority_service: 0,
            priority_dependencies: 0,
            use_ilm: false,
            ilm_policy_name: "jaeger-ilm-policy".to_owned(),
        }
    }
}

fn keyword() -> Value {
    json!({"type": "keyword", "ignore_above": 256})
}

/// `{key, value, type}` nested, not dynamic: the shape of `tags`, `process.tags`, `logs.fields`.
fn nested_key_values() -> Value {
    json!({
        "type": "nested",
        "dynamic": false,
        "properties": {"key": keyword(), "value": keyword(), "type": keyword()}
    })
}

fn tag_dynamic_templates() -> Value {
    json!([
        {"span_tags_map": {"mapping": keyword(), "path_match": "tag.*"}},
        {"process_tags_map": {"mapping": keyword(), "path_match": "process.tag.*"}}
    ])
}

fn span_mappings() -> Value {
    json!({
        "dynamic_templates": tag_dynamic_templates(),
        "properties": {
            "traceID": keyword(),
            "parentSpanID": keyword(),
            "spanID": keyword(),
            "operationName": keyword(),
            "startTime": {"type": "long"},
            "startTimeMillis": {"type": "date", "format": "epoch_millis"},
            "duration": {"type": "long"},
            "flags": {"type": "integer"},
            "logs": {
                "type": "nested",
                "dynamic": false,
                "properties": {
                    "timestamp": {"type": "long"},
                    "fields": nested_key_values()
                }
            },
            "process": {
                "properties": {
                    "serviceName": keyword(),
                    "tag": {"type": "object"},
                    "tags": nested_key_values()
                }
            },
            "references": {
                "type": "nested",
                "dynamic": false,
                "properties": {"refType": keyword(), "traceID": keyword(), "spanID": keyword()}
            },
            "tag": {"type": "object"},
            "tags": nested_key_values()
        }
    })
}

fn service_mappings() -> Value {
    json!({
        "dynamic_templates": tag_dynamic_templates(),
        "properties": {"serviceName": keyword(), "operationName": keyword()}
    })
}

/// The template's name: `[prefix-]jaeger-span` and so on.
pub fn template_name(naming: &IndexNaming, kind: IndexKind) -> String {
    naming.base(kind).trim_end_matches('-').to_owned()
}

/// The template body Jaeger puts for `kind` on a server of `version`.
pub fn template_body(
    naming: &IndexNaming,
    kind: IndexKind,
    version: ServerVersion,
    options: &TemplateOptions,
) -> Value {
    let prefix = naming.prefix();
    let base = kind.base_name();
    let mut settings = json!({
        "index.number_of_shards": options.shards,
        "index.number_of_replicas": options.replicas,
        "index.mapping.nested_fields.limit": 50,
        "index.requests.cache.enable": true
    });
    if options.use_ilm {
        settings["lifecycle"] = json!({
            "name": options.ilm_policy_name,
            "rollover_alias": naming.write_alias(kind)
        });
    }
    let mappings = match kind {
        IndexKind::Span => span_mappings(),
        IndexKind::Service => service_mappings(),
        IndexKind::Dependencies => json!({}),
    };
    let priority = match kind {
        IndexKind::Span => options.priority_span,
        IndexKind::Service => options.priority_service,
        IndexKind::Dependencies => options.priority_dependencies,
    };
    let mut body = if version.composable_templates() {
        json!({
            "priority": priority,
            "index_patterns": format!("{prefix}{base}*"),
            "template": {"settings": settings, "mappings": mappings}
        })
    } else {
        // Jaeger's ES 7 dependencies template matches every prefix.
        let pattern = match kind {
            IndexKind::Dependencies => format!("*{base}*"),
            _ => format!("*{prefix}{base}*"),
        };
        json!({"index_patterns": pattern, "settings": settings, "mappings": mappings})
    };
    if options.use_ilm {
        let aliases = json!({ naming.read_alias(kind): {} });
        if version.composable_templates() {
            body["template"]["aliases"] = aliases;
        } else {
            body["aliases"] = aliases;
        }
    }
    body
}

/// Puts the span, service and dependencies templates (replacing templates of the same names).
pub async fn create_templates(
    client: &Client,
    naming: &IndexNaming,
    version: ServerVersion,
    options: &TemplateOptions,
) -> Result<(), StorageError> {
    let api = if version.composable_templates() {
        "_index_template"
    } else {
        "_template"
    };
    for kind in [IndexKind::Span, IndexKind::Service, IndexKind::Dependencies] {
        let name = template_name(naming, kind);
        let body = template_body(naming, kind, version, options);
        metrics::counter_index_create();
        let result = client
            .json(Method::Put, &format!("/{api}/{name}"), &[], Some(&body))
            .await;
        if let Err(error) = result {
            ::metrics::counter!(metrics::INDEX_CREATE_ERRORS).increment(1);
            return Err(error);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Flavor;

    const ES8: ServerVersion = ServerVersion {
        flavor: Flavor::Elasticsearch,
        major: 8,
    };
    const OPENSEARCH2: ServerVersion = ServerVersion {
        flavor: Flavor::OpenSearch,
        major: 2,
    };

    #[test]
    fn composable_on_elasticsearch_8_and_legacy_on_opensearch() {
        let naming = IndexNaming::new("p", "-", false, false, false);
        let options = TemplateOptions::default();
        let es8 = template_body(&naming, IndexKind::Span, ES8, &options);
        assert_eq!(es8["index_patterns"], "p-jaeger-span-*");
        assert_eq!(es8["priority"], 0);
        assert_eq!(
            es8["template"]["mappings"]["properties"]["startTimeMillis"]["format"],
            "epoch_millis"
        );
        let legacy = template_body(&naming, IndexKind::Span, OPENSEARCH2, &options);
        assert_eq!(legacy["index_patterns"], "*p-jaeger-span-*");
        assert!(legacy.get("priority").is_none());
        assert_eq!(
            template_name(&naming, IndexKind::Service),
            "p-jaeger-service"
        );
    }

    #[test]
    fn ilm_adds_the_read_alias_and_lifecycle() {
        let naming = IndexNaming::new("", "-", true, false, false);
        let options = TemplateOptions {
            use_ilm: true,
            ..TemplateOptions::default()
        };
        let body = template_body(&naming, IndexKind::Service, ES8, &options);
        assert!(body["template"]["aliases"]["jaeger-service-read"].is_object());
        assert_eq!(
            body["template"]["settings"]["lifecycle"]["rollover_alias"],
            "jaeger-service-write"
        );
    }
}
