//! Engine benchmark on 1,000,000 documents of about 100 bytes:
//! insert_many, get by _id, update and delete by _id, reopen time and
//! resident memory after reopening. Run with
//! `cargo bench --bench engine --no-default-features`; the figures go into
//! the README.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use fluxdb::engine::{FluxDB, OpenOptions};
use serde_json::{Value, json};

#[path = "support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, status_bytes};

const DOCS: usize = 1_000_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--reopen-child") {
        reopen_child(Path::new(&args[i + 1]));
        return;
    }
    let docs = std::env::var("FLUXDB_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DOCS);
    // FLUXDB_BENCH_DIR keeps the database for profiling; it must not exist yet.
    let tmp = tempfile::tempdir().expect("temporary folder");
    let dir = std::env::var_os("FLUXDB_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("bench-db"));
    println!("FluxDB engine benchmark: {docs} documents\n");

    let documents: Vec<Value> = (0..docs).map(document).collect();
    let avg = documents.iter().map(|d| d.to_string().len()).sum::<usize>() / docs;
    println!("average document: {avg} bytes of JSON (without _id)");

    let mut db = OpenOptions::new().open(&dir).expect("open");
    let cpu = cpu_seconds();
    let start = Instant::now();
    let ids = db.insert_many("bench", documents).expect("insert_many");
    db.flush().expect("flush");
    let insert = start.elapsed();
    report("insert_many + flush", insert, docs, "docs/s");
    println!(
        "  ({:.0} docs/s by CPU time)",
        docs as f64 / (cpu_seconds() - cpu)
    );
    let file_bytes = db.collection_info("bench").expect("info").file_bytes;
    println!("file size: {:.1} MB", file_bytes as f64 / 1e6);

    drop(db);
    reopen_in_child(&dir, "after insert_many");
    let mut db = OpenOptions::new().open(&dir).expect("open");

    let probes: Vec<&String> = (0..100_000).map(|i| &ids[(i * 7919) % ids.len()]).collect();
    let cpu = cpu_seconds();
    let start = Instant::now();
    for id in &probes {
        black_box(db.get("bench", id).expect("get"));
    }
    per_op("get by _id", start.elapsed(), probes.len());
    println!(
        "  ({:.2} µs by CPU time)",
        (cpu_seconds() - cpu) * 1e6 / probes.len() as f64
    );

    for (label, count) in [
        ("update by _id (first 10,000)", 10_000),
        ("update by _id (next 100,000)", 100_000),
    ] {
        let offset = if count == 10_000 { 0 } else { 10_000 };
        let start = Instant::now();
        for id in &ids[offset..offset + count] {
            db.update("bench", id, &json!({"age": 1})).expect("update");
        }
        db.flush().expect("flush");
        per_op(label, start.elapsed(), count);
    }
    let start = Instant::now();
    db.write_checkpoints().expect("checkpoint");
    println!(
        "checkpoint of {} records with 110,000 changed: {} ms",
        docs,
        start.elapsed().as_millis()
    );
    let start = Instant::now();
    for id in &ids[200_000..300_000] {
        db.delete("bench", id).expect("delete");
    }
    db.flush().expect("flush");
    per_op("delete by _id (100,000)", start.elapsed(), 100_000);
    drop(db);
    reopen_in_child(&dir, "after 110,000 updates and 100,000 deletes");
}

fn reopen_in_child(dir: &Path, when: &str) {
    let out = std::process::Command::new(std::env::current_exe().expect("own path"))
        .arg("--reopen-child")
        .arg(dir)
        .output()
        .expect("reopen child runs");
    println!("{when}:");
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

/// A user-like record of about 100 bytes.
fn document(i: usize) -> Value {
    const CITIES: [&str; 8] = [
        "Lyon", "Berlin", "Osaka", "Lima", "Oslo", "Accra", "Quito", "Perth",
    ];
    json!({
        "name": format!("user-{i:07}"),
        "email": format!("user{i}@example.com"),
        "age": 18 + i % 60,
        "city": CITIES[i % CITIES.len()],
        "score": (i % 1000) as f64 / 10.0,
        "active": i.is_multiple_of(3),
    })
}

/// Opens the database in a fresh process: reopen time and resident memory
/// (so nothing the benchmark allocated before counts).
fn reopen_child(dir: &Path) {
    let before = status_bytes("VmRSS");
    let cpu = cpu_seconds();
    let start = Instant::now();
    let db = FluxDB::open(dir).expect("reopen");
    let elapsed = start.elapsed();
    let cpu = cpu_seconds() - cpu;
    let info = db.collection_info("bench").expect("info");
    let after = status_bytes("VmRSS");
    println!(
        "  reopen: {:.0} ms ({:.0} ms CPU) for {} records, file {:.1} MB",
        elapsed.as_secs_f64() * 1e3,
        cpu * 1e3,
        info.records,
        info.file_bytes as f64 / 1e6
    );
    if let (Some(before), Some(after)) = (before, after) {
        println!(
            "  resident memory after reopen: {:.1} MB ({:.1} MB before opening) = {:.2}x the file size",
            after as f64 / 1e6,
            before as f64 / 1e6,
            after as f64 / info.file_bytes as f64
        );
    }
}

fn report(label: &str, elapsed: Duration, count: usize, unit: &str) {
    println!(
        "{label}: {:.0} {unit} ({:.2} s)",
        count as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
}

fn per_op(label: &str, elapsed: Duration, count: usize) {
    println!(
        "{label}: {:.2} µs each",
        elapsed.as_secs_f64() * 1e6 / count as f64
    );
}
