//! Persistence of the embedded store: data survives closing and reopening, and every write that
//! was acknowledged survives the writing process being killed with SIGKILL mid-stream.
#![allow(clippy::unwrap_used)] // tests fail loudly on unexpected input

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spur_model::TraceId;
use spur_model::api_v2::{KeyValue, Process, Span};
use spur_model::time::{duration_from_micros, timestamp_from_micros};
use spur_storage::{GetTraceQuery, SpanReader, SpanWriter, TraceQuery};
use spur_storage_embedded::{EmbeddedOptions, EmbeddedStore};

const SPANS_PER_BATCH: u64 = 100;
const CHILD_DIRECTORY: &str = "SPUR_CRASH_TEST_DIRECTORY";
/// When set, the child stops writing after acknowledging this batch and waits to be killed.
const CHILD_STOP_AFTER: &str = "SPUR_CRASH_TEST_STOP_AFTER";

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("spur-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    directory
}

fn open(directory: &Path) -> EmbeddedStore {
    let retention = Duration::from_secs(72 * 3600);
    EmbeddedStore::open(EmbeddedOptions {
        directory: directory.to_path_buf(),
        retention,
    })
    .unwrap()
}

/// Batch `batch` is one trace (trace id = batch + 1) of SPANS_PER_BATCH spans with ~20 tags.
fn batch_of_spans(batch: u64, start: i64) -> Vec<Span> {
    let process = Process {
        service_name: "crash-test".into(),
        tags: vec![
            KeyValue::string("hostname", "writer"),
            KeyValue::int64("pid", 42),
        ],
    };
    (0..SPANS_PER_BATCH)
        .map(|index| Span {
            trace_id: TraceId::new(0, batch + 1).to_bytes().to_vec(),
            span_id: (index + 1).to_be_bytes().to_vec(),
            operation_name: format!("operation-{}", index % 5),
            start_time: Some(timestamp_from_micros(start + index as i64)),
            duration: Some(duration_from_micros(100 + index as i64)),
            tags: (0..18)
                .map(|t| KeyValue::string(format!("tag.{t}"), format!("value-{t}")))
                .collect(),
            process: Some(process.clone()),
            ..Default::default()
        })
        .collect()
}

#[tokio::test]
async fn data_survives_closing_and_reopening() {
    let directory = scratch("reopen");
    let spans = batch_of_spans(0, now_micros() - 1_000_000);
    {
        let store = open(&directory);
        store.write_spans(spans.clone()).await.unwrap();
    }
    let store = open(&directory);
    let trace = store
        .get_trace(GetTraceQuery::new(TraceId::new(0, 1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(trace.len(), spans.len());
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
}

/// The writer side of the crash tests, run in a child process (ignored when the test binary runs
/// normally): writes batches, printing `ack N` after each write returns Ok; with
/// `SPUR_CRASH_TEST_STOP_AFTER` it goes idle after that batch (printing `idle`).
#[tokio::test]
#[ignore = "child process of the kill -9 tests"]
async fn crash_writer_child() {
    let Ok(directory) = std::env::var(CHILD_DIRECTORY) else {
        return;
    };
    let store = open(Path::new(&directory));
    let start = now_micros() - 10_000_000;
    let stop_after: Option<u64> = std::env::var(CHILD_STOP_AFTER)
        .ok()
        .and_then(|n| n.parse().ok());
    for batch in 0.. {
        store
            .write_spans(batch_of_spans(batch, start))
            .await
            .unwrap();
        println!("ack {batch}");
        if stop_after == Some(batch) {
            println!("idle");
            std::thread::sleep(Duration::from_secs(600));
        }
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_mid_stream() {
    check_kill_9("crash-mid-stream", None).await;
}

/// The last acknowledged write is the newest one when the process dies: nothing may sit in a
/// buffer of the process after `Ok`.
#[tokio::test]
async fn the_last_acknowledged_write_survives_kill_9() {
    check_kill_9("crash-after-ack", Some(25)).await;
}

async fn check_kill_9(name: &str, stop_after: Option<u64>) {
    let directory = scratch(name);
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "crash_writer_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIRECTORY, &directory)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(batch) = stop_after {
        command.env(CHILD_STOP_AFTER, batch.to_string());
    }
    let mut child = command.spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acknowledged = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(batch) = line.strip_prefix("ack ") {
            let batch: u64 = batch.trim().parse().unwrap();
            acknowledged = Some(batch);
            if stop_after.is_none() && batch >= 40 {
                break;
            }
        } else if line == "idle" {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no final sync
    child.wait().unwrap();
    let acknowledged = acknowledged.expect("the child acknowledged writes");

    let store = open(&directory);
    for batch in 0..=acknowledged {
        let trace = store
            .get_trace(GetTraceQuery::new(TraceId::new(0, batch + 1)))
            .await
            .unwrap();
        let spans = trace.unwrap_or_else(|| panic!("acknowledged batch {batch} lost"));
        assert_eq!(spans.len() as u64, SPANS_PER_BATCH, "batch {batch} torn");
    }
    // The reopened store still answers queries and accepts writes.
    let query = TraceQuery {
        service_name: "crash-test".into(),
        operation_name: Some("operation-3".into()),
        start_time_min: 0,
        start_time_max: i64::MAX,
        num_traces: 5,
        ..TraceQuery::default()
    };
    assert_eq!(store.find_traces(&query).await.unwrap().len(), 5);
    store
        .write_spans(batch_of_spans(10_000, now_micros()))
        .await
        .unwrap();
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
}

#[tokio::test]
async fn sweeping_deletes_expired_spans_from_disk() {
    let directory = scratch("sweep");
    let hour = Duration::from_secs(3600);
    let old = batch_of_spans(0, now_micros() - 2 * 3_600_000_000);
    let fresh = batch_of_spans(1, now_micros() - 60_000_000);
    {
        let options = EmbeddedOptions {
            directory: directory.clone(),
            retention: hour,
        };
        let store = EmbeddedStore::open(options).unwrap();
        store.write_spans(old).await.unwrap();
        store.write_spans(fresh.clone()).await.unwrap();
        assert!(
            store.sweep_expired().unwrap() > 0,
            "the old spans' buckets are swept"
        );
    }
    // Reopened with a long retention, the swept spans are gone, not merely hidden.
    let store = open(&directory);
    assert_eq!(
        store
            .get_trace(GetTraceQuery::new(TraceId::new(0, 1)))
            .await
            .unwrap(),
        None
    );
    let kept = store
        .get_trace(GetTraceQuery::new(TraceId::new(0, 2)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.len(), fresh.len());
    let query = TraceQuery {
        service_name: "crash-test".into(),
        start_time_min: 0,
        start_time_max: i64::MAX,
        ..TraceQuery::default()
    };
    assert_eq!(
        store.find_trace_ids(&query).await.unwrap(),
        vec![TraceId::new(0, 2)]
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&directory);
}
