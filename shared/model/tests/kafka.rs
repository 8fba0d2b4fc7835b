//! Kafka message encodings: model → protobuf → model and model → JSON → model are identities,
//! ids are normalized on read, and bad messages are typed errors.
#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected input

use proptest::prelude::*;
use spur_model::api_v2::Span;
use spur_model::kafka::{self, Encoding};
use spur_model::testing;
use spur_model::{DecodeError, TraceId};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn protobuf_round_trip_is_identity(span in testing::span()) {
        let bytes = kafka::encode_protobuf(&span);
        prop_assert_eq!(kafka::decode_protobuf(&bytes).unwrap(), span);
    }

    #[test]
    fn json_round_trip_is_identity(span in testing::span()) {
        let bytes = kafka::encode_json(&span);
        prop_assert_eq!(kafka::decode_json(&bytes).unwrap(), span);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = kafka::decode_protobuf(&bytes);
        let _ = kafka::decode_json(&bytes);
    }
}

fn sample_span() -> Span {
    let batch = testing::sample_batch(1);
    Span {
        process: batch.process.clone(),
        ..batch.spans[0].clone()
    }
}

#[test]
fn json_uses_jaeger_jsonpb_shapes() {
    let json: serde_json::Value =
        serde_json::from_slice(&kafka::encode_json(&sample_span())).unwrap();
    // base64 ids, camelCase keys, RFC 3339 time, seconds duration, int64 as string, enum names.
    assert_eq!(json["traceId"], "ASNFZ4mrze8P7cuph2VDIQ==");
    assert_eq!(json["spanId"], "AAAAAAAAAAI=");
    assert_eq!(json["operationName"], "HTTP GET /api/v1/resource/0");
    assert_eq!(json["startTime"], "2023-11-14T22:13:20Z");
    assert_eq!(json["duration"], "0.001234s");
    assert_eq!(json["flags"], 1);
    assert_eq!(json["references"][0]["spanId"], "AAAAAAAAAAE=");
    assert!(
        json["references"][0].get("refType").is_none(),
        "CHILD_OF is the default, omitted"
    );
    assert_eq!(json["tags"][3]["vType"], "INT64");
    assert_eq!(json["tags"][3]["vInt64"], "200");
    assert!(
        json["tags"][0].get("vType").is_none(),
        "STRING is the default, omitted"
    );
    assert_eq!(json["process"]["serviceName"], "frontend");
}

#[test]
fn eight_byte_trace_ids_are_widened_on_read() {
    let mut span = sample_span();
    span.trace_id = 7u64.to_be_bytes().to_vec();
    let decoded = kafka::decode_protobuf(&kafka::encode_protobuf(&span)).unwrap();
    assert_eq!(decoded.trace_id, TraceId::new(0, 7).to_bytes().to_vec());
    let decoded = kafka::decode_json(&kafka::encode_json(&span)).unwrap();
    assert_eq!(decoded.trace_id, TraceId::new(0, 7).to_bytes().to_vec());
}

#[test]
fn message_key_is_the_hex_trace_id() {
    let span = sample_span();
    assert_eq!(
        kafka::message_key(&span).unwrap(),
        "0123456789abcdef0fedcba987654321"
    );
}

#[test]
fn bad_messages_are_typed_errors() {
    // Protobuf has no terminator: a cut at a field boundary is a shorter valid message, a cut
    // inside a field is an error. Either way no prefix may read back as the whole span.
    let span = sample_span();
    let good = kafka::encode_protobuf(&span);
    let mut errors = 0;
    for length in 0..good.len() {
        match kafka::decode_protobuf(&good[..length]) {
            Ok(decoded) => assert_ne!(decoded, span, "prefix {length}"),
            Err(_) => errors += 1,
        }
    }
    assert!(
        errors > good.len() / 2,
        "most cuts land inside a field: {errors}"
    );
    let mut wrong_id = sample_span();
    wrong_id.trace_id = vec![1, 2, 3];
    assert!(matches!(
        kafka::decode_protobuf(&kafka::encode_protobuf(&wrong_id)),
        Err(DecodeError::InvalidId { kind: "trace", .. })
    ));
    wrong_id.trace_id = TraceId::new(0, 1).to_bytes().to_vec();
    wrong_id.span_id = vec![1];
    assert!(matches!(
        kafka::decode_json(&kafka::encode_json(&wrong_id)),
        Err(DecodeError::InvalidId { kind: "span", .. })
    ));
    // Wrong JSON types, truncated JSON, invalid UTF-8.
    assert!(matches!(
        kafka::decode_json(br#"{"traceId": 5}"#),
        Err(DecodeError::Json(_))
    ));
    assert!(matches!(
        kafka::decode_json(br#"{"operationName": "x""#),
        Err(DecodeError::Json(_))
    ));
    assert!(matches!(
        kafka::decode_json(b"{\"operationName\": \"\xff\"}"),
        Err(DecodeError::Json(_))
    ));
    // A protobuf string field holding invalid UTF-8 (field 3, length 1, 0xff).
    assert!(matches!(
        kafka::decode_protobuf(&[0x1a, 1, 0xff]),
        Err(DecodeError::Protobuf(_))
    ));
    // An absurd length prefix.
    assert!(kafka::decode_protobuf(&[0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
}

#[test]
fn encoding_names_match_jaeger_flags() {
    assert_eq!("protobuf".parse::<Encoding>(), Ok(Encoding::Protobuf));
    assert_eq!("json".parse::<Encoding>(), Ok(Encoding::Json));
    assert!("zipkin-thrift".parse::<Encoding>().is_err());
}

#[test]
fn normalized_protobuf_keeps_ready_payloads_and_rewrites_the_others() {
    use bytes::Bytes;
    let span = sample_span();
    let ready = Bytes::from(kafka::encode_protobuf(&span));
    let kept =
        kafka::normalized_protobuf(&ready, Encoding::Protobuf, &mut Default::default()).unwrap();
    let kept = kept.bytes();
    assert_eq!(
        kept.as_ptr(),
        ready.as_ptr(),
        "the payload itself, not a copy"
    );

    // An 8-byte trace id (older Jaeger clients) is widened, as decode_protobuf widens it.
    let mut short = span.clone();
    short.trace_id = 7u64.to_be_bytes().to_vec();
    let short = Bytes::from(kafka::encode_protobuf(&short));
    let widened =
        kafka::normalized_protobuf(&short, Encoding::Protobuf, &mut Default::default()).unwrap();
    let widened = widened.bytes();
    assert_ne!(*widened, short);
    assert_eq!(
        kafka::decode_protobuf(widened).unwrap(),
        kafka::decode_protobuf(&short).unwrap()
    );
    assert_eq!(
        <Span as prost::Message>::decode(widened.as_ref())
            .unwrap()
            .trace_id,
        TraceId::new(0, 7).to_bytes().to_vec()
    );

    let json = Bytes::from(kafka::encode_json(&span));
    let from_json =
        kafka::normalized_protobuf(&json, Encoding::Json, &mut Default::default()).unwrap();
    assert_eq!(kafka::decode_protobuf(from_json.bytes()).unwrap(), span);

    let garbage = Bytes::from_static(&[0x0a, 0x05, 0x01]);
    assert!(
        kafka::normalized_protobuf(&garbage, Encoding::Protobuf, &mut Default::default()).is_err()
    );
}
