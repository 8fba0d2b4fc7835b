//! Key layout of the embedded store. Every key is built here, so the layout is written down once:
//!
//! | keyspace | key | value |
//! |---|---|---|
//! | `spans` | trace id (16) · start (8) · span id (8) · content hash (8) | the span, protobuf, process embedded |
//! | `index` | prefix hash (8) · inverted bucket second (4) · write sequence (8) | postings, or a process tag's references |
//! | `expiry` | bucket end (8) · write sequence (8) | the span and index keys that write put in that bucket |
//! | `services` | service | empty |
//! | `operations` | service · span kind · operation | empty |
//! | `dependencies` | timestamp (8) · sequence (8) | `GetDependenciesResponse`, protobuf |
//! | `pending` | write sequence (8) | the span keys of one write not yet indexed ([`crate::pending`]) |
//! | `meta` | `open-count` | how many times the store was opened (u64), the high bits of write sequences |
//! | `meta` | `index-format` | [`INDEX_FORMAT`] (u32): the index layout the `index` keyspace holds |
//!
//! Index entries are **postings**: one indexer pass over many writes adds one entry per distinct
//! index prefix and one-second bucket of start times, whose value lists `(start within the
//! bucket, duration, trace id)` triples (24 bytes each). Carrying the duration makes postings a
//! covering index for duration bounds: candidates outside them are dropped without reading their
//! spans. A batch of 100 spans with 20 tags thus writes about a hundred index entries instead of
//! two thousand. Queries read the postings of a bucket, order them by start time and check
//! candidates exactly.
//!
//! A process tag's entries are **references** instead: the prefix hashes of the processes holding
//! the tag that have spans in that bucket (8 bytes each), written once per pass, process and
//! bucket, while each span posts once under its process's prefix. A span of a process with eight
//! tags thus adds one posting, not eight.
//!
//! An index **prefix** names what is searched: 1 · service, 2 · service · operation, 3 ·
//! service · tag key · tag value (a span's own tags and log fields), 4 · service · process (the
//! process's protobuf bytes), or 5 · service · tag key · tag value (a process's tags: the
//! entries referring to processes). Its entries are keyed by the prefix's XXH3-64 hash, so every
//! index key is 20 bytes, short enough for the engine to keep inline in its memtable nodes
//! (comparisons never chase a pointer: measured, this halves the cost of inserting index
//! entries). Two prefixes sharing a hash only add candidates: queries check every candidate
//! trace against the query itself.
//!
//! Strings are written as a 4-byte big-endian length then the bytes, so no string can run into
//! the next field. Times are microseconds, made sortable as unsigned big-endian (sign bit
//! flipped); "inverted" times sort newest first. The content hash (XXH3-64 of the encoded
//! span, stable across releases) makes re-writing an identical span an overwrite, while two
//! different spans sharing a span id get two keys.

pub(crate) const TRACE_ID_LEN: usize = 16;
pub(crate) const SPAN_KEY_LEN: usize = TRACE_ID_LEN + 8 + 8 + 8;
pub(crate) const TIME_LEN: usize = 8;
/// Bytes of an index key: prefix hash (8), inverted bucket second (4), write sequence (8).
pub(crate) const INDEX_KEY_LEN: usize = 8 + 4 + 8;
/// The index layout written by this build (1: prefixes written out in index keys; 2: hashed;
/// 3: process tags refer to processes, each span posts once under its process).
pub(crate) const INDEX_FORMAT: u32 = 3;

const INDEX_SERVICE: u8 = 1;
const INDEX_OPERATION: u8 = 2;
const INDEX_TAG: u8 = 3;
const INDEX_PROCESS: u8 = 4;
const INDEX_PROCESS_TAG: u8 = 5;

/// Tag keys and values longer than this are stored but not indexed (a key has a size limit).
pub(crate) const MAX_INDEXED_LEN: usize = 1024;

pub(crate) fn sortable_time(micros: i64) -> [u8; 8] {
    ((micros as u64) ^ (1 << 63)).to_be_bytes()
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_bytes(out, text.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// XXH3, 64 bits: a published, fixed algorithm (stable across releases, unlike
/// `DefaultHasher`) that hashes a span in tens of nanoseconds.
pub(crate) fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

pub(crate) fn span_key(
    trace_id: &[u8; 16],
    start: i64,
    span_id: u64,
    hash: u64,
) -> [u8; SPAN_KEY_LEN] {
    let mut key = [0; SPAN_KEY_LEN];
    key[..TRACE_ID_LEN].copy_from_slice(trace_id);
    key[TRACE_ID_LEN..TRACE_ID_LEN + 8].copy_from_slice(&sortable_time(start));
    key[TRACE_ID_LEN + 8..TRACE_ID_LEN + 16].copy_from_slice(&span_id.to_be_bytes());
    key[TRACE_ID_LEN + 16..].copy_from_slice(&hash.to_be_bytes());
    key
}

/// The prefix of one index scan: everything but the time and trace id.
/// Writes the service index prefix into `out` (cleared first).
pub(crate) fn service_prefix_into(out: &mut Vec<u8>, service: &str) {
    out.clear();
    out.push(INDEX_SERVICE);
    put_str(out, service);
}

pub(crate) fn operation_prefix_into(out: &mut Vec<u8>, service: &str, operation: &str) {
    out.clear();
    out.push(INDEX_OPERATION);
    put_str(out, service);
    put_str(out, operation);
}

/// Whose tags a tag prefix indexes: a span's own (its tags and log fields, whose entries are
/// postings) or its process's (whose entries are references to the processes holding the tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagSource {
    Span,
    Process,
}

/// A tag prefix from bytes (tags read in place).
pub(crate) fn tag_prefix_into(
    out: &mut Vec<u8>,
    source: TagSource,
    service: &[u8],
    tag_key: &[u8],
    tag_value: &[u8],
) {
    out.clear();
    out.push(match source {
        TagSource::Span => INDEX_TAG,
        TagSource::Process => INDEX_PROCESS_TAG,
    });
    put_bytes(out, service);
    put_bytes(out, tag_key);
    put_bytes(out, tag_value);
}

/// The prefix every span of a process posts under, from the process's protobuf bytes.
pub(crate) fn process_prefix_into(out: &mut Vec<u8>, service: &[u8], process: &[u8]) {
    out.clear();
    out.push(INDEX_PROCESS);
    put_bytes(out, service);
    put_bytes(out, process);
}

/// What index keys carry of a prefix: its XXH3-64 hash.
pub(crate) fn prefix_hash(prefix: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(prefix)
}

/// The prefixes a query searches by: the same bytes the `_into` builders write.
pub(crate) fn service_prefix(service: &str) -> Vec<u8> {
    let mut key = Vec::new();
    service_prefix_into(&mut key, service);
    key
}

pub(crate) fn operation_prefix(service: &str, operation: &str) -> Vec<u8> {
    let mut key = Vec::new();
    operation_prefix_into(&mut key, service, operation);
    key
}

pub(crate) fn tag_prefix(
    source: TagSource,
    service: &str,
    tag_key: &str,
    tag_value: &str,
) -> Vec<u8> {
    let mut key = Vec::new();
    let [service, tag_key, tag_value] = [service, tag_key, tag_value].map(str::as_bytes);
    tag_prefix_into(&mut key, source, service, tag_key, tag_value);
    key
}

/// Width of an index bucket, in microseconds.
pub(crate) const BUCKET_MICROS: i64 = 1_000_000;
/// Bytes of one posting: its span's start within the bucket (4), duration (4) and trace id (16).
pub(crate) const POSTING_LEN: usize = 4 + 4 + TRACE_ID_LEN;
/// A posting's start or duration its 4 bytes cannot hold: a start outside the bucket (only in
/// the edge buckets, for times outside 1970..2106), a duration over 71 minutes or negative.
const NOT_HELD: u32 = u32::MAX;

/// A span's posting in the bucket of its start, encoded.
pub(crate) fn encode_posting(
    bucket: i64,
    start: i64,
    duration: i64,
    trace_id: &[u8; TRACE_ID_LEN],
) -> [u8; POSTING_LEN] {
    let held = |micros: i64, limit: i64| {
        u32::try_from(micros)
            .ok()
            .filter(|&value| i64::from(value) < limit && value != NOT_HELD)
            .unwrap_or(NOT_HELD)
    };
    let mut posting = [0; POSTING_LEN];
    posting[..4].copy_from_slice(&held(start.wrapping_sub(bucket), BUCKET_MICROS).to_be_bytes());
    posting[4..8].copy_from_slice(&held(duration, i64::MAX).to_be_bytes());
    posting[8..].copy_from_slice(trace_id);
    posting
}

/// One index posting read back: its span's start and duration (µs), as far as it holds them,
/// and its trace id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Posting {
    /// The span's start; when not held, a time at or after it (the bucket's start for times
    /// before 1970, the end of time for times after 2106), so it still bounds the span.
    pub start: i64,
    start_held: bool,
    pub duration: Option<i64>,
    pub trace_id: [u8; 16],
}

impl Posting {
    /// Whether the posting's span may start in `window` and last within the bounds (what the
    /// posting does not hold, it may).
    pub(crate) fn may_match(
        &self,
        window: &std::ops::RangeInclusive<i64>,
        duration_min: Option<i64>,
        duration_max: Option<i64>,
    ) -> bool {
        (!self.start_held || window.contains(&self.start))
            && self.duration.is_none_or(|duration| {
                duration_min.is_none_or(|min| duration >= min)
                    && duration_max.is_none_or(|max| duration <= max)
            })
    }
}

/// The start of the bucket holding `micros`. Buckets are the seconds index keys can hold (4
/// bytes: 1970 to 2106); a time outside that is in the nearest bucket (its span is still checked
/// exactly by queries), so distinct buckets always make distinct index keys.
pub(crate) fn bucket_of(micros: i64) -> i64 {
    micros
        .div_euclid(BUCKET_MICROS)
        .clamp(0, i64::from(u32::MAX))
        * BUCKET_MICROS
}

/// A bucket's second, as index keys hold it.
fn bucket_second(bucket: i64) -> u32 {
    u32::try_from(bucket.div_euclid(BUCKET_MICROS).max(0)).unwrap_or(u32::MAX)
}

/// An index entry's key: the prefix hash, the inverted bucket second (newest first) and the
/// write's sequence number; [`INDEX_KEY_LEN`] bytes.
pub(crate) fn index_entry(prefix_hash: u64, bucket: i64, sequence: u64) -> [u8; INDEX_KEY_LEN] {
    let mut key = [0; INDEX_KEY_LEN];
    key[..8].copy_from_slice(&prefix_hash.to_be_bytes());
    key[8..12].copy_from_slice(&(!bucket_second(bucket)).to_be_bytes());
    key[12..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// The bucket (its start, µs) of an index entry's key.
pub(crate) fn index_entry_bucket(key: &[u8]) -> Option<i64> {
    let second = !u32::from_be_bytes(key.get(8..12)?.try_into().ok()?);
    Some(i64::from(second) * BUCKET_MICROS)
}

/// The postings of an index entry's value, in the entry's bucket.
pub(crate) fn postings(value: &[u8], bucket: i64) -> impl Iterator<Item = Posting> + '_ {
    value.chunks_exact(POSTING_LEN).filter_map(move |chunk| {
        let number = |range: std::ops::Range<usize>| {
            Some(u32::from_be_bytes(chunk.get(range)?.try_into().ok()?))
        };
        let (offset, duration) = (number(0..4)?, number(4..8)?);
        let start = match offset {
            NOT_HELD if bucket == 0 => bucket,
            NOT_HELD => i64::MAX,
            offset => bucket + i64::from(offset),
        };
        Some(Posting {
            start,
            start_held: offset != NOT_HELD,
            duration: (duration != NOT_HELD).then_some(i64::from(duration)),
            trace_id: chunk.get(8..)?.try_into().ok()?,
        })
    })
}

/// Bytes of one process reference: a process's prefix hash.
pub(crate) const PROCESS_REF_LEN: usize = 8;

pub(crate) fn push_process_ref(value: &mut Vec<u8>, process_hash: u64) {
    value.extend_from_slice(&process_hash.to_be_bytes());
}

/// The process prefix hashes of a process tag's entry.
pub(crate) fn process_refs(value: &[u8]) -> impl Iterator<Item = u64> + '_ {
    value
        .chunks_exact(PROCESS_REF_LEN)
        .filter_map(|chunk| Some(u64::from_be_bytes(chunk.try_into().ok()?)))
}

pub(crate) fn expiry_key(bucket: i64, sequence: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(TIME_LEN + 8);
    key.extend_from_slice(&sortable_time(bucket + BUCKET_MICROS));
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

/// An expiry list being built, encoded as keys arrive (no allocation per key): a count then
/// each key with its length, for span keys, then the same for index keys.
#[derive(Debug, Default)]
pub(crate) struct ExpiryBuilder {
    span_keys: Vec<u8>,
    span_count: u32,
    index_keys: Vec<u8>,
    index_count: u32,
}

impl ExpiryBuilder {
    pub(crate) fn push_span_key(&mut self, key: &[u8]) {
        put_bytes(&mut self.span_keys, key);
        self.span_count += 1;
    }

    pub(crate) fn push_index_key(&mut self, key: &[u8]) {
        put_bytes(&mut self.index_keys, key);
        self.index_count += 1;
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.span_keys.len() + self.index_keys.len());
        out.extend_from_slice(&self.span_count.to_be_bytes());
        out.extend_from_slice(&self.span_keys);
        out.extend_from_slice(&self.index_count.to_be_bytes());
        out.extend_from_slice(&self.index_keys);
        out
    }
}

/// The keys one write put into one bucket: span keys, then index entry keys.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ExpiryList {
    pub span_keys: Vec<Vec<u8>>,
    pub index_keys: Vec<Vec<u8>>,
}

impl ExpiryList {
    pub(crate) fn decode(mut bytes: &[u8]) -> Option<ExpiryList> {
        let read_u32 = |bytes: &mut &[u8]| {
            let value = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
            *bytes = bytes.get(4..)?;
            Some(value)
        };
        let mut lists = [Vec::new(), Vec::new()];
        for list in &mut lists {
            let count = read_u32(&mut bytes)?;
            for _ in 0..count {
                let length = read_u32(&mut bytes)?;
                list.push(bytes.get(..length)?.to_vec());
                bytes = bytes.get(length..)?;
            }
        }
        let [span_keys, index_keys] = lists;
        Some(ExpiryList {
            span_keys,
            index_keys,
        })
    }
}

/// Writes an operations-keyspace key into `out` (cleared first).
pub(crate) fn operation_key_into(
    out: &mut Vec<u8>,
    service: &str,
    span_kind: &str,
    operation: &str,
) {
    out.clear();
    put_str(out, service);
    put_str(out, span_kind);
    put_str(out, operation);
}

pub(crate) fn operations_prefix(service: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(4 + service.len() + 32);
    put_str(&mut key, service);
    key
}

/// Reads the (span kind, operation) of an operations key after its service prefix.
pub(crate) fn operation_from_key(key: &[u8], prefix_len: usize) -> Option<(String, String)> {
    let mut rest = key.get(prefix_len..)?;
    let mut take = || {
        let length = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let text = std::str::from_utf8(rest.get(4..4 + length)?)
            .ok()?
            .to_owned();
        rest = rest.get(4 + length..)?;
        Some(text)
    };
    let kind = take()?;
    let operation = take()?;
    Some((kind, operation))
}

pub(crate) fn dependencies_key(timestamp: i64, sequence: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(16);
    key.extend_from_slice(&sortable_time(timestamp));
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sort_as_numbers() {
        let times = [-5_000_000i64, -1, 0, 1, 1_700_000_000_000_000];
        for pair in times.windows(2) {
            assert!(sortable_time(pair[0]) < sortable_time(pair[1]));
        }
    }

    #[test]
    fn prefixes_cannot_run_into_each_other() {
        assert!(!operation_prefix("ab", "c").starts_with(&operation_prefix("a", "bc")));
        let hash = prefix_hash(&service_prefix("svc"));
        let entry = index_entry(hash, bucket_of(42), 7);
        assert_eq!(index_entry_bucket(&entry), Some(0));
        // Newest bucket first; times outside 1970..2106 land in the nearest bucket.
        assert!(index_entry(hash, 5_000_000, 0) < index_entry(hash, 4_000_000, u64::MAX));
        assert_eq!(index_entry_bucket(&index_entry(hash, -9, 0)), Some(0));
        assert_eq!(
            index_entry_bucket(&index_entry(hash, i64::MAX, 0)),
            Some(i64::from(u32::MAX) * BUCKET_MICROS)
        );
        // Postings hold a start within its bucket and a duration below 71 minutes; what they
        // cannot hold makes them candidates for every window and duration bound.
        let bucket = 7 * BUCKET_MICROS;
        let value = [
            encode_posting(bucket, bucket + 999_999, 5, &[9; 16]),
            encode_posting(bucket, bucket - 1, -1, &[1; 16]),
            encode_posting(bucket, bucket, i64::from(u32::MAX), &[2; 16]),
        ]
        .concat();
        let read: Vec<Posting> = postings(&value, bucket).collect();
        assert_eq!(read.len(), 3);
        assert_eq!(
            (read[0].start, read[0].duration, read[0].trace_id),
            (bucket + 999_999, Some(5), [9; 16])
        );
        assert_eq!((read[1].start, read[1].duration), (i64::MAX, None));
        assert_eq!((read[2].start, read[2].duration), (bucket, None));
        let window = bucket..=bucket + 999_999;
        assert!(read[0].may_match(&window, Some(5), Some(5)));
        assert!(!read[0].may_match(&window, Some(6), None));
        assert!(!read[0].may_match(&(0..=bucket), None, None));
        assert!(read[1].may_match(&(0..=1), Some(10), Some(1)));
        assert!(read[2].may_match(&window, Some(i64::MAX), None));
        assert!(!read[2].may_match(&(0..=1), None, None));
        let early = postings(&encode_posting(0, -5, 1, &[3; 16]), 0)
            .next()
            .unwrap();
        assert_eq!(
            early.start, 0,
            "a start before 1970 is bounded by its bucket's start"
        );
        let mut references = Vec::new();
        push_process_ref(&mut references, 3);
        push_process_ref(&mut references, u64::MAX);
        assert_eq!(
            process_refs(&references).collect::<Vec<_>>(),
            vec![3, u64::MAX]
        );
        // A process tag's references and a span tag's postings never share a prefix.
        assert_ne!(
            tag_prefix(TagSource::Process, "s", "k", "v"),
            tag_prefix(TagSource::Span, "s", "k", "v")
        );
        assert_eq!(bucket_of(-1), 0);
        assert_eq!(bucket_of(i64::MAX), i64::from(u32::MAX) * BUCKET_MICROS);
        let mut builder = ExpiryBuilder::default();
        builder.push_index_key(&[]);
        builder.push_span_key(&[1, 2]);
        builder.push_index_key(&[3]);
        let list = ExpiryList {
            span_keys: vec![vec![1, 2]],
            index_keys: vec![vec![], vec![3]],
        };
        assert_eq!(ExpiryList::decode(&builder.encode()), Some(list));
        let mut key = Vec::new();
        operation_key_into(&mut key, "svc", "server", "GET /");
        let prefix = operations_prefix("svc");
        assert_eq!(
            operation_from_key(&key, prefix.len()),
            Some(("server".to_owned(), "GET /".to_owned()))
        );
    }
}
