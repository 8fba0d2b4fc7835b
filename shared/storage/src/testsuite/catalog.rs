//! Checks of the catalog reads: `get_services` sorted and complete, `get_operations` with span
//! kinds (filtered by kind, `""` for spans without one), unicode names end to end, and a
//! thousand services.

use std::collections::BTreeSet;

use spur_model::api_v2::{Batch, KeyValue, Process, Span};

use super::Harness;
use super::fixtures::{
    Data, NONE, SECOND, assert_same_spans, expect_found, get_trace, tags, write,
};
use crate::{Operation, OperationQuery, TraceQuery};

async fn services(harness: &Harness) -> Vec<String> {
    harness.reader.get_services().await.expect("get_services")
}

async fn operations(harness: &Harness, service: &str, span_kind: Option<&str>) -> Vec<Operation> {
    let query = OperationQuery {
        service_name: service.to_owned(),
        span_kind: span_kind.map(str::to_owned),
    };
    harness
        .reader
        .get_operations(&query)
        .await
        .expect("get_operations")
}

fn operation(name: &str, span_kind: &str) -> Operation {
    Operation {
        name: name.to_owned(),
        span_kind: span_kind.to_owned(),
    }
}

pub(super) async fn services_are_sorted(harness: Harness) {
    let data = Data::for_check("services_are_sorted");
    assert!(
        services(&harness).await.is_empty(),
        "a fresh backend has no services"
    );
    let names = ["zeta", "alpha", "Mid", "beta", "alpha", "_under", "9lives"];
    let spans: Vec<Span> = names
        .iter()
        .zip(1u64..)
        .map(|(name, n)| data.span(n, 1).service(&data.service(name)).build())
        .collect();
    write(&harness, &spans[..4]).await;
    write(&harness, &spans[4..]).await;
    let batch_process = Process {
        service_name: data.service("batched"),
        tags: Vec::new(),
    };
    let batch = Batch {
        spans: vec![data.span(99, 1).without_process().build()],
        process: Some(batch_process),
    };
    harness
        .writer
        .write_batch(batch)
        .await
        .expect("write_batch");

    let expected: BTreeSet<String> = names
        .iter()
        .chain(&["batched"])
        .map(|name| data.service(name))
        .collect();
    let expected: Vec<String> = expected.into_iter().collect();
    assert_eq!(
        services(&harness).await,
        expected,
        "every service, once, sorted by name"
    );
}

pub(super) async fn operations_with_span_kinds(harness: Harness) {
    let data = Data::for_check("operations_with_span_kinds");
    let (shop, other) = (data.service("shop"), data.service("other"));
    let written = [
        ("GET /a", "server"),
        ("GET /a", "client"),
        ("query", "client"),
        ("work", ""),
        ("emit", "producer"),
        ("consume", "consumer"),
        ("calc", "internal"),
        ("query", "client"),
    ];
    let spans: Vec<Span> = written
        .iter()
        .zip(1u64..)
        .map(|((name, kind), n)| {
            let span = data.span(1, n).service(&shop).operation(name);
            if kind.is_empty() {
                span.build()
            } else {
                span.kind(kind).build()
            }
        })
        .collect();
    write(&harness, &spans).await;
    let elsewhere = data
        .span(2, 1)
        .service(&other)
        .operation("other-op")
        .kind("server")
        .build();
    write(&harness, &[elsewhere]).await;

    let all: BTreeSet<Operation> = written
        .iter()
        .map(|(name, kind)| operation(name, kind))
        .collect();
    let all: Vec<Operation> = all.into_iter().collect();
    assert_eq!(
        operations(&harness, &shop, None).await,
        all,
        "every operation, sorted"
    );
    for kind in ["server", "client", "producer", "consumer", "internal", ""] {
        let expected: Vec<Operation> = all
            .iter()
            .filter(|operation| operation.span_kind == kind)
            .cloned()
            .collect();
        assert_eq!(
            operations(&harness, &shop, Some(kind)).await,
            expected,
            "kind {kind:?}"
        );
    }
    let other_operations = operations(&harness, &other, None).await;
    assert_eq!(
        other_operations,
        vec![operation("other-op", "server")],
        "another service"
    );
    let unknown = operations(&harness, &data.service("nobody"), None).await;
    assert!(unknown.is_empty(), "an unknown service has no operations");
}

pub(super) async fn unicode_names(harness: Harness) {
    let data = Data::for_check("unicode_names");
    let (service, crab) = (data.service("サービス-ü"), data.service("🦀 svc"));
    let operation_name = "取得 🚀 données";
    let trace = vec![
        data.span(1, 1)
            .service(&service)
            .operation(operation_name)
            .kind("server")
            .tag(KeyValue::string("ключ", "значение ✓"))
            .process_tag(KeyValue::string("主机", "東京-1"))
            .log(
                data.base + 10,
                vec![KeyValue::string("événement", "démarré")],
            )
            .build(),
        data.span(1, 2)
            .service(&crab)
            .operation("ρ")
            .start(data.base + SECOND)
            .child_of(1)
            .build(),
    ];
    write(&harness, &trace).await;

    let read = get_trace(&harness, data.trace_id(1))
        .await
        .expect("the trace is found");
    assert_same_spans(&read, &trace, "unicode names read back");
    let mut expected_services = vec![service.clone(), crab.clone()];
    expected_services.sort();
    assert_eq!(
        services(&harness).await,
        expected_services,
        "unicode services"
    );
    let expected_operations = vec![operation(operation_name, "server")];
    assert_eq!(
        operations(&harness, &service, None).await,
        expected_operations
    );

    let by_operation = TraceQuery {
        operation_name: Some(operation_name.into()),
        ..data.query(&service)
    };
    expect_found(&harness, &by_operation, &[&trace], "a unicode operation").await;
    for (key, value) in [
        ("ключ", "значение ✓"),
        ("主机", "東京-1"),
        ("événement", "démarré"),
    ] {
        let query = TraceQuery {
            tags: tags(&[(key, value)]),
            ..data.query(&service)
        };
        expect_found(&harness, &query, &[&trace], &format!("unicode tag {key}")).await;
    }
    let wrong = TraceQuery {
        tags: tags(&[("ключ", "значение")]),
        ..data.query(&service)
    };
    expect_found(
        &harness,
        &wrong,
        NONE,
        "a unicode value without its last character",
    )
    .await;
}

pub(super) async fn a_thousand_services(harness: Harness) {
    let data = Data::for_check("a_thousand_services");
    let names: Vec<String> = (0..1_000)
        .map(|n| data.service(&format!("service-{n:04}")))
        .collect();
    let traces: Vec<Vec<Span>> = names
        .iter()
        .zip(0u64..)
        .map(|(name, n)| {
            vec![
                data.span(n + 1, 1)
                    .service(name)
                    .operation(&format!("op-{n}"))
                    .build(),
            ]
        })
        .collect();
    let spans: Vec<Span> = traces.iter().flatten().cloned().collect();
    for batch in spans.chunks(250) {
        write(&harness, batch).await;
    }

    let mut expected = names.clone();
    expected.sort();
    assert_eq!(
        services(&harness).await,
        expected,
        "a thousand services, sorted"
    );
    for n in [0usize, 499, 999] {
        let operations = operations(&harness, &names[n], None).await;
        assert_eq!(
            operations,
            vec![operation(&format!("op-{n}"), "")],
            "operations of {}",
            names[n]
        );
        expect_found(&harness, &data.query(&names[n]), &[&traces[n]], &names[n]).await;
    }
}
