//! spur-config (being built).
