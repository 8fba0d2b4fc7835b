//! Every metric the Kafka writer records, by name, and the fixed `reason` vocabulary of delivery
//! errors. Jaeger's name where Jaeger has the metric (`jaeger_kafka_spans_written_total`), else
//! `spur_kafka_producer_*`. Also the rate limiter that keeps delivery-failure logs to one line a
//! second. Recording goes through the `metrics` facade; the services install the recorder.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use metrics::{Counter, Gauge};
use rdkafka::error::RDKafkaErrorCode;

/// Spans whose delivery finished, by `status` = `success` | `failure` (Jaeger's name).
pub const SPANS_WRITTEN: &str = "jaeger_kafka_spans_written_total";
/// Messages in the producer: queued, in flight, or awaiting their delivery report.
pub const QUEUE_MESSAGES: &str = "spur_kafka_producer_queue_messages";
/// Failed deliveries by `reason` ([`DeliveryErrorReason`]).
pub const DELIVERY_ERRORS: &str = "spur_kafka_producer_delivery_errors_total";

/// Why a delivery failed: the `reason` label's whole vocabulary, from librdkafka's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryErrorReason {
    /// Not delivered within `message.timeout.ms` (brokers down or unreachable, typically).
    TimedOut,
    /// Connection, name resolution or broker availability problems.
    Transport,
    /// The message is larger than the producer or broker accepts.
    MessageTooLarge,
    /// The topic or partition does not exist.
    UnknownTopic,
    /// The partition has no leader, or the broker is not its leader.
    NoLeader,
    /// Too few in-sync replicas for `acks=all`.
    NotEnoughReplicas,
    /// Authentication or authorization failed.
    Auth,
    /// TLS failed.
    Tls,
    /// The idempotent producer lost its sequence (fatal for the producer).
    Idempotence,
    /// Removed from the queue unsent, at shutdown.
    Purged,
    /// The broker refused the message as malformed or corrupt.
    InvalidMessage,
    /// Anything else.
    Other,
}

impl DeliveryErrorReason {
    pub const ALL: [DeliveryErrorReason; 12] = [
        DeliveryErrorReason::TimedOut,
        DeliveryErrorReason::Transport,
        DeliveryErrorReason::MessageTooLarge,
        DeliveryErrorReason::UnknownTopic,
        DeliveryErrorReason::NoLeader,
        DeliveryErrorReason::NotEnoughReplicas,
        DeliveryErrorReason::Auth,
        DeliveryErrorReason::Tls,
        DeliveryErrorReason::Idempotence,
        DeliveryErrorReason::Purged,
        DeliveryErrorReason::InvalidMessage,
        DeliveryErrorReason::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DeliveryErrorReason::TimedOut => "timed_out",
            DeliveryErrorReason::Transport => "transport",
            DeliveryErrorReason::MessageTooLarge => "message_too_large",
            DeliveryErrorReason::UnknownTopic => "unknown_topic",
            DeliveryErrorReason::NoLeader => "no_leader",
            DeliveryErrorReason::NotEnoughReplicas => "not_enough_replicas",
            DeliveryErrorReason::Auth => "auth",
            DeliveryErrorReason::Tls => "tls",
            DeliveryErrorReason::Idempotence => "idempotence",
            DeliveryErrorReason::Purged => "purged",
            DeliveryErrorReason::InvalidMessage => "invalid_message",
            DeliveryErrorReason::Other => "other",
        }
    }

    pub fn of(code: RDKafkaErrorCode) -> Self {
        use RDKafkaErrorCode as Code;
        match code {
            Code::MessageTimedOut | Code::RequestTimedOut | Code::OperationTimedOut => {
                DeliveryErrorReason::TimedOut
            }
            Code::BrokerTransportFailure
            | Code::AllBrokersDown
            | Code::Resolve
            | Code::NetworkException
            | Code::BrokerNotAvailable
            | Code::KafkaStorageError => DeliveryErrorReason::Transport,
            Code::MessageSizeTooLarge | Code::InvalidMessageSize | Code::MessageBatchTooLarge => {
                DeliveryErrorReason::MessageTooLarge
            }
            Code::UnknownTopicOrPartition
            | Code::UnknownTopic
            | Code::UnknownPartition
            | Code::InvalidTopic => DeliveryErrorReason::UnknownTopic,
            Code::LeaderNotAvailable
            | Code::NotLeaderForPartition
            | Code::FencedLeaderEpoch
            | Code::UnknownLeaderEpoch => DeliveryErrorReason::NoLeader,
            Code::NotEnoughReplicas | Code::NotEnoughReplicasAfterAppend => {
                DeliveryErrorReason::NotEnoughReplicas
            }
            Code::Authentication
            | Code::SaslAuthenticationFailed
            | Code::TopicAuthorizationFailed
            | Code::ClusterAuthorizationFailed
            | Code::TransactionalIdAuthorizationFailed
            | Code::UnsupportedSASLMechanism
            | Code::IllegalSASLState => DeliveryErrorReason::Auth,
            Code::SSL => DeliveryErrorReason::Tls,
            Code::OutOfOrderSequenceNumber
            | Code::DuplicateSequenceNumber
            | Code::InvalidProducerEpoch
            | Code::UnknownProducerId
            | Code::InvalidProducerIdMapping
            | Code::ProducerFenced
            | Code::Fatal
            | Code::Fenced => DeliveryErrorReason::Idempotence,
            Code::PurgeQueue | Code::PurgeInflight => DeliveryErrorReason::Purged,
            Code::InvalidMessage
            | Code::BadMessage
            | Code::InvalidRecord
            | Code::InvalidTimestamp
            | Code::UnsupportedForMessageFormat
            | Code::UnsupportedCompressionType
            | Code::BadCompression => DeliveryErrorReason::InvalidMessage,
            _ => DeliveryErrorReason::Other,
        }
    }
}

/// The writer's metric handles, registered once with the recorder installed at construction.
pub(crate) struct ProducerMetrics {
    pub success: Counter,
    pub failure: Counter,
    pub queue_messages: Gauge,
    delivery_errors: [Counter; DeliveryErrorReason::ALL.len()],
}

impl ProducerMetrics {
    pub fn register() -> Self {
        ProducerMetrics {
            success: metrics::counter!(SPANS_WRITTEN, "status" => "success"),
            failure: metrics::counter!(SPANS_WRITTEN, "status" => "failure"),
            queue_messages: metrics::gauge!(QUEUE_MESSAGES),
            delivery_errors: DeliveryErrorReason::ALL
                .map(|reason| metrics::counter!(DELIVERY_ERRORS, "reason" => reason.label())),
        }
    }

    /// Counts one span that will not be delivered.
    pub fn failed(&self, reason: DeliveryErrorReason) {
        self.failure.increment(1);
        self.delivery_errors[reason as usize].increment(1);
    }
}

/// Lets through at most one event a second, counting those it holds back.
pub(crate) struct RateLimiter {
    start: Instant,
    /// Milliseconds since `start` before which nothing is let through.
    next_allowed: AtomicU64,
    suppressed: AtomicU64,
}

impl RateLimiter {
    const INTERVAL_MILLIS: u64 = 1_000;

    pub fn new() -> Self {
        RateLimiter {
            start: Instant::now(),
            next_allowed: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(events held back since the last one let through)` when this one may pass.
    pub fn allow(&self) -> Option<u64> {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let next = self.next_allowed.load(Ordering::Relaxed);
        let won = now >= next
            && self
                .next_allowed
                .compare_exchange(
                    next,
                    now.saturating_add(Self::INTERVAL_MILLIS),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if won {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_distinct_and_indexed_in_order() {
        for (index, reason) in DeliveryErrorReason::ALL.into_iter().enumerate() {
            assert_eq!(reason as usize, index, "{reason:?}");
        }
        let mut labels: Vec<&str> = DeliveryErrorReason::ALL.map(|r| r.label()).to_vec();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), DeliveryErrorReason::ALL.len());
    }

    #[test]
    fn error_codes_map_to_reasons() {
        let cases = [
            (RDKafkaErrorCode::MessageTimedOut, "timed_out"),
            (RDKafkaErrorCode::AllBrokersDown, "transport"),
            (RDKafkaErrorCode::MessageSizeTooLarge, "message_too_large"),
            (RDKafkaErrorCode::UnknownTopicOrPartition, "unknown_topic"),
            (RDKafkaErrorCode::NotLeaderForPartition, "no_leader"),
            (RDKafkaErrorCode::NotEnoughReplicas, "not_enough_replicas"),
            (RDKafkaErrorCode::TopicAuthorizationFailed, "auth"),
            (RDKafkaErrorCode::SSL, "tls"),
            (RDKafkaErrorCode::OutOfOrderSequenceNumber, "idempotence"),
            (RDKafkaErrorCode::PurgeQueue, "purged"),
            (RDKafkaErrorCode::InvalidMessage, "invalid_message"),
            (RDKafkaErrorCode::PolicyViolation, "other"),
        ];
        for (code, label) in cases {
            assert_eq!(DeliveryErrorReason::of(code).label(), label, "{code:?}");
        }
    }

    #[test]
    fn the_rate_limiter_lets_one_event_a_second_through() {
        let limiter = RateLimiter::new();
        assert_eq!(limiter.allow(), Some(0));
        assert_eq!(limiter.allow(), None);
        assert_eq!(limiter.allow(), None);
        // Pretend a second has passed.
        limiter.next_allowed.store(0, Ordering::Relaxed);
        assert_eq!(limiter.allow(), Some(2));
        assert_eq!(limiter.allow(), None);
    }
}
