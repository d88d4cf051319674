//! Editing end to end: cells and records staged as pending changes, the
//! pending list, undo, write in one transaction (checked by reopening the
//! folder with the engine), revert, records changed underneath, bulk
//! updates with a preview, aggregation, and the question before leaving.

use egui::{Key, Modifiers};
use egui_kittest::kittest::{NodeT, Queryable};
use fluxdb::Document;
use fluxdb::engine::FluxDB;
use fluxdb::studio::edit::pending::ChangeKind;
use serde_json::{Value, json};

use crate::support::{
    self, App, TempDb, config, double_click, harness, retype, step_until, temp_db, wait_for_label,
    wait_idle, write_and_wait,
};

fn opened() -> (TempDb, App) {
    let (db, mut harness) = support::opened();
    harness.get_by_label("Record editor").click();
    harness.run_steps(2);
    (db, harness)
}

fn pending(harness: &App) -> Vec<(ChangeKind, String, Option<Document>)> {
    harness
        .state()
        .state()
        .edit
        .pending
        .iter()
        .map(|c| (c.kind(), c.id.clone(), c.after.clone()))
        .collect()
}

/// The record as stored, read by reopening the folder (Studio's worker
/// must have let go of it first).
fn on_disk(harness: App, db: &TempDb, id: &str) -> Option<Document> {
    drop(harness);
    let engine = FluxDB::open(db.path()).expect("reopen the folder");
    engine.get("people", id).expect("read the record")
}

fn page_value(harness: &App, row: usize, field: &str) -> Option<Value> {
    harness
        .state()
        .state()
        .row_record(row)
        .and_then(|(doc, _)| doc.get(field).cloned())
}

#[test]
fn a_cell_edit_keeps_the_type_and_is_written_with_ctrl_s() {
    let (db, mut harness) = opened();
    // p000's age is the number 20: a double-click edits it in place.
    double_click(&mut harness, "Person 000");
    assert!(
        harness.state().state().edit.cell.is_some(),
        "double-click opens the cell editor"
    );
    retype(&mut harness, "Person zero");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    // F2 on the selected row's last clicked cell (the name) edits it too;
    // a number-looking text typed into a string stays a string.
    harness.get_by_label("Person zero").click();
    harness.run_steps(1);
    harness.key_press(Key::F2);
    harness.run_steps(2);
    retype(&mut harness, "42");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    assert_eq!(page_value(&harness, 0, "name"), Some(json!("42")));
    harness.get_by_label("1 pending change");
    // Esc cancels an edit: nothing more is staged.
    harness.key_press(Key::F2);
    harness.run_steps(2);
    retype(&mut harness, "ignored");
    harness.key_press(Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().state().edit.cell.is_none());
    assert_eq!(page_value(&harness, 0, "name"), Some(json!("42")));

    write_and_wait(&mut harness);
    wait_for_label(&mut harness, "Wrote 1 change in one transaction");
    let record = on_disk(harness, &db, "p000");
    assert_eq!(
        record.as_ref().and_then(|r| r.get("name")),
        Some(&json!("42"))
    );
    assert_eq!(
        record.as_ref().and_then(|r| r.get("age")),
        Some(&json!(20)),
        "other fields keep their types"
    );
}

#[test]
fn a_number_cell_stays_a_number_unless_its_type_is_changed() {
    let (_db, mut harness) = opened();
    // p001 is 27 years old; no other cell on the page reads "27" before it.
    let row = 1;
    let age = page_value(&harness, row, "age");
    assert_eq!(age, Some(json!(27)));
    double_click(&mut harness, "27");
    let cell = harness.state().state().edit.cell.clone();
    assert_eq!(
        cell.as_ref().map(|c| (c.row, c.field.as_str())),
        Some((row, "age"))
    );
    retype(&mut harness, "31.5");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    assert_eq!(page_value(&harness, row, "age"), Some(json!(31.5)));
    // Text that is not a number is refused, with the reason, and not staged.
    double_click(&mut harness, "31.5");
    retype(&mut harness, "thirty");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    harness.get_by_label_contains("is not a number");
    assert_eq!(page_value(&harness, row, "age"), Some(json!(31.5)));
}

#[test]
fn the_record_editor_refuses_bad_json_with_line_and_column_then_stages_good_json() {
    let (db, mut harness) = opened();
    harness.get_by_label("Person 002").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().state().edit.record.id.as_deref(),
        Some("p002")
    );
    harness.get_by_label("Record JSON").focus();
    harness.run_steps(1);
    retype(&mut harness, "{\n  \"_id\": \"p002\",\n  \"name\": oops\n}");
    harness.get_by_label_contains("line 3:11");
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    assert!(pending(&harness).is_empty(), "bad JSON is never staged");
    // The _id cannot change.
    harness.get_by_label("Record JSON").focus();
    harness.run_steps(1);
    retype(&mut harness, "{\"_id\": \"other\"}");
    harness.get_by_label_contains("_id cannot be changed");
    retype(
        &mut harness,
        "{\n  \"_id\": \"p002\",\n  \"name\": \"Renamed\",\n  \"age\": 5\n}",
    );
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    let staged = pending(&harness);
    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].0, ChangeKind::Update);
    write_and_wait(&mut harness);
    // The whole record was replaced: fields left out are gone.
    let record = on_disk(harness, &db, "p002");
    assert_eq!(
        record.map(Value::Object),
        Some(json!({"_id": "p002", "name": "Renamed", "age": 5}))
    );
}

#[test]
fn new_duplicate_and_delete_are_staged_then_written_together() {
    let (db, mut harness) = opened();
    harness.get_by_label("New record").click();
    harness.run_steps(2);
    harness.get_by_label("Person 003").click();
    harness.run_steps(1);
    harness.get_by_label("Duplicate").click();
    harness.run_steps(2);
    harness.get_by_label("Person 004").click();
    harness.run_steps(1);
    harness.get_by_label("Delete").click();
    harness.run_steps(2);
    let staged = pending(&harness);
    let kinds: Vec<ChangeKind> = staged.iter().map(|c| c.0).collect();
    assert_eq!(
        kinds,
        vec![ChangeKind::Insert, ChangeKind::Insert, ChangeKind::Delete]
    );
    harness.get_by_label("3 pending changes");
    let copy_id = staged[1].1.clone();
    let new_id = staged[0].1.clone();
    write_and_wait(&mut harness);
    wait_for_label(&mut harness, "Wrote 3 changes in one transaction");
    drop(harness);
    let engine = FluxDB::open(db.path()).expect("reopen");
    assert!(engine.get("people", "p004").expect("read").is_none());
    let copy = engine.get("people", &copy_id).expect("read");
    assert_eq!(
        copy.and_then(|c| c.get("name").cloned()),
        Some(json!("Person 003"))
    );
    assert!(engine.get("people", &new_id).expect("read").is_some());
    assert_eq!(engine.count("people", &json!({})).expect("count"), 121);
}

#[test]
fn the_pending_list_reverts_one_change_and_ctrl_z_undoes() {
    let (db, mut harness) = opened();
    for label in ["Person 005", "Person 006"] {
        harness.get_by_label(label).click();
        harness.run_steps(1);
        harness.key_press(Key::Delete);
        harness.run_steps(1);
    }
    harness.get_by_label("2 pending changes").click();
    harness.run_steps(2);
    harness.get_by_label_contains("people / p005");
    // Revert p005 (the first Revert button), keeping p006.
    if let Some(first) = harness.get_all_by_label("Revert").next() {
        first.click();
    }
    harness.run_steps(2);
    let ids: Vec<String> = pending(&harness).into_iter().map(|c| c.1).collect();
    assert_eq!(ids, vec!["p006"]);
    // Ctrl+Z brings the reverted change back, a second one undoes p006's delete.
    harness.get_by_label("Person 007").click();
    harness.run_steps(1);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(1);
    assert_eq!(pending(&harness).len(), 2);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    harness.run_steps(1);
    let ids: Vec<String> = pending(&harness).into_iter().map(|c| c.1).collect();
    assert_eq!(ids, vec!["p005"]);
    // Revert all drops everything; nothing reaches the disk.
    harness.get_by_label("Revert all").click();
    harness.run_steps(2);
    assert!(pending(&harness).is_empty());
    assert!(on_disk(harness, &db, "p005").is_some());
}

#[test]
fn a_record_changed_underneath_stops_the_write_and_can_be_reloaded() {
    let (db, mut harness) = opened();
    // Stage a change to p000 (in Lyon).
    delete_row(&mut harness, "Person 000");
    // Then change every Lyon record through a bulk update, with a preview first.
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    retype(&mut harness, r#"{"city": "Lyon"}"#);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_for_label(&mut harness, "1–30 of 30");
    harness.get_by_label("Edit").click();
    harness.run_steps(2);
    harness.get_by_label("Update matching records…").click();
    harness.run_steps(2);
    harness.get_by_label("Update").focus();
    harness.run_steps(1);
    retype(&mut harness, r#"{"$set": {"vip": true}}"#);
    harness.get_by_label("Preview").click();
    wait_for_label(&mut harness, "30 records match; the first 10:");
    assert_eq!(
        harness.get_all_by_label("vip").count(),
        10,
        "the first ten matches, each with its added field"
    );
    drop_check_not_written(&db);
    harness.get_by_label("Update 30 records").click();
    wait_for_label(&mut harness, "Updated 30 records of people");
    wait_idle(&mut harness);

    // The staged delete of p000 now meets a record that changed on disk.
    write_and_wait(&mut harness);
    harness.get_by_label("Records changed on disk");
    harness.get_by_label("people / p000");
    assert_eq!(pending(&harness).len(), 1, "the change stays staged");
    harness.get_by_label("Reload those records").click();
    harness.run_steps(2);
    wait_idle(&mut harness);
    assert!(pending(&harness).is_empty());
    let record = on_disk(harness, &db, "p000");
    assert_eq!(
        record.and_then(|r| r.get("vip").cloned()),
        Some(json!(true))
    );
}

/// A preview writes nothing: no Lyon record is a VIP yet (read through
/// the engine's read-only view while Studio holds the writer lock).
fn drop_check_not_written(db: &TempDb) {
    if let Ok(engine) = FluxDB::open_read_only(db.path()) {
        let vips = engine
            .count("people", &json!({"vip": true}))
            .unwrap_or(usize::MAX);
        assert_eq!(vips, 0);
    }
}

#[test]
fn overwrite_writes_over_a_record_changed_underneath() {
    let (db, mut harness) = opened();
    double_click(&mut harness, "Person 001");
    retype(&mut harness, "Mine");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    harness.get_by_label("Edit").click();
    harness.run_steps(2);
    harness.get_by_label("Update matching records…").click();
    harness.run_steps(2);
    harness.get_by_label("Update").focus();
    harness.run_steps(1);
    retype(&mut harness, r#"{"$set": {"name": "Theirs"}}"#);
    harness.get_by_label("Preview").click();
    wait_for_label(&mut harness, "120 records match; the first 10:");
    // An empty filter needs the tick before anything is written.
    assert!(
        harness
            .get_by_label("Update 120 records")
            .accesskit_node()
            .is_disabled()
    );
    harness
        .get_by_label("The filter is empty: change every record of people")
        .click();
    harness.run_steps(1);
    harness.get_by_label("Update 120 records").click();
    wait_for_label(&mut harness, "Updated 120 records of people");
    wait_idle(&mut harness);
    write_and_wait(&mut harness);
    harness.get_by_label("Overwrite").click();
    step_until(&mut harness, "the overwrite", |h| {
        h.state().state().edit.pending.is_empty()
    });
    wait_idle(&mut harness);
    let record = on_disk(harness, &db, "p001");
    assert_eq!(
        record.and_then(|r| r.get("name").cloned()),
        Some(json!("Mine"))
    );
}

#[test]
fn switching_collection_with_pending_changes_asks_first() {
    let (_db, mut harness) = opened();
    delete_row(&mut harness, "Person 008");
    harness.get_by_label("visits").click();
    harness.run_steps(2);
    harness.get_by_label("Unwritten changes");
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    assert_eq!(
        harness
            .state()
            .state()
            .current
            .as_ref()
            .map(|v| v.name.as_str()),
        Some("people")
    );
    assert_eq!(pending(&harness).len(), 1);
    harness.get_by_label("visits").click();
    harness.run_steps(2);
    harness.get_by_label("Discard").click();
    wait_for_label(&mut harness, "1–1 of 1");
    assert!(pending(&harness).is_empty());
}

#[test]
fn the_aggregation_tab_runs_a_pipeline_and_shows_its_errors() {
    let (_db, mut harness) = opened();
    harness.get_by_label("Aggregation").click();
    harness.run_steps(2);
    harness.get_by_label("Pipeline").focus();
    harness.run_steps(1);
    retype(
        &mut harness,
        r#"[{"$group": {"_id": "$city", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]"#,
    );
    harness.get_by_label("▶ Run pipeline").click();
    wait_for_label(&mut harness, "4 result documents");
    harness.get_by_label("Kyiv");
    harness.get_all_by_label("30").next();
    // Bad JSON is marked and not run; an engine error is shown.
    harness.get_by_label("Pipeline").focus();
    harness.run_steps(1);
    retype(&mut harness, "[{\"$group\": }]");
    harness.get_by_label_contains("line 1:13");
    retype(&mut harness, r#"[{"$bogus": {}}]"#);
    harness.get_by_label("▶ Run pipeline").click();
    wait_for_label(&mut harness, "Running the pipeline failed");
}

#[test]
fn a_read_only_folder_disables_editing_and_says_why() {
    let db = temp_db();
    // This process holds the writer lock: Studio opens the folder read-only.
    let _writer = FluxDB::open(db.path()).expect("hold the writer lock");
    let mut harness = harness(config(Some(&db.path()), db.dir.path()));
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    assert!(
        harness
            .state()
            .state()
            .folder
            .as_ref()
            .is_some_and(|f| f.read_only)
    );
    harness.get_by_label("Record editor").click();
    harness.run_steps(2);
    assert!(
        harness
            .get_by_label("New record")
            .accesskit_node()
            .is_disabled()
    );
    let why = harness.state().state().edit_blocked();
    assert!(why.is_some_and(|w| w.contains("read-only")), "{why:?}");
    double_click(&mut harness, "Person 000");
    assert!(harness.state().state().edit.cell.is_none());
}

/// Selects the row labelled `row` and stages its deletion (the Delete key).
fn delete_row(harness: &mut App, row: &str) {
    harness.get_by_label(row).click();
    harness.run_steps(1);
    harness.key_press(Key::Delete);
    harness.run_steps(1);
}
