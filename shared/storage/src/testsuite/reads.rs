//! Checks of `get_trace`: a stored trace comes back whole with every span's process, an unknown
//! id is `None`, and a time window never loses the spans inside it.

use spur_model::api_v2::KeyValue;

use super::Harness;
use super::fixtures::{Data, SECOND, assert_same_spans, get_trace, trace_id_of, write};
use crate::GetTraceQuery;
use crate::matching::{service_name, start_micros};

pub(super) async fn get_trace_returns_every_span_with_its_process(harness: Harness) {
    let data = Data::for_check("get_trace_returns_every_span_with_its_process");
    let (frontend, backend) = (data.service("frontend"), data.service("backend"));
    let spans = vec![
        data.span(1, 1)
            .service(&frontend)
            .operation("GET /dispatch")
            .kind("server")
            .process_tag(KeyValue::string("ip", "10.0.0.1"))
            .tag(KeyValue::bool("sampler.param", true))
            .tag(KeyValue::int64("http.status_code", 200))
            .tag(KeyValue::float64("weight", 0.25))
            .tag(KeyValue::binary("payload", vec![0, 1, 254, 255]))
            .log(data.base + 10, vec![KeyValue::string("event", "start")])
            .build(),
        data.span(1, 2)
            .service(&backend)
            .operation("SELECT")
            .kind("client")
            .start(data.base + 100)
            .duration(500)
            .child_of(1)
            .process_tag(KeyValue::string("hostname", "host-b"))
            .log(
                data.base + 150,
                vec![
                    KeyValue::string("event", "query"),
                    KeyValue::int64("rows", 3),
                ],
            )
            .log(data.base + 120, vec![KeyValue::string("event", "connect")])
            .build(),
        data.span(1, 3)
            .service(&frontend)
            .operation("render")
            .start(data.base + 700)
            .child_of(1)
            .build(),
    ];
    let other = vec![data.span(2, 1).service(&frontend).build()];
    write(&harness, &spans).await;
    write(&harness, &other).await;

    let trace = get_trace(&harness, data.trace_id(1))
        .await
        .expect("a written trace is found");
    assert_same_spans(&trace, &spans, "get_trace");
    for span in &trace {
        let process = span
            .process
            .as_ref()
            .expect("every span read carries its process");
        let written = spans.iter().find(|written| written.span_id == span.span_id);
        let expected = written.map(service_name).unwrap_or_default();
        assert_eq!(
            process.service_name, expected,
            "the process of span {:?}",
            span.span_id
        );
    }
    let other_trace = get_trace(&harness, data.trace_id(2))
        .await
        .expect("the second trace");
    assert_same_spans(&other_trace, &other, "get_trace of a second trace");
}

pub(super) async fn get_trace_of_an_unknown_id_is_none(harness: Harness) {
    let data = Data::for_check("get_trace_of_an_unknown_id_is_none");
    assert!(
        get_trace(&harness, data.trace_id(1)).await.is_none(),
        "an empty store finds nothing"
    );
    write(&harness, &[data.span(1, 1).build()]).await;
    assert!(
        get_trace(&harness, data.trace_id(2)).await.is_none(),
        "an unknown id is None"
    );
    let query = GetTraceQuery {
        trace_id: data.trace_id(3),
        start_time_min: Some(data.base - SECOND),
        start_time_max: Some(data.base + SECOND),
    };
    let found = harness
        .reader
        .get_trace(query)
        .await
        .expect("an unknown id is not an error");
    assert!(found.is_none(), "an unknown id within a window is None");
}

pub(super) async fn get_trace_within_a_time_window(harness: Harness) {
    let data = Data::for_check("get_trace_within_a_time_window");
    let spans: Vec<_> = (0..3)
        .map(|n| {
            data.span(1, n + 1)
                .start(data.base + i64::try_from(n).unwrap_or(0) * SECOND)
                .build()
        })
        .collect();
    write(&harness, &spans).await;

    let whole = GetTraceQuery {
        trace_id: data.trace_id(1),
        start_time_min: Some(data.base),
        start_time_max: Some(data.base + 2 * SECOND),
    };
    let trace = harness
        .reader
        .get_trace(whole)
        .await
        .expect("get_trace with a window");
    assert_same_spans(
        &trace.expect("the trace is found"),
        &spans,
        "a window covering the trace",
    );

    // A window around the middle span: at least that span, nothing foreign.
    let middle = GetTraceQuery {
        trace_id: data.trace_id(1),
        start_time_min: Some(data.base + SECOND),
        start_time_max: Some(data.base + SECOND),
    };
    let trace = harness
        .reader
        .get_trace(middle)
        .await
        .expect("get_trace with a window");
    let trace = trace.expect("a window holding one span finds the trace");
    assert!(
        trace
            .iter()
            .any(|span| start_micros(span) == data.base + SECOND),
        "the span starting inside the window is returned"
    );
    for span in &trace {
        assert_eq!(
            trace_id_of(span),
            data.trace_id(1),
            "only spans of the trace are returned"
        );
        let written = spans.iter().find(|written| written.span_id == span.span_id);
        let written = written.expect("every span returned was written");
        assert_same_spans(
            std::slice::from_ref(span),
            std::slice::from_ref(written),
            "a window",
        );
    }
}
