//! The request parameters of the `/api` routes, read as Jaeger's `query_parser.go` reads them:
//! the query string as Go's `r.Form` (first value wins for single parameters, repeatable ones
//! collected), defaults, units (µs for trace search times, ms for dependencies, Go duration
//! strings for span durations) and Jaeger's error texts. Nothing here touches storage.

use std::collections::BTreeMap;

use spur_model::TraceId;
use spur_storage::TraceQuery;

use super::goparse::{parse_duration, parse_int, parse_trace_id, query_unescape};

/// Jaeger's default trace search window: the last 48 hours.
const TRACE_LOOKBACK_MICROS: i64 = 48 * 3600 * 1_000_000;
/// Jaeger's default dependencies window: the last 24 hours.
const DEPENDENCY_LOOKBACK_MILLIS: i64 = 24 * 3600 * 1000;
/// Jaeger's default number of traces.
const DEFAULT_LIMIT: i64 = 100;

/// The decoded query string, in order, as Go's `url.ParseQuery` reads it (malformed pairs
/// are skipped).
#[derive(Debug, Default, Clone)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(raw: Option<&str>) -> Form {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.contains(';'))
            .filter_map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                Some((query_unescape(key)?, query_unescape(value)?))
            })
            .collect();
        Form { pairs }
    }

    /// Go's `FormValue`: the first value, or `""`.
    pub fn value(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of a repeatable parameter, in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// `prettyPrint` set to anything but `false`.
    pub fn pretty(&self) -> bool {
        let value = self.value("prettyPrint");
        !value.is_empty() && value != "false"
    }
}

/// What `/api/traces` asks for: trace ids to fetch (then everything else is ignored), or a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchParams {
    pub query: TraceQuery,
    pub trace_ids: Vec<TraceId>,
}

fn parse_error(name: &str, error: &str) -> String {
    format!("unable to parse param '{name}': {error}")
}

/// A time parameter in `unit_micros` microseconds since the epoch, or `default`.
fn time_param(form: &Form, name: &str, unit_micros: i64, default: i64) -> Result<i64, String> {
    let value = form.value(name);
    if value.is_empty() {
        return Ok(default);
    }
    let parsed = parse_int(value, 64).map_err(|error| parse_error(name, &error))?;
    Ok(parsed.saturating_mul(unit_micros))
}

/// A Go duration parameter in nanoseconds, 0 when absent.
fn duration_param(form: &Form, name: &str) -> Result<i64, String> {
    let value = form.value(name);
    if value.is_empty() {
        return Ok(0);
    }
    parse_duration(value).map_err(|error| parse_error(name, &error))
}

/// `tag=k:v` (split at the first `:`) then `tags={"k":"v"}`, later values winning.
fn tags(form: &Form) -> Result<BTreeMap<String, String>, String> {
    let mut tags = BTreeMap::new();
    for tag in form.values("tag") {
        let Some((key, value)) = tag.split_once(':') else {
            return Err(format!(
                "malformed 'tag' parameter, expecting key:value, received: {tag}"
            ));
        };
        tags.insert(key.to_owned(), value.to_owned());
    }
    for json in form.values("tags") {
        let parsed: Option<BTreeMap<String, String>> =
            serde_json::from_str(json).map_err(|error| {
                format!("malformed 'tags' parameter, cannot unmarshal JSON: {error}")
            })?;
        tags.extend(parsed.unwrap_or_default());
    }
    Ok(tags)
}

/// Go durations (ns) to storage microseconds; 0 means "no bound", as in Jaeger.
fn duration_bound(nanos: i64) -> Option<i64> {
    (nanos != 0).then_some(nanos / 1000)
}

/// Parses `/api/traces`' parameters in Jaeger's order, so the first problem reported is
/// Jaeger's; `now_micros` supplies the default window.
pub fn search(form: &Form, now_micros: i64) -> Result<SearchParams, String> {
    let start = time_param(form, "start", 1, now_micros - TRACE_LOOKBACK_MICROS)?;
    let end = time_param(form, "end", 1, now_micros)?;
    let tags = tags(form)?;
    let limit = match form.value("limit") {
        "" => DEFAULT_LIMIT,
        text => parse_int(text, 32)?,
    };
    let min_duration = duration_param(form, "minDuration")?;
    let max_duration = duration_param(form, "maxDuration")?;
    let trace_ids = form
        .values("traceID")
        .map(|id| {
            parse_trace_id(id).map_err(|error| format!("cannot parse traceID param: {error}"))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let service = form.value("service");
    if trace_ids.is_empty() && service.is_empty() {
        return Err("parameter 'service' is required".into());
    }
    if min_duration != 0 && max_duration != 0 && max_duration < min_duration {
        return Err("'maxDuration' should be greater than 'minDuration'".into());
    }
    let operation = form.value("operation");
    let query = TraceQuery {
        service_name: service.to_owned(),
        operation_name: (!operation.is_empty()).then(|| operation.to_owned()),
        tags,
        start_time_min: start,
        start_time_max: end,
        duration_min: duration_bound(min_duration),
        duration_max: duration_bound(max_duration),
        // Zero and negative limits fall back to the storage default (100).
        num_traces: usize::try_from(limit).unwrap_or(0),
    };
    Ok(SearchParams { query, trace_ids })
}

/// `/api/dependencies`: the window's end and length in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependencyWindow {
    pub end_micros: i64,
    pub lookback_micros: i64,
}

/// `endTs` (ms, default now) and `lookback` (ms, default 24 h).
pub fn dependencies(form: &Form, now_micros: i64) -> Result<DependencyWindow, String> {
    let end_micros = time_param(form, "endTs", 1000, now_micros)?;
    let lookback_micros = time_param(form, "lookback", 1000, DEPENDENCY_LOOKBACK_MILLIS * 1000)?;
    Ok(DependencyWindow {
        end_micros,
        lookback_micros,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_defaults_and_units() {
        let form = Form::parse(Some(
            "service=a+b&tag=k:v:w&tags=%7B%22x%22%3A%22y%22%7D&minDuration=1ms&maxDuration=1s",
        ));
        let params = search(&form, 1_000_000_000_000).unwrap();
        assert_eq!(params.query.service_name, "a b");
        assert_eq!(
            params.query.start_time_min,
            1_000_000_000_000 - TRACE_LOOKBACK_MICROS
        );
        assert_eq!(params.query.start_time_max, 1_000_000_000_000);
        assert_eq!(params.query.num_traces, 100);
        assert_eq!(params.query.duration_min, Some(1000));
        assert_eq!(params.query.duration_max, Some(1_000_000));
        assert_eq!(params.query.tags.get("k").map(String::as_str), Some("v:w"));
        assert_eq!(params.query.tags.get("x").map(String::as_str), Some("y"));
    }

    #[test]
    fn dependency_window_in_millis() {
        let window = dependencies(&Form::parse(Some("endTs=5&lookback=2")), 0).unwrap();
        assert_eq!(
            window,
            DependencyWindow {
                end_micros: 5000,
                lookback_micros: 2000
            }
        );
        let defaults = dependencies(&Form::parse(None), 7).unwrap();
        assert_eq!(defaults.end_micros, 7);
        assert_eq!(defaults.lookback_micros, DEPENDENCY_LOOKBACK_MILLIS * 1000);
    }
}
