//! `spur-ingester replay`: re-drain a topic, some partitions, an offset range or a time window
//! (offsets looked up by timestamp) into any storage backend, with a stand-alone reader that
//! assigns partitions itself and commits nothing, so the live group's offsets never move.
//! Writes go through the same at-least-once path as the ingester's; storage reads a re-written
//! span once, so replaying a window twice reads the same as once. Options: a rate limit, a dry
//! run that only counts, progress (spans/s, ETA) on a terminal, a summary line on stdout.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use spur_config::{Problems, Setting, Settings};
use spur_kafka::ConsumerConfig;
use spur_model::span_view::CheckedProcesses;
use spur_storage::Bytes;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::write::{Destination, Payload, normalized, write_batch};

pub const SETTINGS: &[Setting] = &[
    Setting::new(
        "replay.from",
        "",
        "start of the time window: RFC 3339 (2026-11-23T10:00:00Z) or Unix milliseconds; empty: from the start offset",
    ),
    Setting::new(
        "replay.to",
        "",
        "end of the time window (exclusive), same forms; empty: to the end offset",
    ),
    Setting::new(
        "replay.partitions",
        "",
        "comma-separated partitions; empty: all",
    ),
    Setting::new(
        "replay.start-offset",
        "",
        "first offset of each partition (without replay.from); empty: the earliest",
    ),
    Setting::new(
        "replay.end-offset",
        "",
        "offset to stop before, in each partition (without replay.to); empty: the end when the replay starts",
    ),
    Setting::new(
        "replay.rate",
        "0",
        "most spans per second written; 0: no limit",
    ),
    Setting::new(
        "replay.dry-run",
        "false",
        "read and count what would be written, write nothing",
    ),
    Setting::new("replay.batch-max-spans", "1000", "spans per storage write"),
    Setting::new(
        "replay.idle-timeout",
        "30s",
        "give up when no message arrives for this long before the end is reached",
    ),
];

/// A replay's options.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayConfig {
    pub consumer: ConsumerConfig,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub partitions: Option<Vec<i32>>,
    pub start_offset: Option<i64>,
    pub end_offset: Option<i64>,
    pub rate: u64,
    pub dry_run: bool,
    pub batch_max_spans: usize,
    pub idle_timeout: Duration,
}

impl ReplayConfig {
    pub fn read(settings: &Settings, problems: &mut Problems) -> ReplayConfig {
        let optional = |key: &str, problems: &mut Problems| -> Option<i64> {
            let text = settings.get(key).trim();
            if text.is_empty() {
                return None;
            }
            text.parse()
                .map_err(|_| problems.add(key, format!("{text:?} is not an offset")))
                .ok()
        };
        let time = |key: &str, problems: &mut Problems| -> Option<i64> {
            let text = settings.get(key).trim();
            if text.is_empty() {
                return None;
            }
            parse_time(text)
                .map_err(|message| problems.add(key, message))
                .ok()
        };
        let partitions = settings.get("replay.partitions").trim();
        ReplayConfig {
            consumer: crate::config::read_consumer(settings, problems),
            from_ms: time("replay.from", problems),
            to_ms: time("replay.to", problems),
            partitions: (!partitions.is_empty()).then(|| {
                partitions
                    .split(',')
                    .filter_map(|p| {
                        p.trim()
                            .parse()
                            .map_err(|_| {
                                problems
                                    .add("replay.partitions", format!("{p:?} is not a partition"))
                            })
                            .ok()
                    })
                    .collect()
            }),
            start_offset: optional("replay.start-offset", problems),
            end_offset: optional("replay.end-offset", problems),
            rate: settings.parse("replay.rate", problems).unwrap_or(0),
            dry_run: settings.parse("replay.dry-run", problems).unwrap_or(false),
            batch_max_spans: settings
                .parse::<usize>("replay.batch-max-spans", problems)
                .unwrap_or(1_000)
                .max(1),
            idle_timeout: settings
                .parse_with(
                    "replay.idle-timeout",
                    problems,
                    spur_config::duration::parse,
                )
                .unwrap_or(Duration::from_secs(30)),
        }
    }
}

/// RFC 3339 UTC (`2026-11-23T10:00:00Z`, optional fraction) or Unix milliseconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(millis);
    }
    let invalid =
        || format!("{text:?} is neither RFC 3339 UTC (2026-11-23T10:00:00Z) nor Unix milliseconds");
    let body = text.strip_suffix('Z').ok_or_else(invalid)?;
    let (date, clock) = body.split_once('T').ok_or_else(invalid)?;
    let mut date_parts = date.split('-').map(str::parse::<i64>);
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) =
        (date_parts.next(), date_parts.next(), date_parts.next())
    else {
        return Err(invalid());
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let mut clock_parts = clock.split(':').map(str::parse::<i64>);
    let (Some(Ok(hour)), Some(Ok(minute)), Some(Ok(second))) =
        (clock_parts.next(), clock_parts.next(), clock_parts.next())
    else {
        return Err(invalid());
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(invalid());
    }
    let millis_fraction: i64 = format!("{fraction:0<3}")[..3]
        .parse()
        .map_err(|_| invalid())?;
    // Days since the epoch (Howard Hinnant's civil-from-days inverse).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1_000 + millis_fraction)
}

/// What a replay did.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ReplaySummary {
    pub messages: u64,
    pub spans_written: u64,
    pub poison: u64,
    pub seconds: f64,
}

/// Replays into `destination` (or only counts, in a dry run).
pub async fn replay(
    config: &ReplayConfig,
    destination: &Destination,
) -> anyhow::Result<ReplaySummary> {
    let consumer: BaseConsumer = config.consumer.standalone_client_config()?.create()?;
    let topic = config.consumer.topic.clone();
    let ranges = {
        let consumer = &consumer;
        let config = config.clone();
        tokio::task::block_in_place(move || ranges(consumer, &config))?
    };
    let total: i64 = ranges
        .values()
        .map(|(start, end)| (end - start).max(0))
        .sum();
    let started = Instant::now();
    let mut summary = ReplaySummary::default();
    let remaining: BTreeMap<i32, (i64, i64)> =
        ranges.into_iter().filter(|(_, (s, e))| s < e).collect();
    if remaining.is_empty() {
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }
    let mut assignment = TopicPartitionList::new();
    for (partition, (start, _)) in &remaining {
        assignment.add_partition_offset(&topic, *partition, Offset::Offset(*start))?;
    }
    consumer.assign(&assignment)?;
    let mut open: BTreeMap<i32, i64> = remaining.iter().map(|(p, (_, end))| (*p, *end)).collect();
    let mut batch: Vec<Payload> = Vec::new();
    let never = CancellationToken::new();
    let progress = std::io::stderr().is_terminal();
    let mut last_progress = Instant::now();
    let mut last_message = Instant::now();
    while !open.is_empty() {
        let polled = tokio::task::block_in_place(|| {
            consumer.poll(Duration::from_millis(200)).map(|result| {
                result.map(|message| {
                    (
                        message.partition(),
                        message.offset(),
                        message
                            .payload()
                            .map(Bytes::copy_from_slice)
                            .unwrap_or_default(),
                    )
                })
            })
        });
        match polled {
            None => {
                if last_message.elapsed() > config.idle_timeout {
                    anyhow::bail!(
                        "no message for {:?} with partitions {:?} not at their end offsets",
                        config.idle_timeout,
                        open
                    );
                }
            }
            Some(Err(error)) => tracing::warn!(%error, "kafka consumer error"),
            Some(Ok((partition, offset, bytes))) => {
                last_message = Instant::now();
                let Some(end) = open.get(&partition).copied() else {
                    continue;
                };
                if offset < end {
                    summary.messages += 1;
                    batch.push(Payload {
                        partition,
                        offset,
                        bytes,
                    });
                }
                if offset + 1 >= end {
                    open.remove(&partition);
                }
            }
        }
        if batch.len() >= config.batch_max_spans || (open.is_empty() && !batch.is_empty()) {
            let outcome = if config.dry_run {
                count_only(destination, &batch)
            } else {
                let outcome = write_batch(destination, &batch, &never).await;
                (outcome.written, outcome.poison)
            };
            summary.spans_written += outcome.0 as u64;
            summary.poison += outcome.1 as u64;
            batch.clear();
            if config.rate > 0 {
                let due =
                    Duration::from_secs_f64(summary.spans_written as f64 / config.rate as f64);
                tokio::time::sleep_until(started + due).await;
            }
        }
        if progress && last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            let seconds = started.elapsed().as_secs_f64();
            let rate = summary.messages as f64 / seconds.max(0.001);
            let eta = (total as f64 - summary.messages as f64).max(0.0) / rate.max(1.0);
            eprint!(
                "\r{}/{} messages, {:.0} spans/s, ETA {:.0} s   ",
                summary.messages, total, rate, eta
            );
        }
    }
    if progress {
        eprintln!();
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// A dry run's batch: what would be written (decodable spans) and what is poison.
fn count_only(destination: &Destination, batch: &[Payload]) -> (usize, usize) {
    let mut checked = CheckedProcesses::default();
    let good = batch
        .iter()
        .filter(|payload| normalized(payload, destination.encoding, &mut checked).is_ok())
        .count();
    (good, batch.len() - good)
}

/// Each partition's `[start, end)` offsets to replay.
fn ranges(
    consumer: &BaseConsumer,
    config: &ReplayConfig,
) -> anyhow::Result<BTreeMap<i32, (i64, i64)>> {
    let timeout = Duration::from_secs(30);
    let topic = &config.consumer.topic;
    let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
    let all: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic)
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if all.is_empty() {
        anyhow::bail!("topic {topic} has no partitions (does it exist?)");
    }
    let wanted: Vec<i32> = match &config.partitions {
        Some(list) => {
            if let Some(missing) = list.iter().find(|p| !all.contains(p)) {
                anyhow::bail!("topic {topic} has no partition {missing}");
            }
            list.clone()
        }
        None => all,
    };
    let by_time = |millis: i64| -> anyhow::Result<BTreeMap<i32, Option<i64>>> {
        let mut list = TopicPartitionList::new();
        for partition in &wanted {
            list.add_partition_offset(topic, *partition, Offset::Offset(millis))?;
        }
        let found = consumer.offsets_for_times(list, timeout)?;
        Ok(found
            .elements()
            .iter()
            .map(|e| {
                (
                    e.partition(),
                    match e.offset() {
                        Offset::Offset(o) => Some(o),
                        _ => None,
                    },
                )
            })
            .collect())
    };
    let from = config.from_ms.map(by_time).transpose()?;
    let to = config.to_ms.map(by_time).transpose()?;
    let mut ranges = BTreeMap::new();
    for partition in &wanted {
        let (low, high) = consumer.fetch_watermarks(topic, *partition, timeout)?;
        // A time with no message at or after it means the end of the partition.
        let start = match &from {
            Some(found) => found.get(partition).copied().flatten().unwrap_or(high),
            None => config.start_offset.unwrap_or(low).max(low),
        };
        let end = match &to {
            Some(found) => found.get(partition).copied().flatten().unwrap_or(high),
            None => config.end_offset.unwrap_or(high).min(high),
        };
        ranges.insert(*partition, (start, end));
    }
    Ok(ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_utc_or_unix_milliseconds() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2026-11-23T10:00:00Z"), Ok(1_795_428_000_000));
        assert_eq!(parse_time("2026-11-23T10:00:00.25Z"), Ok(1_795_428_000_250));
        assert_eq!(parse_time("1795428000000"), Ok(1_795_428_000_000));
        assert!(parse_time("2026-11-23 10:00").is_err());
        assert!(parse_time("2026-13-01T00:00:00Z").is_err());
    }
}
