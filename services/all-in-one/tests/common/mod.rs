//! Starting and stopping a `spur-all-in-one` process for a test: every port on 127.0.0.1 at
//! `base * 1000 + Jaeger's port % 1000` (base 24: 24250, 24268, ..., 24686), the embedded store
//! in a directory of its own, the agent's UDP ports only when asked for.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct AllInOne {
    child: Child,
    base: u16,
    pub directory: PathBuf,
}

impl AllInOne {
    /// Starts the binary and waits until its admin port reports ready.
    pub async fn start(name: &str, base: u16, udp: bool) -> AllInOne {
        Self::start_with(name, base, udp, &[]).await
    }

    /// [`start`](Self::start) with more command-line arguments.
    pub async fn start_with(name: &str, base: u16, udp: bool, extra: &[&str]) -> AllInOne {
        let directory =
            std::env::temp_dir().join(format!("spur-aio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let port = |offset: u16| format!("127.0.0.1:{}", base * 1000 + offset);
        let udp_port = |offset: u16| if udp { port(offset) } else { String::new() };
        let child = Command::new(env!("CARGO_BIN_EXE_spur-all-in-one"))
            .env_remove("SPAN_STORAGE_TYPE")
            .env("BADGER_DIRECTORY_VALUE", &directory)
            .args([
                format!("--collector.grpc-server.host-port={}", port(250)),
                format!("--collector.http-server.host-port={}", port(268)),
                format!("--collector.zipkin.host-port={}", port(411)),
                format!("--collector.otlp.grpc.host-port={}", port(317)),
                format!("--collector.otlp.http.host-port={}", port(318)),
                format!("--admin.http.host-port={}", port(269)),
                format!("--query.http-server.host-port={}", port(686)),
                format!("--query.grpc-server.host-port={}", port(685)),
                format!(
                    "--processor.jaeger-compact.server-host-port={}",
                    udp_port(831)
                ),
                format!(
                    "--processor.jaeger-binary.server-host-port={}",
                    udp_port(832)
                ),
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let all_in_one = AllInOne {
            child,
            base,
            directory,
        };
        let admin = format!("http://{}/", all_in_one.address(269));
        for _ in 0..300 {
            if let Ok(response) = reqwest::get(&admin).await
                && response.status() == 200
            {
                return all_in_one;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the all-in-one did not become ready");
    }

    /// `127.0.0.1:<port>` of Jaeger's port ending in `offset` (e.g. 318 for OTLP/HTTP).
    pub fn address(&self, offset: u16) -> String {
        format!("127.0.0.1:{}", self.base * 1000 + offset)
    }

    /// Sends SIGTERM and asserts a clean exit; the data directory stays for the caller.
    pub fn stop(mut self) -> PathBuf {
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(terminated.success());
        assert!(self.child.wait().unwrap().success(), "clean shutdown");
        self.directory.clone()
    }
}

/// A test that panics before [`AllInOne::stop`] must not leave the process holding its ports.
impl Drop for AllInOne {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
