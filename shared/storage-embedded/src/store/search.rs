//! Answering find-traces from the index: postings read bucket by bucket, newest first (with, for a
//! tag, the postings of the processes holding it), and each candidate trace checked exactly
//! against the query.

use std::collections::HashSet;

use spur_model::TraceId;
use spur_model::api_v2::Span;
use spur_storage::matching::{span_matches, start_micros};
use spur_storage::{StorageError, TraceQuery};

use super::{Store, internal};
use crate::keys::{self, TagSource};

impl Store {
    /// Traces matching the query, newest first by their newest matching span. A query by tag
    /// reads the tag's postings (spans holding it themselves) and, bucket by bucket, the
    /// postings of the processes the tag's references name (spans whose process holds it).
    pub(crate) fn find_traces(
        &self,
        query: &TraceQuery,
    ) -> Result<Vec<(TraceId, Vec<Span>)>, StorageError> {
        query.validate()?;
        self.apply_all_pending()?;
        let limit = query.limit();
        let start_min = query.start_time_min.max(self.cutoff());
        let service = &query.service_name;
        let (prefix, process_tag) = match (&query.operation_name, query.tags.iter().next()) {
            (Some(operation), _) => (keys::operation_prefix(service, operation), None),
            (None, Some((key, value))) => (
                keys::tag_prefix(TagSource::Span, service, key, value),
                Some(keys::tag_prefix(TagSource::Process, service, key, value)),
            ),
            (None, None) => (keys::service_prefix(service), None),
        };
        // Buckets run newest first, from the window's end to its start; within a bucket the
        // postings are put in start order, so candidates are met newest first throughout.
        let entries_of = |prefix: &[u8]| {
            BucketEntries::new(self.bucket_range(
                keys::prefix_hash(prefix),
                query.start_time_max,
                start_min,
            ))
        };
        let mut postings = entries_of(&prefix)?;
        let mut references = process_tag.as_deref().map(entries_of).transpose()?;
        // Postings of spans outside the window or the duration bounds cannot be the span that
        // matches: drop them before reading any trace.
        let start_window = start_min..=query.start_time_max;
        let candidate = |posting: &keys::Posting| {
            posting.may_match(&start_window, query.duration_min, query.duration_max)
        };
        let mut search = Search::new(limit);
        let mut bucket_postings: Vec<keys::Posting> = Vec::new();
        let mut processes = Vec::new();
        loop {
            let newest = postings
                .bucket()
                .max(references.as_ref().and_then(BucketEntries::bucket));
            let Some(bucket) = newest else { break };
            while let Some(value) = postings.take(bucket)? {
                bucket_postings.extend(keys::postings(&value, bucket).filter(candidate));
            }
            if let Some(references) = &mut references {
                processes.clear();
                while let Some(value) = references.take(bucket)? {
                    processes.extend(keys::process_refs(&value));
                }
                processes.sort_unstable();
                processes.dedup();
                for &process in &processes {
                    for entry in self.bucket_range(process, bucket, bucket) {
                        let (_, value) = entry.into_inner().map_err(internal)?;
                        bucket_postings.extend(keys::postings(&value, bucket).filter(candidate));
                    }
                }
            }
            if self.search_bucket(&mut search, &mut bucket_postings, query, start_min)? {
                break;
            }
        }
        Ok(search.into_results())
    }

    /// The index entries of a prefix (its hash) in the buckets from `newest` to `oldest` (times,
    /// µs), newest bucket first.
    fn bucket_range(&self, prefix_hash: u64, newest: i64, oldest: i64) -> fjall::Iter {
        let from = keys::index_entry(prefix_hash, keys::bucket_of(newest), 0);
        let to = keys::index_entry(prefix_hash, keys::bucket_of(oldest), u64::MAX);
        self.index.range(from..=to)
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

/// The index entries of one prefix, newest bucket first, taken a bucket at a time (the next
/// entry read ahead).
struct BucketEntries {
    entries: fjall::Iter,
    next: Option<(i64, fjall::UserValue)>,
}

impl BucketEntries {
    fn new(entries: fjall::Iter) -> Result<BucketEntries, StorageError> {
        let mut entries = BucketEntries {
            entries,
            next: None,
        };
        entries.advance()?;
        Ok(entries)
    }

    /// The bucket of the next entry; `None` when no entry is left.
    fn bucket(&self) -> Option<i64> {
        self.next.as_ref().map(|(bucket, _)| *bucket)
    }

    /// The next entry's value when it is in `bucket`.
    fn take(&mut self, bucket: i64) -> Result<Option<fjall::UserValue>, StorageError> {
        if self.bucket() != Some(bucket) {
            return Ok(None);
        }
        let taken = self.next.take().map(|(_, value)| value);
        self.advance()?;
        Ok(taken)
    }

    fn advance(&mut self) -> Result<(), StorageError> {
        self.next = None;
        for entry in self.entries.by_ref() {
            let (key, value) = entry.into_inner().map_err(internal)?;
            // Every key in an index range has a bucket; one that does not is skipped.
            if let Some(bucket) = keys::index_entry_bucket(&key) {
                self.next = Some((bucket, value));
                break;
            }
        }
        Ok(())
    }
}
