//! Jaeger's `ClockSkew` adjuster. Spans form a tree by parent id; a span whose parent is missing
//! from the trace is flagged (`invalid parent span IDs=<id>; skipping clock skew adjustment`, the
//! wording the UI shows) and treated as a root, and a repeated span id is flagged
//! (`duplicate span IDs; skipping clock skew adjustment`) and left out of the tree.
//!
//! Walking down from each root, a span on a different host than its parent (hosts told apart by
//! the process `ip` tag; an unknown host always counts as different) gets a delta that moves it
//! inside its already-adjusted parent: a child longer than its parent is only moved so it does
//! not start before the parent; a child that sticks out is centred in the parent (network latency
//! split equally between request and response). Spans on the same host inherit their parent's
//! delta. A delta is applied to the start time and every log timestamp when its absolute value is
//! at most the maximum adjustment; otherwise a warning says why not (with a maximum of 0, the
//! default, adjustment is disabled and only the warning is added). Durations never change.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use spur_model::SpanId;
use spur_model::api_v2::{Span, ValueType};

use super::go_duration;
use super::support::{
    duration_nanos, parent_id_or_zero, saturate_to_i64, span_id_or_zero, timestamp_from_nanos,
    timestamp_nanos,
};

pub(super) const WARNING_DUPLICATE_SPAN_ID: &str =
    "duplicate span IDs; skipping clock skew adjustment";

pub(super) fn warning_invalid_parent(parent: SpanId) -> String {
    format!("invalid parent span IDs={parent}; skipping clock skew adjustment")
}

fn warning_max_delta_exceeded(max_delta: i64, delta: i64) -> String {
    format!(
        "max clock skew adjustment delta of {} exceeded; not applying calculated delta of {}",
        go_duration::format(max_delta),
        go_duration::format(delta)
    )
}

fn warning_disabled(delta: i64) -> String {
    format!(
        "clock skew adjustment disabled; not applying calculated delta of {}",
        go_duration::format(delta)
    )
}

fn note_adjusted(delta: i64) -> String {
    format!(
        "This span's timestamps were adjusted by {}",
        go_duration::format(delta)
    )
}

/// The delta carried down the tree, and the host it was computed for.
#[derive(Clone)]
struct Skew {
    delta: i64,
    host: String,
}

pub(super) fn adjust_clock_skew(spans: &mut [Span], max_delta: Duration) {
    let max_delta = i64::try_from(max_delta.as_nanos()).unwrap_or(i64::MAX);
    let hosts: Vec<String> = spans.iter().map(host_key).collect();

    // Span id -> index of the first span with it; later ones are flagged and left out.
    let mut index_of: HashMap<SpanId, usize> = HashMap::with_capacity(spans.len());
    let mut in_tree = vec![false; spans.len()];
    for (index, span) in spans.iter_mut().enumerate() {
        let id = span_id_or_zero(span);
        if index_of.contains_key(&id) {
            span.warnings.push(WARNING_DUPLICATE_SPAN_ID.to_string());
            continue;
        }
        index_of.insert(id, index);
        in_tree[index] = true;
    }

    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut roots: Vec<usize> = Vec::new();
    for index in (0..spans.len()).filter(|&i| in_tree[i]) {
        let parent = parent_id_or_zero(&spans[index]);
        if parent.0 == 0 {
            roots.push(index);
            continue;
        }
        match index_of.get(&parent) {
            Some(&parent_index) => children[parent_index].push(index),
            None => {
                spans[index].warnings.push(warning_invalid_parent(parent));
                roots.push(index);
            }
        }
    }

    // Depth-first from each root with an explicit stack: a parent is adjusted before its
    // children are compared with it, and deep traces cannot overflow the call stack.
    let mut stack: Vec<(usize, Option<usize>, Skew)> = roots
        .into_iter()
        .rev()
        .map(|root| {
            let skew = Skew {
                delta: 0,
                host: hosts[root].clone(),
            };
            (root, None, skew)
        })
        .collect();
    while let Some((index, parent, inherited)) = stack.pop() {
        let host = &hosts[index];
        let skew = match parent {
            Some(parent) if host.is_empty() || *host != inherited.host => Skew {
                delta: calculate_skew(&spans[index], &spans[parent]),
                host: host.clone(),
            },
            _ => inherited,
        };
        apply(&mut spans[index], skew.delta, max_delta);
        for &child in children[index].iter().rev() {
            stack.push((child, Some(index), skew.clone()));
        }
    }
}

/// Jaeger's host identity: the first process `ip` tag, as text.
fn host_key(span: &Span) -> String {
    let Some(tag) = span
        .process
        .as_ref()
        .and_then(|process| process.tags.iter().find(|tag| tag.key == "ip"))
    else {
        return String::new();
    };
    match ValueType::try_from(tag.v_type) {
        Ok(ValueType::String) => tag.v_str.clone(),
        // Jaeger takes the low 32 bits of the integer as an IPv4 address.
        Ok(ValueType::Int64) => Ipv4Addr::from(tag.v_int64 as u32).to_string(),
        Ok(ValueType::Binary) => binary_ip(&tag.v_binary),
        _ => String::new(),
    }
}

fn binary_ip(bytes: &[u8]) -> String {
    if let Ok(octets) = <[u8; 4]>::try_from(bytes) {
        return Ipv4Addr::from(octets).to_string();
    }
    if let Ok(octets) = <[u8; 16]>::try_from(bytes) {
        let ip = Ipv6Addr::from(octets);
        // Go prints an IPv4-mapped address in dotted form.
        return match ip.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => ip.to_string(),
        };
    }
    String::new()
}

/// The shift (nanoseconds) that makes `child` fit its already-adjusted `parent`.
fn calculate_skew(child: &Span, parent: &Span) -> i64 {
    let parent_start = timestamp_nanos(parent.start_time.as_ref());
    let child_start = timestamp_nanos(child.start_time.as_ref());
    let parent_duration = duration_nanos(parent.duration.as_ref());
    let child_duration = duration_nanos(child.duration.as_ref());

    if child_duration > parent_duration {
        // Async child, or the parent timed out first: only keep it from starting early.
        if child_start < parent_start {
            return saturate_to_i64(parent_start - child_start);
        }
        return 0;
    }
    let fits = child_start >= parent_start
        && child_start + child_duration <= parent_start + parent_duration;
    if fits {
        return 0;
    }
    // Centre the child: parent start + latency = child start + delta.
    let latency = saturate_to_i64(parent_duration - child_duration) / 2;
    saturate_to_i64(parent_start + i128::from(latency) - child_start)
}

fn apply(span: &mut Span, delta: i64, max_delta: i64) {
    if delta == 0 {
        return;
    }
    if delta.unsigned_abs() > max_delta.unsigned_abs() {
        let warning = if max_delta == 0 {
            warning_disabled(delta)
        } else {
            warning_max_delta_exceeded(max_delta, delta)
        };
        span.warnings.push(warning);
        return;
    }
    let shift = |nanos: i128| timestamp_from_nanos(nanos + i128::from(delta));
    span.start_time = Some(shift(timestamp_nanos(span.start_time.as_ref())));
    for log in &mut span.logs {
        log.timestamp = Some(shift(timestamp_nanos(log.timestamp.as_ref())));
    }
    span.warnings.push(note_adjusted(delta));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::{on_host, span, start_micros, timed, with_log_at};
    use spur_model::api_v2::KeyValue;
    use spur_model::time::micros_from_timestamp;

    const ENABLED: Duration = Duration::from_secs(3600);

    fn parent_and_child(child_start: i64, child_duration: i64, child_host: &str) -> Vec<Span> {
        vec![
            on_host(timed(span(1, None), 1_000, 100), "10.0.0.1"),
            on_host(
                timed(span(2, Some(1)), child_start, child_duration),
                child_host,
            ),
        ]
    }

    #[test]
    fn child_starting_before_parent_is_centred_in_it() {
        let mut spans = parent_and_child(500, 50, "10.0.0.2");
        adjust_clock_skew(&mut spans, ENABLED);
        // latency (100 - 50) / 2 = 25µs: child moves from 500 to 1025.
        assert_eq!(start_micros(&spans[1]), 1_025);
        assert_eq!(
            spans[1].warnings,
            vec!["This span's timestamps were adjusted by 525µs".to_string()]
        );
        assert_eq!(start_micros(&spans[0]), 1_000);
        assert!(spans[0].warnings.is_empty());
    }

    #[test]
    fn child_ending_after_parent_is_moved_back() {
        let mut spans = parent_and_child(1_080, 40, "10.0.0.2");
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(start_micros(&spans[1]), 1_030);
    }

    #[test]
    fn child_longer_than_parent_is_only_kept_from_starting_early() {
        let mut spans = parent_and_child(900, 500, "10.0.0.2");
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(start_micros(&spans[1]), 1_000);
        // Already starting inside the parent: left alone although it ends after it.
        let mut spans = parent_and_child(1_050, 500, "10.0.0.2");
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(start_micros(&spans[1]), 1_050);
        assert!(spans[1].warnings.is_empty());
    }

    #[test]
    fn child_on_the_same_host_is_not_adjusted() {
        let mut spans = parent_and_child(500, 50, "10.0.0.1");
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(start_micros(&spans[1]), 500);
        assert!(spans[1].warnings.is_empty());
    }

    #[test]
    fn same_host_as_an_integer_ip_tag_counts_as_the_same_host() {
        let mut spans = parent_and_child(500, 50, "");
        if let Some(process) = spans[1].process.as_mut() {
            process.tags = vec![KeyValue::int64("ip", 0x0A00_0001)];
        }
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(start_micros(&spans[1]), 500);
    }

    #[test]
    fn children_on_the_same_host_as_an_adjusted_span_inherit_its_delta() {
        let mut spans = parent_and_child(500, 50, "10.0.0.2");
        spans.push(on_host(timed(span(3, Some(2)), 510, 10), "10.0.0.2"));
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(start_micros(&spans[2]), 1_035);
    }

    #[test]
    fn logs_move_with_the_span() {
        let mut spans = parent_and_child(500, 50, "10.0.0.2");
        spans[1] = with_log_at(spans[1].clone(), 510);
        adjust_clock_skew(&mut spans, ENABLED);
        let log_time = spans[1].logs[0].timestamp.unwrap_or_default();
        assert_eq!(micros_from_timestamp(&log_time), 1_035);
    }

    #[test]
    fn max_adjustment_limits_the_shift() {
        let mut spans = parent_and_child(500, 50, "10.0.0.2");
        adjust_clock_skew(&mut spans, Duration::from_micros(100));
        assert_eq!(start_micros(&spans[1]), 500);
        assert_eq!(
            spans[1].warnings,
            vec![
                "max clock skew adjustment delta of 100µs exceeded; not applying calculated \
                 delta of 525µs"
                    .to_string()
            ]
        );
        // A shift within the bound is applied.
        let mut spans = parent_and_child(500, 50, "10.0.0.2");
        adjust_clock_skew(&mut spans, Duration::from_micros(525));
        assert_eq!(start_micros(&spans[1]), 1_025);
    }

    #[test]
    fn disabled_by_default_adds_only_a_warning() {
        let mut spans = parent_and_child(500, 50, "10.0.0.2");
        spans[1] = with_log_at(spans[1].clone(), 510);
        adjust_clock_skew(&mut spans, Duration::ZERO);
        assert_eq!(start_micros(&spans[1]), 500);
        let log_time = spans[1].logs[0].timestamp.unwrap_or_default();
        assert_eq!(micros_from_timestamp(&log_time), 510);
        assert_eq!(
            spans[1].warnings,
            vec![
                "clock skew adjustment disabled; not applying calculated delta of 525µs"
                    .to_string()
            ]
        );
    }

    #[test]
    fn negative_deltas_print_as_go_does() {
        let mut spans = parent_and_child(1_500_000, 50, "10.0.0.2");
        adjust_clock_skew(&mut spans, Duration::ZERO);
        assert_eq!(
            spans[1].warnings,
            vec![
                "clock skew adjustment disabled; not applying calculated delta of -1.498975s"
                    .to_string()
            ]
        );
    }

    #[test]
    fn missing_parent_is_flagged_and_treated_as_a_root() {
        let mut spans = vec![
            on_host(timed(span(1, None), 1_000, 100), "10.0.0.1"),
            on_host(timed(span(2, Some(0x99)), 0, 10), "10.0.0.2"),
        ];
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(
            spans[1].warnings,
            vec![
                "invalid parent span IDs=0000000000000099; skipping clock skew adjustment"
                    .to_string()
            ]
        );
        assert_eq!(start_micros(&spans[1]), 0);
    }

    #[test]
    fn duplicate_span_ids_are_flagged_and_skipped() {
        let mut spans = parent_and_child(500, 50, "10.0.0.2");
        spans.push(on_host(timed(span(2, Some(1)), 400, 50), "10.0.0.3"));
        adjust_clock_skew(&mut spans, ENABLED);
        assert_eq!(
            spans[2].warnings,
            vec![WARNING_DUPLICATE_SPAN_ID.to_string()]
        );
        assert_eq!(start_micros(&spans[2]), 400);
        assert_eq!(start_micros(&spans[1]), 1_025);
    }

    #[test]
    fn host_keys_follow_jaeger() {
        let mut s = span(1, None);
        assert_eq!(host_key(&s), "");
        if let Some(process) = s.process.as_mut() {
            process.tags = vec![KeyValue::binary(
                "ip",
                vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4],
            )];
        }
        assert_eq!(host_key(&s), "1.2.3.4");
    }
}
