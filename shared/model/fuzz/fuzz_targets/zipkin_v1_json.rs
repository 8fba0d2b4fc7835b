//! Fuzz target: the Zipkin v1 JSON decoder must return a typed result for any input, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spur_model::zipkin::decode_v1_json(data);
});
