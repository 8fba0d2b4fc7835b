//! Reading a [`StorageConfig`] from Jaeger's environment variables (a flag `a.b-c` is the
//! variable `A_B_C`): `SPAN_STORAGE_TYPE` picks the backend, then only that backend's keys are
//! read; unset or empty keys take Jaeger's defaults. Every unreadable value and every failed
//! validation is reported together. The environment is passed in, never read from the process.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::{
    Authentication, CassandraConfig, Compression, ElasticsearchConfig, EmbeddedConfig, KafkaConfig,
    KafkaEncoding, MemoryConfig, PlaintextConfig, RequiredAcks, SaslMechanism, StorageConfig,
    StorageKind, TlsConfig,
};
use crate::validate::{ConfigError, ConfigProblem, Problems};
use spur_config::duration;

/// The environment variables read, by their Jaeger names.
pub mod keys {
    pub const SPAN_STORAGE_TYPE: &str = "SPAN_STORAGE_TYPE";
    pub const MEMORY_MAX_TRACES: &str = "MEMORY_MAX_TRACES";
    pub const BADGER_DIRECTORY_VALUE: &str = "BADGER_DIRECTORY_VALUE";
    pub const BADGER_SPAN_STORE_TTL: &str = "BADGER_SPAN_STORE_TTL";
    pub const CASSANDRA_SERVERS: &str = "CASSANDRA_SERVERS";
    pub const CASSANDRA_PORT: &str = "CASSANDRA_PORT";
    pub const CASSANDRA_KEYSPACE: &str = "CASSANDRA_KEYSPACE";
    pub const CASSANDRA_LOCAL_DC: &str = "CASSANDRA_LOCAL_DC";
    pub const CASSANDRA_USERNAME: &str = "CASSANDRA_USERNAME";
    pub const CASSANDRA_PASSWORD: &str = "CASSANDRA_PASSWORD";
    pub const CASSANDRA_CONSISTENCY: &str = "CASSANDRA_CONSISTENCY";
    pub const CASSANDRA_CONNECTIONS_PER_HOST: &str = "CASSANDRA_CONNECTIONS_PER_HOST";
    pub const CASSANDRA_TIMEOUT: &str = "CASSANDRA_TIMEOUT";
    pub const CASSANDRA_CONNECT_TIMEOUT: &str = "CASSANDRA_CONNECT_TIMEOUT";
    pub const CASSANDRA_SPAN_STORE_TTL: &str = "CASSANDRA_SPAN_STORE_TTL";
    pub const CASSANDRA_SPAN_STORE_WRITE_CACHE_TTL: &str = "CASSANDRA_SPAN_STORE_WRITE_CACHE_TTL";
    pub const CASSANDRA_INDEX_TAGS: &str = "CASSANDRA_INDEX_TAGS";
    pub const CASSANDRA_INDEX_LOGS: &str = "CASSANDRA_INDEX_LOGS";
    pub const CASSANDRA_INDEX_PROCESS_TAGS: &str = "CASSANDRA_INDEX_PROCESS_TAGS";
    pub const CASSANDRA_INDEX_TAG_BLACKLIST: &str = "CASSANDRA_INDEX_TAG_BLACKLIST";
    pub const CASSANDRA_INDEX_TAG_WHITELIST: &str = "CASSANDRA_INDEX_TAG_WHITELIST";
    pub const CASSANDRA_INDEX_MAX_VALUES_PER_KEY: &str = "CASSANDRA_INDEX_MAX_VALUES_PER_KEY";
    pub const CASSANDRA_TLS_ENABLED: &str = "CASSANDRA_TLS_ENABLED";
    pub const CASSANDRA_TLS_CA: &str = "CASSANDRA_TLS_CA";
    pub const CASSANDRA_TLS_CERT: &str = "CASSANDRA_TLS_CERT";
    pub const CASSANDRA_TLS_KEY: &str = "CASSANDRA_TLS_KEY";
    pub const CASSANDRA_TLS_SKIP_HOST_VERIFY: &str = "CASSANDRA_TLS_SKIP_HOST_VERIFY";
    pub const CASSANDRA_CREATE_SCHEMA: &str = "CASSANDRA_CREATE_SCHEMA";
    pub const ES_SERVER_URLS: &str = "ES_SERVER_URLS";
    pub const ES_INDEX_PREFIX: &str = "ES_INDEX_PREFIX";
    pub const ES_USERNAME: &str = "ES_USERNAME";
    pub const ES_PASSWORD: &str = "ES_PASSWORD";
    pub const ES_PASSWORD_FILE: &str = "ES_PASSWORD_FILE";
    pub const ES_TOKEN_FILE: &str = "ES_TOKEN_FILE";
    pub const ES_API_KEY_FILE: &str = "ES_API_KEY_FILE";
    pub const ES_TIMEOUT: &str = "ES_TIMEOUT";
    pub const ES_MAX_SPAN_AGE: &str = "ES_MAX_SPAN_AGE";
    pub const ES_MAX_DOC_COUNT: &str = "ES_MAX_DOC_COUNT";
    pub const ES_NUM_SHARDS: &str = "ES_NUM_SHARDS";
    pub const ES_NUM_REPLICAS: &str = "ES_NUM_REPLICAS";
    pub const ES_PRIOIRITY_SPAN_TEMPLATE: &str = "ES_PRIOIRITY_SPAN_TEMPLATE";
    pub const ES_PRIOIRITY_SERVICE_TEMPLATE: &str = "ES_PRIOIRITY_SERVICE_TEMPLATE";
    pub const ES_PRIOIRITY_DEPENDENCIES_TEMPLATE: &str = "ES_PRIOIRITY_DEPENDENCIES_TEMPLATE";
    pub const ES_BULK_SIZE: &str = "ES_BULK_SIZE";
    pub const ES_BULK_ACTIONS: &str = "ES_BULK_ACTIONS";
    pub const ES_BULK_WORKERS: &str = "ES_BULK_WORKERS";
    pub const ES_BULK_FLUSH_INTERVAL: &str = "ES_BULK_FLUSH_INTERVAL";
    pub const ES_INDEX_DATE_SEPARATOR: &str = "ES_INDEX_DATE_SEPARATOR";
    pub const ES_INDEX_ROLLOVER_FREQUENCY_SPANS: &str = "ES_INDEX_ROLLOVER_FREQUENCY_SPANS";
    pub const ES_INDEX_ROLLOVER_FREQUENCY_SERVICES: &str = "ES_INDEX_ROLLOVER_FREQUENCY_SERVICES";
    pub const ES_SERVICE_CACHE_TTL: &str = "ES_SERVICE_CACHE_TTL";
    pub const ES_TAGS_AS_FIELDS_ALL: &str = "ES_TAGS_AS_FIELDS_ALL";
    pub const ES_TAGS_AS_FIELDS_INCLUDE: &str = "ES_TAGS_AS_FIELDS_INCLUDE";
    pub const ES_TAGS_AS_FIELDS_DOT_REPLACEMENT: &str = "ES_TAGS_AS_FIELDS_DOT_REPLACEMENT";
    pub const ES_USE_ALIASES: &str = "ES_USE_ALIASES";
    pub const ES_USE_ILM: &str = "ES_USE_ILM";
    pub const ES_ILM_POLICY_NAME: &str = "ES_ILM_POLICY_NAME";
    pub const ES_CREATE_INDEX_TEMPLATES: &str = "ES_CREATE_INDEX_TEMPLATES";
    pub const ES_VERSION: &str = "ES_VERSION";
    pub const ES_TLS_ENABLED: &str = "ES_TLS_ENABLED";
    pub const ES_TLS_CA: &str = "ES_TLS_CA";
    pub const ES_TLS_SKIP_HOST_VERIFY: &str = "ES_TLS_SKIP_HOST_VERIFY";
    pub const KAFKA_PRODUCER_BROKERS: &str = "KAFKA_PRODUCER_BROKERS";
    pub const KAFKA_PRODUCER_TOPIC: &str = "KAFKA_PRODUCER_TOPIC";
    pub const KAFKA_PRODUCER_ENCODING: &str = "KAFKA_PRODUCER_ENCODING";
    pub const KAFKA_PRODUCER_REQUIRED_ACKS: &str = "KAFKA_PRODUCER_REQUIRED_ACKS";
    pub const KAFKA_PRODUCER_COMPRESSION: &str = "KAFKA_PRODUCER_COMPRESSION";
    pub const KAFKA_PRODUCER_COMPRESSION_LEVEL: &str = "KAFKA_PRODUCER_COMPRESSION_LEVEL";
    pub const KAFKA_PRODUCER_BATCH_LINGER: &str = "KAFKA_PRODUCER_BATCH_LINGER";
    pub const KAFKA_PRODUCER_BATCH_SIZE: &str = "KAFKA_PRODUCER_BATCH_SIZE";
    pub const KAFKA_PRODUCER_BATCH_MIN_MESSAGES: &str = "KAFKA_PRODUCER_BATCH_MIN_MESSAGES";
    pub const KAFKA_PRODUCER_BATCH_MAX_MESSAGES: &str = "KAFKA_PRODUCER_BATCH_MAX_MESSAGES";
    pub const KAFKA_PRODUCER_MAX_MESSAGE_BYTES: &str = "KAFKA_PRODUCER_MAX_MESSAGE_BYTES";
    pub const KAFKA_PRODUCER_AUTHENTICATION: &str = "KAFKA_PRODUCER_AUTHENTICATION";
    pub const KAFKA_PRODUCER_TLS_ENABLED: &str = "KAFKA_PRODUCER_TLS_ENABLED";
    pub const KAFKA_PRODUCER_TLS_CA: &str = "KAFKA_PRODUCER_TLS_CA";
    pub const KAFKA_PRODUCER_TLS_CERT: &str = "KAFKA_PRODUCER_TLS_CERT";
    pub const KAFKA_PRODUCER_TLS_KEY: &str = "KAFKA_PRODUCER_TLS_KEY";
    pub const KAFKA_PRODUCER_TLS_SERVER_NAME: &str = "KAFKA_PRODUCER_TLS_SERVER_NAME";
    pub const KAFKA_PRODUCER_TLS_SKIP_HOST_VERIFY: &str = "KAFKA_PRODUCER_TLS_SKIP_HOST_VERIFY";
    pub const KAFKA_PRODUCER_PLAINTEXT_USERNAME: &str = "KAFKA_PRODUCER_PLAINTEXT_USERNAME";
    pub const KAFKA_PRODUCER_PLAINTEXT_PASSWORD: &str = "KAFKA_PRODUCER_PLAINTEXT_PASSWORD";
    pub const KAFKA_PRODUCER_PLAINTEXT_MECHANISM: &str = "KAFKA_PRODUCER_PLAINTEXT_MECHANISM";
    /// Spur's: librdkafka's idempotent producer (default true).
    pub const KAFKA_PRODUCER_IDEMPOTENT: &str = "KAFKA_PRODUCER_IDEMPOTENT";
    /// Spur's: the producer queue's capacity in messages (default 100000).
    pub const KAFKA_PRODUCER_QUEUE_MAX_MESSAGES: &str = "KAFKA_PRODUCER_QUEUE_MAX_MESSAGES";
    /// Spur's: answer writes once Kafka acknowledged them (default true).
    pub const KAFKA_PRODUCER_WAIT_FOR_DELIVERY: &str = "KAFKA_PRODUCER_WAIT_FOR_DELIVERY";
}

/// Jaeger's default backend for its collector and query when `SPAN_STORAGE_TYPE` is unset
/// (its all-in-one uses `memory`; Spur's all-in-one passes `embedded` to
/// [`StorageConfig::from_env_or`]).
pub const DEFAULT_KIND: StorageKind = StorageKind::Cassandra;

impl StorageConfig {
    /// Reads the configuration from Jaeger's environment variables; an unset
    /// `SPAN_STORAGE_TYPE` means Jaeger's default, [`DEFAULT_KIND`].
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_env_or(env, DEFAULT_KIND)
    }

    /// Like [`from_env`](Self::from_env), with `default` when `SPAN_STORAGE_TYPE` is unset.
    pub fn from_env_or(
        env: &HashMap<String, String>,
        default: StorageKind,
    ) -> Result<Self, ConfigError> {
        let reader = EnvReader {
            env,
            problems: Problems::default(),
        };
        reader.read(default)
    }
}

struct EnvReader<'a> {
    env: &'a HashMap<String, String>,
    problems: Problems,
}

impl EnvReader<'_> {
    fn read(mut self, default: StorageKind) -> Result<StorageConfig, ConfigError> {
        let kind = match self.value(keys::SPAN_STORAGE_TYPE) {
            None => default,
            Some(text) => match parse_kind(text) {
                Ok(kind) => kind,
                Err(message) => {
                    let problem = ConfigProblem {
                        key: keys::SPAN_STORAGE_TYPE,
                        message,
                    };
                    return Err(ConfigError {
                        problems: vec![problem],
                    });
                }
            },
        };
        let config = match kind {
            StorageKind::Memory => StorageConfig::Memory(self.memory()),
            StorageKind::Embedded => StorageConfig::Embedded(self.embedded()),
            StorageKind::Cassandra => StorageConfig::Cassandra(self.cassandra()),
            StorageKind::Elasticsearch => StorageConfig::Elasticsearch(self.elasticsearch()),
            StorageKind::Opensearch => StorageConfig::Opensearch(self.elasticsearch()),
            StorageKind::Kafka => StorageConfig::Kafka(self.kafka()),
        };
        // Unreadable values kept their defaults, so validation reports only real problems.
        let mut problems = self.problems;
        if let Err(invalid) = config.validate() {
            problems.absorb(invalid);
        }
        problems.finish().map(|()| config)
    }

    /// The key's value, `None` when unset or blank.
    fn value(&self, key: &'static str) -> Option<&str> {
        self.env
            .get(key)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    fn string(&self, key: &'static str) -> Option<String> {
        self.value(key).map(str::to_owned)
    }

    /// A comma-separated list; entries are trimmed, empty ones kept for validation to report.
    fn list(&self, key: &'static str) -> Option<Vec<String>> {
        self.value(key)
            .map(|text| text.split(',').map(|item| item.trim().to_owned()).collect())
    }

    /// A value parsed by `parse`; a parse failure is recorded and `None` returned.
    fn parsed<T>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.value(key)?;
        match parse(text) {
            Ok(value) => Some(value),
            Err(message) => {
                self.problems.add(key, message);
                None
            }
        }
    }

    fn memory(&mut self) -> MemoryConfig {
        let defaults = MemoryConfig::default();
        let max_traces = self.parsed(keys::MEMORY_MAX_TRACES, |text| {
            text.parse::<usize>().map_err(|_| {
                format!("{text:?} is not a number of traces (0 or more; 0 = unbounded)")
            })
        });
        MemoryConfig {
            max_traces: max_traces.unwrap_or(defaults.max_traces),
        }
    }

    fn embedded(&mut self) -> EmbeddedConfig {
        let defaults = EmbeddedConfig::default();
        let directory = self.value(keys::BADGER_DIRECTORY_VALUE).map(PathBuf::from);
        let retention = self.parsed(keys::BADGER_SPAN_STORE_TTL, duration::parse);
        EmbeddedConfig {
            directory: directory.unwrap_or(defaults.directory),
            retention: retention.unwrap_or(defaults.retention),
        }
    }

    fn cassandra(&mut self) -> CassandraConfig {
        let defaults = CassandraConfig::default();
        let port = self.parsed(keys::CASSANDRA_PORT, |text| {
            text.parse::<u16>()
                .map_err(|_| format!("{text:?} is not a port (1 to 65535)"))
        });
        let connections_per_host = self.parsed(keys::CASSANDRA_CONNECTIONS_PER_HOST, |text| {
            count(text, "connections")
        });
        let max_values = self.parsed(keys::CASSANDRA_INDEX_MAX_VALUES_PER_KEY, |text| {
            count(text, "values")
        });
        let timeout = self.parsed(keys::CASSANDRA_TIMEOUT, duration::parse);
        let connect_timeout = self.parsed(keys::CASSANDRA_CONNECT_TIMEOUT, duration::parse);
        let span_store_ttl = self.parsed(keys::CASSANDRA_SPAN_STORE_TTL, duration::parse);
        let write_cache_ttl =
            self.parsed(keys::CASSANDRA_SPAN_STORE_WRITE_CACHE_TTL, duration::parse);
        let mut flag =
            |key: &'static str, default: bool| self.parsed(key, parse_bool).unwrap_or(default);
        let index_tags = flag(keys::CASSANDRA_INDEX_TAGS, defaults.index_tags);
        let index_logs = flag(keys::CASSANDRA_INDEX_LOGS, defaults.index_logs);
        let index_process_tags = flag(
            keys::CASSANDRA_INDEX_PROCESS_TAGS,
            defaults.index_process_tags,
        );
        let tls_enabled = flag(keys::CASSANDRA_TLS_ENABLED, defaults.tls_enabled);
        let tls_skip_host_verify = flag(
            keys::CASSANDRA_TLS_SKIP_HOST_VERIFY,
            defaults.tls_skip_host_verify,
        );
        let create_schema = flag(keys::CASSANDRA_CREATE_SCHEMA, defaults.create_schema);
        CassandraConfig {
            servers: self
                .list(keys::CASSANDRA_SERVERS)
                .unwrap_or(defaults.servers),
            port: port.unwrap_or(defaults.port),
            keyspace: self
                .string(keys::CASSANDRA_KEYSPACE)
                .unwrap_or(defaults.keyspace),
            local_dc: self.string(keys::CASSANDRA_LOCAL_DC),
            username: self.string(keys::CASSANDRA_USERNAME),
            password: self.string(keys::CASSANDRA_PASSWORD),
            consistency: self
                .string(keys::CASSANDRA_CONSISTENCY)
                .map(|text| text.to_ascii_uppercase())
                .unwrap_or(defaults.consistency),
            connections_per_host: connections_per_host.unwrap_or(defaults.connections_per_host),
            timeout: timeout.unwrap_or(defaults.timeout),
            connect_timeout: connect_timeout.unwrap_or(defaults.connect_timeout),
            span_store_ttl: span_store_ttl.or(defaults.span_store_ttl),
            span_store_write_cache_ttl: write_cache_ttl
                .unwrap_or(defaults.span_store_write_cache_ttl),
            index_tags,
            index_logs,
            index_process_tags,
            index_tag_blacklist: self
                .list(keys::CASSANDRA_INDEX_TAG_BLACKLIST)
                .unwrap_or_default(),
            index_tag_whitelist: self
                .list(keys::CASSANDRA_INDEX_TAG_WHITELIST)
                .unwrap_or_default(),
            index_max_values_per_key: max_values.unwrap_or(defaults.index_max_values_per_key),
            tls_enabled,
            tls_ca: self.value(keys::CASSANDRA_TLS_CA).map(PathBuf::from),
            tls_cert: self.value(keys::CASSANDRA_TLS_CERT).map(PathBuf::from),
            tls_key: self.value(keys::CASSANDRA_TLS_KEY).map(PathBuf::from),
            tls_skip_host_verify,
            create_schema,
        }
    }

    fn elasticsearch(&mut self) -> ElasticsearchConfig {
        let d = ElasticsearchConfig::default();
        let number = |text: &str| {
            text.parse::<u32>()
                .map_err(|_| format!("{text:?} is not a whole number (0 or more)"))
        };
        let timeout = self.parsed(keys::ES_TIMEOUT, duration::parse);
        let max_span_age = self.parsed(keys::ES_MAX_SPAN_AGE, duration::parse);
        let max_doc_count = self.parsed(keys::ES_MAX_DOC_COUNT, |text| count(text, "documents"));
        let num_shards = self.parsed(keys::ES_NUM_SHARDS, number);
        let num_replicas = self.parsed(keys::ES_NUM_REPLICAS, number);
        let priority_span = self.parsed(keys::ES_PRIOIRITY_SPAN_TEMPLATE, number);
        let priority_service = self.parsed(keys::ES_PRIOIRITY_SERVICE_TEMPLATE, number);
        let priority_dependencies = self.parsed(keys::ES_PRIOIRITY_DEPENDENCIES_TEMPLATE, number);
        let bulk_size = self.parsed(keys::ES_BULK_SIZE, |text| count(text, "bytes"));
        let bulk_actions = self.parsed(keys::ES_BULK_ACTIONS, |text| count(text, "documents"));
        let bulk_workers = self.parsed(keys::ES_BULK_WORKERS, |text| count(text, "workers"));
        let bulk_flush_interval = self.parsed(keys::ES_BULK_FLUSH_INTERVAL, duration::parse);
        let service_cache_ttl = self.parsed(keys::ES_SERVICE_CACHE_TTL, duration::parse);
        let tags_as_fields_all = self.parsed(keys::ES_TAGS_AS_FIELDS_ALL, parse_bool);
        let use_aliases = self.parsed(keys::ES_USE_ALIASES, parse_bool);
        let use_ilm = self.parsed(keys::ES_USE_ILM, parse_bool);
        let create_index_templates = self.parsed(keys::ES_CREATE_INDEX_TEMPLATES, parse_bool);
        let version = self.parsed(keys::ES_VERSION, number);
        let tls_enabled = self.parsed(keys::ES_TLS_ENABLED, parse_bool);
        let tls_skip_host_verify = self.parsed(keys::ES_TLS_SKIP_HOST_VERIFY, parse_bool);
        ElasticsearchConfig {
            server_urls: self.list(keys::ES_SERVER_URLS).unwrap_or(d.server_urls),
            index_prefix: self.string(keys::ES_INDEX_PREFIX).unwrap_or(d.index_prefix),
            username: self.string(keys::ES_USERNAME),
            password: self.string(keys::ES_PASSWORD),
            password_file: self.value(keys::ES_PASSWORD_FILE).map(PathBuf::from),
            token_file: self.value(keys::ES_TOKEN_FILE).map(PathBuf::from),
            api_key_file: self.value(keys::ES_API_KEY_FILE).map(PathBuf::from),
            timeout: timeout.unwrap_or(d.timeout),
            max_span_age: max_span_age.unwrap_or(d.max_span_age),
            max_doc_count: max_doc_count.unwrap_or(d.max_doc_count),
            num_shards: num_shards.unwrap_or(d.num_shards),
            num_replicas: num_replicas.unwrap_or(d.num_replicas),
            priority_span_template: priority_span.unwrap_or(d.priority_span_template),
            priority_service_template: priority_service.unwrap_or(d.priority_service_template),
            priority_dependencies_template: priority_dependencies
                .unwrap_or(d.priority_dependencies_template),
            bulk_size: bulk_size.unwrap_or(d.bulk_size),
            bulk_actions: bulk_actions.unwrap_or(d.bulk_actions),
            bulk_workers: bulk_workers.unwrap_or(d.bulk_workers),
            bulk_flush_interval: bulk_flush_interval.unwrap_or(d.bulk_flush_interval),
            index_date_separator: self
                .env
                .get(keys::ES_INDEX_DATE_SEPARATOR)
                .cloned()
                .unwrap_or(d.index_date_separator),
            index_rollover_frequency_spans: self
                .string(keys::ES_INDEX_ROLLOVER_FREQUENCY_SPANS)
                .unwrap_or(d.index_rollover_frequency_spans),
            index_rollover_frequency_services: self
                .string(keys::ES_INDEX_ROLLOVER_FREQUENCY_SERVICES)
                .unwrap_or(d.index_rollover_frequency_services),
            service_cache_ttl: service_cache_ttl.unwrap_or(d.service_cache_ttl),
            tags_as_fields_all: tags_as_fields_all.unwrap_or(d.tags_as_fields_all),
            tags_as_fields_include: self
                .list(keys::ES_TAGS_AS_FIELDS_INCLUDE)
                .unwrap_or(d.tags_as_fields_include),
            tags_as_fields_dot_replacement: self
                .string(keys::ES_TAGS_AS_FIELDS_DOT_REPLACEMENT)
                .unwrap_or(d.tags_as_fields_dot_replacement),
            use_aliases: use_aliases.unwrap_or(d.use_aliases),
            use_ilm: use_ilm.unwrap_or(d.use_ilm),
            ilm_policy_name: self
                .string(keys::ES_ILM_POLICY_NAME)
                .unwrap_or(d.ilm_policy_name),
            create_index_templates: create_index_templates.unwrap_or(d.create_index_templates),
            version: version.unwrap_or(d.version),
            tls_enabled: tls_enabled.unwrap_or(d.tls_enabled),
            tls_ca: self.value(keys::ES_TLS_CA).map(PathBuf::from),
            tls_skip_host_verify: tls_skip_host_verify.unwrap_or(d.tls_skip_host_verify),
        }
    }

    fn kafka(&mut self) -> KafkaConfig {
        let defaults = KafkaConfig::default();
        let encoding = self.parsed(keys::KAFKA_PRODUCER_ENCODING, KafkaEncoding::parse);
        let required_acks = self.parsed(keys::KAFKA_PRODUCER_REQUIRED_ACKS, RequiredAcks::parse);
        let idempotent = self.parsed(keys::KAFKA_PRODUCER_IDEMPOTENT, parse_bool);
        let compression = self.parsed(keys::KAFKA_PRODUCER_COMPRESSION, Compression::parse);
        let compression_level = self.parsed(keys::KAFKA_PRODUCER_COMPRESSION_LEVEL, |text| {
            text.parse::<i32>()
                .map_err(|_| format!("{text:?} is not a compression level (a whole number)"))
        });
        let batch_linger = self.parsed(keys::KAFKA_PRODUCER_BATCH_LINGER, duration::parse);
        let batch_size = self.parsed(keys::KAFKA_PRODUCER_BATCH_SIZE, |text| count(text, "bytes"));
        let batch_min_messages = self.parsed(keys::KAFKA_PRODUCER_BATCH_MIN_MESSAGES, |text| {
            count(text, "messages")
        });
        let batch_max_messages = self.parsed(keys::KAFKA_PRODUCER_BATCH_MAX_MESSAGES, |text| {
            count(text, "messages")
        });
        let max_message_bytes = self.parsed(keys::KAFKA_PRODUCER_MAX_MESSAGE_BYTES, |text| {
            count(text, "bytes")
        });
        let queue_max_messages = self.parsed(keys::KAFKA_PRODUCER_QUEUE_MAX_MESSAGES, |text| {
            count(text, "messages")
        });
        let wait_for_delivery = self.parsed(keys::KAFKA_PRODUCER_WAIT_FOR_DELIVERY, parse_bool);
        let authentication =
            self.parsed(keys::KAFKA_PRODUCER_AUTHENTICATION, Authentication::parse);
        let tls = self.kafka_tls();
        let mechanism = self.parsed(
            keys::KAFKA_PRODUCER_PLAINTEXT_MECHANISM,
            SaslMechanism::parse,
        );
        let plaintext = PlaintextConfig {
            username: self.string(keys::KAFKA_PRODUCER_PLAINTEXT_USERNAME),
            password: self.string(keys::KAFKA_PRODUCER_PLAINTEXT_PASSWORD),
            mechanism: mechanism.unwrap_or(defaults.plaintext.mechanism),
        };
        KafkaConfig {
            brokers: self
                .list(keys::KAFKA_PRODUCER_BROKERS)
                .unwrap_or(defaults.brokers),
            topic: self
                .string(keys::KAFKA_PRODUCER_TOPIC)
                .unwrap_or(defaults.topic),
            encoding: encoding.unwrap_or(defaults.encoding),
            required_acks: required_acks.unwrap_or(defaults.required_acks),
            idempotent: idempotent.unwrap_or(defaults.idempotent),
            compression: compression.unwrap_or(defaults.compression),
            compression_level: compression_level.unwrap_or(defaults.compression_level),
            batch_linger: batch_linger.unwrap_or(defaults.batch_linger),
            batch_size: batch_size.unwrap_or(defaults.batch_size),
            batch_min_messages: batch_min_messages.unwrap_or(defaults.batch_min_messages),
            batch_max_messages: batch_max_messages.unwrap_or(defaults.batch_max_messages),
            max_message_bytes: max_message_bytes.unwrap_or(defaults.max_message_bytes),
            queue_max_messages: queue_max_messages.unwrap_or(defaults.queue_max_messages),
            wait_for_delivery: wait_for_delivery.unwrap_or(defaults.wait_for_delivery),
            authentication: authentication.unwrap_or(defaults.authentication),
            tls,
            plaintext,
        }
    }

    fn kafka_tls(&mut self) -> TlsConfig {
        let enabled = self.parsed(keys::KAFKA_PRODUCER_TLS_ENABLED, parse_bool);
        let skip_host_verify = self.parsed(keys::KAFKA_PRODUCER_TLS_SKIP_HOST_VERIFY, parse_bool);
        TlsConfig {
            enabled: enabled.unwrap_or(false),
            ca: self.value(keys::KAFKA_PRODUCER_TLS_CA).map(PathBuf::from),
            cert: self.value(keys::KAFKA_PRODUCER_TLS_CERT).map(PathBuf::from),
            key: self.value(keys::KAFKA_PRODUCER_TLS_KEY).map(PathBuf::from),
            server_name: self.string(keys::KAFKA_PRODUCER_TLS_SERVER_NAME),
            skip_host_verify: skip_host_verify.unwrap_or(false),
        }
    }
}

/// A boolean as Go's `strconv.ParseBool` reads it (Jaeger's flags and variables).
fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("{text:?} is not a boolean: true or false")),
    }
}

/// A number of `what`, 0 or more.
fn count(text: &str, what: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .map_err(|_| format!("{text:?} is not a number of {what} (0 or more)"))
}

fn parse_kind(text: &str) -> Result<StorageKind, String> {
    if text.contains(',') {
        return Err(format!(
            "{text:?} names several storage types; Spur writes to exactly one"
        ));
    }
    StorageKind::parse(text).ok_or_else(|| {
        let supported: Vec<&str> = StorageKind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!(
            "{text:?} is not a storage type: {} (or badger)",
            supported.join(", ")
        )
    })
}
