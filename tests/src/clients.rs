//! The live client senders of `tests/clients/live/` as the tests run them: which environment
//! `install.sh` prepares for each (checked, never installed here: a missing or stale one fails
//! with the instruction), the command that sends to given endpoints, and running it with the
//! SDK defaults to the JSON description it prints.
//!
//! Owns starting senders; what their spans must look like once received is [`crate::expect`]'s.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::expect::Format;
use crate::process::repo_root;

/// A sender's whole run, interpreter start to exit (its own waits are 15 s or less).
const SENDER_TIMEOUT: Duration = Duration::from_secs(120);
pub const INSTALL_HINT: &str =
    "run `bash tests/clients/live/install.sh` (`make test` runs it first)";

/// One program of `tests/clients/live/`: a library and its transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Python OTel SDK, OTLP/gRPC with gzip, to the collector's 4317.
    OtelPythonGrpc,
    /// Python OTel SDK, OTLP/HTTP protobuf, to 4318.
    OtelPythonHttp,
    /// Node OTel SDK, OTLP/HTTP JSON, to 4318.
    OtelNodeHttpJson,
    /// py_zipkin, Zipkin v2 JSON, to 9411.
    PyZipkin,
    /// jaeger-client-go, thrift binary over HTTP, to 14268.
    JaegerGo,
    /// Python jaeger-client, thrift compact over UDP, to the agent's 6831.
    JaegerPython,
}

/// Where a sender may send: the collector's receivers and the agent's compact UDP port.
#[derive(Debug, Clone, Copy, Default)]
pub struct Endpoints {
    pub otlp_grpc: Option<SocketAddr>,
    pub otlp_http: Option<SocketAddr>,
    pub zipkin: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    pub agent_compact: Option<SocketAddr>,
}

/// What install.sh prepares for one of its targets.
struct Environment {
    /// install.sh's target name, also its `.ready` marker's.
    target: &'static str,
    /// Must exist once installed.
    installed: PathBuf,
    /// Pin and source files: the marker must be newer than each.
    inputs: Vec<PathBuf>,
}

/// `SPUR_CACHE`, else `~/.cache/spur`.
pub fn cache_root() -> PathBuf {
    match std::env::var_os("SPUR_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
            .join(".cache/spur"),
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Sender {
    /// The collector's `internal.span.format` for this sender's spans, which also picks the
    /// expectation rules (the agent forwards over gRPC: `proto`; it has its own check).
    pub fn format(self) -> Format {
        match self {
            Sender::OtelPythonGrpc | Sender::OtelPythonHttp | Sender::OtelNodeHttpJson => {
                Format::Otlp
            }
            Sender::PyZipkin => Format::Zipkin,
            Sender::JaegerGo | Sender::JaegerPython => Format::Jaeger,
        }
    }

    fn environment(self) -> Environment {
        let cache = cache_root();
        let fixtures = repo_root().join("tests/fixtures/clients");
        let live = repo_root().join("tests/clients/live");
        match self {
            Sender::OtelPythonGrpc | Sender::OtelPythonHttp => Environment {
                target: "otel-python",
                installed: cache.join("fixtures-venv-otel/bin/python"),
                inputs: vec![fixtures.join("requirements-otel.txt")],
            },
            Sender::PyZipkin => Environment {
                target: "zipkin-python",
                installed: cache.join("fixtures-venv-zipkin/bin/python"),
                inputs: vec![fixtures.join("requirements-zipkin.txt")],
            },
            Sender::JaegerPython => Environment {
                target: "jaeger-python",
                installed: cache.join("fixtures-venv-jaeger/bin/python"),
                inputs: vec![fixtures.join("requirements-jaeger.txt")],
            },
            Sender::OtelNodeHttpJson => Environment {
                target: "node-otel",
                installed: cache.join(
                    "fixtures-node/node_modules/@opentelemetry/exporter-trace-otlp-http/package.json",
                ),
                inputs: vec![
                    fixtures.join("package.json"),
                    fixtures.join("package-lock.json"),
                ],
            },
            Sender::JaegerGo => Environment {
                target: "go-jaeger",
                installed: cache.join("live-clients/bin/jaeger-go"),
                inputs: vec![
                    live.join("go.mod"),
                    live.join("go.sum"),
                    live.join("jaeger-go/main.go"),
                ],
            },
        }
    }

    /// Fails unless install.sh prepared this sender's environment after its inputs changed.
    pub fn require_environment(self) -> Result<(), String> {
        let env = self.environment();
        let marker = cache_root()
            .join("live-clients")
            .join(format!("{}.ready", env.target));
        let problem = if !env.installed.exists() {
            Some(format!("{} is missing", env.installed.display()))
        } else if let Some(ready) = modified(&marker) {
            env.inputs
                .iter()
                .find(|input| modified(input).is_some_and(|changed| changed > ready))
                .map(|input| format!("{} changed after the last install", input.display()))
        } else {
            Some(format!("{} is missing", marker.display()))
        };
        match problem {
            Some(problem) => Err(format!(
                "the {} sender's environment is not ready: {problem}; {INSTALL_HINT}",
                env.target
            )),
            None => Ok(()),
        }
    }

    /// The command that sends to `endpoints` as `service`.
    pub fn command(
        self,
        endpoints: &Endpoints,
        service: &str,
    ) -> Result<tokio::process::Command, String> {
        let cache = cache_root();
        let live = repo_root().join("tests/clients/live");
        let need = |address: Option<SocketAddr>, what: &str| {
            address.ok_or_else(|| format!("{self:?} needs the {what} endpoint"))
        };
        let python = |venv: &str, script: &str| {
            let mut command = tokio::process::Command::new(cache.join(venv).join("bin/python"));
            command.arg(live.join(script));
            command
        };
        let mut command = match self {
            Sender::OtelPythonGrpc => {
                let mut command = python("fixtures-venv-otel", "otel_python.py");
                command.args(["--protocol", "grpc", "--compression", "gzip", "--endpoint"]);
                command.arg(need(endpoints.otlp_grpc, "OTLP gRPC")?.to_string());
                command
            }
            Sender::OtelPythonHttp => {
                let mut command = python("fixtures-venv-otel", "otel_python.py");
                command.args(["--protocol", "http", "--compression", "none", "--endpoint"]);
                let address = need(endpoints.otlp_http, "OTLP HTTP")?;
                command.arg(format!("http://{address}/v1/traces"));
                command
            }
            Sender::PyZipkin => {
                let mut command = python("fixtures-venv-zipkin", "py_zipkin_sender.py");
                command.arg("--endpoint");
                command.arg(format!("http://{}", need(endpoints.zipkin, "Zipkin")?));
                command
            }
            Sender::JaegerPython => {
                let mut command = python("fixtures-venv-jaeger", "jaeger_python.py");
                command.arg("--agent");
                command.arg(need(endpoints.agent_compact, "agent UDP")?.to_string());
                command
            }
            Sender::OtelNodeHttpJson => {
                let mut command = tokio::process::Command::new("node");
                command.arg(live.join("otel_node.js"));
                command.env("NODE_PATH", cache.join("fixtures-node/node_modules"));
                command.arg("--endpoint");
                let address = need(endpoints.otlp_http, "OTLP HTTP")?;
                command.arg(format!("http://{address}/v1/traces"));
                command
            }
            Sender::JaegerGo => {
                let mut command =
                    tokio::process::Command::new(cache.join("live-clients/bin/jaeger-go"));
                command.arg("-endpoint");
                let address = need(endpoints.http, "Jaeger HTTP")?;
                command.arg(format!("http://{address}/api/traces"));
                command
            }
        };
        let service_flag = if matches!(self, Sender::JaegerGo) {
            "-service"
        } else {
            "--service"
        };
        command.args([service_flag, service]);
        Ok(command)
    }

    /// Runs the sender with the SDK defaults (no `OTEL_*`/`JAEGER_*`, no proxy) and returns the
    /// JSON description it prints.
    pub async fn run(self, endpoints: &Endpoints, service: &str) -> Result<Value, String> {
        self.require_environment()?;
        let mut command = self.command(endpoints, service)?;
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            let proxy = name.eq_ignore_ascii_case("http_proxy")
                || name.eq_ignore_ascii_case("https_proxy")
                || name.eq_ignore_ascii_case("all_proxy")
                || name == "grpc_proxy";
            if name.starts_with("OTEL_") || name.starts_with("JAEGER_") || proxy {
                command.env_remove(&name);
            }
        }
        command
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = command
            .spawn()
            .map_err(|e| format!("{self:?}: cannot start {command:?}: {e}; {INSTALL_HINT}"))?;
        let output = tokio::time::timeout(SENDER_TIMEOUT, started.wait_with_output())
            .await
            .map_err(|_| format!("{self:?}: no exit within {SENDER_TIMEOUT:?}"))?
            .map_err(|e| format!("{self:?}: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(format!(
                "{self:?} failed ({}): {stderr}\n(a broken environment? {INSTALL_HINT})",
                output.status
            ));
        }
        serde_json::from_slice(&output.stdout).map_err(|e| {
            format!(
                "{self:?} printed no JSON ({e}): {}\nstderr: {stderr}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }
}
