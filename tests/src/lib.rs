//! Where the end-to-end tests find the real servers.
//!
//! This crate owns the one documented set of environment variables that point Spur's integration
//! tests at Kafka, Cassandra, Elasticsearch and OpenSearch, together with their local defaults
//! (the addresses that `deploy/local/services.sh up` binds):
//!
//! | variable               | default                 | server                         |
//! |------------------------|-------------------------|--------------------------------|
//! | `SPUR_TEST_KAFKA`      | `127.0.0.1:9092`        | Kafka bootstrap servers        |
//! | `SPUR_TEST_CASSANDRA`  | `127.0.0.1:9042`        | Cassandra native-protocol node |
//! | `SPUR_TEST_ES`         | `http://127.0.0.1:9200` | Elasticsearch 8.x base URL     |
//! | `SPUR_TEST_OPENSEARCH` | `http://127.0.0.1:9201` | OpenSearch 2.x base URL        |
//!
//! It also owns the rule that an integration test never passes by skipping: [`Server::require`]
//! fails the calling test with a message naming the variable when the server cannot be reached.
//! [`unique_name`] gives names that differ on every run, so re-runs against long-lived servers do
//! not collide with data left by earlier runs.
//!
//! The modules are the whole-pipeline tests' shared support: the live client senders
//! ([`clients`]) and what their spans must look like ([`expect`]), Spur's binaries as processes
//! ([`process`]), a private Kafka ([`kafka_server`]) and a switchable TCP proxy ([`proxy`]).

pub mod clients;
pub mod expect;
pub mod kafka_server;
pub mod metric_names;
pub mod process;
pub mod proxy;

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One server the tests talk to: the variable that names it and its local default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// Environment variable that overrides the address.
    pub var: &'static str,
    /// Address used when the variable is unset or empty.
    pub default: &'static str,
    /// Human-readable name for messages.
    pub what: &'static str,
}

/// Kafka bootstrap servers (`host:port[,host:port...]`).
pub const KAFKA: Server = Server {
    var: "SPUR_TEST_KAFKA",
    default: "127.0.0.1:9092",
    what: "Kafka",
};

/// Cassandra native-protocol contact point (`host:port`).
pub const CASSANDRA: Server = Server {
    var: "SPUR_TEST_CASSANDRA",
    default: "127.0.0.1:9042",
    what: "Cassandra",
};

/// Elasticsearch base URL.
pub const ELASTICSEARCH: Server = Server {
    var: "SPUR_TEST_ES",
    default: "http://127.0.0.1:9200",
    what: "Elasticsearch",
};

/// OpenSearch base URL.
pub const OPENSEARCH: Server = Server {
    var: "SPUR_TEST_OPENSEARCH",
    default: "http://127.0.0.1:9201",
    what: "OpenSearch",
};

/// Every server, in the order `services.sh` starts them.
pub const ALL: [Server; 4] = [KAFKA, CASSANDRA, ELASTICSEARCH, OPENSEARCH];

/// How long the reachability check waits for a TCP connection to one address.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Server {
    /// The configured address: the variable's value, or the local default when unset or empty.
    pub fn address(&self) -> String {
        match std::env::var(self.var) {
            Ok(v) if !v.trim().is_empty() => v.trim().to_owned(),
            _ => self.default.to_owned(),
        }
    }

    /// Checks that the server accepts TCP connections and returns its address.
    ///
    /// # Errors
    /// A message naming the variable, the address tried and how to start the local servers.
    pub fn check(&self) -> Result<String, String> {
        let address = self.address();
        let mut failures = Vec::new();
        for endpoint in address.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match host_port(endpoint).and_then(|hp| connect(&hp)) {
                Ok(()) => return Ok(address),
                Err(e) => failures.push(format!("{endpoint}: {e}")),
            }
        }
        if failures.is_empty() {
            failures.push("no address given".to_owned());
        }
        Err(format!(
            "{what} is not reachable at {var}={address} ({why}). Start the local servers with \
             `make services-up` (or run the tests through `bash deploy/local/with-services.sh`), \
             or point {var} at a running {what}.",
            what = self.what,
            var = self.var,
            why = failures.join("; "),
        ))
    }

    /// Like [`Server::check`], but fails the calling test with the message.
    ///
    /// # Panics
    /// When the server is not reachable; integration tests must fail, never skip.
    #[track_caller]
    pub fn require(&self) -> String {
        match self.check() {
            Ok(address) => address,
            Err(message) => panic!("{message}"),
        }
    }
}

/// `host:port` of an endpoint given either as `host:port` or as an `http(s)://` URL.
fn host_port(endpoint: &str) -> Result<String, String> {
    let (rest, default_port) = if let Some(rest) = endpoint.strip_prefix("http://") {
        (rest, Some(80))
    } else if let Some(rest) = endpoint.strip_prefix("https://") {
        (rest, Some(443))
    } else {
        (endpoint, None)
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    if authority.is_empty() {
        return Err("empty host".to_owned());
    }
    let has_port = match authority.rfind(']') {
        Some(bracket) => authority[bracket..].contains(':'),
        None => authority.contains(':'),
    };
    match (has_port, default_port) {
        (true, _) => Ok(authority.to_owned()),
        (false, Some(port)) => Ok(format!("{authority}:{port}")),
        (false, None) => Err("missing port".to_owned()),
    }
}

fn connect(host_port: &str) -> Result<(), String> {
    let addrs = host_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve: {e}"))?;
    let mut last = String::from("no address resolved");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// A name unique to this process and call: `<prefix>_<pid>_<time>_<counter>`, lowercase ASCII
/// letters, digits and underscores only, so it is valid as a Kafka topic, a CQL identifier (at
/// most 48 characters for prefixes up to 16) and an Elasticsearch/OpenSearch index name.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let prefix: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}_{}_{millis}_{n}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_accepts_urls_and_pairs() {
        assert_eq!(host_port("127.0.0.1:9092").as_deref(), Ok("127.0.0.1:9092"));
        assert_eq!(
            host_port("http://127.0.0.1:9200").as_deref(),
            Ok("127.0.0.1:9200")
        );
        assert_eq!(
            host_port("https://user:pw@es.local/path").as_deref(),
            Ok("es.local:443")
        );
        assert_eq!(host_port("http://[::1]/").as_deref(), Ok("[::1]:80"));
        assert_eq!(host_port("[::1]:9042").as_deref(), Ok("[::1]:9042"));
        assert!(host_port("localhost").is_err());
    }

    #[test]
    fn unreachable_server_names_the_variable() {
        let server = Server {
            var: "SPUR_TEST_NOT_A_REAL_VARIABLE",
            // Port 1 on loopback: nothing listens there.
            default: "127.0.0.1:1",
            what: "Nothing",
        };
        let message = server.check().expect_err("port 1 must be closed");
        assert!(
            message.contains("SPUR_TEST_NOT_A_REAL_VARIABLE=127.0.0.1:1"),
            "{message}"
        );
    }

    #[test]
    fn unique_names_differ_and_are_identifiers() {
        let a = unique_name("Spur-Smoke");
        let b = unique_name("Spur-Smoke");
        assert_ne!(a, b);
        assert!(a.starts_with("spur_smoke_"));
        assert!(a.len() <= 48, "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
    }
}
