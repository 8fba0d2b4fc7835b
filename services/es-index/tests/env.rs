//! `spur-es-index` takes the environment the Helm chart's jobs set, against a real Elasticsearch
//! (`SPUR_TEST_ES`, default http://127.0.0.1:9200): `ES_USE_ALIASES=true` is rollover mode (the
//! first aliased indices are created), `false` or unset puts the templates only.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn server() -> String {
    std::env::var("SPUR_TEST_ES").unwrap_or_else(|_| "http://127.0.0.1:9200".to_owned())
}

/// A fresh `spurtest-…` prefix (the storage tests remove what earlier runs left under it).
fn prefix(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "spurtest-esindex{tag}-{}-{:x}",
        std::process::id(),
        nanos % (1 << 40)
    )
}

/// Runs `spur-es-index init` with the chart's variables; returns its standard output.
fn init(prefix: &str, use_aliases: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spur-es-index"));
    command
        .arg("init")
        .env_clear()
        .env("SPAN_STORAGE_TYPE", "elasticsearch")
        .env("ES_SERVER_URLS", server())
        .env("ES_INDEX_PREFIX", prefix)
        .env("ES_WAIT_TIMEOUT", "30");
    if let Some(value) = use_aliases {
        command.env("ES_USE_ALIASES", value);
    }
    let output = command.output().expect("run spur-es-index");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "spur-es-index init failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn es_use_aliases_true_is_rollover_mode() {
    let prefix = prefix("aliases");
    let out = init(&prefix, Some("true"));
    for kind in ["span", "service"] {
        let first = format!("{prefix}-jaeger-{kind}-000001");
        assert!(out.contains(&first), "{first} not created: {out}");
    }
    // Idempotent: a second run (the pre-upgrade hook) creates nothing more.
    let again = init(&prefix, Some("true"));
    assert!(again.contains("indices created: none"), "{again}");
}

#[test]
fn es_use_aliases_false_or_unset_puts_templates_only() {
    for value in [Some("false"), None] {
        let out = init(&prefix("daily"), value);
        assert!(
            out.contains("templates put") && out.contains("indices created: none"),
            "ES_USE_ALIASES={value:?}: {out}"
        );
    }
}

/// The chart's check (every variable it sets is in the binary's `--help`) relies on this.
#[test]
fn help_lists_es_use_aliases() {
    let output = Command::new(env!("CARGO_BIN_EXE_spur-es-index"))
        .args(["init", "--help"])
        .output()
        .expect("run spur-es-index --help");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("[env: ES_USE_ALIASES"), "{help}");
}
