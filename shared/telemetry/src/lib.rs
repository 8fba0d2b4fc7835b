//! spur-telemetry: what every Spur service shares to be observable and to stop cleanly.
//!
//! - [`metrics`]: the one Prometheus registry (installed once per process) and histogram
//!   buckets;
//! - [`health`]: Jaeger's health states (503 "Server not available" until ready and again
//!   while draining);
//! - [`admin`]: the admin HTTP server (`/` health, `/ready`, `/metrics`, `/version`);
//! - [`logging`]: `tracing` output, level from `RUST_LOG` (default `info`);
//! - [`shutdown`]: a cancellation token cancelled on SIGTERM or Ctrl-C;
//! - [`process`]: running a service's async part to an exit code, and serving until shutdown
//!   or a server's failure;
//! - [`cpu`]: this process's CPU time, for benchmarks.

pub mod admin;
pub mod cpu;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod process;
pub mod shutdown;
