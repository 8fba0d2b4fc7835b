//! The query service's settings (Jaeger's flag and environment names, see `spur-config`) and
//! the typed [`QueryConfig`] read from them.

use std::net::SocketAddr;

use spur_config::{Problems, Setting, Settings, parse_host_port};

/// Every setting the query service reads besides the storage backend's.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        "query.http-server.host-port",
        ":16686",
        "HTTP JSON API (and UI) address; empty disables",
    ),
    Setting::new(
        "query.grpc-server.host-port",
        ":16685",
        "gRPC api_v2 QueryService address; empty disables",
    ),
    Setting::new(
        "admin.http.host-port",
        ":16687",
        "admin address: / health, /ready, /metrics",
    ),
    Setting::new(
        "query.base-path",
        "/",
        "path prefix of the HTTP API, e.g. /jaeger (starts with /, no trailing /)",
    ),
    Setting::new(
        "query.max-clock-skew-adjustment",
        "0s",
        "largest shift the clock-skew adjuster applies; 0 disables it (spans get a warning)",
    ),
];

/// The query service's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryConfig {
    pub http: Option<SocketAddr>,
    pub grpc: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub max_clock_skew_adjustment: std::time::Duration,
    /// `/` or a prefix such as `/jaeger` under which the HTTP API is served.
    pub base_path: String,
}

impl QueryConfig {
    /// Reads every field, recording bad values in `problems`.
    pub fn read(settings: &Settings, problems: &mut Problems) -> QueryConfig {
        let address = |key: &str, problems: &mut Problems| {
            settings
                .parse_with(key, problems, parse_host_port)
                .flatten()
        };
        QueryConfig {
            http: address("query.http-server.host-port", problems),
            grpc: address("query.grpc-server.host-port", problems),
            admin: address("admin.http.host-port", problems),
            max_clock_skew_adjustment: settings
                .parse_with(
                    "query.max-clock-skew-adjustment",
                    problems,
                    spur_config::duration::parse,
                )
                .unwrap_or_default(),
            base_path: settings
                .parse_with("query.base-path", problems, parse_base_path)
                .unwrap_or_else(|| "/".to_owned()),
        }
    }
}

/// Jaeger's rule for `query.base-path`: `/`, or a path starting with `/` and not ending with one.
pub fn parse_base_path(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text == "/" {
        return Ok("/".to_owned());
    }
    if !text.starts_with('/') || text.ends_with('/') {
        return Err("must start with / and must not end with / (e.g. /jaeger)".to_owned());
    }
    Ok(text.to_owned())
}
