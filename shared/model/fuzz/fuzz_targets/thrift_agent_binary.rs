//! Fuzz target: the agent's binary Thrift datagram decoder (UDP 6832) must return a typed result for any input, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spur_model::thrift::decode_agent_binary(data);
});
