//! The producer's settings as values (Jaeger's `kafka.producer.*` options) and their translation
//! into librdkafka properties. Owns what each option means and how it maps; where the values are
//! read from (environment, YAML, flags) and the error messages naming those keys belong to
//! `spur-storage-factory`.

use std::path::PathBuf;
use std::time::Duration;

use rdkafka::ClientConfig;
use serde::{Deserialize, Serialize};
use spur_model::kafka::Encoding;
use spur_storage::StorageError;

/// How often librdkafka refreshes topic metadata, so new partitions are used within this time.
pub const METADATA_REFRESH: Duration = Duration::from_secs(30);

/// `kafka.producer.required-acks`: which brokers must have a message before it counts as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequiredAcks {
    /// `noack`: nobody answers (acks=0).
    NoAck,
    /// `local`: the partition leader has it (acks=1; Jaeger's default).
    Local,
    /// `all`: every in-sync replica has it (acks=all; Spur's default, needed for idempotence).
    #[default]
    All,
}

impl RequiredAcks {
    /// Jaeger's spellings, any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "noack" => Ok(RequiredAcks::NoAck),
            "local" => Ok(RequiredAcks::Local),
            "all" => Ok(RequiredAcks::All),
            _ => Err(format!(
                "{text:?} is not an acknowledgement level: noack, local or all"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequiredAcks::NoAck => "noack",
            RequiredAcks::Local => "local",
            RequiredAcks::All => "all",
        }
    }

    /// librdkafka's `acks` value.
    fn librdkafka_value(self) -> &'static str {
        match self {
            RequiredAcks::NoAck => "0",
            RequiredAcks::Local => "1",
            RequiredAcks::All => "all",
        }
    }
}

/// `kafka.producer.compression`: the codec of message batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    /// Jaeger's spellings, any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        Compression::ALL
            .into_iter()
            .find(|codec| codec.as_str() == lower)
            .ok_or_else(|| format!("{text:?} is not a codec: none, gzip, snappy, lz4 or zstd"))
    }

    /// Also librdkafka's `compression.codec` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The levels this codec takes besides 0 (its default), as librdkafka accepts them;
    /// `None` when it takes none. Narrower than Jaeger's for lz4 (1..=17) and zstd
    /// (-131072..=22): librdkafka's `compression.level` stops at 12.
    pub fn levels(self) -> Option<(i32, i32)> {
        match self {
            Compression::None | Compression::Snappy => None,
            Compression::Gzip => Some((1, 9)),
            Compression::Lz4 | Compression::Zstd => Some((1, 12)),
        }
    }
}

/// `kafka.producer.authentication`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Authentication {
    #[default]
    None,
    /// TLS, with a client certificate when `tls.cert` and `tls.key` are given.
    Tls,
    /// SASL with a user name and password (`plaintext.*`), over TLS when `tls.enabled`.
    Plaintext,
    /// SASL/GSSAPI. Not built into Spur's librdkafka: rejected (see [`KERBEROS_SUPPORTED`]).
    Kerberos,
}

/// Whether this build can authenticate with Kerberos (librdkafka built with GSSAPI).
pub const KERBEROS_SUPPORTED: bool = false;

impl Authentication {
    /// Jaeger's spellings, any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Authentication::None),
            "tls" => Ok(Authentication::Tls),
            "plaintext" => Ok(Authentication::Plaintext),
            "kerberos" => Ok(Authentication::Kerberos),
            _ => Err(format!(
                "{text:?} is not an authentication method: none, tls, plaintext or kerberos"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Authentication::None => "none",
            Authentication::Tls => "tls",
            Authentication::Plaintext => "plaintext",
            Authentication::Kerberos => "kerberos",
        }
    }
}

/// `kafka.producer.plaintext.mechanism`: the SASL mechanism of `plaintext` authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SaslMechanism {
    #[default]
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslMechanism {
    /// Jaeger's spellings, any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(SaslMechanism::Plain),
            "SCRAM-SHA-256" => Ok(SaslMechanism::ScramSha256),
            "SCRAM-SHA-512" => Ok(SaslMechanism::ScramSha512),
            _ => Err(format!(
                "{text:?} is not a SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
            )),
        }
    }

    /// Also librdkafka's `sasl.mechanisms` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// `kafka.producer.tls.*`: TLS to the brokers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// Use TLS (implied by `authentication: tls`).
    pub enabled: bool,
    /// CA certificates (PEM file) the brokers' certificates are checked against; the system's
    /// when unset.
    pub ca: Option<PathBuf>,
    /// The client certificate (PEM file), with `key`.
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM file), with `cert`.
    pub key: Option<PathBuf>,
    /// The name expected in the brokers' certificates instead of their host names. librdkafka
    /// has no such setting: a value is rejected rather than silently ignored.
    pub server_name: Option<String>,
    /// Insecure: accept any broker certificate (chain and host name unchecked), as Go's
    /// `InsecureSkipVerify` does.
    pub skip_host_verify: bool,
}

/// `kafka.producer.plaintext.*`: SASL user name and password.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlaintextConfig {
    pub username: Option<String>,
    pub password: Option<String>,
    pub mechanism: SaslMechanism,
}

/// Everything the span writer needs to produce. Zero for a batch setting means librdkafka's
/// default, which is what Jaeger's zero means for sarama too (no limit of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerConfig {
    /// Bootstrap brokers, `host:port`.
    pub brokers: Vec<String>,
    pub topic: String,
    pub encoding: Encoding,
    pub required_acks: RequiredAcks,
    /// librdkafka's idempotent producer: no duplicates or reordering from its retries. Needs
    /// `required_acks: all`.
    pub idempotent: bool,
    pub compression: Compression,
    /// 0 = the codec's default; otherwise within [`Compression::levels`].
    pub compression_level: i32,
    /// How long a batch waits to fill (`linger.ms`); zero keeps librdkafka's 5 ms.
    pub batch_linger: Duration,
    /// Most bytes per batch (`batch.size`); 0 = librdkafka's 1,000,000.
    pub batch_size: usize,
    /// Jaeger's (sarama's) minimum number of messages before a batch is sent. librdkafka has no
    /// such trigger (it sends when `linger` passes or a batch is full): accepted, not applied.
    pub batch_min_messages: usize,
    /// Most messages per batch (`batch.num.messages`); 0 = librdkafka's 10,000.
    pub batch_max_messages: usize,
    /// Largest message (`message.max.bytes`); a span whose key and value are larger is not
    /// sent and counted as a delivery failure.
    pub max_message_bytes: usize,
    /// Most messages waiting in the producer (`queue.buffering.max.messages`); a write that
    /// does not fit is refused as a whole.
    pub queue_max_messages: usize,
    /// Whether a write returns only once Kafka acknowledged every message of it (`true`), or
    /// as soon as they are in the producer's queue, as Jaeger's collector does (`false`).
    pub wait_for_delivery: bool,
    /// How long librdkafka keeps retrying a message before reporting it failed
    /// (`message.timeout.ms`; librdkafka's default 5 minutes).
    pub message_timeout: Duration,
    pub authentication: Authentication,
    pub tls: TlsConfig,
    pub plaintext: PlaintextConfig,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            brokers: vec!["127.0.0.1:9092".to_owned()],
            topic: "jaeger-spans".to_owned(),
            encoding: Encoding::Protobuf,
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
            wait_for_delivery: true,
            message_timeout: Duration::from_secs(300),
            authentication: Authentication::None,
            tls: TlsConfig::default(),
            plaintext: PlaintextConfig::default(),
        }
    }
}

impl ProducerConfig {
    /// The librdkafka properties of this configuration. Settings librdkafka cannot honour
    /// (Kerberos in this build, a TLS server name) are `InvalidArgument`; librdkafka checks the
    /// rest (ranges, idempotence with acks) when the producer is created.
    pub fn client_config(&self) -> Result<ClientConfig, StorageError> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", self.brokers.join(","))
            .set("client.id", "spur")
            // Sarama's default hash partitioner, which Jaeger's producer uses: FNV-1a of the
            // key as a signed 32-bit number, modulo the partition count, absolute value
            // (librdkafka's rdfnv1a.c implements exactly that; see `crate::partition`).
            .set("partitioner", "fnv1a")
            .set(
                "topic.metadata.refresh.interval.ms",
                METADATA_REFRESH.as_millis().to_string(),
            )
            .set("acks", self.required_acks.librdkafka_value())
            .set("enable.idempotence", self.idempotent.to_string())
            .set("compression.codec", self.compression.as_str())
            .set("message.max.bytes", self.max_message_bytes.to_string())
            .set(
                "queue.buffering.max.messages",
                self.queue_max_messages.to_string(),
            )
            .set(
                "message.timeout.ms",
                self.message_timeout.as_millis().to_string(),
            );
        if self.compression_level != 0 {
            config.set("compression.level", self.compression_level.to_string());
        }
        if !self.batch_linger.is_zero() {
            // librdkafka takes fractional milliseconds.
            let millis = self.batch_linger.as_nanos() as f64 / 1e6;
            config.set("linger.ms", millis.to_string());
        }
        if self.batch_size != 0 {
            config.set("batch.size", self.batch_size.to_string());
        }
        if self.batch_max_messages != 0 {
            config.set("batch.num.messages", self.batch_max_messages.to_string());
        }
        set_security(
            &self.authentication,
            &self.tls,
            &self.plaintext,
            &mut config,
        )?;
        Ok(config)
    }
}

/// `security.protocol`, `ssl.*` and `sasl.*`, as Jaeger's `authentication` and `tls.*`
/// combine: TLS when `authentication: tls` or `tls.enabled`; SASL for `plaintext`. Producer and
/// consumer alike.
pub(crate) fn set_security(
    authentication: &Authentication,
    tls_config: &TlsConfig,
    plaintext: &PlaintextConfig,
    config: &mut ClientConfig,
) -> Result<(), StorageError> {
    {
        let sasl = match authentication {
            Authentication::Plaintext => true,
            Authentication::None | Authentication::Tls => false,
            Authentication::Kerberos => {
                return Err(StorageError::InvalidArgument(
                    "kafka authentication kerberos (SASL/GSSAPI) is not supported in this build; \
                     use tls or plaintext (SASL PLAIN or SCRAM)"
                        .to_owned(),
                ));
            }
        };
        let tls = *authentication == Authentication::Tls || tls_config.enabled;
        let protocol = match (tls, sasl) {
            (false, false) => "plaintext",
            (true, false) => "ssl",
            (false, true) => "sasl_plaintext",
            (true, true) => "sasl_ssl",
        };
        config.set("security.protocol", protocol);
        if tls {
            let TlsConfig {
                enabled: _,
                ca,
                cert,
                key,
                server_name,
                skip_host_verify,
            } = tls_config;
            if server_name.is_some() {
                return Err(StorageError::InvalidArgument(
                    "kafka tls server-name is not supported: librdkafka checks the broker's \
                     advertised host name"
                        .to_owned(),
                ));
            }
            let paths = [
                ("ssl.ca.location", ca),
                ("ssl.certificate.location", cert),
                ("ssl.key.location", key),
            ];
            for (property, path) in paths {
                if let Some(path) = path {
                    config.set(property, path.display().to_string());
                }
            }
            if *skip_host_verify {
                config
                    .set("enable.ssl.certificate.verification", "false")
                    .set("ssl.endpoint.identification.algorithm", "none");
            }
        }
        if sasl {
            let PlaintextConfig {
                username,
                password,
                mechanism,
            } = plaintext;
            config
                .set("sasl.mechanisms", mechanism.as_str())
                .set("sasl.username", username.as_deref().unwrap_or_default())
                .set("sasl.password", password.as_deref().unwrap_or_default());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn property(config: &ClientConfig, key: &str) -> Option<String> {
        config.get(key).map(str::to_owned)
    }

    #[test]
    fn defaults_map_to_librdkafka_properties() {
        let config = ProducerConfig::default().client_config().unwrap();
        let expected = [
            ("bootstrap.servers", "127.0.0.1:9092"),
            ("partitioner", "fnv1a"),
            ("acks", "all"),
            ("enable.idempotence", "true"),
            ("compression.codec", "none"),
            ("message.max.bytes", "1000000"),
            ("queue.buffering.max.messages", "100000"),
            ("message.timeout.ms", "300000"),
            ("topic.metadata.refresh.interval.ms", "30000"),
            ("security.protocol", "plaintext"),
        ];
        for (key, value) in expected {
            assert_eq!(property(&config, key).as_deref(), Some(value), "{key}");
        }
        for unset in [
            "compression.level",
            "linger.ms",
            "batch.size",
            "batch.num.messages",
            "sasl.mechanisms",
            "ssl.ca.location",
        ] {
            assert_eq!(property(&config, unset), None, "{unset}");
        }
    }

    #[test]
    fn batch_compression_and_acks_settings_map() {
        let producer = ProducerConfig {
            brokers: vec!["k1:9092".into(), "k2:9093".into()],
            required_acks: RequiredAcks::Local,
            idempotent: false,
            compression: Compression::Zstd,
            compression_level: 7,
            batch_linger: Duration::from_micros(2_500),
            batch_size: 65_536,
            batch_max_messages: 500,
            max_message_bytes: 2_000_000,
            queue_max_messages: 10,
            ..ProducerConfig::default()
        };
        let config = producer.client_config().unwrap();
        let expected = [
            ("bootstrap.servers", "k1:9092,k2:9093"),
            ("acks", "1"),
            ("enable.idempotence", "false"),
            ("compression.codec", "zstd"),
            ("compression.level", "7"),
            ("linger.ms", "2.5"),
            ("batch.size", "65536"),
            ("batch.num.messages", "500"),
            ("message.max.bytes", "2000000"),
            ("queue.buffering.max.messages", "10"),
        ];
        for (key, value) in expected {
            assert_eq!(property(&config, key).as_deref(), Some(value), "{key}");
        }
        let no_ack = ProducerConfig {
            required_acks: RequiredAcks::NoAck,
            ..ProducerConfig::default()
        };
        let config = no_ack.client_config().unwrap();
        assert_eq!(property(&config, "acks").as_deref(), Some("0"));
    }

    #[test]
    fn authentication_picks_the_security_protocol() {
        let tls = TlsConfig {
            ca: Some("/etc/kafka/ca.pem".into()),
            cert: Some("/etc/kafka/client.pem".into()),
            key: Some("/etc/kafka/client.key".into()),
            ..TlsConfig::default()
        };
        let plaintext = PlaintextConfig {
            username: Some("spur".into()),
            password: Some("secret".into()),
            mechanism: SaslMechanism::ScramSha512,
        };
        let cases = [
            (Authentication::None, false, "plaintext"),
            (Authentication::None, true, "ssl"),
            (Authentication::Tls, false, "ssl"),
            (Authentication::Plaintext, false, "sasl_plaintext"),
            (Authentication::Plaintext, true, "sasl_ssl"),
        ];
        for (authentication, tls_enabled, protocol) in cases {
            let producer = ProducerConfig {
                authentication,
                tls: TlsConfig {
                    enabled: tls_enabled,
                    ..tls.clone()
                },
                plaintext: plaintext.clone(),
                ..ProducerConfig::default()
            };
            let config = producer.client_config().unwrap();
            let case = format!("{authentication:?} tls.enabled={tls_enabled}");
            assert_eq!(
                property(&config, "security.protocol").as_deref(),
                Some(protocol),
                "{case}"
            );
            let uses_tls = protocol.ends_with("ssl");
            assert_eq!(
                property(&config, "ssl.ca.location").is_some(),
                uses_tls,
                "{case}"
            );
            if uses_tls {
                assert_eq!(
                    property(&config, "ssl.certificate.location").as_deref(),
                    Some("/etc/kafka/client.pem")
                );
                assert_eq!(
                    property(&config, "ssl.key.location").as_deref(),
                    Some("/etc/kafka/client.key")
                );
            }
            let uses_sasl = protocol.starts_with("sasl");
            let mechanism = property(&config, "sasl.mechanisms");
            assert_eq!(
                mechanism.as_deref(),
                uses_sasl.then_some("SCRAM-SHA-512"),
                "{case}"
            );
            if uses_sasl {
                assert_eq!(property(&config, "sasl.username").as_deref(), Some("spur"));
                assert_eq!(
                    property(&config, "sasl.password").as_deref(),
                    Some("secret")
                );
            }
        }
    }

    #[test]
    fn skip_host_verify_turns_both_checks_off() {
        let producer = ProducerConfig {
            authentication: Authentication::Tls,
            tls: TlsConfig {
                skip_host_verify: true,
                ..TlsConfig::default()
            },
            ..ProducerConfig::default()
        };
        let config = producer.client_config().unwrap();
        assert_eq!(
            property(&config, "enable.ssl.certificate.verification").as_deref(),
            Some("false")
        );
        assert_eq!(
            property(&config, "ssl.endpoint.identification.algorithm").as_deref(),
            Some("none")
        );
    }

    #[test]
    fn what_librdkafka_cannot_do_is_rejected_clearly() {
        let kerberos = ProducerConfig {
            authentication: Authentication::Kerberos,
            ..ProducerConfig::default()
        };
        let error = kerberos.client_config().unwrap_err();
        assert!(
            error.to_string().contains("not supported in this build"),
            "{error}"
        );
        let server_name = ProducerConfig {
            authentication: Authentication::Tls,
            tls: TlsConfig {
                server_name: Some("kafka.internal".into()),
                ..TlsConfig::default()
            },
            ..ProducerConfig::default()
        };
        let error = server_name.client_config().unwrap_err();
        assert!(error.to_string().contains("server-name"), "{error}");
    }

    #[test]
    fn jaeger_spellings_parse_in_any_case() {
        assert_eq!(RequiredAcks::parse("NoAck"), Ok(RequiredAcks::NoAck));
        assert_eq!(RequiredAcks::parse("local"), Ok(RequiredAcks::Local));
        assert_eq!(RequiredAcks::parse(" ALL "), Ok(RequiredAcks::All));
        assert!(RequiredAcks::parse("1").is_err());
        for codec in Compression::ALL {
            assert_eq!(
                Compression::parse(&codec.as_str().to_uppercase()),
                Ok(codec)
            );
        }
        assert!(Compression::parse("brotli").is_err());
        assert_eq!(
            Authentication::parse("Plaintext"),
            Ok(Authentication::Plaintext)
        );
        assert!(Authentication::parse("oauth").is_err());
        assert_eq!(
            SaslMechanism::parse("scram-sha-256"),
            Ok(SaslMechanism::ScramSha256)
        );
        assert!(SaslMechanism::parse("GSSAPI").is_err());
    }
}
