//! Check of the `retention` capability: with a retention period of one hour, spans that started
//! before `now - 1 h` are no longer returned by `get_trace` or `find_traces`; newer ones are.

use std::time::Duration;

use super::Harness;
use super::fixtures::{Data, HOUR, MINUTE, expect_found, get_trace, now_micros, write};
use crate::TraceQuery;

/// The retention period the suite opens the backend with for this check.
pub(super) const RETENTION: Duration = Duration::from_secs(60 * 60);

pub(super) async fn spans_older_than_the_retention_period_disappear(harness: Harness) {
    let data = Data::for_check("spans_older_than_the_retention_period_disappear");
    let now = now_micros();
    let expired = vec![
        data.span(1, 1).start(now - 2 * HOUR).build(),
        data.span(1, 2)
            .start(now - 2 * HOUR + 10)
            .child_of(1)
            .build(),
    ];
    let kept = vec![
        data.span(2, 1).start(now - 10 * MINUTE).build(),
        data.span(2, 2)
            .start(now - 10 * MINUTE + 10)
            .child_of(1)
            .build(),
    ];
    // Writing spans that are already past retention is not an error (a Kafka replay does it).
    write(&harness, &expired).await;
    write(&harness, &kept).await;

    let spans_read = get_trace(&harness, data.trace_id(1))
        .await
        .map(|trace| trace.len());
    assert_eq!(
        spans_read, None,
        "a trace older than the retention period is gone"
    );
    let trace = get_trace(&harness, data.trace_id(2))
        .await
        .expect("a recent trace is kept");
    super::fixtures::assert_same_spans(&trace, &kept, "a recent trace");
    let query = TraceQuery {
        start_time_min: now - 3 * HOUR,
        start_time_max: now,
        ..data.query(&data.service("svc"))
    };
    expect_found(&harness, &query, &[&kept], "find_traces under retention").await;
}
