//! The collector's settings (Jaeger's flag names, defaults and environment names; see
//! `spur-config`) and the typed [`CollectorConfig`] read from them, with every bad value
//! reported at once.

use std::net::SocketAddr;
use std::time::Duration;

use spur_config::{Problems, Setting, Settings, parse_host_port};
use spur_model::api_v2::KeyValue;

/// Every setting the collector reads besides the storage backend's.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        "collector.grpc-server.host-port",
        ":14250",
        "Jaeger gRPC (PostSpans, sampling) address; empty disables",
    ),
    Setting::new(
        "collector.grpc-server.max-message-size",
        "4194304",
        "largest gRPC message accepted on 14250 and 4317, bytes",
    ),
    Setting::new(
        "collector.http-server.host-port",
        ":14268",
        "Jaeger thrift-over-HTTP and sampling address; empty disables",
    ),
    Setting::new(
        "collector.zipkin.host-port",
        ":9411",
        "Zipkin v1/v2 address; empty disables (Jaeger's default is disabled)",
    ),
    Setting::new(
        "collector.otlp.enabled",
        "true",
        "serve OTLP on the two addresses below",
    ),
    Setting::new(
        "collector.otlp.grpc.host-port",
        ":4317",
        "OTLP/gRPC address; empty disables",
    ),
    Setting::new(
        "collector.otlp.http.host-port",
        ":4318",
        "OTLP/HTTP address; empty disables",
    ),
    Setting::new(
        "collector.http.max-body-bytes",
        "10485760",
        "largest HTTP body accepted (after decompression), bytes",
    ),
    Setting::new(
        "collector.max-spans-per-request",
        "100000",
        "requests with more spans are refused",
    ),
    Setting::new(
        "collector.queue-size",
        "2000",
        "spans that may wait for a worker before requests are refused (backpressure)",
    ),
    Setting::new(
        "collector.num-workers",
        "50",
        "spans batches written concurrently",
    ),
    Setting::new(
        "collector.tags",
        "",
        "k=v,k2=v2 tags added to every span's process",
    ),
    Setting::new(
        "collector.shutdown-timeout",
        "10s",
        "how long SIGTERM waits for queued spans and the Kafka producer",
    ),
    Setting::new(
        "admin.http.host-port",
        ":14269",
        "admin address: / health, /ready, /metrics",
    ),
    Setting::new(
        "sampling.strategies-file",
        "",
        "Jaeger sampling strategies file (JSON); empty: probabilistic 0.001 for all",
    ),
    Setting::new(
        "sampling.strategies-reload-interval",
        "0s",
        "how often the strategies file is re-read; 0 never",
    ),
    Setting::new(
        "sampling.strategies.bugfix-5270",
        "false",
        "rate-limiting services also inherit the default operation strategies",
    ),
];

/// The collector's configuration, read from [`Settings`].
#[derive(Debug, Clone, PartialEq)]
pub struct CollectorConfig {
    pub grpc: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    pub zipkin: Option<SocketAddr>,
    pub otlp_grpc: Option<SocketAddr>,
    pub otlp_http: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub max_message_bytes: usize,
    pub max_body_bytes: usize,
    pub max_spans_per_request: usize,
    pub queue_size: usize,
    pub num_workers: usize,
    pub collector_tags: Vec<KeyValue>,
    pub shutdown_timeout: Duration,
    pub strategies_file: Option<String>,
    pub strategies_reload: Duration,
    pub strategies_bugfix_5270: bool,
}

impl CollectorConfig {
    /// Reads every field, recording bad values in `problems` (the returned config then holds
    /// defaults in their place and must not be used).
    pub fn read(settings: &Settings, problems: &mut Problems) -> CollectorConfig {
        let address = |key: &str, problems: &mut Problems| -> Option<SocketAddr> {
            settings
                .parse_with(key, problems, parse_host_port)
                .flatten()
        };
        let otlp_enabled = settings
            .parse::<bool>("collector.otlp.enabled", problems)
            .unwrap_or(true);
        let otlp =
            |key: &str, problems: &mut Problems| address(key, problems).filter(|_| otlp_enabled);
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
        let strategies = settings.get("sampling.strategies-file").trim();
        CollectorConfig {
            grpc: address("collector.grpc-server.host-port", problems),
            http: address("collector.http-server.host-port", problems),
            zipkin: address("collector.zipkin.host-port", problems),
            otlp_grpc: otlp("collector.otlp.grpc.host-port", problems),
            otlp_http: otlp("collector.otlp.http.host-port", problems),
            admin: address("admin.http.host-port", problems),
            max_message_bytes: positive("collector.grpc-server.max-message-size", problems),
            max_body_bytes: positive("collector.http.max-body-bytes", problems),
            max_spans_per_request: positive("collector.max-spans-per-request", problems),
            queue_size: positive("collector.queue-size", problems),
            num_workers: positive("collector.num-workers", problems),
            collector_tags: settings
                .parse_with("collector.tags", problems, parse_tags)
                .unwrap_or_default(),
            shutdown_timeout: duration("collector.shutdown-timeout", problems),
            strategies_file: (!strategies.is_empty()).then(|| strategies.to_owned()),
            strategies_reload: duration("sampling.strategies-reload-interval", problems),
            strategies_bugfix_5270: settings
                .parse::<bool>("sampling.strategies.bugfix-5270", problems)
                .unwrap_or(false),
        }
    }
}

impl CollectorConfig {
    /// The sampling strategy store's options.
    pub fn sampling_options(&self) -> spur_sampling::StoreOptions {
        spur_sampling::StoreOptions {
            strategies_file: self.strategies_file.clone(),
            reload_interval: self.strategies_reload,
            include_default_operation_strategies: self.strategies_bugfix_5270,
        }
    }
}

/// `k=v,k2=v2` into string tags.
pub fn parse_tags(text: &str) -> Result<Vec<KeyValue>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok(KeyValue::string(key.trim(), value.trim()))
            }
            _ => Err(format!("{pair:?} is not key=value")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports_and_tags_parse_like_jaeger() {
        assert_eq!(
            parse_host_port(":14250").unwrap(),
            Some("0.0.0.0:14250".parse().unwrap())
        );
        assert_eq!(parse_host_port("").unwrap(), None);
        assert!(parse_host_port("nope").is_err());
        let tags = parse_tags("a=b, c = d").unwrap();
        assert_eq!(
            tags,
            vec![KeyValue::string("a", "b"), KeyValue::string("c", "d")]
        );
        assert!(parse_tags("a").is_err());
    }
}
