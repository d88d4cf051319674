//! Query benchmark on 1,000,000 documents, FluxDB beside SQLite (bundled,
//! documents as JSON text with expression indexes) in the same run:
//! indexed equality, indexed range, full-scan filter, sorts with a limit on
//! an indexed and an unindexed field, and a `$group` over everything.
//! Each query is measured twice on both sides: returning documents
//! (FluxDB's `find`; SQLite's rows parsed with serde_json, what a program
//! that wants documents does) and returning each document's JSON text
//! (FluxDB's `find_json`; SQLite's stored text as it is).
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
    query: Query,
    sqlite: &'static str,
}

enum Query {
    Find(Find),
    Aggregate(Value),
}

impl Query {
    /// Runs the query for documents; the number of results.
    fn documents(&self, db: &FluxDB) -> usize {
        match self {
            Query::Find(find) => db.find("bench", find).map(|d| black_box(d).len()),
            Query::Aggregate(pipeline) => db.aggregate("bench", pipeline).map(|d| d.len()),
        }
        .unwrap_or(0)
    }

    /// Runs the query for JSON text; `None` for an aggregation (its few
    /// result rows are built, not stored).
    fn text(&self, db: &FluxDB) -> Option<usize> {
        match self {
            Query::Find(find) => Some(
                db.find_json("bench", find)
                    .map(|texts| black_box(texts).len())
                    .unwrap_or(0),
            ),
            Query::Aggregate(_) => None,
        }
    }
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
    // only (to profile one query without SQLite's setup in the samples),
    // FLUXDB_BENCH_RUNS times (default 5) each way.
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
            query: Query::Find(Find::new(json!({"group": 4242}))),
            sqlite: "SELECT doc FROM docs WHERE json_extract(doc, '$.group') = 4242",
        },
        Case {
            name: "indexed range (1%)",
            target_ms: 20.0,
            query: Query::Find(Find::new(json!({"score": {"$gte": 50.0, "$lt": 51.0}}))),
            sqlite: "SELECT doc FROM docs WHERE json_extract(doc, '$.score') >= 50.0 AND json_extract(doc, '$.score') < 51.0",
        },
        Case {
            name: "full-scan filter",
            target_ms: 400.0,
            query: Query::Find(Find::new(json!({"city": "Oslo", "age": {"$gt": 70}}))),
            sqlite: "SELECT doc FROM docs WHERE json_extract(doc, '$.city') = 'Oslo' AND json_extract(doc, '$.age') > 70",
        },
        Case {
            name: "sort on indexed field, limit 50",
            target_ms: 2.0,
            query: Query::Find(Find::all().sort(json!({"score": -1})).limit(50)),
            sqlite: "SELECT doc FROM docs ORDER BY json_extract(doc, '$.score') DESC LIMIT 50",
        },
        Case {
            name: "sort on unindexed field, limit 50",
            target_ms: 500.0,
            query: Query::Find(Find::all().sort(json!({"name": -1})).limit(50)),
            sqlite: "SELECT doc FROM docs ORDER BY json_extract(doc, '$.name') DESC LIMIT 50",
        },
        Case {
            name: "$group over all",
            target_ms: 700.0,
            query: Query::Aggregate(
                json!([{"$group": {"_id": "$city", "n": {"$sum": 1}, "avg": {"$avg": "$score"}}}]),
            ),
            sqlite: "SELECT json_extract(doc, '$.city'), count(*), avg(json_extract(doc, '$.score')) FROM docs GROUP BY 1",
        },
    ];

    if let Some(only) = &only {
        let runs = std::env::var("FLUXDB_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        // FLUXDB_BENCH_FORM=documents or text: only that form.
        let form = std::env::var("FLUXDB_BENCH_FORM").unwrap_or_default();
        let runs_of = |name: &str| {
            if form.is_empty() || form == name {
                runs
            } else {
                0
            }
        };
        for case in cases.iter().filter(|c| c.name.contains(only.as_str())) {
            let (documents, n) = best_of(runs_of("documents"), || case.query.documents(&db));
            let (text, _) = best_of(runs_of("text"), || case.query.text(&db).unwrap_or(0));
            println!(
                "{} ({n} rows), FluxDB only: documents {}, JSON text {}",
                case.name,
                documents.show(),
                text.show()
            );
        }
        return;
    }
    println!("Load average before the queries: {}", load_average());
    println!(
        "| query | target | FluxDB documents | SQLite documents | ratio | FluxDB JSON text | SQLite JSON text | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for case in &cases {
        let mut stmt = sql.prepare(case.sqlite).expect("prepare");
        // SQLite's rows parsed into documents and collected, as `find`
        // returns them (the $group's rows are not documents: only counted);
        // its text rows collected, as `find_json` returns them.
        let grouped = matches!(case.query, Query::Aggregate(_));
        let (sql_documents, sql_n) = best_of(MIN_RUNS, || {
            let rows = stmt
                .query_map([], |row| {
                    if grouped {
                        return Ok(None);
                    }
                    row.get::<_, String>(0).map(|text| {
                        serde_json::from_str::<serde_json::Map<String, Value>>(&text).ok()
                    })
                })
                .expect("query");
            let documents: Vec<_> = rows.map(|r| r.ok().flatten()).collect();
            black_box(documents).len()
        });
        let (sql_text, _) = best_of(MIN_RUNS, || {
            let rows = stmt
                .query_map([], |row| row.get::<_, String>(0))
                .expect("query");
            let texts: Vec<String> = rows.map(|r| r.unwrap_or_default()).collect();
            black_box(texts).len()
        });
        let (documents, n) = best_of(MIN_RUNS, || case.query.documents(&db));
        assert_eq!(n, sql_n, "{}: FluxDB and SQLite disagree", case.name);
        let (text_cells, text_ratio) = match case.query.text(&db) {
            Some(text_n) => {
                assert_eq!(text_n, n, "{}: find_json and find disagree", case.name);
                let (text, _) = best_of(MIN_RUNS, || case.query.text(&db).unwrap_or(0));
                (
                    format!("{} | {}", text.show(), sql_text.show()),
                    format!("{:.2}", text.wall_ms / sql_text.wall_ms),
                )
            }
            None => ("— | —".to_owned(), "—".to_owned()),
        };
        println!(
            "| {} ({n} rows) | ≤ {} ms | {} | {} | {:.2} | {text_cells} | {text_ratio} |",
            case.name,
            case.target_ms,
            documents.show(),
            sql_documents.show(),
            documents.wall_ms / sql_documents.wall_ms,
        );
    }
    println!("Load average after the queries: {}", load_average());
}

/// Each query runs at least this many times, and more while the runs
/// have taken under [`MIN_SECONDS`]: a fast query's best run is then a
/// warm one.
const MIN_RUNS: usize = 5;
const MIN_SECONDS: f64 = 1.0;

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
    let started = Instant::now();
    let mut done = 0;
    while done < runs
        || (runs > 0 && started.elapsed().as_secs_f64() < MIN_SECONDS && done < 10_000)
    {
        let cpu = thread_cpu_ms();
        let start = Instant::now();
        n = black_box(f());
        best.wall_ms = best.wall_ms.min(start.elapsed().as_secs_f64() * 1e3);
        best.cpu_ms = best.cpu_ms.min(thread_cpu_ms() - cpu);
        done += 1;
    }
    (best, n)
}

impl Timing {
    /// "wall (CPU)".
    fn show(&self) -> String {
        format!("{} ({})", format_ms(self.wall_ms), format_ms(self.cpu_ms))
    }
}

/// CPU time of this thread in ms (the queries run on it alone): on a
/// shared machine it is what the wall clock would be on an idle one. The
/// kernel accounts it coarsely, so below a millisecond the best wall time
/// of many runs is the better figure (the ratios use wall time).
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
    if ms < 1.0 {
        format!("{:.1} µs", ms * 1e3)
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}
