//! Checks of `find_traces` bounds: start-time windows and duration bounds inclusive at their
//! edges (one µs outside excluded), every condition combined on one span, and limits keeping
//! the newest traces first.

use spur_model::api_v2::{KeyValue, Span};

use super::Harness;
use super::fixtures::{Data, NONE, SECOND, expect_found, tags, write};
use crate::TraceQuery;

pub(super) async fn find_traces_start_time_window_edges_are_inclusive(harness: Harness) {
    let data = Data::for_check("find_traces_start_time_window_edges_are_inclusive");
    let (min, max) = (data.base, data.base + 10 * SECOND);
    let one = |trace: u64, start: i64| vec![data.span(trace, 1).start(start).build()];
    let (t1, t2, t3, t4, t5) = (
        one(1, min - 1),
        one(2, min),
        one(3, min + 5 * SECOND),
        one(4, max),
        one(5, max + 1),
    );
    // Partly inside: ranked by the span inside the window.
    let t6 = vec![
        data.span(6, 1).start(min - 10 * SECOND).build(),
        data.span(6, 2).start(min + 7 * SECOND).child_of(1).build(),
    ];
    let t7 = vec![
        data.span(7, 1).start(min + 2 * SECOND).build(),
        data.span(7, 2).start(max + 20 * SECOND).child_of(1).build(),
    ];
    for trace in [&t1, &t2, &t3, &t4, &t5, &t6, &t7] {
        write(&harness, trace).await;
    }

    let service = data.service("svc");
    let window = |start_time_min: i64, start_time_max: i64| TraceQuery {
        start_time_min,
        start_time_max,
        ..data.query(&service)
    };
    expect_found(
        &harness,
        &window(min, max),
        &[&t4, &t6, &t3, &t7, &t2],
        "[min, max]",
    )
    .await;
    expect_found(
        &harness,
        &window(min, min),
        &[&t2],
        "a window of one µs at min",
    )
    .await;
    expect_found(
        &harness,
        &window(max, max),
        &[&t4],
        "a window of one µs at max",
    )
    .await;
    expect_found(
        &harness,
        &window(min - 1, min - 1),
        &[&t1],
        "one µs before min",
    )
    .await;
    expect_found(
        &harness,
        &window(max + 1, max + 1),
        &[&t5],
        "one µs after max",
    )
    .await;
    expect_found(
        &harness,
        &window(max + 2, max + SECOND),
        NONE,
        "an empty window",
    )
    .await;
}

pub(super) async fn find_traces_duration_bounds_are_inclusive(harness: Harness) {
    let data = Data::for_check("find_traces_duration_bounds_are_inclusive");
    let at = |seconds: i64| data.base + seconds * SECOND;
    let lasting = |trace: u64, duration: i64| {
        let start = at(i64::try_from(trace).unwrap_or(0));
        vec![data.span(trace, 1).start(start).duration(duration).build()]
    };
    let (t1, t2, t3, t4, t5) = (
        lasting(1, 99),
        lasting(2, 100),
        lasting(3, 150),
        lasting(4, 200),
        lasting(5, 201),
    );
    // Neither span within [100, 200]: one too short, one too long.
    let t6 = vec![
        data.span(6, 1).start(at(6)).duration(50).build(),
        data.span(6, 2)
            .start(at(6) + 1_000)
            .duration(5_000)
            .child_of(1)
            .build(),
    ];
    for trace in [&t1, &t2, &t3, &t4, &t5, &t6] {
        write(&harness, trace).await;
    }

    let service = data.service("svc");
    let bounds = |duration_min: Option<i64>, duration_max: Option<i64>| TraceQuery {
        duration_min,
        duration_max,
        ..data.query(&service)
    };
    expect_found(
        &harness,
        &bounds(Some(100), Some(200)),
        &[&t4, &t3, &t2],
        "[100, 200] µs",
    )
    .await;
    expect_found(
        &harness,
        &bounds(Some(150), Some(150)),
        &[&t3],
        "[150, 150] µs",
    )
    .await;
    let at_least = [&t6, &t5, &t4, &t3, &t2];
    expect_found(
        &harness,
        &bounds(Some(100), None),
        &at_least,
        "at least 100 µs",
    )
    .await;
    let at_most = [&t6, &t4, &t3, &t2, &t1];
    expect_found(
        &harness,
        &bounds(None, Some(200)),
        &at_most,
        "at most 200 µs",
    )
    .await;
    expect_found(
        &harness,
        &bounds(Some(6_000), None),
        NONE,
        "longer than every span",
    )
    .await;
}

pub(super) async fn find_traces_with_every_condition_combined(harness: Harness) {
    let data = Data::for_check("find_traces_with_every_condition_combined");
    let (shop, other) = (data.service("shop"), data.service("other"));
    let at = |seconds: i64| data.base + seconds * SECOND;
    // The span every condition matches; each distractor below breaks exactly one condition.
    let matching = |trace: u64, start: i64, customer: &str| {
        data.span(trace, 1)
            .service(&shop)
            .operation("checkout")
            .start(start)
            .duration(2_000)
            .tag(KeyValue::string("customer", customer))
            .process_tag(KeyValue::string("region", "eu"))
    };
    let t1 = vec![matching(1, at(5), "alice").build()];
    let t2 = vec![matching(2, at(6), "alice").operation("cart").build()];
    let t3 = vec![matching(3, at(6), "bob").build()];
    let t4 = vec![matching(4, at(6), "alice").duration(6_000).build()];
    let t5 = vec![matching(5, at(11), "alice").build()];
    let t6 = vec![matching(6, at(6), "alice").service(&other).build()];
    // Every condition met, but not by one span.
    let t7 = vec![
        data.span(7, 1)
            .service(&shop)
            .operation("checkout")
            .start(at(6))
            .duration(2_000)
            .tag(KeyValue::string("customer", "alice"))
            .build(),
        data.span(7, 2)
            .service(&shop)
            .operation("pay")
            .start(at(6))
            .duration(2_000)
            .child_of(1)
            .process_tag(KeyValue::string("region", "eu"))
            .build(),
    ];
    // Matching too, with the region in a log field.
    let t8 = vec![
        data.span(8, 1)
            .service(&shop)
            .operation("checkout")
            .start(at(3))
            .duration(1_000)
            .tag(KeyValue::string("customer", "alice"))
            .log(at(3) + 10, vec![KeyValue::string("region", "eu")])
            .build(),
    ];
    for trace in [&t1, &t2, &t3, &t4, &t5, &t6, &t7, &t8] {
        write(&harness, trace).await;
    }

    let query = TraceQuery {
        service_name: shop.clone(),
        operation_name: Some("checkout".into()),
        tags: tags(&[("customer", "alice"), ("region", "eu")]),
        start_time_min: at(0),
        start_time_max: at(10),
        duration_min: Some(1_000),
        duration_max: Some(5_000),
        num_traces: 10,
    };
    expect_found(&harness, &query, &[&t1, &t8], "every condition at once").await;
}

pub(super) async fn find_traces_limit_keeps_the_newest_first(harness: Harness) {
    let data = Data::for_check("find_traces_limit_keeps_the_newest_first");
    let traces: Vec<Vec<Span>> = (1..=12u64)
        .map(|n| {
            vec![
                data.span(n, 1)
                    .start(data.base + i64::try_from(n).unwrap_or(0) * SECOND)
                    .build(),
            ]
        })
        .collect();
    // Written in a scrambled order, so insertion order cannot pass for recency.
    for n in 1..=12usize {
        write(&harness, &traces[(n * 5) % 12]).await;
    }

    let newest_first: Vec<&Vec<Span>> = traces.iter().rev().collect();
    let service = data.service("svc");
    let limited = |num_traces: usize| TraceQuery {
        num_traces,
        ..data.query(&service)
    };
    expect_found(&harness, &limited(5), &newest_first[..5], "limit 5").await;
    expect_found(&harness, &limited(1), &newest_first[..1], "limit 1").await;
    expect_found(&harness, &limited(12), &newest_first, "limit 12").await;
    expect_found(&harness, &limited(50), &newest_first, "limit 50").await;
    expect_found(
        &harness,
        &limited(0),
        &newest_first,
        "limit 0 (Jaeger's default, 100)",
    )
    .await;
}
