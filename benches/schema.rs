//! `FluxDB::schema` over a whole collection: 1,000,000 records of mixed
//! shape (numbers, text, an array, a nested object, a field of two types),
//! time and peak memory; then `FluxDB::chart`, the Chart tab's series, of
//! each kind over the same records. Run with
//! `cargo bench --no-default-features --bench schema`; the figures go into
//! benches/README.md.

use std::time::Instant;

use fluxdb::engine::chart::{BarOrder, ChartSpec, Measure, Series};
use fluxdb::engine::{FluxDB, OpenOptions};
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
    charts(&db, records);
}

/// Each kind of chart over every record: time, and what it holds.
fn charts(db: &FluxDB, records: u64) {
    let bars = |measure| ChartSpec::Bar {
        category: "address.city".into(),
        measure,
        top: 20,
        order: BarOrder::Value,
    };
    let specs = [
        ("bars of address.city (count)", bars(Measure::Count)),
        (
            "bars of address.city (average of score)",
            bars(Measure::Average("score".into())),
        ),
        (
            "bars of name (1M distinct: 10,000 followed, the rest in other)",
            ChartSpec::Bar {
                category: "name".into(),
                measure: Measure::Count,
                top: 20,
                order: BarOrder::Value,
            },
        ),
        (
            "histogram of score",
            ChartSpec::Histogram {
                field: "score".into(),
            },
        ),
        (
            "scatter of age and score",
            ChartSpec::Scatter {
                x: "age".into(),
                y: "score".into(),
            },
        ),
        (
            "line of the average score along address.zip",
            ChartSpec::Line {
                x: "address.zip".into(),
                measure: Measure::Average("score".into()),
            },
        ),
    ];
    for (what, spec) in specs {
        let before = status_bytes("VmHWM").unwrap_or(0);
        let (started, cpu) = (Instant::now(), cpu_seconds());
        let chart = db
            .chart("people", &json!({}), &spec, None, &mut |_, _| {})
            .expect("chart");
        let (took, cpu) = (started.elapsed(), cpu_seconds() - cpu);
        let peak = status_bytes("VmHWM").unwrap_or(0);
        let holds = match &chart.series {
            Series::Bars(bars) => format!("{} bars", bars.bars.len()),
            Series::Histogram(h) => format!("{} bins", h.bins.len()),
            Series::Scatter(s) => format!("{} of {} points", s.points.len(), s.total),
            Series::Line(l) => format!("{} points", l.points.len()),
        };
        println!(
            "chart of {records} records, {what}: {:.2} s ({cpu:.2} s CPU), {holds}; peak memory {:.0} MB (+{:.0} MB)",
            took.as_secs_f64(),
            peak as f64 / 1e6,
            peak.saturating_sub(before) as f64 / 1e6
        );
    }
}
