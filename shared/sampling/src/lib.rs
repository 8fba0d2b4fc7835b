//! spur-sampling (being built).
