//! Fuzz target: the Kafka protobuf span decoder must return a typed result for any input, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A message that decodes must survive a round trip unchanged.
    if let Ok(span) = spur_model::kafka::decode_protobuf(data) {
        let again = spur_model::kafka::decode_protobuf(&spur_model::kafka::encode_protobuf(&span));
        assert_eq!(again.ok(), Some(span));
    }
});
