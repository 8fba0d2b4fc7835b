//! The derivation's setting, as `spur-config` declares it for the services that write spans
//! (collector, ingester, all-in-one).

use spur_config::{Problems, Setting, Settings};

use crate::DerivingWriterOptions;

pub const FLUSH_INTERVAL: &str = "dependencies.flush-interval";

pub const SETTINGS: &[Setting] = &[Setting::new(
    FLUSH_INTERVAL,
    "10s",
    "how often service dependency links derived from written spans are stored (0s: not derived); \
     only where the backend stores links (memory, embedded, cassandra, elasticsearch, opensearch)",
)];

/// The options, or `None` when derivation is switched off.
pub fn read_options(settings: &Settings, problems: &mut Problems) -> Option<DerivingWriterOptions> {
    let interval = settings.parse_with(FLUSH_INTERVAL, problems, spur_config::duration::parse)?;
    (!interval.is_zero()).then(|| DerivingWriterOptions {
        flush_interval: interval,
        ..DerivingWriterOptions::default()
    })
}
