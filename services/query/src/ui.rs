//! The web UI's files, embedded in the binary (`services/query/ui/`, plain ES modules and CSS
//! with no build step) and served next to the `/api` routes:
//!
//! - `/static/<file>`: one of [`FILES`] with its content type;
//! - every other path outside `/api` (`/`, `/search`, `/trace/<id>`, ...): `index.html`, so the
//!   UI's own routes can be bookmarked and shared (Jaeger's SPA fallback);
//! - `/api/<unknown>`: a 404 in the API's envelope, never the page.
//!
//! Every answer carries an `ETag` (answered with 304 when `If-None-Match` matches) and
//! `Cache-Control: no-cache`, so browsers revalidate instead of running stale code after an
//! upgrade. `index.html`'s `<base href="/">` is rewritten to `query.base-path`, which makes the
//! UI's relative asset and API addresses work behind a prefix.
//!
//! Not here: the API itself ([`crate::http`]).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

/// One embedded file: its name under `/static/`, content type and bytes.
#[derive(Debug, Clone, Copy)]
pub struct File {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! files {
    ($($name:literal => $content_type:expr),* $(,)?) => {
        &[$(File {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../ui/", $name)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Every file of the UI; `index.html` is also served for the UI's routes.
pub const FILES: &[File] = files![
    "index.html" => HTML,
    "style.css" => CSS,
    "favicon.svg" => SVG,
    "app.js" => JS,
    "api.js" => JS,
    "dom.js" => JS,
    "format.js" => JS,
    "model.js" => JS,
    "critical.js" => JS,
    "search.js" => JS,
    "scatter.js" => JS,
    "trace.js" => JS,
    "timeline.js" => JS,
    "detail.js" => JS,
    "compare.js" => JS,
    "deps.js" => JS,
];

/// What the page's `<base href>` says before it is rewritten.
const BASE_PLACEHOLDER: &str = "<base href=\"/\">";

/// A file ready to send: bytes and validators computed once.
#[derive(Debug, Clone)]
struct Prepared {
    content_type: &'static str,
    bytes: axum::body::Bytes,
    etag: HeaderValue,
}

impl Prepared {
    fn new(content_type: &'static str, bytes: Vec<u8>) -> Prepared {
        let etag = format!("\"{:016x}\"", fnv1a(&bytes));
        Prepared {
            content_type,
            bytes: bytes.into(),
            // Hex digits and quotes only, always a valid header value.
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    }
}

/// The files as served under one base path.
#[derive(Debug)]
struct Assets {
    /// `""` for `/`, else the prefix without a trailing `/` (e.g. `/jaeger`).
    prefix: String,
    index: Prepared,
    files: Vec<(&'static str, Prepared)>,
}

impl Assets {
    fn new(base_path: &str) -> Assets {
        let files: Vec<(&'static str, Prepared)> = FILES
            .iter()
            .map(|file| {
                (
                    file.name,
                    Prepared::new(file.content_type, file.bytes.to_vec()),
                )
            })
            .collect();
        let page = FILES
            .iter()
            .find(|file| file.name == "index.html")
            .map_or(&b""[..], |file| file.bytes);
        let page = String::from_utf8_lossy(page);
        let base = if base_path == "/" {
            "/".to_owned()
        } else {
            format!("{base_path}/")
        };
        let page = page.replacen(
            BASE_PLACEHOLDER,
            &format!("<base href=\"{}\">", escape_attribute(&base)),
            1,
        );
        Assets {
            prefix: base.trim_end_matches('/').to_owned(),
            index: Prepared::new(HTML, page.into_bytes()),
            files,
        }
    }

    fn file(&self, name: &str) -> Option<&Prepared> {
        self.files
            .iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, prepared)| prepared)
    }
}

/// The UI's router: a fallback answering every path the `/api` router does not, to be merged
/// at the top level (not nested). `base_path` is `query.base-path` (`/` or e.g. `/jaeger`);
/// paths outside it are 404.
pub fn router(base_path: &str) -> axum::Router {
    let assets = Arc::new(Assets::new(base_path));
    axum::Router::new().fallback(serve).with_state(assets)
}

async fn serve(
    State(assets): State<Arc<Assets>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(path) = within(uri.path(), &assets.prefix) else {
        return plain(StatusCode::NOT_FOUND, "404 page not found\n");
    };
    if path == "/api" || path.starts_with("/api/") {
        return api_not_found();
    }
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    let prepared = match path.strip_prefix("/static/") {
        Some(name) => match assets.file(name) {
            Some(prepared) => prepared,
            None => return plain(StatusCode::NOT_FOUND, "404 page not found\n"),
        },
        None => &assets.index,
    };
    respond(prepared, &method, &headers)
}

/// The path below `prefix` (`/` for the prefix itself), or `None` outside it.
fn within<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    match rest {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

fn respond(prepared: &Prepared, method: &Method, headers: &HeaderMap) -> Response {
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == prepared.etag);
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if method == Method::HEAD {
        (StatusCode::OK, Body::empty())
    } else {
        (StatusCode::OK, Body::from(prepared.bytes.clone()))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let response_headers = response.headers_mut();
    response_headers.insert(header::ETAG, prepared.etag.clone());
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !fresh {
        response_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(prepared.content_type),
        );
        if method == Method::HEAD {
            response_headers.insert(header::CONTENT_LENGTH, prepared.bytes.len().into());
        }
    }
    response
}

/// An unknown `/api` path: Jaeger's envelope with a 404, as JSON.
fn api_not_found() -> Response {
    let body = serde_json::json!({
        "data": null,
        "total": 0,
        "limit": 0,
        "offset": 0,
        "errors": [{"code": 404, "msg": "404 page not found"}],
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 64-bit FNV-1a: a stable content hash for validators (not a security boundary).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The base path goes into an HTML attribute: `"`, `<`, `>` and `&` are escaped.
fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_the_base_path() {
        let assets = Assets::new("/jaeger");
        let page = String::from_utf8_lossy(&assets.index.bytes).into_owned();
        assert!(page.contains("<base href=\"/jaeger/\">"), "{page}");
        let root = Assets::new("/");
        let page = String::from_utf8_lossy(&root.index.bytes).into_owned();
        assert!(page.contains(BASE_PLACEHOLDER));
        assert_ne!(assets.index.etag, root.index.etag);
    }

    #[test]
    fn paths_are_read_below_the_prefix() {
        assert_eq!(within("/search", ""), Some("/search"));
        assert_eq!(within("/", ""), Some("/"));
        assert_eq!(within("/jaeger", "/jaeger"), Some("/"));
        assert_eq!(within("/jaeger/", "/jaeger"), Some("/"));
        assert_eq!(within("/jaeger/trace/1", "/jaeger"), Some("/trace/1"));
        assert_eq!(within("/jaegerx", "/jaeger"), None);
        assert_eq!(within("/search", "/jaeger"), None);
    }

    #[test]
    fn every_file_is_listed_once() {
        let mut names: Vec<_> = FILES.iter().map(|file| file.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FILES.len());
        assert!(FILES.iter().all(|file| !file.bytes.is_empty()));
    }
}
