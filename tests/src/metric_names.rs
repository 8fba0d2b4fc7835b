//! Metric-name checks shared by the services' tests: the names a README metrics table documents,
//! and the names a Prometheus scrape shows (histogram series folded to their base name).

use std::collections::BTreeSet;

/// The metric names in the README table between `<!-- {table}:begin -->` and
/// `<!-- {table}:end -->` (the first backquoted cell of each row).
pub fn documented(table: &str) -> Result<BTreeSet<String>, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).map_err(|error| format!("{path}: {error}"))?;
    let (begin, end) = (
        format!("<!-- {table}:begin -->"),
        format!("<!-- {table}:end -->"),
    );
    let start = readme
        .find(&begin)
        .ok_or(format!("{begin} not in README"))?;
    let stop = readme.find(&end).ok_or(format!("{end} not in README"))?;
    Ok(readme[start..stop]
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
        .map(str::to_owned)
        .collect())
}

/// The metric names of a scrape that start with one of `prefixes`, with `_bucket`, `_sum` and
/// `_count` series folded to their histogram's name.
pub fn scraped(scrape: &str, prefixes: &[&str]) -> BTreeSet<String> {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(|name| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name)
                .to_owned()
        })
        .filter(|name| prefixes.iter().any(|prefix| name.starts_with(prefix)))
        .collect()
}
