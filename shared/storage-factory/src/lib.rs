//! spur-storage-factory: which storage backend a Spur service uses, and building it.
//!
//! - [`StorageConfig`] has one variant per backend (memory, embedded, Cassandra,
//!   Elasticsearch, OpenSearch, Kafka) with Jaeger's defaults ([`config`]);
//!   [`StorageConfig::validate`] reports every problem at once, naming the key ([`validate`]).
//! - [`StorageConfig::from_env`] reads it from Jaeger's environment variables
//!   (`SPAN_STORAGE_TYPE`, `MEMORY_MAX_TRACES`, `CASSANDRA_*`, `ES_*`, `KAFKA_PRODUCER_*`,
//!   `BADGER_*` for the embedded store); see [`env`](mod@env).
//! - [`build`] turns a configuration into a [`Storage`]: the writer, and the readers when the
//!   backend has them (Kafka, a write-only sink, has none: `spur-kafka`'s writer).
//!
//! It owns configuration and wiring only; the backends live in `spur-storage` (memory) and
//! their own crates.

pub mod config;

pub mod env;
pub mod settings;
pub mod validate;

use std::sync::Arc;

use spur_kafka::KafkaSpanWriter;
use spur_storage_cassandra::{CassandraOptions, CassandraStore, IndexOptions, TlsOptions};
use spur_storage_elasticsearch::{ElasticsearchOptions, ElasticsearchStore, Flavor};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

use spur_storage::memory::MemoryStore;
use spur_storage::{DependencyStore, SpanReader, SpanWriter, StorageError};

pub use config::{
    Authentication, CassandraConfig, Compression, ElasticsearchConfig, EmbeddedConfig, KafkaConfig,
    KafkaEncoding, MemoryConfig, PlaintextConfig, RequiredAcks, SaslMechanism, StorageConfig,
    StorageKind, TlsConfig,
};
pub use settings::{SETTINGS, read_storage};
pub use validate::{ConfigError, ConfigProblem};

/// A built backend, seen through the storage traits.
#[derive(Clone)]
pub struct Storage {
    pub writer: Arc<dyn SpanWriter>,
    /// `None` for a write-only sink (Kafka).
    pub reader: Option<Arc<dyn SpanReader>>,
    /// `None` when the backend stores no dependency links.
    pub dependencies: Option<Arc<dyn DependencyStore>>,
}

impl Storage {
    /// Derives service dependencies from the spans written (`spur-dependencies`), where the
    /// backend stores links and `options` is set; otherwise the storage as it is.
    pub fn with_derived_dependencies(
        self,
        options: Option<spur_dependencies::DerivingWriterOptions>,
    ) -> Storage {
        let (Some(options), Some(store)) = (options, &self.dependencies) else {
            return self;
        };
        let writer =
            spur_dependencies::DerivingWriter::new(self.writer.clone(), store.clone(), options);
        Storage {
            writer: Arc::new(writer),
            ..self
        }
    }
}

/// Validates the configuration and opens its backend.
///
/// An invalid configuration is `InvalidArgument` (listing every problem); a backend that
/// cannot be reached is `Unavailable`.
pub async fn build(config: &StorageConfig) -> Result<Storage, StorageError> {
    config
        .validate()
        .map_err(|error| StorageError::InvalidArgument(error.to_string()))?;
    match config {
        StorageConfig::Memory(memory) => {
            let store = Arc::new(MemoryStore::new(memory.max_traces));
            Ok(Storage {
                writer: store.clone(),
                reader: Some(store.clone()),
                dependencies: Some(store),
            })
        }
        StorageConfig::Embedded(embedded) => {
            let options = EmbeddedOptions {
                directory: embedded.directory.clone(),
                retention: embedded.retention,
            };
            // Opening replays the journal: keep it off the async workers.
            let store = tokio::task::spawn_blocking(move || EmbeddedStore::open(options))
                .await
                .map_err(|error| StorageError::Internal(format!("opening the store: {error}")))??;
            let store = Arc::new(store);
            Ok(Storage {
                writer: store.clone(),
                reader: Some(store.clone()),
                dependencies: Some(store),
            })
        }
        StorageConfig::Kafka(kafka) => {
            // Creating the producer does not wait for the brokers: it connects in the
            // background, so this does not block.
            let writer = KafkaSpanWriter::new(&kafka.producer_config())?;
            Ok(Storage {
                writer: Arc::new(writer),
                reader: None,
                dependencies: None,
            })
        }
        StorageConfig::Cassandra(cassandra) => {
            let store = Arc::new(CassandraStore::open(cassandra_options(cassandra)).await?);
            Ok(Storage {
                writer: store.clone(),
                reader: Some(store.clone()),
                dependencies: Some(store),
            })
        }
        StorageConfig::Elasticsearch(elasticsearch) | StorageConfig::Opensearch(elasticsearch) => {
            let flavor = if matches!(config, StorageConfig::Opensearch(_)) {
                Flavor::OpenSearch
            } else {
                Flavor::Elasticsearch
            };
            let options = elasticsearch_options(elasticsearch, flavor)?;
            let store = Arc::new(ElasticsearchStore::open(options).await?);
            Ok(Storage {
                writer: store.clone(),
                reader: Some(store.clone()),
                dependencies: Some(store),
            })
        }
    }
}

/// The Elasticsearch/OpenSearch backend's options from a validated configuration; reads the
/// password, token and API key files.
pub fn elasticsearch_options(
    config: &ElasticsearchConfig,
    flavor: Flavor,
) -> Result<ElasticsearchOptions, StorageError> {
    use spur_storage_elasticsearch::{
        Authentication as EsAuthentication, BulkOptions, IndexNaming, TagsAsFields,
        TemplateOptions, TlsOptions as EsTlsOptions,
    };
    let read_secret = |path: &std::path::Path, what: &str| {
        std::fs::read_to_string(path)
            .map(|text| text.trim().to_owned())
            .map_err(|error| {
                StorageError::InvalidArgument(format!("{what} file {}: {error}", path.display()))
            })
    };
    let authentication = if let Some(path) = &config.token_file {
        EsAuthentication::Bearer(read_secret(path, "ES_TOKEN_FILE")?)
    } else if let Some(path) = &config.api_key_file {
        EsAuthentication::ApiKey(read_secret(path, "ES_API_KEY_FILE")?)
    } else if let Some(username) = &config.username {
        let password = match (&config.password, &config.password_file) {
            (Some(password), _) => password.clone(),
            (None, Some(path)) => read_secret(path, "ES_PASSWORD_FILE")?,
            (None, None) => String::new(),
        };
        EsAuthentication::Basic {
            username: username.clone(),
            password,
        }
    } else {
        EsAuthentication::None
    };
    let mut options = ElasticsearchOptions::new(config.server_urls.clone());
    options.flavor = flavor;
    options.version = (config.version != 0).then_some(config.version);
    options.authentication = authentication;
    options.tls = config.tls_enabled.then(|| EsTlsOptions {
        ca: config.tls_ca.clone(),
        skip_host_verify: config.tls_skip_host_verify,
    });
    options.timeout = if config.timeout.is_zero() {
        std::time::Duration::from_secs(3_600)
    } else {
        config.timeout
    };
    options.naming = IndexNaming::new(
        &config.index_prefix,
        &config.index_date_separator,
        config.use_aliases,
        config.index_rollover_frequency_spans == "hour",
        config.index_rollover_frequency_services == "hour",
    );
    options.templates = TemplateOptions {
        shards: config.num_shards,
        replicas: config.num_replicas,
        priority_span: config.priority_span_template,
        priority_service: config.priority_service_template,
        priority_dependencies: config.priority_dependencies_template,
        use_ilm: config.use_ilm,
        ilm_policy_name: config.ilm_policy_name.clone(),
    };
    options.create_index_templates = config.create_index_templates;
    options.tags_as_fields = TagsAsFields {
        all: config.tags_as_fields_all,
        include: config.tags_as_fields_include.clone(),
        dot_replacement: config.tags_as_fields_dot_replacement.clone(),
    };
    options.bulk = BulkOptions {
        max_bytes: config.bulk_size,
        max_actions: config.bulk_actions,
        workers: config.bulk_workers,
        flush_interval: config.bulk_flush_interval,
        ..BulkOptions::default()
    };
    options.max_span_age = config.max_span_age;
    options.max_doc_count = config.max_doc_count;
    options.service_cache_ttl = config.service_cache_ttl;
    Ok(options)
}

/// The Cassandra backend's options from a validated configuration.
fn cassandra_options(config: &CassandraConfig) -> CassandraOptions {
    use spur_storage_cassandra::Consistency;
    let servers = config
        .servers
        .iter()
        .map(|server| {
            if server.contains(':') {
                server.clone()
            } else {
                format!("{server}:{}", config.port)
            }
        })
        .collect();
    let consistency = match config.consistency.as_str() {
        "ANY" => Consistency::Any,
        "ONE" => Consistency::One,
        "TWO" => Consistency::Two,
        "THREE" => Consistency::Three,
        "QUORUM" => Consistency::Quorum,
        "ALL" => Consistency::All,
        "LOCAL_QUORUM" => Consistency::LocalQuorum,
        "EACH_QUORUM" => Consistency::EachQuorum,
        _ => Consistency::LocalOne,
    };
    let mut options = CassandraOptions::new(servers, config.keyspace.clone());
    options.local_dc.clone_from(&config.local_dc);
    options.username.clone_from(&config.username);
    options.password.clone_from(&config.password);
    options.consistency = consistency;
    options.connections_per_host = config.connections_per_host;
    options.timeout = config.timeout;
    options.connect_timeout = config.connect_timeout;
    options.span_ttl = config.span_store_ttl;
    options.write_cache_ttl = config.span_store_write_cache_ttl;
    options.index = IndexOptions {
        tags: config.index_tags,
        logs: config.index_logs,
        process_tags: config.index_process_tags,
        tag_blacklist: config.index_tag_blacklist.clone(),
        tag_whitelist: config.index_tag_whitelist.clone(),
        max_values_per_key: config.index_max_values_per_key,
    };
    options.tls = config.tls_enabled.then(|| TlsOptions {
        ca: config.tls_ca.clone(),
        cert: config.tls_cert.clone(),
        key: config.tls_key.clone(),
        skip_host_verify: config.tls_skip_host_verify,
    });
    options.create_schema = config
        .create_schema
        .then(|| spur_storage_cassandra::schema::SchemaOptions::new(config.keyspace.clone()));
    options
}
