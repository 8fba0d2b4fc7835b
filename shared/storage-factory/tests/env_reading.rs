//! Reading Jaeger's environment variables: every backend's keys with Jaeger's defaults and
//! aliases (`badger`, every `KAFKA_PRODUCER_*` setting), the default type, ignored keys of
//! other backends.

#![allow(clippy::unwrap_used)]

mod common;

use common::{env, keys_of};
use spur_storage_factory::{
    Authentication, CassandraConfig, Compression, ElasticsearchConfig, EmbeddedConfig, KafkaConfig,
    KafkaEncoding, MemoryConfig, PlaintextConfig, RequiredAcks, SaslMechanism, StorageConfig,
    StorageKind, TlsConfig,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

#[test]
fn every_backend_takes_jaegers_defaults() {
    let cases = [
        (
            "memory",
            StorageConfig::Memory(MemoryConfig { max_traces: 0 }),
        ),
        (
            "embedded",
            StorageConfig::Embedded(EmbeddedConfig {
                directory: PathBuf::from("data/values"),
                retention: Duration::from_secs(72 * 3_600),
            }),
        ),
        (
            "cassandra",
            StorageConfig::Cassandra(CassandraConfig {
                servers: vec!["127.0.0.1".into()],
                port: 9042,
                keyspace: "jaeger_v1_test".into(),
                local_dc: None,
                username: None,
                password: None,
                ..CassandraConfig::default()
            }),
        ),
        (
            "elasticsearch",
            StorageConfig::Elasticsearch(ElasticsearchConfig {
                server_urls: vec!["http://127.0.0.1:9200".into()],
                index_prefix: String::new(),
                username: None,
                password: None,
                ..ElasticsearchConfig::default()
            }),
        ),
        (
            "opensearch",
            StorageConfig::Opensearch(ElasticsearchConfig::default()),
        ),
        (
            "kafka",
            StorageConfig::Kafka(KafkaConfig {
                brokers: vec!["127.0.0.1:9092".into()],
                topic: "jaeger-spans".into(),
                encoding: KafkaEncoding::Protobuf,
                // Spur's choice; Jaeger's default is `local`.
                required_acks: RequiredAcks::All,
                idempotent: true,
                compression: Compression::None,
                compression_level: 0,
                batch_linger: Duration::ZERO,
                batch_size: 0,
                batch_min_messages: 0,
                batch_max_messages: 0,
                max_message_bytes: 1_000_000,
                queue_max_messages: 100_000,
                // Spur's: answers come after Kafka's acknowledgement.
                wait_for_delivery: true,
                authentication: Authentication::None,
                tls: TlsConfig {
                    enabled: false,
                    ca: None,
                    cert: None,
                    key: None,
                    server_name: None,
                    skip_host_verify: false,
                },
                plaintext: PlaintextConfig {
                    username: None,
                    password: None,
                    mechanism: SaslMechanism::Plain,
                },
            }),
        ),
    ];
    for (kind, expected) in cases {
        let config = StorageConfig::from_env(&env(&[("SPAN_STORAGE_TYPE", kind)])).unwrap();
        assert_eq!(config, expected, "{kind}");
        assert_eq!(config.kind().as_str(), kind);
        assert_eq!(StorageConfig::defaults(config.kind()), expected);
    }
}

#[test]
fn an_unset_type_is_jaegers_default_or_the_callers() {
    let config = StorageConfig::from_env(&HashMap::new()).unwrap();
    assert_eq!(config.kind(), StorageKind::Cassandra);
    let blank = StorageConfig::from_env(&env(&[("SPAN_STORAGE_TYPE", "  ")])).unwrap();
    assert_eq!(blank.kind(), StorageKind::Cassandra);
    let config = StorageConfig::from_env_or(&HashMap::new(), StorageKind::Embedded).unwrap();
    assert_eq!(config, StorageConfig::Embedded(EmbeddedConfig::default()));
}

#[test]
fn badger_is_the_embedded_store_with_jaegers_badger_keys() {
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", "badger"),
        ("BADGER_DIRECTORY_VALUE", "/var/lib/spur"),
        ("BADGER_SPAN_STORE_TTL", "168h0m0s"),
    ]);
    let expected = StorageConfig::Embedded(EmbeddedConfig {
        directory: PathBuf::from("/var/lib/spur"),
        retention: Duration::from_secs(168 * 3_600),
    });
    assert_eq!(StorageConfig::from_env(&vars).unwrap(), expected);
    let mut vars = vars;
    vars.insert("SPAN_STORAGE_TYPE".into(), " Embedded ".into());
    assert_eq!(StorageConfig::from_env(&vars).unwrap(), expected);
}

#[test]
fn each_backend_reads_its_keys() {
    let memory = env(&[
        ("SPAN_STORAGE_TYPE", "memory"),
        ("MEMORY_MAX_TRACES", "50000"),
    ]);
    assert_eq!(
        StorageConfig::from_env(&memory).unwrap(),
        StorageConfig::Memory(MemoryConfig { max_traces: 50_000 })
    );

    let cassandra = env(&[
        ("SPAN_STORAGE_TYPE", "cassandra"),
        ("CASSANDRA_SERVERS", "cass-1, cass-2:9043,10.0.0.3"),
        ("CASSANDRA_PORT", "19042"),
        ("CASSANDRA_KEYSPACE", "jaeger_v1_dc1"),
        ("CASSANDRA_LOCAL_DC", "dc1"),
        ("CASSANDRA_USERNAME", "spur"),
        ("CASSANDRA_PASSWORD", "secret"),
    ]);
    let expected = CassandraConfig {
        servers: vec!["cass-1".into(), "cass-2:9043".into(), "10.0.0.3".into()],
        port: 19_042,
        keyspace: "jaeger_v1_dc1".into(),
        local_dc: Some("dc1".into()),
        username: Some("spur".into()),
        password: Some("secret".into()),
        ..CassandraConfig::default()
    };
    assert_eq!(
        StorageConfig::from_env(&cassandra).unwrap(),
        StorageConfig::Cassandra(expected)
    );

    let search = |kind: &str| {
        env(&[
            ("SPAN_STORAGE_TYPE", kind),
            ("ES_SERVER_URLS", "http://es-1:9200,https://es-2:9200"),
            ("ES_INDEX_PREFIX", "prod"),
            ("ES_NUM_SHARDS", "3"),
            ("ES_BULK_WORKERS", "4"),
            ("ES_BULK_FLUSH_INTERVAL", "1s"),
            ("ES_MAX_SPAN_AGE", "24h"),
            ("ES_INDEX_DATE_SEPARATOR", "."),
            ("ES_INDEX_ROLLOVER_FREQUENCY_SPANS", "hour"),
            ("ES_TAGS_AS_FIELDS_ALL", "true"),
            ("ES_TAGS_AS_FIELDS_INCLUDE", "http.method,error"),
            ("ES_USE_ALIASES", "true"),
            ("ES_CREATE_INDEX_TEMPLATES", "false"),
            ("ES_PRIOIRITY_SPAN_TEMPLATE", "7"),
            ("ES_VERSION", "8"),
        ])
    };
    let expected = ElasticsearchConfig {
        server_urls: vec!["http://es-1:9200".into(), "https://es-2:9200".into()],
        index_prefix: "prod".into(),
        username: None,
        password: None,
        num_shards: 3,
        bulk_workers: 4,
        bulk_flush_interval: std::time::Duration::from_secs(1),
        max_span_age: std::time::Duration::from_secs(24 * 3600),
        index_date_separator: ".".into(),
        index_rollover_frequency_spans: "hour".into(),
        tags_as_fields_all: true,
        tags_as_fields_include: vec!["http.method".into(), "error".into()],
        use_aliases: true,
        create_index_templates: false,
        priority_span_template: 7,
        version: 8,
        ..ElasticsearchConfig::default()
    };
    let elasticsearch = StorageConfig::from_env(&search("elasticsearch")).unwrap();
    assert_eq!(
        elasticsearch,
        StorageConfig::Elasticsearch(expected.clone())
    );
    let opensearch = StorageConfig::from_env(&search("opensearch")).unwrap();
    assert_eq!(opensearch, StorageConfig::Opensearch(expected));

    let kafka = env(&[
        ("SPAN_STORAGE_TYPE", "kafka"),
        ("KAFKA_PRODUCER_BROKERS", "kafka-1:9092,kafka-2:9092"),
        ("KAFKA_PRODUCER_TOPIC", "spur.spans"),
        ("KAFKA_PRODUCER_ENCODING", "json"),
    ]);
    let expected = KafkaConfig {
        brokers: vec!["kafka-1:9092".into(), "kafka-2:9092".into()],
        topic: "spur.spans".into(),
        encoding: KafkaEncoding::Json,
        ..KafkaConfig::default()
    };
    assert_eq!(
        StorageConfig::from_env(&kafka).unwrap(),
        StorageConfig::Kafka(expected)
    );
}

#[test]
fn kafka_reads_every_producer_key() {
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", "kafka"),
        ("KAFKA_PRODUCER_REQUIRED_ACKS", "local"),
        ("KAFKA_PRODUCER_IDEMPOTENT", "false"),
        ("KAFKA_PRODUCER_COMPRESSION", "zstd"),
        ("KAFKA_PRODUCER_COMPRESSION_LEVEL", "6"),
        ("KAFKA_PRODUCER_BATCH_LINGER", "20ms"),
        ("KAFKA_PRODUCER_BATCH_SIZE", "131072"),
        ("KAFKA_PRODUCER_BATCH_MIN_MESSAGES", "100"),
        ("KAFKA_PRODUCER_BATCH_MAX_MESSAGES", "5000"),
        ("KAFKA_PRODUCER_MAX_MESSAGE_BYTES", "2000000"),
        ("KAFKA_PRODUCER_QUEUE_MAX_MESSAGES", "250000"),
        ("KAFKA_PRODUCER_WAIT_FOR_DELIVERY", "false"),
        ("KAFKA_PRODUCER_AUTHENTICATION", "plaintext"),
        ("KAFKA_PRODUCER_TLS_ENABLED", "true"),
        ("KAFKA_PRODUCER_TLS_CA", "/etc/kafka/ca.pem"),
        ("KAFKA_PRODUCER_TLS_CERT", "/etc/kafka/client.pem"),
        ("KAFKA_PRODUCER_TLS_KEY", "/etc/kafka/client.key"),
        ("KAFKA_PRODUCER_TLS_SKIP_HOST_VERIFY", "t"),
        ("KAFKA_PRODUCER_PLAINTEXT_USERNAME", "spur"),
        ("KAFKA_PRODUCER_PLAINTEXT_PASSWORD", "secret"),
        ("KAFKA_PRODUCER_PLAINTEXT_MECHANISM", "scram-sha-512"),
    ]);
    let expected = KafkaConfig {
        required_acks: RequiredAcks::Local,
        idempotent: false,
        compression: Compression::Zstd,
        compression_level: 6,
        batch_linger: Duration::from_millis(20),
        batch_size: 131_072,
        batch_min_messages: 100,
        batch_max_messages: 5_000,
        max_message_bytes: 2_000_000,
        queue_max_messages: 250_000,
        wait_for_delivery: false,
        authentication: Authentication::Plaintext,
        tls: TlsConfig {
            enabled: true,
            ca: Some(PathBuf::from("/etc/kafka/ca.pem")),
            cert: Some(PathBuf::from("/etc/kafka/client.pem")),
            key: Some(PathBuf::from("/etc/kafka/client.key")),
            server_name: None,
            skip_host_verify: true,
        },
        plaintext: PlaintextConfig {
            username: Some("spur".into()),
            password: Some("secret".into()),
            mechanism: SaslMechanism::ScramSha512,
        },
        ..KafkaConfig::default()
    };
    let config = StorageConfig::from_env(&vars).unwrap();
    assert_eq!(config, StorageConfig::Kafka(expected.clone()));

    // What the writer is given.
    let producer = expected.producer_config();
    assert_eq!(producer.brokers, ["127.0.0.1:9092"]);
    assert_eq!(producer.topic, "jaeger-spans");
    assert_eq!(producer.encoding, spur_model::kafka::Encoding::Protobuf);
    assert_eq!(producer.required_acks, RequiredAcks::Local);
    assert!(!producer.idempotent);
    assert_eq!(producer.compression, Compression::Zstd);
    assert_eq!(producer.compression_level, 6);
    assert_eq!(producer.batch_linger, Duration::from_millis(20));
    assert_eq!(
        (producer.batch_size, producer.batch_min_messages),
        (131_072, 100)
    );
    assert_eq!(
        (producer.batch_max_messages, producer.max_message_bytes),
        (5_000, 2_000_000)
    );
    assert_eq!(producer.queue_max_messages, 250_000);
    assert!(!producer.wait_for_delivery);
    assert_eq!(producer.authentication, Authentication::Plaintext);
    assert_eq!(producer.tls, expected.tls);
    assert_eq!(producer.plaintext, expected.plaintext);

    // Authentication `tls` alone turns TLS on; Go's boolean spellings are accepted.
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", "kafka"),
        ("KAFKA_PRODUCER_AUTHENTICATION", "TLS"),
        ("KAFKA_PRODUCER_IDEMPOTENT", "FALSE"),
        ("KAFKA_PRODUCER_REQUIRED_ACKS", "noack"),
    ]);
    let StorageConfig::Kafka(config) = StorageConfig::from_env(&vars).unwrap() else {
        panic!("not kafka");
    };
    assert!(config.uses_tls());
    assert!(!config.tls.enabled);
    assert_eq!(config.required_acks, RequiredAcks::NoAck);
}

#[test]
fn keys_of_other_backends_are_ignored() {
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", "memory"),
        ("KAFKA_PRODUCER_ENCODING", "nonsense"),
        ("CASSANDRA_PORT", "not a port"),
    ]);
    assert_eq!(
        StorageConfig::from_env(&vars).unwrap(),
        StorageConfig::Memory(MemoryConfig::default())
    );
}

#[test]
fn unknown_and_multiple_types_are_rejected() {
    let error = StorageConfig::from_env(&env(&[("SPAN_STORAGE_TYPE", "grpc-plugin")])).unwrap_err();
    assert_eq!(keys_of(&error), ["SPAN_STORAGE_TYPE"]);
    let message = error.to_string();
    for kind in [
        "memory",
        "embedded",
        "cassandra",
        "elasticsearch",
        "opensearch",
        "kafka",
        "badger",
    ] {
        assert!(message.contains(kind), "{message} lists {kind}");
    }
    let error =
        StorageConfig::from_env(&env(&[("SPAN_STORAGE_TYPE", "cassandra,kafka")])).unwrap_err();
    assert_eq!(keys_of(&error), ["SPAN_STORAGE_TYPE"]);
}
