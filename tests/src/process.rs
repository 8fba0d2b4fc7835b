//! Spur's own binaries as separate processes for the whole-pipeline tests: where cargo put them
//! (built again when a source is newer), free loopback ports, one running service whose
//! process is killed when the handle drops, and reading its admin `/metrics`.
//!
//! Owns process lifetimes only; what each service is configured with is the caller's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The services the pipeline runs, as cargo packages and binary names.
pub const BINARIES: [&str; 5] = [
    "spur-agent",
    "spur-collector",
    "spur-ingester",
    "spur-query",
    "spur-loadgen",
];

/// How long a `cargo build` of the binaries may take on a busy two-core machine.
const BUILD_TIMEOUT: Duration = Duration::from_secs(1_800);

/// The repository's root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The profile directory of the running test (`target/debug` for `target/debug/deps/<test>`).
fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} has no profile directory", exe.display()))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of the Rust sources and manifests under `dir`.
fn newest_source(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") || name == "Cargo.toml" || name.ends_with(".proto") {
                newest = newest.max(modified(&path));
            }
        }
    }
    newest
}

/// Paths of [`BINARIES`] next to the running test, built first with `cargo build` when one is
/// missing or older than a source of the services, the shared crates or the load generator.
/// (`cargo test --workspace` has built them already: the services' own tests use them.)
pub fn binaries() -> Result<Vec<PathBuf>, String> {
    let dir = profile_dir()?;
    let paths: Vec<PathBuf> = BINARIES.iter().map(|name| dir.join(name)).collect();
    let root = repo_root();
    let sources = ["services", "shared", "proto", "tests/loadgen"]
        .iter()
        .filter_map(|sub| newest_source(&root.join(sub)))
        .chain(modified(&root.join("Cargo.lock")))
        .max();
    let stale = paths.iter().any(|path| match (modified(path), sources) {
        (None, _) => true,
        (Some(built), Some(source)) => built < source,
        (Some(_), None) => false,
    });
    if stale {
        build(&dir)?;
    }
    Ok(paths)
}

fn build(profile: &Path) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(repo_root()).arg("build").arg("--bins");
    if profile.file_name().is_some_and(|name| name == "release") {
        command.arg("--release");
    }
    for name in BINARIES {
        command.args(["-p", name]);
    }
    eprintln!("building the pipeline's binaries: {command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let status = wait_bounded(&mut child, BUILD_TIMEOUT)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo build of {BINARIES:?} failed: {status}"))
    }
}

/// Waits for `child` up to `timeout`; kills it past that.
fn wait_bounded(child: &mut Child, timeout: Duration) -> Result<std::process::ExitStatus, String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no exit within {timeout:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("waiting: {e}")),
        }
    }
}

/// A free TCP port on 127.0.0.1, taken below the kernel's ephemeral range
/// (`ip_local_port_range`), so no outgoing connection of the processes already started (to
/// Kafka, to a store) can take it before the service binds it. It is bound once and released:
/// another test process may still take it in between, which the service then reports at start.
/// Each call in a process returns another port, from a start chosen by process id and time.
pub fn free_port() -> Result<u16, String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    const LOWEST: u64 = 10_000;
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(32_768);
    let span = ephemeral.saturating_sub(LOWEST).max(1_000);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| u64::from(since.subsec_nanos()));
    let start = u64::from(std::process::id()).wrapping_mul(7_919) ^ nanos;
    for _ in 0..span.min(2_000) {
        let offset = start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        let Ok(port) = u16::try_from(LOWEST + offset) else {
            continue;
        };
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(format!("no free port found in {LOWEST}..{}", LOWEST + span))
}

/// `127.0.0.1:<a free port>`.
pub fn free_address() -> Result<String, String> {
    free_port().map(|port| format!("127.0.0.1:{port}"))
}

/// One service process. Dropping the handle kills it (SIGKILL) and reaps it.
pub struct Service {
    pub name: String,
    /// The admin server's `host:port` (health, `/metrics`).
    pub admin: String,
    child: Option<Child>,
}

impl Service {
    /// Starts `binary` with `env` (on top of a `RUST_LOG=warn` environment), stderr to
    /// `log_dir/<name>.log`.
    pub fn spawn(
        name: &str,
        binary: &Path,
        admin: &str,
        env: &[(&str, String)],
        log_dir: &Path,
    ) -> Result<Service, String> {
        let log = std::fs::File::create(log_dir.join(format!("{name}.log")))
            .map_err(|e| format!("{name}: log file: {e}"))?;
        let mut command = Command::new(binary);
        command
            .env("RUST_LOG", "warn")
            .env("ADMIN_HTTP_HOST_PORT", admin)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("{name}: cannot start {}: {e}", binary.display()))?;
        Ok(Service {
            name: name.to_owned(),
            admin: admin.to_owned(),
            child: Some(child),
        })
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process has exited (it is reaped then).
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Polls the admin `/ready` until it answers 200, for up to `timeout`.
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let url = format!("http://{}/ready", self.admin);
        let client = http_client();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if self.exited() {
                return Err(format!("{} exited before it was ready", self.name));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("{} was not ready within {timeout:?}", self.name));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL, then reap.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then wait up to `timeout` for the exit (SIGKILL past it); the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Result<std::process::ExitStatus, String> {
        let Some(mut child) = self.child.take() else {
            return Err(format!("{} is not running", self.name));
        };
        signal(child.id(), "TERM");
        wait_bounded(&mut child, timeout)
    }

    /// The admin `/metrics` text.
    pub async fn scrape(&self) -> Result<String, String> {
        let url = format!("http://{}/metrics", self.admin);
        let response = http_client()
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{}: {url}: {e}", self.name))?;
        response
            .text()
            .await
            .map_err(|e| format!("{}: {url}: {e}", self.name))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Sends `kill -<name>` to `pid` (e.g. `STOP`, `CONT`, `TERM`).
pub fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status();
}

/// A client for loopback calls that ignores proxy variables.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// The sum of the samples of `name` in a scrape whose labels contain every `key="value"` of
/// `labels` (histogram series are not folded: name them exactly).
pub fn metric_sum(scrape: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_sum_filters_by_name_and_labels() {
        let scrape = "# HELP x\n\
                      spur_collector_spans_refused_total{reason=\"queue_full\",format=\"otlp\"} 3\n\
                      spur_collector_spans_refused_total{reason=\"writer_busy\",format=\"otlp\"} 4\n\
                      spur_collector_spans_refused_total_other 9\n\
                      plain 2\n";
        assert_eq!(
            metric_sum(scrape, "spur_collector_spans_refused_total", &[]),
            7.0
        );
        assert_eq!(
            metric_sum(
                scrape,
                "spur_collector_spans_refused_total",
                &[("reason", "writer_busy")]
            ),
            4.0
        );
        assert_eq!(metric_sum(scrape, "plain", &[]), 2.0);
        assert_eq!(metric_sum(scrape, "missing", &[]), 0.0);
    }
}
