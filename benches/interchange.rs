//! Throughput of interchange import and export: 1,000,000 documents of about
//! 120 bytes each (as JSON), through a file, for every format.
//!
//! Run: `cargo bench --no-default-features --bench interchange`
//! (optional argument: the document count). Prints documents per second for
//! writing and reading each format, and the reader's largest buffer.

use std::path::Path;
use std::time::{Duration, Instant};

use fluxdb::Document;
use fluxdb::interchange::{DocumentReader, DocumentWriter, Format, ReadOptions, csv_header};
use serde_json::json;

/// Distinct documents generated up front; the writer cycles through them.
const BATCH: usize = 10_000;
/// Each measurement runs this many times; the fastest is reported.
const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = match std::env::args().skip(1).find(|arg| !arg.starts_with('-')) {
        Some(arg) => arg.parse()?,
        None => 1_000_000,
    };
    let docs: Vec<Document> = (0..BATCH as u64).map(document).collect();
    let dir = std::env::temp_dir().join(format!("fluxdb-interchange-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "{count} documents, through files in {}; best of {RUNS} runs",
        dir.display()
    );
    println!(
        "doc/s by wall-clock time, and by this thread's CPU time (what a busy shared machine does not skew)"
    );
    println!(
        "{:<6} {:>11} {:>11} {:>11} {:>11} {:>9} {:>9} {:>13}",
        "format",
        "write wall",
        "write cpu",
        "read wall",
        "read cpu",
        "file MB",
        "bytes/doc",
        "reader buffer"
    );
    // JSON Lines' CPU times (read, write), for the CSV ratio.
    let mut jsonl = (Duration::ZERO, Duration::ZERO);
    for format in [Format::JsonLines, Format::Json, Format::Csv] {
        let path = dir.join(format!("bench.{}", format.name()));
        let write = best_of(|| write_file(&path, format, &docs, count).map(|()| 0))?;
        let read = best_of(|| read_file(&path, format, count))?;
        let size = std::fs::metadata(&path)?.len();
        let rate = |time: Duration| count as f64 / time.as_secs_f64();
        println!(
            "{:<6} {:>11.0} {:>11.0} {:>11.0} {:>11.0} {:>9.1} {:>9.1} {:>9} KiB",
            format.name(),
            rate(write.wall),
            rate(write.cpu),
            rate(read.wall),
            rate(read.cpu),
            size as f64 / 1e6,
            size as f64 / count as f64,
            read.largest_buffer / 1024,
        );
        if format == Format::JsonLines {
            jsonl = (read.cpu, write.cpu);
        } else if format == Format::Csv {
            println!(
                "csv / jsonl CPU time: read {:.2}x, write {:.2}x",
                read.cpu.as_secs_f64() / jsonl.0.as_secs_f64(),
                write.cpu.as_secs_f64() / jsonl.1.as_secs_f64()
            );
        }
        std::fs::remove_file(&path)?;
    }
    std::fs::remove_dir(&dir)?;
    Ok(())
}

/// A small document like a user record: about 120 bytes as compact JSON.
fn document(n: u64) -> Document {
    let mut hash = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    hash ^= hash >> 29;
    let cities = ["Berlin", "Zürich", "Lyon", "Osaka", "Lima"];
    let value = json!({
        "_id": format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", hash >> 32, hash & 0xffff, n % 4096, (hash >> 20) % 4096, n),
        "name": format!("user {n}"),
        "age": 18 + hash % 60,
        "score": (hash % 10_000) as f64 / 100.0,
        "active": hash.is_multiple_of(3),
        "city": cities[(hash % 5) as usize],
    });
    match value {
        serde_json::Value::Object(map) => map,
        _ => Document::new(),
    }
}

fn write_file(path: &Path, format: Format, docs: &[Document], count: usize) -> fluxdb::Result<()> {
    let fields = (format == Format::Csv).then(|| csv_header(docs));
    let mut writer = DocumentWriter::create(path, format, fields)?;
    for doc in docs.iter().cycle().take(count) {
        writer.write(doc)?;
    }
    writer.finish()?;
    Ok(())
}

fn read_file(path: &Path, format: Format, count: usize) -> fluxdb::Result<usize> {
    let mut reader = DocumentReader::open(path, format, ReadOptions::default())?;
    let mut read = 0;
    let mut largest_buffer = 0;
    while let Some(next) = reader.next_document() {
        let (_, doc) = next?;
        std::hint::black_box(doc);
        read += 1;
        if read % 1024 == 0 {
            largest_buffer = largest_buffer.max(reader.buffer_capacity());
        }
    }
    assert_eq!(read, count, "documents read back");
    Ok(largest_buffer.max(reader.buffer_capacity()))
}

/// The best of `RUNS` runs, by CPU time (wall time of that run kept too).
#[derive(Clone, Copy, Default)]
struct Timing {
    wall: Duration,
    cpu: Duration,
    largest_buffer: usize,
}

fn best_of(mut run: impl FnMut() -> fluxdb::Result<usize>) -> fluxdb::Result<Timing> {
    let mut best: Option<Timing> = None;
    for _ in 0..RUNS {
        let (wall_start, cpu_start) = (Instant::now(), thread_cpu_time());
        let largest_buffer = run()?;
        let wall = wall_start.elapsed();
        let cpu = match (cpu_start, thread_cpu_time()) {
            (Some(start), Some(end)) => end.saturating_sub(start),
            _ => wall,
        };
        if best.is_none_or(|b| cpu < b.cpu) {
            best = Some(Timing {
                wall,
                cpu,
                largest_buffer,
            });
        }
    }
    Ok(best.unwrap_or_default())
}

/// Time this thread has run on a CPU (Linux schedstat), if the kernel says.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    (nanos > 0).then(|| Duration::from_nanos(nanos))
}
