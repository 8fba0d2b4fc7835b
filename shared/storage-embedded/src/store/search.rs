//! Answering find-traces from the index: postings read bucket by bucket, newest first, and each
//! candidate trace checked exactly against the query.

use std::collections::HashSet;

use spur_model::TraceId;
use spur_model::api_v2::Span;
use spur_storage::matching::{span_matches, start_micros};
use spur_storage::{StorageError, TraceQuery};

use super::{Store, internal};
use crate::keys;

impl Store {
    /// Traces matching the query, newest first by their newest matching span.
    pub(crate) fn find_traces(
        &self,
        query: &TraceQuery,
    ) -> Result<Vec<(TraceId, Vec<Span>)>, StorageError> {
        query.validate()?;
        self.apply_all_pending()?;
        let limit = query.limit();
        let start_min = query.start_time_min.max(self.cutoff());
        let prefix = match (&query.operation_name, query.tags.iter().next()) {
            (Some(operation), _) => keys::operation_prefix(&query.service_name, operation),
            (None, Some((key, value))) => keys::tag_prefix(&query.service_name, key, value),
            (None, None) => keys::service_prefix(&query.service_name),
        };
        // Buckets run newest first, from the window's end to its start; within a bucket the
        // postings are put in start order, so candidates are met newest first throughout.
        let prefix_hash = keys::prefix_hash(&prefix);
        let from = keys::index_entry(prefix_hash, keys::bucket_of(query.start_time_max), 0);
        let to = keys::index_entry(prefix_hash, keys::bucket_of(start_min), u64::MAX);
        let mut search = Search::new(limit);
        let mut bucket_postings: Vec<keys::Posting> = Vec::new();
        let mut current_bucket = None;
        for entry in self.index.range(from..=to) {
            let (key, value) = entry.into_inner().map_err(internal)?;
            let bucket = keys::index_entry_bucket(&key);
            if bucket != current_bucket {
                if self.search_bucket(&mut search, &mut bucket_postings, query, start_min)? {
                    return Ok(search.into_results());
                }
                current_bucket = bucket;
            }
            // Postings of spans outside the window or the duration bounds cannot be the span
            // that matches: drop them before reading any trace.
            let candidate = |posting: &keys::Posting| {
                (start_min..=query.start_time_max).contains(&posting.start)
                    && query.duration_min.is_none_or(|min| posting.duration >= min)
                    && query.duration_max.is_none_or(|max| posting.duration <= max)
            };
            bucket_postings.extend(keys::postings(&value).filter(candidate));
        }
        self.search_bucket(&mut search, &mut bucket_postings, query, start_min)?;
        Ok(search.into_results())
    }

    /// Checks one bucket's candidates, newest first; returns true once no later (older)
    /// candidate can enter the results.
    fn search_bucket(
        &self,
        search: &mut Search,
        postings: &mut Vec<keys::Posting>,
        query: &TraceQuery,
        start_min: i64,
    ) -> Result<bool, StorageError> {
        postings.sort_unstable_by_key(|posting| std::cmp::Reverse(posting.start));
        for keys::Posting {
            start,
            trace_id: trace,
            ..
        } in postings.drain(..)
        {
            if search.is_complete_before(start) {
                return Ok(true);
            }
            if !search.seen.insert(trace) {
                continue;
            }
            let Ok(trace_id) = TraceId::from_bytes(&trace) else {
                continue;
            };
            let spans = self.get_trace(trace_id)?;
            let newest_match = spans
                .iter()
                .filter(|s| span_matches(s, query))
                .map(start_micros)
                .max();
            if let Some(newest) = newest_match
                && newest >= start_min
            {
                search.found.push((newest, trace_id, spans));
            }
        }
        Ok(false)
    }
}

/// The state of one find-traces search: traces found so far and trace ids already checked.
struct Search {
    limit: usize,
    seen: HashSet<[u8; 16]>,
    found: Vec<(i64, TraceId, Vec<Span>)>,
}

impl Search {
    fn new(limit: usize) -> Search {
        Search {
            limit,
            seen: HashSet::new(),
            found: Vec::new(),
        }
    }

    /// True when `limit` traces are known whose newest matching span starts at or after
    /// `start`: a candidate starting at `start` or earlier cannot displace any of them.
    fn is_complete_before(&self, start: i64) -> bool {
        self.found.len() >= self.limit
            && self
                .found
                .iter()
                .filter(|(newest, ..)| *newest >= start)
                .count()
                >= self.limit
    }

    fn into_results(mut self) -> Vec<(TraceId, Vec<Span>)> {
        self.found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.found.truncate(self.limit);
        self.found
            .into_iter()
            .map(|(_, trace_id, spans)| (trace_id, spans))
            .collect()
    }
}
