//! `--once-file`: the sample trace is OTLP/JSON as `POST /v1/traces` takes it (lowerCamelCase
//! keys, hex ids, 64-bit times as strings), one small trace across services, and it decodes with
//! Spur's OTLP/JSON decoder. The checked-in `sample-trace.json` is held to the same checks.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// Checks the OTLP/JSON shape and returns the number of spans.
fn check_sample(text: &str) -> usize {
    let json: Value = serde_json::from_str(text).unwrap();
    let resources = json["resourceSpans"].as_array().unwrap();
    assert!(resources.len() >= 2, "the trace crosses services");
    let mut spans = 0;
    let mut trace_ids = HashSet::new();
    let mut span_ids = HashSet::new();
    let mut parent_ids = Vec::new();
    for resource in resources {
        let attributes = resource["resource"]["attributes"].as_array().unwrap();
        let service = attributes
            .iter()
            .find(|attribute| attribute["key"] == "service.name")
            .unwrap();
        assert!(service["value"]["stringValue"].is_string());
        for scope in resource["scopeSpans"].as_array().unwrap() {
            assert_eq!(scope["scope"]["name"], "spur-loadgen");
            for span in scope["spans"].as_array().unwrap() {
                spans += 1;
                let trace_id = span["traceId"].as_str().unwrap();
                let span_id = span["spanId"].as_str().unwrap();
                assert!(is_lower_hex(trace_id, 32), "{trace_id}");
                assert!(is_lower_hex(span_id, 16), "{span_id}");
                trace_ids.insert(trace_id.to_owned());
                span_ids.insert(span_id.to_owned());
                if let Some(parent) = span.get("parentSpanId") {
                    assert!(is_lower_hex(parent.as_str().unwrap(), 16));
                    parent_ids.push(parent.as_str().unwrap().to_owned());
                }
                assert!(span["name"].is_string());
                assert!(span["kind"].is_u64(), "enums are integers");
                for time in ["startTimeUnixNano", "endTimeUnixNano"] {
                    let text = span[time].as_str().unwrap();
                    assert!(text.parse::<u64>().unwrap() > 1_600_000_000_000_000_000);
                }
                assert!(span.get("trace_id").is_none() && span.get("traceState").is_none());
            }
        }
    }
    assert_eq!(trace_ids.len(), 1, "one trace");
    assert_eq!(parent_ids.len(), spans - 1, "one root");
    assert!(parent_ids.iter().all(|parent| span_ids.contains(parent)));
    let batches = spur_model::otlp::decode_json(text.as_bytes()).unwrap();
    let decoded: usize = batches.iter().map(|batch| batch.spans.len()).sum();
    assert_eq!(decoded, spans);
    spans
}

#[test]
fn once_file_writes_one_small_otlp_json_trace() {
    let path = std::env::temp_dir().join(format!("spur-loadgen-{}.json", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_spur-loadgen"))
        .args(["--once-file".as_ref(), path.as_os_str()])
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let spans = check_sample(&text);
    assert!((4..=6).contains(&spans));
}

#[test]
fn once_file_dash_writes_to_stdout() {
    let output = Command::new(env!("CARGO_BIN_EXE_spur-loadgen"))
        .args(["--once-file", "-", "--seed", "9"])
        .output()
        .unwrap();
    assert!(output.status.success());
    check_sample(&String::from_utf8(output.stdout).unwrap());
}

#[test]
fn the_checked_in_sample_is_valid() {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-trace.json");
    check_sample(&std::fs::read_to_string(path).unwrap());
}
