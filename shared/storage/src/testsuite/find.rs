//! Checks of `find_traces` and `find_trace_ids` by service and operation, whole traces returned,
//! the two agreeing, and invalid queries. Tag conditions are in `find_tags`; time windows,
//! durations, combined conditions and limits in `find_bounds`. Every expectation says which
//! written spans match and why.

use spur_model::api_v2::KeyValue;

use super::Harness;
use super::fixtures::{Data, MINUTE, NONE, SECOND, expect_found, find, ids_of, tags, write};
use crate::{ErrorKind, TraceQuery};

pub(super) async fn find_traces_by_service(harness: Harness) {
    let data = Data::for_check("find_traces_by_service");
    let (alpha, beta, gamma) = (
        data.service("alpha"),
        data.service("beta"),
        data.service("gamma"),
    );
    let t1 = vec![
        data.span(1, 1)
            .service(&alpha)
            .start(data.base + SECOND)
            .build(),
    ];
    let t2 = vec![
        data.span(2, 1)
            .service(&alpha)
            .start(data.base + 2 * SECOND)
            .build(),
        data.span(2, 2)
            .service(&beta)
            .start(data.base + 2 * SECOND + 500)
            .child_of(1)
            .build(),
    ];
    let t3 = vec![
        data.span(3, 1)
            .service(&beta)
            .start(data.base + 3 * SECOND)
            .build(),
    ];
    let t4 = vec![
        data.span(4, 1)
            .service(&gamma)
            .start(data.base + 4 * SECOND)
            .build(),
    ];
    for trace in [&t3, &t1, &t4, &t2] {
        write(&harness, trace).await;
    }

    expect_found(&harness, &data.query(&alpha), &[&t2, &t1], "service alpha").await;
    expect_found(&harness, &data.query(&beta), &[&t3, &t2], "service beta").await;
    expect_found(&harness, &data.query(&gamma), &[&t4], "service gamma").await;
    expect_found(
        &harness,
        &data.query(&data.service("nobody")),
        NONE,
        "an unknown service",
    )
    .await;
}

pub(super) async fn find_traces_by_service_and_operation(harness: Harness) {
    let data = Data::for_check("find_traces_by_service_and_operation");
    let (alpha, beta) = (data.service("alpha"), data.service("beta"));
    let at = |seconds: i64| data.base + seconds * SECOND;
    let t1 = vec![
        data.span(1, 1)
            .service(&alpha)
            .operation("get")
            .start(at(10))
            .build(),
    ];
    let t2 = vec![
        data.span(2, 1)
            .service(&alpha)
            .operation("put")
            .start(at(12))
            .build(),
    ];
    // Ranked by its newest *matching* span: `get` at 5 s, not `put` at 20 s.
    let t3 = vec![
        data.span(3, 1)
            .service(&alpha)
            .operation("get")
            .start(at(5))
            .build(),
        data.span(3, 2)
            .service(&alpha)
            .operation("put")
            .start(at(20))
            .child_of(1)
            .build(),
    ];
    let t4 = vec![
        data.span(4, 1)
            .service(&beta)
            .operation("get")
            .start(at(30))
            .build(),
    ];
    for trace in [&t1, &t2, &t3, &t4] {
        write(&harness, trace).await;
    }

    let by_operation = |operation: &str| TraceQuery {
        operation_name: Some(operation.to_owned()),
        ..data.query(&alpha)
    };
    expect_found(&harness, &by_operation("get"), &[&t1, &t3], "alpha get").await;
    expect_found(&harness, &by_operation("put"), &[&t3, &t2], "alpha put").await;
    expect_found(
        &harness,
        &by_operation("delete"),
        NONE,
        "an unknown operation",
    )
    .await;
    let beta_get = TraceQuery {
        operation_name: Some("get".into()),
        ..data.query(&beta)
    };
    expect_found(&harness, &beta_get, &[&t4], "beta get").await;
}

pub(super) async fn find_traces_returns_whole_traces(harness: Harness) {
    let data = Data::for_check("find_traces_returns_whole_traces");
    let (web, db, cache) = (
        data.service("web"),
        data.service("db"),
        data.service("cache"),
    );
    let at = |seconds: i64| data.base + seconds * SECOND;
    let trace = vec![
        data.span(1, 1)
            .service(&web)
            .operation("root")
            .start(at(0))
            .duration(5 * SECOND)
            .build(),
        data.span(1, 2)
            .service(&web)
            .operation("handler")
            .start(at(1))
            .child_of(1)
            .build(),
        data.span(1, 3)
            .service(&db)
            .operation("query")
            .start(at(2))
            .child_of(2)
            .build(),
        data.span(1, 4)
            .service(&db)
            .operation("query")
            .start(at(3))
            .child_of(2)
            .tag(KeyValue::string("slow", "yes"))
            .build(),
        data.span(1, 5)
            .service(&cache)
            .operation("get")
            .start(at(4))
            .child_of(2)
            .build(),
    ];
    write(&harness, &trace).await;

    let one_span = TraceQuery {
        tags: tags(&[("slow", "yes")]),
        start_time_min: at(3),
        start_time_max: at(3),
        ..data.query(&db)
    };
    expect_found(
        &harness,
        &one_span,
        &[&trace],
        "one matching span, a narrow window",
    )
    .await;
    expect_found(
        &harness,
        &data.query(&cache),
        &[&trace],
        "the leaf's service",
    )
    .await;
}

pub(super) async fn find_trace_ids_agrees_with_find_traces(harness: Harness) {
    let data = Data::for_check("find_trace_ids_agrees_with_find_traces");
    let (alpha, beta) = (data.service("alpha"), data.service("beta"));
    for n in 1..=9u64 {
        let offset = i64::try_from(n).unwrap_or(0);
        let service = if n % 3 == 0 { &beta } else { &alpha };
        let span = data
            .span(n, 1)
            .service(service)
            .operation(if n % 2 == 0 { "even" } else { "odd" })
            .start(data.base + offset * MINUTE)
            .duration(offset * 1_000)
            .tag(KeyValue::int64("n", i64::try_from(n % 4).unwrap_or(0)));
        write(&harness, &[span.build()]).await;
    }

    let queries = [
        data.query(&alpha),
        data.query(&beta),
        TraceQuery {
            operation_name: Some("even".into()),
            ..data.query(&alpha)
        },
        TraceQuery {
            tags: tags(&[("n", "1")]),
            ..data.query(&alpha)
        },
        TraceQuery {
            duration_min: Some(3_000),
            duration_max: Some(8_000),
            ..data.query(&alpha)
        },
        TraceQuery {
            num_traces: 2,
            ..data.query(&alpha)
        },
        TraceQuery {
            start_time_max: data.base + 4 * MINUTE,
            ..data.query(&alpha)
        },
    ];
    for query in &queries {
        let traces = find(&harness, query).await;
        assert!(!traces.is_empty(), "the data matches {query:?}");
        let trace_ids = harness
            .reader
            .find_trace_ids(query)
            .await
            .expect("find_trace_ids");
        assert_eq!(
            trace_ids,
            ids_of(&traces),
            "find_trace_ids and find_traces for {query:?}"
        );
    }
}

pub(super) async fn invalid_queries_are_rejected(harness: Harness) {
    let data = Data::for_check("invalid_queries_are_rejected");
    write(&harness, &[data.span(1, 1).build()]).await;
    let valid = data.query(&data.service("svc"));
    let invalid = [
        (
            "an empty service",
            TraceQuery {
                service_name: String::new(),
                ..valid.clone()
            },
        ),
        (
            "start time min after max",
            TraceQuery {
                start_time_min: data.base + 1,
                start_time_max: data.base,
                ..valid.clone()
            },
        ),
        (
            "duration min above max",
            TraceQuery {
                duration_min: Some(2_000),
                duration_max: Some(1_000),
                ..valid.clone()
            },
        ),
    ];
    for (what, query) in &invalid {
        let traces = harness.reader.find_traces(query).await;
        let error = traces.expect_err(what);
        assert_eq!(
            error.kind(),
            ErrorKind::InvalidArgument,
            "find_traces, {what}: {error}"
        );
        let trace_ids = harness.reader.find_trace_ids(query).await;
        let error = trace_ids.expect_err(what);
        assert_eq!(
            error.kind(),
            ErrorKind::InvalidArgument,
            "find_trace_ids, {what}: {error}"
        );
    }
}
