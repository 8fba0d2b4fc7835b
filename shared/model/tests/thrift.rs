//! Jaeger Thrift decoders: round trips through an independent writer (property tests) and bad
//! input of every kind, which must produce a typed error and never a panic.
#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected input

use proptest::collection::vec;
use proptest::prelude::*;
use spur_model::api_v2::{Batch, Span, SpanRef, SpanRefType};
use spur_model::testing;
use spur_model::thrift::writer::{ThriftProtocol, encode_agent_message, encode_batch};
use spur_model::thrift::{
    decode_agent_binary, decode_agent_compact, decode_batch_binary, decode_batch_compact,
};
use spur_model::{DecodeError, SpanId, TraceId};

/// Batches as Thrift carries them: one process per batch and no span warnings.
fn batch_strategy() -> impl Strategy<Value = Batch> {
    (testing::process(), vec(testing::span(), 0..4)).prop_map(|(process, spans)| Batch {
        spans: spans
            .into_iter()
            .map(|span| Span {
                process: None,
                warnings: Vec::new(),
                ..span
            })
            .collect(),
        process: Some(process),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn agent_datagrams_round_trip_in_both_protocols(batch in batch_strategy()) {
        let compact = encode_agent_message(&batch, ThriftProtocol::Compact);
        prop_assert_eq!(&decode_agent_compact(&compact).unwrap().batch, &batch);
        let binary = encode_agent_message(&batch, ThriftProtocol::Binary);
        prop_assert_eq!(&decode_agent_binary(&binary).unwrap().batch, &batch);
    }

    #[test]
    fn bare_batches_round_trip_in_both_protocols(batch in batch_strategy()) {
        let binary = encode_batch(&batch, ThriftProtocol::Binary);
        prop_assert_eq!(&decode_batch_binary(&binary).unwrap().batch, &batch);
        let compact = encode_batch(&batch, ThriftProtocol::Compact);
        prop_assert_eq!(&decode_batch_compact(&compact).unwrap().batch, &batch);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        let _ = decode_agent_compact(&bytes);
        let _ = decode_agent_binary(&bytes);
        let _ = decode_batch_binary(&bytes);
        let _ = decode_batch_compact(&bytes);
    }

    #[test]
    fn corrupted_datagrams_never_panic(index in 0usize..400, byte in any::<u8>()) {
        let batch = testing::sample_batch(2);
        for protocol in [ThriftProtocol::Compact, ThriftProtocol::Binary] {
            let mut datagram = encode_agent_message(&batch, protocol);
            let position = index % datagram.len();
            datagram[position] = byte;
            let _ = decode_agent_compact(&datagram);
            let _ = decode_agent_binary(&datagram);
        }
    }
}

/// A bare binary batch of one span written field by field, with `parentSpanId` = 3 and the
/// given references list (none when `references` is empty).
fn binary_batch_with_parent(references: &[(i32, i64, i64, i64)]) -> Vec<u8> {
    let mut out = vec![
        12, 0, 1, 11, 0, 1, 0, 0, 0, 1, b's', 0, 15, 0, 2, 12, 0, 0, 0, 1,
    ];
    let i64_field = |out: &mut Vec<u8>, id: u8, value: i64| {
        out.extend_from_slice(&[10, 0, id]);
        out.extend_from_slice(&value.to_be_bytes());
    };
    i64_field(&mut out, 1, 5); // traceIdLow
    i64_field(&mut out, 2, 0); // traceIdHigh
    i64_field(&mut out, 3, 9); // spanId
    i64_field(&mut out, 4, 3); // parentSpanId
    out.extend_from_slice(&[11, 0, 5, 0, 0, 0, 2, b'o', b'p']);
    if !references.is_empty() {
        out.extend_from_slice(&[15, 0, 6, 12]);
        out.extend_from_slice(&(references.len() as i32).to_be_bytes());
        for &(ref_type, low, high, span) in references {
            out.extend_from_slice(&[8, 0, 1]);
            out.extend_from_slice(&ref_type.to_be_bytes());
            i64_field(&mut out, 2, low);
            i64_field(&mut out, 3, high);
            i64_field(&mut out, 4, span);
            out.push(0);
        }
    }
    out.extend_from_slice(&[8, 0, 7, 0, 0, 0, 1]);
    i64_field(&mut out, 8, 1_700_000_000_000_001);
    i64_field(&mut out, 9, 42);
    out.extend_from_slice(&[0, 0]);
    out
}

#[test]
fn parent_span_id_becomes_a_leading_child_of_reference() {
    let trace = TraceId::new(0, 5);
    let span = &decode_batch_binary(&binary_batch_with_parent(&[]))
        .unwrap()
        .batch
        .spans[0];
    assert_eq!(
        span.references,
        vec![SpanRef::new(trace, SpanId(3), SpanRefType::ChildOf)]
    );
    assert_eq!(span.parent_span_id(), Some(SpanId(3)));

    // Prepended before existing references to other spans...
    let payload = binary_batch_with_parent(&[(1, 5, 0, 8)]);
    let span = &decode_batch_binary(&payload).unwrap().batch.spans[0];
    assert_eq!(
        span.references,
        vec![
            SpanRef::new(trace, SpanId(3), SpanRefType::ChildOf),
            SpanRef::new(trace, SpanId(8), SpanRefType::FollowsFrom),
        ]
    );
    // ...and not added when a reference to the parent is already there.
    let payload = binary_batch_with_parent(&[(1, 5, 0, 3)]);
    let span = &decode_batch_binary(&payload).unwrap().batch.spans[0];
    assert_eq!(
        span.references,
        vec![SpanRef::new(trace, SpanId(3), SpanRefType::FollowsFrom)]
    );
    assert_eq!(span.start_time.unwrap().seconds, 1_700_000_000);
    assert_eq!(span.start_time.unwrap().nanos, 1_000);
    assert_eq!(span.duration.unwrap().nanos, 42_000);
}

#[test]
fn every_truncation_is_a_typed_error() {
    let batch = testing::sample_batch(3);
    for protocol in [ThriftProtocol::Compact, ThriftProtocol::Binary] {
        let datagram = encode_agent_message(&batch, protocol);
        let decode = match protocol {
            ThriftProtocol::Compact => decode_agent_compact,
            ThriftProtocol::Binary => decode_agent_binary,
        };
        assert!(decode(&datagram).is_ok());
        for length in 0..datagram.len() {
            assert!(
                decode(&datagram[..length]).is_err(),
                "{protocol:?} prefix of {length} bytes"
            );
        }
    }
}

#[test]
fn absurd_list_length_is_rejected_without_allocating() {
    // emitBatch message, args field 1 (struct), Batch field 2: list of structs claiming 2^31 items.
    let mut datagram = vec![0x82, 0x81, 0x00, 9];
    datagram.extend_from_slice(b"emitBatch");
    datagram.extend_from_slice(&[0x1c, 0x29, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08]);
    let error = decode_agent_compact(&datagram).unwrap_err();
    assert!(
        matches!(error, DecodeError::InvalidLength { .. }),
        "{error}"
    );

    // Binary bare batch: field 2 list<struct> with count i32::MAX.
    let body = [15, 0, 2, 12, 0x7f, 0xff, 0xff, 0xff];
    let error = decode_batch_binary(&body).unwrap_err();
    assert!(
        matches!(error, DecodeError::InvalidLength { .. }),
        "{error}"
    );

    // A string claiming more bytes than the payload holds.
    let body = [11, 0, 5, 0x7f, 0xff, 0xff, 0xff, b'x'];
    assert!(matches!(
        decode_batch_binary(&body),
        Err(DecodeError::InvalidLength { .. })
    ));
    // A negative string length.
    let body = [11, 0, 5, 0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        decode_batch_binary(&body),
        Err(DecodeError::InvalidLength { .. })
    ));
}

#[test]
fn invalid_utf8_is_rejected() {
    let mut batch = testing::sample_batch(1);
    batch.spans[0].operation_name = "MARKER".into();
    for protocol in [ThriftProtocol::Compact, ThriftProtocol::Binary] {
        let mut datagram = encode_agent_message(&batch, protocol);
        let at = datagram.windows(6).position(|w| w == b"MARKER").unwrap();
        datagram[at] = 0xff;
        let decode = match protocol {
            ThriftProtocol::Compact => decode_agent_compact,
            ThriftProtocol::Binary => decode_agent_binary,
        };
        assert_eq!(
            decode(&datagram).unwrap_err(),
            DecodeError::InvalidUtf8 {
                field: "Span.operationName"
            }
        );
    }
}

#[test]
fn wrong_types_are_rejected() {
    // Batch.spans as a list of i32 instead of structs.
    let body = [
        12, 0, 1, 11, 0, 1, 0, 0, 0, 1, b's', 0, 15, 0, 2, 8, 0, 0, 0, 1, 0, 0, 0, 7, 0,
    ];
    let error = decode_batch_binary(&body).unwrap_err();
    assert!(matches!(error, DecodeError::Malformed { .. }), "{error}");

    // Process.serviceName sent as an i32: skipped like Jaeger does, then reported missing.
    let body = [
        12, 0, 1, 8, 0, 1, 0, 0, 0, 7, 0, 15, 0, 2, 12, 0, 0, 0, 0, 0,
    ];
    assert_eq!(
        decode_batch_binary(&body).unwrap_err(),
        DecodeError::MissingField {
            field: "Process.serviceName"
        }
    );

    // An unknown type code.
    let body = [0x77, 0, 1];
    assert!(matches!(
        decode_batch_binary(&body),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn missing_required_fields_are_named() {
    // A batch without spans.
    let body = [12, 0, 1, 11, 0, 1, 0, 0, 0, 1, b's', 0, 0];
    assert_eq!(
        decode_batch_binary(&body).unwrap_err(),
        DecodeError::MissingField {
            field: "Batch.spans"
        }
    );
    // A span struct with no fields at all.
    let body = [
        12, 0, 1, 11, 0, 1, 0, 0, 0, 1, b's', 0, 15, 0, 2, 12, 0, 0, 0, 1, 0, 0,
    ];
    assert_eq!(
        decode_batch_binary(&body).unwrap_err(),
        DecodeError::MissingField {
            field: "Span.traceIdLow"
        }
    );
}

#[test]
fn wrong_envelopes_are_rejected() {
    let batch = testing::sample_batch(1);
    let compact = encode_agent_message(&batch, ThriftProtocol::Compact);
    // A compact datagram sent to the binary port, and the reverse.
    assert!(decode_agent_binary(&compact).is_err());
    let binary = encode_agent_message(&batch, ThriftProtocol::Binary);
    assert!(decode_agent_compact(&binary).is_err());
    // emitZipkinBatch is not a Jaeger batch.
    let mut renamed = compact.clone();
    let at = renamed.windows(9).position(|w| w == b"emitBatch").unwrap();
    renamed[at..at + 9].copy_from_slice(b"emitBatcX");
    let error = decode_agent_compact(&renamed).unwrap_err();
    assert!(error.to_string().contains("emitBatcX"), "{error}");
}

#[test]
fn deep_nesting_in_unknown_fields_is_bounded() {
    // Batch with an unknown field 9 holding lists nested 10,000 deep.
    let mut body = vec![15, 0, 9];
    for _ in 0..10_000 {
        body.extend_from_slice(&[15, 0, 0, 0, 1]);
    }
    let error = decode_batch_binary(&body).unwrap_err();
    assert!(matches!(error, DecodeError::Malformed { .. }), "{error}");
}

#[test]
fn oversized_garbage_is_an_error() {
    let garbage: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(decode_agent_compact(&garbage).is_err());
    assert!(decode_agent_binary(&garbage).is_err());
    assert!(decode_batch_binary(&garbage).is_err());
}

#[test]
fn client_stats_and_seq_no_are_kept() {
    // Bare binary batch: process, empty spans, seqNo 7, stats {1,2,3}.
    let body = [
        12, 0, 1, 11, 0, 1, 0, 0, 0, 1, b's', 0, // process
        15, 0, 2, 12, 0, 0, 0, 0, // spans: empty list
        10, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, // seqNo
        12, 0, 4, 10, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 10, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 10, 0, 3, 0,
        0, 0, 0, 0, 0, 0, 3, 0, // stats
        0,
    ];
    let decoded = decode_batch_binary(&body).unwrap();
    assert_eq!(decoded.seq_no, Some(7));
    let stats = decoded.stats.unwrap();
    assert_eq!(
        (
            stats.full_queue_dropped_spans,
            stats.too_large_dropped_spans,
            stats.failed_to_emit_spans
        ),
        (1, 2, 3)
    );
    assert_eq!(decoded.batch.process.unwrap().service_name, "s");
}
