//! Copy between a folder and a MongoDB server, both ways, for 100,000
//! records (docs/s), and the first page (50 documents) of a 100,000-record
//! server collection, through the same code the CLI runs.
//!
//! Run: `FLUXDB_TEST_MONGODB_URI=mongodb://127.0.0.1:PORT cargo bench
//! --bench mongo` (optional argument: the record count). Without the
//! variable it says so and measures nothing. The database it makes
//! (`fluxdb_bench_…`) is dropped at the end.

use std::time::{Duration, Instant};

use fluxdb::backend::copy_collection;
use fluxdb::engine::{Find, FluxDB};
use fluxdb::mongo::MongoServer;
use serde_json::json;

const RECORDS: usize = 100_000;
const PAGE: usize = 50;

fn main() {
    let Ok(base) = std::env::var("FLUXDB_TEST_MONGODB_URI") else {
        println!(
            "mongo bench: skipped, no server (set FLUXDB_TEST_MONGODB_URI=mongodb://HOST:PORT; see tests/mongodb/README.md)"
        );
        return;
    };
    let records: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(RECORDS);
    let uri = format!(
        "{}/fluxdb_bench_{}",
        base.trim_end_matches('/'),
        std::process::id()
    );
    let tmp = tempfile::tempdir().expect("temporary folder");
    let (source, back) = (tmp.path().join("source"), tmp.path().join("back"));
    println!("FluxDB ↔ MongoDB server: {records} records of about 150 bytes, batches of 1,000");

    let mut folder = FluxDB::open(&source).expect("open the source folder");
    folder
        .create_collection("people", &["age"])
        .expect("create");
    for start in (0..records).step_by(10_000) {
        let docs = (start..(start + 10_000).min(records))
            .map(|i| {
                json!({
                    "_id": format!("p{i:07}"), "name": format!("person {i}"), "age": i % 90,
                    "score": i as f64 / 7.0, "tags": ["a", "b"], "address": {"city": format!("c{}", i % 50), "zip": i % 10_000},
                    "active": i % 3 == 0,
                })
            })
            .collect();
        folder.insert_many("people", docs).expect("insert");
    }
    folder.flush().expect("flush");

    let mut server = MongoServer::connect(&uri).expect("connect to the server");
    let started = Instant::now();
    let report = copy_collection(&folder, &mut server, "people", &mut |_, _| {})
        .expect("copy folder → server");
    report_rate("copy folder → server", report.records, started.elapsed());

    let mut back_folder = FluxDB::open(&back).expect("open the destination folder");
    let started = Instant::now();
    let report = copy_collection(&server, &mut back_folder, "people", &mut |_, _| {})
        .expect("copy server → folder");
    report_rate("copy server → folder", report.records, started.elapsed());

    // The first page as the CLI's `find --limit 50` gets it: a new
    // connection, the query, the 50 documents.
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let fresh = MongoServer::connect(&uri).expect("connect");
        let mut rows = 0;
        fresh
            .find_json_each("people", &Find::default().limit(PAGE), &mut |_| {
                rows += 1;
                Ok(())
            })
            .expect("first page");
        assert_eq!(rows, PAGE);
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "first page of {PAGE} (new connection + find), median of 5: {:.1} ms",
        times[2].as_secs_f64() * 1e3
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let mut rows = 0;
        server
            .find_json_each(
                "people",
                &Find::new(json!({"age": {"$gte": 45}}))
                    .sort(json!({"age": 1}))
                    .limit(PAGE),
                &mut |_| {
                    rows += 1;
                    Ok(())
                },
            )
            .expect("sorted page");
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "first page of {PAGE}, filter + sort on an indexed field, open connection, median of 5: {:.1} ms",
        times[2].as_secs_f64() * 1e3
    );
    let _ = server.drop_database();
}

fn report_rate(what: &str, records: u64, took: Duration) {
    println!(
        "{what}: {records} records in {:.2} s = {:.0} docs/s",
        took.as_secs_f64(),
        records as f64 / took.as_secs_f64()
    );
}
