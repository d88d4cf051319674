//! Live folders: how soon `fluxdb watch` prints a commit (median and worst
//! over 1,000 commits), what following one commit costs a reader of a
//! 1,000,000-record collection (the refresh, and with it the page and count
//! Studio's worker reads again), and what a shared-mode write (the lock
//! and the catch-up around each commit) costs beside an exclusive one.
//! Run with `cargo bench --no-default-features --bench live`; the figures
//! go into benches/README.md.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fluxdb::engine::{Find, FluxDB, OpenOptions};
use serde_json::json;

fn main() {
    let commits = env_number("FLUXDB_BENCH_COMMITS", 1_000);
    let records = env_number("FLUXDB_BENCH_DOCS", 1_000_000);
    println!("FluxDB live-folder benchmark\n");
    if std::env::var_os("FLUXDB_BENCH_SKIP_WATCH").is_none() {
        for interval in [None, Some(20)] {
            watch_latency(commits, interval);
        }
    }
    follow_cost(records, 300);
    shared_writes(2_000);
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Commits one insert at a time (at uneven moments, so they fall anywhere
/// in the watcher's polling cycle) and times each from the commit's return
/// to its line arriving from `fluxdb watch`.
fn watch_latency(commits: usize, interval_ms: Option<u64>) {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let dir = tmp.path().join("db");
    let mut writer = OpenOptions::new().flush_size(0).open(&dir).expect("open");
    writer.insert("c", json!({"i": -1})).expect("insert");
    let mut watch = Command::new(env!("CARGO_BIN_EXE_fluxdb"));
    watch.arg("--db").arg(&dir).args(["watch", "c"]);
    if let Some(ms) = interval_ms {
        watch.args(["--interval", &ms.to_string()]);
    }
    let mut child = watch
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fluxdb watch");
    let stdout = child.stdout.take().expect("piped");
    let (lines, arrived) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    // The watcher prints only what is committed after it started: commit
    // until one shows, so it is surely looking.
    loop {
        writer.insert("c", json!({"i": -2})).expect("insert");
        if arrived.recv_timeout(Duration::from_millis(500)).is_ok() {
            while arrived.try_recv().is_ok() {}
            break;
        }
    }
    let mut latencies = Vec::with_capacity(commits);
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..commits {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        // Anywhere in the watcher's cycle: up to one interval and a half.
        let cycle_us = interval_ms.unwrap_or(100) * 1_500;
        std::thread::sleep(Duration::from_micros(rng % cycle_us));
        writer.insert("c", json!({"i": i})).expect("insert");
        let committed = Instant::now();
        let wanted = format!("\"i\":{i}}}");
        loop {
            let (at, line) = arrived
                .recv_timeout(Duration::from_secs(5))
                .expect("fluxdb watch printed the commit");
            if line.contains(&wanted) {
                latencies.push(at.saturating_duration_since(committed));
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let interval = match interval_ms {
        Some(ms) => format!("--interval {ms}"),
        None => "default interval (100 ms)".to_owned(),
    };
    print_spread(
        &format!("watch: commit to printed line, {commits} commits, {interval}"),
        &mut latencies,
    );
}

/// A read-only follower of a large collection while its writer commits
/// one update at a time: the refresh, then the refresh with what Studio's
/// worker reads again after it (the first page of 50 and the count).
fn follow_cost(records: usize, commits: usize) {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let dir = tmp.path().join("db");
    let mut writer = OpenOptions::new().open(&dir).expect("open");
    writer
        .create_collection("people", &["age"])
        .expect("create");
    let ids = writer
        .insert_many(
            "people",
            (0..records)
                .map(|i| json!({"name": format!("person {i}"), "age": i % 90, "city": "Oslo"}))
                .collect(),
        )
        .expect("insert_many");
    writer.write_checkpoints().expect("checkpoint");
    let mut reader = FluxDB::open_read_only(&dir).expect("open read-only");
    reader.count("people", &json!({"age": 30})).expect("warm");
    let mut refresh_only = Vec::with_capacity(commits);
    let mut updates = ids.iter().step_by(records / commits.max(1)).enumerate();
    // The view Studio re-reads: its filter, matching all, a few, most.
    for (view, filter) in [
        ("no filter", json!({})),
        ("an indexed filter matching 1%", json!({"age": 30})),
        (
            "an indexed filter matching 67%",
            json!({"age": {"$gte": 30}}),
        ),
    ] {
        let (mut with_view, mut page_only, mut count_only) = (Vec::new(), Vec::new(), Vec::new());
        for (n, id) in updates.by_ref().take(commits / 3) {
            writer
                .update("people", id, &json!({"$set": {"age": 200 + n}}))
                .expect("update");
            writer.flush().expect("flush");
            let started = Instant::now();
            let mut told = 0;
            reader
                .refresh_each(&mut |_, _| {
                    told += 1;
                    Ok(())
                })
                .expect("refresh");
            refresh_only.push(started.elapsed());
            assert_eq!(told, 1, "one change per commit");
            let page_started = Instant::now();
            let page = reader
                .find("people", &Find::new(filter.clone()).limit(50))
                .expect("page");
            page_only.push(page_started.elapsed());
            let count_started = Instant::now();
            let total = reader.count("people", &filter).expect("count");
            count_only.push(count_started.elapsed());
            with_view.push(started.elapsed());
            assert!(page.len() == 50 && total > 0);
        }
        print_spread(
            &format!("refresh + page of 50 + count, {view}, {records} records"),
            &mut with_view,
        );
        print_spread("  the page alone", &mut page_only);
        print_spread("  the count alone", &mut count_only);
    }
    drop(writer);
    print_spread(
        &format!("follower refresh alone per commit, {records} records"),
        &mut refresh_only,
    );
}

/// Single-record updates committed one by one: exclusive (`flush_size(0)`)
/// and shared (lock, catch up, write, fsync, unlock), the shared one also
/// with a second shared writer taking turns.
fn shared_writes(writes: usize) {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let exclusive_dir = tmp.path().join("exclusive");
    let shared_dir = tmp.path().join("shared");
    {
        let mut db = OpenOptions::new()
            .flush_size(0)
            .open(&exclusive_dir)
            .unwrap();
        let took = timed_updates(&mut db, writes);
        report("exclusive writer, one commit per update", took, writes);
    }
    let mut a = OpenOptions::new().shared(true).open(&shared_dir).unwrap();
    let took = timed_updates(&mut a, writes);
    report("shared writer alone, one commit per update", took, writes);
    let mut b = OpenOptions::new().shared(true).open(&shared_dir).unwrap();
    let started = Instant::now();
    for i in 0..writes {
        let db = if i % 2 == 0 { &mut a } else { &mut b };
        db.update("c", "counter", &json!({"$inc": {"n": 1}}))
            .expect("update");
    }
    report(
        "two shared writers taking turns (each catches up first)",
        started.elapsed(),
        writes,
    );
    a.refresh().unwrap();
    let n = a.get("c", "counter").unwrap().unwrap()["n"]
        .as_u64()
        .unwrap();
    assert_eq!(n as usize, 2 * writes, "every increment counted");
    drop((a, b));
    remove(&shared_dir);
}

fn timed_updates(db: &mut FluxDB, writes: usize) -> Duration {
    db.insert("c", json!({"_id": "counter", "n": 0})).unwrap();
    db.flush().unwrap();
    let started = Instant::now();
    for _ in 0..writes {
        db.update("c", "counter", &json!({"$inc": {"n": 1}}))
            .expect("update");
        db.flush().expect("flush");
    }
    started.elapsed()
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

fn report(what: &str, took: Duration, writes: usize) {
    println!(
        "{what}: {:.0} µs per commit ({writes} commits)",
        took.as_secs_f64() * 1e6 / writes as f64
    );
}

fn print_spread(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what}: median {:.2} ms, p99 {:.2} ms, worst {:.2} ms",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
    );
}
