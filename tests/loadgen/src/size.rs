//! Span size: measures a generated span as Jaeger's api_v2 `Span` (converted exactly as the
//! collector converts OTLP, and as it travels in a `PostSpans` batch: without the process, which
//! the batch carries once) and pads it with `pad.N` string attributes up to `--span-bytes`.
//! The process adds a fixed ~380 bytes per span where it is embedded (a Kafka message).
//!
//! A string attribute becomes a string tag byte for byte, so the padding is computed, not
//! searched: each tag costs its field key, length prefix and key/value bytes in `tags` (field 8).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use prost::encoding::encoded_len_varint;

use crate::error::Error;
use crate::rng::Rng;
use crate::spans::text;

/// Longest value of one padding attribute; larger targets get several.
pub const MAX_PAD_VALUE: usize = 256;
/// Characters of padding values: varied enough that compression does not erase them.
const PAD_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Measures spans as api_v2 spans.
#[derive(Debug, Clone)]
pub struct Sizer {
    scope: InstrumentationScope,
}

impl Sizer {
    pub fn new(scope: &InstrumentationScope) -> Self {
        Sizer {
            scope: scope.clone(),
        }
    }

    /// Encoded size of `span` as an api_v2 span.
    pub fn measure(&self, span: &Span) -> Result<usize, Error> {
        let request = one_span_request(self.scope.clone(), span.clone());
        let model = spur_model::otlp::request_to_batches(request)?
            .into_iter()
            .flat_map(|batch| batch.spans)
            .next()
            .unwrap_or_default();
        Ok(model.encoded_len())
    }

    /// Pads `span` towards `target` bytes and returns its measured size afterwards: at most
    /// `target`, and less than one minimal padding tag (about a dozen bytes) below it unless
    /// the span was already larger.
    pub fn pad(&self, span: &mut Span, target: usize, rng: &mut Rng) -> Result<usize, Error> {
        let size = self.measure(span)?;
        if pad_span(span, size, target, rng) == size {
            return Ok(size);
        }
        let padded = self.measure(span)?;
        debug_assert!(padded <= target, "padded to {padded} past {target}");
        Ok(padded)
    }
}

/// Appends `pad.N` attributes whose tags bring a span of `size` bytes close to `target`;
/// returns the predicted size.
pub fn pad_span(span: &mut Span, size: usize, target: usize, rng: &mut Rng) -> usize {
    let mut size = size;
    for index in 0.. {
        let remaining = target.saturating_sub(size);
        let key = format!("pad.{index}");
        if remaining < tag_cost(key.len(), 1) {
            break;
        }
        let mut value_len = (remaining - tag_cost(key.len(), 0)).min(MAX_PAD_VALUE);
        while value_len > 1 && tag_cost(key.len(), value_len) > remaining {
            value_len -= 1;
        }
        size += tag_cost(key.len(), value_len);
        span.attributes.push(text(key, random_text(rng, value_len)));
    }
    size
}

/// Bytes a string tag with a key and value of these lengths adds to an encoded api_v2 span.
pub fn tag_cost(key_len: usize, value_len: usize) -> usize {
    let field = |len: usize| 1 + encoded_len_varint(len as u64) + len;
    let key_value = field(key_len) + if value_len == 0 { 0 } else { field(value_len) };
    field(key_value)
}

fn random_text(rng: &mut Rng, len: usize) -> String {
    let mut text = String::with_capacity(len);
    while text.len() < len {
        let mut bits = rng.next_u64();
        for _ in 0..8.min(len - text.len()) {
            let index = (bits % PAD_ALPHABET.len() as u64) as usize;
            text.push(char::from(PAD_ALPHABET[index]));
            bits >>= 8;
        }
    }
    text
}

/// A request with one span and an attribute-less resource (the resource only makes the process).
fn one_span_request(scope: InstrumentationScope, span: Span) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: None,
            scope_spans: vec![ScopeSpans {
                scope: Some(scope),
                spans: vec![span],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spans::TraceGen;

    const NOW: u64 = 1_800_000_000_000_000_000;

    fn setup() -> (TraceGen, Sizer) {
        let generator = TraceGen::new(6, 2, 11, NOW);
        let scope = InstrumentationScope {
            name: "test".into(),
            ..Default::default()
        };
        let sizer = Sizer::new(&scope);
        (generator, sizer)
    }

    #[test]
    fn tag_cost_matches_prost() {
        use spur_model::api_v2::{KeyValue, Span as ModelSpan};
        for value_len in [0, 1, 100, 126, 127, 128, 200, 16_000, 16_400] {
            let mut span = ModelSpan::default();
            let before = span.encoded_len();
            span.tags
                .push(KeyValue::string("pad.12", "x".repeat(value_len)));
            assert_eq!(
                span.encoded_len() - before,
                tag_cost(6, value_len),
                "{value_len}"
            );
        }
    }

    #[test]
    fn padding_lands_just_below_the_target() {
        let (mut generator, sizer) = setup();
        let min_tag = tag_cost("pad.000".len(), 1);
        let mut rng = Rng::new(1);
        for target in [0, 300, 500, 501, 777, 1_000, 4_096, 20_000] {
            for generated in generator.next_trace() {
                let mut span = generated.span;
                let before = sizer.measure(&span).unwrap();
                let after = sizer.pad(&mut span, target, &mut rng).unwrap();
                assert_eq!(after, sizer.measure(&span).unwrap());
                if before >= target {
                    assert_eq!(after, before, "a span already at {before} is left alone");
                } else {
                    assert!(after <= target, "{after} > {target}");
                    assert!(target - after < min_tag, "{after} too far below {target}");
                }
            }
        }
    }

    #[test]
    fn large_targets_use_several_bounded_tags() {
        let (mut generator, sizer) = setup();
        let mut span = generator.next_trace().remove(0).span;
        sizer.pad(&mut span, 2_000, &mut Rng::new(2)).unwrap();
        let pads: Vec<_> = span
            .attributes
            .iter()
            .filter(|attribute| attribute.key.starts_with("pad."))
            .collect();
        assert!(pads.len() >= 5, "{} pad tags", pads.len());
        for pad in pads {
            let value = pad.value.as_ref().and_then(|value| value.value.as_ref());
            let Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(text)) =
                value
            else {
                panic!("padding is a string attribute");
            };
            assert!(!text.is_empty() && text.len() <= MAX_PAD_VALUE);
            assert!(text.bytes().all(|byte| PAD_ALPHABET.contains(&byte)));
        }
    }
}
