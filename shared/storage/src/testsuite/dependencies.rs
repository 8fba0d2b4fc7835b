//! Check of the dependency store: links written at several timestamps are read back for a
//! window inclusive at both edges, summed per (parent, child) pair, sorted by parent then child.
//! Times step by whole milliseconds: the contract's precision, as Jaeger's layouts store them.

use spur_model::api_v2::DependencyLink;

use super::Harness;
use super::fixtures::{Data, MINUTE};

const MILLI: i64 = 1_000;

fn link(parent: &str, child: &str, call_count: u64) -> DependencyLink {
    DependencyLink {
        parent: parent.to_owned(),
        child: child.to_owned(),
        call_count,
        source: String::new(),
    }
}

pub(super) async fn dependencies_within_the_window_summed_per_pair(harness: Harness) {
    let Some(store) = harness.dependencies.as_ref() else {
        panic!("the suite runs this check only with a dependency store");
    };
    let data = Data::for_check("dependencies_within_the_window_summed_per_pair");
    let (a, b, c) = (data.service("a"), data.service("b"), data.service("c"));
    let (end, lookback) = (data.base, 10 * MINUTE);
    let start = end - lookback;
    let writes = [
        (start - MILLI, vec![link(&a, &b, 100)]),
        (start, vec![link(&a, &b, 1), link(&b, &c, 2)]),
        (start + 5 * MINUTE, vec![link(&a, &c, 4), link(&a, &b, 10)]),
        (end, vec![link(&b, &c, 20), link(&a, &b, 5)]),
        (end + MILLI, vec![link(&a, &c, 1_000)]),
    ];
    for (timestamp, links) in writes {
        store
            .write_dependencies(timestamp, links)
            .await
            .expect("write_dependencies");
    }

    let read = |end_time: i64, lookback: i64| async move {
        let links = store
            .get_dependencies(end_time, lookback)
            .await
            .expect("get_dependencies");
        links
            .into_iter()
            .map(|link| (link.parent, link.child, link.call_count))
            .collect::<Vec<_>>()
    };
    let triple =
        |parent: &str, child: &str, count: u64| (parent.to_owned(), child.to_owned(), count);
    let window = vec![triple(&a, &b, 16), triple(&a, &c, 4), triple(&b, &c, 22)];
    assert_eq!(
        read(end, lookback).await,
        window,
        "[end - lookback, end], edges included"
    );
    let at_end = vec![triple(&a, &b, 5), triple(&b, &c, 20)];
    assert_eq!(
        read(end, 0).await,
        at_end,
        "a window of one instant at the end"
    );
    let just_after = vec![triple(&a, &c, 1_000)];
    assert_eq!(
        read(end + MILLI, 0).await,
        just_after,
        "one millisecond after the end"
    );
    assert!(
        read(start - 2 * MILLI, MINUTE).await.is_empty(),
        "before every link"
    );
}
