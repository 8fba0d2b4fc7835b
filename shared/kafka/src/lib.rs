//! spur-kafka: Spur's Kafka producer side, compatible with Jaeger's.
//!
//! - [`KafkaSpanWriter`] ([`writer`]): a [`spur_storage::SpanWriter`] producing one Jaeger
//!   `Span` message per span (protobuf or JSON, [`spur_model::kafka`]), keyed by the trace id's
//!   hex form, partitioned by Jaeger's rule, with backpressure when the producer's queue is
//!   full and a flush for shutdown.
//! - [`ProducerConfig`] ([`config`]): Jaeger's `kafka.producer.*` options as values, mapped to
//!   librdkafka properties.
//! - [`partition`]: Jaeger's (sarama's) key → partition rule, FNV-1a.
//! - [`metrics`]: the metric names and the delivery-error `reason` vocabulary.
//! - `encode` (a write's spans into messages) and `delivery` (counting delivery reports and
//!   telling each write when its messages are settled): the writer's private parts.
//!
//! - [`ConsumerConfig`] ([`consumer`]): Jaeger's `kafka.consumer.*` options, for the ingester's
//!   group consumer and a replay's stand-alone reader.
//!
//! Reading the producer settings from the environment is `spur-storage-factory`'s job; the
//! ingester reads the consumer's.

pub mod config;
pub mod consumer;
mod delivery;
mod encode;
pub mod metrics;
pub mod partition;
pub mod writer;

pub use config::{
    Authentication, Compression, KERBEROS_SUPPORTED, PlaintextConfig, ProducerConfig, RequiredAcks,
    SaslMechanism, TlsConfig,
};
pub use consumer::ConsumerConfig;
pub use partition::{fnv1a_32, partition_for_key};
pub use spur_model::kafka::Encoding;
pub use writer::{KafkaSpanWriter, QUEUE_FULL};
