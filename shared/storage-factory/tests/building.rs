//! Building backends from configurations: memory end to end, embedded across reopening, a
//! Kafka writer that does not wait for brokers, and Elasticsearch and OpenSearch
//! end to end against real servers, and invalid or unreachable configurations refused.

#![allow(clippy::unwrap_used)]

mod common;

use common::env;
use spur_model::TraceId;
use spur_model::api_v2::{Process, Span};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_storage::{ErrorKind, GetTraceQuery, TraceQuery};
use spur_storage_factory::{
    Authentication, CassandraConfig, KafkaConfig, StorageConfig, StorageKind, build,
};
use std::time::Duration;

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
async fn build_rejects_an_invalid_config_and_reports_unreachable_search_servers() {
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

    for kind in [StorageKind::Elasticsearch, StorageKind::Opensearch] {
        // Nothing listens on port 1: asking the server its version fails at once.
        let vars = env(&[
            ("SPAN_STORAGE_TYPE", kind.as_str()),
            ("ES_SERVER_URLS", "http://127.0.0.1:1"),
        ]);
        let config = StorageConfig::from_env(&vars).unwrap();
        let error = build(&config).await.err().expect("no server answers");
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{kind}: {error}");
    }
}

/// Builds the `kind` backend from Jaeger's variables against the real server at `url`, writes
/// a span and reads it back (visible after the index's refresh interval).
async fn build_search_backend_end_to_end(kind: &str, url: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let prefix = format!(
        "spurtest-factory-{kind}-{}-{}",
        std::process::id(),
        now.as_nanos() % 1_000_000_007
    );
    let vars = env(&[
        ("SPAN_STORAGE_TYPE", kind),
        ("ES_SERVER_URLS", url),
        ("ES_INDEX_PREFIX", &prefix),
        ("ES_NUM_SHARDS", "1"),
        ("ES_NUM_REPLICAS", "0"),
        ("ES_BULK_FLUSH_INTERVAL", "10ms"),
    ]);
    let config = StorageConfig::from_env(&vars).unwrap();
    let storage = build(&config).await.unwrap();
    let now = now.as_micros() as i64;
    let written = vec![span(11, 1, now - 60_000_000)];
    storage.writer.write_spans(written.clone()).await.unwrap();
    let reader = storage.reader.expect("elasticsearch has a reader");
    let mut read = None;
    for _ in 0..50 {
        read = reader
            .get_trace(GetTraceQuery::new(TraceId::new(0, 11)))
            .await
            .unwrap();
        if read.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(read, Some(written), "{kind}: the span reads back");
}

#[tokio::test]
async fn build_elasticsearch_and_opensearch_from_jaeger_variables() {
    let es = std::env::var("SPUR_TEST_ES").unwrap_or_else(|_| "http://127.0.0.1:9200".into());
    let opensearch =
        std::env::var("SPUR_TEST_OPENSEARCH").unwrap_or_else(|_| "http://127.0.0.1:9201".into());
    build_search_backend_end_to_end("elasticsearch", &es).await;
    build_search_backend_end_to_end("opensearch", &opensearch).await;
}

#[tokio::test]
async fn build_cassandra_reports_an_unreachable_cluster_as_unavailable() {
    // Nothing listens on port 1: opening the session fails at once instead of hanging.
    let config = StorageConfig::Cassandra(CassandraConfig {
        servers: vec!["127.0.0.1:1".to_string()],
        ..CassandraConfig::default()
    });
    let started = std::time::Instant::now();
    let error = build(&config).await.err().expect("no cluster answers");
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(started.elapsed() < Duration::from_secs(30));
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
