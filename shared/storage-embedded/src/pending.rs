//! Index work not yet applied. Each write stores, in the same atomic batch as its spans, one
//! `pending` entry listing the keys of the spans it wrote ([`keys::SPAN_KEY_LEN`] bytes each).
//! The indexer later reads those spans back and merges the postings of many writes into one index
//! entry per distinct index prefix and bucket (and, for process tags, one entry referring to
//! the processes holding the tag). Writers thus store each span once and no index data at all;
//! merging a second of writes turns thousands of postings into few entries.

use rustc_hash::{FxHashMap, FxHashSet};
use spur_model::span_view::{SpanView, TagValue, TagView, for_each_process_tag};

use crate::keys::{
    self,
    TagSource::{Process, Span},
};

/// At most this many processes' prefix hashes are remembered per pass (a process is a few
/// hundred bytes: this bounds the memory if every span came from a process of its own).
const MAX_PROCESSES: usize = 4_096;

/// The value a tag is indexed by, or none for a tag too long to index.
fn indexed_value<'r, 'a: 'r>(formatted: &'r mut Vec<u8>, tag: &TagView<'a>) -> Option<&'r [u8]> {
    let value = match tag.value {
        TagValue::Str(text) => text,
        other => {
            formatted.clear();
            other.write_to(formatted);
            formatted.as_slice()
        }
    };
    (tag.key.len() <= keys::MAX_INDEXED_LEN && value.len() <= keys::MAX_INDEXED_LEN)
        .then_some(value)
}

/// What every span of one process is indexed under, hashed once per pass.
#[derive(Debug, Clone, Default)]
struct ProcessHashes {
    /// The service's prefix hash: each span posts there.
    service: u64,
    /// The process's prefix hash: each span posts there too.
    process: u64,
    /// The process tags' prefix hashes, whose entries refer to `process`.
    tags: Vec<u64>,
}

impl ProcessHashes {
    /// Hashes the prefixes of a process (its protobuf bytes) of `service` into `self`.
    fn compute(
        &mut self,
        prefix: &mut Vec<u8>,
        formatted: &mut Vec<u8>,
        service: &str,
        process: Option<&[u8]>,
    ) {
        keys::service_prefix_into(prefix, service);
        self.service = keys::prefix_hash(prefix);
        keys::process_prefix_into(prefix, service.as_bytes(), process.unwrap_or_default());
        self.process = keys::prefix_hash(prefix);
        self.tags.clear();
        if let Some(process) = process {
            for_each_process_tag(process, |tag| {
                if let Some(value) = indexed_value(formatted, &tag) {
                    keys::tag_prefix_into(prefix, Process, service.as_bytes(), tag.key, value);
                    self.tags.push(keys::prefix_hash(prefix));
                }
            });
        }
    }
}

/// The keys listed in a pending entry's value.
pub(crate) fn span_keys(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.chunks_exact(keys::SPAN_KEY_LEN)
}

/// Postings and process references with their group (index prefix hash, bucket), and span keys
/// per bucket, gathered from many writes' spans.
#[derive(Debug, Default)]
pub(crate) struct IndexWork {
    /// One flat list, grouped only at the end ([`IndexWork::groups`]): no allocation per group.
    postings: Vec<(u64, i64, [u8; keys::POSTING_LEN])>,
    /// (process tag prefix hash, bucket, process prefix hash): added once per process and bucket.
    process_refs: Vec<(u64, i64, u64)>,
    /// The (process prefix hash, bucket) pairs whose references were added this pass.
    process_buckets: FxHashSet<(u64, i64)>,
    /// Per bucket, the expiry list of the spans added (their index keys are added when written).
    pub expiry: FxHashMap<i64, keys::ExpiryBuilder>,
    /// The prefix hashes of each process seen this pass, by its bytes (exact: no collision).
    processes: FxHashMap<Box<[u8]>, ProcessHashes>,
    /// Reused for the hashes of a process not remembered (so none is allocated per span once
    /// [`MAX_PROCESSES`] are remembered).
    unremembered: ProcessHashes,
    /// Reused buffers for index prefixes and for tag values that are not strings.
    prefix: Vec<u8>,
    formatted: Vec<u8>,
}

impl IndexWork {
    /// Empties the work, keeping its buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.postings.clear();
        self.process_refs.clear();
        self.process_buckets.clear();
        self.expiry.clear();
        self.processes.clear();
    }

    /// Adds one stored span: a posting under its operation, each of its own tags (span tags,
    /// log fields), its service and its process; the first span of a process in a bucket also
    /// adds the process's tags' references to it; and its key under its bucket for expiry.
    pub(crate) fn add_span(&mut self, span_key: &[u8], span: &SpanView<'_>) {
        let start = span.start_micros;
        let bucket = keys::bucket_of(start);
        let service = span.service_name.unwrap_or("");
        let trace_id = span_key
            .get(..keys::TRACE_ID_LEN)
            .and_then(|id| id.try_into().ok())
            .unwrap_or_default();
        let posting = keys::encode_posting(bucket, start, span.duration_micros, &trace_id);
        let mut prefix = std::mem::take(&mut self.prefix);
        let mut formatted = std::mem::take(&mut self.formatted);
        keys::operation_prefix_into(&mut prefix, service, span.operation_name);
        self.postings
            .push((keys::prefix_hash(&prefix), bucket, posting));
        let process = span.for_each_own_tag(|tag| {
            if let Some(value) = indexed_value(&mut formatted, &tag) {
                keys::tag_prefix_into(&mut prefix, Span, service.as_bytes(), tag.key, value);
                self.postings
                    .push((keys::prefix_hash(&prefix), bucket, posting));
            }
        });
        // The service's, the process's and its tags' prefixes, hashed once per process and pass.
        let hashes = match process.and_then(|process| self.processes.get(process)) {
            Some(hashes) => hashes,
            None => {
                let hashes = &mut self.unremembered;
                hashes.compute(&mut prefix, &mut formatted, service, process);
                if let Some(process) = process
                    && self.processes.len() < MAX_PROCESSES
                {
                    self.processes.insert(process.into(), hashes.clone());
                }
                &self.unremembered
            }
        };
        self.postings.push((hashes.service, bucket, posting));
        self.postings.push((hashes.process, bucket, posting));
        if self.process_buckets.insert((hashes.process, bucket)) {
            for &tag in &hashes.tags {
                self.process_refs.push((tag, bucket, hashes.process));
            }
        }
        self.prefix = prefix;
        self.formatted = formatted;
        self.expiry
            .entry(bucket)
            .or_default()
            .push_span_key(span_key);
    }

    /// How many entries the pass writes at most (postings and references).
    pub(crate) fn entry_count(&self) -> usize {
        self.postings.len() + self.process_refs.len()
    }

    /// Calls `each` with every index entry of the pass, in key order: its key (prefix hash, the
    /// newest bucket first, then `sequence` for postings and `sequence + 1` for references, so
    /// no two entries share a key), its bucket and its encoded postings or references.
    pub(crate) fn groups(
        &mut self,
        sequence: u64,
        mut each: impl FnMut([u8; keys::INDEX_KEY_LEN], i64, &[u8]),
    ) {
        let order = |hash: u64, bucket: i64| (hash, std::cmp::Reverse(bucket));
        self.postings
            .sort_unstable_by_key(|(hash, bucket, _)| order(*hash, *bucket));
        self.process_refs
            .sort_unstable_by_key(|&(hash, bucket, process)| (order(hash, bucket), process));
        self.process_refs.dedup();
        let mut postings = self
            .postings
            .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
            .peekable();
        let mut references = self
            .process_refs
            .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
            .peekable();
        let mut value = Vec::new();
        loop {
            let posting_key = postings
                .peek()
                .map(|group| keys::index_entry(group[0].0, group[0].1, sequence));
            let reference_key = references
                .peek()
                .map(|group| keys::index_entry(group[0].0, group[0].1, sequence + 1));
            value.clear();
            let posting_first = match (posting_key, reference_key) {
                (Some(posting), Some(reference)) => posting < reference,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (key, bucket) = if posting_first {
                let (Some(key), Some(group)) = (posting_key, postings.next()) else {
                    break;
                };
                group
                    .iter()
                    .for_each(|(_, _, posting)| value.extend_from_slice(posting));
                (key, group[0].1)
            } else {
                let (Some(key), Some(group)) = (reference_key, references.next()) else {
                    break;
                };
                group
                    .iter()
                    .for_each(|&(_, _, process)| keys::push_process_ref(&mut value, process));
                (key, group[0].1)
            };
            each(key, bucket, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spur_model::TraceId;
    use spur_model::api_v2::{KeyValue, Process, Span};

    #[test]
    fn a_span_posts_under_operation_own_tags_service_and_process() {
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
        let mut groups = Vec::new();
        work.groups(7, |key, bucket, value| {
            groups.push((key, bucket, value.to_vec()))
        });
        assert!(groups.is_sorted_by_key(|(key, _, _)| *key), "in key order");
        assert!(
            groups.windows(2).all(|pair| pair[0].0 != pair[1].0),
            "distinct keys"
        );
        assert!(groups.iter().all(|(_, bucket, _)| *bucket == 2_000_000));
        let entry = |prefix: &[u8], sequence: u64| {
            let key = keys::index_entry(keys::prefix_hash(prefix), 2_000_000, sequence);
            groups
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, _, value)| value.as_slice())
        };
        let postings = |prefix: &[u8]| {
            entry(prefix, 7).map_or(0, |value| keys::postings(value, 2_000_000).count())
        };
        let span_tag = keys::tag_prefix(Span, "svc", "http.status_code", "200");
        let first = keys::postings(entry(&span_tag, 7).unwrap(), 2_000_000)
            .next()
            .unwrap();
        assert_eq!((first.start, first.duration), (2_500_000, Some(7)));
        assert_eq!(first.trace_id, TraceId::new(0, 9).to_bytes());
        assert_eq!(
            postings(&span_tag),
            3,
            "two spans of svc's process a, one of its process b"
        );
        assert_eq!(postings(&keys::service_prefix("svc")), 3);
        assert_eq!(postings(&keys::operation_prefix("other", "GET")), 1);
        // Each span posts once under its process (not under each process tag); each process
        // tag refers, once per bucket, to the processes holding it.
        let process = |service: &str, host: &str| {
            let process = Process {
                service_name: service.into(),
                tags: vec![KeyValue::string("host", host)],
            };
            let mut prefix = Vec::new();
            let bytes = prost::Message::encode_to_vec(&process);
            keys::process_prefix_into(&mut prefix, service.as_bytes(), &bytes);
            prefix
        };
        assert_eq!(postings(&process("svc", "a")), 2);
        assert_eq!(postings(&process("svc", "b")), 1);
        assert_eq!(postings(&keys::tag_prefix(Span, "svc", "host", "a")), 0);
        let references = |service, host| {
            let value = entry(&keys::tag_prefix(Process, service, "host", host), 8).unwrap();
            keys::process_refs(value).collect::<Vec<_>>()
        };
        let hash = |prefix: Vec<u8>| keys::prefix_hash(&prefix);
        assert_eq!(references("svc", "a"), vec![hash(process("svc", "a"))]);
        assert_eq!(references("svc", "b"), vec![hash(process("svc", "b"))]);
        assert_eq!(references("other", "a"), vec![hash(process("other", "a"))]);
        assert_eq!(
            work.processes.len(),
            3,
            "each distinct process remembered once"
        );
        // svc: operation, span tag, service, two processes, two host references; other:
        // operation, span tag, service, process, host reference
        assert_eq!(groups.len(), 12);
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
        let last = keys::tag_prefix(Process, "svc", "host", &MAX_PROCESSES.to_string());
        let last = keys::index_entry(keys::prefix_hash(&last), 0, 1);
        let mut found = false;
        work.groups(0, |key, _, _| found |= key == last);
        assert!(
            found,
            "the process past the bound is still referred to by its tag"
        );
    }
}
