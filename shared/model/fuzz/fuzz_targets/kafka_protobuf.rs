//! Fuzz target: the Kafka protobuf span decoder must return a typed result for any input, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A message that decodes must survive a round trip unchanged (compared as bytes, so NaN
    // tag values, which are never equal to themselves, compare equal).
    if let Ok(span) = spur_model::kafka::decode_protobuf(data) {
        let encoded = spur_model::kafka::encode_protobuf(&span);
        let again = spur_model::kafka::decode_protobuf(&encoded).expect("re-decodes");
        assert_eq!(spur_model::kafka::encode_protobuf(&again), encoded);
    }
});
