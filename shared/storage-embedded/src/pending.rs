//! Index work not yet applied. Each write stores, in the same atomic batch as its spans, one
//! `pending` entry listing the keys of the spans it wrote ([`keys::SPAN_KEY_LEN`] bytes each).
//! The indexer later reads those spans back and merges the postings of many writes into one index
//! entry per distinct index prefix and bucket. Writers thus store each span once and no index
//! data at all; merging a second of writes turns thousands of postings into few entries.

use rustc_hash::FxHashMap;
use spur_model::span_view::{SpanView, TagValue, TagView, for_each_process_tag};

use crate::keys;

/// At most this many processes' prefix hashes are remembered per pass (a process is a few
/// hundred bytes: this bounds the memory if every span came from a process of its own).
const MAX_PROCESSES: usize = 4_096;

/// The hash of a tag's index prefix, or none for a tag too long to index.
fn tag_hash(
    prefix: &mut Vec<u8>,
    formatted: &mut Vec<u8>,
    service: &str,
    tag: TagView<'_>,
) -> Option<u64> {
    let value = match tag.value {
        TagValue::Str(text) => text,
        other => {
            formatted.clear();
            other.write_to(formatted);
            formatted.as_slice()
        }
    };
    if tag.key.len() > keys::MAX_INDEXED_LEN || value.len() > keys::MAX_INDEXED_LEN {
        return None;
    }
    keys::tag_prefix_into(prefix, service.as_bytes(), tag.key, value);
    Some(keys::prefix_hash(prefix))
}

/// Writes into `hashes` (cleared first) the prefix hashes every span of a process posts
/// under: its service's, then its tags'.
fn process_prefix_hashes(
    hashes: &mut Vec<u64>,
    prefix: &mut Vec<u8>,
    formatted: &mut Vec<u8>,
    service: &str,
    process: Option<&[u8]>,
) {
    keys::service_prefix_into(prefix, service);
    hashes.clear();
    hashes.push(keys::prefix_hash(prefix));
    if let Some(process) = process {
        for_each_process_tag(process, |tag| {
            hashes.extend(tag_hash(prefix, formatted, service, tag));
        });
    }
}

/// The keys listed in a pending entry's value.
pub(crate) fn span_keys(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.chunks_exact(keys::SPAN_KEY_LEN)
}

/// Postings with their group (index prefix hash, bucket) and span keys per bucket, gathered
/// from many writes' spans.
#[derive(Debug, Default)]
pub(crate) struct IndexWork {
    /// One flat list, grouped only at the end ([`IndexWork::groups`]): no allocation per group.
    postings: Vec<(u64, i64, keys::Posting)>,
    /// Per bucket, the expiry list of the spans added (their index keys are added when written).
    pub expiry: FxHashMap<i64, keys::ExpiryBuilder>,
    /// The prefix hashes of each process seen this pass (by its bytes: exact, no collision):
    /// its service and its tags, the same for all its spans (about half of a span's postings).
    processes: FxHashMap<Box<[u8]>, Vec<u64>>,
    /// Reused for the hashes of a process not remembered (so none is allocated per span once
    /// [`MAX_PROCESSES`] are remembered).
    process_hashes: Vec<u64>,
    /// Reused buffers for index prefixes and for tag values that are not strings.
    prefix: Vec<u8>,
    formatted: Vec<u8>,
}

impl IndexWork {
    /// Empties the work, keeping its buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.postings.clear();
        self.expiry.clear();
        self.processes.clear();
    }

    /// Adds one stored span: a posting under its service, its operation and each searchable tag
    /// (span tags, log fields, process tags), and its key under its bucket for expiry.
    pub(crate) fn add_span(&mut self, span_key: &[u8], span: &SpanView<'_>) {
        let start = span.start_micros;
        let bucket = keys::bucket_of(start);
        let service = span.service_name.unwrap_or("");
        let posting = keys::Posting {
            start,
            duration: span.duration_micros,
            trace_id: span_key
                .get(..keys::TRACE_ID_LEN)
                .and_then(|id| id.try_into().ok())
                .unwrap_or_default(),
        };
        let mut prefix = std::mem::take(&mut self.prefix);
        let mut formatted = std::mem::take(&mut self.formatted);
        keys::operation_prefix_into(&mut prefix, service, span.operation_name);
        self.post(keys::prefix_hash(&prefix), bucket, &posting);
        let process = span.for_each_own_tag(|tag| {
            if let Some(hash) = tag_hash(&mut prefix, &mut formatted, service, tag) {
                self.post(hash, bucket, &posting);
            }
        });
        // The service's and the process tags' prefixes, hashed once per process and pass.
        let process_hashes = match process.and_then(|process| self.processes.get(process)) {
            Some(hashes) => hashes,
            None => {
                let hashes = &mut self.process_hashes;
                process_prefix_hashes(hashes, &mut prefix, &mut formatted, service, process);
                if let Some(process) = process
                    && self.processes.len() < MAX_PROCESSES
                {
                    self.processes.insert(process.into(), hashes.clone());
                }
                &self.process_hashes
            }
        };
        for &hash in process_hashes {
            self.postings.push((hash, bucket, posting));
        }
        self.prefix = prefix;
        self.formatted = formatted;
        self.expiry
            .entry(bucket)
            .or_default()
            .push_span_key(span_key);
    }

    /// How many postings were added (an upper bound on the number of groups).
    pub(crate) fn posting_count(&self) -> usize {
        self.postings.len()
    }

    /// Adds a posting to the group of a prefix (its hash) and `bucket`.
    fn post(&mut self, prefix_hash: u64, bucket: i64, posting: &keys::Posting) {
        self.postings.push((prefix_hash, bucket, *posting));
    }

    /// Calls `each` with every posting group, in index-key order (prefix hash, then the newest
    /// bucket first: consecutive memtable inserts then land next to each other), and the
    /// group's encoded postings.
    pub(crate) fn groups(&mut self, mut each: impl FnMut(u64, i64, &[u8])) {
        self.postings
            .sort_unstable_by_key(|(hash, bucket, _)| (*hash, std::cmp::Reverse(*bucket)));
        let mut value = Vec::new();
        for group in self.postings.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            value.clear();
            for (_, _, posting) in group {
                keys::push_posting(&mut value, posting);
            }
            each(group[0].0, group[0].1, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spur_model::TraceId;
    use spur_model::api_v2::{KeyValue, Process, Span};

    #[test]
    fn a_span_posts_under_service_operation_and_each_tag() {
        let span = Span {
            trace_id: TraceId::new(0, 9).to_bytes().to_vec(),
            span_id: 1u64.to_be_bytes().to_vec(),
            operation_name: "GET".into(),
            start_time: Some(spur_model::time::timestamp_from_micros(2_500_000)),
            duration: Some(spur_model::time::duration_from_micros(7)),
            tags: vec![KeyValue::int64("http.status_code", 200)],
            process: Some(Process {
                service_name: "svc".into(),
                tags: vec![KeyValue::string("host", "a")],
            }),
            ..Default::default()
        };
        let key = keys::span_key(&TraceId::new(0, 9).to_bytes(), 2_500_000, 1, 0);
        let bytes = prost::Message::encode_to_vec(&span);
        let view = SpanView::parse(&bytes).unwrap();
        let mut work = IndexWork::default();
        work.add_span(&key, &view);
        work.add_span(&key, &view);
        for (service, host) in [("svc", "b"), ("other", "a")] {
            let span = Span {
                process: Some(Process {
                    service_name: service.into(),
                    tags: vec![KeyValue::string("host", host)],
                }),
                ..span.clone()
            };
            let bytes = prost::Message::encode_to_vec(&span);
            work.add_span(&key, &SpanView::parse(&bytes).unwrap());
        }
        let expected = keys::prefix_hash(&keys::tag_prefix("svc", "http.status_code", "200"));
        let mut groups = Vec::new();
        work.groups(|hash, bucket, value| {
            groups.push((hash, bucket, keys::postings(value).collect::<Vec<_>>()));
        });
        let (_, _, postings) = groups
            .iter()
            .find(|(hash, bucket, _)| (*hash, *bucket) == (expected, 2_000_000))
            .unwrap();
        assert_eq!(
            postings.len(),
            3,
            "two spans of process a, one of process b"
        );
        assert_eq!(postings[0].duration, 7);
        assert_eq!(postings[0].trace_id, TraceId::new(0, 9).to_bytes());
        // The process tag's postings come from the hashes remembered for the process: the
        // second span of the same process posts there too, one of another process elsewhere.
        let posted = |groups: &[(u64, i64, Vec<keys::Posting>)], service, host| {
            let hash = keys::prefix_hash(&keys::tag_prefix(service, "host", host));
            groups
                .iter()
                .find(|(h, _, _)| *h == hash)
                .map_or(0, |(_, _, postings)| postings.len())
        };
        assert_eq!(
            work.processes.len(),
            3,
            "each distinct process remembered once"
        );
        assert_eq!(posted(&groups, "svc", "a"), 2);
        assert_eq!(posted(&groups, "svc", "b"), 1);
        assert_eq!(posted(&groups, "other", "a"), 1);
        // service, operation, span tag and process tag of "svc"; its second process adds a
        // process tag; service "other" adds all four
        assert_eq!(groups.len(), 9);
        assert!(
            groups.is_sorted_by_key(|(hash, _, _)| *hash),
            "in key order"
        );
        let expiry = keys::ExpiryList::decode(&work.expiry[&2_000_000].encode()).unwrap();
        assert_eq!(expiry.span_keys, vec![key.to_vec(); 4]);
        assert_eq!(span_keys(&[key, key].concat()).count(), 2);
    }

    #[test]
    fn processes_beyond_the_bound_are_indexed_but_not_remembered() {
        let key = keys::span_key(&TraceId::new(0, 1).to_bytes(), 0, 1, 0);
        let mut work = IndexWork::default();
        for n in 0..=MAX_PROCESSES {
            let span = Span {
                trace_id: TraceId::new(0, 1).to_bytes().to_vec(),
                span_id: 1u64.to_be_bytes().to_vec(),
                process: Some(Process {
                    service_name: "svc".into(),
                    tags: vec![KeyValue::string("host", n.to_string())],
                }),
                ..Default::default()
            };
            let bytes = prost::Message::encode_to_vec(&span);
            work.add_span(&key, &SpanView::parse(&bytes).unwrap());
        }
        assert_eq!(work.processes.len(), MAX_PROCESSES);
        let last = keys::prefix_hash(&keys::tag_prefix("svc", "host", &MAX_PROCESSES.to_string()));
        let mut found = false;
        work.groups(|hash, _, _| found |= hash == last);
        assert!(
            found,
            "the process past the bound still posts under its tag"
        );
    }
}
