//! The ingester's settings (Jaeger's `kafka.consumer.*` and `ingester.*` names, defaults and
//! environment names; Spur's additions under `ingester.*`) and the typed [`IngesterConfig`],
//! with every bad value reported at once.

use std::net::SocketAddr;
use std::time::Duration;

use spur_config::{Problems, Setting, Settings, parse_host_port};
use spur_kafka::{
    Authentication, ConsumerConfig, Encoding, PlaintextConfig, SaslMechanism, TlsConfig,
};

/// The consumer's settings, shared by the ingester and `spur-ingester replay`.
pub const KAFKA_SETTINGS: &[Setting] = &[
    Setting::new(
        "kafka.consumer.brokers",
        "127.0.0.1:9092",
        "comma-separated bootstrap brokers",
    ),
    Setting::new(
        "kafka.consumer.topic",
        "jaeger-spans",
        "topic to read spans from",
    ),
    Setting::new(
        "kafka.consumer.group-id",
        "jaeger-ingester",
        "consumer group; ingesters of one group split the partitions",
    ),
    Setting::new(
        "kafka.consumer.client-id",
        "jaeger-ingester",
        "client id shown to the brokers",
    ),
    Setting::new(
        "kafka.consumer.encoding",
        "protobuf",
        "message encoding: protobuf or json",
    ),
    Setting::new(
        "kafka.consumer.authentication",
        "none",
        "none, tls or plaintext (SASL)",
    ),
    Setting::new("kafka.consumer.tls.enabled", "false", "connect over TLS"),
    Setting::new("kafka.consumer.tls.ca", "", "CA certificates (PEM file)"),
    Setting::new(
        "kafka.consumer.tls.cert",
        "",
        "client certificate (PEM file)",
    ),
    Setting::new("kafka.consumer.tls.key", "", "client key (PEM file)"),
    Setting::new(
        "kafka.consumer.tls.skip-host-verify",
        "false",
        "accept any broker certificate (insecure)",
    ),
    Setting::new("kafka.consumer.plaintext.username", "", "SASL user name"),
    Setting::new("kafka.consumer.plaintext.password", "", "SASL password"),
    Setting::new(
        "kafka.consumer.plaintext.mechanism",
        "PLAIN",
        "SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512",
    ),
];

/// The ingester's own settings.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        "ingester.parallelism",
        "20000",
        "messages read and not yet written, at most (then the partitions are paused); Jaeger's default is 1000",
    ),
    Setting::new(
        "ingester.batch-max-spans",
        "1000",
        "spans written to storage in one write",
    ),
    Setting::new(
        "ingester.batch-linger",
        "100ms",
        "how long a batch waits to fill before it is written",
    ),
    Setting::new(
        "ingester.deadlockInterval",
        "0s",
        "Jaeger's deadlock detector interval: accepted, not applied (offsets never stall)",
    ),
    Setting::new(
        "ingester.dead-letter-topic",
        "",
        "topic that undecodable messages are copied to; empty: none",
    ),
    Setting::new(
        "ingester.shutdown-timeout",
        "10s",
        "how long SIGTERM waits for batches being written before committing",
    ),
    Setting::new(
        "admin.http.host-port",
        ":14270",
        "admin address: / health, /ready, /metrics",
    ),
];

/// The ingester's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct IngesterConfig {
    pub consumer: ConsumerConfig,
    pub parallelism: usize,
    pub batch_max_spans: usize,
    pub batch_linger: Duration,
    pub dead_letter_topic: Option<String>,
    pub shutdown_timeout: Duration,
    pub admin: Option<SocketAddr>,
}

/// Reads the consumer's settings.
pub fn read_consumer(settings: &Settings, problems: &mut Problems) -> ConsumerConfig {
    let text = |key: &str| settings.get(key).trim().to_owned();
    let path = |key: &str| Some(text(key)).filter(|v| !v.is_empty()).map(Into::into);
    let brokers: Vec<String> = text("kafka.consumer.brokers")
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .collect();
    if brokers.is_empty() {
        problems.add("kafka.consumer.brokers", "is required");
    }
    ConsumerConfig {
        brokers,
        topic: text("kafka.consumer.topic"),
        group_id: text("kafka.consumer.group-id"),
        client_id: text("kafka.consumer.client-id"),
        encoding: settings
            .parse_with("kafka.consumer.encoding", problems, |text| {
                text.parse::<Encoding>().map_err(|error| error.to_string())
            })
            .unwrap_or(Encoding::Protobuf),
        authentication: settings
            .parse_with(
                "kafka.consumer.authentication",
                problems,
                Authentication::parse,
            )
            .unwrap_or(Authentication::None),
        tls: TlsConfig {
            enabled: settings
                .parse::<bool>("kafka.consumer.tls.enabled", problems)
                .unwrap_or(false),
            ca: path("kafka.consumer.tls.ca"),
            cert: path("kafka.consumer.tls.cert"),
            key: path("kafka.consumer.tls.key"),
            server_name: None,
            skip_host_verify: settings
                .parse::<bool>("kafka.consumer.tls.skip-host-verify", problems)
                .unwrap_or(false),
        },
        plaintext: PlaintextConfig {
            username: Some(text("kafka.consumer.plaintext.username")).filter(|v| !v.is_empty()),
            password: Some(text("kafka.consumer.plaintext.password")).filter(|v| !v.is_empty()),
            mechanism: settings
                .parse_with(
                    "kafka.consumer.plaintext.mechanism",
                    problems,
                    SaslMechanism::parse,
                )
                .unwrap_or_default(),
        },
    }
}

impl IngesterConfig {
    pub fn read(settings: &Settings, problems: &mut Problems) -> IngesterConfig {
        let positive = |key: &str, problems: &mut Problems| -> usize {
            match settings.parse::<usize>(key, problems) {
                Some(0) => {
                    problems.add(key, "must be at least 1");
                    1
                }
                Some(value) => value,
                None => 1,
            }
        };
        let duration = |key: &str, problems: &mut Problems| {
            settings
                .parse_with(key, problems, spur_config::duration::parse)
                .unwrap_or_default()
        };
        let _ = duration("ingester.deadlockInterval", problems);
        let dead_letter = settings.get("ingester.dead-letter-topic").trim();
        IngesterConfig {
            consumer: read_consumer(settings, problems),
            parallelism: positive("ingester.parallelism", problems),
            batch_max_spans: positive("ingester.batch-max-spans", problems),
            batch_linger: duration("ingester.batch-linger", problems),
            dead_letter_topic: (!dead_letter.is_empty()).then(|| dead_letter.to_owned()),
            shutdown_timeout: duration("ingester.shutdown-timeout", problems),
            admin: settings
                .parse_with("admin.http.host-port", problems, parse_host_port)
                .flatten(),
        }
    }
}
