//! Jaeger's `IPTagAdjuster`: `ip` and `peer.ipv4` tags (span and process) holding an IPv4 address
//! packed into a number (INT64, or FLOAT64 truncated) become dotted strings (`"10.0.0.1"`), using
//! the number's low 32 bits. Like Jaeger, it then sorts the process tags.

use spur_model::api_v2::{KeyValue, Span, ValueType};

use super::support::sort_key_values;

const IP_TAG_KEYS: [&str; 2] = ["ip", "peer.ipv4"];

pub(super) fn adjust_ip_tags(spans: &mut [Span]) {
    for span in spans {
        fix_tags(&mut span.tags);
        if let Some(process) = span.process.as_mut() {
            fix_tags(&mut process.tags);
            sort_key_values(&mut process.tags);
        }
    }
}

fn fix_tags(tags: &mut [KeyValue]) {
    for tag in tags {
        let packed = match ValueType::try_from(tag.v_type) {
            Ok(ValueType::Int64) => tag.v_int64 as u32,
            Ok(ValueType::Float64) => tag.v_float64 as u32,
            _ => continue,
        };
        if !IP_TAG_KEYS.contains(&tag.key.as_str()) {
            continue;
        }
        let [a, b, c, d] = packed.to_be_bytes();
        *tag = KeyValue::string(std::mem::take(&mut tag.key), format!("{a}.{b}.{c}.{d}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adjust::fixtures::span;

    #[test]
    fn numeric_ip_tags_become_dotted_strings() {
        let mut s = span(1, None);
        s.tags = vec![
            KeyValue::int64("ip", 0x0A00_0001),
            KeyValue::float64("peer.ipv4", f64::from(0x0808_0808u32)),
            KeyValue::int64("http.status_code", 200),
            KeyValue::string("peer.ipv4", "1.2.3.4"),
        ];
        if let Some(process) = s.process.as_mut() {
            process.tags = vec![
                KeyValue::string("zone", "a"),
                KeyValue::int64("ip", 0x7F00_0001 | (1 << 40)),
            ];
        }
        let mut spans = vec![s];
        adjust_ip_tags(&mut spans);
        assert_eq!(
            spans[0].tags,
            vec![
                KeyValue::string("ip", "10.0.0.1"),
                KeyValue::string("peer.ipv4", "8.8.8.8"),
                KeyValue::int64("http.status_code", 200),
                KeyValue::string("peer.ipv4", "1.2.3.4"),
            ]
        );
        // Low 32 bits only; process tags sorted by key.
        let process_tags = spans[0].process.clone().unwrap_or_default().tags;
        assert_eq!(
            process_tags,
            vec![
                KeyValue::string("ip", "127.0.0.1"),
                KeyValue::string("zone", "a"),
            ]
        );
    }
}
