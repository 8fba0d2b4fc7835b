//! The storage configuration: one variant per backend, each field documented with its Jaeger
//! flag and environment variable, defaults as Jaeger's unless a field says otherwise. Validation lives in `validate`, reading
//! the environment in `env`, turning a configuration into a backend in the crate root.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use spur_kafka::ProducerConfig;
pub use spur_kafka::{
    Authentication, Compression, PlaintextConfig, RequiredAcks, SaslMechanism, TlsConfig,
};

/// Which backend stores the spans: the value of `SPAN_STORAGE_TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageKind {
    Memory,
    /// Spur's embedded on-disk store; `badger` (Jaeger's embedded store) is an alias.
    Embedded,
    Cassandra,
    Elasticsearch,
    Opensearch,
    /// A write-only sink: spans go to a Kafka topic for an ingester to store.
    Kafka,
}

impl StorageKind {
    pub const ALL: [StorageKind; 6] = [
        StorageKind::Memory,
        StorageKind::Embedded,
        StorageKind::Cassandra,
        StorageKind::Elasticsearch,
        StorageKind::Opensearch,
        StorageKind::Kafka,
    ];

    /// Reads a `SPAN_STORAGE_TYPE` value (any case; `badger` means `embedded`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        if text == "badger" {
            return Some(StorageKind::Embedded);
        }
        StorageKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StorageKind::Memory => "memory",
            StorageKind::Embedded => "embedded",
            StorageKind::Cassandra => "cassandra",
            StorageKind::Elasticsearch => "elasticsearch",
            StorageKind::Opensearch => "opensearch",
            StorageKind::Kafka => "kafka",
        }
    }
}

impl fmt::Display for StorageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where spans are stored, and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum StorageConfig {
    Memory(MemoryConfig),
    #[serde(alias = "badger")]
    Embedded(EmbeddedConfig),
    Cassandra(CassandraConfig),
    Elasticsearch(ElasticsearchConfig),
    /// OpenSearch speaks Elasticsearch's API; Jaeger configures it with the same `es.*` keys.
    Opensearch(ElasticsearchConfig),
    Kafka(KafkaConfig),
}

/// `memory`: spans in process memory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryConfig {
    /// At most this many traces are kept, the oldest evicted first; 0 = unbounded
    /// (`memory.max-traces`, `MEMORY_MAX_TRACES`).
    pub max_traces: usize,
}

/// `embedded` (alias `badger`): Spur's on-disk store in one directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddedConfig {
    /// The directory holding the store's files (`badger.directory-value`,
    /// `BADGER_DIRECTORY_VALUE`; Jaeger's default `data/values`, relative to the working
    /// directory). Keys and values share it, so `badger.directory-key` has no counterpart.
    pub directory: PathBuf,
    /// Spans older than this are dropped (`badger.span-store-ttl`, `BADGER_SPAN_STORE_TTL`,
    /// default 72h).
    #[serde(with = "spur_config::duration::text")]
    pub retention: Duration,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            directory: PathBuf::from("data/values"),
            retention: Duration::from_secs(72 * 3_600),
        }
    }
}

/// `cassandra`: Jaeger's Cassandra schema v004 (`cassandra.*` flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CassandraConfig {
    /// Contact points, `host` or `host:port` (`CASSANDRA_SERVERS`, comma-separated, default
    /// `127.0.0.1`).
    pub servers: Vec<String>,
    /// The port of servers given without one (`CASSANDRA_PORT`, default 9042).
    pub port: u16,
    /// The keyspace holding Jaeger's tables (`CASSANDRA_KEYSPACE`, default `jaeger_v1_test`).
    pub keyspace: String,
    /// The local data center for load balancing (`CASSANDRA_LOCAL_DC`).
    pub local_dc: Option<String>,
    /// Password authentication (`CASSANDRA_USERNAME`, `CASSANDRA_PASSWORD`), both or neither.
    pub username: Option<String>,
    pub password: Option<String>,
    /// Consistency of reads and writes (`CASSANDRA_CONSISTENCY`: `ANY`, `ONE`, `TWO`, `THREE`,
    /// `QUORUM`, `ALL`, `LOCAL_QUORUM`, `EACH_QUORUM`, `LOCAL_ONE`; default `LOCAL_ONE`).
    pub consistency: String,
    /// Connections per node (`CASSANDRA_CONNECTIONS_PER_HOST`, default 2).
    pub connections_per_host: usize,
    /// How long one statement may take (`CASSANDRA_TIMEOUT`, Spur's default 10s).
    #[serde(with = "spur_config::duration::text")]
    pub timeout: Duration,
    /// How long connecting may take (`CASSANDRA_CONNECT_TIMEOUT`, Spur's default 10s).
    #[serde(with = "spur_config::duration::text")]
    pub connect_timeout: Duration,
    /// Spans are kept this long from their start time (`CASSANDRA_SPAN_STORE_TTL`, a Spur
    /// addition). Unset: the `traces` table's own `default_time_to_live`, as the schema was
    /// created (Jaeger's `TRACE_TTL`).
    #[serde(with = "spur_config::duration::optional_text")]
    pub span_store_ttl: Option<Duration>,
    /// A service or operation name written is not written again for this long
    /// (`CASSANDRA_SPAN_STORE_WRITE_CACHE_TTL`, default 12h).
    #[serde(with = "spur_config::duration::text")]
    pub span_store_write_cache_ttl: Duration,
    /// Index span tags, log fields, process tags (`CASSANDRA_INDEX_TAGS`,
    /// `CASSANDRA_INDEX_LOGS`, `CASSANDRA_INDEX_PROCESS_TAGS`, default true).
    pub index_tags: bool,
    pub index_logs: bool,
    pub index_process_tags: bool,
    /// Tag keys never indexed (`CASSANDRA_INDEX_TAG_BLACKLIST`, comma-separated) or, when set,
    /// the only ones indexed (`CASSANDRA_INDEX_TAG_WHITELIST`); not both.
    pub index_tag_blacklist: Vec<String>,
    pub index_tag_whitelist: Vec<String>,
    /// Distinct values indexed per service and tag key, 0 = no cap
    /// (`CASSANDRA_INDEX_MAX_VALUES_PER_KEY`, a Spur addition, default 0).
    pub index_max_values_per_key: usize,
    /// TLS to the nodes (`CASSANDRA_TLS_ENABLED`, `CASSANDRA_TLS_CA`, `CASSANDRA_TLS_CERT`,
    /// `CASSANDRA_TLS_KEY`, `CASSANDRA_TLS_SKIP_HOST_VERIFY`).
    pub tls_enabled: bool,
    pub tls_ca: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_skip_host_verify: bool,
    /// Create the keyspace and schema v004 (test mode: SimpleStrategy, factor 1) when missing
    /// (`CASSANDRA_CREATE_SCHEMA`, a Spur addition, default false; production keyspaces are
    /// made by `spur-cassandra-schema init`).
    pub create_schema: bool,
}

impl Default for CassandraConfig {
    fn default() -> Self {
        CassandraConfig {
            servers: vec!["127.0.0.1".to_owned()],
            port: 9042,
            keyspace: "jaeger_v1_test".to_owned(),
            local_dc: None,
            username: None,
            password: None,
            consistency: "LOCAL_ONE".to_owned(),
            connections_per_host: 2,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            span_store_ttl: None,
            span_store_write_cache_ttl: Duration::from_secs(12 * 3_600),
            index_tags: true,
            index_logs: true,
            index_process_tags: true,
            index_tag_blacklist: Vec::new(),
            index_tag_whitelist: Vec::new(),
            index_max_values_per_key: 0,
            tls_enabled: false,
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            tls_skip_host_verify: false,
            create_schema: false,
        }
    }
}

/// The consistency level names `CASSANDRA_CONSISTENCY` accepts.
pub const CASSANDRA_CONSISTENCIES: &[&str] = &[
    "ANY",
    "ONE",
    "TWO",
    "THREE",
    "QUORUM",
    "ALL",
    "LOCAL_QUORUM",
    "EACH_QUORUM",
    "LOCAL_ONE",
];

/// `elasticsearch` and `opensearch`: Jaeger's daily indices (`es.*` flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElasticsearchConfig {
    /// Node URLs, `http://` or `https://` (`ES_SERVER_URLS`, comma-separated, default
    /// `http://127.0.0.1:9200`).
    pub server_urls: Vec<String>,
    /// Prepended with a `-` to every index name (`ES_INDEX_PREFIX`, default none).
    pub index_prefix: String,
    /// Basic authentication (`ES_USERNAME`, `ES_PASSWORD`), both or neither; the password may
    /// come from a file instead (`ES_PASSWORD_FILE`).
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    /// A bearer token read from this file (`ES_TOKEN_FILE`).
    pub token_file: Option<PathBuf>,
    /// An encoded API key read from this file (`ES_API_KEY_FILE`).
    pub api_key_file: Option<PathBuf>,
    /// How long one request may take (`ES_TIMEOUT`; Jaeger's default 0s, no limit, is read as
    /// an hour; Spur's default 30s).
    #[serde(with = "spur_config::duration::text")]
    pub timeout: Duration,
    /// How far back trace and catalog reads look (`ES_MAX_SPAN_AGE`, default 72h).
    #[serde(with = "spur_config::duration::text")]
    pub max_span_age: Duration,
    /// Documents per search page, buckets per aggregation (`ES_MAX_DOC_COUNT`, default 10000).
    pub max_doc_count: usize,
    /// Template settings (`ES_NUM_SHARDS` 5, `ES_NUM_REPLICAS` 1, and Jaeger's misspelt
    /// `ES_PRIOIRITY_{SPAN,SERVICE,DEPENDENCIES}_TEMPLATE`, 0, for Elasticsearch 8+).
    pub num_shards: u32,
    pub num_replicas: u32,
    pub priority_span_template: u32,
    pub priority_service_template: u32,
    pub priority_dependencies_template: u32,
    /// Bulk bounds (`ES_BULK_SIZE` 5000000 bytes, `ES_BULK_ACTIONS` 1000, `ES_BULK_WORKERS` 1,
    /// `ES_BULK_FLUSH_INTERVAL`: Spur's default 0s sends a write as soon as a worker is free, since
    /// a write waits for its documents; Jaeger's 200ms would add that to every write).
    pub bulk_size: usize,
    pub bulk_actions: usize,
    pub bulk_workers: usize,
    #[serde(with = "spur_config::duration::text")]
    pub bulk_flush_interval: Duration,
    /// Between the parts of an index date (`ES_INDEX_DATE_SEPARATOR`, default `-`).
    pub index_date_separator: String,
    /// `day` or `hour` (`ES_INDEX_ROLLOVER_FREQUENCY_SPANS`, `..._SERVICES`, default `day`).
    pub index_rollover_frequency_spans: String,
    pub index_rollover_frequency_services: String,
    /// A service/operation pair is not written again for this long (`ES_SERVICE_CACHE_TTL`,
    /// default 12h).
    #[serde(with = "spur_config::duration::text")]
    pub service_cache_ttl: Duration,
    /// Tags as object fields (`ES_TAGS_AS_FIELDS_ALL`, `ES_TAGS_AS_FIELDS_INCLUDE`
    /// comma-separated, `ES_TAGS_AS_FIELDS_DOT_REPLACEMENT` default `@`).
    pub tags_as_fields_all: bool,
    pub tags_as_fields_include: Vec<String>,
    pub tags_as_fields_dot_replacement: String,
    /// Read and write through the `-read` / `-write` aliases (`ES_USE_ALIASES`, rollover
    /// mode; the indices come from `spur-es-index init`), with ILM settings in the templates
    /// (`ES_USE_ILM`, `ES_ILM_POLICY_NAME` default `jaeger-ilm-policy`).
    pub use_aliases: bool,
    pub use_ilm: bool,
    pub ilm_policy_name: String,
    /// Put the index templates at start-up (`ES_CREATE_INDEX_TEMPLATES`, default true).
    pub create_index_templates: bool,
    /// The server's major version, 0 to ask it (`ES_VERSION`).
    pub version: u32,
    /// TLS (`ES_TLS_ENABLED`, `ES_TLS_CA`, `ES_TLS_SKIP_HOST_VERIFY`).
    pub tls_enabled: bool,
    pub tls_ca: Option<PathBuf>,
    pub tls_skip_host_verify: bool,
}

impl Default for ElasticsearchConfig {
    fn default() -> Self {
        ElasticsearchConfig {
            server_urls: vec!["http://127.0.0.1:9200".to_owned()],
            index_prefix: String::new(),
            username: None,
            password: None,
            password_file: None,
            token_file: None,
            api_key_file: None,
            timeout: Duration::from_secs(30),
            max_span_age: Duration::from_secs(72 * 3_600),
            max_doc_count: 10_000,
            num_shards: 5,
            num_replicas: 1,
            priority_span_template: 0,
            priority_service_template: 0,
            priority_dependencies_template: 0,
            bulk_size: 5_000_000,
            bulk_actions: 1_000,
            bulk_workers: 1,
            bulk_flush_interval: Duration::ZERO,
            index_date_separator: "-".to_owned(),
            index_rollover_frequency_spans: "day".to_owned(),
            index_rollover_frequency_services: "day".to_owned(),
            service_cache_ttl: Duration::from_secs(12 * 3_600),
            tags_as_fields_all: false,
            tags_as_fields_include: Vec::new(),
            tags_as_fields_dot_replacement: "@".to_owned(),
            use_aliases: false,
            use_ilm: false,
            ilm_policy_name: "jaeger-ilm-policy".to_owned(),
            create_index_templates: true,
            version: 0,
            tls_enabled: false,
            tls_ca: None,
            tls_skip_host_verify: false,
        }
    }
}

/// `kafka`: one Jaeger `Span` message per span, keyed by trace id (`kafka.producer.*` flags).
/// Zero for a batch setting means librdkafka's default (Jaeger's zero means sarama's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port` (`KAFKA_PRODUCER_BROKERS`, comma-separated, default
    /// `127.0.0.1:9092`).
    pub brokers: Vec<String>,
    /// The topic spans are produced to (`KAFKA_PRODUCER_TOPIC`, default `jaeger-spans`).
    pub topic: String,
    /// How a span is encoded (`KAFKA_PRODUCER_ENCODING`, default `protobuf`).
    pub encoding: KafkaEncoding,
    /// Which brokers must have a message (`KAFKA_PRODUCER_REQUIRED_ACKS`: `noack`, `local` or
    /// `all`). Default `all`: Spur's choice, unlike Jaeger's `local`, because a leader's
    /// failover then loses nothing acknowledged, and idempotence needs it.
    pub required_acks: RequiredAcks,
    /// librdkafka's idempotent producer, so its retries neither duplicate nor reorder spans
    /// (`KAFKA_PRODUCER_IDEMPOTENT`, a Spur addition, default true; needs `required_acks: all`).
    pub idempotent: bool,
    /// Batch codec (`KAFKA_PRODUCER_COMPRESSION`: `none`, `gzip`, `snappy`, `lz4`, `zstd`;
    /// default `none`).
    pub compression: Compression,
    /// The codec's level (`KAFKA_PRODUCER_COMPRESSION_LEVEL`, default 0 = the codec's
    /// default); gzip 1 to 9, lz4 and zstd 1 to 12 (librdkafka's ranges: narrower than
    /// Jaeger's 1 to 17 for lz4 and -131072 to 22 for zstd), none for none and snappy.
    pub compression_level: i32,
    /// How long a batch waits to fill (`KAFKA_PRODUCER_BATCH_LINGER`, a Go duration, default
    /// 0 = librdkafka's 5 ms).
    #[serde(with = "spur_config::duration::text")]
    pub batch_linger: Duration,
    /// Most bytes per batch (`KAFKA_PRODUCER_BATCH_SIZE`, default 0 = librdkafka's 1000000).
    pub batch_size: usize,
    /// Messages before a batch is sent (`KAFKA_PRODUCER_BATCH_MIN_MESSAGES`, default 0).
    /// librdkafka has no such trigger: accepted for compatibility and ignored (with a warning).
    pub batch_min_messages: usize,
    /// Most messages per batch (`KAFKA_PRODUCER_BATCH_MAX_MESSAGES`, default 0 = librdkafka's
    /// 10000).
    pub batch_max_messages: usize,
    /// Largest message, key and framing included (`KAFKA_PRODUCER_MAX_MESSAGE_BYTES`, default
    /// 1000000); a larger span is dropped and counted as a failed delivery, as in Jaeger.
    pub max_message_bytes: usize,
    /// Messages the producer may hold before writes are refused as busy
    /// (`KAFKA_PRODUCER_QUEUE_MAX_MESSAGES`, a Spur addition, default 100000).
    pub queue_max_messages: usize,
    /// Answer a write only once Kafka acknowledged all its spans, so an acknowledged span
    /// survives the collector's crash (`KAFKA_PRODUCER_WAIT_FOR_DELIVERY`, a Spur addition,
    /// default true); `false` answers once they are in the producer's queue, as Jaeger does.
    pub wait_for_delivery: bool,
    /// `none`, `tls`, `plaintext` (SASL) or `kerberos` (`KAFKA_PRODUCER_AUTHENTICATION`,
    /// default `none`); `kerberos` is not supported by this build.
    pub authentication: Authentication,
    /// TLS (`KAFKA_PRODUCER_TLS_ENABLED`, `_CA`, `_CERT`, `_KEY`, `_SERVER_NAME`,
    /// `_SKIP_HOST_VERIFY`); used when `enabled` or `authentication: tls`.
    pub tls: TlsConfig,
    /// SASL credentials of `authentication: plaintext` (`KAFKA_PRODUCER_PLAINTEXT_USERNAME`,
    /// `_PASSWORD`, `_MECHANISM`: `PLAIN` (default), `SCRAM-SHA-256` or `SCRAM-SHA-512`).
    pub plaintext: PlaintextConfig,
}

impl Default for KafkaConfig {
    /// The producer's defaults (`spur_kafka::ProducerConfig`), pinned by this crate's tests.
    fn default() -> Self {
        let producer = ProducerConfig::default();
        KafkaConfig {
            brokers: producer.brokers,
            topic: producer.topic,
            encoding: KafkaEncoding::Protobuf,
            required_acks: producer.required_acks,
            idempotent: producer.idempotent,
            compression: producer.compression,
            compression_level: producer.compression_level,
            batch_linger: producer.batch_linger,
            batch_size: producer.batch_size,
            batch_min_messages: producer.batch_min_messages,
            batch_max_messages: producer.batch_max_messages,
            max_message_bytes: producer.max_message_bytes,
            queue_max_messages: producer.queue_max_messages,
            wait_for_delivery: producer.wait_for_delivery,
            authentication: producer.authentication,
            tls: producer.tls,
            plaintext: producer.plaintext,
        }
    }
}

impl KafkaConfig {
    /// The span writer's settings.
    pub fn producer_config(&self) -> ProducerConfig {
        let encoding = match self.encoding {
            KafkaEncoding::Protobuf => spur_kafka::Encoding::Protobuf,
            KafkaEncoding::Json => spur_kafka::Encoding::Json,
        };
        ProducerConfig {
            brokers: self.brokers.clone(),
            topic: self.topic.clone(),
            encoding,
            required_acks: self.required_acks,
            idempotent: self.idempotent,
            compression: self.compression,
            compression_level: self.compression_level,
            batch_linger: self.batch_linger,
            batch_size: self.batch_size,
            batch_min_messages: self.batch_min_messages,
            batch_max_messages: self.batch_max_messages,
            max_message_bytes: self.max_message_bytes,
            queue_max_messages: self.queue_max_messages,
            wait_for_delivery: self.wait_for_delivery,
            message_timeout: ProducerConfig::default().message_timeout,
            authentication: self.authentication,
            tls: self.tls.clone(),
            plaintext: self.plaintext.clone(),
        }
    }

    /// Whether the producer talks TLS: `authentication: tls` or `tls.enabled`, as in Jaeger.
    pub fn uses_tls(&self) -> bool {
        self.authentication == Authentication::Tls || self.tls.enabled
    }
}

/// The encodings Jaeger's producer writes (its ingester also reads `zipkin-thrift`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KafkaEncoding {
    /// `jaeger.api_v2.Span` in protobuf.
    #[default]
    Protobuf,
    /// The same message in proto3 JSON (jsonpb).
    Json,
}

impl KafkaEncoding {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "protobuf" => Ok(KafkaEncoding::Protobuf),
            "json" => Ok(KafkaEncoding::Json),
            "zipkin-thrift" => Err(
                "zipkin-thrift is read by the ingester only; the producer writes protobuf or json"
                    .to_owned(),
            ),
            other => Err(format!("{other:?} is not an encoding: protobuf or json")),
        }
    }
}

impl StorageConfig {
    pub fn kind(&self) -> StorageKind {
        match self {
            StorageConfig::Memory(_) => StorageKind::Memory,
            StorageConfig::Embedded(_) => StorageKind::Embedded,
            StorageConfig::Cassandra(_) => StorageKind::Cassandra,
            StorageConfig::Elasticsearch(_) => StorageKind::Elasticsearch,
            StorageConfig::Opensearch(_) => StorageKind::Opensearch,
            StorageConfig::Kafka(_) => StorageKind::Kafka,
        }
    }

    /// The configuration of `kind` with every default.
    pub fn defaults(kind: StorageKind) -> Self {
        match kind {
            StorageKind::Memory => StorageConfig::Memory(MemoryConfig::default()),
            StorageKind::Embedded => StorageConfig::Embedded(EmbeddedConfig::default()),
            StorageKind::Cassandra => StorageConfig::Cassandra(CassandraConfig::default()),
            StorageKind::Elasticsearch => {
                StorageConfig::Elasticsearch(ElasticsearchConfig::default())
            }
            StorageKind::Opensearch => StorageConfig::Opensearch(ElasticsearchConfig::default()),
            StorageKind::Kafka => StorageConfig::Kafka(KafkaConfig::default()),
        }
    }
}
