//! Index work not yet applied: each write stores, in the same atomic batch as its spans, the
//! postings and expiry entries its spans need (one `pending` entry); an indexer later merges many
//! pending entries into few index entries. Merging a second of writes turns thousands of small
//! postings into one entry per distinct index prefix, which is what makes writes cheap.

use rustc_hash::FxHashMap;

/// Postings per posting group (index prefix followed by bucket, see `keys::push_bucket`) and
/// span keys per bucket.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct IndexWork {
    pub postings: FxHashMap<Vec<u8>, Vec<u8>>,
    pub span_keys: FxHashMap<i64, Vec<Vec<u8>>>,
}

impl IndexWork {
    pub(crate) fn merge(&mut self, other: IndexWork) {
        for (key, postings) in other.postings {
            self.postings
                .entry(key)
                .or_default()
                .extend_from_slice(&postings);
        }
        for (bucket, keys) in other.span_keys {
            self.span_keys.entry(bucket).or_default().extend(keys);
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4096);
        put_u32(&mut out, self.postings.len());
        for (group, postings) in &self.postings {
            put_bytes(&mut out, group);
            put_bytes(&mut out, postings);
        }
        put_u32(&mut out, self.span_keys.len());
        for (bucket, keys) in &self.span_keys {
            out.extend_from_slice(&bucket.to_be_bytes());
            put_u32(&mut out, keys.len());
            for key in keys {
                put_bytes(&mut out, key);
            }
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<IndexWork> {
        let mut reader = Reader { bytes };
        let mut work = IndexWork::default();
        for _ in 0..reader.u32()? {
            let group = reader.bytes()?.to_vec();
            let postings = reader.bytes()?.to_vec();
            work.postings.insert(group, postings);
        }
        for _ in 0..reader.u32()? {
            let bucket = reader.i64()?;
            let mut keys = Vec::new();
            for _ in 0..reader.u32()? {
                keys.push(reader.bytes()?.to_vec());
            }
            work.span_keys.insert(bucket, keys);
        }
        Some(work)
    }
}

fn put_u32(out: &mut Vec<u8>, value: usize) {
    out.extend_from_slice(&(value as u32).to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let taken = self.bytes.get(..count)?;
        self.bytes = self.bytes.get(count..)?;
        Some(taken)
    }

    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let length = self.u32()?;
        self.take(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_round_trips_and_merges() {
        let mut work = IndexWork::default();
        work.postings.insert(vec![1, 2, 7], vec![9; 32]);
        work.span_keys.insert(7, vec![vec![3; 40]]);
        let decoded = IndexWork::decode(&work.encode()).unwrap();
        assert_eq!(decoded, work);
        let mut merged = IndexWork::default();
        merged.merge(decoded);
        merged.merge(IndexWork::decode(&work.encode()).unwrap());
        assert_eq!(merged.postings[&vec![1, 2, 7]].len(), 64);
        assert_eq!(merged.span_keys[&7].len(), 2);
        assert_eq!(IndexWork::decode(&[0, 0, 0, 5]), None);
    }
}
