//! Import and export through the engine: 1,000,000 JSON Lines documents of
//! about 120 bytes (about 120 MB), and the same through CSV. Each operation
//! runs in a fresh child process, which reports its time, its CPU time
//! (all threads) and its peak resident memory (VmHWM), so nothing another
//! step allocated counts. A second, smaller import shows that the memory an
//! import adds to the collection's own does not grow with the file.
//!
//! Run: `cargo bench --no-default-features --bench transfer` (optional
//! argument: the document count). The figures go into the README.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use fluxdb::engine::{ExportOptions, Find, FluxDB, ImportOptions};
use fluxdb::interchange::Format;

#[path = "support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, status_bytes};

const DOCS: usize = 1_000_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..]);
        return;
    }
    let docs: usize = args
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(DOCS);
    let tmp = tempfile::tempdir().expect("temporary folder");
    let dir = tmp.path();
    println!("FluxDB import/export benchmark: {docs} documents; each step in a fresh process");
    println!(
        "docs/s by wall clock; by the CPU time of all threads (what one core does); and by the CPU\n\
         time of the busiest thread (the wall clock with a core per thread). CPU time is what a\n\
         busy shared machine skews least.\n"
    );

    let big = dir.join("docs.jsonl");
    let bytes = write_documents(&big, docs);
    println!(
        "input: {:.1} MB of JSON Lines, {} bytes a document",
        bytes as f64 / 1e6,
        bytes / docs as u64
    );
    let quarter = dir.join("quarter.jsonl");
    write_documents(&quarter, docs / 4);

    let db = |name: &str| dir.join(name).to_str().expect("utf-8 path").to_owned();
    let (full, csv, small) = (db("full"), db("csv"), db("quarter"));
    println!(
        "\n{:<34} {:>10} {:>10} {:>10} {:>8} {:>14}",
        "step", "docs/s", "CPU docs/s", "1-thread/s", "seconds", "peak RSS (MB)"
    );
    let out_jsonl = dir.join("out.jsonl");
    let out_csv = dir.join("out.csv");
    step("import JSON Lines", &["import", &full, "docs", path(&big)]);
    step("  open it again (its _id table)", &["open", &full, "docs"]);
    step(
        "export JSON Lines",
        &["export", &full, "docs", path(&out_jsonl)],
    );
    step("export CSV", &["export", &full, "docs", path(&out_csv)]);
    step(
        "export JSON Lines of a query (1/3)",
        &[
            "export",
            &full,
            "docs",
            path(&out_jsonl),
            r#"{"active": true}"#,
        ],
    );
    step("import CSV", &["import", &csv, "docs", path(&out_csv)]);
    step(
        "import JSON Lines, 1/4 of the docs",
        &["import", &small, "docs", path(&quarter)],
    );
    step("  open it again (its _id table)", &["open", &small, "docs"]);
    println!(
        "\nCSV file: {:.1} MB; JSON Lines export: {:.1} MB",
        size(&out_csv) as f64 / 1e6,
        size(&out_jsonl) as f64 / 1e6
    );
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// A user-like record of about 120 bytes as JSON Lines, written as it is
/// generated (the benchmark holds no documents).
fn write_documents(path: &Path, count: usize) -> u64 {
    const CITIES: [&str; 8] = [
        "Lyon", "Berlin", "Osaka", "Lima", "Oslo", "Accra", "Quito", "Perth",
    ];
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create input"));
    let mut bytes = 0u64;
    for i in 0..count {
        let line = format!(
            "{{\"name\":\"user-{i:07}\",\"email\":\"user{i}@example.com\",\"age\":{},\"city\":\"{}\",\"score\":{:.1},\"active\":{},\"tags\":[\"t{}\",\"x\"]}}\n",
            18 + i % 60,
            CITIES[i % CITIES.len()],
            (i % 1000) as f64 / 10.0,
            i % 3 == 0,
            i % 10
        );
        out.write_all(line.as_bytes()).expect("write input");
        bytes += line.len() as u64;
    }
    out.flush().expect("flush input");
    bytes
}

fn step(label: &str, args: &[&str]) {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .arg("--child")
        .args(args)
        .output()
        .expect("child runs");
    let report = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = report
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields[..] {
        [records, wall, cpu, busiest, peak] if records > 0.0 && wall > 0.0 => println!(
            "{label:<34} {:>10.0} {:>10.0} {:>10.0} {:>8.2} {:>14.1}",
            records / wall,
            records / cpu.max(1e-9),
            records / busiest.max(1e-9),
            wall,
            peak / 1e6
        ),
        [_, _, _, _, peak] => println!(
            "{label:<34} {:>10} {:>10} {:>10} {:>8} {:>14.1}",
            "",
            "",
            "",
            "",
            peak / 1e6
        ),
        _ => println!(
            "{label}: failed: {report}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// One step: prints `records wall_seconds cpu_seconds busiest_thread_seconds
/// peak_rss_bytes`.
fn child(args: &[String]) {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    // Opening is not part of a step (the engine benchmark measures it):
    // the clock starts once the database is open.
    let (records, measured) = match arg(0) {
        "import" => {
            let mut db = FluxDB::open(arg(1)).expect("open");
            let clock = Clock::start();
            let report = db
                .import_documents(arg(2), arg(3), ImportOptions::new(), &mut |_| {})
                .expect("import");
            db.close().expect("close");
            (report.imported, clock.stop())
        }
        "export" => {
            let db = FluxDB::open_read_only(arg(1)).expect("open");
            let format = Format::from_path(Path::new(arg(3))).expect("format");
            let mut options = ExportOptions::new().format(format);
            // An optional filter: the export of a query's records.
            if !arg(4).is_empty() {
                let filter = serde_json::from_str(arg(4)).expect("filter JSON");
                options = options.query(Find::new(filter));
            }
            let clock = Clock::start();
            let written = db
                .export_documents(arg(2), arg(3), &options, &mut |_, _| {})
                .expect("export");
            (written, clock.stop())
        }
        "open" => {
            let clock = Clock::start();
            let db = FluxDB::open_read_only(arg(1)).expect("open");
            std::hint::black_box(db.collection_info(arg(2)).expect("info").records);
            (0, clock.stop())
        }
        other => panic!("unknown step {other}"),
    };
    let (wall, cpu, busiest) = measured;
    println!(
        "{records} {wall} {cpu} {busiest} {}",
        status_bytes("VmHWM").unwrap_or(0)
    );
}

/// Wall-clock, process CPU and busiest-thread CPU seconds of one step.
struct Clock {
    threads: ThreadSampler,
    cpu: f64,
    start: Instant,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            threads: ThreadSampler::start(),
            cpu: cpu_seconds(),
            start: Instant::now(),
        }
    }

    fn stop(self) -> (f64, f64, f64) {
        let wall = self.start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - self.cpu;
        (wall, cpu, self.threads.busiest_seconds())
    }
}

/// Samples every thread's CPU time while a step runs, to report the
/// busiest thread's: on an idle machine with a core per thread, that is the
/// wall-clock time (import parses on one thread and writes on another).
struct ThreadSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<HashMap<u64, (f64, f64)>>,
}

impl ThreadSampler {
    fn start() -> ThreadSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let handle = std::thread::spawn(move || {
            let own = thread_cpu(Path::new("/proc/thread-self/stat")).map(|(tid, _)| tid);
            // Per thread: (CPU seconds when first seen, latest).
            let mut seen: HashMap<u64, (f64, f64)> = HashMap::new();
            loop {
                let done = stopped.load(Ordering::Relaxed);
                let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten();
                for task in tasks.flatten() {
                    if let Some((tid, seconds)) = thread_cpu(&task.path().join("stat"))
                        && Some(tid) != own
                    {
                        seen.entry(tid).or_insert((seconds, seconds)).1 = seconds;
                    }
                }
                if done {
                    return seen;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        });
        ThreadSampler { stop, handle }
    }

    /// The CPU seconds of the busiest thread (its last sample: at most 10 ms old).
    fn busiest_seconds(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        let seen = self.handle.join().unwrap_or_default();
        seen.values()
            .map(|(first, last)| last - first)
            .fold(0.0, f64::max)
    }
}

/// `(thread id, CPU seconds)` from a `/proc/.../stat` file.
fn thread_cpu(path: &Path) -> Option<(u64, f64)> {
    let stat = std::fs::read_to_string(path).ok()?;
    let tid = stat.split_whitespace().next()?.parse().ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Some((tid, (ticks(11) + ticks(12)) / 100.0))
}
