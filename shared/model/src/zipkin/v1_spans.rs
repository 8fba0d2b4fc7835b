//! Zipkin v1 semantics, independent of the JSON shape: which span kind the core annotations
//! (`cs`/`cr`/`sr`/`ss`/`ms`/`mr`) imply, where the service name and peer address come from,
//! how start and duration fall back to annotation times, and Jaeger's split of a span that
//! carries both client and server annotations into a client span and a server span sharing
//! the span id.

use super::to_model::{Annotation, Endpoint, Kind, TagValue, ZipkinSpan};

/// An annotation with its endpoint parsed; `kind` is set for core annotations.
pub(super) struct V1Annotation {
    pub timestamp: i64,
    pub value: String,
    pub kind: Option<Kind>,
    pub endpoint: Option<Endpoint>,
}

/// A binary annotation: a peer address (`ca`/`sa`/`ma`) or a tag (`lc` already renamed to
/// `component`, with `local_component` set).
pub(super) enum V1Binary {
    Address {
        key: String,
        endpoint: Endpoint,
    },
    Tag {
        key: String,
        value: TagValue,
        endpoint: Option<Endpoint>,
        local_component: bool,
    },
}

/// The span kind a core annotation implies; `None` for any other annotation.
pub(super) fn core_kind(value: &str) -> Option<Kind> {
    match value {
        "cs" | "cr" => Some(Kind::Client),
        "sr" | "ss" => Some(Kind::Server),
        "ms" => Some(Kind::Producer),
        "mr" => Some(Kind::Consumer),
        _ => None,
    }
}

/// Builds the v2-shaped span(s) of one v1 span. `header` carries ids, name, debug and the
/// span-level timestamp and duration; kind, endpoints, times, logs and tags are filled here.
///
/// A span with both client (`cs`/`cr`) and server (`sr`/`ss`) annotations yields two spans,
/// the side whose core annotation comes first first. The client owns the span-level timestamp
/// and duration; the server's come from `sr`/`ss`. Logs and tags go to the first span unless
/// their endpoint names only the second span's service.
pub(super) fn assemble(
    header: ZipkinSpan,
    annotations: Vec<V1Annotation>,
    binaries: Vec<V1Binary>,
) -> Vec<ZipkinSpan> {
    let has = |kind| annotations.iter().any(|a| a.kind == Some(kind));
    let split = has(Kind::Client) && has(Kind::Server);
    let sides = if split {
        let first_rpc = annotations
            .iter()
            .find_map(|a| a.kind.filter(|k| matches!(k, Kind::Client | Kind::Server)));
        if first_rpc == Some(Kind::Server) {
            vec![Some(Kind::Server), Some(Kind::Client)]
        } else {
            vec![Some(Kind::Client), Some(Kind::Server)]
        }
    } else {
        vec![annotations.iter().find_map(|a| a.kind)]
    };

    let mut spans: Vec<ZipkinSpan> = sides
        .into_iter()
        .map(|kind| {
            let use_span_times = !split || kind == Some(Kind::Client);
            let (start, annotated) = annotated_times(kind, &annotations);
            let (timestamp, duration) = if use_span_times {
                (header.timestamp.or(start), header.duration.or(annotated))
            } else {
                (start, annotated)
            };
            ZipkinSpan {
                kind,
                timestamp,
                duration,
                local_endpoint: local_endpoint(kind, &annotations, &binaries),
                remote_endpoint: remote_endpoint(kind, split, &binaries),
                ..header.clone()
            }
        })
        .collect();

    let service_of = |index: usize| -> Option<String> {
        let endpoint = spans.get(index)?.local_endpoint.as_ref()?;
        Some(endpoint.service_name.clone())
    };
    let (first_service, second_service) = (service_of(0), service_of(1));
    let side_of = |endpoint: Option<&Endpoint>| -> usize {
        let name = endpoint.map(|e| e.service_name.as_str());
        let second = name.is_some() && name == second_service.as_deref();
        usize::from(second && name != first_service.as_deref())
    };
    for annotation in annotations.into_iter().filter(|a| a.kind.is_none()) {
        if let Some(span) = spans.get_mut(side_of(annotation.endpoint.as_ref())) {
            span.annotations.push(Annotation {
                timestamp: annotation.timestamp,
                value: annotation.value,
            });
        }
    }
    for binary in binaries {
        if let V1Binary::Tag {
            key,
            value,
            endpoint,
            ..
        } = binary
            && let Some(span) = spans.get_mut(side_of(endpoint.as_ref()))
        {
            span.tags.push((key, value));
        }
    }
    spans
}

/// Start and duration from the kind's core annotations (`cs`/`cr`, `sr`/`ss`, `ms`, `mr`).
fn annotated_times(kind: Option<Kind>, annotations: &[V1Annotation]) -> (Option<i64>, Option<i64>) {
    let (begin, end) = match kind {
        Some(Kind::Client) => ("cs", Some("cr")),
        Some(Kind::Server) => ("sr", Some("ss")),
        Some(Kind::Producer) => ("ms", None),
        Some(Kind::Consumer) => ("mr", None),
        None => return (None, None),
    };
    let find = |value: &str| {
        annotations
            .iter()
            .find(|a| a.value == value)
            .map(|a| a.timestamp)
    };
    let begin = find(begin);
    let end = end.and_then(find);
    let duration = match (begin, end) {
        // Both are non-negative, so the difference cannot overflow; a negative one becomes 0.
        (Some(begin), Some(end)) => Some(end.saturating_sub(begin).max(0)),
        _ => None,
    };
    (begin.or(end), duration)
}

fn named(endpoint: Option<&Endpoint>) -> Option<&Endpoint> {
    endpoint.filter(|e| !e.service_name.is_empty())
}

fn tag_endpoint(binary: &V1Binary, lc_only: bool) -> Option<&Endpoint> {
    match binary {
        V1Binary::Tag {
            endpoint,
            local_component,
            ..
        } if *local_component || !lc_only => named(endpoint.as_ref()),
        _ => None,
    }
}

/// The local endpoint: the first that names a service among the kind's core annotations, then
/// `lc`, then any annotation, then any tag (never a peer address).
fn local_endpoint(
    kind: Option<Kind>,
    annotations: &[V1Annotation],
    binaries: &[V1Binary],
) -> Option<Endpoint> {
    annotations
        .iter()
        .filter(|a| kind.is_some() && a.kind == kind)
        .find_map(|a| named(a.endpoint.as_ref()))
        .or_else(|| binaries.iter().find_map(|b| tag_endpoint(b, true)))
        .or_else(|| annotations.iter().find_map(|a| named(a.endpoint.as_ref())))
        .or_else(|| binaries.iter().find_map(|b| tag_endpoint(b, false)))
        .cloned()
}

/// The remote endpoint: `sa` for a client, `ca` for a server, `ma` for messaging; an unsplit
/// span falls back to the first address annotation of any key.
fn remote_endpoint(kind: Option<Kind>, split: bool, binaries: &[V1Binary]) -> Option<Endpoint> {
    let address = |wanted: Option<&str>| {
        binaries.iter().find_map(|binary| match binary {
            V1Binary::Address { key, endpoint } if wanted.is_none_or(|w| w == key) => {
                Some(endpoint.clone())
            }
            _ => None,
        })
    };
    let preferred = match kind {
        Some(Kind::Client) => address(Some("sa")),
        Some(Kind::Server) => address(Some("ca")),
        Some(Kind::Producer | Kind::Consumer) => address(Some("ma")),
        None => None,
    };
    if split {
        preferred
    } else {
        preferred.or_else(|| address(None))
    }
}

#[cfg(test)]
mod tests {
    use super::super::v1_json::decode_v1_json;
    use crate::api_v2::{KeyValue, Span};
    use crate::time::{micros_from_duration, micros_from_timestamp};
    use crate::{SpanId, TraceId};

    fn string_tag(key: &str, value: &str) -> KeyValue {
        KeyValue::string(key, value)
    }

    fn start(span: &Span) -> i64 {
        micros_from_timestamp(&span.start_time.unwrap_or_default())
    }

    fn duration(span: &Span) -> i64 {
        micros_from_duration(&span.duration.unwrap_or_default())
    }

    const SHARED_SPAN: &str = r#"[{
        "traceId": "0000000000000001",
        "id": "0000000000000002",
        "name": "rpc",
        "timestamp": 900,
        "duration": 1000,
        "annotations": [
            {"timestamp": 1000, "value": "cs", "endpoint": {"serviceName": "frontend", "ipv4": "10.0.0.1"}},
            {"timestamp": 1100, "value": "sr", "endpoint": {"serviceName": "backend", "ipv4": "10.0.0.2"}},
            {"timestamp": 1150, "value": "db.query", "endpoint": {"serviceName": "backend"}},
            {"timestamp": 1200, "value": "retry", "endpoint": {"serviceName": "frontend"}},
            {"timestamp": 1300, "value": "ss", "endpoint": {"serviceName": "backend"}},
            {"timestamp": 1400, "value": "cr", "endpoint": {"serviceName": "frontend"}}
        ],
        "binaryAnnotations": [
            {"key": "http.path", "value": "/rpc", "endpoint": {"serviceName": "frontend"}},
            {"key": "db.rows", "value": 3, "endpoint": {"serviceName": "backend"}},
            {"key": "ca", "value": true, "endpoint": {"serviceName": "frontend", "ipv4": "10.0.0.1"}},
            {"key": "sa", "value": true, "endpoint": {"serviceName": "backend", "port": 80}}
        ]
    }]"#;

    #[test]
    fn a_shared_client_server_span_is_split_in_two() {
        let batch = decode_v1_json(SHARED_SPAN.as_bytes()).unwrap();
        assert_eq!(batch.spans.len(), 2);
        let (client, server) = (&batch.spans[0], &batch.spans[1]);
        for span in [client, server] {
            assert_eq!(span.trace_id, TraceId::new(0, 1).to_bytes().to_vec());
            assert_eq!(span.span_id, SpanId(2).to_bytes().to_vec());
            assert_eq!(span.operation_name, "rpc");
            assert!(span.references.is_empty());
            assert_eq!(span.flags, 1);
        }

        let process = client.process.as_ref().unwrap();
        assert_eq!(process.service_name, "frontend");
        assert_eq!(process.tags, vec![string_tag("ip", "10.0.0.1")]);
        assert_eq!((start(client), duration(client)), (900, 1000));
        assert_eq!(
            client.tags,
            vec![
                string_tag("http.path", "/rpc"),
                string_tag("peer.service", "backend"),
                KeyValue::int64("peer.port", 80),
                string_tag("span.kind", "client"),
            ]
        );
        assert_eq!(client.logs.len(), 1);
        assert_eq!(client.logs[0].fields, vec![string_tag("event", "retry")]);

        let process = server.process.as_ref().unwrap();
        assert_eq!(process.service_name, "backend");
        assert_eq!(process.tags, vec![string_tag("ip", "10.0.0.2")]);
        assert_eq!((start(server), duration(server)), (1100, 200));
        assert_eq!(
            server.tags,
            vec![
                KeyValue::int64("db.rows", 3),
                string_tag("peer.service", "frontend"),
                string_tag("peer.ipv4", "10.0.0.1"),
                string_tag("span.kind", "server"),
            ]
        );
        assert_eq!(server.logs.len(), 1);
        assert_eq!(server.logs[0].fields, vec![string_tag("event", "db.query")]);
    }

    #[test]
    fn a_split_span_starting_on_the_server_lists_the_server_first() {
        let batch = decode_v1_json(
            br#"[{"traceId":"1","id":"2","annotations":[
                {"timestamp":5,"value":"sr","endpoint":{"serviceName":"b"}},
                {"timestamp":6,"value":"cs","endpoint":{"serviceName":"a"}}]}]"#,
        )
        .unwrap();
        let kinds: Vec<_> = batch
            .spans
            .iter()
            .map(|s| s.tags[0].v_str.as_str())
            .collect();
        assert_eq!(kinds, vec!["server", "client"]);
        assert_eq!(batch.spans[0].process.as_ref().unwrap().service_name, "b");
        assert_eq!(batch.spans[1].process.as_ref().unwrap().service_name, "a");
        assert_eq!((start(&batch.spans[0]), start(&batch.spans[1])), (5, 6));
    }

    #[test]
    fn messaging_local_and_anonymous_spans() {
        let batch = decode_v1_json(
            br#"[
              {"traceId":"1","id":"2","annotations":[{"timestamp":7,"value":"ms","endpoint":{"serviceName":"p"}}],
               "binaryAnnotations":[{"key":"ma","value":true,"endpoint":{"serviceName":"kafka"}}]},
              {"traceId":"1","id":"3","annotations":[{"timestamp":8,"value":"mr","endpoint":{"serviceName":"c"}}]},
              {"traceId":"1","id":"4","timestamp":9,"duration":2,
               "binaryAnnotations":[{"key":"x","value":"y","endpoint":{"serviceName":"other"}},
                                    {"key":"lc","value":"cron","endpoint":{"serviceName":"local","ipv6":"::1"}}]},
              {"traceId":"1","id":"5","parentId":"","annotations":[{"timestamp":3,"value":"cr"}],
               "binaryAnnotations":[{"key":"ca","value":true,"endpoint":{"ipv4":"1.2.3.4"}}]}
            ]"#,
        )
        .unwrap();
        let [producer, consumer, local, anonymous] = batch.spans.as_slice() else {
            panic!("expected four spans, got {}", batch.spans.len());
        };
        assert_eq!(
            producer.tags,
            vec![
                string_tag("peer.service", "kafka"),
                string_tag("span.kind", "producer")
            ]
        );
        assert_eq!((start(producer), duration(producer)), (7, 0));
        assert!(producer.logs.is_empty());
        assert_eq!(consumer.tags, vec![string_tag("span.kind", "consumer")]);
        assert_eq!(consumer.process.as_ref().unwrap().service_name, "c");

        let process = local.process.as_ref().unwrap();
        assert_eq!(process.service_name, "local");
        assert_eq!(process.tags, vec![string_tag("ipv6", "::1")]);
        assert_eq!(
            local.tags,
            vec![string_tag("x", "y"), string_tag("component", "cron")]
        );
        assert_eq!((start(local), duration(local)), (9, 2));

        assert_eq!(
            anonymous.process.as_ref().unwrap().service_name,
            "unknown-service-name"
        );
        assert!(anonymous.references.is_empty());
        assert_eq!((start(anonymous), duration(anonymous)), (3, 0));
        assert_eq!(
            anonymous.tags,
            vec![
                string_tag("peer.ipv4", "1.2.3.4"),
                string_tag("span.kind", "client")
            ]
        );
    }
}
