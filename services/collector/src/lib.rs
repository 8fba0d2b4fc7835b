//! spur-collector: receives spans in every common format, sanitizes them, and writes them to
//! Kafka (for the ingester) or straight to a storage backend, refusing what it cannot take
//! with backpressure instead of growing memory.
//!
//! - [`config`]: settings (Jaeger's flag and environment names) and the typed configuration;
//! - [`receivers`]: one module per protocol and port;
//! - [`pipeline`]: the bounded queue, workers and writer every receiver shares;
//! - [`sanitize`]: what is done to each span; [`metrics`]: every metric's name;
//! - sampling strategies are `spur-sampling`'s, mounted on the gRPC and HTTP ports;
//! - [`server`]: binding the ports, serving them, and shutting down in order;
//! - [`app`]: the whole process (settings, writer, signals, exit code), shared with the
//!   all-in-one.

pub mod app;
pub mod config;
pub mod metrics;
pub mod pipeline;
pub mod receivers;
pub mod sanitize;
pub mod server;

pub use config::{CollectorConfig, SETTINGS};
pub use server::{Listeners, run};
