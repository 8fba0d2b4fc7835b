//! spur-agent: the per-host daemon Jaeger clients send spans to over UDP, forwarding them to the
//! collectors over gRPC, and proxying sampling strategies.
//!
//! | module | owns |
//! |---|---|
//! | [`config`], [`tags`] | the settings (Jaeger's names) and `agent.tags` |
//! | [`server`] | running it all: receivers (`spur-agent-udp`), sampling proxy, admin, shutdown |
//! | [`queue`] | the bounded span queue (drop oldest) and batching by process |
//! | [`reporter`] | PostSpans calls with deadlines, retries, backoff |
//! | [`collectors`] | the collector set: resolution and the balanced channel |
//! | [`wire`] | batches encoded once: merging, resending, the raw gRPC codec |
//! | [`metrics`] | metric names |
//! | [`app`] | the process `main` |

pub mod app;
pub mod collectors;
pub mod config;
pub mod metrics;
pub mod queue;
pub mod reporter;
pub mod server;
pub mod tags;
pub mod wire;

pub use config::{AgentConfig, SETTINGS};
pub use server::{Listeners, Services, ShutdownReport, run};
