//! spur-telemetry (being built).
