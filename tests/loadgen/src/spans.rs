//! The trace generator: seeded, realistic OTLP traces across `--services` services.
//!
//! Each trace has one root SERVER span on an entry service and 2–11 more: HTTP calls to other
//! services (a CLIENT span with its SERVER span on the callee), database calls, internal work
//! and Kafka publish/process pairs, each inside its parent's time window, with `http.*`, `db.*`
//! or `messaging.*` attributes plus `--tags` tracegen-style `attr_NN` attributes. Every service
//! has one resource (`service.name`, `host.name`, process and SDK attributes).
//!
//! This module owns what the spans say; padding to a size lives in `size`, batching and wire
//! encoding in `pool`, `otlp` and `jaeger`.

use opentelemetry_proto::tonic::common::v1::{
    AnyValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{Span, Status};

use crate::rng::Rng;

/// Spans per trace, root included.
pub const MIN_SPANS_PER_TRACE: u64 = 3;
pub const MAX_SPANS_PER_TRACE: u64 = 12;
/// Distinct keys and values of the extra `attr_NN=val_NNN` attributes (tracegen's defaults).
const ATTR_KEYS: u64 = 97;
const ATTR_VALUES: u64 = 1000;
/// Traces start at one of the first few services, as requests enter at the front ends.
const ENTRY_SERVICES: usize = 2;
/// Share of server spans that fail with a 500, in percent.
const ERROR_PERCENT: u64 = 2;

const NANOS_PER_MILLI: u64 = 1_000_000;
/// Shortest child span: 20 µs (a deep child may overrun its parent by less than this).
const MIN_CHILD_NANOS: u64 = 20_000;
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// OTLP span flags: sampled, with the "is the parent remote" bit known (0x100) and set (0x200).
const FLAGS_LOCAL_PARENT: u32 = 0x101;
const FLAGS_REMOTE_PARENT: u32 = 0x301;

const SERVICE_NAMES: &[&str] = &[
    "frontend",
    "checkout",
    "cart",
    "payment",
    "shipping",
    "currency",
    "email",
    "recommendation",
    "ad",
    "product-catalog",
    "quote",
    "accounting",
    "fraud-detection",
    "inventory",
    "auth",
    "search",
];
const NOUNS: &[&str] = &[
    "products",
    "cart",
    "orders",
    "users",
    "payments",
    "shipments",
    "quotes",
    "ads",
    "currencies",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const TABLES: &[&str] = &["orders", "users", "products", "line_items", "inventory"];
const TOPICS: &[&str] = &["orders", "payments", "notifications"];
const INTERNAL_WORK: &[&str] = &[
    "render",
    "validate",
    "serialize",
    "compute-price",
    "cache.get",
];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "okhttp/4.12.0",
];
/// (process.runtime.name, process.runtime.version, telemetry.sdk.language)
const RUNTIMES: &[(&str, &str, &str)] = &[
    ("go", "go1.22.5", "go"),
    ("OpenJDK Runtime Environment", "17.0.11+9", "java"),
    ("node.js", "20.15.0", "nodejs"),
    ("CPython", "3.12.4", "python"),
];

/// One generated span and the index of the service (resource) that emitted it.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedSpan {
    pub service: usize,
    pub span: Span,
}

/// Draws traces; the same seed, services and tags give the same traces.
#[derive(Debug, Clone)]
pub struct TraceGen {
    rng: Rng,
    resources: Vec<Resource>,
    service_names: Vec<String>,
    tags: usize,
    now_unix_nanos: u64,
}

impl TraceGen {
    /// `services` ≥ 1; timestamps fall in the few seconds before `now_unix_nanos`.
    pub fn new(services: usize, tags: usize, seed: u64, now_unix_nanos: u64) -> Self {
        let mut rng = Rng::new(seed);
        let service_names: Vec<String> = (0..services.max(1)).map(service_name).collect();
        let resources = service_names
            .iter()
            .map(|name| make_resource(&mut rng, name))
            .collect();
        TraceGen {
            rng,
            resources,
            service_names,
            tags,
            now_unix_nanos,
        }
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// One whole trace, root first, every other span after its parent.
    pub fn next_trace(&mut self) -> Vec<GeneratedSpan> {
        let span_count = self
            .rng
            .range(MIN_SPANS_PER_TRACE, MAX_SPANS_PER_TRACE)
            .try_into()
            .unwrap_or(MIN_SPANS_PER_TRACE as usize);
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&self.rng.non_zero_u64().to_be_bytes());
        trace_id[8..].copy_from_slice(&self.rng.non_zero_u64().to_be_bytes());
        let mut builder = TraceBuilder {
            generator: self,
            trace_id,
            spans: Vec::with_capacity(span_count),
        };
        builder.root();
        while builder.spans.len() < span_count {
            let budget = span_count - builder.spans.len();
            builder.child(budget);
        }
        let mut spans = builder.spans;
        for generated in &mut spans {
            self.add_extra_attributes(&mut generated.span);
        }
        spans
    }

    fn add_extra_attributes(&mut self, span: &mut Span) {
        let first_key = self.rng.below(ATTR_KEYS);
        for offset in 0..self.tags as u64 {
            let key = (first_key + offset) % ATTR_KEYS;
            let value = self.rng.below(ATTR_VALUES);
            span.attributes
                .push(text(format!("attr_{key:02}"), format!("val_{value:03}")));
        }
    }
}

/// Grows one trace: picks parents among the spans already made and keeps children inside them.
struct TraceBuilder<'a> {
    generator: &'a mut TraceGen,
    trace_id: [u8; 16],
    spans: Vec<GeneratedSpan>,
}

impl TraceBuilder<'_> {
    fn root(&mut self) {
        let rng = &mut self.generator.rng;
        let service = rng.index(self.generator.service_names.len().min(ENTRY_SERVICES));
        let duration = rng.range(5 * NANOS_PER_MILLI, 800 * NANOS_PER_MILLI);
        let end = self.generator.now_unix_nanos - rng.below(2 * NANOS_PER_SECOND);
        let start = end - duration;
        let span = self.server_span(service, None, start, end);
        self.spans.push(span);
    }

    /// Adds one to `budget` spans under a random parent that can have children.
    fn child(&mut self, budget: usize) {
        let parent = self.pick_parent();
        let (service, start, end) = {
            let parent = &self.spans[parent];
            let rng = &mut self.generator.rng;
            let (parent_start, parent_end) = (
                parent.span.start_time_unix_nano,
                parent.span.end_time_unix_nano,
            );
            let length = parent_end.saturating_sub(parent_start).max(2);
            let start = parent_start + rng.below(length / 2);
            let available = parent_end.saturating_sub(start);
            let duration = if available > MIN_CHILD_NANOS {
                MIN_CHILD_NANOS + rng.below(available - MIN_CHILD_NANOS)
            } else {
                MIN_CHILD_NANOS
            };
            (parent.service, start, start + duration)
        };
        let other_services = self.generator.service_names.len() > 1;
        let roll = self.generator.rng.below(100);
        if roll < 55 && budget >= 2 && other_services {
            self.http_call(parent, service, start, end);
        } else if roll < 70 {
            let span = self.db_span(parent, service, start, end);
            self.spans.push(span);
        } else if roll < 88 || budget < 2 || !other_services {
            let span = self.internal_span(parent, service, start, end);
            self.spans.push(span);
        } else {
            self.messaging(parent, service, start, end);
        }
    }

    /// A parent index among SERVER, INTERNAL and CONSUMER spans (the root always qualifies).
    fn pick_parent(&mut self) -> usize {
        let eligible: Vec<usize> = self
            .spans
            .iter()
            .enumerate()
            .filter(|(_, generated)| {
                let kind = generated.span.kind;
                kind == SpanKind::Server as i32
                    || kind == SpanKind::Internal as i32
                    || kind == SpanKind::Consumer as i32
            })
            .map(|(index, _)| index)
            .collect();
        if eligible.is_empty() {
            return 0;
        }
        *self.generator.rng.pick(&eligible)
    }

    fn other_service(&mut self, service: usize) -> usize {
        let count = self.generator.service_names.len();
        (service + 1 + self.generator.rng.index(count - 1)) % count
    }

    fn new_span(
        &mut self,
        parent: Option<usize>,
        name: String,
        kind: SpanKind,
        start: u64,
        end: u64,
    ) -> Span {
        let parent_span_id = parent
            .map(|index| self.spans[index].span.span_id.clone())
            .unwrap_or_default();
        let remote_parent = kind == SpanKind::Server || kind == SpanKind::Consumer;
        Span {
            trace_id: self.trace_id.to_vec(),
            span_id: self.generator.rng.non_zero_u64().to_be_bytes().to_vec(),
            parent_span_id,
            flags: if remote_parent && parent.is_some() {
                FLAGS_REMOTE_PARENT
            } else {
                FLAGS_LOCAL_PARENT
            },
            name,
            kind: kind as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            ..Default::default()
        }
    }

    fn server_span(
        &mut self,
        service: usize,
        parent: Option<usize>,
        start: u64,
        end: u64,
    ) -> GeneratedSpan {
        let rng = &mut self.generator.rng;
        let method = *rng.pick(METHODS);
        let noun = *rng.pick(NOUNS);
        let with_id = rng.chance(50);
        let id = rng.range(1, 99_999);
        let agent = *rng.pick(USER_AGENTS);
        let failed = rng.chance(ERROR_PERCENT);
        let (route, path) = if with_id {
            (format!("/api/{noun}/{{id}}"), format!("/api/{noun}/{id}"))
        } else {
            (format!("/api/{noun}"), format!("/api/{noun}"))
        };
        let status_code = match (failed, method) {
            (true, _) => 500,
            (false, "POST") => 201,
            (false, _) => 200,
        };
        let host = self.generator.service_names[service].clone();
        let mut span = self.new_span(
            parent,
            format!("{method} {route}"),
            SpanKind::Server,
            start,
            end,
        );
        span.attributes = vec![
            text("http.request.method", method),
            text("http.route", route),
            text("url.path", path),
            text("url.scheme", "http"),
            text("server.address", host),
            int("server.port", 8080),
            text("network.protocol.version", "1.1"),
            text("user_agent.original", agent),
            int("http.response.status_code", status_code),
        ];
        if failed {
            span.status = Some(Status {
                code: StatusCode::Error as i32,
                message: "Internal Server Error".into(),
            });
        }
        GeneratedSpan { service, span }
    }

    /// A CLIENT span on `service` and the SERVER span it causes on another service.
    fn http_call(&mut self, parent: usize, service: usize, start: u64, end: u64) {
        let callee = self.other_service(service);
        let callee_name = self.generator.service_names[callee].clone();
        let gap = ((end - start) / 20).max(1);
        let server = self.server_span(callee, None, start + gap, end - gap);
        let mut client = self.new_span(
            Some(parent),
            text_attribute(&server.span, "http.request.method"),
            SpanKind::Client,
            start,
            end,
        );
        client.attributes = vec![
            text(
                "http.request.method",
                text_attribute(&server.span, "http.request.method"),
            ),
            text(
                "url.full",
                format!(
                    "http://{callee_name}:8080{}",
                    text_attribute(&server.span, "url.path")
                ),
            ),
            text("server.address", callee_name),
            int("server.port", 8080),
            int(
                "http.response.status_code",
                int_attribute(&server.span, "http.response.status_code"),
            ),
        ];
        client.status = server.span.status.clone();
        let mut server = server;
        server.span.parent_span_id = client.span_id.clone();
        server.span.flags = FLAGS_REMOTE_PARENT;
        self.spans.push(GeneratedSpan {
            service,
            span: client,
        });
        self.spans.push(server);
    }

    fn db_span(&mut self, parent: usize, service: usize, start: u64, end: u64) -> GeneratedSpan {
        let rng = &mut self.generator.rng;
        let table = *rng.pick(TABLES);
        let id = rng.range(1, 1_000_000);
        let mut span = self.new_span(
            Some(parent),
            format!("SELECT shop.{table}"),
            SpanKind::Client,
            start,
            end,
        );
        span.attributes = vec![
            text("db.system.name", "postgresql"),
            text("db.namespace", "shop"),
            text("db.operation.name", "SELECT"),
            text("db.collection.name", table),
            text(
                "db.query.text",
                format!("SELECT * FROM {table} WHERE id = $1 -- {id}"),
            ),
            text("server.address", "postgres.internal"),
            int("server.port", 5432),
        ];
        GeneratedSpan { service, span }
    }

    fn internal_span(
        &mut self,
        parent: usize,
        service: usize,
        start: u64,
        end: u64,
    ) -> GeneratedSpan {
        let work = *self.generator.rng.pick(INTERNAL_WORK);
        let items = self.generator.rng.range(1, 50) as i64;
        let mut span = self.new_span(Some(parent), work.into(), SpanKind::Internal, start, end);
        span.attributes = vec![int("app.items", items)];
        GeneratedSpan { service, span }
    }

    /// A PRODUCER span on `service` and, after it, the CONSUMER span on another service.
    fn messaging(&mut self, parent: usize, service: usize, start: u64, end: u64) {
        let consumer_service = self.other_service(service);
        let topic = *self.generator.rng.pick(TOPICS);
        let partition = self.generator.rng.below(12) as i64;
        let mut producer = self.new_span(
            Some(parent),
            format!("publish {topic}"),
            SpanKind::Producer,
            start,
            end,
        );
        producer.attributes = vec![
            text("messaging.system", "kafka"),
            text("messaging.operation.type", "send"),
            text("messaging.destination.name", topic),
            int("messaging.destination.partition.id", partition),
        ];
        let producer_index = self.spans.len();
        self.spans.push(GeneratedSpan {
            service,
            span: producer,
        });
        let delay = self
            .generator
            .rng
            .range(NANOS_PER_MILLI / 10, 20 * NANOS_PER_MILLI);
        let length = self
            .generator
            .rng
            .range(NANOS_PER_MILLI / 2, 50 * NANOS_PER_MILLI);
        let mut consumer = self.new_span(
            Some(producer_index),
            format!("process {topic}"),
            SpanKind::Consumer,
            end + delay,
            end + delay + length,
        );
        consumer.attributes = vec![
            text("messaging.system", "kafka"),
            text("messaging.operation.type", "process"),
            text("messaging.destination.name", topic),
            text(
                "messaging.consumer.group.name",
                self.generator.service_names[consumer_service].clone(),
            ),
        ];
        self.spans.push(GeneratedSpan {
            service: consumer_service,
            span: consumer,
        });
    }
}

/// The value of a string attribute this module set ("" if absent).
fn text_attribute(span: &Span, key: &str) -> String {
    match attribute(span, key) {
        Some(Value::StringValue(value)) => value.clone(),
        _ => String::new(),
    }
}

/// The value of an integer attribute this module set (0 if absent).
fn int_attribute(span: &Span, key: &str) -> i64 {
    match attribute(span, key) {
        Some(Value::IntValue(value)) => *value,
        _ => 0,
    }
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(|attribute| attribute.value.as_ref())
        .and_then(|value| value.value.as_ref())
}

/// The instrumentation scope every generated span is reported under.
pub fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: "spur-loadgen".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    }
}

/// `frontend`, `checkout`, …; past the list, `frontend-1`, `checkout-1`, ….
fn service_name(index: usize) -> String {
    let base = SERVICE_NAMES[index % SERVICE_NAMES.len()];
    match index / SERVICE_NAMES.len() {
        0 => base.to_owned(),
        round => format!("{base}-{round}"),
    }
}

fn make_resource(rng: &mut Rng, name: &str) -> Resource {
    let (runtime, runtime_version, language) = *rng.pick(RUNTIMES);
    let instance = rng.next_u64();
    let pid = rng.range(100, 65_000) as i64;
    Resource {
        attributes: vec![
            text("service.name", name),
            text("service.instance.id", format!("{instance:016x}")),
            text("host.name", format!("{name}-{:06x}", instance >> 40)),
            int("process.pid", pid),
            text("process.runtime.name", runtime),
            text("process.runtime.version", runtime_version),
            text("telemetry.sdk.name", "opentelemetry"),
            text("telemetry.sdk.language", language),
            text("telemetry.sdk.version", "1.30.0"),
        ],
        ..Default::default()
    }
}

/// A string attribute.
pub fn text(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn int(key: impl Into<String>, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const NOW: u64 = 1_800_000_000 * NANOS_PER_SECOND;

    #[test]
    fn traces_are_trees_with_one_root_and_known_parents() {
        let mut generator = TraceGen::new(10, 3, 42, NOW);
        for _ in 0..200 {
            let trace = generator.next_trace();
            let count = trace.len() as u64;
            assert!((MIN_SPANS_PER_TRACE..=MAX_SPANS_PER_TRACE).contains(&count));
            let ids: HashSet<&[u8]> = trace.iter().map(|g| g.span.span_id.as_slice()).collect();
            assert_eq!(ids.len(), trace.len(), "span ids are unique");
            let roots = trace.iter().filter(|g| g.span.parent_span_id.is_empty());
            assert_eq!(roots.count(), 1);
            assert!(trace[0].span.parent_span_id.is_empty());
            for generated in &trace {
                let span = &generated.span;
                assert_eq!(span.trace_id, trace[0].span.trace_id);
                assert!(span.start_time_unix_nano < span.end_time_unix_nano);
                assert!(span.end_time_unix_nano < NOW + 100 * NANOS_PER_MILLI);
                assert!(span.start_time_unix_nano > NOW - 5 * NANOS_PER_SECOND);
                if !span.parent_span_id.is_empty() {
                    assert!(ids.contains(span.parent_span_id.as_slice()));
                }
                assert!(generated.service < 10);
                let extra = span
                    .attributes
                    .iter()
                    .filter(|a| a.key.starts_with("attr_"));
                assert_eq!(extra.count(), 3);
            }
        }
    }

    #[test]
    fn traces_cross_services_and_kinds() {
        let mut generator = TraceGen::new(5, 0, 9, NOW);
        let mut kinds = HashSet::new();
        let mut services = HashSet::new();
        for _ in 0..300 {
            for generated in generator.next_trace() {
                kinds.insert(generated.span.kind);
                services.insert(generated.service);
            }
        }
        assert_eq!(
            kinds.len(),
            5,
            "server, client, internal, producer, consumer"
        );
        assert_eq!(services.len(), 5);
    }

    #[test]
    fn one_service_still_works() {
        let mut generator = TraceGen::new(1, 0, 1, NOW);
        for _ in 0..50 {
            assert!(generator.next_trace().iter().all(|g| g.service == 0));
        }
    }

    #[test]
    fn resources_name_their_service_and_host() {
        let generator = TraceGen::new(20, 0, 1, NOW);
        let names: Vec<String> = generator
            .resources()
            .iter()
            .map(|resource| match &resource.attributes[0].value {
                Some(AnyValue {
                    value: Some(Value::StringValue(name)),
                }) => name.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(names[0], "frontend");
        assert_eq!(names[16], "frontend-1");
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), 20);
        for resource in generator.resources() {
            let keys: Vec<&str> = resource.attributes.iter().map(|a| a.key.as_str()).collect();
            assert!(keys.contains(&"host.name") && keys.contains(&"process.pid"));
        }
    }

    #[test]
    fn same_seed_same_traces() {
        let mut a = TraceGen::new(4, 2, 5, NOW);
        let mut b = TraceGen::new(4, 2, 5, NOW);
        assert_eq!(a.next_trace(), b.next_trace());
    }
}
