//! Key layout of the embedded store. Every key is built here, so the layout is written down once:
//!
//! | keyspace | key | value |
//! |---|---|---|
//! | `spans` | trace id (16) · start (8) · span id (8) · content hash (8) | the span, protobuf, process embedded |
//! | `index` | 1 · service · inverted start (8) · trace id (16) | empty |
//! | `index` | 2 · service · operation · inverted start · trace id | empty |
//! | `index` | 3 · service · tag key · tag value · inverted start · trace id | empty |
//! | `expiry` | start (8) · span key (40) | empty |
//! | `services` | service | empty |
//! | `operations` | service · span kind · operation | empty |
//! | `dependencies` | timestamp (8) · sequence (8) | `GetDependenciesResponse`, protobuf |
//!
//! Strings are written as a 4-byte big-endian length then the bytes, so no string can run into
//! the next field. Times are microseconds, made sortable as unsigned big-endian (sign bit
//! flipped); "inverted" times sort newest first. The content hash (FNV-1a 64 of the encoded
//! span, stable across releases) makes re-writing an identical span an overwrite, while two
//! different spans sharing a span id get two keys.

pub(crate) const TRACE_ID_LEN: usize = 16;
pub(crate) const SPAN_KEY_LEN: usize = TRACE_ID_LEN + 8 + 8 + 8;
pub(crate) const TIME_LEN: usize = 8;

const INDEX_SERVICE: u8 = 1;
const INDEX_OPERATION: u8 = 2;
const INDEX_TAG: u8 = 3;

/// Tag keys and values longer than this are stored but not indexed (a key has a size limit).
pub(crate) const MAX_INDEXED_LEN: usize = 1024;

pub(crate) fn sortable_time(micros: i64) -> [u8; 8] {
    ((micros as u64) ^ (1 << 63)).to_be_bytes()
}

pub(crate) fn inverted_time(micros: i64) -> [u8; 8] {
    (!((micros as u64) ^ (1 << 63))).to_be_bytes()
}

pub(crate) fn time_from_inverted(bytes: &[u8]) -> Option<i64> {
    let array: [u8; 8] = bytes.try_into().ok()?;
    Some((!u64::from_be_bytes(array) ^ (1 << 63)) as i64)
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// FNV-1a, 64 bits: tiny and stable across Rust releases (unlike `DefaultHasher`).
pub(crate) fn content_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) fn span_key(trace_id: &[u8; 16], start: i64, span_id: u64, hash: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(SPAN_KEY_LEN);
    key.extend_from_slice(trace_id);
    key.extend_from_slice(&sortable_time(start));
    key.extend_from_slice(&span_id.to_be_bytes());
    key.extend_from_slice(&hash.to_be_bytes());
    key
}

/// The prefix of one index scan: everything but the time and trace id.
pub(crate) fn service_prefix(service: &str) -> Vec<u8> {
    let mut key = vec![INDEX_SERVICE];
    put_str(&mut key, service);
    key
}

pub(crate) fn operation_prefix(service: &str, operation: &str) -> Vec<u8> {
    let mut key = vec![INDEX_OPERATION];
    put_str(&mut key, service);
    put_str(&mut key, operation);
    key
}

pub(crate) fn tag_prefix(service: &str, tag_key: &str, tag_value: &str) -> Vec<u8> {
    let mut key = vec![INDEX_TAG];
    put_str(&mut key, service);
    put_str(&mut key, tag_key);
    put_str(&mut key, tag_value);
    key
}

/// An index entry: the prefix, then the inverted start time and the trace id.
pub(crate) fn index_entry(prefix: &[u8], start: i64, trace_id: &[u8; 16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + TIME_LEN + TRACE_ID_LEN);
    key.extend_from_slice(prefix);
    key.extend_from_slice(&inverted_time(start));
    key.extend_from_slice(trace_id);
    key
}

/// Splits an index entry's tail into (start time, trace id).
pub(crate) fn index_entry_tail(key: &[u8]) -> Option<(i64, [u8; 16])> {
    let tail = key.len().checked_sub(TIME_LEN + TRACE_ID_LEN)?;
    let start = time_from_inverted(key.get(tail..tail + TIME_LEN)?)?;
    let trace_id = key.get(tail + TIME_LEN..)?.try_into().ok()?;
    Some((start, trace_id))
}

pub(crate) fn expiry_key(start: i64, span_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(TIME_LEN + span_key.len());
    key.extend_from_slice(&sortable_time(start));
    key.extend_from_slice(span_key);
    key
}

pub(crate) fn operation_key(service: &str, span_kind: &str, operation: &str) -> Vec<u8> {
    let mut key = operations_prefix(service);
    put_str(&mut key, span_kind);
    put_str(&mut key, operation);
    key
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
    fn times_sort_as_numbers_and_inverted_times_in_reverse() {
        let times = [-5_000_000i64, -1, 0, 1, 1_700_000_000_000_000];
        for pair in times.windows(2) {
            assert!(sortable_time(pair[0]) < sortable_time(pair[1]));
            assert!(inverted_time(pair[0]) > inverted_time(pair[1]));
        }
        for time in times {
            assert_eq!(time_from_inverted(&inverted_time(time)), Some(time));
        }
    }

    #[test]
    fn prefixes_cannot_run_into_each_other() {
        assert!(!operation_prefix("ab", "c").starts_with(&operation_prefix("a", "bc")));
        let entry = index_entry(&service_prefix("svc"), 42, &[7; 16]);
        assert_eq!(index_entry_tail(&entry), Some((42, [7; 16])));
        let key = operation_key("svc", "server", "GET /");
        let prefix = operations_prefix("svc");
        assert_eq!(
            operation_from_key(&key, prefix.len()),
            Some(("server".to_owned(), "GET /".to_owned()))
        );
    }
}
