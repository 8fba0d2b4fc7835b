//! Pairing spans with their parents as they stream past, and counting service-to-service calls.
//!
//! A call is counted once per child span whose parent (Jaeger's `ParentSpanID()`: the first
//! CHILD_OF reference in the same trace, else the first FOLLOWS_FROM) is a span of another
//! service; calls within one service are not dependencies. This is the rule of Jaeger's
//! in-memory store and Spark job. Parent and child may arrive in either order, in any batches.
//!
//! Memory is bounded: spans are remembered in two generations of at most
//! [`DeriverLimits::spans_per_generation`] entries each (span ids, and children still waiting
//! for their parent); when the newer fills, the older is forgotten. A parent arriving more than
//! a generation after its child is therefore missed. A span seen again while remembered (an
//! at-least-once redelivery, a replay) is not counted twice.

use rustc_hash::FxHashMap;
use spur_model::api_v2::{DependencyLink, Span};
use spur_model::span_view::SpanView;
use spur_model::{SpanId, TraceId};

/// The deriver's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeriverLimits {
    /// Spans (and waiting children) one generation remembers.
    pub spans_per_generation: usize,
    /// Distinct service names kept; spans of further services are left out.
    pub max_services: usize,
}

impl Default for DeriverLimits {
    fn default() -> Self {
        DeriverLimits {
            spans_per_generation: 200_000,
            max_services: 10_000,
        }
    }
}

/// A span reduced to what the graph needs, its service interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    span: SpanKey,
    parent: Option<SpanId>,
    service: ServiceIndex,
}

/// Why a span was left out of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untracked {
    /// The span's trace or span id is malformed.
    InvalidId,
    /// [`DeriverLimits::max_services`] names are known already.
    TooManyServices,
}

impl Untracked {
    pub fn reason(self) -> &'static str {
        match self {
            Untracked::InvalidId => "invalid_id",
            Untracked::TooManyServices => "too_many_services",
        }
    }
}

type SpanKey = (TraceId, SpanId);
type ServiceIndex = u32;

#[derive(Default)]
struct Generation {
    spans: FxHashMap<SpanKey, ServiceIndex>,
    /// Parent span → the services of children that arrived before it.
    waiting: FxHashMap<SpanKey, Vec<ServiceIndex>>,
    waiting_children: usize,
}

impl Generation {
    fn size(&self) -> usize {
        self.spans.len() + self.waiting_children
    }

    fn take_waiting(&mut self, parent: &SpanKey) -> Vec<ServiceIndex> {
        let children = self.waiting.remove(parent).unwrap_or_default();
        self.waiting_children -= children.len();
        children
    }
}

/// Streaming parent/child pairing and call counts; see the module docs.
pub struct LinkDeriver {
    limits: DeriverLimits,
    names: Vec<Box<str>>,
    indices: FxHashMap<Box<str>, ServiceIndex>,
    current: Generation,
    previous: Generation,
    /// (parent service, child service) → calls since the last [`take_links`](Self::take_links).
    calls: FxHashMap<(ServiceIndex, ServiceIndex), u64>,
}

impl LinkDeriver {
    pub fn new(limits: DeriverLimits) -> LinkDeriver {
        LinkDeriver {
            limits,
            names: Vec::new(),
            indices: FxHashMap::default(),
            current: Generation::default(),
            previous: Generation::default(),
            calls: FxHashMap::default(),
        }
    }

    /// Reduces a span to its edge (interning its service), or says why it is left out.
    pub fn edge(&mut self, span: &Span) -> Result<Edge, Untracked> {
        let trace = span.trace_id().map_err(|_| Untracked::InvalidId)?;
        let id = span.span_id().map_err(|_| Untracked::InvalidId)?;
        let service = span
            .process
            .as_ref()
            .map(|process| process.service_name.as_str())
            .unwrap_or("");
        Ok(Edge {
            span: (trace, id),
            parent: span.parent_span_id(),
            service: self.intern(service)?,
        })
    }

    /// The same as [`LinkDeriver::edge`], for a span read in place.
    pub fn edge_of_view(&mut self, span: &SpanView<'_>) -> Result<Edge, Untracked> {
        Ok(Edge {
            span: (span.trace_id, span.span_id),
            parent: span.parent_span_id(),
            service: self.intern(span.service_name.unwrap_or(""))?,
        })
    }

    /// Takes in one stored span.
    pub fn observe(&mut self, edge: Edge) {
        if self.remembered(&edge.span).is_some() {
            return;
        }
        // A span adds at most two entries: itself, and itself waiting for its parent.
        if self.current.size() + 2 > self.limits.spans_per_generation {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.spans.insert(edge.span, edge.service);
        let early_children = [
            self.current.take_waiting(&edge.span),
            self.previous.take_waiting(&edge.span),
        ];
        for child in early_children.iter().flatten() {
            self.count(edge.service, *child);
        }
        let Some(parent) = edge.parent else {
            return;
        };
        let parent = (edge.span.0, parent);
        match self.remembered(&parent) {
            Some(parent_service) => self.count(parent_service, edge.service),
            None => {
                self.current
                    .waiting
                    .entry(parent)
                    .or_default()
                    .push(edge.service);
                self.current.waiting_children += 1;
            }
        }
    }

    /// The calls counted since the last call, as links sorted by parent then child.
    pub fn take_links(&mut self) -> Vec<DependencyLink> {
        let mut links: Vec<DependencyLink> = self
            .calls
            .drain()
            .map(|((parent, child), call_count)| DependencyLink {
                parent: self.names[parent as usize].to_string(),
                child: self.names[child as usize].to_string(),
                call_count,
                source: String::new(),
            })
            .collect();
        links.sort_by(|a, b| (&a.parent, &a.child).cmp(&(&b.parent, &b.child)));
        links
    }

    /// Puts back links that could not be stored, to be taken again with later calls.
    pub fn restore(&mut self, links: Vec<DependencyLink>) {
        for link in links {
            let (Ok(parent), Ok(child)) = (self.intern(&link.parent), self.intern(&link.child))
            else {
                continue;
            };
            *self.calls.entry((parent, child)).or_default() += link.call_count;
        }
    }

    /// Spans and waiting children remembered.
    pub fn tracked(&self) -> usize {
        self.current.size() + self.previous.size()
    }

    fn remembered(&self, span: &SpanKey) -> Option<ServiceIndex> {
        self.current
            .spans
            .get(span)
            .or_else(|| self.previous.spans.get(span))
            .copied()
    }

    fn count(&mut self, parent: ServiceIndex, child: ServiceIndex) {
        if parent != child {
            *self.calls.entry((parent, child)).or_default() += 1;
        }
    }

    fn intern(&mut self, service: &str) -> Result<ServiceIndex, Untracked> {
        if let Some(index) = self.indices.get(service) {
            return Ok(*index);
        }
        if self.names.len() >= self.limits.max_services {
            return Err(Untracked::TooManyServices);
        }
        let index =
            ServiceIndex::try_from(self.names.len()).map_err(|_| Untracked::TooManyServices)?;
        self.names.push(service.into());
        self.indices.insert(service.into(), index);
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spur_model::api_v2::{Process, SpanRef, SpanRefType};

    fn span(trace: u64, id: u64, parent: Option<u64>, service: &str) -> Span {
        let trace_id = TraceId::new(0, trace);
        Span {
            trace_id: trace_id.to_bytes().to_vec(),
            span_id: SpanId(id).to_bytes().to_vec(),
            references: parent
                .map(|parent| SpanRef::new(trace_id, SpanId(parent), SpanRefType::ChildOf))
                .into_iter()
                .collect(),
            process: Some(Process {
                service_name: service.into(),
                tags: vec![],
            }),
            ..Default::default()
        }
    }

    fn feed(deriver: &mut LinkDeriver, spans: &[Span]) {
        for span in spans {
            let edge = deriver.edge(span).unwrap();
            deriver.observe(edge);
        }
    }

    fn links(deriver: &mut LinkDeriver) -> Vec<(String, String, u64)> {
        deriver
            .take_links()
            .into_iter()
            .map(|link| (link.parent, link.child, link.call_count))
            .collect()
    }

    fn link(parent: &str, child: &str, calls: u64) -> (String, String, u64) {
        (parent.into(), child.into(), calls)
    }

    /// frontend → (api → db, api → cache, api → api-internal), frontend → auth.
    fn shop_trace(trace: u64) -> Vec<Span> {
        vec![
            span(trace, 1, None, "frontend"),
            span(trace, 2, Some(1), "api"),
            span(trace, 3, Some(2), "db"),
            span(trace, 4, Some(2), "cache"),
            span(trace, 5, Some(2), "api"),
            span(trace, 6, Some(5), "db"),
            span(trace, 7, Some(1), "auth"),
        ]
    }

    #[test]
    fn counts_calls_between_services_not_within_one() {
        let mut deriver = LinkDeriver::new(DeriverLimits::default());
        feed(&mut deriver, &shop_trace(1));
        feed(&mut deriver, &shop_trace(2));
        assert_eq!(
            links(&mut deriver),
            vec![
                link("api", "cache", 2),
                link("api", "db", 4),
                link("frontend", "api", 2),
                link("frontend", "auth", 2),
            ]
        );
        assert!(deriver.take_links().is_empty(), "taken counts start again");
    }

    #[test]
    fn children_arriving_before_their_parent_are_counted_when_it_comes() {
        let mut deriver = LinkDeriver::new(DeriverLimits::default());
        let mut reversed = shop_trace(1);
        reversed.reverse();
        feed(&mut deriver, &reversed);
        let mut in_order = LinkDeriver::new(DeriverLimits::default());
        feed(&mut in_order, &shop_trace(1));
        assert_eq!(links(&mut deriver), links(&mut in_order));
    }

    #[test]
    fn a_redelivered_span_is_counted_once() {
        let mut deriver = LinkDeriver::new(DeriverLimits::default());
        feed(&mut deriver, &shop_trace(1));
        feed(&mut deriver, &shop_trace(1));
        let mut once = LinkDeriver::new(DeriverLimits::default());
        feed(&mut once, &shop_trace(1));
        assert_eq!(links(&mut deriver), links(&mut once));
    }

    #[test]
    fn spans_of_other_traces_are_not_parents() {
        let mut deriver = LinkDeriver::new(DeriverLimits::default());
        feed(
            &mut deriver,
            &[span(1, 1, None, "a"), span(2, 2, Some(1), "b")],
        );
        assert!(links(&mut deriver).is_empty());
    }

    #[test]
    fn memory_is_bounded_by_two_generations() {
        let limits = DeriverLimits {
            spans_per_generation: 100,
            max_services: 10,
        };
        let mut deriver = LinkDeriver::new(limits);
        for trace in 0..1_000 {
            feed(&mut deriver, &[span(trace, 1, Some(99), "orphan")]);
            assert!(deriver.tracked() <= 2 * limits.spans_per_generation);
        }
        // A parent within the remembered generations still pairs with its early child.
        feed(&mut deriver, &[span(999, 99, None, "parent")]);
        assert_eq!(links(&mut deriver), vec![link("parent", "orphan", 1)]);
        // One long forgotten does not.
        feed(&mut deriver, &[span(0, 99, None, "parent")]);
        assert!(links(&mut deriver).is_empty());
    }

    #[test]
    fn services_beyond_the_limit_are_left_out() {
        let limits = DeriverLimits {
            spans_per_generation: 100,
            max_services: 2,
        };
        let mut deriver = LinkDeriver::new(limits);
        assert!(deriver.edge(&span(1, 1, None, "a")).is_ok());
        assert!(deriver.edge(&span(1, 2, None, "b")).is_ok());
        assert_eq!(
            deriver.edge(&span(1, 3, None, "c")),
            Err(Untracked::TooManyServices)
        );
        assert!(deriver.edge(&span(1, 4, None, "a")).is_ok());
        let mut bad = span(1, 5, None, "a");
        bad.span_id = vec![1, 2, 3];
        assert_eq!(deriver.edge(&bad), Err(Untracked::InvalidId));
    }

    #[test]
    fn restored_links_are_taken_again_with_new_calls() {
        let mut deriver = LinkDeriver::new(DeriverLimits::default());
        feed(&mut deriver, &shop_trace(1));
        let first = deriver.take_links();
        deriver.restore(first);
        feed(&mut deriver, &shop_trace(2));
        assert_eq!(
            links(&mut deriver),
            vec![
                link("api", "cache", 2),
                link("api", "db", 4),
                link("frontend", "api", 2),
                link("frontend", "auth", 2),
            ]
        );
    }
}
