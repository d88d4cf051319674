//! The Schema tab: every field of what the filter matches, exactly; a click
//! on a type, on "missing" or on a frequent value shows those records.

use egui_kittest::kittest::Queryable;
use fluxdb::engine::{FluxDB, OpenOptions};
use fluxdb::studio::state::Tab;
use serde_json::json;

use crate::support::{
    App, PEOPLE, click, config, harness, page_ids, temp_db, wait_for_label, wait_idle,
};

/// `people` with three odd records: an age that is text, one without an
/// age (or a city), one whose age is null.
fn mixed() -> (crate::support::TempDb, App) {
    let db = temp_db();
    let mut engine = FluxDB::open(db.path()).expect("open");
    engine
        .insert_many(
            "people",
            vec![
                json!({"_id": "x1", "age": "31", "city": "Oslo"}),
                json!({"_id": "x2", "name": "No age"}),
                json!({"_id": "x3", "age": null}),
            ],
        )
        .expect("insert");
    engine.flush().expect("flush");
    drop(engine);
    let mut harness = harness(config(Some(&db.path()), db.dir.path()));
    wait_for_label(&mut harness, "1–50 of 123");
    wait_idle(&mut harness);
    (db, harness)
}

fn open_schema_tab(harness: &mut App) {
    click(harness, "Schema");
    wait_for_label(harness, "every record read in");
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

#[test]
fn the_tab_counts_every_field_and_each_click_filters_to_those_records() {
    let (_db, mut harness) = mixed();
    open_schema_tab(&mut harness);
    let records = PEOPLE + 3;
    wait_for_label(&mut harness, &format!("fields in {records} records"));
    {
        let state = harness.state().state();
        let schema = state.schema.schema().expect("the analysis");
        let age = schema.fields.iter().find(|f| f.path == "age").unwrap();
        assert_eq!(age.count, records - 1);
        assert_eq!(
            serde_json::Value::Object(age.types.clone()),
            json!({"null": 1, "int": PEOPLE, "string": 1})
        );
        assert!(schema.fields.iter().any(|f| f.path == "tags[]"));
        assert!(schema.fields.iter().any(|f| f.path == "address.zip"));
    }

    // A type: the one record whose age is text.
    click(&mut harness, "string 1");
    wait_for_label(&mut harness, "1–1 of 1");
    assert_eq!(harness.state().state().edit.tab, Tab::Documents);
    assert_eq!(
        applied_filter(&harness),
        json!({"age": {"$type": "string"}})
    );
    assert_eq!(page_ids(&harness), ["x1"]);

    // Back in the tab, the analysis is of that filter; clear it again.
    open_schema_tab(&mut harness);
    wait_for_label(&mut harness, "in 1 record matching the filter");
    crate::support::set_text(&mut harness, "Filter", "{}");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    wait_for_label(&mut harness, &format!("fields in {records} records,"));

    // "missing": the record without an age.
    click(&mut harness, "missing 1");
    wait_for_label(&mut harness, "1–1 of 1");
    assert_eq!(applied_filter(&harness), json!({"age": {"$exists": false}}));
    assert_eq!(page_ids(&harness), ["x2"]);

    // A frequent value: every record in Oslo.
    crate::support::set_text(&mut harness, "Filter", "{}");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    wait_idle(&mut harness);
    open_schema_tab(&mut harness);
    wait_for_label(&mut harness, &format!("fields in {records} records,"));
    click(&mut harness, "\"Oslo\" ×31");
    wait_for_label(&mut harness, "1–31 of 31");
    assert_eq!(applied_filter(&harness), json!({"city": "Oslo"}));
}

#[test]
fn a_selected_field_lists_its_top_ten_and_a_write_outdates_the_analysis() {
    let (db, mut harness) = mixed();
    open_schema_tab(&mut harness);
    // The row of `city`: its details list every frequent value.
    harness.get_by_label("city").click();
    harness.run_steps(2);
    wait_for_label(&mut harness, "in 121 of 123 records");
    assert!(
        harness
            .query_all_by_label_contains("\"Kyiv\" ×30")
            .next()
            .is_some()
    );

    // Another program writes the folder (Studio opened it shared): the
    // result says it is outdated, and Analyse again counts the new record.
    let mut writer = OpenOptions::new()
        .shared(true)
        .open(db.path())
        .expect("open shared beside Studio");
    writer
        .insert("people", json!({"_id": "late", "city": "Kyiv"}))
        .expect("insert");
    drop(writer);
    wait_for_label(&mut harness, "Records changed since this analysis");
    click(&mut harness, "⟳ Analyse again");
    wait_for_label(&mut harness, "fields in 124 records");
    assert!(
        harness
            .query_all_by_label_contains("\"Kyiv\" ×31")
            .next()
            .is_some()
    );
}
