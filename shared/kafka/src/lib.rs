//! spur-kafka (being built).
