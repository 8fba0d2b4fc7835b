//! spur-query: Jaeger's query API over any storage backend.
//!
//! - [`http`]: the HTTP JSON API the Jaeger UI and Grafana use (`/api/...`, port 16686);
//! - [`grpc`]: `jaeger.api_v2.QueryService` (port 16685), raw traces in chunks;
//! - [`ui`]: the web UI's embedded files, served at `/` and `/static/` beside the API;
//! - [`adjust`]: the trace adjusters Jaeger's HTTP API applies (dedupe span ids, clock skew,
//!   sorting, reference fixes, warnings);
//!
//! - [`config`], [`server`], [`app`]: settings, serving the ports, the process.
//!
//! Readers come from `spur-storage-factory`; nothing here knows a backend.

pub mod adjust;
pub mod app;
pub mod config;
pub mod grpc;
pub mod http;
pub mod server;
pub mod ui;
