//! The consumer side's settings: Jaeger's `kafka.consumer.*` options as values, mapped to
//! librdkafka properties for an ingester's consumer group (offsets committed by the ingester
//! only after the spans are written: auto-commit and auto-store off) or for a replay's
//! stand-alone reader (no group offsets touched).

use rdkafka::ClientConfig;
use spur_model::kafka::Encoding;
use spur_storage::StorageError;

use crate::config::{Authentication, PlaintextConfig, TlsConfig, set_security};

/// Everything a consumer needs to read the span topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// Bootstrap brokers, `host:port`.
    pub brokers: Vec<String>,
    pub topic: String,
    /// Consumer group (Jaeger's `jaeger-ingester`).
    pub group_id: String,
    pub client_id: String,
    pub encoding: Encoding,
    pub authentication: Authentication,
    pub tls: TlsConfig,
    pub plaintext: PlaintextConfig,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            brokers: vec!["127.0.0.1:9092".to_owned()],
            topic: "jaeger-spans".to_owned(),
            group_id: "jaeger-ingester".to_owned(),
            client_id: "jaeger-ingester".to_owned(),
            encoding: Encoding::Protobuf,
            authentication: Authentication::None,
            tls: TlsConfig::default(),
            plaintext: PlaintextConfig::default(),
        }
    }
}

impl ConsumerConfig {
    /// Properties of the group consumer: no automatic commit or offset store (the ingester
    /// commits what it wrote), from the earliest offset when the group has none (as Jaeger's
    /// ingester), consumer-lag statistics every `statistics_interval_ms`.
    pub fn group_client_config(
        &self,
        statistics_interval_ms: u64,
    ) -> Result<ClientConfig, StorageError> {
        let mut config = self.base()?;
        config
            .set("group.id", &self.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("partition.assignment.strategy", "range,roundrobin")
            .set("statistics.interval.ms", statistics_interval_ms.to_string());
        Ok(config)
    }

    /// Properties of a reader that assigns partitions itself and commits nothing (a replay):
    /// the group id is only a label librdkafka requires.
    pub fn standalone_client_config(&self) -> Result<ClientConfig, StorageError> {
        let mut config = self.base()?;
        config
            .set("group.id", format!("{}-replay", self.group_id))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false");
        Ok(config)
    }

    fn base(&self) -> Result<ClientConfig, StorageError> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", self.brokers.join(","))
            .set("client.id", &self.client_id)
            // Messages buffered ahead of the ingester per partition, bounded.
            .set("queued.max.messages.kbytes", "65536");
        set_security(
            &self.authentication,
            &self.tls,
            &self.plaintext,
            &mut config,
        )?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_consumer_commits_nothing_by_itself() {
        let config = ConsumerConfig::default()
            .group_client_config(5_000)
            .unwrap();
        for (key, value) in [
            ("group.id", "jaeger-ingester"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
            ("security.protocol", "plaintext"),
        ] {
            assert_eq!(config.get(key), Some(value), "{key}");
        }
    }
}
