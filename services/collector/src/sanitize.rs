//! What the collector does to every span before writing it, as Jaeger's collector does: give
//! it its batch's process; name a missing process or an empty service name
//! (`null-process-and-service-name`, `empty-service-name`); add the configured collector tags
//! to the process (skipping ones already there, then sorting the process tags); and record the
//! format it arrived in as the `internal.span.format` tag.

use spur_model::api_v2::{Batch, KeyValue, Process, Span};

/// The span formats, as the `format` metric label and the `internal.span.format` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Jaeger thrift (HTTP `/api/traces`).
    Jaeger,
    /// Zipkin v1/v2.
    Zipkin,
    /// Jaeger api_v2 protobuf (gRPC `PostSpans`, what jaeger-agent sends).
    Proto,
    /// OpenTelemetry OTLP.
    Otlp,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Jaeger => "jaeger",
            Format::Zipkin => "zipkin",
            Format::Proto => "proto",
            Format::Otlp => "otlp",
        }
    }
}

/// How spans arrived: the `transport` metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Grpc,
    Http,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Transport::Grpc => "grpc",
            Transport::Http => "http",
        }
    }
}

pub const FORMAT_TAG: &str = "internal.span.format";
pub const NULL_PROCESS_SERVICE: &str = "null-process-and-service-name";
pub const EMPTY_SERVICE: &str = "empty-service-name";

/// The sanitizer chain, configured once.
#[derive(Debug, Clone, Default)]
pub struct Sanitizer {
    collector_tags: Vec<KeyValue>,
}

impl Sanitizer {
    pub fn new(collector_tags: Vec<KeyValue>) -> Sanitizer {
        Sanitizer { collector_tags }
    }

    /// The batch's spans, each with its sanitized process, appended to `out`.
    pub fn sanitize_batch(&self, batch: Batch, format: Format, out: &mut Vec<Span>) {
        let Batch { spans, process } = batch;
        let process = process.map(|process| self.sanitize_process(process));
        out.reserve(spans.len());
        for mut span in spans {
            span.process = match span.process.take() {
                Some(own) => Some(self.sanitize_process(own)),
                None => Some(process.clone().unwrap_or_else(|| Process {
                    service_name: NULL_PROCESS_SERVICE.to_owned(),
                    tags: self.collector_tags.clone(),
                })),
            };
            span.tags.push(KeyValue::string(FORMAT_TAG, format.label()));
            out.push(span);
        }
    }

    fn sanitize_process(&self, mut process: Process) -> Process {
        if process.service_name.is_empty() {
            process.service_name = EMPTY_SERVICE.to_owned();
        }
        if !self.collector_tags.is_empty() {
            for tag in &self.collector_tags {
                if !process.tags.contains(tag) {
                    process.tags.push(tag.clone());
                }
            }
            process.tags.sort_by(|a, b| a.key.cmp(&b.key));
        }
        process
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(process: Option<Process>) -> Span {
        Span {
            operation_name: "op".into(),
            process,
            ..Default::default()
        }
    }

    #[test]
    fn processes_are_named_tagged_and_spans_get_their_format() {
        let sanitizer = Sanitizer::new(vec![KeyValue::string("dc", "eu"), KeyValue::string("a", "1")]);
        let batch = Batch {
            spans: vec![
                span(None),
                span(Some(Process {
                    service_name: String::new(),
                    tags: vec![KeyValue::string("dc", "eu")],
                })),
            ],
            process: Some(Process {
                service_name: "svc".into(),
                tags: vec![KeyValue::string("z", "last")],
            }),
        };
        let mut out = Vec::new();
        sanitizer.sanitize_batch(batch, Format::Zipkin, &mut out);
        let first = out[0].process.as_ref().unwrap();
        assert_eq!(first.service_name, "svc");
        let keys: Vec<&str> = first.tags.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["a", "dc", "z"]);
        let second = out[1].process.as_ref().unwrap();
        assert_eq!(second.service_name, EMPTY_SERVICE);
        assert_eq!(second.tags.len(), 2, "identical collector tag not added twice");
        assert_eq!(out[0].tags.last(), Some(&KeyValue::string(FORMAT_TAG, "zipkin")));

        let mut out = Vec::new();
        Sanitizer::default().sanitize_batch(
            Batch {
                spans: vec![span(None)],
                process: None,
            },
            Format::Proto,
            &mut out,
        );
        assert_eq!(out[0].process.as_ref().unwrap().service_name, NULL_PROCESS_SERVICE);
    }
}
