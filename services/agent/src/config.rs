//! The agent's settings (Jaeger's flag names, defaults and environment names where Jaeger's
//! agent has them; `reporter.*` additions of Spur's otherwise) and the typed [`AgentConfig`]
//! read from them, with every bad value reported at once.

use std::net::SocketAddr;
use std::time::Duration;

use spur_agent_udp::UdpOptions;
use spur_config::{Problems, Setting, Settings, parse_host_port};
use spur_model::api_v2::KeyValue;

use crate::tags;

/// Every setting of the agent.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        "reporter.grpc.host-port",
        "",
        "collectors' gRPC addresses, comma-separated host:port; a DNS name is re-resolved and every address it gives is used",
    ),
    Setting::new(
        "reporter.grpc.resolve-interval",
        "30s",
        "how often collector DNS names are resolved again",
    ),
    Setting::new(
        "reporter.grpc.timeout",
        "5s",
        "deadline of one PostSpans call",
    ),
    Setting::new(
        "reporter.queue-size",
        "20000",
        "spans waiting to be sent; when full the oldest batches are dropped",
    ),
    Setting::new(
        "reporter.batch-max-spans",
        "2000",
        "most spans sent in one PostSpans call",
    ),
    Setting::new(
        "reporter.batch-linger",
        "50ms",
        "how long a send waits for more spans to fill its batch",
    ),
    Setting::new("reporter.workers", "4", "PostSpans calls in flight at once"),
    Setting::new(
        "agent.tags",
        "",
        "k=v,k2=${ENV:default} tags added to every span's process",
    ),
    Setting::new(
        "agent.shutdown-timeout",
        "5s",
        "how long SIGTERM waits for queued spans to be sent",
    ),
    Setting::new(
        "processor.jaeger-compact.server-host-port",
        ":6831",
        "thrift compact UDP address; empty disables",
    ),
    Setting::new(
        "processor.jaeger-compact.server-max-packet-size",
        "65000",
        "largest compact datagram accepted, bytes",
    ),
    Setting::new(
        "processor.jaeger-compact.server-queue-size",
        "1000",
        "compact datagrams queued for decoding",
    ),
    Setting::new(
        "processor.jaeger-compact.server-socket-buffer-size",
        "0",
        "compact socket receive buffer, bytes; 0 keeps the kernel default",
    ),
    Setting::new(
        "processor.jaeger-compact.workers",
        "10",
        "compact datagram decoders",
    ),
    Setting::new(
        "processor.jaeger-binary.server-host-port",
        ":6832",
        "thrift binary UDP address; empty disables",
    ),
    Setting::new(
        "processor.jaeger-binary.server-max-packet-size",
        "65000",
        "largest binary datagram accepted, bytes",
    ),
    Setting::new(
        "processor.jaeger-binary.server-queue-size",
        "1000",
        "binary datagrams queued for decoding",
    ),
    Setting::new(
        "processor.jaeger-binary.server-socket-buffer-size",
        "0",
        "binary socket receive buffer, bytes; 0 keeps the kernel default",
    ),
    Setting::new(
        "processor.jaeger-binary.workers",
        "10",
        "binary datagram decoders",
    ),
    Setting::new(
        "http-server.host-port",
        ":5778",
        "sampling strategies (/sampling, /) and /baggageRestrictions; empty disables",
    ),
    Setting::new(
        "admin.http.host-port",
        ":14271",
        "admin address: / health, /ready, /metrics",
    ),
];

/// One UDP port: its address (None: off) and options.
#[derive(Debug, Clone, PartialEq)]
pub struct UdpPort {
    pub address: Option<SocketAddr>,
    pub options: UdpOptions,
}

/// The agent's configuration, read from [`Settings`].
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// `host:port` of each collector (names resolved by the reporter).
    pub collectors: Vec<String>,
    pub resolve_interval: Duration,
    pub call_timeout: Duration,
    pub queue_spans: usize,
    pub batch_max_spans: usize,
    pub batch_linger: Duration,
    pub workers: usize,
    pub agent_tags: Vec<KeyValue>,
    pub shutdown_timeout: Duration,
    pub compact: UdpPort,
    pub binary: UdpPort,
    pub http: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
}

impl AgentConfig {
    /// Reads every field, recording bad values in `problems` (the returned config then holds
    /// defaults in their place and must not be used). `env` expands `${ENV:default}` in tags.
    pub fn read(
        settings: &Settings,
        env: &std::collections::HashMap<String, String>,
        problems: &mut Problems,
    ) -> AgentConfig {
        let address = |key: &str, problems: &mut Problems| -> Option<SocketAddr> {
            settings
                .parse_with(key, problems, parse_host_port)
                .flatten()
        };
        let count = |key: &str, minimum: usize, problems: &mut Problems| -> usize {
            match settings.parse::<usize>(key, problems) {
                Some(value) if value < minimum => {
                    problems.add(key, format!("must be at least {minimum}"));
                    minimum
                }
                Some(value) => value,
                None => minimum,
            }
        };
        let duration = |key: &str, problems: &mut Problems| {
            settings
                .parse_with(key, problems, spur_config::duration::parse)
                .unwrap_or_default()
        };
        let udp = |protocol: &str, problems: &mut Problems| {
            let key = |name: &str| format!("processor.jaeger-{protocol}.{name}");
            UdpPort {
                address: address(&key("server-host-port"), problems),
                options: UdpOptions {
                    max_packet_bytes: count(&key("server-max-packet-size"), 1, problems),
                    queue_packets: count(&key("server-queue-size"), 1, problems),
                    workers: count(&key("workers"), 1, problems),
                    readers: 2,
                    socket_buffer_bytes: count(&key("server-socket-buffer-size"), 0, problems),
                },
            }
        };
        let collectors = settings
            .parse_with("reporter.grpc.host-port", problems, parse_collectors)
            .unwrap_or_default();
        if collectors.is_empty() {
            problems.add(
                "reporter.grpc.host-port",
                "is required: the collectors' gRPC addresses, e.g. collector:14250",
            );
        }
        AgentConfig {
            collectors,
            resolve_interval: duration("reporter.grpc.resolve-interval", problems),
            call_timeout: duration("reporter.grpc.timeout", problems),
            queue_spans: count("reporter.queue-size", 1, problems),
            batch_max_spans: count("reporter.batch-max-spans", 1, problems),
            batch_linger: duration("reporter.batch-linger", problems),
            workers: count("reporter.workers", 1, problems),
            agent_tags: settings
                .parse_with("agent.tags", problems, |text| tags::parse(text, env))
                .unwrap_or_default(),
            shutdown_timeout: duration("agent.shutdown-timeout", problems),
            compact: udp("compact", problems),
            binary: udp("binary", problems),
            http: address("http-server.host-port", problems),
            admin: address("admin.http.host-port", problems),
        }
    }
}

/// `host:port[,host:port...]`; a port is required, as Jaeger's agent requires it.
fn parse_collectors(text: &str) -> Result<Vec<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(entry.to_owned())
            }
            _ => Err(format!("{entry:?} is not host:port")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_lists_need_ports() {
        assert_eq!(
            parse_collectors("a:14250, b.svc:14250").unwrap(),
            vec!["a:14250".to_owned(), "b.svc:14250".to_owned()]
        );
        assert!(parse_collectors("collector").is_err());
        assert!(parse_collectors(":14250").is_err());
        assert_eq!(parse_collectors("").unwrap(), Vec::<String>::new());
    }
}
