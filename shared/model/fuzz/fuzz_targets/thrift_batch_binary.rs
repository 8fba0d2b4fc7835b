//! Fuzz target: the collector's binary Thrift batch decoder (POST /api/traces) must return a typed result for any input, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spur_model::thrift::decode_batch_binary(data);
});
