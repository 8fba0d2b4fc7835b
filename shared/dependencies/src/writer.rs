//! [`DerivingWriter`]: a span writer that feeds the spans it wrote into a [`LinkDeriver`] and
//! stores the derived links every flush interval, and when flushed at shutdown.
//!
//! Spans are counted only after the wrapped write succeeded, so a failed write that is retried
//! counts once. Links whose write fails are kept and stored with the next flush.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use parking_lot::Mutex;
use spur_model::api_v2::Span;
use spur_model::span_view::EncodedSpan;
use spur_storage::{DependencyStore, SpanWriter, StorageError};

use crate::deriver::{DeriverLimits, Edge, LinkDeriver, Untracked};
use crate::metrics;

/// How often links are stored, and the deriver's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivingWriterOptions {
    pub flush_interval: Duration,
    pub limits: DeriverLimits,
}

impl Default for DerivingWriterOptions {
    fn default() -> Self {
        DerivingWriterOptions {
            flush_interval: Duration::from_secs(10),
            limits: DeriverLimits::default(),
        }
    }
}

/// Wraps a writer; see the module docs.
pub struct DerivingWriter {
    inner: Arc<dyn SpanWriter>,
    shared: Arc<Shared>,
}

struct Shared {
    deriver: Mutex<LinkDeriver>,
    store: Arc<dyn DependencyStore>,
    /// One store at a time, so restored counts never race a newer write.
    storing: tokio::sync::Mutex<()>,
}

impl DerivingWriter {
    /// Wraps `inner`, storing links into `store`; starts the periodic flush on the current
    /// tokio runtime. It stops when the writer is dropped.
    pub fn new(
        inner: Arc<dyn SpanWriter>,
        store: Arc<dyn DependencyStore>,
        options: DerivingWriterOptions,
    ) -> DerivingWriter {
        metrics::describe();
        let shared = Arc::new(Shared {
            deriver: Mutex::new(LinkDeriver::new(options.limits)),
            store,
            storing: tokio::sync::Mutex::new(()),
        });
        tokio::spawn(flush_periodically(
            Arc::downgrade(&shared),
            options.flush_interval,
        ));
        DerivingWriter { inner, shared }
    }

    /// Stores the links counted so far (also done every flush interval).
    pub async fn store_links(&self) -> Result<(), StorageError> {
        self.shared.store_links().await
    }
}

async fn flush_periodically(shared: Weak<Shared>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Err(error) = shared.store_links().await {
            tracing::warn!(%error, "storing dependency links failed; kept for the next flush");
        }
    }
}

impl Shared {
    fn edges(&self, spans: &[Span]) -> Vec<Edge> {
        let mut deriver = self.deriver.lock();
        spans
            .iter()
            .filter_map(|span| tracked(deriver.edge(span)))
            .collect()
    }

    /// The edges of spans given as checked protobuf, read in place.
    fn encoded_edges(&self, spans: &[EncodedSpan]) -> Vec<Edge> {
        let mut deriver = self.deriver.lock();
        spans
            .iter()
            .filter_map(|span| tracked(deriver.edge_of_view(&span.view())))
            .collect()
    }

    fn observe(&self, edges: Vec<Edge>) {
        let mut deriver = self.deriver.lock();
        for edge in edges {
            deriver.observe(edge);
        }
        ::metrics::gauge!(metrics::SPANS_TRACKED).set(deriver.tracked() as f64);
    }

    async fn store_links(&self) -> Result<(), StorageError> {
        let _storing = self.storing.lock().await;
        let links = self.deriver.lock().take_links();
        if links.is_empty() {
            return Ok(());
        }
        let calls: u64 = links.iter().map(|link| link.call_count).sum();
        match self
            .store
            .write_dependencies(now_micros(), links.clone())
            .await
        {
            Ok(()) => {
                ::metrics::counter!(metrics::LINKS_STORED).increment(calls);
                Ok(())
            }
            Err(error) => {
                ::metrics::counter!(metrics::STORE_ERRORS).increment(1);
                self.deriver.lock().restore(links);
                Err(error)
            }
        }
    }
}

/// The edge, or none with its reason counted.
fn tracked(edge: Result<Edge, Untracked>) -> Option<Edge> {
    edge.inspect_err(|untracked| {
        ::metrics::counter!(metrics::SPANS_UNTRACKED, "reason" => untracked.reason()).increment(1);
    })
    .ok()
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[async_trait]
impl SpanWriter for DerivingWriter {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        let edges = self.shared.edges(&spans);
        self.inner.write_spans(spans).await?;
        self.shared.observe(edges);
        Ok(())
    }

    /// Reads each span's edge in place and hands the bytes on as they are.
    async fn write_encoded(&self, spans: Vec<EncodedSpan>) -> Result<(), StorageError> {
        let edges = self.shared.encoded_edges(&spans);
        self.inner.write_encoded(spans).await?;
        self.shared.observe(edges);
        Ok(())
    }

    async fn flush(&self, timeout: Duration) -> Result<u64, StorageError> {
        let lost = self.inner.flush(timeout).await?;
        match tokio::time::timeout(timeout, self.shared.store_links()).await {
            Ok(stored) => stored?,
            Err(_) => tracing::warn!("storing dependency links at shutdown ran out of time"),
        }
        Ok(lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;
    use spur_model::api_v2::{Process, SpanRef, SpanRefType};
    use spur_model::{SpanId, TraceId};
    use spur_storage::memory::MemoryStore;

    fn span(id: u64, parent: Option<u64>, service: &str) -> Span {
        let trace_id = TraceId::new(0, 7);
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

    #[tokio::test]
    async fn spans_written_encoded_give_the_same_links_and_reach_the_store() {
        let store = Arc::new(MemoryStore::new(0));
        let writer = DerivingWriter::new(store.clone(), store.clone(), Default::default());
        let encoded = |spans: &[Span]| -> Vec<EncodedSpan> {
            spans
                .iter()
                .map(|s| EncodedSpan::parse(s.encode_to_vec().into()).unwrap())
                .collect()
        };
        // A child before its parent, across two writes; then a span without a process.
        writer
            .write_encoded(encoded(&[span(2, Some(1), "api")]))
            .await
            .unwrap();
        writer
            .write_encoded(encoded(&[span(1, None, "web"), span(3, Some(2), "db")]))
            .await
            .unwrap();
        let mut orphan = span(4, Some(3), "lost");
        orphan.process = None;
        let refused = writer.write_encoded(encoded(&[orphan])).await;
        assert!(refused.is_err(), "a span without a process is refused");
        writer.flush(Duration::from_secs(1)).await.unwrap();
        assert_eq!(
            stored_links(&store).await,
            [("api", "db", 1), ("web", "api", 1)].map(owned)
        );
        let trace = spur_storage::GetTraceQuery::new(TraceId::new(0, 7));
        let stored = spur_storage::SpanReader::get_trace(store.as_ref(), trace)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.len(), 3, "the inner writer got every span");
    }

    #[tokio::test]
    async fn links_are_stored_at_flush_and_periodically() {
        let store = Arc::new(MemoryStore::new(0));
        let options = DerivingWriterOptions {
            flush_interval: Duration::from_millis(50),
            ..Default::default()
        };
        let writer = DerivingWriter::new(store.clone(), store.clone(), options);
        writer
            .write_spans(vec![span(1, None, "web"), span(2, Some(1), "api")])
            .await
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let links = loop {
            let links = store
                .get_dependencies(now_micros() + 1_000_000, 60_000_000)
                .await
                .unwrap();
            if !links.is_empty() || tokio::time::Instant::now() > deadline {
                break links;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(links.len(), 1);
        assert_eq!(
            (links[0].parent.as_str(), links[0].child.as_str()),
            ("web", "api")
        );
        assert_eq!(links[0].call_count, 1);

        writer
            .write_spans(vec![span(3, Some(1), "db")])
            .await
            .unwrap();
        writer.flush(Duration::from_secs(1)).await.unwrap();
        assert_eq!(
            stored_links(&store).await,
            [("web", "api", 1), ("web", "db", 1)].map(owned)
        );
    }

    /// The links stored in the last minute, as (parent, child, calls).
    async fn stored_links(store: &MemoryStore) -> Vec<(String, String, u64)> {
        let links = store
            .get_dependencies(now_micros() + 1_000_000, 60_000_000)
            .await
            .unwrap();
        links
            .into_iter()
            .map(|link| (link.parent, link.child, link.call_count))
            .collect()
    }

    fn owned((parent, child, calls): (&str, &str, u64)) -> (String, String, u64) {
        (parent.to_owned(), child.to_owned(), calls)
    }

    struct Failing;

    #[async_trait]
    impl SpanWriter for Failing {
        async fn write_spans(&self, _: Vec<Span>) -> Result<(), StorageError> {
            Err(StorageError::Unavailable("down".into()))
        }
    }

    #[tokio::test]
    async fn spans_whose_write_failed_are_not_counted() {
        let store = Arc::new(MemoryStore::new(0));
        let options = DerivingWriterOptions {
            flush_interval: Duration::from_secs(3600),
            ..Default::default()
        };
        let writer = DerivingWriter::new(Arc::new(Failing), store.clone(), options);
        let written = writer
            .write_spans(vec![span(1, None, "web"), span(2, Some(1), "api")])
            .await;
        assert!(written.is_err());
        writer.store_links().await.unwrap();
        let links = store
            .get_dependencies(now_micros() + 1_000_000, 60_000_000)
            .await
            .unwrap();
        assert!(links.is_empty());
    }
}
