//! The storage settings as `spur-config` declares them: Jaeger's flag names, whose environment
//! names are the variables [`crate::env`] reads, so a backend is chosen and configured the same
//! way from a YAML file, a flag or the environment. Empty defaults mean "Jaeger's default"
//! (named in the help), applied by [`crate::env`].

use std::collections::HashMap;

use spur_config::{Problems, Setting, Settings};

use crate::{StorageConfig, StorageKind};

/// The storage configuration from loaded settings over `env` (`default` when
/// `SPAN_STORAGE_TYPE` is unset); its problems join `problems`, keyed by environment name.
pub fn read_storage(
    settings: &Settings,
    env: &HashMap<String, String>,
    default: StorageKind,
    problems: &mut Problems,
) -> Option<StorageConfig> {
    match StorageConfig::from_env_or(&settings.as_env(env), default) {
        Ok(storage) => Some(storage),
        Err(error) => {
            problems.extend(
                error
                    .problems
                    .into_iter()
                    .map(|problem| (problem.key.to_owned(), problem.message)),
            );
            None
        }
    }
}

/// Every storage setting a service reading storage configuration declares.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        "span-storage.type",
        "",
        "backend: memory, embedded (badger), cassandra, elasticsearch, opensearch, kafka",
    ),
    Setting::new(
        "memory.max-traces",
        "",
        "memory: traces kept, oldest evicted (default 100000)",
    ),
    Setting::new(
        "badger.directory-value",
        "",
        "embedded: data directory (default data/values)",
    ),
    Setting::new(
        "badger.span-store-ttl",
        "",
        "embedded: retention (default 72h)",
    ),
    Setting::new(
        "cassandra.servers",
        "",
        "cassandra: comma-separated hosts (default 127.0.0.1)",
    ),
    Setting::new("cassandra.port", "", "cassandra: port (default 9042)"),
    Setting::new(
        "cassandra.keyspace",
        "",
        "cassandra: keyspace (default jaeger_v1_test)",
    ),
    Setting::new("cassandra.local-dc", "", "cassandra: local data center"),
    Setting::new("cassandra.username", "", "cassandra: user name"),
    Setting::new("cassandra.password", "", "cassandra: password"),
    Setting::new(
        "cassandra.consistency",
        "",
        "cassandra: consistency level (default LOCAL_ONE)",
    ),
    Setting::new(
        "cassandra.connections-per-host",
        "",
        "cassandra: connections per node (default 2)",
    ),
    Setting::new(
        "cassandra.timeout",
        "",
        "cassandra: statement timeout (default 10s)",
    ),
    Setting::new(
        "cassandra.connect-timeout",
        "",
        "cassandra: connect timeout (default 10s)",
    ),
    Setting::new(
        "cassandra.span-store-ttl",
        "",
        "cassandra: span retention from span start (default: the traces table's TTL)",
    ),
    Setting::new(
        "cassandra.span-store-write-cache-ttl",
        "",
        "cassandra: how long a written service/operation name is not rewritten (default 12h)",
    ),
    Setting::new(
        "cassandra.index.tags",
        "",
        "cassandra: index span tags (default true)",
    ),
    Setting::new(
        "cassandra.index.logs",
        "",
        "cassandra: index log fields (default true)",
    ),
    Setting::new(
        "cassandra.index.process-tags",
        "",
        "cassandra: index process tags (default true)",
    ),
    Setting::new(
        "cassandra.index.tag-blacklist",
        "",
        "cassandra: comma-separated tag keys not indexed",
    ),
    Setting::new(
        "cassandra.index.tag-whitelist",
        "",
        "cassandra: comma-separated tag keys, the only ones indexed",
    ),
    Setting::new(
        "cassandra.index.max-values-per-key",
        "",
        "cassandra: distinct values indexed per service and tag key, 0 = no cap (default 0)",
    ),
    Setting::new(
        "cassandra.tls.enabled",
        "",
        "cassandra: TLS to the nodes (default false)",
    ),
    Setting::new(
        "cassandra.tls.ca",
        "",
        "cassandra: CA certificates file (PEM)",
    ),
    Setting::new(
        "cassandra.tls.cert",
        "",
        "cassandra: client certificate file (PEM)",
    ),
    Setting::new("cassandra.tls.key", "", "cassandra: client key file (PEM)"),
    Setting::new(
        "cassandra.tls.skip-host-verify",
        "",
        "cassandra: accept any server certificate (default false)",
    ),
    Setting::new(
        "cassandra.create-schema",
        "",
        "cassandra: create the keyspace and schema v004 when missing (default false)",
    ),
    Setting::new(
        "es.server-urls",
        "",
        "elasticsearch/opensearch: comma-separated URLs (default http://127.0.0.1:9200)",
    ),
    Setting::new(
        "es.index-prefix",
        "",
        "elasticsearch/opensearch: index prefix",
    ),
    Setting::new("es.username", "", "elasticsearch/opensearch: user name"),
    Setting::new("es.password", "", "elasticsearch/opensearch: password"),
    Setting::new(
        "es.password-file",
        "",
        "elasticsearch/opensearch: file holding the password",
    ),
    Setting::new(
        "es.token-file",
        "",
        "elasticsearch/opensearch: file holding a bearer token",
    ),
    Setting::new(
        "es.api-key-file",
        "",
        "elasticsearch/opensearch: file holding an encoded API key",
    ),
    Setting::new(
        "es.timeout",
        "",
        "elasticsearch/opensearch: request timeout (default 30s; 0s: an hour)",
    ),
    Setting::new(
        "es.max-span-age",
        "",
        "elasticsearch/opensearch: how far back trace and catalog reads look (default 72h)",
    ),
    Setting::new(
        "es.max-doc-count",
        "",
        "elasticsearch/opensearch: documents per search page and buckets per aggregation (default 10000)",
    ),
    Setting::new(
        "es.num-shards",
        "",
        "elasticsearch/opensearch: shards of new indices (default 5)",
    ),
    Setting::new(
        "es.num-replicas",
        "",
        "elasticsearch/opensearch: replicas of new indices (default 1)",
    ),
    Setting::new(
        "es.prioirity-span-template",
        "",
        "elasticsearch/opensearch: span template priority, Elasticsearch 8+ (default 0; Jaeger's spelling)",
    ),
    Setting::new(
        "es.prioirity-service-template",
        "",
        "elasticsearch/opensearch: service template priority (default 0)",
    ),
    Setting::new(
        "es.prioirity-dependencies-template",
        "",
        "elasticsearch/opensearch: dependencies template priority (default 0)",
    ),
    Setting::new(
        "es.bulk.size",
        "",
        "elasticsearch/opensearch: bytes per bulk request (default 5000000)",
    ),
    Setting::new(
        "es.bulk.actions",
        "",
        "elasticsearch/opensearch: documents per bulk request (default 1000)",
    ),
    Setting::new(
        "es.bulk.workers",
        "",
        "elasticsearch/opensearch: bulk requests in flight (default 1)",
    ),
    Setting::new(
        "es.bulk.flush-interval",
        "",
        "elasticsearch/opensearch: a partly filled bulk request waits this long for more documents (default 0s; Jaeger 200ms)",
    ),
    Setting::new(
        "es.index-date-separator",
        "",
        "elasticsearch/opensearch: separator in index dates (default -)",
    ),
    Setting::new(
        "es.index-rollover-frequency-spans",
        "",
        "elasticsearch/opensearch: day or hour (default day)",
    ),
    Setting::new(
        "es.index-rollover-frequency-services",
        "",
        "elasticsearch/opensearch: day or hour (default day)",
    ),
    Setting::new(
        "es.service-cache-ttl",
        "",
        "elasticsearch/opensearch: a service/operation pair is not written again for this long (default 12h)",
    ),
    Setting::new(
        "es.tags-as-fields.all",
        "",
        "elasticsearch/opensearch: store every tag as an object field (default false)",
    ),
    Setting::new(
        "es.tags-as-fields.include",
        "",
        "elasticsearch/opensearch: comma-separated tag keys stored as object fields",
    ),
    Setting::new(
        "es.tags-as-fields.dot-replacement",
        "",
        "elasticsearch/opensearch: replaces . in tag field names (default @)",
    ),
    Setting::new(
        "es.use-aliases",
        "",
        "elasticsearch/opensearch: rollover mode: read and write through the -read/-write aliases (default false)",
    ),
    Setting::new(
        "es.use-ilm",
        "",
        "elasticsearch/opensearch: ILM settings in the templates; needs use-aliases (default false)",
    ),
    Setting::new(
        "es.ilm-policy-name",
        "",
        "elasticsearch/opensearch: ILM policy (default jaeger-ilm-policy)",
    ),
    Setting::new(
        "es.create-index-templates",
        "",
        "elasticsearch/opensearch: put the index templates at start-up (default true)",
    ),
    Setting::new(
        "es.version",
        "",
        "elasticsearch/opensearch: server major version, 0 to ask the server (default 0)",
    ),
    Setting::new(
        "es.tls.enabled",
        "",
        "elasticsearch/opensearch: TLS to the nodes (default false)",
    ),
    Setting::new(
        "es.tls.ca",
        "",
        "elasticsearch/opensearch: CA certificates file (PEM)",
    ),
    Setting::new(
        "es.tls.skip-host-verify",
        "",
        "elasticsearch/opensearch: accept any server certificate (default false)",
    ),
    Setting::new(
        "kafka.producer.brokers",
        "",
        "kafka: comma-separated brokers (default 127.0.0.1:9092)",
    ),
    Setting::new(
        "kafka.producer.topic",
        "",
        "kafka: topic (default jaeger-spans)",
    ),
    Setting::new(
        "kafka.producer.encoding",
        "",
        "kafka: protobuf or json (default protobuf)",
    ),
    Setting::new(
        "kafka.producer.required-acks",
        "",
        "kafka: noack, local or all (default all)",
    ),
    Setting::new(
        "kafka.producer.compression",
        "",
        "kafka: none, gzip, snappy, lz4, zstd (default none)",
    ),
    Setting::new(
        "kafka.producer.compression-level",
        "",
        "kafka: codec level (default: the codec's)",
    ),
    Setting::new(
        "kafka.producer.batch-linger",
        "",
        "kafka: how long to wait to fill a batch (default 0s)",
    ),
    Setting::new(
        "kafka.producer.batch-size",
        "",
        "kafka: bytes per batch (default: librdkafka's)",
    ),
    Setting::new(
        "kafka.producer.batch-min-messages",
        "",
        "kafka: messages before a batch is sent",
    ),
    Setting::new(
        "kafka.producer.batch-max-messages",
        "",
        "kafka: most messages per batch",
    ),
    Setting::new(
        "kafka.producer.max-message-bytes",
        "",
        "kafka: largest message (default 1000000)",
    ),
    Setting::new(
        "kafka.producer.authentication",
        "",
        "kafka: none, tls, plaintext (SASL), kerberos",
    ),
    Setting::new("kafka.producer.tls.enabled", "", "kafka: use TLS"),
    Setting::new("kafka.producer.tls.ca", "", "kafka: CA file"),
    Setting::new(
        "kafka.producer.tls.cert",
        "",
        "kafka: client certificate file",
    ),
    Setting::new("kafka.producer.tls.key", "", "kafka: client key file"),
    Setting::new(
        "kafka.producer.tls.server-name",
        "",
        "kafka: server name to verify",
    ),
    Setting::new(
        "kafka.producer.tls.skip-host-verify",
        "",
        "kafka: skip host name verification",
    ),
    Setting::new(
        "kafka.producer.plaintext.username",
        "",
        "kafka: SASL user name",
    ),
    Setting::new(
        "kafka.producer.plaintext.password",
        "",
        "kafka: SASL password",
    ),
    Setting::new(
        "kafka.producer.plaintext.mechanism",
        "",
        "kafka: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512",
    ),
    Setting::new(
        "kafka.producer.idempotent",
        "",
        "kafka: idempotent producer (default true; needs required-acks all)",
    ),
    Setting::new(
        "kafka.producer.queue-max-messages",
        "",
        "kafka: producer queue capacity in messages (default 100000)",
    ),
    Setting::new(
        "kafka.producer.wait-for-delivery",
        "",
        "kafka: answer a write once Kafka acknowledged it (default true; false answers once \
         queued, as Jaeger does)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_environment_variable_read_is_declared() {
        use crate::env::keys;
        let names: Vec<String> = SETTINGS.iter().map(|s| s.env_name()).collect();
        for key in [
            keys::SPAN_STORAGE_TYPE,
            keys::MEMORY_MAX_TRACES,
            keys::BADGER_DIRECTORY_VALUE,
            keys::BADGER_SPAN_STORE_TTL,
            keys::CASSANDRA_SERVERS,
            keys::ES_SERVER_URLS,
            keys::ES_PASSWORD_FILE,
            keys::ES_TOKEN_FILE,
            keys::ES_API_KEY_FILE,
            keys::ES_TIMEOUT,
            keys::ES_MAX_SPAN_AGE,
            keys::ES_MAX_DOC_COUNT,
            keys::ES_NUM_SHARDS,
            keys::ES_NUM_REPLICAS,
            keys::ES_PRIOIRITY_SPAN_TEMPLATE,
            keys::ES_PRIOIRITY_SERVICE_TEMPLATE,
            keys::ES_PRIOIRITY_DEPENDENCIES_TEMPLATE,
            keys::ES_BULK_SIZE,
            keys::ES_BULK_ACTIONS,
            keys::ES_BULK_WORKERS,
            keys::ES_BULK_FLUSH_INTERVAL,
            keys::ES_INDEX_DATE_SEPARATOR,
            keys::ES_INDEX_ROLLOVER_FREQUENCY_SPANS,
            keys::ES_INDEX_ROLLOVER_FREQUENCY_SERVICES,
            keys::ES_SERVICE_CACHE_TTL,
            keys::ES_TAGS_AS_FIELDS_ALL,
            keys::ES_TAGS_AS_FIELDS_INCLUDE,
            keys::ES_TAGS_AS_FIELDS_DOT_REPLACEMENT,
            keys::ES_USE_ALIASES,
            keys::ES_USE_ILM,
            keys::ES_ILM_POLICY_NAME,
            keys::ES_CREATE_INDEX_TEMPLATES,
            keys::ES_VERSION,
            keys::ES_TLS_ENABLED,
            keys::ES_TLS_CA,
            keys::ES_TLS_SKIP_HOST_VERIFY,
            keys::KAFKA_PRODUCER_BROKERS,
            keys::KAFKA_PRODUCER_TOPIC,
            keys::KAFKA_PRODUCER_ENCODING,
        ] {
            assert!(
                names.iter().any(|name| name == key),
                "{key} is not declared"
            );
        }
    }
}
