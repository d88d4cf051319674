//! The Chart tab: drawn on the records the filter matches, a click on a bar
//! shows its records, the series exports as CSV, a scatter says when it
//! samples, and a line reads ISO dates.

use egui_kittest::kittest::Queryable;
use fluxdb::engine::FluxDB;
use fluxdb::studio::state::Tab;
use serde_json::json;

use crate::support::{
    App, click, config, harness, opened, page_ids, set_text, temp_db, wait_for_label, wait_idle,
};

fn open_chart_tab(harness: &mut App) {
    click(harness, "Chart");
    wait_for_label(harness, "Click a bar to see its records");
}

fn applied_filter(harness: &App) -> serde_json::Value {
    let state = harness.state().state();
    let view = state.current.as_ref().expect("a collection on screen");
    view.applied
        .as_ref()
        .expect("a query applied")
        .filter
        .clone()
}

/// Clicks the middle of row `row` (0: the top one) of `rows` rows of the
/// plot labelled `label`, near its left edge, where every bar starts.
fn click_row(harness: &mut App, label: &str, row: usize, rows: usize) {
    let rect = harness.get_by_label(label).rect();
    let y = rect.top() + rect.height() * (row as f32 + 0.5) / rows as f32;
    let at = egui::pos2(rect.left() + 6.0, y);
    harness.hover_at(at);
    harness.run_steps(1);
    harness.drag_at(at);
    harness.run_steps(1);
    harness.drop_at(at);
    harness.run_steps(2);
}

#[test]
fn bars_are_drawn_on_every_matching_record_and_a_click_shows_a_bar() {
    let (_db, mut harness) = opened();
    open_chart_tab(&mut harness);
    // The likely field: the text with the fewest values (city, not name).
    wait_for_label(&mut harness, "4 of 4 values over 120 records");
    let plot = "Bar chart: count by city";
    assert!(harness.query_by_label(plot).is_some());

    // The top bar is the first city seen among equals: Lyon, 30 records.
    click_row(&mut harness, plot, 0, 4);
    wait_for_label(&mut harness, "1–30 of 30");
    assert_eq!(harness.state().state().edit.tab, Tab::Documents);
    assert_eq!(applied_filter(&harness), json!({"city": "Lyon"}));
    assert!(page_ids(&harness).iter().all(|id| {
        let n: usize = id[1..].parse().unwrap();
        n.is_multiple_of(4)
    }));

    // Back in the tab, the chart is of that filter: one bar.
    click(&mut harness, "Chart");
    wait_for_label(
        &mut harness,
        "1 of 1 values over 30 records matching the filter",
    );
}

#[test]
fn the_series_exports_as_csv_with_a_header() {
    let (db, mut harness) = opened();
    open_chart_tab(&mut harness);
    wait_for_label(&mut harness, "4 of 4 values over 120 records");
    click(&mut harness, "Export CSV…");
    let file = db.dir.path().join("cities.csv");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Export");
    wait_for_label(&mut harness, "Wrote 4 rows to");
    let text = std::fs::read_to_string(&file).expect("the CSV written");
    assert_eq!(text, "city,records\nLyon,30\nOslo,30\nLima,30\nKyiv,30\n");
}

#[test]
fn a_histogram_and_a_line_are_drawn_and_a_scatter_says_it_samples() {
    let db = temp_db();
    let mut engine = FluxDB::open(db.path()).expect("open");
    let readings = (0..10_050)
        .map(|i| {
            json!({
                "_id": format!("m{i:05}"),
                "x": i,
                "y": (i % 97) as f64 / 4.0,
                "day": format!("2026-03-{:02}", 1 + i % 28),
            })
        })
        .collect();
    engine.insert_many("readings", readings).expect("insert");
    engine.flush().expect("flush");
    drop(engine);
    let mut harness = harness(config(Some(&db.path()), db.dir.path()));
    // The first collection's page first: a click while the folder is
    // still opening can land before the sidebar has settled.
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    click(&mut harness, "readings");
    wait_for_label(&mut harness, "of 10,050");
    wait_idle(&mut harness);
    click(&mut harness, "Chart");

    click(&mut harness, "Scatter");
    wait_for_label(&mut harness, "sampled 10,000 of 10,050 points");
    assert!(
        harness
            .query_by_label("Scatter plot: y against x")
            .is_some()
    );

    click(&mut harness, "Histogram");
    wait_for_label(&mut harness, "10,050 numbers of 10,050 records in");
    assert!(harness.query_by_label("Histogram of x").is_some());

    // A line is along the dates, picked first; numbers can be picked too.
    click(&mut harness, "Line");
    wait_for_label(&mut harness, "28 dates over 10,050 records");
    assert!(harness.query_by_label("Line: count along day").is_some());
    click(&mut harness, "Along");
    click(&mut harness, "x");
    // 10,050 distinct values: shown in buckets.
    wait_for_label(&mut harness, "buckets of");
}

#[test]
fn the_aggregation_output_is_charted_with_its_own_fields() {
    let (_db, mut harness) = opened();
    open_chart_tab(&mut harness);
    click(&mut harness, "the aggregation's output");
    // The Aggregation tab's default pipeline: the first 50 records.
    wait_for_label(&mut harness, "4 of 4 values over 50 output documents");
    assert!(
        harness
            .query_all_by_label_contains("Click a bar to see its records")
            .next()
            .is_none(),
        "an output document is not a record a filter can show"
    );
}
