//! Checks of tag conditions in `find_traces`: a `key = value` matches a span's tags, its process
//! tags or its log fields; typed values match by their string form; several tags must all hold
//! on one span.

use spur_model::api_v2::KeyValue;

use super::Harness;
use super::fixtures::{Data, NONE, SECOND, expect_found, tags, write};
use crate::TraceQuery;

/// The check's default service, queried with `pairs` as tags.
fn tag_query(data: &Data, pairs: &[(&str, &str)]) -> TraceQuery {
    TraceQuery {
        tags: tags(pairs),
        ..data.query(&data.service("svc"))
    }
}

pub(super) async fn find_traces_by_span_tag(harness: Harness) {
    let data = Data::for_check("find_traces_by_span_tag");
    let at = |seconds: i64| data.base + seconds * SECOND;
    let tagged = |trace: u64, seconds: i64, key: &str, value: &str| {
        vec![
            data.span(trace, 1)
                .start(at(seconds))
                .tag(KeyValue::string(key, value))
                .build(),
        ]
    };
    let t1 = tagged(1, 1, "customer", "alice");
    let t2 = tagged(2, 2, "customer", "bob");
    let t3 = tagged(3, 3, "vendor", "alice");
    let t4 = vec![
        data.span(4, 1)
            .service(&data.service("elsewhere"))
            .start(at(4))
            .tag(KeyValue::string("customer", "alice"))
            .build(),
    ];
    let t5 = tagged(5, 5, "customer", "alice");
    for trace in [&t1, &t2, &t3, &t4, &t5] {
        write(&harness, trace).await;
    }

    let alice = tag_query(&data, &[("customer", "alice")]);
    expect_found(&harness, &alice, &[&t5, &t1], "customer=alice").await;
    let bob = tag_query(&data, &[("customer", "bob")]);
    expect_found(&harness, &bob, &[&t2], "customer=bob").await;
    let carol = tag_query(&data, &[("customer", "carol")]);
    expect_found(&harness, &carol, NONE, "a value nobody has").await;
    let prefix = tag_query(&data, &[("customer", "ali")]);
    expect_found(
        &harness,
        &prefix,
        NONE,
        "a prefix of a value is not a match",
    )
    .await;
}

pub(super) async fn find_traces_by_process_tag(harness: Harness) {
    let data = Data::for_check("find_traces_by_process_tag");
    let at = |seconds: i64| data.base + seconds * SECOND;
    let on_host = |trace: u64, seconds: i64, ip: &str| {
        vec![
            data.span(trace, 1)
                .start(at(seconds))
                .process_tag(KeyValue::string("ip", ip))
                .build(),
        ]
    };
    let t1 = on_host(1, 1, "10.0.0.1");
    let t2 = on_host(2, 2, "10.0.0.2");
    let t3 = on_host(3, 3, "10.0.0.1");
    for trace in [&t1, &t2, &t3] {
        write(&harness, trace).await;
    }

    let first_host = tag_query(&data, &[("ip", "10.0.0.1")]);
    expect_found(&harness, &first_host, &[&t3, &t1], "process tag ip").await;
    // Every span's process carries hostname=host-a.
    let hostname = tag_query(&data, &[("hostname", "host-a")]);
    expect_found(
        &harness,
        &hostname,
        &[&t3, &t2, &t1],
        "process tag hostname",
    )
    .await;
    let both = tag_query(&data, &[("ip", "10.0.0.2"), ("hostname", "host-a")]);
    expect_found(&harness, &both, &[&t2], "two process tags").await;
}

pub(super) async fn find_traces_by_log_field(harness: Harness) {
    let data = Data::for_check("find_traces_by_log_field");
    let at = |seconds: i64| data.base + seconds * SECOND;
    let event = |value: &str| KeyValue::string("event", value);
    let t1 = vec![
        data.span(1, 1)
            .start(at(1))
            .log(at(1) + 5, vec![event("cache-miss")])
            .build(),
    ];
    let t2 = vec![
        data.span(2, 1)
            .start(at(2))
            .log(at(2) + 5, vec![event("cache-hit")])
            .build(),
    ];
    let t3 = vec![
        data.span(3, 1)
            .start(at(3))
            .log(at(3) + 5, vec![event("connect")])
            .log(
                at(3) + 9,
                vec![event("cache-miss"), KeyValue::string("level", "warn")],
            )
            .build(),
    ];
    for trace in [&t1, &t2, &t3] {
        write(&harness, trace).await;
    }

    let miss = tag_query(&data, &[("event", "cache-miss")]);
    expect_found(&harness, &miss, &[&t3, &t1], "log field event=cache-miss").await;
    let connect = tag_query(&data, &[("event", "connect")]);
    expect_found(
        &harness,
        &connect,
        &[&t3],
        "a field of the span's first log",
    )
    .await;
    let warn = tag_query(&data, &[("event", "cache-miss"), ("level", "warn")]);
    expect_found(&harness, &warn, &[&t3], "two fields of one log").await;
}

pub(super) async fn find_traces_by_typed_tag_values(harness: Harness) {
    let data = Data::for_check("find_traces_by_typed_tag_values");
    let at = |seconds: i64| data.base + seconds * SECOND;
    let with = |trace: u64, tag: KeyValue| {
        let seconds = i64::try_from(trace).unwrap_or(0);
        vec![data.span(trace, 1).start(at(seconds)).tag(tag).build()]
    };
    let t1 = with(1, KeyValue::bool("error", true));
    let t2 = with(2, KeyValue::int64("http.status_code", 503));
    let t3 = with(3, KeyValue::float64("ratio", 0.75));
    let t4 = with(4, KeyValue::binary("payload", vec![0xca, 0xfe]));
    let t5 = with(5, KeyValue::string("http.status_code", "503"));
    let t6 = with(6, KeyValue::bool("error", false));
    let t7 = with(7, KeyValue::int64("answer", -42));
    let t8 = vec![
        data.span(8, 1)
            .start(at(8))
            .log(at(8) + 1, vec![KeyValue::int64("retries", 3)])
            .build(),
    ];
    let t9 = vec![
        data.span(9, 1)
            .start(at(9))
            .process_tag(KeyValue::int64("pid", 1234))
            .build(),
    ];
    for trace in [&t1, &t2, &t3, &t4, &t5, &t6, &t7, &t8, &t9] {
        write(&harness, trace).await;
    }

    let cases = [
        (("error", "true"), vec![&t1]),
        (("error", "false"), vec![&t6]),
        // An int64 and a string tag with the same string form both match.
        (("http.status_code", "503"), vec![&t5, &t2]),
        (("http.status_code", "503.0"), vec![]),
        (("ratio", "0.75"), vec![&t3]),
        (("payload", "cafe"), vec![&t4]),
        (("answer", "-42"), vec![&t7]),
        (("retries", "3"), vec![&t8]),
        (("pid", "1234"), vec![&t9]),
    ];
    for ((key, value), expected) in &cases {
        let query = tag_query(&data, &[(*key, *value)]);
        expect_found(
            &harness,
            &query,
            expected.as_slice(),
            &format!("{key}={value}"),
        )
        .await;
    }
}

pub(super) async fn find_traces_by_several_tags_needs_all_on_one_span(harness: Harness) {
    let data = Data::for_check("find_traces_by_several_tags_needs_all_on_one_span");
    let at = |seconds: i64| data.base + seconds * SECOND;
    let (a, b, b3) = (
        KeyValue::string("a", "1"),
        KeyValue::string("b", "2"),
        KeyValue::string("b", "3"),
    );
    let t1 = vec![
        data.span(1, 1)
            .start(at(1))
            .tag(a.clone())
            .tag(b.clone())
            .build(),
    ];
    let t2 = vec![data.span(2, 1).start(at(2)).tag(a.clone()).build()];
    let t3 = vec![
        data.span(3, 1)
            .start(at(3))
            .tag(a.clone())
            .process_tag(b.clone())
            .build(),
    ];
    let t4 = vec![
        data.span(4, 1)
            .start(at(4))
            .tag(a.clone())
            .log(at(4), vec![b.clone()])
            .build(),
    ];
    // Both tags in the trace, but on different spans.
    let t5 = vec![
        data.span(5, 1).start(at(5)).tag(a.clone()).build(),
        data.span(5, 2).start(at(5) + 10).child_of(1).tag(b).build(),
    ];
    let t6 = vec![data.span(6, 1).start(at(6)).tag(a).tag(b3).build()];
    for trace in [&t1, &t2, &t3, &t4, &t5, &t6] {
        write(&harness, trace).await;
    }

    let both = tag_query(&data, &[("a", "1"), ("b", "2")]);
    expect_found(&harness, &both, &[&t4, &t3, &t1], "a=1 and b=2 on one span").await;
    let only_a = tag_query(&data, &[("a", "1")]);
    expect_found(
        &harness,
        &only_a,
        &[&t6, &t5, &t4, &t3, &t2, &t1],
        "a=1 alone",
    )
    .await;
}
