//! Jaeger's resolution rules, one test per rule, on the example files in
//! `fixtures/strategies/` (the byte-level comparison with Jaeger is `golden.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use spur_model::api_v2::{SamplingStrategyResponse, SamplingStrategyType};
use spur_sampling::{DEFAULT_SAMPLING_PROBABILITY, Strategies};

fn load(file: &str, bugfix_5270: bool) -> Strategies {
    Strategies::parse(&common::strategies_bytes(file), bugfix_5270).unwrap()
}

fn probability(strategy: &SamplingStrategyResponse) -> Option<f64> {
    (strategy.strategy_type == SamplingStrategyType::Probabilistic as i32).then(|| {
        strategy
            .probabilistic_sampling
            .as_ref()
            .unwrap()
            .sampling_rate
    })
}

fn rate_limit(strategy: &SamplingStrategyResponse) -> Option<i32> {
    (strategy.strategy_type == SamplingStrategyType::RateLimiting as i32).then(|| {
        strategy
            .rate_limiting_sampling
            .as_ref()
            .unwrap()
            .max_traces_per_second
    })
}

/// `(operation, probability)` pairs in order, and the default probability.
fn operations(strategy: &SamplingStrategyResponse) -> Option<(f64, Vec<(String, f64)>)> {
    let operations = strategy.operation_sampling.as_ref()?;
    assert_eq!(operations.default_lower_bound_traces_per_second, 0.0);
    assert_eq!(operations.default_upper_bound_traces_per_second, 0.0);
    let pairs = operations
        .per_operation_strategies
        .iter()
        .map(|operation| {
            let rate = operation
                .probabilistic_sampling
                .as_ref()
                .unwrap()
                .sampling_rate;
            (operation.operation.clone(), rate)
        })
        .collect();
    Some((operations.default_sampling_probability, pairs))
}

fn pairs(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    list.iter()
        .map(|(name, rate)| ((*name).to_owned(), *rate))
        .collect()
}

#[test]
fn without_a_file_every_service_gets_probabilistic_0_001() {
    let strategies = Strategies::default();
    assert_eq!(probability(strategies.for_service("any")), Some(0.001));
    assert_eq!(DEFAULT_SAMPLING_PROBABILITY, 0.001);
    // A file that is `null` means the same; `{}` too (no default strategy in it).
    for file in ["null.json", "empty_object.json"] {
        assert_eq!(load(file, false), Strategies::default(), "{file}");
    }
}

#[test]
fn exact_service_name_else_the_default() {
    let strategies = load("services.json", false);
    assert_eq!(probability(strategies.for_service("checkout")), Some(0.75));
    assert_eq!(probability(strategies.for_service("Checkout")), Some(0.125));
    assert_eq!(probability(strategies.for_service("CHECKOUT")), Some(0.25));
    assert_eq!(probability(strategies.for_service("checkout ")), Some(0.25));
    assert_eq!(probability(strategies.for_service("nobody")), Some(0.25));
    // A service named "" exists in this file, and gets its own strategy.
    assert_eq!(probability(strategies.for_service("")), Some(0.6));
    assert_eq!(probability(strategies.default_strategy()), Some(0.25));
    assert_eq!(strategies.services().count(), 6);
}

#[test]
fn a_service_named_twice_takes_the_last_entry() {
    let strategies = load("services.json", false);
    assert_eq!(rate_limit(strategies.for_service("twice")), Some(2));
}

#[test]
fn rate_limits_are_truncated_to_int32() {
    let strategies = load("services.json", false);
    assert_eq!(rate_limit(strategies.for_service("payments")), Some(7));
    let numbers = load("numbers.json", false);
    for (service, expected) in [
        ("rate-truncated", 2),
        ("rate-below-one", 0),
        ("rate-negative", -1),
        ("rate-int32-max", i32::MAX),
        ("rate-int32-min", i32::MIN),
    ] {
        assert_eq!(
            rate_limit(numbers.for_service(service)),
            Some(expected),
            "{service}"
        );
    }
    // Out of int32's range Go's conversion is platform-defined; amd64 gives i32::MIN.
    let out_of_range = load("out_of_range.json", false);
    for service in ["rate-above-int32", "rate-below-int32", "rate-huge"] {
        assert_eq!(
            rate_limit(out_of_range.for_service(service)),
            Some(i32::MIN),
            "{service}"
        );
    }
}

#[test]
fn unknown_or_missing_types_are_probabilistic_0_001() {
    let strategies = load("unknown_types.json", false);
    // Type names are case-sensitive: the default's "PROBABILISTIC" is unknown.
    assert_eq!(probability(strategies.default_strategy()), Some(0.001));
    for service in ["missing-type", "rate-limiting", "empty-type"] {
        assert_eq!(
            probability(strategies.for_service(service)),
            Some(0.001),
            "{service}"
        );
    }
}

#[test]
fn operations_are_probabilistic_only() {
    let strategies = load("operations.json", false);
    // The default's `limited` (ratelimiting) is dropped; `odd` (unknown type) gets 0.001.
    assert_eq!(
        operations(strategies.default_strategy()),
        Some((
            0.5,
            pairs(&[
                ("/health", 0.0),
                ("shared", 0.1),
                ("odd", 0.001),
                ("last", 1.0)
            ])
        ))
    );
    // Every operation of `cache` is rate-limiting: an empty list remains.
    let (_, cache) = operations(strategies.for_service("cache")).unwrap();
    assert_eq!(
        cache,
        pairs(&[
            ("/health", 0.0),
            ("shared", 0.1),
            ("odd", 0.001),
            ("last", 1.0)
        ])
    );
}

#[test]
fn a_services_operations_merge_with_the_defaults_its_own_winning() {
    for bugfix in [false, true] {
        let strategies = load("operations.json", bugfix);
        // Own operations first (duplicates kept, the rate-limiting one dropped), then the
        // default's it does not name; the default probability is the service's.
        assert_eq!(
            operations(strategies.for_service("web")),
            Some((
                0.8,
                pairs(&[
                    ("shared", 0.9),
                    ("GET /", 0.3),
                    ("GET /", 0.4),
                    ("/health", 0.0),
                    ("odd", 0.001),
                    ("last", 1.0),
                ])
            )),
            "bugfix-5270 {bugfix}"
        );
        // A rate-limiting service with operations of its own merges too, default 0.001.
        let db = strategies.for_service("db");
        assert_eq!(rate_limit(db), Some(20));
        assert_eq!(
            operations(db),
            Some((
                0.001,
                pairs(&[
                    ("select", 0.05),
                    ("/health", 0.5),
                    ("shared", 0.1),
                    ("odd", 0.001),
                    ("last", 1.0),
                ])
            )),
            "bugfix-5270 {bugfix}"
        );
    }
}

#[test]
fn services_without_operations_inherit_the_defaults() {
    let default_operations = pairs(&[
        ("/health", 0.0),
        ("shared", 0.1),
        ("odd", 0.001),
        ("last", 1.0),
    ]);
    for bugfix in [false, true] {
        let strategies = load("operations.json", bugfix);
        // Probabilistic: the default's operations, with the service's own probability.
        assert_eq!(
            operations(strategies.for_service("plain")),
            Some((0.6, default_operations.clone()))
        );
        // Unknown type: probabilistic 0.001, so it inherits with 0.001.
        assert_eq!(
            operations(strategies.for_service("mystery")),
            Some((0.001, default_operations.clone()))
        );
    }
    // Rate-limiting: nothing with bugfix-5270 off (Jaeger's default) ...
    let before = load("operations.json", false);
    assert_eq!(rate_limit(before.for_service("limited")), Some(4));
    assert_eq!(operations(before.for_service("limited")), None);
    // ... the default's operations and probability with it on.
    let after = load("operations.json", true);
    assert_eq!(rate_limit(after.for_service("limited")), Some(4));
    assert_eq!(
        operations(after.for_service("limited")),
        Some((0.5, default_operations))
    );
}

#[test]
fn nothing_is_inherited_when_the_default_has_no_operations() {
    let strategies = load("service_operations_only.json", true);
    assert_eq!(probability(strategies.default_strategy()), Some(0.001));
    assert_eq!(
        operations(strategies.for_service("api")),
        Some((0.001, pairs(&[("op", 0.5)])))
    );
    // No type: probabilistic 0.001; an operation without a type gets 0.001 too.
    assert_eq!(
        operations(strategies.for_service("worker")),
        Some((0.001, pairs(&[("job", 0.2), ("untyped", 0.001)])))
    );
    assert_eq!(operations(strategies.for_service("simple")), None);
}

#[test]
fn a_default_whose_operations_were_all_dropped_still_passes_an_empty_list_on() {
    let strategies = load("default_operations_ignored.json", false);
    assert_eq!(
        operations(strategies.default_strategy()),
        Some((0.001, vec![]))
    );
    assert_eq!(
        operations(strategies.for_service("prob")),
        Some((0.3, vec![]))
    );
    assert_eq!(operations(strategies.for_service("rate")), None);
    let with_bugfix = load("default_operations_ignored.json", true);
    assert_eq!(
        operations(with_bugfix.for_service("rate")),
        Some((0.001, vec![]))
    );
}

#[test]
fn the_file_is_decoded_as_gos_encoding_json_decodes_it() {
    let strategies = load("go_decoding.json", false);
    // Keys match case-insensitively (`ſ` folds to `s`); unknown keys are ignored.
    assert_eq!(probability(strategies.default_strategy()), Some(0.3));
    assert_eq!(rate_limit(strategies.for_service("upper")), Some(12));
    assert_eq!(rate_limit(strategies.for_service("escaped-keys")), Some(10));
    // `null` is a zero value when nothing came before, and keeps what came before otherwise.
    assert_eq!(probability(strategies.for_service("nulls")), Some(0.0));
    assert_eq!(
        probability(strategies.for_service("null-keeps-earlier-value")),
        Some(0.4)
    );
    assert_eq!(
        probability(strategies.for_service("last-key-wins")),
        Some(0.7)
    );
    assert_eq!(
        probability(strategies.for_service("big-integer")),
        Some(9_007_199_254_740_992.0)
    );

    // A repeated key decodes into what the first one left.
    let merged = load("go_merging.json", false);
    assert_eq!(rate_limit(merged.default_strategy()), Some(3));
    assert_eq!(
        operations(merged.default_strategy()),
        Some((0.001, pairs(&[("a", 0.5)])))
    );
    assert_eq!(merged.services().count(), 1);
    let second = merged.for_service("second");
    assert_eq!(probability(second), Some(0.9));
    assert_eq!(
        operations(second),
        Some((0.9, pairs(&[("x", 0.3), ("a", 0.5)])))
    );
}

#[test]
fn files_jaeger_refuses_are_errors_with_a_position() {
    for (file, line, column, words) in [
        ("bad_syntax.json", 5, 3, "trailing comma"),
        ("bad_document.json", 1, 10, "expected a strategies object"),
        ("bad_param.json", 3, 60, "expected a number"),
        ("bad_list.json", 2, 25, "expected an array"),
        ("bad_trailing.json", 1, 63, "trailing characters"),
        ("bad_empty.json", 1, 0, "EOF"),
        // Jaeger crashes on null entries (nil pointer dereference).
        (
            "null_entry.json",
            3,
            8,
            "expected a service strategy object",
        ),
        (
            "null_operation.json",
            5,
            33,
            "expected an operation strategy object",
        ),
    ] {
        let error = Strategies::parse(&common::strategies_bytes(file), false).unwrap_err();
        assert_eq!(
            (error.line(), error.column()),
            (line, column),
            "{file}: {error}"
        );
        assert!(error.to_string().contains(words), "{file}: {error}");
    }
}
