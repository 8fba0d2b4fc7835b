//! The Jaeger UI / HTTP API trace JSON shapes.
#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected input

use spur_model::api_v2::{KeyValue, Process, Span};
use spur_model::testing;
use spur_model::ui_json::{key_value_to_ui, trace_to_ui};

fn span_with_process(service: &str, index: usize) -> Span {
    let batch = testing::sample_batch(index + 1);
    let mut span = batch.spans[index].clone();
    span.process = Some(Process {
        service_name: service.into(),
        ..batch.process.unwrap()
    });
    span
}

#[test]
fn processes_are_deduplicated_in_order_of_first_appearance() {
    let spans = vec![
        span_with_process("frontend", 0),
        span_with_process("backend", 1),
        span_with_process("frontend", 2),
    ];
    let trace = trace_to_ui(&spans, &[]);
    let ids: Vec<&str> = trace.spans.iter().map(|s| s.process_id.as_str()).collect();
    assert_eq!(ids, ["p1", "p2", "p1"]);
    assert_eq!(trace.processes["p1"].service_name, "frontend");
    assert_eq!(trace.processes["p2"].service_name, "backend");
    assert_eq!(trace.trace_id, "0123456789abcdef0fedcba987654321");
}

#[test]
fn span_json_has_jaeger_keys_and_units() {
    let trace = trace_to_ui(&[span_with_process("frontend", 0)], &[]);
    let json = serde_json::to_value(&trace).unwrap();
    let span = &json["spans"][0];
    assert_eq!(span["traceID"], "0123456789abcdef0fedcba987654321");
    assert_eq!(span["spanID"], "0000000000000002");
    assert_eq!(span["flags"], 1);
    assert_eq!(span["startTime"], 1_700_000_000_000_000i64);
    assert_eq!(span["duration"], 1_234);
    assert_eq!(span["processID"], "p1");
    assert_eq!(span["references"][0]["refType"], "CHILD_OF");
    assert_eq!(span["references"][0]["spanID"], "0000000000000001");
    assert_eq!(span["logs"][0]["timestamp"], 1_700_000_000_000_500i64);
    assert_eq!(span["warnings"], serde_json::Value::Null);
    assert_eq!(json["warnings"], serde_json::Value::Null);
    assert!(span.get("process").is_none() && span.get("parentSpanID").is_none());
    let mut unflagged = span_with_process("frontend", 0);
    unflagged.flags = 0;
    let json = serde_json::to_value(trace_to_ui(&[unflagged], &[])).unwrap();
    assert!(
        json["spans"][0].get("flags").is_none(),
        "flags 0 is omitted"
    );
}

#[test]
fn tag_values_are_typed_with_javascript_safe_integers() {
    let json = |tag: KeyValue| serde_json::to_value(key_value_to_ui(&tag)).unwrap();
    assert_eq!(
        json(KeyValue::int64("n", 42)),
        serde_json::json!({"key": "n", "type": "int64", "value": 42})
    );
    assert_eq!(
        json(KeyValue::int64("n", 9_007_199_254_740_993))["value"],
        "9007199254740993"
    );
    assert_eq!(
        json(KeyValue::int64("n", -9_007_199_254_740_991))["value"],
        -9_007_199_254_740_991i64
    );
    assert_eq!(
        json(KeyValue::binary("b", vec![0, 255, 16]))["value"],
        "AP8Q"
    );
    assert_eq!(json(KeyValue::binary("b", vec![]))["type"], "binary");
    assert_eq!(json(KeyValue::bool("e", true))["value"], true);
    assert_eq!(json(KeyValue::float64("f", 3.5))["value"], 3.5);
    assert_eq!(json(KeyValue::float64("f", f64::NAN))["value"], "NaN");
    assert_eq!(json(KeyValue::string("s", "héllo"))["value"], "héllo");
}
