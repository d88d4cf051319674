//! `FluxDB::chart`: the series of what a filter matches, in one read, and
//! cancelled.

use fluxdb::Error;
use fluxdb::engine::chart::{BarOrder, ChartSpec, Measure, Series};
use fluxdb::engine::{CancelToken, FluxDB};
use serde_json::json;

const CITIES: [&str; 3] = ["Oslo", "Lima", "Kyiv"];

fn orders(n: u64) -> (tempfile::TempDir, FluxDB) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut db = FluxDB::open(dir.path().join("db")).expect("open");
    let records = (0..n)
        .map(|i| {
            let city = CITIES[i as usize % 3];
            json!({
                "_id": format!("o{i:05}"),
                "city": city,
                "total": i % 10,
                "paid": i % 2 == 0,
            })
        })
        .collect();
    db.insert_many("orders", records).expect("insert");
    db.flush().expect("flush");
    (dir, db)
}

#[test]
fn a_chart_covers_every_record_the_filter_matches() {
    let (_dir, db) = orders(3_000);
    let spec = ChartSpec::Bar {
        category: "city".into(),
        measure: Measure::Sum("total".into()),
        top: 10,
        order: BarOrder::Category,
    };
    let mut reports = Vec::new();
    let chart = db
        .chart(
            "orders",
            &json!({"paid": true}),
            &spec,
            None,
            &mut |read, total| reports.push((read, total)),
        )
        .expect("chart");
    assert_eq!(chart.records, 1_500);
    let Series::Bars(bars) = &chart.series else {
        panic!("not bars");
    };
    let mut truth = std::collections::BTreeMap::new();
    for i in (0..3_000u64).filter(|i| i % 2 == 0) {
        let entry = truth.entry(CITIES[i as usize % 3]).or_insert((0usize, 0.0));
        entry.0 += 1;
        entry.1 += (i % 10) as f64;
    }
    let shown: Vec<(&str, usize, f64)> = bars
        .bars
        .iter()
        .map(|b| (b.label.as_str(), b.tally.count, b.tally.sum))
        .collect();
    let expected: Vec<(&str, usize, f64)> = truth.iter().map(|(k, (n, s))| (*k, *n, *s)).collect();
    assert_eq!(shown, expected);
    assert_eq!(reports.last(), Some(&(3_000, 3_000)));
}

#[test]
fn a_cancelled_chart_stops_with_cancelled() {
    let (_dir, db) = orders(100);
    let cancel = CancelToken::new();
    cancel.cancel();
    let spec = ChartSpec::Histogram {
        field: "total".into(),
    };
    let result = db.chart("orders", &json!({}), &spec, Some(&cancel), &mut |_, _| {});
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
}
