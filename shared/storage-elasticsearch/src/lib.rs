//! spur-storage-elasticsearch: the `elasticsearch` and `opensearch` storage backends, on
//! Jaeger's index layout, so Spur and Jaeger read each other's data in one cluster
//! (Elasticsearch 7.x/8.x/9.x, OpenSearch 1.x/2.x/3.x, through the same code).
//!
//! - [`ElasticsearchOptions`]: server URLs, authentication, TLS, timeouts, index naming,
//!   tags-as-fields, bulk bounds (Jaeger's `es.*` flags).
//! - `client`: the HTTP transport and server version detection.
//! - [`indices`]: index and alias names, and which indices a time window needs.
//! - [`dbmodel`]: Jaeger's span, service and dependencies documents and their conversions.
//! - [`templates`]: Jaeger's index templates, put at start-up (`create_index_templates`).
//! - `writer`: the bulk processor; `reader`: Jaeger's queries; `dependencies`.
//! - [`maintenance`]: what `spur-es-index` runs: `init`, `clean`, `rollover`.
//! - `metrics`: Jaeger's `jaeger_bulk_index_*` names and Spur's own.

pub mod client;
pub mod dbmodel;
mod dependencies;
pub mod error;
pub mod indices;
pub mod maintenance;
mod metrics;
mod reader;
pub mod templates;
pub mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use spur_model::TraceId;
use spur_model::api_v2::{DependencyLink, Span};
use spur_storage::{
    Capabilities, DependencyStore, GetTraceQuery, Operation, OperationQuery, SpanReader,
    SpanWriter, StorageError, Trace, TraceQuery,
};

pub use client::{Client, ServerVersion};
pub use dbmodel::TagsAsFields;
pub use indices::{IndexKind, IndexNaming};
pub use templates::TemplateOptions;
pub use writer::{BulkOptions, Refresh};

/// Which product the cluster runs; they differ only in which index templates Jaeger puts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    #[default]
    Elasticsearch,
    OpenSearch,
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Authentication {
    #[default]
    None,
    /// `es.username` / `es.password`.
    Basic { username: String, password: String },
    /// An encoded API key (`Authorization: ApiKey …`).
    ApiKey(String),
    /// A bearer token (`es.token-file`).
    Bearer(String),
}

/// TLS to the nodes (`es.tls.*`): URLs with `https://`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// CA certificates to trust (PEM), added to the bundled Mozilla roots (rustls' webpki-roots).
    pub ca: Option<PathBuf>,
    /// Accept any server certificate (`es.tls.skip-host-verify`).
    pub skip_host_verify: bool,
}

/// Everything the backend needs (Jaeger's `es.*` flags).
#[derive(Debug, Clone, PartialEq)]
pub struct ElasticsearchOptions {
    /// Node URLs (`es.server-urls`).
    pub servers: Vec<String>,
    /// Elasticsearch or OpenSearch (the storage type); a server saying it is OpenSearch is
    /// treated as such whatever this says.
    pub flavor: Flavor,
    /// The server's major version (`es.version`); `None` asks the server.
    pub version: Option<u32>,
    pub authentication: Authentication,
    pub tls: Option<TlsOptions>,
    /// How long one request may take (`es.timeout`).
    pub timeout: Duration,
    /// Index names (`es.index-prefix`, `es.index-date-separator`, `es.use-aliases`,
    /// `es.index-rollover-frequency-*`).
    pub naming: IndexNaming,
    /// Template settings (`es.num-shards`, `es.num-replicas`, priorities, ILM).
    pub templates: TemplateOptions,
    /// Put the index templates when opening (`es.create-index-templates`, default true).
    pub create_index_templates: bool,
    pub tags_as_fields: TagsAsFields,
    pub bulk: BulkOptions,
    /// How far back `get_trace` without a window and the catalog reads look
    /// (`es.max-span-age`, 72 h).
    pub max_span_age: Duration,
    /// Documents per search page and buckets per aggregation (`es.max-doc-count`, 10 000).
    pub max_doc_count: usize,
    /// Reads return no span that started more than this long ago (deleting the indices is
    /// `spur-es-index clean`'s job); `None`: whatever the indices hold.
    pub retention: Option<Duration>,
    /// How long a written service/operation pair is not written again (Jaeger: 12 h).
    pub service_cache_ttl: Duration,
}

impl ElasticsearchOptions {
    /// Jaeger's defaults for these servers.
    pub fn new(servers: Vec<String>) -> Self {
        ElasticsearchOptions {
            servers,
            flavor: Flavor::Elasticsearch,
            version: None,
            authentication: Authentication::None,
            tls: None,
            timeout: Duration::from_secs(10),
            naming: IndexNaming::new("", "-", false, false, false),
            templates: TemplateOptions::default(),
            create_index_templates: true,
            tags_as_fields: TagsAsFields::default(),
            bulk: BulkOptions::default(),
            max_span_age: Duration::from_secs(72 * 3600),
            max_doc_count: 10_000,
            retention: None,
            service_cache_ttl: Duration::from_secs(12 * 3600),
        }
    }
}

/// Jaeger's indices in one cluster, read and written through the storage traits.
pub struct ElasticsearchStore {
    client: Client,
    options: ElasticsearchOptions,
    naming: IndexNaming,
    version: ServerVersion,
    bulk: writer::BulkProcessor,
}

impl ElasticsearchStore {
    /// Connects (asking the server its version unless configured), puts the index templates
    /// when `create_index_templates` says so, and starts the bulk processor on the current
    /// tokio runtime.
    pub async fn open(options: ElasticsearchOptions) -> Result<ElasticsearchStore, StorageError> {
        let client = Client::new(&options)?;
        let version = match options.version {
            Some(major) => ServerVersion {
                flavor: options.flavor,
                major,
            },
            None => client.server_version(options.flavor).await?,
        };
        if options.create_index_templates {
            templates::create_templates(&client, &options.naming, version, &options.templates)
                .await?;
        }
        let cache = Arc::new(writer::ServiceCache::new(
            options.service_cache_ttl,
            100_000,
        ));
        let bulk = writer::BulkProcessor::start(client.clone(), options.bulk.clone(), cache);
        Ok(ElasticsearchStore {
            naming: options.naming.clone(),
            client,
            options,
            version,
            bulk,
        })
    }

    /// The server this store talks to.
    pub fn server_version(&self) -> ServerVersion {
        self.version
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl SpanWriter for ElasticsearchStore {
    async fn write_spans(&self, spans: Vec<Span>) -> Result<(), StorageError> {
        let operations = writer::documents_for_spans(
            &spans,
            &self.naming,
            &self.options.tags_as_fields,
            self.bulk.cache(),
        )?;
        self.bulk.write(operations).await
    }
}

#[async_trait]
impl SpanReader for ElasticsearchStore {
    async fn get_trace(&self, query: GetTraceQuery) -> Result<Option<Trace>, StorageError> {
        reader::timed("get_trace", self.read_trace(query)).await
    }

    async fn find_traces(&self, query: &TraceQuery) -> Result<Vec<Trace>, StorageError> {
        reader::timed("find_traces", self.search_traces(query)).await
    }

    async fn find_trace_ids(&self, query: &TraceQuery) -> Result<Vec<TraceId>, StorageError> {
        reader::timed("find_trace_ids", self.search_trace_ids(query)).await
    }

    async fn get_services(&self) -> Result<Vec<String>, StorageError> {
        reader::timed("get_services", self.read_services()).await
    }

    async fn get_operations(&self, query: &OperationQuery) -> Result<Vec<Operation>, StorageError> {
        reader::timed("get_operations", self.read_operations(query)).await
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            retention: self.options.retention.is_some(),
            persistent: true,
        }
    }
}

#[async_trait]
impl DependencyStore for ElasticsearchStore {
    async fn write_dependencies(
        &self,
        timestamp: i64,
        links: Vec<DependencyLink>,
    ) -> Result<(), StorageError> {
        self.store_dependencies(timestamp, links).await
    }

    async fn get_dependencies(
        &self,
        end_time: i64,
        lookback: i64,
    ) -> Result<Vec<DependencyLink>, StorageError> {
        reader::timed(
            "get_dependencies",
            self.read_dependencies(end_time, lookback),
        )
        .await
    }
}
