//! The write path: spans become Jaeger's documents (span, and service/operation documents not
//! in the write cache), which a bulk processor sends in `_bulk` requests bounded by actions,
//! bytes and a flush interval, on several workers. Items a bulk request refuses with a
//! retryable status (429, 5xx) are sent again, alone, with backoff; a write returns `Ok` only
//! once every one of its documents is acknowledged, so `Ok` means durable.
//!
//! Span documents get deterministic ids (a hash of the document), so a redelivered span
//! overwrites its first copy. The reader still de-duplicates what Jaeger wrote twice.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use elasticsearch::http::Method;
use parking_lot::Mutex;
use serde_json::Value;
use spur_model::api_v2::Span;
use spur_storage::StorageError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::client::Client;
use crate::dbmodel::{self, ServiceDocument, TagsAsFields};
use crate::indices::{IndexKind, IndexNaming};
use crate::{error, metrics};

/// When the server may make a write visible to searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Refresh {
    /// At the index's next refresh (`index.refresh_interval`, 1 s by default), as Jaeger.
    #[default]
    None,
    /// The bulk request answers after the next refresh (`refresh=wait_for`).
    WaitFor,
    /// The bulk request refreshes the shards it touched (`refresh=true`): for tests.
    Immediate,
}

/// The bulk processor's bounds (Jaeger's `es.bulk.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOptions {
    /// A request is sent once it holds this many bytes (`es.bulk.size`, 5 000 000).
    pub max_bytes: usize,
    /// ... or this many documents (`es.bulk.actions`, 1000).
    pub max_actions: usize,
    /// A partly filled request goes once a worker is free and its first document has waited
    /// this long (`es.bulk.flush-interval`). Spur's default is 0: a write is sent as soon as a
    /// worker is free, since `write_spans` waits for its documents (Jaeger's 200ms suits its
    /// fire-and-forget writes; here it would add 200ms to every write).
    pub flush_interval: Duration,
    /// Requests in flight at once (`es.bulk.workers`, 1).
    pub workers: usize,
    /// How often a refused item or a failed request is sent again before the write fails.
    pub max_retries: u32,
    pub refresh: Refresh,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            max_bytes: 5_000_000,
            max_actions: 1_000,
            flush_interval: Duration::ZERO,
            workers: 1,
            max_retries: 5,
            refresh: Refresh::None,
        }
    }
}

/// What a document is, for metrics and the service cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Span,
    Service,
    Dependencies,
}

impl DocumentKind {
    fn label(self) -> &'static str {
        match self {
            DocumentKind::Span => "span",
            DocumentKind::Service => "service",
            DocumentKind::Dependencies => "dependencies",
        }
    }
}

/// One document to index.
pub struct Operation {
    pub index: String,
    /// `None`: the server picks one (dependencies documents, as Jaeger).
    pub id: Option<String>,
    pub source: Vec<u8>,
    pub kind: DocumentKind,
    waiter: Option<Arc<Waiter>>,
}

impl Operation {
    pub fn new(index: String, id: Option<String>, source: Vec<u8>, kind: DocumentKind) -> Self {
        Operation {
            index,
            id,
            source,
            kind,
            waiter: None,
        }
    }

    /// The action line and the document, as `_bulk` takes them.
    fn append_to(&self, body: &mut Vec<u8>) {
        let mut action = serde_json::json!({"index": {"_index": self.index}});
        if let Some(id) = &self.id {
            action["index"]["_id"] = Value::String(id.clone());
        }
        // Serializing a `Value` of strings cannot fail.
        let _ = serde_json::to_writer(&mut *body, &action);
        body.push(b'\n');
        body.extend_from_slice(&self.source);
        body.push(b'\n');
    }

    fn size(&self) -> usize {
        self.source.len() + self.index.len() + 80
    }

    fn finish(self, result: Result<(), StorageError>, cache: &ServiceCache) {
        if result.is_err()
            && self.kind == DocumentKind::Service
            && let Some(id) = &self.id
        {
            cache.forget(id);
        }
        if result.is_ok() {
            metrics::counter_written(self.kind.label());
        }
        if let Some(waiter) = &self.waiter {
            waiter.finish(result);
        }
    }
}

/// Waits for every document of one write.
struct Waiter {
    remaining: AtomicUsize,
    first_error: Mutex<Option<StorageError>>,
    done: Mutex<Option<oneshot::Sender<Result<(), StorageError>>>>,
}

impl Waiter {
    fn finish(&self, result: Result<(), StorageError>) {
        if let Err(error) = result {
            let mut first = self.first_error.lock();
            if first.is_none() {
                *first = Some(error);
            }
        }
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            let outcome = match self.first_error.lock().take() {
                Some(error) => Err(error),
                None => Ok(()),
            };
            if let Some(done) = self.done.lock().take() {
                let _ = done.send(outcome);
            }
        }
    }
}

/// Service/operation pairs written recently, by document id: they are not written again for
/// `ttl` (Jaeger: 12 h, at most 100 000 entries).
pub struct ServiceCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, Instant>>,
}

impl ServiceCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        ServiceCache {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// True when `id` must be written now (it was not written within the TTL); marks it.
    fn claim(&self, id: &str) -> bool {
        let now = Instant::now();
        let mut entries = self.entries.lock();
        if let Some(written) = entries.get(id)
            && now.duration_since(*written) < self.ttl
        {
            return false;
        }
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, written| now.duration_since(*written) < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(id.to_owned(), now);
        true
    }

    fn forget(&self, id: &str) {
        self.entries.lock().remove(id);
    }
}

/// The bulk processor: a dispatcher task that fills requests and `workers` requests in flight.
pub struct BulkProcessor {
    sender: mpsc::Sender<Vec<Operation>>,
    cache: Arc<ServiceCache>,
}

impl BulkProcessor {
    /// Starts the dispatcher on the current tokio runtime; it ends when the processor is
    /// dropped, after sending what it holds.
    pub fn start(client: Client, options: BulkOptions, cache: Arc<ServiceCache>) -> Self {
        let (sender, receiver) = mpsc::channel(options.workers.max(1) * 64);
        let dispatcher = Dispatcher {
            client,
            semaphore: Arc::new(Semaphore::new(options.workers.max(1))),
            options,
            cache: cache.clone(),
        };
        tokio::spawn(dispatcher.run(receiver));
        BulkProcessor { sender, cache }
    }

    pub fn cache(&self) -> &ServiceCache {
        &self.cache
    }

    /// Sends the documents and waits until each is acknowledged or has failed for good.
    pub async fn write(&self, mut operations: Vec<Operation>) -> Result<(), StorageError> {
        if operations.is_empty() {
            return Ok(());
        }
        let (done, outcome) = oneshot::channel();
        let waiter = Arc::new(Waiter {
            remaining: AtomicUsize::new(operations.len()),
            first_error: Mutex::new(None),
            done: Mutex::new(Some(done)),
        });
        for operation in &mut operations {
            operation.waiter = Some(waiter.clone());
        }
        let stopped =
            || StorageError::Unavailable("the Elasticsearch bulk processor stopped".into());
        self.sender.send(operations).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

struct Dispatcher {
    client: Client,
    semaphore: Arc<Semaphore>,
    options: BulkOptions,
    cache: Arc<ServiceCache>,
}

struct Batch {
    operations: Vec<Operation>,
    bytes: usize,
    started: Option<tokio::time::Instant>,
}

impl Batch {
    fn new() -> Self {
        Batch {
            operations: Vec::new(),
            bytes: 0,
            started: None,
        }
    }

    fn take(&mut self) -> Vec<Operation> {
        self.bytes = 0;
        self.started = None;
        std::mem::take(&mut self.operations)
    }
}

impl Dispatcher {
    /// Fills requests and hands them to workers: a request goes when it is full (waiting for
    /// a free worker), or, partly filled, as soon as a worker is free and its first document
    /// has waited `flush_interval`. Under load requests fill up while every worker is busy;
    /// when idle, a write is sent at once (after the interval, when one is set).
    async fn run(self, mut receiver: mpsc::Receiver<Vec<Operation>>) {
        let this = Arc::new(self);
        let mut batch = Batch::new();
        let mut open = true;
        while open {
            if batch.operations.is_empty() {
                match receiver.recv().await {
                    Some(operations) => this.add(&mut batch, operations).await,
                    None => break,
                }
            }
            while let Ok(operations) = receiver.try_recv() {
                this.add(&mut batch, operations).await;
            }
            let Some(started) = batch.started else {
                continue;
            };
            let linger_until = started + this.options.flush_interval;
            let free_worker = async {
                tokio::time::sleep_until(linger_until).await;
                this.semaphore.clone().acquire_owned().await
            };
            tokio::select! {
                received = receiver.recv() => match received {
                    Some(operations) => this.add(&mut batch, operations).await,
                    None => open = false,
                },
                permit = free_worker => {
                    if let Ok(permit) = permit {
                        this.spawn_send(batch.take(), permit);
                    }
                }
            }
        }
        if !batch.operations.is_empty() {
            this.flush(batch.take()).await;
        }
        // Wait for the requests in flight.
        let workers = u32::try_from(this.options.workers.max(1)).unwrap_or(u32::MAX);
        let _ = this.semaphore.acquire_many(workers).await;
    }

    /// Adds one write's documents, sending every request that fills up.
    async fn add(self: &Arc<Self>, batch: &mut Batch, operations: Vec<Operation>) {
        for operation in operations {
            if batch.started.is_none() {
                batch.started = Some(tokio::time::Instant::now());
            }
            batch.bytes += operation.size();
            batch.operations.push(operation);
            if batch.operations.len() >= self.options.max_actions
                || batch.bytes >= self.options.max_bytes
            {
                self.flush(batch.take()).await;
            }
        }
    }

    fn spawn_send(self: &Arc<Self>, operations: Vec<Operation>, permit: OwnedSemaphorePermit) {
        let this = self.clone();
        tokio::spawn(async move {
            this.send_with_retries(operations).await;
            drop(permit);
        });
    }

    /// Hands a request to a worker, waiting for one to be free.
    async fn flush(self: &Arc<Self>, operations: Vec<Operation>) {
        if operations.is_empty() {
            return;
        }
        let Ok(permit) = self.semaphore.clone().acquire_owned().await else {
            return;
        };
        self.spawn_send(operations, permit);
    }

    /// Sends one request; items refused with a retryable status, or the whole request when it
    /// failed, go again after a backoff, up to `max_retries` times.
    async fn send_with_retries(&self, mut operations: Vec<Operation>) {
        let mut attempt = 0;
        loop {
            let retry = self
                .send_once(operations, attempt >= self.options.max_retries)
                .await;
            if retry.is_empty() {
                return;
            }
            let backoff = Duration::from_millis(100u64.saturating_mul(1 << attempt.min(6)));
            tokio::time::sleep(backoff).await;
            attempt += 1;
            operations = retry;
        }
    }

    /// Sends the operations; finishes those done for good and returns those to retry.
    async fn send_once(&self, operations: Vec<Operation>, last_attempt: bool) -> Vec<Operation> {
        let mut body = Vec::with_capacity(operations.iter().map(Operation::size).sum());
        for operation in &operations {
            operation.append_to(&mut body);
        }
        metrics::record_bulk_shape(operations.len(), body.len());
        let refresh = match self.options.refresh {
            Refresh::None => None,
            Refresh::WaitFor => Some("wait_for"),
            Refresh::Immediate => Some("true"),
        };
        let mut query = vec![("filter_path", "errors,items.*.status,items.*.error")];
        if let Some(refresh) = refresh {
            query.push(("refresh", refresh));
        }
        let started = Instant::now();
        let answer = self
            .client
            .send(Method::Post, "/_bulk", &query, Some(body))
            .await;
        let parsed = answer.and_then(|(status, bytes)| {
            if !status.is_success() {
                return Err(error::from_status(
                    "POST /_bulk",
                    status,
                    &String::from_utf8_lossy(&bytes),
                ));
            }
            serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| error::from_decoding("the _bulk answer", e))
        });
        let answer = match parsed {
            Ok(answer) => answer,
            Err(error) => {
                metrics::record_bulk(started, false);
                if error.is_retryable() && !last_attempt {
                    tracing::warn!(%error, documents = operations.len(), "bulk request failed, retrying");
                    return operations;
                }
                tracing::error!(%error, documents = operations.len(), "bulk request failed");
                for operation in operations {
                    operation.finish(
                        Err(StorageError::Unavailable(error.to_string())),
                        &self.cache,
                    );
                }
                return Vec::new();
            }
        };
        let any_failed = answer["errors"].as_bool().unwrap_or(false);
        metrics::record_bulk(started, !any_failed);
        if !any_failed {
            for operation in operations {
                operation.finish(Ok(()), &self.cache);
            }
            return Vec::new();
        }
        let items = answer["items"].as_array().cloned().unwrap_or_default();
        if items.len() != operations.len() {
            let problem = format!(
                "the _bulk answer has {} items for {} documents",
                items.len(),
                operations.len()
            );
            for operation in operations {
                operation.finish(Err(StorageError::Internal(problem.clone())), &self.cache);
            }
            return Vec::new();
        }
        let mut retry = Vec::new();
        for (operation, item) in operations.into_iter().zip(items) {
            let result = item.as_object().and_then(|item| item.values().next());
            let status = result
                .and_then(|result| result["status"].as_u64())
                .unwrap_or(0);
            if (200..300).contains(&status) {
                operation.finish(Ok(()), &self.cache);
                continue;
            }
            let status = u16::try_from(status).unwrap_or(0);
            let reason = result
                .map(|result| {
                    error::short_reason(&serde_json::json!({"error": result["error"]}).to_string())
                })
                .unwrap_or_default();
            let kind = operation.kind.label();
            if error::is_retryable_status(status) && !last_attempt {
                metrics::counter_item_failed(kind, "retried");
                retry.push(operation);
            } else {
                metrics::counter_item_failed(kind, "rejected");
                tracing::error!(index = %operation.index, status, %reason, "bulk item refused");
                let message = format!("indexing into {}: HTTP {status}: {reason}", operation.index);
                let error = if error::is_retryable_status(status) {
                    StorageError::Unavailable(message)
                } else {
                    StorageError::Internal(message)
                };
                operation.finish(Err(error), &self.cache);
            }
        }
        retry
    }
}

/// Turns spans into the documents to index: each span's document (Spur's deterministic id),
/// and the service/operation document of each pair not written recently. Every span is
/// checked first, so an invalid one rejects the whole write and nothing of it is stored.
pub fn documents_for_spans(
    spans: &[Span],
    naming: &IndexNaming,
    tags_as_fields: &TagsAsFields,
    cache: &ServiceCache,
) -> Result<Vec<Operation>, StorageError> {
    let mut documents = Vec::with_capacity(spans.len());
    for span in spans {
        match dbmodel::span_to_document(span, tags_as_fields) {
            Ok(document) => documents.push(document),
            Err(error) => {
                ::metrics::counter!(metrics::SPANS_REJECTED).increment(1);
                return Err(error);
            }
        }
    }
    let mut operations = Vec::with_capacity(documents.len() + 1);
    let mut services_now: Vec<String> = Vec::new();
    for document in documents {
        let service = ServiceDocument {
            service_name: document.process.service_name.clone(),
            operation_name: document.operation_name.clone(),
        };
        let service_id = service.id();
        if !services_now.contains(&service_id) && cache.claim(&service_id) {
            let source = serde_json::to_vec(&service)
                .map_err(|e| error::from_decoding("a service document", e))?;
            let index = naming.write_index(IndexKind::Service, document.start_time);
            services_now.push(service_id.clone());
            operations.push(Operation::new(
                index,
                Some(service_id),
                source,
                DocumentKind::Service,
            ));
        }
        let source = serde_json::to_vec(&document)
            .map_err(|e| error::from_decoding("a span document", e))?;
        let id = dbmodel::span_document_id(&source);
        let index = naming.write_index(IndexKind::Span, document.start_time);
        operations.push(Operation::new(index, Some(id), source, DocumentKind::Span));
    }
    Ok(operations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_cache_claims_once_per_ttl_and_forgets_failures() {
        let cache = ServiceCache::new(Duration::from_secs(60), 2);
        assert!(cache.claim("a"));
        assert!(!cache.claim("a"), "written recently");
        cache.forget("a");
        assert!(cache.claim("a"), "a failed write is tried again");
        assert!(cache.claim("b"));
        assert!(cache.claim("c"), "a full cache makes room");
        let expired = ServiceCache::new(Duration::ZERO, 10);
        assert!(expired.claim("a"));
        assert!(expired.claim("a"), "past the TTL it is written again");
    }

    #[test]
    fn a_bulk_body_is_action_then_document_lines() {
        let operation = Operation::new(
            "jaeger-span-2026-12-07".into(),
            Some("abc".into()),
            br#"{"x":1}"#.to_vec(),
            DocumentKind::Span,
        );
        let mut body = Vec::new();
        operation.append_to(&mut body);
        assert_eq!(
            String::from_utf8_lossy(&body),
            "{\"index\":{\"_id\":\"abc\",\"_index\":\"jaeger-span-2026-12-07\"}}\n{\"x\":1}\n"
        );
    }
}
