//! The factory's public behaviour: reading Jaeger's environment variables with their defaults
//! and aliases (every `KAFKA_PRODUCER_*` producer setting too), reporting every problem
//! together, and building a working memory backend and a Kafka writer.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use spur_model::TraceId;
use spur_model::api_v2::{Process, Span};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_storage::{ErrorKind, GetTraceQuery, TraceQuery};
use spur_storage_factory::{
    Authentication, CassandraConfig, Compression, ElasticsearchConfig, EmbeddedConfig, KafkaConfig,
    KafkaEncoding, MemoryConfig, PlaintextConfig, RequiredAcks, SaslMechanism, StorageConfig,
    StorageKind, TlsConfig, build,
};

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

fn keys_of(error: &spur_storage_factory::ConfigError) -> Vec<&'static str> {
    error.problems.iter().map(|problem| problem.key).collect()
}

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
            }),
        ),
        (
            "elasticsearch",
            StorageConfig::Elasticsearch(ElasticsearchConfig {
                server_urls: vec!["http://127.0.0.1:9200".into()],
                index_prefix: String::new(),
                username: None,
                password: None,
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
        ])
    };
    let expected = ElasticsearchConfig {
        server_urls: vec!["http://es-1:9200".into(), "https://es-2:9200".into()],
        index_prefix: "prod".into(),
        username: None,
        password: None,
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

fn span(trace: u64, span: u64, start: i64) -> Span {
    Span {
        trace_id: TraceId::new(0, trace).to_bytes().to_vec(),
        span_id: span.to_be_bytes().to_vec(),
        operation_name: "checkout".into(),
        start_time: Some(timestamp_from_micros(start)),
        duration: Some(duration_from_micros(250)),
        process: Some(Process {
            service_name: "shop".into(),
            tags: Vec::new(),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn build_memory_writes_and_reads_end_to_end() {
    let vars = env(&[("SPAN_STORAGE_TYPE", "memory"), ("MEMORY_MAX_TRACES", "1")]);
    let storage = build(&StorageConfig::from_env(&vars).unwrap())
        .await
        .unwrap();
    let reader = storage.reader.expect("memory has a reader");
    assert!(storage.dependencies.is_some(), "memory stores dependencies");

    let first = vec![span(1, 1, 1_000), span(1, 2, 1_100)];
    storage.writer.write_spans(first.clone()).await.unwrap();
    let trace = reader
        .get_trace(GetTraceQuery::new(TraceId::new(0, 1)))
        .await
        .unwrap();
    assert_eq!(trace, Some(first));
    let query = TraceQuery {
        service_name: "shop".into(),
        start_time_min: 0,
        start_time_max: 10_000,
        ..TraceQuery::default()
    };
    assert_eq!(
        reader.find_trace_ids(&query).await.unwrap(),
        vec![TraceId::new(0, 1)]
    );
    assert_eq!(
        reader.get_services().await.unwrap(),
        vec!["shop".to_owned()]
    );

    // MEMORY_MAX_TRACES=1: a second trace evicts the first.
    storage
        .writer
        .write_spans(vec![span(2, 1, 2_000)])
        .await
        .unwrap();
    assert_eq!(
        reader.find_trace_ids(&query).await.unwrap(),
        vec![TraceId::new(0, 2)]
    );
}

#[tokio::test]
async fn build_rejects_an_invalid_config_and_reports_backends_not_built_yet() {
    let invalid = StorageConfig::Kafka(KafkaConfig {
        topic: String::new(),
        ..KafkaConfig::default()
    });
    let error = build(&invalid)
        .await
        .err()
        .expect("an invalid config is rejected");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(
        error.to_string().contains("KAFKA_PRODUCER_TOPIC"),
        "{error}"
    );

    for kind in [
        StorageKind::Cassandra,
        StorageKind::Elasticsearch,
        StorageKind::Opensearch,
    ] {
        let error = build(&StorageConfig::defaults(kind))
            .await
            .err()
            .expect("not built yet");
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{kind}");
        let expected = format!("{kind} storage is not available in this build yet");
        assert!(error.to_string().contains(&expected), "{error}");
    }
}

#[tokio::test]
async fn build_kafka_gives_a_write_only_writer_without_waiting_for_brokers() {
    // Nothing listens on port 1: the producer connects in the background, so building works.
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", "kafka"),
        ("KAFKA_PRODUCER_BROKERS", "127.0.0.1:1"),
        ("KAFKA_PRODUCER_COMPRESSION", "zstd"),
    ]);
    let config = StorageConfig::from_env(&vars).unwrap();
    let started = std::time::Instant::now();
    let storage = build(&config).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(storage.reader.is_none(), "kafka is write-only");
    assert!(storage.dependencies.is_none());
    // An empty write needs no broker; nothing is queued to flush.
    storage.writer.write_spans(Vec::new()).await.unwrap();
    assert_eq!(
        storage.writer.flush(Duration::from_secs(1)).await.unwrap(),
        0
    );

    let kerberos = StorageConfig::Kafka(KafkaConfig {
        authentication: Authentication::Kerberos,
        ..KafkaConfig::default()
    });
    let error = build(&kerberos).await.err().expect("kerberos is rejected");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(
        error.to_string().contains("KAFKA_PRODUCER_AUTHENTICATION"),
        "{error}"
    );
}

#[tokio::test]
async fn build_embedded_persists_across_reopening() {
    let directory =
        std::env::temp_dir().join(format!("spur-factory-embedded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    let directory_text = directory.display().to_string();
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", "badger"),
        ("BADGER_DIRECTORY_VALUE", &directory_text),
    ]);
    let config = StorageConfig::from_env(&vars).unwrap();
    // Spans from the last minute, well inside the default 72 h retention.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let written = vec![span(7, 1, now - 60_000_000), span(7, 2, now - 59_000_000)];
    {
        let storage = build(&config).await.unwrap();
        storage.writer.write_spans(written.clone()).await.unwrap();
    }
    let storage = build(&config).await.unwrap();
    let reader = storage.reader.expect("embedded has a reader");
    let trace = reader
        .get_trace(GetTraceQuery::new(TraceId::new(0, 7)))
        .await
        .unwrap();
    assert_eq!(trace, Some(written));
    assert_eq!(
        reader.get_services().await.unwrap(),
        vec!["shop".to_owned()]
    );
    drop((reader, storage.writer, storage.dependencies));
    let _ = std::fs::remove_dir_all(&directory);
}
