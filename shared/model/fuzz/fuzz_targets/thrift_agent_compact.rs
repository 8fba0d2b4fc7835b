//! Fuzz target: the agent's compact Thrift datagram decoder (UDP 6831) must return a typed result for any input, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spur_model::thrift::decode_agent_compact(data);
});
