//! The HTTP side: one `elasticsearch` crate transport over every configured node (round robin),
//! with authentication (basic, API key, bearer token), TLS with a CA file and a request
//! timeout; JSON requests whose non-2xx answers become `StorageError`s; and finding out which
//! server and major version answers (Elasticsearch 7/8/9, OpenSearch 1/2/3).
//!
//! It does not know about spans or indices.

use std::time::Duration;

use elasticsearch::auth::Credentials;
use elasticsearch::cert::{Certificate, CertificateValidation};
use elasticsearch::http::headers::HeaderMap;
use elasticsearch::http::transport::{
    MultiNodeConnectionPool, SingleNodeConnectionPool, Transport, TransportBuilder,
};
use elasticsearch::http::{Method, StatusCode, Url};
use serde_json::Value;
use spur_storage::StorageError;

use crate::error;
use crate::{Authentication, ElasticsearchOptions, Flavor};

/// Which server answers, as far as index templates and APIs differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerVersion {
    pub flavor: Flavor,
    /// The major version: 7, 8, 9 for Elasticsearch; 1, 2, 3 for OpenSearch.
    pub major: u32,
}

impl ServerVersion {
    /// Composable index templates (`_index_template`, with `priority`): Elasticsearch 8 and
    /// later, as Jaeger uses them. Elasticsearch 7 and OpenSearch get Jaeger's ES 7 legacy
    /// templates (`_template`), as Jaeger does.
    pub fn composable_templates(self) -> bool {
        self.flavor == Flavor::Elasticsearch && self.major >= 8
    }
}

/// A connection to the cluster.
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    timeout: Duration,
}

impl Client {
    /// Builds the transport; no request is sent.
    pub fn new(options: &ElasticsearchOptions) -> Result<Client, StorageError> {
        let invalid = |message: String| StorageError::InvalidArgument(message);
        let mut urls = Vec::with_capacity(options.servers.len());
        for server in &options.servers {
            let url = Url::parse(server)
                .map_err(|e| invalid(format!("Elasticsearch server URL {server:?}: {e}")))?;
            urls.push(url);
        }
        let mut builder = match urls.len() {
            0 => return Err(invalid("no Elasticsearch server URL".into())),
            1 => TransportBuilder::new(SingleNodeConnectionPool::new(urls.remove(0))),
            _ => TransportBuilder::new(MultiNodeConnectionPool::round_robin(urls, None)),
        };
        builder = builder.timeout(options.timeout).disable_proxy();
        match &options.authentication {
            Authentication::None => {}
            Authentication::Basic { username, password } => {
                builder = builder.auth(Credentials::Basic(username.clone(), password.clone()));
            }
            Authentication::ApiKey(key) => {
                builder = builder.auth(Credentials::EncodedApiKey(key.clone()));
            }
            Authentication::Bearer(token) => {
                builder = builder.auth(Credentials::Bearer(token.clone()));
            }
        }
        if let Some(tls) = &options.tls {
            let validation = if tls.skip_host_verify {
                CertificateValidation::None
            } else if let Some(ca) = &tls.ca {
                let pem = std::fs::read(ca)
                    .map_err(|e| invalid(format!("TLS CA file {}: {e}", ca.display())))?;
                let certificate = Certificate::from_pem(&pem)
                    .map_err(|e| invalid(format!("TLS CA file {}: {e}", ca.display())))?;
                CertificateValidation::Full(certificate)
            } else {
                CertificateValidation::Default
            };
            builder = builder.cert_validation(validation);
        }
        let transport = builder
            .build()
            .map_err(|e| invalid(format!("Elasticsearch client: {e}")))?;
        Ok(Client {
            transport,
            timeout: options.timeout,
        })
    }

    /// Sends one request and returns the status and body, whatever the status.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Vec<u8>), StorageError> {
        let context = format!("{} {path}", method_name(method));
        let query = (!query.is_empty()).then_some(query);
        let response = self
            .transport
            .send(
                method,
                path,
                HeaderMap::new(),
                query,
                body,
                Some(self.timeout),
            )
            .await
            .map_err(|e| error::from_transport(&context, &e))?;
        let status = response.status_code();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| error::from_transport(&context, &e))?;
        Ok((status, bytes.to_vec()))
    }

    /// Sends a JSON request and parses a 2xx answer; any other status is an error.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, StorageError> {
        let body = match body {
            Some(value) => Some(
                serde_json::to_vec(value).map_err(|e| error::from_decoding("a request body", e))?,
            ),
            None => None,
        };
        let (status, bytes) = self.send(method, path, query, body).await?;
        let context = format!("{} {path}", method_name(method));
        if !status.is_success() {
            return Err(error::from_status(
                &context,
                status,
                &String::from_utf8_lossy(&bytes),
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| error::from_decoding(&context, e))
    }

    /// Finds out the server's product and major version. The Elasticsearch integ-test build
    /// answers `GET /` with 405, so the local node's info is the fallback.
    pub async fn server_version(&self, configured: Flavor) -> Result<ServerVersion, StorageError> {
        let (status, bytes) = self.send(Method::Get, "/", &[], None).await?;
        let (number, distribution) = if status.is_success() {
            let root: Value =
                serde_json::from_slice(&bytes).map_err(|e| error::from_decoding("GET /", e))?;
            let version = &root["version"];
            (
                version["number"].as_str().unwrap_or_default().to_owned(),
                version["distribution"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        } else {
            let nodes = self
                .json(
                    Method::Get,
                    "/_nodes/_local",
                    &[("filter_path", "nodes.*.version,nodes.*.distribution")],
                    None,
                )
                .await?;
            let node = nodes["nodes"]
                .as_object()
                .and_then(|nodes| nodes.values().next())
                .cloned()
                .unwrap_or_default();
            (
                node["version"].as_str().unwrap_or_default().to_owned(),
                node["distribution"].as_str().unwrap_or_default().to_owned(),
            )
        };
        let major = number
            .split('.')
            .next()
            .and_then(|major| major.parse::<u32>().ok())
            .ok_or_else(|| {
                StorageError::Internal(format!("the server reports no version ({number:?})"))
            })?;
        let flavor = if distribution == "opensearch" {
            Flavor::OpenSearch
        } else {
            configured
        };
        Ok(ServerVersion { flavor, major })
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Put => "PUT",
        Method::Post => "POST",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}
