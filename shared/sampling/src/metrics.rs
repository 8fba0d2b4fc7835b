//! Every metric this crate records, by name. The HTTP endpoints keep Jaeger's families
//! (`pkg/clientcfg/clientcfghttp/handler.go`) under the namespace of the process serving them
//! (`jaeger_collector`, `jaeger_agent`), so existing dashboards keep working; the rest are
//! `spur_sampling_*`. Nothing here installs a recorder: the process does.

/// Failed reloads (file unreadable, download failed, or JSON that no longer parses), counted
/// once per attempt; the previous strategies stay in force. No labels.
pub const RELOAD_ERRORS: &str = "spur_sampling_reload_errors_total";

/// Suffix of the successful request counter, label `type`: `sampling`, `sampling-legacy`,
/// `baggage`.
pub const HTTP_REQUESTS_SUFFIX: &str = "http_server_requests_total";

/// Suffix of the failed request counter, labels `status` and `source`: `4xx`/`all` (missing or
/// repeated `service`), `5xx`/`collector-proxy` (the provider failed), `5xx`/`thrift` (no
/// legacy JSON for the strategy).
pub const HTTP_ERRORS_SUFFIX: &str = "http_server_errors_total";

/// The two HTTP counters' full names under one namespace.
#[derive(Debug, Clone)]
pub(crate) struct HttpMetricNames {
    pub requests: String,
    pub errors: String,
}

impl HttpMetricNames {
    pub(crate) fn new(namespace: &str) -> HttpMetricNames {
        HttpMetricNames {
            requests: format!("{namespace}_{HTTP_REQUESTS_SUFFIX}"),
            errors: format!("{namespace}_{HTTP_ERRORS_SUFFIX}"),
        }
    }

    pub(crate) fn count_request(&self, kind: &'static str) {
        metrics::counter!(self.requests.clone(), "type" => kind).increment(1);
    }

    pub(crate) fn count_error(&self, status: &'static str, source: &'static str) {
        metrics::counter!(self.errors.clone(), "source" => source, "status" => status).increment(1);
    }
}
