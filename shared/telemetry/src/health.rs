//! Jaeger's health states: a service is unavailable while starting, available once every
//! server listens, and unavailable again from the moment it starts draining. The admin server
//! renders the state as Jaeger's health JSON.

use std::sync::Arc;
use std::sync::RwLock;
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};

/// When the service became ready: wall-clock time for `upSince`, a monotonic instant for
/// `uptime`.
type ReadySince = Option<(DateTime<Utc>, Instant)>;

/// Shared, cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Health {
    state: Arc<RwLock<ReadySince>>,
}

impl Health {
    pub fn new() -> Health {
        Health::default()
    }

    /// Every server listens: report "Server available".
    pub fn set_ready(&self) {
        if let Ok(mut state) = self.state.write() {
            *state = Some((Utc::now(), Instant::now()));
        }
    }

    /// Starting or draining: report "Server not available" (503).
    pub fn set_unavailable(&self) {
        if let Ok(mut state) = self.state.write() {
            *state = None;
        }
    }

    pub fn is_ready(&self) -> bool {
        self.state
            .read()
            .map(|state| state.is_some())
            .unwrap_or(false)
    }

    /// Jaeger's health body and whether it is ready (200) or not (503).
    pub fn report(&self) -> (bool, serde_json::Value) {
        let state = self.state.read().ok().and_then(|state| *state);
        match state {
            Some((since, started)) => (
                true,
                serde_json::json!({
                    "status": "Server available",
                    "upSince": since.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    "uptime": go_duration(started.elapsed()),
                }),
            ),
            None => (
                false,
                serde_json::json!({
                    "status": "Server not available",
                    "upSince": "0001-01-01T00:00:00Z",
                    "uptime": "",
                }),
            ),
        }
    }
}

/// A duration as Go's `Duration.String` prints it: `1h2m3.4s`, `3.5s`, `0s`.
pub fn go_duration(duration: std::time::Duration) -> String {
    let total = duration.as_secs();
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    let nanos = duration.subsec_nanos();
    let fraction = if nanos == 0 {
        String::new()
    } else {
        let digits = format!(".{nanos:09}");
        digits.trim_end_matches('0').to_owned()
    };
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    text.push_str(&format!("{seconds}{fraction}s"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_millis(3_400)), "3.4s");
        assert_eq!(go_duration(Duration::from_secs(3_723)), "1h2m3s");
        assert_eq!(go_duration(Duration::from_secs(60)), "1m0s");
    }

    #[test]
    fn states_follow_readiness() {
        let health = Health::new();
        let (ready, body) = health.report();
        assert!(!ready);
        assert_eq!(body["status"], "Server not available");
        health.set_ready();
        let (ready, body) = health.report();
        assert!(ready);
        assert_eq!(body["status"], "Server available");
        assert!(body["upSince"].as_str().unwrap().ends_with('Z'));
        health.set_unavailable();
        assert!(!health.is_ready());
    }
}
