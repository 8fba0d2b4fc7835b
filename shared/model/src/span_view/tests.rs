//! The view against prost: property tests on valid and damaged bytes, and the edge cases.

use bytes::Bytes;
use proptest::prelude::*;
use prost::Message;

use super::*;
use crate::api_v2::{KeyValue, Log, Process, Span, SpanRef};
use crate::kafka::decode_protobuf;

/// What the view must agree with: the decoded span's fields, read as storage reads them.
fn expected_tags(span: &Span) -> Vec<(String, String)> {
    let process_tags = span.process.iter().flat_map(|p| p.tags.iter());
    let log_fields = span.logs.iter().flat_map(|log| log.fields.iter());
    span.tags
        .iter()
        .chain(process_tags)
        .chain(log_fields)
        .map(|tag| (tag.key.clone(), value_string(tag)))
        .collect()
}

fn value_string(tag: &KeyValue) -> String {
    match tag.v_type {
        1 => tag.v_bool.to_string(),
        2 => tag.v_int64.to_string(),
        3 => tag.v_float64.to_string(),
        4 => tag.v_binary.iter().map(|b| format!("{b:02x}")).collect(),
        _ => tag.v_str.clone(),
    }
}

fn viewed_tags(view: &SpanView<'_>) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    view.for_each_searchable_tag(|tag| {
        let mut value = Vec::new();
        tag.value.write_to(&mut value);
        let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
        tags.push((text(tag.key), text(&value)));
    });
    tags
}

fn assert_agrees(span: &Span, view: &SpanView<'_>) {
    assert_eq!(Ok(view.trace_id), span.trace_id());
    assert_eq!(Ok(view.span_id), span.span_id());
    assert_eq!(view.operation_name, span.operation_name);
    let start = span.start_time.as_ref().map(micros_from_timestamp);
    assert_eq!(view.start_micros, start.unwrap_or(0));
    let duration = span.duration.as_ref().map(micros_from_duration);
    assert_eq!(view.duration_micros, duration.unwrap_or(0));
    assert_eq!(
        view.service_name,
        span.process.as_ref().map(|p| p.service_name.as_str())
    );
    let kind = span.tags.iter().find(|tag| tag.key == "span.kind");
    assert_eq!(view.span_kind, kind.map(|t| t.v_str.as_str()).unwrap_or(""));
    let (mut viewed, mut expected) = (viewed_tags(view), expected_tags(span));
    viewed.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    expected.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    assert_eq!(viewed, expected);
    assert_eq!(view.parent_span_id(), span.parent_span_id());
}

proptest! {
    #[test]
    fn the_view_reads_what_prost_decodes(span in crate::testing::span()) {
        let bytes = span.encode_to_vec();
        let view = SpanView::parse(&bytes).expect("an encoded span is viewed");
        assert_agrees(&span, &view);
        let encoded = EncodedSpan::parse(Bytes::from(bytes.clone())).expect("viewed");
        prop_assert_eq!(encoded.view(), view);
        let normalized = decode_protobuf(&bytes);
        prop_assert_eq!(view.kafka_ready, normalized.as_ref().ok() == Some(&span));
        // Checked again with a memory of processes: the first time checks it, the second
        // takes it as checked; both read the same.
        let mut checked = CheckedProcesses::default();
        prop_assert_eq!(SpanView::parse_with(&bytes, &mut checked), Some(view));
        prop_assert_eq!(SpanView::parse_with(&bytes, &mut checked), Some(view));
    }

    /// Whatever the view accepts, prost decodes to the same fields: truncated and altered
    /// bytes are either declined or read alike.
    #[test]
    fn damaged_bytes_are_declined_or_read_as_prost_reads_them(
        span in crate::testing::span(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = span.encode_to_vec();
        let at = flip.index(bytes.len().max(1));
        if let Some(target) = bytes.get_mut(at) {
            *target = byte;
        }
        // Processes remembered from the undamaged span: damaged bytes whose process is intact
        // are read as without the memory, a damaged process is checked and declined.
        let mut checked = CheckedProcesses::default();
        let _ = SpanView::parse_with(&span.encode_to_vec(), &mut checked);
        for bytes in [&bytes[..cut.index(bytes.len() + 1)], &bytes[..]] {
            prop_assert_eq!(SpanView::parse_with(bytes, &mut checked), SpanView::parse(bytes));
            if let Some(view) = SpanView::parse(bytes) {
                let decoded = Span::decode(bytes).expect("prost decodes what the view accepts");
                assert_agrees(&decoded, &view);
                if view.kafka_ready {
                    prop_assert_eq!(decode_protobuf(bytes).ok(), Some(decoded));
                }
            }
        }
    }
}

fn span() -> Span {
    Span {
        trace_id: TraceId::new(1, 2).to_bytes().to_vec(),
        span_id: SpanId(3).to_bytes().to_vec(),
        operation_name: "op".into(),
        start_time: Some(Timestamp::default()),
        duration: Some(Duration::default()),
        process: Some(Process {
            service_name: "svc".into(),
            tags: vec![KeyValue::bool("p", true)],
        }),
        tags: vec![
            KeyValue::string("span.kind", "server"),
            KeyValue::binary("b", vec![0xab, 1]),
        ],
        logs: vec![Log {
            timestamp: Some(Timestamp::default()),
            fields: vec![KeyValue::float64("f", 1.5)],
        }],
        references: vec![
            SpanRef::new(TraceId::new(1, 2), SpanId(9), SpanRefType::FollowsFrom),
            SpanRef::new(TraceId::new(7, 7), SpanId(7), SpanRefType::ChildOf),
            SpanRef::new(TraceId::new(1, 2), SpanId(8), SpanRefType::ChildOf),
        ],
        ..Default::default()
    }
}

#[test]
fn tags_read_in_encoded_order_with_their_values_formatted() {
    let bytes = span().encode_to_vec();
    let view = SpanView::parse(&bytes).unwrap();
    assert!(view.kafka_ready);
    assert_eq!(view.span_kind, "server");
    assert_eq!(
        view.parent_span_id(),
        Some(SpanId(8)),
        "the first CHILD_OF in the trace"
    );
    let tags = viewed_tags(&view);
    let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        pairs,
        [
            ("span.kind", "server"),
            ("b", "ab01"),
            ("f", "1.5"),
            ("p", "true")
        ]
    );
}

#[test]
fn an_encoded_span_keeps_what_its_view_read() {
    let bytes = Bytes::from(span().encode_to_vec());
    let encoded = EncodedSpan::parse(bytes.clone()).unwrap();
    assert_eq!(encoded.view(), SpanView::parse(&bytes).unwrap());
    assert_eq!(encoded.view().parent_span_id(), Some(SpanId(8)));
    let declined = Bytes::from_static(&[0x68, 0x01]);
    assert_eq!(EncodedSpan::parse(declined.clone()), Err(declined));
}

#[test]
fn spans_decode_protobuf_would_change_are_not_kafka_ready() {
    let short_trace = Span {
        trace_id: 2u64.to_be_bytes().to_vec(),
        ..span()
    };
    let no_start = Span {
        start_time: None,
        ..span()
    };
    let bad_reference = Span {
        references: vec![SpanRef {
            trace_id: vec![1, 2, 3],
            ..Default::default()
        }],
        ..span()
    };
    for changed in [short_trace, no_start, bad_reference] {
        let bytes = changed.encode_to_vec();
        let view = SpanView::parse(&bytes).unwrap();
        assert!(!view.kafka_ready, "{changed:?}");
    }
    let short = Span {
        trace_id: 2u64.to_be_bytes().to_vec(),
        ..span()
    }
    .encode_to_vec();
    assert_eq!(
        SpanView::parse(&short).unwrap().trace_id,
        TraceId::new(0, 2)
    );
}

#[test]
fn unknown_repeated_and_malformed_fields_are_declined() {
    let bytes = span().encode_to_vec();
    let unknown = [bytes.as_slice(), &[0x68, 0x01]].concat(); // field 13, varint
    let operation_twice = [bytes.as_slice(), &[0x1a, 0x01, b'x']].concat();
    let bad_utf8 = [bytes.as_slice(), &[0x62, 0x01, 0xff]].concat(); // warnings: 0xff
    let bad_span_id = Span {
        span_id: vec![1],
        ..span()
    }
    .encode_to_vec();
    for declined in [unknown, operation_twice, bad_utf8, bad_span_id] {
        assert_eq!(SpanView::parse(&declined), None);
    }
    assert_eq!(SpanView::parse(&bytes[..bytes.len() - 1]), None);
    assert!(SpanView::parse(&[]).is_none(), "no ids");
}

#[test]
fn a_process_is_checked_once_per_memory_and_only_its_very_bytes_are_taken_as_checked() {
    let mut checked = CheckedProcesses::default();
    let first = span().encode_to_vec();
    let view = SpanView::parse_with(&first, &mut checked).unwrap();
    assert_eq!((view.service_name, checked.len()), (Some("svc"), 1));
    // The same process again: remembered, not added.
    assert_eq!(SpanView::parse_with(&first, &mut checked), Some(view));
    assert_eq!(checked.len(), 1);
    // Another process of the same service, with a tag value that is not UTF-8: checked, declined.
    let mut bad = span();
    bad.process = Some(Process {
        service_name: "svc".into(),
        tags: vec![KeyValue::string("p", "x")],
    });
    let mut bytes = bad.encode_to_vec();
    let at = bytes.iter().rposition(|&b| b == b'x').unwrap();
    bytes[at] = 0xff;
    assert_eq!(SpanView::parse_with(&bytes, &mut checked), None);
    assert_eq!(checked.len(), 1);
    // A process without a service name is remembered with an empty one.
    let mut nameless = span();
    nameless.process = Some(Process::default());
    let bytes = nameless.encode_to_vec();
    let view = SpanView::parse_with(&bytes, &mut checked).unwrap();
    assert_eq!(view.service_name, Some(""));
    assert_eq!(SpanView::parse_with(&bytes, &mut checked), Some(view));
    assert_eq!(checked.len(), 2);
}
