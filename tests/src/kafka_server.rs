//! A private Kafka for one test, run by `deploy/local/kafka.sh` on free ports with its own data
//! directory, so that the test may stop and restart it without touching the shared Kafka other
//! tests use. Dropping the handle stops it and deletes its data, whatever happened; should the
//! test process die without dropping it (killed), a detached watchdog does the same.
//!
//! Owns that Kafka's lifetime and topics; the jars and the JVM settings are kafka.sh's.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

use crate::process::{free_port, repo_root};

/// kafka.sh waits up to this long for readiness itself; the script as a whole gets a bit more.
const UP_TIMEOUT_SECS: u64 = 180;

pub struct PrivateKafka {
    /// `127.0.0.1:<port>`.
    pub bootstrap: String,
    data: PathBuf,
    controller_port: u16,
    port: u16,
}

impl PrivateKafka {
    /// Starts a Kafka under a fresh directory in the system's temporary directory.
    pub fn start(name: &str) -> Result<PrivateKafka, String> {
        let data = std::env::temp_dir().join(crate::unique_name(name));
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let port = free_port()?;
        let mut controller_port = free_port()?;
        while controller_port == port {
            controller_port = free_port()?;
        }
        let kafka = PrivateKafka {
            bootstrap: format!("127.0.0.1:{port}"),
            data,
            controller_port,
            port,
        };
        kafka.script("up")?;
        kafka.watch(std::process::id())?;
        Ok(kafka)
    }

    /// A detached shell that stops this Kafka and deletes its data once `owner` is gone, in
    /// case the test process is killed before it can drop the handle.
    fn watch(&self, owner: u32) -> Result<(), String> {
        let script = repo_root().join("deploy/local/kafka.sh");
        let watchdog = format!(
            "while kill -0 {owner} 2>/dev/null; do sleep 2; done; \
             if [ -d \"$SPUR_DATA\" ]; then bash \"$0\" down; rm -rf \"$SPUR_DATA\"; fi"
        );
        Command::new("setsid")
            .arg("bash")
            .arg("-c")
            .arg(watchdog)
            .arg(&script)
            .env("SPUR_DATA", &self.data)
            .env("SPUR_KAFKA_PORT", self.port.to_string())
            .env(
                "SPUR_KAFKA_CONTROLLER_PORT",
                self.controller_port.to_string(),
            )
            .env("SPUR_DOWN_TIMEOUT", "30")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|e| format!("kafka watchdog: {e}"))
    }

    fn script(&self, action: &str) -> Result<(), String> {
        let script = repo_root().join("deploy/local/kafka.sh");
        let status = Command::new("timeout")
            .arg((UP_TIMEOUT_SECS + 60).to_string())
            .arg("bash")
            .arg(&script)
            .arg(action)
            .env("SPUR_DATA", &self.data)
            .env("SPUR_KAFKA_PORT", self.port.to_string())
            .env(
                "SPUR_KAFKA_CONTROLLER_PORT",
                self.controller_port.to_string(),
            )
            .env("SPUR_UP_TIMEOUT", UP_TIMEOUT_SECS.to_string())
            .env("SPUR_DOWN_TIMEOUT", "30")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("kafka.sh {action}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "kafka.sh {action} failed ({status}); logs under {}",
                self.data.display()
            ))
        }
    }

    /// Stops it (SIGTERM, as an operator's restart does) and starts it again on the same data.
    pub fn restart(&self) -> Result<(), String> {
        self.stop()?;
        self.script("up")
    }

    pub fn stop(&self) -> Result<(), String> {
        self.script("down")
    }

    pub fn start_again(&self) -> Result<(), String> {
        self.script("up")
    }

    /// Creates `topic` with `partitions` partitions.
    pub async fn create_topic(&self, topic: &str, partitions: i32) -> Result<(), String> {
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .map_err(|e| format!("admin client: {e}"))?;
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = admin
            .create_topics(
                [&NewTopic::new(
                    topic,
                    partitions,
                    TopicReplication::Fixed(1),
                )],
                &options,
            )
            .await
            .map_err(|e| format!("create_topics: {e}"))?;
        match results.first() {
            Some(Ok(_)) => Ok(()),
            Some(Err((_, code))) => Err(format!("creating {topic}: {code:?}")),
            None => Err(format!("creating {topic}: no answer")),
        }
    }
}

impl Drop for PrivateKafka {
    fn drop(&mut self) {
        if let Err(error) = self.script("down") {
            eprintln!("stopping the private Kafka: {error}");
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
