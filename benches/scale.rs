//! Scale benchmark: what a user sees from fresh processes on large
//! collections, FluxDB beside SQLite in the same run.
//!
//! For each size N (`FLUXDB_SCALE_SIZES`, default `1000000,10000000`) one
//! collection `c` of records of about 120 bytes of JSON,
//! `{"n": 123456, "k": "k-1234", "v": 512.37, "s": "Osaka-0042", "t": "2025-…Z", "pad": "xxxxxxxxxxxxxxxx"}`,
//! with exactly two indexes:
//! - `k`: N/100 distinct values of 100 records each, scattered over the
//!   file: the **indexed equality** `{"k": "k-…"}` (about 100 records);
//! - `n`: a permutation of 0..N (each value once, scattered): the **indexed
//!   range** `{"n": {"$gte": a, "$lt": a + N/100}}` (1% of the records) and
//!   the **indexed sort** `--sort '{"n": -1}' --limit 50`.
//!
//! SQLite (bundled) holds the same documents, with the `_id`s FluxDB gave
//! them, as JSON text in `c(id TEXT PRIMARY KEY, doc TEXT)` with expression
//! indexes on `json_extract(doc, '$.k')` and `json_extract(doc, '$.n')`.
//!
//! **Read side, fresh processes.** Each case runs as a new process: the real
//! `fluxdb` binary (`fluxdb --db DIR count c`, `find c FILTER`, `find c
//! --sort … --limit 50`, `get c ID`) and this bench re-executed in SQLite
//! child mode (it opens the file read-only, runs the same query and writes
//! each row's JSON text as a line, as the CLI does). Both outputs are read
//! through a pipe; the number of records (or the count) must agree or the
//! bench fails. Figures: wall time from spawn to exit, median of
//! `FLUXDB_SCALE_RUNS` runs (default 5) and the first run apart ("cold
//! process, warm page cache": the page cache is never dropped), and peak
//! resident memory from `wait4`'s `ru_maxrss`. FluxDB's processes run once
//! more under a sampler reading `/proc/PID/status` every 2 ms: the largest
//! `RssAnon` (heap) and `RssFile` (the mapped file and the binary) it saw.
//! What each process does is what a user's `fluxdb` call does: open the
//! folder (today: read the whole file to rebuild the `_id` table), build
//! the indexes a query needs (today: from every record), answer.
//!
//! **Write side, in-process** (through the library, while building): the
//! `insert_many` rate with both indexes kept up to date on every insert
//! (they are built, empty, before the load), then a few thousand updates
//! and deletes by `_id` at random, each engine beside the other.
//!
//! Data goes to `FLUXDB_SCALE_DIR` (kept, and reused by the next run when
//! its marker file matches: a FluxDB folder written by an older engine is
//! then opened by the current one, and the write side is not measured), or
//! to a temporary folder removed afterwards. Targets are printed beside
//! the figures. Run: `cargo bench --no-default-features --bench scale`.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fluxdb::engine::{CancelToken, FluxDB};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};

const FLUXDB_BIN: &str = env!("CARGO_BIN_EXE_fluxdb");
const DEFAULT_SIZES: &str = "1000000,10000000";
const DEFAULT_RUNS: usize = 5;
/// Records per `insert_many` call (and per SQLite transaction).
const BATCH: usize = 100_000;
/// Updates, and as many deletes, by `_id` after the load.
const WRITE_OPS: usize = 5_000;
const COLLECTION: &str = "c";
/// The hidden first arguments of this bench's own child processes.
const SQLITE_CHILD: &str = "--scale-sqlite-child";
const BUILD_CHILD: &str = "--scale-build-child";
const REFRESH_CHILD: &str = "--scale-refresh-child";
/// Written last by a build: its first line says the data is complete.
const MARKER: &str = "READY";
const DATA_VERSION: &str = "fluxdb scale bench data v1";
/// A prime: `i * SPREAD mod N` is a permutation of 0..N for every N below it.
const SPREAD: u64 = 2_654_435_761;
/// The size the targets are stated at.
const TARGET_SIZE: usize = 10_000_000;
const OPEN_TARGET_MS: f64 = 20.0;
const OPEN_GROWTH_TARGET: f64 = 1.5;
const RSS_TARGET_MB: f64 = 64.0;
const INSERT_TARGET: f64 = 500_000.0;

const SQL_COUNT: &str = "SELECT count(*) FROM c";
const SQL_EQUALITY: &str = "SELECT doc FROM c WHERE json_extract(doc, '$.k') = ?1";
const SQL_RANGE: &str =
    "SELECT doc FROM c WHERE json_extract(doc, '$.n') >= ?1 AND json_extract(doc, '$.n') < ?2";
const SQL_SORT: &str = "SELECT doc FROM c ORDER BY json_extract(doc, '$.n') DESC LIMIT 50";
const SQL_GET: &str = "SELECT doc FROM c WHERE id = ?1";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some(SQLITE_CHILD) => return sqlite_child(&args[1..]),
        Some(BUILD_CHILD) => return build_child(&args[1..]),
        Some(REFRESH_CHILD) => return refresh_child(&args[1..]),
        _ => {}
    }
    let sizes = sizes();
    let runs = env_number("FLUXDB_SCALE_RUNS")
        .unwrap_or(DEFAULT_RUNS)
        .max(1);
    let (root, _temporary) = data_root();
    println!(
        "FluxDB vs SQLite at scale: sizes {sizes:?}, {runs} fresh processes per case and engine"
    );
    println!("data: {}", root.display());
    println!(
        "the page cache stays warm (never dropped): \"first\" is a cold process on warm pages\n\
         floor of ru_maxrss here: {:.1} MB (a child's figure includes this bench's own peak,\n\
         which the kernel carries through the exec; measured on /bin/true)\n",
        rss_floor_mb()
    );
    let mut opens = Vec::new();
    for &docs in &sizes {
        let set = Dataset::new(&root, docs);
        let get_id = set.prepare();
        println!("load average: {}", load_average());
        let rows: Vec<Row> = cases(docs, &get_id)
            .iter()
            .map(|case| measure(&set, case, runs))
            .collect();
        print_table(docs, &rows);
        opens.push((docs, rows[0].flux.median()));
    }
    print_open_growth(&opens);
    println!("load average: {}", load_average());
}

// ---------------------------------------------------------------------------
// Configuration and data

fn sizes() -> Vec<usize> {
    let text = std::env::var("FLUXDB_SCALE_SIZES").unwrap_or_else(|_| DEFAULT_SIZES.to_owned());
    let sizes: Vec<usize> = text
        .split(',')
        .map(|s| s.trim().replace('_', ""))
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("FLUXDB_SCALE_SIZES: {s:?} is not a record count"))
        })
        .collect();
    assert!(
        sizes.iter().all(|&n| n >= 100),
        "FLUXDB_SCALE_SIZES: each size must be at least 100 records"
    );
    sizes
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// `FLUXDB_SCALE_DIR` (created if missing, kept), or a temporary folder
/// removed when the returned guard drops.
fn data_root() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(dir) = std::env::var_os("FLUXDB_SCALE_DIR") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("create FLUXDB_SCALE_DIR");
        return (dir, None);
    }
    let tmp = tempfile::Builder::new()
        .prefix("fluxdb-scale-")
        .tempdir()
        .expect("temporary folder");
    (tmp.path().to_path_buf(), Some(tmp))
}

/// Distinct values of `k`: 100 records each.
fn key_count(docs: usize) -> u64 {
    (docs as u64 / 100).max(1)
}

/// `n` of record `i`: every value of 0..N once, neighbours far apart in the file.
fn n_of(i: usize, docs: usize) -> u64 {
    (i as u64 * SPREAD) % docs as u64
}

/// splitmix64: the other fields' values, and which records are sampled.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Record `i` of `docs`: about 120 bytes of JSON without its `_id`.
fn document(i: usize, docs: usize) -> Value {
    const CITIES: [&str; 8] = [
        "Lyon", "Berlin", "Osaka", "Lima", "Oslo", "Accra", "Quito", "Perth",
    ];
    let n = n_of(i, docs);
    let r = mix(i as u64);
    json!({
        "n": n,
        "k": format!("k-{}", n % key_count(docs)),
        "v": (r % 100_000) as f64 / 100.0,
        "s": format!("{}-{:04}", CITIES[(r >> 20) as usize % CITIES.len()], (r >> 32) % 10_000),
        "t": format!(
            "2025-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            1 + (r >> 8) % 12,
            1 + (r >> 12) % 28,
            (r >> 16) % 24,
            (r >> 24) % 60,
            (r >> 40) % 60
        ),
        "pad": "xxxxxxxxxxxxxxxx",
    })
}

/// Records whose `_id` the write side may update or delete (about four
/// times as many as it needs, so the sample is spread over the whole file;
/// at most half the records of a small test size).
fn is_sampled(i: usize, docs: usize) -> bool {
    let stride = (docs / (4 * WRITE_OPS)).max(2) as u64;
    mix(i as u64 ^ 0x5eed).is_multiple_of(stride)
}

/// The record `get by _id` reads: in the middle of the file, and never
/// updated or deleted.
fn get_record(docs: usize) -> usize {
    (docs / 2..docs)
        .find(|&i| !is_sampled(i, docs))
        .expect("a record the write side leaves alone")
}

/// One size's data: `DIR/scale-N/{fluxdb/, sqlite.db, READY}`.
struct Dataset {
    docs: usize,
    dir: PathBuf,
}

impl Dataset {
    fn new(root: &Path, docs: usize) -> Dataset {
        Dataset {
            docs,
            dir: root.join(format!("scale-{docs}")),
        }
    }

    fn flux(&self) -> PathBuf {
        self.dir.join("fluxdb")
    }

    fn sqlite(&self) -> PathBuf {
        self.dir.join("sqlite.db")
    }

    fn marker(&self) -> PathBuf {
        self.dir.join(MARKER)
    }

    /// The `_id` of the record `get` reads, if a complete build of this
    /// size is there.
    fn ready(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.marker()).ok()?;
        let mut lines = text.lines();
        if lines.next() != Some(DATA_VERSION) {
            return None;
        }
        if lines.next() != Some(format!("docs {}", self.docs).as_str()) {
            return None;
        }
        lines.next()?.strip_prefix("get_id ").map(str::to_owned)
    }

    fn write_marker(&self, get_id: &str) {
        let text = format!("{DATA_VERSION}\ndocs {}\nget_id {get_id}\n", self.docs);
        std::fs::write(self.marker(), text).expect("write the marker file");
    }

    /// Reuses a complete build or makes one (in a child process, so this
    /// process stays small: see [`rss_floor_mb`]); the `_id` for `get`.
    fn prepare(&self) -> String {
        println!("## {} records", thousands(self.docs as u64));
        if let Some(id) = self.ready() {
            println!(
                "reusing the data in {} (write side not measured: remove that folder to measure it)",
                self.dir.display()
            );
            self.refresh_checkpoint();
            self.print_sizes();
            return id;
        }
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).expect("remove an incomplete build");
        }
        std::fs::create_dir_all(&self.dir).expect("create the data folder");
        let start = Instant::now();
        let status = Command::new(std::env::current_exe().expect("own path"))
            .arg(BUILD_CHILD)
            .arg(&self.dir)
            .arg(self.docs.to_string())
            .status()
            .expect("run the build child");
        assert!(status.success(), "building the data failed: {status}");
        println!("building took {:.1} s", start.elapsed().as_secs_f64());
        self.print_sizes();
        self.ready().expect("the build wrote its marker")
    }

    /// A reused folder may hold a checkpoint an older build wrote, which
    /// readers ignore: a writer opens and closes it once (in a child, like
    /// the build) so that the measured processes find a current one.
    fn refresh_checkpoint(&self) {
        let start = Instant::now();
        let status = Command::new(std::env::current_exe().expect("own path"))
            .arg(REFRESH_CHILD)
            .arg(self.flux())
            .status()
            .expect("run the refresh child");
        assert!(
            status.success(),
            "refreshing the checkpoint failed: {status}"
        );
        println!(
            "opened and closed by a writer first: {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }

    fn print_sizes(&self) {
        println!(
            "files: FluxDB {:.0} MB, SQLite {:.0} MB\n",
            folder_bytes(&self.flux()) as f64 / 1e6,
            folder_bytes(&self.sqlite()) as f64 / 1e6
        );
    }
}

fn folder_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| folder_bytes(&entry.path()))
        .sum()
}

// ---------------------------------------------------------------------------
// Building (a child process): the write side

/// `REFRESH_CHILD DIR`: opens the collection as its writer and closes it,
/// which writes a checkpoint if the one there is missing or outdated.
fn refresh_child(args: &[String]) {
    let db = FluxDB::open(&args[0]).expect("open the FluxDB folder");
    db.count(COLLECTION, &json!({}))
        .expect("open the collection");
    db.close().expect("close FluxDB");
}

/// `BUILD_CHILD DIR N`: builds both engines' data, prints the write side.
/// FluxDB loads and changes its records first, alone, then SQLite the same
/// records under the same `_id`s: run side by side, each engine's batches
/// evicted the other's memory from the caches between its own (FluxDB's
/// 10M load took 38 s that way, 22 s alone).
fn build_child(args: &[String]) {
    let docs: usize = args[1].parse().expect("record count");
    let set = Dataset {
        docs,
        dir: PathBuf::from(&args[0]),
    };
    let mut db = FluxDB::open(set.flux()).expect("open the FluxDB folder");
    db.create_collection(COLLECTION, &["k", "n"])
        .expect("create the collection");
    // Built now (empty), the indexes are kept exact by every insert: the
    // insert rate includes their upkeep.
    db.warm_indexes(COLLECTION, &CancelToken::new())
        .expect("build the empty indexes");
    let (flux_load, ids) = flux_load(&mut db, docs);
    let (sample, get_id) = sample_of(&ids, docs);
    let ops = WRITE_OPS.min(sample.len() / 2).min(docs / 20);
    let (updates, rest) = sample.split_at(ops);
    let deletes = &rest[..ops];
    let flux_update = time_per_op(ops, || flux_updates(&mut db, updates));
    let flux_delete = time_per_op(ops, || flux_deletes(&mut db, deletes));
    db.close().expect("close FluxDB");

    let sql = sqlite_for_build(&set.sqlite());
    let sqlite_load = sqlite_load(&sql, docs, &ids);
    drop(ids);
    let analyze = Instant::now();
    sql.execute_batch("ANALYZE").expect("ANALYZE");
    println!(
        "(SQLite's ANALYZE: {:.1} s)",
        analyze.elapsed().as_secs_f64()
    );
    print_sqlite_plans(&sql);
    let changes = Changes {
        ops,
        flux_update,
        flux_delete,
        sqlite_update: time_per_op(ops, || sqlite_updates(&sql, updates)),
        sqlite_delete: time_per_op(ops, || sqlite_deletes(&sql, deletes)),
    };
    print_write_side(docs, flux_load, sqlite_load, &changes);
    set.write_marker(&get_id);
}

/// µs per update and per delete by `_id`, FluxDB and SQLite.
struct Changes {
    ops: usize,
    flux_update: f64,
    sqlite_update: f64,
    flux_delete: f64,
    sqlite_delete: f64,
}

fn print_write_side(docs: usize, flux: Duration, sqlite: Duration, changes: &Changes) {
    let rate = |time: Duration| docs as f64 / time.as_secs_f64();
    let flux_rate = rate(flux);
    let ops = thousands(changes.ops as u64);
    println!(
        "\nWrite side, in-process through the library, each engine alone (both indexes kept on every insert):\n"
    );
    println!("| operation | target | FluxDB | | SQLite |");
    println!("|---|---|---|---|---|");
    println!(
        "| `insert_many`, batches of {}, + flush ({} s) | ≥ {} docs/s | {} docs/s | {} | {} rows/s ({} s; a transaction a batch) |",
        thousands(BATCH as u64),
        seconds(flux),
        thousands(INSERT_TARGET as u64),
        thousands(flux_rate as u64),
        verdict(flux_rate >= INSERT_TARGET),
        thousands(rate(sqlite) as u64),
        seconds(sqlite),
    );
    println!(
        "| update by `_id` (`$set` of `v`), {ops} at random, + flush / commit | | {:.2} µs | | {:.2} µs |",
        changes.flux_update, changes.sqlite_update
    );
    println!(
        "| delete by `_id`, {ops} at random, + flush / commit | | {:.2} µs | | {:.2} µs |\n",
        changes.flux_delete, changes.sqlite_delete
    );
}

/// The `_id`s FluxDB gave the records, in order, held as one text (36
/// bytes each: UUIDs) rather than ten million small strings beside the
/// load being measured.
struct Ids {
    text: String,
}

impl Ids {
    const LEN: usize = 36;

    fn get(&self, i: usize) -> &str {
        &self.text[i * Self::LEN..(i + 1) * Self::LEN]
    }
}

/// Inserts every record into FluxDB, batch by batch; its time and the ids.
fn flux_load(db: &mut FluxDB, docs: usize) -> (Duration, Ids) {
    let mut time = Duration::ZERO;
    let mut ids = Ids {
        text: String::with_capacity(docs * Ids::LEN),
    };
    let progress_every = (docs / 10).max(BATCH);
    for start in (0..docs).step_by(BATCH) {
        let end = (start + BATCH).min(docs);
        let documents: Vec<Value> = (start..end).map(|i| document(i, docs)).collect();
        let clock = Instant::now();
        let batch = db
            .insert_many(COLLECTION, documents)
            .expect("FluxDB insert_many");
        time += clock.elapsed();
        for id in batch {
            assert_eq!(id.len(), Ids::LEN, "a generated _id is a UUID");
            ids.text.push_str(&id);
        }
        if end.is_multiple_of(progress_every) && end < docs {
            println!(
                "  {} records: FluxDB {} s",
                thousands(end as u64),
                seconds(time)
            );
        }
    }
    let clock = Instant::now();
    db.flush().expect("FluxDB flush");
    (time + clock.elapsed(), ids)
}

/// Inserts the same records into SQLite under FluxDB's ids; its time.
fn sqlite_load(sql: &Connection, docs: usize, ids: &Ids) -> Duration {
    let mut time = Duration::ZERO;
    let progress_every = (docs / 10).max(BATCH);
    for start in (0..docs).step_by(BATCH) {
        let end = (start + BATCH).min(docs);
        let texts: Vec<String> = (start..end)
            .map(|i| document(i, docs).to_string())
            .collect();
        let batch: Vec<&str> = (start..end).map(|i| ids.get(i)).collect();
        let clock = Instant::now();
        sqlite_insert(sql, &batch, &texts);
        time += clock.elapsed();
        if end.is_multiple_of(progress_every) && end < docs {
            println!(
                "  {} records: SQLite {} s",
                thousands(end as u64),
                seconds(time)
            );
        }
    }
    time
}

/// The records the write side updates and deletes (shuffled), and the
/// `_id` `get` reads.
fn sample_of(ids: &Ids, docs: usize) -> (Vec<String>, String) {
    let get_id = ids.get(get_record(docs)).to_owned();
    let sample = (0..docs)
        .filter(|&i| is_sampled(i, docs))
        .map(|i| (mix(i as u64 ^ 0xd1ce), ids.get(i).to_owned()))
        .collect();
    (shuffled(sample), get_id)
}

fn shuffled(mut sample: Vec<(u64, String)>) -> Vec<String> {
    sample.sort_unstable();
    sample.into_iter().map(|(_, id)| id).collect()
}

/// µs per operation of `run`, which performs `ops` of them.
fn time_per_op(ops: usize, run: impl FnOnce()) -> f64 {
    let clock = Instant::now();
    run();
    clock.elapsed().as_secs_f64() * 1e6 / ops.max(1) as f64
}

/// The new value of `v` for the `j`th update (the same on both engines).
fn updated_v(j: usize) -> f64 {
    -1.5 - j as f64
}

fn flux_updates(db: &mut FluxDB, ids: &[String]) {
    for (j, id) in ids.iter().enumerate() {
        let changed = db
            .update(COLLECTION, id, &json!({"$set": {"v": updated_v(j)}}))
            .expect("FluxDB update");
        assert!(changed, "FluxDB update: no record {id}");
    }
    db.flush().expect("FluxDB flush");
}

fn flux_deletes(db: &mut FluxDB, ids: &[String]) {
    for id in ids {
        let deleted = db.delete(COLLECTION, id).expect("FluxDB delete");
        assert!(deleted, "FluxDB delete: no record {id}");
    }
    db.flush().expect("FluxDB flush");
}

fn sqlite_for_build(path: &Path) -> Connection {
    let sql = Connection::open(path).expect("create the SQLite file");
    // A 1 GiB page cache for the load only: the fresh processes measured
    // later run with SQLite's defaults.
    sql.execute_batch(
        "PRAGMA cache_size = -1048576;
         CREATE TABLE c (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
         CREATE INDEX c_k ON c (json_extract(doc, '$.k'));
         CREATE INDEX c_n ON c (json_extract(doc, '$.n'));",
    )
    .expect("SQLite schema");
    sql
}

/// The batch's rows, the same text FluxDB prints: `_id` first.
fn sqlite_insert(sql: &Connection, ids: &[&str], texts: &[String]) {
    let tx = sql.unchecked_transaction().expect("SQLite transaction");
    {
        let mut insert = tx
            .prepare_cached("INSERT INTO c (id, doc) VALUES (?1, ?2)")
            .expect("prepare the insert");
        for (id, text) in ids.iter().zip(texts) {
            let row = format!("{{\"_id\":{},{}", json!(id), &text[1..]);
            insert.execute((id, row)).expect("SQLite insert");
        }
    }
    tx.commit().expect("SQLite commit");
}

fn sqlite_updates(sql: &Connection, ids: &[String]) {
    let tx = sql.unchecked_transaction().expect("SQLite transaction");
    {
        let mut update = tx
            .prepare("UPDATE c SET doc = json_set(doc, '$.v', ?1) WHERE id = ?2")
            .expect("prepare the update");
        for (j, id) in ids.iter().enumerate() {
            let changed = update.execute((updated_v(j), id)).expect("SQLite update");
            assert_eq!(changed, 1, "SQLite update: no row {id}");
        }
    }
    tx.commit().expect("SQLite commit");
}

fn sqlite_deletes(sql: &Connection, ids: &[String]) {
    let tx = sql.unchecked_transaction().expect("SQLite transaction");
    {
        let mut delete = tx
            .prepare("DELETE FROM c WHERE id = ?1")
            .expect("prepare the delete");
        for id in ids {
            let deleted = delete.execute([id]).expect("SQLite delete");
            assert_eq!(deleted, 1, "SQLite delete: no row {id}");
        }
    }
    tx.commit().expect("SQLite commit");
}

/// SQLite's plan for each measured query, to see that it uses its indexes.
fn print_sqlite_plans(sql: &Connection) {
    for query in [SQL_COUNT, SQL_EQUALITY, SQL_RANGE, SQL_SORT, SQL_GET] {
        let mut stmt = sql
            .prepare(&format!("EXPLAIN QUERY PLAN {query}"))
            .expect("EXPLAIN QUERY PLAN");
        // Parameters left unbound: the plan is the same for any value.
        let mut rows = stmt.raw_query();
        let mut steps = Vec::new();
        while let Some(row) = rows.next().expect("query plan") {
            steps.push(row.get::<_, String>(3).expect("plan step"));
        }
        println!("SQLite plan: {} <- {query}", steps.join("; "));
    }
}

// ---------------------------------------------------------------------------
// The SQLite child: a fresh process opening the file, like the CLI

/// `SQLITE_CHILD FILE SQL [PARAM…]`: column 0 of every row, a line each
/// (a parameter that reads as an integer is bound as one).
fn sqlite_child(args: &[String]) {
    let sql = Connection::open_with_flags(
        &args[0],
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open the SQLite file");
    let mut stmt = sql.prepare(&args[1]).expect("prepare the query");
    for (i, param) in args[2..].iter().enumerate() {
        match param.parse::<i64>() {
            Ok(number) => stmt.raw_bind_parameter(i + 1, number),
            Err(_) => stmt.raw_bind_parameter(i + 1, param),
        }
        .expect("bind a parameter");
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().expect("read a row") {
        match row.get_ref(0).expect("column 0") {
            ValueRef::Text(text) => out.write_all(text),
            ValueRef::Integer(n) => write!(out, "{n}"),
            other => panic!("unexpected column type {:?}", other.data_type()),
        }
        .and_then(|()| out.write_all(b"\n"))
        .expect("write a row");
    }
    out.flush().expect("write the output");
}

// ---------------------------------------------------------------------------
// Cases and measurement

struct Case {
    name: &'static str,
    /// The `fluxdb` arguments after `--db DIR`.
    flux: Vec<String>,
    sql: &'static str,
    params: Vec<String>,
    /// Compared by the printed count (open) rather than by the lines.
    is_count: bool,
}

fn cases(docs: usize, get_id: &str) -> Vec<Case> {
    let key = format!("k-{}", key_count(docs) * 37 / 100);
    let low = docs as u64 / 2;
    let high = low + (docs as u64 / 100).max(1);
    let strings = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let equality = json!({"k": key}).to_string();
    let range = json!({"n": {"$gte": low, "$lt": high}}).to_string();
    vec![
        Case {
            name: "open (`count c`)",
            flux: strings(&["count", COLLECTION]),
            sql: SQL_COUNT,
            params: Vec::new(),
            is_count: true,
        },
        Case {
            name: "indexed equality (`k`)",
            flux: strings(&["find", COLLECTION, &equality]),
            sql: SQL_EQUALITY,
            params: vec![key],
            is_count: false,
        },
        Case {
            name: "indexed range (`n`, 1%)",
            flux: strings(&["find", COLLECTION, &range]),
            sql: SQL_RANGE,
            params: vec![low.to_string(), high.to_string()],
            is_count: false,
        },
        Case {
            name: "indexed sort (`n` desc), limit 50",
            flux: strings(&[
                "find",
                COLLECTION,
                "--sort",
                r#"{"n": -1}"#,
                "--limit",
                "50",
            ]),
            sql: SQL_SORT,
            params: Vec::new(),
            is_count: false,
        },
        Case {
            name: "get by `_id`",
            flux: strings(&["get", COLLECTION, get_id]),
            sql: SQL_GET,
            params: vec![get_id.to_owned()],
            is_count: false,
        },
    ]
}

impl Case {
    fn flux_command(&self, set: &Dataset) -> Command {
        let mut command = Command::new(FLUXDB_BIN);
        command.arg("--db").arg(set.flux()).args(&self.flux);
        command
    }

    fn sqlite_command(&self, set: &Dataset) -> Command {
        let mut command = Command::new(std::env::current_exe().expect("own path"));
        command
            .arg(SQLITE_CHILD)
            .arg(set.sqlite())
            .arg(self.sql)
            .args(&self.params);
        command
    }

    /// What both engines must agree on: the count, or the number of lines.
    fn answer(&self, output: &Output) -> String {
        if self.is_count {
            output.first_line.clone()
        } else {
            output.lines.to_string()
        }
    }
}

/// One fresh process: its wall time, peak RSS and what it printed.
struct Output {
    wall_ms: f64,
    max_rss_mb: f64,
    lines: u64,
    bytes: u64,
    first_line: String,
}

/// A case's runs on one engine.
#[derive(Default)]
struct Series {
    wall_ms: Vec<f64>,
    max_rss_mb: Vec<f64>,
    bytes: u64,
}

impl Series {
    fn push(&mut self, output: &Output) {
        self.wall_ms.push(output.wall_ms);
        self.max_rss_mb.push(output.max_rss_mb);
        self.bytes = output.bytes;
    }

    fn median(&self) -> f64 {
        let mut sorted = self.wall_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        }
    }

    fn first(&self) -> f64 {
        self.wall_ms[0]
    }

    fn peak_rss_mb(&self) -> f64 {
        self.max_rss_mb.iter().copied().fold(0.0, f64::max)
    }
}

struct Row {
    name: &'static str,
    answer: String,
    is_count: bool,
    flux: Series,
    sqlite: Series,
    sampled: Sampled,
}

/// Runs a case `runs` times on each engine (alternating), then FluxDB once
/// more under the memory sampler.
fn measure(set: &Dataset, case: &Case, runs: usize) -> Row {
    let mut flux = Series::default();
    let mut sqlite = Series::default();
    let mut answer = String::new();
    for _ in 0..runs {
        let (f, _) = run(&mut case.flux_command(set), false);
        let (s, _) = run(&mut case.sqlite_command(set), false);
        let (fa, sa) = (case.answer(&f), case.answer(&s));
        assert_eq!(
            fa, sa,
            "{}: FluxDB answered {fa}, SQLite {sa} ({} records)",
            case.name, set.docs
        );
        answer = fa;
        flux.push(&f);
        sqlite.push(&s);
    }
    let (_, sampled) = run(&mut case.flux_command(set), true);
    Row {
        name: case.name,
        answer,
        is_count: case.is_count,
        flux,
        sqlite,
        sampled: sampled.expect("the sampler's figures"),
    }
}

/// Spawns the command, drains its output, waits for it with `wait4`.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by libc::wait4 (for its rusage), not Child::wait"
)]
fn run(command: &mut Command, sample: bool) -> (Output, Option<Sampled>) {
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn a measured process");
    let pid = child.id();
    let sampler = sample.then(|| std::thread::spawn(move || sample_until_exit(pid)));
    let mut stderr = child.stderr.take().expect("the child's stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let (lines, bytes, first_line) = drain(child.stdout.take().expect("the child's stdout"));
    // The child is not reaped before the sampler saw it exit (a zombie keeps its pid).
    let sampled = sampler.map(|s| s.join().expect("the sampler thread"));
    let (status, usage) = wait4(pid);
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let errors = errors.join().unwrap_or_default();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed (wait status {status}): {errors}"
    );
    let output = Output {
        wall_ms,
        // Linux reports it in KiB.
        max_rss_mb: usage.ru_maxrss as f64 * 1024.0 / 1e6,
        lines,
        bytes,
        first_line,
    };
    (output, sampled)
}

/// Reads a pipe to its end: lines, bytes, and the first line.
fn drain(mut pipe: impl Read) -> (u64, u64, String) {
    let mut buffer = vec![0u8; 64 * 1024];
    let (mut lines, mut bytes) = (0u64, 0u64);
    let mut first = Vec::new();
    loop {
        let n = match pipe.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("reading a child's output: {e}"),
        };
        let chunk = &buffer[..n];
        if lines == 0 && first.len() < 256 {
            let end = chunk.iter().position(|&b| b == b'\n').unwrap_or(n);
            first.extend_from_slice(&chunk[..end]);
        }
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        bytes += n as u64;
    }
    (lines, bytes, String::from_utf8_lossy(&first).into_owned())
}

fn wait4(pid: u32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: rusage is plain data; all zeros is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: wait4 writes only the status and the rusage it is given.
        let reaped = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if reaped == pid as libc::pid_t {
            return (status, usage);
        }
        let error = std::io::Error::last_os_error();
        assert!(
            error.kind() == std::io::ErrorKind::Interrupted,
            "wait4: {error}"
        );
    }
}

/// The largest resident figures seen in `/proc/PID/status` while it ran.
#[derive(Default)]
struct Sampled {
    hwm_mb: f64,
    anon_mb: f64,
    file_mb: f64,
    samples: usize,
}

/// Samples every 2 ms until the process has exited (a zombie has no
/// memory lines).
fn sample_until_exit(pid: u32) -> Sampled {
    let path = format!("/proc/{pid}/status");
    let mut sampled = Sampled::default();
    while let Ok(status) = std::fs::read_to_string(&path) {
        let field = |name: &str| -> Option<f64> {
            let line = status.lines().find(|l| l.starts_with(name))?;
            let kib: f64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
            Some(kib * 1024.0 / 1e6)
        };
        let (Some(hwm), Some(anon), Some(file)) =
            (field("VmHWM:"), field("RssAnon:"), field("RssFile:"))
        else {
            break;
        };
        sampled.hwm_mb = sampled.hwm_mb.max(hwm);
        sampled.anon_mb = sampled.anon_mb.max(anon);
        sampled.file_mb = sampled.file_mb.max(file);
        sampled.samples += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    sampled
}

/// `ru_maxrss` of a process that uses almost nothing: what this bench's
/// own memory adds to every child's figure.
fn rss_floor_mb() -> f64 {
    let (output, _) = run(&mut Command::new("/bin/true"), false);
    output.max_rss_mb
}

// ---------------------------------------------------------------------------
// Report

fn print_table(docs: usize, rows: &[Row]) {
    let at_target = docs == TARGET_SIZE;
    println!(
        "\n| case | records | FluxDB median (first) | SQLite median (first) | FluxDB / SQLite | target | | \
         FluxDB peak RSS | FluxDB max RssAnon / RssFile | SQLite peak RSS | target | |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let flux = row.flux.median();
        let sqlite = row.sqlite.median();
        let (time_target, time_ok) = if row.is_count {
            (
                format!("≤ {OPEN_TARGET_MS} ms at 10M"),
                at_target.then_some(flux <= OPEN_TARGET_MS),
            )
        } else {
            ("≤ SQLite".to_owned(), Some(flux <= sqlite))
        };
        let peak = row.flux.peak_rss_mb();
        let answer = row
            .answer
            .parse()
            .map_or_else(|_| row.answer.clone(), thousands);
        let records = if row.is_count {
            format!("count {answer}")
        } else {
            answer
        };
        println!(
            "| {} | {records} | {} ({}) | {} ({}) | {:.2} | {time_target} | {} | {peak:.1} MB | {:.1} / {:.1} MB | {:.1} MB | ≤ {RSS_TARGET_MB} MB at 10M | {} |",
            row.name,
            ms(flux),
            ms(row.flux.first()),
            ms(sqlite),
            ms(row.sqlite.first()),
            flux / sqlite,
            optional_verdict(time_ok),
            row.sampled.anon_mb,
            row.sampled.file_mb,
            row.sqlite.peak_rss_mb(),
            optional_verdict(at_target.then_some(peak <= RSS_TARGET_MB)),
        );
    }
    for row in rows.iter().filter(|r| r.flux.bytes != r.sqlite.bytes) {
        println!(
            "note: {}: FluxDB printed {} bytes, SQLite {} (same records)",
            row.name, row.flux.bytes, row.sqlite.bytes
        );
    }
    let samples: Vec<String> = rows
        .iter()
        .map(|r| format!("{} ({:.1} MB)", r.sampled.samples, r.sampled.hwm_mb))
        .collect();
    println!(
        "sampler: samples per FluxDB process (its VmHWM): {}\n",
        samples.join(", ")
    );
}

/// The open target across sizes: 10M at most 1.5× the 1M figure.
fn print_open_growth(opens: &[(usize, f64)]) {
    let at = |size: usize| opens.iter().find(|(n, _)| *n == size).map(|(_, ms)| *ms);
    if let (Some(small), Some(large)) = (at(TARGET_SIZE / 10), at(TARGET_SIZE)) {
        let growth = large / small;
        println!(
            "open, 10M against 1M: {growth:.2}× (target ≤ {OPEN_GROWTH_TARGET}×): {}",
            verdict(growth <= OPEN_GROWTH_TARGET)
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

fn optional_verdict(ok: Option<bool>) -> &'static str {
    ok.map(verdict).unwrap_or("—")
}

fn ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{} ms", thousands(ms.round() as u64))
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
