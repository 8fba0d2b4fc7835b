//! spur-ingester: drains the Kafka span topic into storage at least once, as a consumer group
//! member (ingesters split the partitions), and replays a topic or a window of it.
//!
//! | module | owns |
//! |---|---|
//! | [`config`] | the settings (Jaeger's `kafka.consumer.*` and `ingester.*` names) |
//! | [`ingest`] | the group consumer loop: batches, pausing, rebalances, commits |
//! | [`tracker`] | which offsets are written and may be committed |
//! | [`write`] | decoding a batch (poison skipped) and writing it until durable |
//! | [`replay`] | `spur-ingester replay`: a window of the topic, no group offsets touched |
//! | [`metrics`] | metric names |
//! | [`app`] | the process `main`s |

pub mod app;
pub mod config;
pub mod ingest;
pub mod metrics;
pub mod replay;
pub mod tracker;
pub mod write;

pub use config::{IngesterConfig, KAFKA_SETTINGS, SETTINGS};
pub use ingest::{IngestReport, run};
