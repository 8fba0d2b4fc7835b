//! Validation of a [`StorageConfig`]: every problem found at once, each naming its key (the
//! Jaeger environment variable the setting is read from, see [`crate::env`]), so an operator
//! fixes a configuration in one round.

use std::fmt;
use std::time::Duration;

use crate::config::{
    Authentication, CassandraConfig, ElasticsearchConfig, EmbeddedConfig, KafkaConfig,
    RequiredAcks, StorageConfig,
};
use crate::env::keys;

/// One thing wrong with a configuration, and the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: &'static str,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found in a storage configuration (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid storage configuration")?;
        for problem in &self.problems {
            write!(f, "; {problem}")?;
        }
        Ok(())
    }
}

/// Collects problems; `finish` turns them into the result.
#[derive(Default)]
pub(crate) struct Problems(Vec<ConfigProblem>);

impl Problems {
    pub fn add(&mut self, key: &'static str, message: impl Into<String>) {
        self.0.push(ConfigProblem {
            key,
            message: message.into(),
        });
    }

    pub fn absorb(&mut self, error: ConfigError) {
        self.0.extend(error.problems);
    }

    pub fn finish(self) -> Result<(), ConfigError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems: self.0 })
        }
    }
}

impl StorageConfig {
    /// Checks every setting and reports all problems together, each naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Problems::default();
        match self {
            StorageConfig::Memory(_) => {}
            StorageConfig::Embedded(config) => config.check(&mut problems),
            StorageConfig::Cassandra(config) => config.check(&mut problems),
            StorageConfig::Elasticsearch(config) | StorageConfig::Opensearch(config) => {
                config.check(&mut problems);
            }
            StorageConfig::Kafka(config) => config.check(&mut problems),
        }
        problems.finish()
    }
}

impl EmbeddedConfig {
    fn check(&self, problems: &mut Problems) {
        if self.directory.as_os_str().is_empty() {
            problems.add(
                keys::BADGER_DIRECTORY_VALUE,
                "the directory must not be empty",
            );
        }
        if self.retention.is_zero() {
            problems.add(
                keys::BADGER_SPAN_STORE_TTL,
                "the retention period must be above zero",
            );
        }
    }
}

impl CassandraConfig {
    fn check(&self, problems: &mut Problems) {
        if self.servers.is_empty() {
            problems.add(keys::CASSANDRA_SERVERS, "at least one server is required");
        }
        for server in &self.servers {
            if let Err(message) = check_host(server, false) {
                problems.add(keys::CASSANDRA_SERVERS, message);
            }
        }
        if self.port == 0 {
            problems.add(keys::CASSANDRA_PORT, "the port must be between 1 and 65535");
        }
        let keyspace_ok = !self.keyspace.is_empty()
            && self.keyspace.len() <= 48
            && self
                .keyspace
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
        if !keyspace_ok {
            let message = format!(
                "{:?} is not a keyspace name: 1 to 48 letters, digits or underscores",
                self.keyspace
            );
            problems.add(keys::CASSANDRA_KEYSPACE, message);
        }
        check_credentials(
            problems,
            (keys::CASSANDRA_USERNAME, &self.username),
            (keys::CASSANDRA_PASSWORD, &self.password),
        );
        if !crate::config::CASSANDRA_CONSISTENCIES.contains(&self.consistency.as_str()) {
            problems.add(
                keys::CASSANDRA_CONSISTENCY,
                format!(
                    "{:?} is not a consistency level (one of {})",
                    self.consistency,
                    crate::config::CASSANDRA_CONSISTENCIES.join(", ")
                ),
            );
        }
        if self.connections_per_host == 0 {
            problems.add(
                keys::CASSANDRA_CONNECTIONS_PER_HOST,
                "at least one connection per host is needed",
            );
        }
        if !self.index_tag_blacklist.is_empty() && !self.index_tag_whitelist.is_empty() {
            problems.add(
                keys::CASSANDRA_INDEX_TAG_WHITELIST,
                "a tag whitelist and a tag blacklist cannot both be set",
            );
        }
        if !self.tls_enabled
            && (self.tls_ca.is_some() || self.tls_cert.is_some() || self.tls_key.is_some())
        {
            problems.add(
                keys::CASSANDRA_TLS_ENABLED,
                "TLS files are set but TLS is not enabled (CASSANDRA_TLS_ENABLED=true)",
            );
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            problems.add(
                keys::CASSANDRA_TLS_KEY,
                "a client certificate and its key go together",
            );
        }
    }
}

impl ElasticsearchConfig {
    fn check(&self, problems: &mut Problems) {
        if self.server_urls.is_empty() {
            problems.add(keys::ES_SERVER_URLS, "at least one server URL is required");
        }
        for url in &self.server_urls {
            if let Err(message) = check_url(url) {
                problems.add(keys::ES_SERVER_URLS, message);
            }
        }
        if let Err(message) = check_index_prefix(&self.index_prefix) {
            problems.add(keys::ES_INDEX_PREFIX, message);
        }
        if self.password_file.is_none() {
            check_credentials(
                problems,
                (keys::ES_USERNAME, &self.username),
                (keys::ES_PASSWORD, &self.password),
            );
        } else if self.password.is_some() {
            problems.add(
                keys::ES_PASSWORD_FILE,
                "set ES_PASSWORD or ES_PASSWORD_FILE, not both",
            );
        } else if self.username.is_none() {
            problems.add(keys::ES_USERNAME, "required with ES_PASSWORD_FILE");
        }
        let schemes = [
            self.username.is_some(),
            self.token_file.is_some(),
            self.api_key_file.is_some(),
        ];
        if schemes.iter().filter(|set| **set).count() > 1 {
            problems.add(
                keys::ES_TOKEN_FILE,
                "choose one authentication: ES_USERNAME, ES_TOKEN_FILE or ES_API_KEY_FILE",
            );
        }
        for (key, value) in [
            (keys::ES_BULK_ACTIONS, self.bulk_actions),
            (keys::ES_BULK_WORKERS, self.bulk_workers),
            (keys::ES_BULK_SIZE, self.bulk_size),
            (keys::ES_MAX_DOC_COUNT, self.max_doc_count),
        ] {
            if value == 0 {
                problems.add(key, "must be at least 1");
            }
        }
        if self.num_shards == 0 {
            problems.add(keys::ES_NUM_SHARDS, "must be at least 1");
        }
        for (key, value) in [
            (
                keys::ES_INDEX_ROLLOVER_FREQUENCY_SPANS,
                &self.index_rollover_frequency_spans,
            ),
            (
                keys::ES_INDEX_ROLLOVER_FREQUENCY_SERVICES,
                &self.index_rollover_frequency_services,
            ),
        ] {
            if value != "day" && value != "hour" {
                problems.add(key, format!("{value:?} is not day or hour"));
            }
        }
        let separator = &self.index_date_separator;
        if separator
            .chars()
            .any(|c| c.is_uppercase() || "\\/*?\"<>|, #:".contains(c))
        {
            problems.add(
                keys::ES_INDEX_DATE_SEPARATOR,
                format!("{separator:?} has a character index names cannot hold"),
            );
        }
        if self.use_ilm && !self.use_aliases {
            problems.add(keys::ES_USE_ILM, "needs ES_USE_ALIASES=true");
        }
        if self.version != 0 && !(1..=9).contains(&self.version) {
            problems.add(
                keys::ES_VERSION,
                format!(
                    "{} is not a major version (1 to 9, or 0 to ask the server)",
                    self.version
                ),
            );
        }
        if !self.tls_enabled && (self.tls_ca.is_some() || self.tls_skip_host_verify) {
            problems.add(
                keys::ES_TLS_ENABLED,
                "ES_TLS_CA and ES_TLS_SKIP_HOST_VERIFY need ES_TLS_ENABLED=true",
            );
        }
        if self.tls_enabled
            && self
                .server_urls
                .iter()
                .any(|url| url.starts_with("http://"))
        {
            problems.add(
                keys::ES_SERVER_URLS,
                "TLS is enabled: the URLs must be https://",
            );
        }
    }
}

impl KafkaConfig {
    fn check(&self, problems: &mut Problems) {
        if self.brokers.is_empty() {
            problems.add(
                keys::KAFKA_PRODUCER_BROKERS,
                "at least one broker is required",
            );
        }
        for broker in &self.brokers {
            if let Err(message) = check_host(broker, true) {
                problems.add(keys::KAFKA_PRODUCER_BROKERS, message);
            }
        }
        let topic_ok = !self.topic.is_empty()
            && self.topic.len() <= 249
            && self.topic != "."
            && self.topic != ".."
            && self
                .topic
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte));
        if !topic_ok {
            let message = format!(
                "{:?} is not a topic name: 1 to 249 letters, digits, '.', '_' or '-'",
                self.topic
            );
            problems.add(keys::KAFKA_PRODUCER_TOPIC, message);
        }
        self.check_producer(problems);
        self.check_security(problems);
    }

    /// Acknowledgements, compression and batching, within librdkafka's ranges.
    fn check_producer(&self, problems: &mut Problems) {
        if self.idempotent && self.required_acks != RequiredAcks::All {
            let message = format!(
                "idempotence needs {}=all (it is {}); set {}=false to use {}",
                keys::KAFKA_PRODUCER_REQUIRED_ACKS,
                self.required_acks.as_str(),
                keys::KAFKA_PRODUCER_IDEMPOTENT,
                self.required_acks.as_str(),
            );
            problems.add(keys::KAFKA_PRODUCER_IDEMPOTENT, message);
        }
        let level = self.compression_level;
        let codec = self.compression.as_str();
        match self.compression.levels() {
            _ if level == 0 => {}
            None => problems.add(
                keys::KAFKA_PRODUCER_COMPRESSION_LEVEL,
                format!("{codec} takes no level: 0 or unset"),
            ),
            Some((lowest, highest)) if !(lowest..=highest).contains(&level) => problems.add(
                keys::KAFKA_PRODUCER_COMPRESSION_LEVEL,
                format!(
                    "{level} is not a {codec} level: {lowest} to {highest}, or 0 for its default"
                ),
            ),
            Some(_) => {}
        }
        if self.batch_linger > MAX_LINGER {
            problems.add(
                keys::KAFKA_PRODUCER_BATCH_LINGER,
                "at most 15m (librdkafka's limit)",
            );
        }
        let ranges = [
            (keys::KAFKA_PRODUCER_BATCH_SIZE, self.batch_size, 0, I32_MAX),
            (
                keys::KAFKA_PRODUCER_BATCH_MAX_MESSAGES,
                self.batch_max_messages,
                0,
                1_000_000,
            ),
            (
                keys::KAFKA_PRODUCER_MAX_MESSAGE_BYTES,
                self.max_message_bytes,
                1_000,
                1_000_000_000,
            ),
            (
                keys::KAFKA_PRODUCER_QUEUE_MAX_MESSAGES,
                self.queue_max_messages,
                1,
                I32_MAX,
            ),
        ];
        for (key, value, lowest, highest) in ranges {
            if !(lowest..=highest).contains(&value) {
                problems.add(
                    key,
                    format!("{value} is not between {lowest} and {highest}"),
                );
            }
        }
    }

    /// Authentication and TLS: what is missing, and what librdkafka cannot do.
    fn check_security(&self, problems: &mut Problems) {
        let authentication = self.authentication.as_str();
        match self.authentication {
            Authentication::Kerberos if !spur_kafka::KERBEROS_SUPPORTED => problems.add(
                keys::KAFKA_PRODUCER_AUTHENTICATION,
                "kerberos (SASL/GSSAPI) is not supported in this build; use tls or plaintext \
                 (SASL PLAIN or SCRAM)",
            ),
            Authentication::Plaintext => {
                let credentials = [
                    (
                        keys::KAFKA_PRODUCER_PLAINTEXT_USERNAME,
                        &self.plaintext.username,
                    ),
                    (
                        keys::KAFKA_PRODUCER_PLAINTEXT_PASSWORD,
                        &self.plaintext.password,
                    ),
                ];
                for (key, value) in credentials {
                    if value.is_none() {
                        let message = format!(
                            "required with {}={authentication}",
                            keys::KAFKA_PRODUCER_AUTHENTICATION
                        );
                        problems.add(key, message);
                    }
                }
            }
            _ => {}
        }
        if !self.uses_tls() {
            return;
        }
        if self.tls.server_name.is_some() {
            problems.add(
                keys::KAFKA_PRODUCER_TLS_SERVER_NAME,
                format!(
                    "not supported: librdkafka checks the broker's advertised host name; unset \
                     it (or, insecurely, set {}=true)",
                    keys::KAFKA_PRODUCER_TLS_SKIP_HOST_VERIFY
                ),
            );
        }
        let cert = (keys::KAFKA_PRODUCER_TLS_CERT, &self.tls.cert);
        let key = (keys::KAFKA_PRODUCER_TLS_KEY, &self.tls.key);
        match (cert, key) {
            ((cert_key, Some(_)), (key_key, None)) => {
                problems.add(key_key, format!("required with {cert_key}"));
            }
            ((cert_key, None), (key_key, Some(_))) => {
                problems.add(cert_key, format!("required with {key_key}"));
            }
            _ => {}
        }
    }
}

/// librdkafka's `linger.ms` limit.
const MAX_LINGER: Duration = Duration::from_secs(900);
/// librdkafka's limit of several sizes and counts.
const I32_MAX: usize = i32::MAX as usize;

/// `host` or `host:port` (`[v6]:port` too); the port required when `port_required`.
fn check_host(address: &str, port_required: bool) -> Result<(), String> {
    let invalid = |why: &str| Err(format!("{address:?} {why}"));
    if address.is_empty() {
        return invalid("is empty (a stray comma?)");
    }
    if address.contains(char::is_whitespace) || address.contains('/') {
        return invalid("is not a host name or address");
    }
    let (host, port) = match address.rsplit_once(':') {
        // An IPv6 address without brackets has several colons and no port.
        Some((host, _)) if host.contains(':') && !host.starts_with('[') => (address, None),
        Some((host, port)) => (host, Some(port)),
        None => (address, None),
    };
    if host.is_empty() || host == "[]" {
        return invalid("has no host");
    }
    match port {
        None if port_required => invalid("has no port (host:port)"),
        Some(port) if !port.parse::<u16>().is_ok_and(|port| port != 0) => {
            invalid("has an invalid port")
        }
        _ => Ok(()),
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return Err(format!("{url:?} is not an http:// or https:// URL"));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    check_host(host, false).map_err(|message| format!("{url:?}: {message}"))
}

/// An index prefix must keep index names valid: lower case, none of `\/*?"<>|, #:`, not
/// starting with `-`, `_` or `+`.
fn check_index_prefix(prefix: &str) -> Result<(), String> {
    let invalid = |why: &str| Err(format!("{prefix:?} {why}"));
    if prefix.chars().any(|c| c.is_uppercase()) {
        return invalid("has upper-case letters; index names are lower case");
    }
    if prefix.chars().any(|c| "\\/*?\"<>|, #:".contains(c)) {
        return invalid(
            "has a character index names cannot hold (\\ / * ? \" < > | , # : or space)",
        );
    }
    if prefix.starts_with(['-', '_', '+']) {
        return invalid("starts with '-', '_' or '+'");
    }
    if prefix.len() > 200 {
        return invalid("is longer than 200 bytes");
    }
    Ok(())
}

fn check_credentials(
    problems: &mut Problems,
    (username_key, username): (&'static str, &Option<String>),
    (password_key, password): (&'static str, &Option<String>),
) {
    match (username, password) {
        (Some(_), None) => problems.add(password_key, format!("required with {username_key}")),
        (None, Some(_)) => problems.add(username_key, format!("required with {password_key}")),
        _ => {}
    }
}
