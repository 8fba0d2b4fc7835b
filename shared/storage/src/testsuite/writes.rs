//! Checks of the write side: spans of a trace arriving in pieces and out of order, at-least-once
//! delivery not duplicating spans, Zipkin-style shared span ids, batches lending their process,
//! rejection of invalid spans (nothing of the write stored), a 10,000-span trace, and spans
//! written as protobuf bytes reading back as written.

use bytes::Bytes;
use prost::Message as _;
use spur_model::api_v2::{Batch, KeyValue, Process, Span};
use spur_model::span_view::EncodedSpan;

use super::Harness;
use super::fixtures::{Data, assert_same_spans, assert_traces, find, get_trace, ids_of, write};
use crate::ErrorKind;

pub(super) async fn spans_of_one_trace_in_several_writes_out_of_order(harness: Harness) {
    let data = Data::for_check("spans_of_one_trace_in_several_writes_out_of_order");
    // A chain: span n is a child of span n - 1, started n ms after the root.
    let spans: Vec<Span> = (1..=20u64)
        .map(|n| {
            let span = data.span(1, n).operation(&format!("step-{n}"));
            let span = span.start(data.base + i64::try_from(n).unwrap_or(0) * 1_000);
            if n == 1 {
                span.build()
            } else {
                span.child_of(n - 1).build()
            }
        })
        .collect();
    // Children before parents, in four writes of different sizes.
    let mut arriving = spans.clone();
    arriving.reverse();
    for piece in [
        &arriving[..7],
        &arriving[7..10],
        &arriving[10..16],
        &arriving[16..],
    ] {
        write(&harness, piece).await;
    }

    let trace = get_trace(&harness, data.trace_id(1))
        .await
        .expect("the trace is found");
    assert_same_spans(&trace, &spans, "a trace written in pieces");
    let found = find(&harness, &data.query(&data.service("svc"))).await;
    assert_traces(
        &found,
        &[&spans],
        "find_traces over a trace written in pieces",
    );
}

pub(super) async fn the_same_span_written_twice_reads_back_once(harness: Harness) {
    let data = Data::for_check("the_same_span_written_twice_reads_back_once");
    let first = data.span(1, 1).tag(KeyValue::float64("ratio", 0.5)).build();
    let second = data.span(1, 2).start(data.base + 10).child_of(1).build();
    write(&harness, &[first.clone(), second.clone()]).await;
    // Redelivery, alone, twice in one write, and through a batch.
    write(&harness, std::slice::from_ref(&first)).await;
    write(&harness, &[second.clone(), second.clone()]).await;
    let batch = Batch {
        spans: vec![first.clone()],
        process: None,
    };
    harness
        .writer
        .write_batch(batch)
        .await
        .expect("write_batch of a span with its process");

    let expected = [first, second];
    let trace = get_trace(&harness, data.trace_id(1))
        .await
        .expect("the trace is found");
    assert_same_spans(&trace, &expected, "a span delivered several times");
    let query = data.query(&data.service("svc"));
    assert_traces(
        &find(&harness, &query).await,
        &[&expected],
        "find_traces after redelivery",
    );
    let trace_ids = harness
        .reader
        .find_trace_ids(&query)
        .await
        .expect("find_trace_ids");
    assert_eq!(
        trace_ids,
        vec![data.trace_id(1)],
        "find_trace_ids after redelivery"
    );
}

pub(super) async fn different_spans_sharing_a_span_id_are_both_kept(harness: Harness) {
    let data = Data::for_check("different_spans_sharing_a_span_id_are_both_kept");
    let (frontend, backend) = (data.service("frontend"), data.service("backend"));
    // Zipkin's shared span: the client and the server side of one call share its id.
    let client = data
        .span(1, 7)
        .service(&frontend)
        .operation("GET /api")
        .kind("client")
        .duration(900)
        .build();
    let server = data
        .span(1, 7)
        .service(&backend)
        .operation("GET /api")
        .kind("server")
        .start(data.base + 100)
        .duration(700)
        .build();
    write(&harness, std::slice::from_ref(&client)).await;
    write(&harness, std::slice::from_ref(&server)).await;
    write(&harness, std::slice::from_ref(&client)).await;

    let expected = [client, server];
    let trace = get_trace(&harness, data.trace_id(1))
        .await
        .expect("the trace is found");
    assert_same_spans(&trace, &expected, "two spans sharing an id");
    let found = find(&harness, &data.query(&backend)).await;
    assert_traces(
        &found,
        &[&expected],
        "find_traces by the server side's service",
    );
}

pub(super) async fn write_batch_fills_the_process(harness: Harness) {
    let data = Data::for_check("write_batch_fills_the_process");
    let batch_process = Process {
        service_name: data.service("batch"),
        tags: vec![
            KeyValue::string("hostname", "batch-host"),
            KeyValue::int64("pid", 42),
        ],
    };
    let bare = data.span(1, 1).without_process().build();
    let own = data
        .span(1, 2)
        .service(&data.service("own"))
        .start(data.base + 5)
        .build();
    let batch = Batch {
        spans: vec![bare.clone(), own.clone()],
        process: Some(batch_process.clone()),
    };
    harness
        .writer
        .write_batch(batch)
        .await
        .expect("write_batch succeeds");

    let mut filled = bare;
    filled.process = Some(batch_process);
    let expected = [filled, own];
    let trace = get_trace(&harness, data.trace_id(1))
        .await
        .expect("the trace is found");
    assert_same_spans(&trace, &expected, "a batch's spans");
    let found = find(&harness, &data.query(&data.service("batch"))).await;
    assert_traces(&found, &[&expected], "find_traces by the batch's service");
}

pub(super) async fn a_span_without_process_is_rejected(harness: Harness) {
    let data = Data::for_check("a_span_without_process_is_rejected");
    let valid = data.span(1, 1).build();
    let orphan = data.span(1, 2).without_process().build();
    let error = harness
        .writer
        .write_spans(vec![valid, orphan.clone()])
        .await
        .expect_err("a span without process is rejected");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");

    let batch = Batch {
        spans: vec![orphan],
        process: None,
    };
    let error = harness
        .writer
        .write_batch(batch)
        .await
        .expect_err("a batch without process");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    assert_nothing_stored(&harness, &data).await;
}

pub(super) async fn a_span_with_malformed_ids_is_rejected(harness: Harness) {
    let data = Data::for_check("a_span_with_malformed_ids_is_rejected");
    let mut bad_trace_id = data.span(1, 2).build();
    bad_trace_id.trace_id = vec![1, 2, 3];
    let mut bad_span_id = data.span(1, 3).build();
    bad_span_id.span_id = vec![1, 2, 3, 4];
    for bad in [bad_trace_id, bad_span_id] {
        let error = harness
            .writer
            .write_spans(vec![data.span(1, 1).build(), bad])
            .await
            .expect_err("a span with a malformed id is rejected");
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    }
    assert_nothing_stored(&harness, &data).await;
}

/// After rejected writes: the valid span that came with them is not stored either.
async fn assert_nothing_stored(harness: &Harness, data: &Data) {
    assert!(
        get_trace(harness, data.trace_id(1)).await.is_none(),
        "nothing of a rejected write is stored"
    );
    let found = find(harness, &data.query(&data.service("svc"))).await;
    assert!(
        ids_of(&found).is_empty(),
        "nothing of a rejected write is found"
    );
}

pub(super) async fn a_trace_of_10000_spans_reads_back_complete(harness: Harness) {
    let data = Data::for_check("a_trace_of_10000_spans_reads_back_complete");
    let spans: Vec<Span> = (1..=10_000u64)
        .map(|n| {
            let span = data
                .span(1, n)
                .operation(&format!("op-{}", n % 10))
                .start(data.base + i64::try_from(n).unwrap_or(0))
                .tag(KeyValue::int64("index", i64::try_from(n).unwrap_or(0)));
            if n == 1 {
                span.build()
            } else {
                span.child_of(n / 2).build()
            }
        })
        .collect();
    for batch in spans.chunks(500) {
        write(&harness, batch).await;
    }

    let trace = get_trace(&harness, data.trace_id(1))
        .await
        .expect("the large trace is found");
    assert_eq!(
        trace.len(),
        spans.len(),
        "every span of the large trace is read"
    );
    assert_same_spans(&trace, &spans, "a 10,000-span trace");
    let mut query = data.query(&data.service("svc"));
    query.operation_name = Some("op-3".into());
    query.tags = super::fixtures::tags(&[("index", "9993")]);
    let found = find(&harness, &query).await;
    assert_traces(
        &found,
        &[&spans],
        "find_traces returns the large trace whole",
    );
}

pub(super) async fn spans_written_encoded_read_back_as_written(harness: Harness) {
    let data = Data::for_check("spans_written_encoded_read_back_as_written");
    let root = data
        .span(1, 1)
        .kind("server")
        .tag(KeyValue::int64("http.status_code", 200))
        .process_tag(KeyValue::string("host", "a"))
        .log(data.base + 5, vec![KeyValue::string("event", "retry")])
        .build();
    let child = data.span(1, 2).start(data.base + 10).child_of(1).build();
    let encoded = |spans: &[&Span]| -> Vec<EncodedSpan> {
        spans
            .iter()
            .map(|span| {
                EncodedSpan::parse(Bytes::from(span.encode_to_vec()))
                    .expect("an encoded span is checked")
            })
            .collect()
    };
    harness
        .writer
        .write_encoded(encoded(&[&root, &child]))
        .await
        .expect("writing encoded spans succeeds");
    // Redelivered, encoded and decoded: still once.
    harness
        .writer
        .write_encoded(encoded(&[&child]))
        .await
        .expect("writing an encoded span again succeeds");
    write(&harness, std::slice::from_ref(&root)).await;

    let expected = [root, child];
    let trace = get_trace(&harness, data.trace_id(1))
        .await
        .expect("the trace is found");
    assert_same_spans(&trace, &expected, "spans written encoded");
    let mut query = data.query(&data.service("svc"));
    query.tags = super::fixtures::tags(&[("http.status_code", "200"), ("event", "retry")]);
    let found = find(&harness, &query).await;
    assert_traces(&found, &[&expected], "find_traces by tags of encoded spans");

    // A span without a process: the whole write is refused.
    let valid = data.span(2, 1).build();
    let orphan = data.span(2, 2).without_process().build();
    let error = harness
        .writer
        .write_encoded(encoded(&[&valid, &orphan]))
        .await
        .expect_err("a span without process is rejected");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    assert!(
        get_trace(&harness, data.trace_id(2)).await.is_none(),
        "nothing of a rejected write is stored"
    );
}
