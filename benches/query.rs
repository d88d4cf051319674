//! Query benchmark on 1,000,000 documents, FluxDB beside SQLite (bundled,
//! documents as JSON text with expression indexes) in the same run:
//! indexed equality, indexed range, full-scan filter, sorts with a limit on
//! an indexed and an unindexed field, and a `$group` over everything.
//! Run with `cargo bench --no-default-features --bench query`.

use std::hint::black_box;
use std::time::Instant;

use fluxdb::engine::{Find, FluxDB, OpenOptions};
use rusqlite::Connection;
use serde_json::{Value, json};

const DOCS: usize = 1_000_000;

fn document(i: usize) -> Value {
    const CITIES: [&str; 8] = [
        "Lyon", "Berlin", "Osaka", "Lima", "Oslo", "Accra", "Quito", "Perth",
    ];
    let mix = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    json!({
        "name": format!("user-{i:07}"),
        "group": mix % 10_000,
        "age": 18 + mix % 60,
        "city": CITIES[(mix % 8) as usize],
        "score": (mix % 1000) as f64 / 10.0,
        "active": mix.is_multiple_of(3),
    })
}

struct Case {
    name: &'static str,
    target_ms: f64,
    flux: Box<dyn Fn(&FluxDB) -> usize>,
    sqlite: &'static str,
}

fn main() {
    let docs = std::env::var("FLUXDB_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DOCS);
    let tmp = tempfile::tempdir().expect("temporary folder");
    println!("FluxDB vs SQLite query benchmark: {docs} documents\n");

    let mut db = OpenOptions::new()
        .open(tmp.path().join("flux"))
        .expect("open");
    db.create_collection("bench", &["group", "score"])
        .expect("create");
    db.insert_many("bench", (0..docs).map(document).collect())
        .expect("insert");
    db.flush().expect("flush");
    // Build the indexes now, as a long-running process would have them.
    db.count("bench", &json!({"group": 0})).expect("warm up");

    // FLUXDB_BENCH_ONLY=<part of a case name>: only those cases, FluxDB
    // only (to profile one query without SQLite's setup in the samples).
    let only = std::env::var("FLUXDB_BENCH_ONLY").ok();
    let sql = Connection::open(tmp.path().join("bench.sqlite")).expect("sqlite");
    sql.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",
    )
    .expect("schema");
    {
        let tx = sql.unchecked_transaction().expect("tx");
        let mut insert = tx
            .prepare("INSERT INTO docs VALUES (?1, ?2)")
            .expect("prepare");
        for i in (0..docs).filter(|_| only.is_none()) {
            insert
                .execute((format!("{i:036}"), document(i).to_string()))
                .expect("insert");
        }
        drop(insert);
        tx.commit().expect("commit");
    }
    sql.execute_batch(
        "CREATE INDEX by_group ON docs (json_extract(doc, '$.group'));
         CREATE INDEX by_score ON docs (json_extract(doc, '$.score'));
         ANALYZE;",
    )
    .expect("indexes");

    let cases = vec![
        Case {
            name: "indexed equality (100 records)",
            target_ms: 0.5,
            flux: Box::new(|db| {
                db.find("bench", &Find::new(json!({"group": 4242})))
                    .map(|d| d.len())
                    .unwrap_or(0)
            }),
            sqlite: "SELECT doc FROM docs WHERE json_extract(doc, '$.group') = 4242",
        },
        Case {
            name: "indexed range (1%)",
            target_ms: 20.0,
            flux: Box::new(|db| {
                db.find(
                    "bench",
                    &Find::new(json!({"score": {"$gte": 50.0, "$lt": 51.0}})),
                )
                .map(|d| d.len())
                .unwrap_or(0)
            }),
            sqlite: "SELECT doc FROM docs WHERE json_extract(doc, '$.score') >= 50.0 AND json_extract(doc, '$.score') < 51.0",
        },
        Case {
            name: "full-scan filter",
            target_ms: 400.0,
            flux: Box::new(|db| {
                db.find(
                    "bench",
                    &Find::new(json!({"city": "Oslo", "age": {"$gt": 70}})),
                )
                .map(|d| d.len())
                .unwrap_or(0)
            }),
            sqlite: "SELECT doc FROM docs WHERE json_extract(doc, '$.city') = 'Oslo' AND json_extract(doc, '$.age') > 70",
        },
        Case {
            name: "sort on indexed field, limit 50",
            target_ms: 2.0,
            flux: Box::new(|db| {
                db.find("bench", &Find::all().sort(json!({"score": -1})).limit(50))
                    .map(|d| d.len())
                    .unwrap_or(0)
            }),
            sqlite: "SELECT doc FROM docs ORDER BY json_extract(doc, '$.score') DESC LIMIT 50",
        },
        Case {
            name: "sort on unindexed field, limit 50",
            target_ms: 500.0,
            flux: Box::new(|db| {
                db.find("bench", &Find::all().sort(json!({"name": -1})).limit(50))
                    .map(|d| d.len())
                    .unwrap_or(0)
            }),
            sqlite: "SELECT doc FROM docs ORDER BY json_extract(doc, '$.name') DESC LIMIT 50",
        },
        Case {
            name: "$group over all",
            target_ms: 700.0,
            flux: Box::new(|db| {
                db.aggregate(
                    "bench",
                    &json!([{"$group": {"_id": "$city", "n": {"$sum": 1}, "avg": {"$avg": "$score"}}}]),
                )
                .map(|d| d.len())
                .unwrap_or(0)
            }),
            sqlite: "SELECT json_extract(doc, '$.city'), count(*), avg(json_extract(doc, '$.score')) FROM docs GROUP BY 1",
        },
    ];

    println!("Load average before the queries: {}", load_average());
    println!(
        "| query | target | FluxDB wall (CPU) | SQLite wall (CPU) | FluxDB / SQLite (by CPU) |"
    );
    println!("|---|---|---|---|---|");
    for case in &cases {
        if let Some(only) = &only {
            if case.name.contains(only.as_str()) {
                let runs = std::env::var("FLUXDB_BENCH_RUNS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(5);
                let (flux, n) = best_of(runs, || (case.flux)(&db));
                let (wall, cpu) = (format_ms(flux.wall_ms), format_ms(flux.cpu_ms));
                println!(
                    "| {} ({n} rows) | FluxDB only: {wall} ({cpu} CPU) |",
                    case.name
                );
            }
            continue;
        }
        let (flux, flux_n) = best_of(5, || (case.flux)(&db));
        let mut stmt = sql.prepare(case.sqlite).expect("prepare");
        let (sql, sql_n) = best_of(5, || {
            let rows = stmt
                .query_map([], |row| row.get::<_, String>(0))
                .expect("query");
            rows.map(|r| black_box(r.map(|s| s.len()).unwrap_or(0)))
                .fold(0, |n, _| n + 1)
        });
        assert_eq!(flux_n, sql_n, "{}: FluxDB and SQLite disagree", case.name);
        println!(
            "| {} ({flux_n} rows) | ≤ {} ms | {} ({}) | {} ({}) | {:.2} ({:.2}) |",
            case.name,
            case.target_ms,
            format_ms(flux.wall_ms),
            format_ms(flux.cpu_ms),
            format_ms(sql.wall_ms),
            format_ms(sql.cpu_ms),
            flux.wall_ms / sql.wall_ms,
            flux.cpu_ms / sql.cpu_ms.max(1e-6),
        );
    }
    println!("Load average after the queries: {}", load_average());
}

/// The fastest of several runs: wall-clock and this thread's CPU time.
struct Timing {
    wall_ms: f64,
    cpu_ms: f64,
}

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Timing, usize) {
    let mut best = Timing {
        wall_ms: f64::MAX,
        cpu_ms: f64::MAX,
    };
    let mut n = 0;
    for _ in 0..runs {
        let cpu = thread_cpu_ms();
        let start = Instant::now();
        n = black_box(f());
        best.wall_ms = best.wall_ms.min(start.elapsed().as_secs_f64() * 1e3);
        best.cpu_ms = best.cpu_ms.min(thread_cpu_ms() - cpu);
    }
    (best, n)
}

/// CPU time of this thread in ms (the queries run on it alone): on a
/// shared machine it is what the wall clock would be on an idle one.
fn thread_cpu_ms() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return 0.0;
    }
    now.tv_sec as f64 * 1e3 + now.tv_nsec as f64 / 1e6
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn format_ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}
