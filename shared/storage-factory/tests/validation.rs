//! Reporting every problem of a storage configuration together, each naming its key, whether
//! read from the environment, built in code, or parsed from text.

#![allow(clippy::unwrap_used)]

mod common;

use common::{env, keys_of};
use spur_storage_factory::{
    Authentication, CassandraConfig, Compression, EmbeddedConfig, KafkaConfig, KafkaEncoding,
    PlaintextConfig, RequiredAcks, SaslMechanism, StorageConfig, StorageKind, TlsConfig,
};
use std::path::PathBuf;
use std::time::Duration;

#[test]
fn every_problem_is_reported_together_naming_its_key() {
    /// Environment variables, and the keys of the problems expected, in order.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 8] = [
        (
            &[("SPAN_STORAGE_TYPE", "memory"), ("MEMORY_MAX_TRACES", "-5")],
            &["MEMORY_MAX_TRACES"],
        ),
        (
            &[
                ("SPAN_STORAGE_TYPE", "badger"),
                ("BADGER_DIRECTORY_VALUE", "/data"),
                ("BADGER_SPAN_STORE_TTL", "3 days"),
            ],
            &["BADGER_SPAN_STORE_TTL"],
        ),
        (
            &[
                ("SPAN_STORAGE_TYPE", "cassandra"),
                ("CASSANDRA_SERVERS", "cass-1,,cass-2:99999"),
                ("CASSANDRA_PORT", "0"),
                ("CASSANDRA_KEYSPACE", "jaeger-v1"),
                ("CASSANDRA_USERNAME", "spur"),
            ],
            &[
                "CASSANDRA_SERVERS",
                "CASSANDRA_SERVERS",
                "CASSANDRA_PORT",
                "CASSANDRA_KEYSPACE",
                "CASSANDRA_PASSWORD",
            ],
        ),
        (
            &[
                ("SPAN_STORAGE_TYPE", "opensearch"),
                ("ES_SERVER_URLS", "es-1:9200,http://"),
                ("ES_INDEX_PREFIX", "Prod"),
                ("ES_PASSWORD", "secret"),
            ],
            &[
                "ES_SERVER_URLS",
                "ES_SERVER_URLS",
                "ES_INDEX_PREFIX",
                "ES_USERNAME",
            ],
        ),
        (
            &[
                ("SPAN_STORAGE_TYPE", "kafka"),
                ("KAFKA_PRODUCER_BROKERS", "kafka-1,kafka-2:x"),
                ("KAFKA_PRODUCER_TOPIC", "jaeger spans"),
                ("KAFKA_PRODUCER_ENCODING", "zipkin-thrift"),
            ],
            &[
                "KAFKA_PRODUCER_ENCODING",
                "KAFKA_PRODUCER_BROKERS",
                "KAFKA_PRODUCER_BROKERS",
                "KAFKA_PRODUCER_TOPIC",
            ],
        ),
        // Unreadable values: each reported, the rest still validated.
        (
            &[
                ("SPAN_STORAGE_TYPE", "kafka"),
                ("KAFKA_PRODUCER_REQUIRED_ACKS", "leader"),
                ("KAFKA_PRODUCER_IDEMPOTENT", "yes"),
                ("KAFKA_PRODUCER_COMPRESSION", "brotli"),
                ("KAFKA_PRODUCER_COMPRESSION_LEVEL", "high"),
                ("KAFKA_PRODUCER_BATCH_LINGER", "5"),
                ("KAFKA_PRODUCER_BATCH_SIZE", "-1"),
                ("KAFKA_PRODUCER_BATCH_MIN_MESSAGES", "x"),
                ("KAFKA_PRODUCER_BATCH_MAX_MESSAGES", "1e3"),
                ("KAFKA_PRODUCER_MAX_MESSAGE_BYTES", "1MB"),
                ("KAFKA_PRODUCER_QUEUE_MAX_MESSAGES", "many"),
                ("KAFKA_PRODUCER_AUTHENTICATION", "oauth"),
                ("KAFKA_PRODUCER_TLS_ENABLED", "on"),
                ("KAFKA_PRODUCER_TLS_SKIP_HOST_VERIFY", "2"),
                ("KAFKA_PRODUCER_PLAINTEXT_MECHANISM", "GSSAPI"),
            ],
            &[
                "KAFKA_PRODUCER_REQUIRED_ACKS",
                "KAFKA_PRODUCER_IDEMPOTENT",
                "KAFKA_PRODUCER_COMPRESSION",
                "KAFKA_PRODUCER_COMPRESSION_LEVEL",
                "KAFKA_PRODUCER_BATCH_LINGER",
                "KAFKA_PRODUCER_BATCH_SIZE",
                "KAFKA_PRODUCER_BATCH_MIN_MESSAGES",
                "KAFKA_PRODUCER_BATCH_MAX_MESSAGES",
                "KAFKA_PRODUCER_MAX_MESSAGE_BYTES",
                "KAFKA_PRODUCER_QUEUE_MAX_MESSAGES",
                "KAFKA_PRODUCER_AUTHENTICATION",
                "KAFKA_PRODUCER_TLS_ENABLED",
                "KAFKA_PRODUCER_TLS_SKIP_HOST_VERIFY",
                "KAFKA_PRODUCER_PLAINTEXT_MECHANISM",
            ],
        ),
        // Readable but invalid: idempotence without acks=all, levels and ranges.
        (
            &[
                ("SPAN_STORAGE_TYPE", "kafka"),
                ("KAFKA_PRODUCER_REQUIRED_ACKS", "local"),
                ("KAFKA_PRODUCER_COMPRESSION", "gzip"),
                ("KAFKA_PRODUCER_COMPRESSION_LEVEL", "10"),
                ("KAFKA_PRODUCER_BATCH_LINGER", "16m"),
                ("KAFKA_PRODUCER_BATCH_SIZE", "4294967296"),
                ("KAFKA_PRODUCER_BATCH_MAX_MESSAGES", "1000001"),
                ("KAFKA_PRODUCER_MAX_MESSAGE_BYTES", "999"),
                ("KAFKA_PRODUCER_QUEUE_MAX_MESSAGES", "0"),
            ],
            &[
                "KAFKA_PRODUCER_IDEMPOTENT",
                "KAFKA_PRODUCER_COMPRESSION_LEVEL",
                "KAFKA_PRODUCER_BATCH_LINGER",
                "KAFKA_PRODUCER_BATCH_SIZE",
                "KAFKA_PRODUCER_BATCH_MAX_MESSAGES",
                "KAFKA_PRODUCER_MAX_MESSAGE_BYTES",
                "KAFKA_PRODUCER_QUEUE_MAX_MESSAGES",
            ],
        ),
        // Security: missing credentials and halves, and what librdkafka cannot do.
        (
            &[
                ("SPAN_STORAGE_TYPE", "kafka"),
                ("KAFKA_PRODUCER_AUTHENTICATION", "plaintext"),
                ("KAFKA_PRODUCER_PLAINTEXT_USERNAME", "spur"),
                ("KAFKA_PRODUCER_TLS_ENABLED", "true"),
                ("KAFKA_PRODUCER_TLS_SERVER_NAME", "kafka.internal"),
                ("KAFKA_PRODUCER_TLS_KEY", "/etc/kafka/client.key"),
            ],
            &[
                "KAFKA_PRODUCER_PLAINTEXT_PASSWORD",
                "KAFKA_PRODUCER_TLS_SERVER_NAME",
                "KAFKA_PRODUCER_TLS_CERT",
            ],
        ),
    ];
    for (vars, expected_keys) in cases {
        let error = StorageConfig::from_env(&env(vars)).unwrap_err();
        assert_eq!(keys_of(&error), expected_keys, "{error}");
        let message = error.to_string();
        for key in expected_keys {
            assert!(message.contains(key), "{message} names {key}");
        }
    }
}

#[test]
fn validate_reports_every_problem_of_a_config_built_in_code() {
    let config = StorageConfig::Embedded(EmbeddedConfig {
        directory: PathBuf::new(),
        retention: Duration::ZERO,
    });
    let error = config.validate().unwrap_err();
    assert_eq!(
        keys_of(&error),
        ["BADGER_DIRECTORY_VALUE", "BADGER_SPAN_STORE_TTL"]
    );
    let config = StorageConfig::Kafka(KafkaConfig {
        brokers: Vec::new(),
        topic: String::new(),
        ..KafkaConfig::default()
    });
    let error = config.validate().unwrap_err();
    assert_eq!(
        keys_of(&error),
        ["KAFKA_PRODUCER_BROKERS", "KAFKA_PRODUCER_TOPIC"]
    );
    let config = StorageConfig::Kafka(KafkaConfig {
        required_acks: RequiredAcks::NoAck,
        compression: Compression::Snappy,
        compression_level: 1,
        authentication: Authentication::Kerberos,
        ..KafkaConfig::default()
    });
    let error = config.validate().unwrap_err();
    assert_eq!(
        keys_of(&error),
        [
            "KAFKA_PRODUCER_IDEMPOTENT",
            "KAFKA_PRODUCER_COMPRESSION_LEVEL",
            "KAFKA_PRODUCER_AUTHENTICATION"
        ]
    );
    let message = error.to_string();
    for expected in [
        "idempotence needs KAFKA_PRODUCER_REQUIRED_ACKS=all (it is noack)",
        "KAFKA_PRODUCER_IDEMPOTENT=false",
        "snappy takes no level",
        "kerberos (SASL/GSSAPI) is not supported in this build",
    ] {
        assert!(message.contains(expected), "{message} says {expected:?}");
    }
    // Jaeger's ranges are wider than librdkafka's for lz4 and zstd; 0 is every codec's default.
    for (compression, level, valid) in [
        (Compression::Gzip, 9, true),
        (Compression::Lz4, 12, true),
        (Compression::Lz4, 13, false),
        (Compression::Zstd, 1, true),
        (Compression::Zstd, -1, false),
        (Compression::None, 0, true),
    ] {
        let config = StorageConfig::Kafka(KafkaConfig {
            compression,
            compression_level: level,
            ..KafkaConfig::default()
        });
        assert_eq!(config.validate().is_ok(), valid, "{compression:?} {level}");
    }
    for kind in StorageKind::ALL {
        assert_eq!(
            StorageConfig::defaults(kind).validate(),
            Ok(()),
            "defaults of {kind}"
        );
    }
    let ipv6 = CassandraConfig {
        servers: vec!["::1".into(), "[::1]:9042".into()],
        ..CassandraConfig::default()
    };
    assert_eq!(StorageConfig::Cassandra(ipv6).validate(), Ok(()));
}

#[test]
fn the_config_reads_from_text_with_defaults_and_rejects_unknown_fields() {
    let config: StorageConfig =
        serde_json::from_str(r#"{"type": "badger", "retention": "24h"}"#).unwrap();
    let expected = StorageConfig::Embedded(EmbeddedConfig {
        retention: Duration::from_secs(24 * 3_600),
        ..EmbeddedConfig::default()
    });
    assert_eq!(config, expected);
    let text = serde_json::to_string(&expected).unwrap();
    assert_eq!(
        serde_json::from_str::<StorageConfig>(&text).unwrap(),
        expected
    );
    let kafka: StorageConfig =
        serde_json::from_str(r#"{"type": "kafka", "encoding": "json"}"#).unwrap();
    assert_eq!(
        kafka,
        StorageConfig::Kafka(KafkaConfig {
            encoding: KafkaEncoding::Json,
            ..KafkaConfig::default()
        })
    );
    assert!(
        serde_json::from_str::<StorageConfig>(r#"{"type": "memory", "max_trace": 5}"#).is_err()
    );
    let text = r#"{"type": "kafka", "required_acks": "local", "idempotent": false,
        "compression": "lz4", "batch_linger": "10ms", "authentication": "plaintext",
        "tls": {"enabled": true, "ca": "/ca.pem"},
        "plaintext": {"username": "spur", "password": "secret", "mechanism": "SCRAM-SHA-256"}}"#;
    let kafka: StorageConfig = serde_json::from_str(text).unwrap();
    let expected = StorageConfig::Kafka(KafkaConfig {
        required_acks: RequiredAcks::Local,
        idempotent: false,
        compression: Compression::Lz4,
        batch_linger: Duration::from_millis(10),
        authentication: Authentication::Plaintext,
        tls: TlsConfig {
            enabled: true,
            ca: Some(PathBuf::from("/ca.pem")),
            ..TlsConfig::default()
        },
        plaintext: PlaintextConfig {
            username: Some("spur".into()),
            password: Some("secret".into()),
            mechanism: SaslMechanism::ScramSha256,
        },
        ..KafkaConfig::default()
    });
    assert_eq!(kafka, expected);
    let text = serde_json::to_string(&expected).unwrap();
    assert_eq!(
        serde_json::from_str::<StorageConfig>(&text).unwrap(),
        expected
    );
    assert!(
        serde_json::from_str::<StorageConfig>(r#"{"type": "kafka", "tls": {"enable": true}}"#)
            .is_err()
    );
}

#[test]
fn elasticsearch_settings_are_checked_together() {
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", "opensearch"),
        ("ES_SERVER_URLS", "http://es:9200"),
        ("ES_BULK_WORKERS", "0"),
        ("ES_BULK_ACTIONS", "many"),
        ("ES_INDEX_ROLLOVER_FREQUENCY_SPANS", "week"),
        ("ES_USE_ILM", "true"),
        ("ES_TLS_ENABLED", "true"),
        ("ES_USERNAME", "jaeger"),
        ("ES_TOKEN_FILE", "/secrets/token"),
    ]);
    let error = StorageConfig::from_env(&vars).unwrap_err();
    let keys = keys_of(&error);
    for key in [
        "ES_BULK_ACTIONS",
        "ES_BULK_WORKERS",
        "ES_INDEX_ROLLOVER_FREQUENCY_SPANS",
        "ES_USE_ILM",
        "ES_SERVER_URLS",
        "ES_PASSWORD",
        "ES_TOKEN_FILE",
    ] {
        assert!(keys.contains(&key), "{key} is reported: {keys:?}");
    }
}
