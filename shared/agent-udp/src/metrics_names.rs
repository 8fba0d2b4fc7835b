//! Metric names of the UDP receivers: Jaeger's agent metrics (`{model, protocol}` labels) and
//! Spur's additions.

pub const PACKETS_PROCESSED: &str = "jaeger_agent_thrift_udp_server_packets_processed_total";
pub const PACKETS_DROPPED: &str = "jaeger_agent_thrift_udp_server_packets_dropped_total";
pub const READ_ERRORS: &str = "jaeger_agent_thrift_udp_server_read_errors_total";
pub const HANDLER_ERRORS: &str = "jaeger_agent_thrift_udp_t_processor_handler_errors_total";
pub const QUEUE_SIZE: &str = "jaeger_agent_thrift_udp_server_queue_size";
pub const PACKET_SIZE: &str = "jaeger_agent_thrift_udp_server_packet_size";
/// Datagrams longer than `server-max-packet-size`, dropped whole.
pub const PACKETS_TOO_LARGE: &str = "spur_agent_udp_packets_too_large_total";
/// Undecodable datagrams by `protocol` and `reason`.
pub const DECODE_ERRORS: &str = "spur_agent_udp_decode_errors_total";
