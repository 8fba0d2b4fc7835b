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
    /// Agent datagrams received by the all-in-one's UDP ports.
    Udp,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Transport::Grpc => "grpc",
            Transport::Http => "http",
            Transport::Udp => "udp",
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

    /// Sanitizes a batch in place: its process (a missing one becomes
    /// `null-process-and-service-name`), the processes of spans that carry their own, and the
    /// format tag on every span. Spans without a process keep using the batch's.
    pub fn sanitize_batch(&self, batch: &mut Batch, format: Format) {
        let process = batch.process.take().unwrap_or_else(|| Process {
            service_name: NULL_PROCESS_SERVICE.to_owned(),
            tags: Vec::new(),
        });
        batch.process = Some(self.sanitize_process(process));
        for span in &mut batch.spans {
            if let Some(own) = span.process.take() {
                span.process = Some(self.sanitize_process(own));
            }
            span.tags.push(KeyValue::string(FORMAT_TAG, format.label()));
        }
    }

    /// The batch's spans after [`sanitize_batch`](Self::sanitize_batch), each carrying its
    /// process: what a storage writer stores.
    pub fn sanitized_spans(&self, mut batch: Batch, format: Format) -> Vec<Span> {
        self.sanitize_batch(&mut batch, format);
        let Batch { spans, process } = batch;
        spans
            .into_iter()
            .map(|mut span| {
                if span.process.is_none() {
                    span.process.clone_from(&process);
                }
                span
            })
            .collect()
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
        let sanitizer = Sanitizer::new(vec![
            KeyValue::string("dc", "eu"),
            KeyValue::string("a", "1"),
        ]);
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
        let out = sanitizer.sanitized_spans(batch, Format::Zipkin);
        let first = out[0].process.as_ref().unwrap();
        assert_eq!(first.service_name, "svc");
        let keys: Vec<&str> = first.tags.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["a", "dc", "z"]);
        let second = out[1].process.as_ref().unwrap();
        assert_eq!(second.service_name, EMPTY_SERVICE);
        assert_eq!(
            second.tags.len(),
            2,
            "identical collector tag not added twice"
        );
        assert_eq!(
            out[0].tags.last(),
            Some(&KeyValue::string(FORMAT_TAG, "zipkin"))
        );

        let out = Sanitizer::default().sanitized_spans(
            Batch {
                spans: vec![span(None)],
                process: None,
            },
            Format::Proto,
        );
        assert_eq!(
            out[0].process.as_ref().unwrap().service_name,
            NULL_PROCESS_SERVICE
        );
    }
}
