//! Where a strategies file comes from (`sampling.strategies-file`): a path, or a URL with a
//! scheme and a host, as Jaeger tells them apart. Owns reading the bytes, nothing about their
//! meaning.
//!
//! URLs: plain `http://` only (this build of `reqwest` has no TLS), fetched with a 1 s timeout
//! as Jaeger does; `503 Service Unavailable` means "no strategies for now" (the defaults), any
//! other status but 200 is an error. `https://` and other schemes are refused when the store
//! opens.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::SamplingError;

/// Jaeger's download timeout.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub(crate) enum Source {
    File(PathBuf),
    Url {
        url: String,
        client: reqwest::Client,
    },
}

impl Source {
    /// A URL when `location` parses as one with a scheme and a non-empty host, else a path.
    pub(crate) fn parse(location: &str) -> Result<Source, SamplingError> {
        let Some(url) = reqwest::Url::parse(location)
            .ok()
            .filter(|url| url.host_str().is_some_and(|host| !host.is_empty()))
        else {
            return Ok(Source::File(PathBuf::from(location)));
        };
        let unsupported = |reason| SamplingError::UnsupportedUrl {
            url: location.to_owned(),
            reason,
        };
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(unsupported(
                    "https is not supported (no TLS in this build); use http:// or a file path",
                ));
            }
            _ => {
                return Err(unsupported(
                    "only http:// URLs and file paths are supported",
                ));
            }
        }
        let client = reqwest::Client::builder()
            .timeout(DOWNLOAD_TIMEOUT)
            .build()
            .map_err(|error| SamplingError::Download {
                url: location.to_owned(),
                message: error.to_string(),
            })?;
        Ok(Source::Url {
            url: location.to_owned(),
            client,
        })
    }

    /// The file's bytes; `None` when a URL answers 503 (no strategies for now).
    pub(crate) async fn load(&self) -> Result<Option<Vec<u8>>, SamplingError> {
        match self {
            Source::File(path) => {
                tokio::fs::read(path)
                    .await
                    .map(Some)
                    .map_err(|error| SamplingError::Read {
                        path: path.clone(),
                        error,
                    })
            }
            Source::Url { url, client } => download(client, url).await,
        }
    }
}

async fn download(client: &reqwest::Client, url: &str) -> Result<Option<Vec<u8>>, SamplingError> {
    let failed = |message: String| SamplingError::Download {
        url: url.to_owned(),
        message,
    };
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|error| failed(error.to_string()))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|error| failed(format!("cannot read the response body: {error}")))?;
    if status == reqwest::StatusCode::SERVICE_UNAVAILABLE {
        return Ok(None);
    }
    if status != reqwest::StatusCode::OK {
        return Err(failed(format!(
            "receiving {status} while downloading strategies file: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    Ok(Some(body.to_vec()))
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Url { url, .. } => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn paths_and_urls_are_told_apart_as_jaeger_does() {
        for path in [
            "/etc/jaeger/sampling.json",
            "sampling.json",
            "C:/strategies.json",
            "file:///etc/x.json",
            "localhost:8080/x",
        ] {
            assert!(
                matches!(Source::parse(path).unwrap(), Source::File(_)),
                "{path}"
            );
        }
        assert!(matches!(
            Source::parse("http://config:8080/sampling.json").unwrap(),
            Source::Url { .. }
        ));
        for refused in ["https://config/sampling.json", "ftp://config/sampling.json"] {
            let error = Source::parse(refused).unwrap_err();
            assert!(
                matches!(error, SamplingError::UnsupportedUrl { .. }),
                "{refused}"
            );
            assert!(error.to_string().contains(refused));
        }
    }
}
