//! `FluxDB::schema` over a whole collection: 1,000,000 records of mixed
//! shape (numbers, text, an array, a nested object, a field of two types),
//! time and peak memory. Run with
//! `cargo bench --no-default-features --bench schema`; the figures go into
//! benches/README.md.

use std::time::Instant;

use fluxdb::engine::OpenOptions;
use serde_json::json;

#[path = "support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, status_bytes};

fn main() {
    let records: u64 = std::env::var("FLUXDB_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().expect("temporary folder");
    let mut db = OpenOptions::new().open(tmp.path()).expect("open");
    let mut batch = Vec::with_capacity(100_000);
    for i in 0..records {
        let tags = &["a", "b", "c"][..(i % 4) as usize];
        let city = ["Oslo", "Lyon", "Pune", "Lima"][(i % 4) as usize];
        batch.push(json!({
            "name": format!("person {i}"),
            "age": if i.is_multiple_of(10) { json!(format!("{}", i % 90)) } else { json!(i % 90) },
            "score": i as f64 / 7.0,
            "tags": tags,
            "address": {"city": city, "zip": i % 10_000},
        }));
        if batch.len() == 100_000 {
            db.insert_many("people", std::mem::take(&mut batch))
                .expect("insert");
        }
    }
    if !batch.is_empty() {
        db.insert_many("people", batch).expect("insert");
    }
    db.flush().expect("flush");
    drop(db);
    let db = OpenOptions::new()
        .read_only(true)
        .open(tmp.path())
        .expect("reopen");
    let before = status_bytes("VmHWM").unwrap_or(0);
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let schema = db
        .schema("people", &json!({}), None, &mut |_, _| {})
        .expect("schema");
    let (took, cpu) = (started.elapsed(), cpu_seconds() - cpu);
    let peak = status_bytes("VmHWM").unwrap_or(0);
    println!(
        "schema of {records} records: {:.2} s ({cpu:.2} s CPU), {} paths; peak memory {:.0} MB (before: {:.0} MB)",
        took.as_secs_f64(),
        schema.fields.len(),
        peak as f64 / 1e6,
        before as f64 / 1e6
    );
    let zip = schema
        .fields
        .iter()
        .find(|f| f.path == "address.zip")
        .expect("zip");
    println!("  address.zip: {:?} distinct", zip.distinct);
    let filtered = Instant::now();
    let some = db
        .schema(
            "people",
            &json!({"address.city": "Oslo"}),
            None,
            &mut |_, _| {},
        )
        .expect("schema");
    println!(
        "schema of the {} records a filter matches: {:.2} s",
        some.records,
        filtered.elapsed().as_secs_f64()
    );
}
