//! Benchmark helper: `kafka_topic create <topic> <partitions>` creates a topic (replacing one of
//! the same name), `kafka_topic delete <topic>...` deletes topics, `kafka_topic count <topic>` prints how many messages it holds (the sum of its
//! partitions' high watermarks minus low watermarks). Brokers from `SPUR_TEST_KAFKA`.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let brokers = spur_e2e::KAFKA.address();
    let usage =
        "usage: kafka_topic create <topic> <partitions> | delete <topic>... | count <topic>";
    match args.get(1).map(String::as_str) {
        Some("create") => {
            let topic = args.get(2).ok_or(usage)?;
            let partitions: i32 = args.get(3).ok_or(usage)?.parse()?;
            let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .create()?;
            let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
            let _ = admin.delete_topics(&[topic], &options).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let created = admin
                .create_topics(
                    &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
                    &options,
                )
                .await?;
            for result in created {
                result.map_err(|(name, code)| format!("creating {name}: {code}"))?;
            }
        }
        Some("delete") => {
            let topics: Vec<&str> = args.iter().skip(2).map(String::as_str).collect();
            if topics.is_empty() {
                return Err(usage.into());
            }
            let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .create()?;
            let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
            for result in admin.delete_topics(&topics, &options).await? {
                result.map_err(|(name, code)| format!("deleting {name}: {code}"))?;
            }
        }
        Some("count") => {
            let topic = args.get(2).ok_or(usage)?;
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .create()?;
            let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
            let mut total = 0i64;
            for found in metadata.topics() {
                for partition in found.partitions() {
                    let (low, high) = consumer.fetch_watermarks(
                        topic,
                        partition.id(),
                        Duration::from_secs(10),
                    )?;
                    total += high - low;
                }
            }
            println!("{total}");
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
