//! Which partition a message key goes to under Jaeger's rule, which a mixed Jaeger/Spur fleet
//! must share so that all spans of a trace land in one partition whoever produced them.
//!
//! Jaeger's Go producer uses sarama's default hash partitioner: FNV-1a 32-bit over the key
//! bytes, read as a signed 32-bit number, remainder by the partition count (Go's `%`, which
//! keeps the dividend's sign), then the absolute value. (Java's murmur2 differs.)
//!
//! The writer does not call this: it sets librdkafka's `fnv1a` partitioner, which implements the
//! same rule on librdkafka's own, continuously refreshed metadata (its `rdfnv1a.c` says it was
//! written to match sarama's `NewHashPartitioner`, and takes the absolute value before an
//! unsigned remainder, which gives the same result). This module is the reference the tests
//! hold librdkafka's choices against, and lets other code predict a trace's partition.

/// FNV-1a, 32 bits.
pub fn fnv1a_32(bytes: &[u8]) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(PRIME)
    })
}

/// The partition of `key` among `partitions` under Jaeger's (sarama's) rule; `None` when
/// `partitions` is not positive.
pub fn partition_for_key(key: &[u8], partitions: i32) -> Option<i32> {
    partition_for_hash(fnv1a_32(key), partitions)
}

fn partition_for_hash(hash: u32, partitions: i32) -> Option<i32> {
    if partitions <= 0 {
        return None;
    }
    // Go: int32(hash) % numPartitions, negated when negative. `%` cannot overflow for a
    // positive divisor, nor can negating a remainder smaller than it in magnitude.
    let signed = hash as i32;
    Some((signed % partitions).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes worked out from the definition (offset basis 0x811c9dc5, prime 0x01000193; xor
    /// each byte, then multiply modulo 2^32), and the standard FNV-1a test vectors.
    #[test]
    fn fnv1a_matches_the_definition() {
        // No bytes: the offset basis.
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        // "a": 0x811c9dc5 ^ 0x61 = 0x811c9da4; 0x811c9da4 * 0x01000193 = 36342608335481132
        // = 0x811c9da4 * 2^24 + 0x811c9da4 * 0x193, whose low 32 bits are 0xe40c292c.
        assert_eq!(0x811c_9dc5_u32 ^ 0x61, 0x811c_9da4);
        assert_eq!(0x811c_9da4_u64 * 0x0100_0193, 36_342_608_335_481_132);
        assert_eq!(36_342_608_335_481_132_u64 % (1 << 32), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn partitions_follow_sarama() {
        // "a" hashes to 0xe40c292c = -468965076 as i32; 468965076 = 7 * 66995010 + 6, so Go's
        // remainder is -6 and the partition 6. 468965076 is a multiple of 4: partition 0.
        assert_eq!(partition_for_key(b"a", 7), Some(6));
        assert_eq!(partition_for_key(b"a", 4), Some(0));
        // "" hashes to 0x811c9dc5 = -2128831035; 2128831035 = 4 * 532207758 + 3.
        assert_eq!(partition_for_key(b"", 4), Some(3));
        // "foobar": 0xbf9cf968 = -1080231576; 1080231576 = 7 * 154318796 + 4.
        assert_eq!(partition_for_key(b"foobar", 7), Some(4));
    }

    #[test]
    fn trace_id_keys_land_where_jaeger_puts_them() {
        // Jaeger's keys are TraceID.String(): 16 hex digits for 64-bit ids, else 32.
        // "0000000000000001" hashes to 0xad9fd772 = -1382033550; 1382033550 = 4 * 345508387 + 2.
        assert_eq!(fnv1a_32(b"0000000000000001"), 0xad9f_d772);
        assert_eq!(partition_for_key(b"0000000000000001", 4), Some(2));
        // A positive hash: 0x7510fe0c = 1964047884 = 4 * 491011971 + 0 = 7 * 280578269 + 1.
        let key = b"00000000000000020000000000000001";
        assert_eq!(fnv1a_32(key), 0x7510_fe0c);
        assert_eq!(partition_for_key(key, 4), Some(0));
        assert_eq!(partition_for_key(key, 7), Some(1));
        // 0x8b14acd2 = -1961579310; 1961579310 = 4 * 490394827 + 2 = 3 * 653859770 + 0.
        let key = b"4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(fnv1a_32(key), 0x8b14_acd2);
        assert_eq!(partition_for_key(key, 4), Some(2));
        assert_eq!(partition_for_key(key, 3), Some(0));
    }

    #[test]
    fn edge_cases() {
        // i32::MIN: Go's -2147483648 % 3 = -2, so 2 (librdkafka: 2147483648 % 3 = 2).
        assert_eq!(partition_for_hash(0x8000_0000, 3), Some(2));
        assert_eq!(partition_for_hash(0x8000_0000, 4), Some(0));
        assert_eq!(partition_for_hash(u32::MAX, 5), Some(1));
        assert_eq!(partition_for_key(b"anything", 1), Some(0));
        assert_eq!(partition_for_key(b"anything", 0), None);
        assert_eq!(partition_for_key(b"anything", -3), None);
    }
}
