//! Smoke test against a real Kafka broker (`SPUR_TEST_KAFKA`, default 127.0.0.1:9092) with
//! rdkafka: topic creation through the admin API, produce, consume in a consumer group with
//! committed offsets, and a second group member that resumes exactly from the committed offsets.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message, Offset, TopicPartitionList};
use spur_e2e::{KAFKA, unique_name};

const PARTITIONS: i32 = 2;
const FIRST_BATCH: usize = 40;
const SECOND_BATCH: usize = 10;
const TIMEOUT: Duration = Duration::from_secs(60);

fn client_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("client.id", "spur-smoke-kafka");
    config
}

fn group_consumer<C>(bootstrap: &str, group: &str) -> C
where
    C: rdkafka::config::FromClientConfig,
{
    client_config(bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .create()
        .expect("create consumer")
}

async fn create_topic(bootstrap: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = client_config(bootstrap)
        .create()
        .expect("create admin client");
    let new_topic = NewTopic::new(topic, PARTITIONS, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics([&new_topic], &options)
        .await
        .expect("create_topics request");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].as_deref(), Ok(topic), "topic creation result");
}

/// Produces `payload-<i>` for each i and returns, per partition, the offsets the broker assigned.
async fn produce(
    producer: &FutureProducer,
    topic: &str,
    range: std::ops::Range<usize>,
) -> BTreeMap<i32, Vec<i64>> {
    let mut offsets: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for i in range {
        let key = format!("key-{i}");
        let payload = format!("payload-{i}");
        let delivery = producer
            .send(FutureRecord::to(topic).key(&key).payload(&payload), TIMEOUT)
            .await
            .unwrap_or_else(|(e, _)| panic!("delivery of {payload} failed: {e}"));
        offsets
            .entry(delivery.partition)
            .or_default()
            .push(delivery.offset);
    }
    offsets
}

/// Reads `count` messages, storing each one's offset for the next commit; returns the payloads.
async fn consume(consumer: &StreamConsumer, count: usize) -> Vec<String> {
    let mut payloads = Vec::with_capacity(count);
    tokio::time::timeout(TIMEOUT, async {
        while payloads.len() < count {
            let message = consumer.recv().await.expect("consumer error");
            let payload = message
                .payload_view::<str>()
                .expect("payload present")
                .expect("payload is UTF-8");
            payloads.push(payload.to_owned());
            consumer
                .store_offset_from_message(&message)
                .expect("store offset");
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "only {} of {count} messages arrived within {TIMEOUT:?}",
            payloads.len()
        )
    });
    payloads
}

fn expected_payloads(range: std::ops::Range<usize>) -> BTreeSet<String> {
    range.map(|i| format!("payload-{i}")).collect()
}

/// The committed offset of each partition of `topic`, as the group coordinator reports it.
fn committed_by_partition(list: &TopicPartitionList, topic: &str) -> BTreeMap<i32, Offset> {
    list.elements_for_topic(topic)
        .iter()
        .map(|e| (e.partition(), e.offset()))
        .collect()
}

/// The offset a consumer should commit after reading everything: last offset + 1.
fn next_offsets(produced: &BTreeMap<i32, Vec<i64>>) -> BTreeMap<i32, Offset> {
    (0..PARTITIONS)
        .map(|p| {
            let next = produced
                .get(&p)
                .and_then(|offsets| offsets.iter().max())
                .map_or(Offset::Invalid, |last| Offset::Offset(last + 1));
            (p, next)
        })
        .collect()
}

#[tokio::test]
async fn produce_consume_and_commit_in_a_group() {
    let bootstrap = KAFKA.require();
    let topic = unique_name("spur_smoke");
    let group = unique_name("spur_smoke_group");
    create_topic(&bootstrap, &topic).await;

    let producer: FutureProducer = client_config(&bootstrap)
        .set("message.timeout.ms", "30000")
        .create()
        .expect("create producer");
    let mut produced = produce(&producer, &topic, 0..FIRST_BATCH).await;
    for (partition, offsets) in &produced {
        let expected: Vec<i64> = (0..offsets.len() as i64).collect();
        assert_eq!(
            offsets, &expected,
            "partition {partition} offsets are dense from 0"
        );
    }

    // First member of the group reads the first batch and commits what it stored.
    {
        let consumer: StreamConsumer = group_consumer(&bootstrap, &group);
        consumer.subscribe(&[&topic]).expect("subscribe");
        let got = consume(&consumer, FIRST_BATCH).await;
        assert_eq!(got.len(), FIRST_BATCH, "no duplicates in the first batch");
        assert_eq!(
            got.into_iter().collect::<BTreeSet<_>>(),
            expected_payloads(0..FIRST_BATCH)
        );
        consumer
            .commit_consumer_state(CommitMode::Sync)
            .expect("commit");
        let committed = consumer.committed(TIMEOUT).expect("committed offsets");
        assert_eq!(
            committed_by_partition(&committed, &topic),
            next_offsets(&produced),
            "committed offsets seen by the committing member"
        );
    }

    // A client that never joined the group reads the same committed offsets from the coordinator.
    {
        let observer: BaseConsumer = group_consumer(&bootstrap, &group);
        let mut partitions = TopicPartitionList::new();
        for p in 0..PARTITIONS {
            partitions.add_partition(&topic, p);
        }
        let committed = observer
            .committed_offsets(partitions, TIMEOUT)
            .expect("committed offsets");
        assert_eq!(
            committed_by_partition(&committed, &topic),
            next_offsets(&produced),
            "committed offsets seen by another client"
        );
    }

    // A second member resumes from the committed offsets: it sees only the new messages.
    for (partition, offsets) in
        produce(&producer, &topic, FIRST_BATCH..FIRST_BATCH + SECOND_BATCH).await
    {
        produced.entry(partition).or_default().extend(offsets);
    }
    let consumer: StreamConsumer = group_consumer(&bootstrap, &group);
    consumer.subscribe(&[&topic]).expect("subscribe");
    let got = consume(&consumer, SECOND_BATCH).await;
    assert_eq!(
        got.into_iter().collect::<BTreeSet<_>>(),
        expected_payloads(FIRST_BATCH..FIRST_BATCH + SECOND_BATCH),
        "the second member resumes after the committed offsets"
    );
    // Nothing else may arrive: a redelivery of the first batch would show here.
    if let Ok(extra) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await {
        let extra = extra.expect("consumer error");
        panic!(
            "unexpected extra message at {}/{}: {:?}",
            extra.partition(),
            extra.offset(),
            extra.payload_view::<str>()
        );
    }
    consumer
        .commit_consumer_state(CommitMode::Sync)
        .expect("commit");
    let committed = consumer.committed(TIMEOUT).expect("committed offsets");
    assert_eq!(
        committed_by_partition(&committed, &topic),
        next_offsets(&produced),
        "committed offsets after the second batch"
    );
}

#[tokio::test]
async fn jaeger_spans_topic_is_available() {
    let bootstrap = KAFKA.require();
    let consumer: BaseConsumer = client_config(&bootstrap).create().expect("create client");
    // The local broker's script creates the topic; brokers with auto-create on make it here.
    let metadata = consumer
        .fetch_metadata(Some("jaeger-spans"), TIMEOUT)
        .expect("metadata for jaeger-spans");
    let topic = metadata
        .topics()
        .iter()
        .find(|t| t.name() == "jaeger-spans")
        .expect("jaeger-spans in the metadata");
    assert_eq!(topic.error(), None, "jaeger-spans has no error");
    assert!(
        !topic.partitions().is_empty(),
        "jaeger-spans has partitions"
    );
    assert!(
        metadata.brokers().iter().any(|b| b.port() > 0),
        "at least one broker"
    );
}
