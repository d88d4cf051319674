//! Compressed collections against uncompressed ones on 1,000,000 realistic
//! documents (repeated field names, sentences, numbers, a nested object, an
//! array): file size, insert_many + flush, a scan of every record, and get
//! by _id, each in wall time and in CPU time (the machine may be shared).
//! The collection is compacted after the load, as a bulk load is meant to
//! be: the rewrite trains the zstd dictionary its blocks then use (a file
//! written only by appends has none), so sizes and reads are measured
//! after it, and the compaction's own time is shown.
//! Run with `cargo bench --bench compression`; FLUXDB_BENCH_DOCS=N for
//! fewer documents, FLUXDB_BENCH_ZSTD=3,9 for other zstd levels. The
//! figures go into the README.
//!
//! To study the scan alone: FLUXDB_BENCH_CODECS=none,lz4 measures only
//! those codecs, FLUXDB_BENCH_SCANS=N runs the scan N times (default 3,
//! the best is shown) and prints each run, FLUXDB_BENCH_GETS=0 skips the
//! gets after it. A profile of such a run (`perf record --call-graph
//! dwarf`, the release profile has no frame pointers) is then mostly
//! scans; `perf record -D <ms>` skips the load before them.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use fluxdb::engine::{Compression, OpenOptions};
use serde_json::{Value, json};

/// CPU time of this process so far (every thread, user and system), to
/// the microsecond: a scan takes tens of milliseconds, and the 10 ms ticks
/// of /proc would round its figures by as much as the gap between codecs.
#[cfg(unix)]
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// No CPU time elsewhere: the figures read 0.
#[cfg(not(unix))]
fn cpu_seconds() -> f64 {
    0.0
}

const DOCS: usize = 1_000_000;
/// Gets measured by default (FLUXDB_BENCH_GETS).
const GETS: usize = 100_000;

const WORDS: [&str; 48] = [
    "order", "shipped", "customer", "delivery", "address", "payment", "received", "the", "a",
    "and", "with", "for", "was", "late", "on", "time", "package", "box", "damaged", "return",
    "refund", "please", "thanks", "support", "ticket", "opened", "closed", "new", "item", "price",
    "discount", "weekend", "monday", "store", "online", "phone", "email", "call", "back", "today",
    "tomorrow", "week", "quality", "great", "poor", "size", "color", "blue",
];
const CITIES: [&str; 8] = [
    "Lyon", "Berlin", "Osaka", "Lima", "Oslo", "Accra", "Quito", "Perth",
];
const STATUSES: [&str; 4] = ["pending", "active", "suspended", "closed"];

/// A document of about 330 bytes of JSON, like a customer record with a note.
fn document(i: usize) -> Value {
    let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let words = 8 + next() % 12;
    let note: Vec<&str> = (0..words)
        .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
        .collect();
    json!({
        "name": format!("customer-{i:07}"),
        "email": format!("customer{i}@example.com"),
        "age": 18 + next() % 60,
        "status": STATUSES[(next() % 4) as usize],
        "balance": (next() % 1_000_000) as f64 / 100.0,
        "address": {
            "street": format!("{} {} street", 1 + next() % 300, WORDS[(next() % 48) as usize]),
            "city": CITIES[(next() % 8) as usize],
            "zip": format!("{:05}", next() % 100_000),
        },
        "tags": [WORDS[(next() % 48) as usize], WORDS[(next() % 48) as usize]],
        "note": note.join(" "),
        "created": 1_700_000_000 + next() % 30_000_000,
    })
}

/// Wall and CPU seconds of one measured step.
struct Timing {
    wall: f64,
    cpu: f64,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Timing) {
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let value = f();
    let timing = Timing {
        wall: wall.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu,
    };
    (value, timing)
}

/// The best (least CPU) of `runs` runs; `each` prints every run under
/// that label.
fn best_of(runs: usize, each: Option<&str>, mut f: impl FnMut()) -> Timing {
    let mut best: Option<Timing> = None;
    for _ in 0..runs {
        let ((), t) = timed(&mut f);
        if let Some(label) = each {
            println!(
                "{label} {:>6.0} ms wall {:>6.0} ms CPU",
                t.wall * 1e3,
                t.cpu * 1e3
            );
        }
        if best.as_ref().is_none_or(|b| t.cpu < b.cpu) {
            best = Some(t);
        }
    }
    best.unwrap_or(Timing {
        wall: 0.0,
        cpu: 0.0,
    })
}

struct Figures {
    codec: Compression,
    file_bytes: u64,
    insert: Timing,
    compact: Timing,
    dictionary_bytes: Option<usize>,
    scan: Timing,
    get: Timing,
}

/// How the benchmark runs, from its environment variables.
struct Settings {
    docs: usize,
    codecs: Vec<Compression>,
    /// Runs of the scan (the best is reported).
    scans: usize,
    /// Print every scan run (set when `scans` was asked for).
    each_scan: bool,
    /// Gets by `_id` measured after the scans (0: none).
    gets: usize,
}

impl Settings {
    fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok();
        let docs = var("FLUXDB_BENCH_DOCS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(DOCS);
        // FLUXDB_BENCH_ZSTD=L1,L2 measures those zstd levels (default: 3).
        let zstd_levels: Vec<i32> = var("FLUXDB_BENCH_ZSTD")
            .map(|v| v.split(',').filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_else(|| vec![3]);
        let mut codecs = vec![Compression::None, Compression::Lz4];
        codecs.extend(
            zstd_levels
                .into_iter()
                .map(|level| Compression::Zstd { level }),
        );
        if let Some(only) = var("FLUXDB_BENCH_CODECS") {
            let only: Vec<Compression> = only
                .split(',')
                .map(|name| {
                    name.parse()
                        .expect("FLUXDB_BENCH_CODECS: none, lz4, zstd:L")
                })
                .collect();
            codecs = only;
        }
        let scans = var("FLUXDB_BENCH_SCANS").and_then(|v| v.parse().ok());
        Settings {
            docs,
            codecs,
            scans: scans.unwrap_or(3).max(1),
            each_scan: scans.is_some(),
            gets: var("FLUXDB_BENCH_GETS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(GETS),
        }
    }
}

fn measure(dir: &Path, codec: Compression, settings: &Settings) -> Figures {
    let docs = settings.docs;
    let mut db = OpenOptions::new().open(dir).expect("open");
    db.create_collection_with::<&str>("c", &[], codec)
        .expect("create");
    let documents: Vec<Value> = (0..docs).map(document).collect();
    let (ids, insert) = timed(|| {
        let ids = db.insert_many("c", documents).expect("insert_many");
        db.flush().expect("flush");
        ids
    });
    let (_, compact) = timed(|| db.compact("c").expect("compact"));
    let info = db.collection_info("c").expect("info");
    let (file_bytes, dictionary_bytes) = (info.file_bytes, info.dictionary_bytes);
    drop(db);

    let db = OpenOptions::new().open(dir).expect("reopen");
    // Every record is read and its `note` decoded; nothing matches.
    let label = format!("{:<7} scan", codec.to_string());
    let each = settings.each_scan.then_some(label.as_str());
    let scan = best_of(settings.scans, each, || {
        let n = db
            .count("c", &json!({"note": "no such note"}))
            .expect("scan");
        assert_eq!(black_box(n), 0);
    });
    let gets = if ids.is_empty() { 0 } else { settings.gets };
    let probes: Vec<&String> = (0..gets).map(|i| &ids[(i * 7919) % ids.len()]).collect();
    let runs = if gets == 0 { 0 } else { 2 };
    let get = best_of(runs, None, || {
        for id in &probes {
            black_box(db.get("c", id).expect("get"));
        }
    });
    Figures {
        codec,
        file_bytes,
        insert,
        compact,
        dictionary_bytes,
        scan,
        get: Timing {
            wall: get.wall / gets.max(1) as f64,
            cpu: get.cpu / gets.max(1) as f64,
        },
    }
}

fn main() {
    let settings = Settings::from_env();
    let docs = settings.docs;
    let avg = (0..1000)
        .map(|i| document(i).to_string().len())
        .sum::<usize>()
        / 1000;
    println!("FluxDB compression benchmark: {docs} documents of about {avg} bytes of JSON\n");
    let tmp = tempfile::tempdir().expect("temporary folder");
    let mut figures = Vec::new();
    for (i, &codec) in settings.codecs.iter().enumerate() {
        let f = measure(&tmp.path().join(format!("db{i}")), codec, &settings);
        println!(
            "{:<7} file {:>7.1} MB (dictionary {:>5} B) | insert_many+flush {:>6.2} s wall {:>6.2} s CPU | compact {:>6.2} s wall {:>6.2} s CPU | scan {:>6.0} ms wall {:>6.0} ms CPU | get {:>5.1} µs wall {:>5.1} µs CPU",
            f.codec.to_string(),
            f.file_bytes as f64 / 1e6,
            f.dictionary_bytes.unwrap_or(0),
            f.insert.wall,
            f.insert.cpu,
            f.compact.wall,
            f.compact.cpu,
            f.scan.wall * 1e3,
            f.scan.cpu * 1e3,
            f.get.wall * 1e6,
            f.get.cpu * 1e6,
        );
        figures.push(f);
    }
    let Some(base) = figures.iter().find(|f| f.codec.is_none()) else {
        return;
    };
    println!("\nagainst uncompressed (CPU time):");
    for f in figures.iter().filter(|f| !f.codec.is_none()) {
        println!(
            "{:<7} {:.2}x smaller | insert {:.2}x | scan {:.2}x | get {:.2}x",
            f.codec.to_string(),
            base.file_bytes as f64 / f.file_bytes as f64,
            f.insert.cpu / base.insert.cpu,
            f.scan.cpu / base.scan.cpu,
            f.get.cpu / base.get.cpu,
        );
    }
}
