//! Spur's answers compared byte for byte with Jaeger v1.57.0's, for every strategies file in
//! `fixtures/strategies/` and both settings of `sampling.strategies.bugfix-5270`. The expected
//! texts in `fixtures/golden.json` were written by Jaeger's own Go code (its strategy store,
//! its JSON converter and its HTTP handler), see `fixtures/jaeger-go/README.md`.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;
use spur_sampling::{Strategies, legacy_strategy_json, strategy_json};

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

#[test]
fn every_file_resolves_to_jaegers_json() {
    let golden = common::golden();
    let cases = golden["files"].as_array().unwrap();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut compared = 0;
    for case in cases {
        let file = text(case, "file");
        let bugfix = case["bugfix_5270"].as_bool().unwrap();
        let context = format!("{file} (bugfix-5270 {bugfix})");
        let parsed = Strategies::parse(&common::strategies_bytes(file), bugfix);
        if !text(case, "load_error").is_empty() || !text(case, "panic").is_empty() {
            // Jaeger refuses the file (or crashes on it): Spur refuses it with an error.
            assert!(parsed.is_err(), "{context}: Jaeger failed, Spur parsed it");
            continue;
        }
        let strategies = parsed.unwrap_or_else(|error| panic!("{context}: {error}"));
        for service in case["services"].as_array().unwrap() {
            let name = text(service, "service");
            let context = format!("{context}, service {name:?}");
            let strategy = strategies.for_service(name);

            let json = strategy_json(strategy);
            assert_eq!(json, text(service, "json"), "{context}: converter");
            let sampling = &service["sampling"];
            assert_eq!(sampling["status"], 200, "{context}");
            assert_eq!(json, text(sampling, "body"), "{context}: /sampling");

            let legacy = &service["legacy"];
            match legacy["status"].as_u64().unwrap() {
                200 => assert_eq!(
                    legacy_strategy_json(strategy).unwrap(),
                    text(legacy, "body"),
                    "{context}: legacy"
                ),
                500 => assert!(legacy_strategy_json(strategy).is_err(), "{context}: legacy"),
                other => panic!("{context}: unexpected legacy status {other}"),
            }
            compared += 1;
        }
    }
    assert!(compared >= 150, "only {compared} services compared");
}

#[test]
fn the_all_in_one_file_samples_everything() {
    // Jaeger's all-in-one image ships a file whose default is probabilistic 1.
    let strategies =
        Strategies::parse(&common::strategies_bytes("all_in_one.json"), false).unwrap();
    assert_eq!(
        strategy_json(strategies.for_service("anything")),
        r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}}"#
    );
}
