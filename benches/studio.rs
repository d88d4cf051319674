//! Studio measurements on a 1,000,000-record collection (or
//! `FLUXDB_STUDIO_RECORDS` of them):
//!
//!   FLUXDB_PERF_DIR=/tmp/perf-db cargo bench --bench studio
//!
//!   cargo bench --bench studio -- big     # only the big values (issue 17)
//!
//! The folder is built on the first run and reused after (its name says
//! how many records it holds); closing it writes its checkpoint, so every
//! run opens it as a user's second session would. Engine timings go
//! through the same `Database` calls the worker makes; UI timings run the
//! real app headless (one egui pass per step, without GPU painting).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use fluxdb::engine::FluxDB;
use fluxdb::studio::query::ParsedQuery;
use fluxdb::studio::worker::{EngineOpener, OpenMode, Opener};
use serde_json::{Value, json};

#[allow(dead_code)]
#[path = "../tests/studio/support.rs"]
mod support;

use support::{config, harness, step_until, wait_idle};

#[allow(dead_code)]
#[path = "support/proc_stats.rs"]
mod proc_stats;

#[path = "studio/big_values.rs"]
mod big_values;

/// Records in the collection (`FLUXDB_STUDIO_RECORDS`, default 1,000,000).
fn records() -> usize {
    std::env::var("FLUXDB_STUDIO_RECORDS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000)
}

/// `n` with thousands separators, as the status bar writes it.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}
const CITIES: [&str; 5] = ["Lyon", "Oslo", "Lima", "Kyiv", "Pune"];

fn perf_db() -> PathBuf {
    let records = records();
    let path = std::env::var_os("FLUXDB_PERF_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("fluxdb-studio-perf-{records}")));
    if path.join("people.fdb").exists() {
        return path;
    }
    let started = Instant::now();
    let mut db = FluxDB::open(&path).expect("create the perf database");
    db.create_collection("people", &["age"])
        .expect("create people");
    for chunk in 0..records / 10_000 {
        let batch = (chunk * 10_000..(chunk + 1) * 10_000)
            .map(|i| {
                json!({
                    "name": format!("Person {:07}", (i * 7919) % records),
                    "age": 18 + (i * 31) % 70,
                    "city": CITIES[i % CITIES.len()],
                    "score": (i % 1000) as f64 / 10.0,
                    "tags": ["t", i % 7],
                })
            })
            .collect();
        db.insert_many("people", batch).expect("insert");
    }
    db.close().expect("close, writing the checkpoint");
    println!("built {records} records in {:?}", started.elapsed());
    path
}

fn timed<T, E: std::fmt::Debug>(what: &str, f: impl FnOnce() -> Result<T, E>) -> T {
    let started = Instant::now();
    let value = f();
    println!(
        "{what:<44} {:>10.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    value.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

/// How many records a page holds, as the grid asks for them.
const PAGE: usize = 50;

fn query(filter: Value, sort: Option<Value>) -> ParsedQuery {
    ParsedQuery {
        filter,
        sort,
        projection: None,
    }
}

fn main() {
    if !std::env::args().any(|arg| arg == "big") {
        perf_engine_calls_the_worker_makes();
        perf_the_app_stays_responsive();
    }
    big_values::perf_big_values();
}

fn perf_engine_calls_the_worker_makes() {
    let path = perf_db();
    let db = timed("open (read-write)", || {
        EngineOpener.open(&path, OpenMode::ReadWrite)
    });
    let all = json!({});
    timed("first page", || {
        db.find_page("people", &query(all.clone(), None), 0, PAGE)
    });
    let records = records();
    timed(
        &format!("last page (skip {})", grouped(records - 50)),
        || db.find_page("people", &query(all.clone(), None), records - 50, PAGE),
    );
    timed("count, no filter", || db.count("people", &all));
    let oslo = json!({"city": "Oslo"});
    timed("first page, filter city (not indexed)", || {
        db.find_page("people", &query(oslo.clone(), None), 0, PAGE)
    });
    timed("count, filter city (not indexed)", || {
        db.count("people", &oslo)
    });
    let age = json!({"age": 30});
    timed("first page, filter age (indexed)", || {
        db.find_page("people", &query(age.clone(), None), 0, PAGE)
    });
    timed("first page sorted by age (indexed)", || {
        db.find_page(
            "people",
            &query(all.clone(), Some(json!({"age": 1}))),
            0,
            PAGE,
        )
    });
    timed("first page sorted by name (not indexed)", || {
        db.find_page(
            "people",
            &query(all.clone(), Some(json!({"name": -1}))),
            0,
            PAGE,
        )
    });
    timed("last page sorted by name (not indexed)", || {
        db.find_page(
            "people",
            &query(all.clone(), Some(json!({"name": -1}))),
            records - 50,
            PAGE,
        )
    });
}

fn frame_stats(label: &str, frames: &[Duration]) {
    let mut sorted: Vec<f64> = frames.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    sorted.sort_by(f64::total_cmp);
    let mean = sorted.iter().sum::<f64>() / sorted.len().max(1) as f64;
    let p95 = sorted
        .get(sorted.len() * 95 / 100)
        .copied()
        .unwrap_or_default();
    let max = sorted.last().copied().unwrap_or_default();
    println!(
        "{label:<44} {} frames: mean {mean:.2} ms, p95 {p95:.2} ms, max {max:.2} ms",
        sorted.len()
    );
}

fn perf_the_app_stays_responsive() {
    let path = perf_db();
    let data = tempfile::tempdir().expect("temporary folder");
    let started = Instant::now();
    let mut harness = harness(config(Some(&path), data.path()));
    step_until(&mut harness, "the first page", |h| {
        h.state()
            .state()
            .current
            .as_ref()
            .is_some_and(|v| v.page.is_some())
    });
    println!(
        "{:<44} {:>10.1} ms",
        "app start to first page visible",
        started.elapsed().as_secs_f64() * 1000.0
    );
    wait_idle(&mut harness);

    // Scrolling a 500-record page.
    harness.get_by_label("per page").click();
    harness.run_steps(2);
    harness.get_by_label("500").click();
    step_until(&mut harness, "a 500-record page", |h| {
        h.state().state().range_label().starts_with("1–500")
    });
    // The wheel scrolls what is under the pointer: the grid.
    harness.hover_at(egui::pos2(800.0, 500.0));
    harness.run_steps(1);
    let first_visible = |h: &egui_kittest::Harness<'static, fluxdb::studio::StudioApp>| {
        h.query_by_label("Person 0000000").is_some()
    };
    let mut frames = Vec::new();
    for i in 0..120 {
        if i == 60 {
            assert!(!first_visible(&harness), "the grid did not scroll");
        }
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, if i < 60 { -3.0 } else { 3.0 }),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
        let t = Instant::now();
        harness.step();
        frames.push(t.elapsed());
    }
    frame_stats("frame while scrolling 500 rows", &frames);

    // The same page in the JSON view.
    harness.get_by_label("JSON").click();
    harness.run_steps(2);
    let mut frames = Vec::new();
    for i in 0..120 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, if i < 60 { -10.0 } else { 10.0 }),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
        let t = Instant::now();
        harness.step();
        frames.push(t.elapsed());
    }
    frame_stats("frame while scrolling 500 records as JSON", &frames);
    harness.get_by_label("Table").click();
    harness.run_steps(2);

    // A sort on an unindexed field: frames keep coming while the worker sorts.
    harness.get_by_label("name").click();
    let clicked = Instant::now();
    step_until(&mut harness, "the sort request", |h| {
        h.state()
            .state()
            .current
            .as_ref()
            .is_some_and(|v| v.loading)
    });
    let mut frames = Vec::new();
    while harness
        .state()
        .state()
        .current
        .as_ref()
        .is_some_and(|v| v.loading)
    {
        let t = Instant::now();
        harness.step();
        frames.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(4));
        assert!(
            clicked.elapsed() < Duration::from_secs(60),
            "sort took over a minute"
        );
    }
    println!(
        "{:<44} {:>10.1} ms",
        "header click (name, not indexed) to sorted page",
        clicked.elapsed().as_secs_f64() * 1000.0
    );
    frame_stats("frame while the worker sorts", &frames);

    // A sort on the indexed field: the worker built its index while the
    // app was idle after showing the collection.
    harness.get_by_label("Reset").click();
    step_until(&mut harness, "the unsorted first page", |h| {
        let state = h.state().state();
        state.query.sort.is_empty() && state.current.as_ref().is_some_and(|v| !v.loading)
    });
    wait_idle(&mut harness);
    harness.get_by_label("age").click();
    let clicked = Instant::now();
    step_until(&mut harness, "the page sorted by age", |h| {
        let state = h.state().state();
        state.query.sort.contains("age")
            && state
                .current
                .as_ref()
                .is_some_and(|v| !v.loading && v.page.is_some())
    });
    println!(
        "{:<44} {:>10.1} ms",
        "header click (age, indexed) to sorted page",
        clicked.elapsed().as_secs_f64() * 1000.0
    );

    // The last page of the unsorted result.
    harness.get_by_label("Reset").click();
    step_until(&mut harness, "the unsorted first page", |h| {
        let state = h.state().state();
        state.query.sort.is_empty() && state.current.as_ref().is_some_and(|v| !v.loading)
    });
    harness.get_by_label("Last »").click();
    let clicked = Instant::now();
    step_until(&mut harness, "the last page", |h| {
        h.state()
            .state()
            .range_label()
            .ends_with(&format!("{0} of {0}", grouped(records())))
    });
    println!(
        "{:<44} {:>10.1} ms",
        "Last click to last page visible",
        clicked.elapsed().as_secs_f64() * 1000.0
    );
    harness.get_by_label("« First").click();
    let clicked = Instant::now();
    step_until(&mut harness, "the first page", |h| {
        h.state().state().range_label().starts_with("1–500 of")
    });
    println!(
        "{:<44} {:>10.1} ms",
        "First click to first page visible",
        clicked.elapsed().as_secs_f64() * 1000.0
    );
}
