//! Index names, as Jaeger chooses them: `[prefix-]jaeger-span-YYYY-MM-DD` (the date of the
//! span's start, UTC; `-HH` added with hourly rollover), the same for `jaeger-service-` and
//! `jaeger-dependencies-`, or the `…-write` / `…-read` aliases in rollover mode; and which
//! indices a time window needs to be searched.
//!
//! It owns naming only: creating templates and indices is `templates`' and `maintenance`'s.

use chrono::{DateTime, Datelike, Duration as ChronoDuration, Timelike, Utc};

/// Above this many daily (or hourly) indices, a read uses the wildcard pattern instead of
/// listing every name (the request line must stay under the server's 4 KiB limit).
const MAX_LISTED_INDICES: usize = 50;

/// The three kinds of index Jaeger writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Span,
    Service,
    Dependencies,
}

impl IndexKind {
    pub fn base_name(self) -> &'static str {
        match self {
            IndexKind::Span => "jaeger-span-",
            IndexKind::Service => "jaeger-service-",
            IndexKind::Dependencies => "jaeger-dependencies-",
        }
    }
}

/// How indices are named (Jaeger's `es.index-prefix`, `es.index-date-separator`,
/// `es.index-rollover-frequency-*`, `es.use-aliases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexNaming {
    /// Empty, or ending with `-` (Jaeger appends one when missing).
    prefix: String,
    date_separator: String,
    pub use_aliases: bool,
    hourly_spans: bool,
    hourly_services: bool,
}

impl IndexNaming {
    pub fn new(
        prefix: &str,
        date_separator: &str,
        use_aliases: bool,
        hourly_spans: bool,
        hourly_services: bool,
    ) -> Self {
        let prefix = if prefix.is_empty() || prefix.ends_with('-') {
            prefix.to_owned()
        } else {
            format!("{prefix}-")
        };
        IndexNaming {
            prefix,
            date_separator: date_separator.to_owned(),
            use_aliases,
            hourly_spans,
            hourly_services,
        }
    }

    /// `[prefix-]jaeger-span-` and so on: what every index of a kind starts with.
    pub fn base(&self, kind: IndexKind) -> String {
        format!("{}{}", self.prefix, kind.base_name())
    }

    /// The prefix with its `-`, or empty.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn date_separator(&self) -> &str {
        &self.date_separator
    }

    fn hourly(&self, kind: IndexKind) -> bool {
        match kind {
            IndexKind::Span => self.hourly_spans,
            IndexKind::Service => self.hourly_services,
            IndexKind::Dependencies => false,
        }
    }

    /// The write alias of a kind (rollover mode).
    pub fn write_alias(&self, kind: IndexKind) -> String {
        format!("{}write", self.base(kind))
    }

    /// The read alias of a kind (rollover mode).
    pub fn read_alias(&self, kind: IndexKind) -> String {
        format!("{}read", self.base(kind))
    }

    /// The index a document of `kind` stamped at `micros` goes to.
    pub fn write_index(&self, kind: IndexKind, micros: i64) -> String {
        if self.use_aliases {
            return self.write_alias(kind);
        }
        self.dated(kind, to_datetime(micros))
    }

    fn dated(&self, kind: IndexKind, at: DateTime<Utc>) -> String {
        let separator = &self.date_separator;
        let mut name = format!(
            "{}{:04}{separator}{:02}{separator}{:02}",
            self.base(kind),
            at.year(),
            at.month(),
            at.day()
        );
        if self.hourly(kind) {
            name.push_str(&format!("{separator}{:02}", at.hour()));
        }
        name
    }

    /// The indices holding documents of `kind` stamped in `[min, max]` (µs), newest first;
    /// the read alias in rollover mode; the wildcard pattern when the window is very long.
    pub fn read_indices(&self, kind: IndexKind, min_micros: i64, max_micros: i64) -> Vec<String> {
        if self.use_aliases {
            return vec![self.read_alias(kind)];
        }
        let step = if self.hourly(kind) {
            ChronoDuration::hours(1)
        } else {
            ChronoDuration::days(1)
        };
        let (min, max) = (
            to_datetime(min_micros),
            to_datetime(max_micros.max(min_micros)),
        );
        let last = self.dated(kind, min);
        let mut names = Vec::new();
        let mut at = max;
        loop {
            let name = self.dated(kind, at);
            let done = name == last;
            if names.last() != Some(&name) {
                names.push(name);
            }
            if done || at < min {
                break;
            }
            if names.len() > MAX_LISTED_INDICES {
                return vec![format!("{}*", self.base(kind))];
            }
            at -= step;
        }
        names
    }
}

/// A time in µs since the epoch as a UTC date, clamped to what chrono represents.
pub fn to_datetime(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(if micros < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-06T23:30:00Z in µs.
    const LATE_EVENING: i64 = 1_796_599_800_000_000;
    const HOUR: i64 = 3_600_000_000;

    #[test]
    fn daily_names_follow_the_span_start_in_utc() {
        let naming = IndexNaming::new("", "-", false, false, false);
        assert_eq!(
            naming.write_index(IndexKind::Span, LATE_EVENING),
            "jaeger-span-2026-12-06"
        );
        assert_eq!(
            naming.write_index(IndexKind::Service, LATE_EVENING + HOUR),
            "jaeger-service-2026-12-07"
        );
    }

    #[test]
    fn the_prefix_gets_a_dash_and_the_separator_is_used() {
        let naming = IndexNaming::new("prod", ".", false, true, false);
        assert_eq!(
            naming.write_index(IndexKind::Span, LATE_EVENING),
            "prod-jaeger-span-2026.12.06.23"
        );
        assert_eq!(
            naming.write_index(IndexKind::Dependencies, LATE_EVENING),
            "prod-jaeger-dependencies-2026.12.06"
        );
        let dashed = IndexNaming::new("prod-", "-", false, false, false);
        assert_eq!(dashed.base(IndexKind::Span), "prod-jaeger-span-");
    }

    #[test]
    fn a_window_reads_every_day_it_touches_newest_first() {
        let naming = IndexNaming::new("", "-", false, false, false);
        let indices = naming.read_indices(
            IndexKind::Span,
            LATE_EVENING - 24 * HOUR,
            LATE_EVENING + HOUR,
        );
        assert_eq!(
            indices,
            vec![
                "jaeger-span-2026-12-07",
                "jaeger-span-2026-12-06",
                "jaeger-span-2026-12-05"
            ]
        );
        let one = naming.read_indices(IndexKind::Span, LATE_EVENING, LATE_EVENING);
        assert_eq!(one, vec!["jaeger-span-2026-12-06"]);
    }

    #[test]
    fn a_very_long_window_uses_the_pattern_and_aliases_are_used_in_rollover_mode() {
        let naming = IndexNaming::new("p", "-", false, false, false);
        let years = naming.read_indices(IndexKind::Span, 0, LATE_EVENING);
        assert_eq!(years, vec!["p-jaeger-span-*"]);
        let rollover = IndexNaming::new("p", "-", true, false, false);
        assert_eq!(
            rollover.read_indices(IndexKind::Service, 0, LATE_EVENING),
            vec!["p-jaeger-service-read"]
        );
        assert_eq!(
            rollover.write_index(IndexKind::Span, LATE_EVENING),
            "p-jaeger-span-write"
        );
    }
}
