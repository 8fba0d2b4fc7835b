//! The factory's public behaviour: reading Jaeger's environment variables with their defaults
//! and aliases, reporting every problem together, and building a working memory backend.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use spur_model::TraceId;
use spur_model::api_v2::{Process, Span};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_storage::{ErrorKind, GetTraceQuery, TraceQuery};
use spur_storage_factory::{
    CassandraConfig, ElasticsearchConfig, EmbeddedConfig, KafkaConfig, KafkaEncoding, MemoryConfig,
    StorageConfig, StorageKind, build,
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
    };
    assert_eq!(
        StorageConfig::from_env(&kafka).unwrap(),
        StorageConfig::Kafka(expected)
    );
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
    let cases: [Case; 5] = [
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
        StorageKind::Kafka,
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
