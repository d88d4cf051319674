//! The field-by-field diff wherever a change is shown: the pending list,
//! the conflict dialog's three versions, and File > Compare with backup…,
//! whose chosen records are staged back as pending changes and written.

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use fluxdb::engine::{DiffStatus, FluxDB};
use fluxdb::studio::edit::pending::ChangeKind;
use serde_json::json;

use crate::support::{
    App, click, double_click, opened, records, retype, set_text, step_until, wait_for_label,
    wait_idle, wait_notice, write_and_wait,
};

fn file_menu(harness: &mut App, item: &str) {
    click(harness, "File");
    click(harness, item);
}

fn pending_kinds(harness: &App) -> Vec<(ChangeKind, String)> {
    harness
        .state()
        .state()
        .edit
        .pending
        .iter()
        .map(|c| (c.kind(), c.id.clone()))
        .collect()
}

/// Opens Compare with backup… on `file` and waits for its list.
fn compare(harness: &mut App, file: &std::path::Path) {
    file_menu(harness, "Compare with backup…");
    set_text(harness, "File path", &file.display().to_string());
    click(harness, "Compare");
    step_until(harness, "the comparison", |h| {
        let dialogs = &h.state().state().dialogs;
        dialogs.compare.as_ref().is_some_and(|d| d.result.is_some())
    });
    wait_idle(harness);
}

#[test]
fn the_pending_list_shows_each_change_as_a_field_diff_with_types() {
    let (_db, mut harness) = opened();
    harness.get_by_label("Record editor").click();
    harness.run_steps(2);
    harness.get_by_label("Person 002").click();
    harness.run_steps(2);
    harness.get_by_label("Record JSON").focus();
    harness.run_steps(1);
    // p002: age 34 becomes text, the second tag changes, city goes.
    retype(
        &mut harness,
        r#"{"_id": "p002", "name": "Person 002", "age": "34", "tags": ["a", 9],
            "address": {"street": "2 Main St", "zip": 1002}}"#,
    );
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label("1 pending change").click();
    harness.run_steps(2);
    assert!(harness.state().state().edit.show_pending);
    // Paths with dots and positions, the types of a type change (age's),
    // a removal (city's; "age" and "city" also head grid columns).
    for label in ["tags.1", "removed", "(number", "string)"] {
        harness.get_by_label(label);
    }
    // Values as JSON, so a number and its text read apart.
    harness.get_by_label("\"34\"");
    harness.get_by_label("\"Lima\"");
    assert!(
        harness.query_by_label("\"Person 002\"").is_none(),
        "a field that did not change is not listed"
    );
}

#[test]
fn the_conflict_dialog_shows_yours_and_on_disk_from_where_you_started() {
    let (_db, mut harness) = opened();
    double_click(&mut harness, "Person 000");
    retype(&mut harness, "Mine");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    // Every Lyon record (p000 among them) changes on disk meanwhile.
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    retype(&mut harness, r#"{"city": "Lyon"}"#);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_for_label(&mut harness, "1–30 of 30");
    click(&mut harness, "Edit");
    click(&mut harness, "Update matching records…");
    harness.get_by_label("Update").focus();
    harness.run_steps(1);
    retype(&mut harness, r#"{"$set": {"vip": true, "age": "20"}}"#);
    click(&mut harness, "Preview");
    wait_for_label(&mut harness, "30 records match; the first 10:");
    click(&mut harness, "Update 30 records");
    wait_for_label(&mut harness, "Updated 30 records of people");
    wait_idle(&mut harness);
    write_and_wait(&mut harness);
    harness.get_by_label("Records changed on disk");
    harness.get_by_label("people / p000");
    harness.get_by_label("Your change, from the version you started from:");
    harness.get_by_label("On disk now, from the version you started from:");
    // Yours: the name; on disk: vip added and age turned to text.
    harness.get_by_label("\"Mine\"");
    harness.get_by_label("\"20\"");
    harness.get_by_label("(number");
}

#[test]
fn compare_with_backup_lists_the_differences_and_restores_the_chosen_ones() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("shop-backup.fdb");
    file_menu(&mut harness, "Backup database…");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Back up");
    wait_notice(&mut harness, "Backed up 2 collection(s), 121 records");
    click(&mut harness, "Close");
    let before = records(&db.path(), "people");
    // After the backup: p000 renamed, p001 and p002 deleted.
    double_click(&mut harness, "Person 000");
    retype(&mut harness, "Renamed");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    for row in ["Person 001", "Person 002"] {
        harness.get_by_label(row).click();
        harness.run_steps(1);
        harness.key_press(Key::Delete);
        harness.run_steps(1);
    }
    write_and_wait(&mut harness);
    wait_for_label(&mut harness, "Wrote 3 changes in one transaction");

    compare(&mut harness, &file);
    let dialog = harness.state().state().dialogs.compare.clone().unwrap();
    let result = dialog.result.unwrap();
    let listed: Vec<(String, DiffStatus)> = result
        .diffs
        .iter()
        .map(|d| (d.id.clone(), d.status))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("p000".to_owned(), DiffStatus::Changed),
            ("p001".to_owned(), DiffStatus::OnlyInBackup),
            ("p002".to_owned(), DiffStatus::OnlyInBackup),
        ]
    );
    // In the dialog, and on the status line.
    assert_eq!(
        harness
            .get_all_by_label_contains(
                "3 records differ between the folder and the database backup"
            )
            .count(),
        2
    );
    harness.get_by_label("people: 1 changed, 2 only in the backup, 117 the same");
    harness.get_by_label("visits: 1 the same");
    // The short list shows every diff: p000's name, folder then backup.
    harness.get_by_label("\"Renamed\"");
    harness.get_by_label("\"Person 000\"");
    assert_eq!(harness.get_all_by_label("only in the backup").count(), 2);

    // Take back p000 and p001; p002 stays deleted.
    click(&mut harness, "people / p000");
    click(&mut harness, "people / p001");
    click(&mut harness, "Restore selected (2)");
    assert_eq!(
        pending_kinds(&harness),
        vec![
            (ChangeKind::Update, "p000".to_owned()),
            (ChangeKind::Insert, "p001".to_owned()),
        ]
    );
    assert!(harness.state().state().dialogs.compare.is_none());
    assert!(harness.state().state().edit.show_pending);
    harness.get_by_label("2 pending changes");
    write_and_wait(&mut harness);
    wait_for_label(&mut harness, "Wrote 2 changes in one transaction");

    // Only p002 differs now.
    compare(&mut harness, &file);
    let dialog = harness.state().state().dialogs.compare.clone().unwrap();
    let ids: Vec<String> = dialog.diffs().iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids, vec!["p002"]);
    drop(harness);
    let mut expected: Vec<_> = before
        .into_iter()
        .filter(|r| r["_id"] != json!("p002"))
        .collect();
    let mut now = records(&db.path(), "people");
    let key = |r: &fluxdb::Document| r["_id"].as_str().unwrap_or_default().to_owned();
    expected.sort_by_key(key);
    now.sort_by_key(key);
    assert_eq!(now, expected);
}

#[test]
fn a_damaged_backup_is_reported_in_the_compare_dialog() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("not-a-backup.fdb");
    std::fs::write(&file, "just some text, certainly not a FluxDB backup").unwrap();
    file_menu(&mut harness, "Compare with backup…");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Compare");
    step_until(&mut harness, "the comparison to fail", |h| {
        let dialogs = &h.state().state().dialogs;
        dialogs
            .compare
            .as_ref()
            .is_some_and(|d| matches!(d.job, fluxdb::studio::state::dialogs::JobState::Failed(_)))
    });
    assert_eq!(
        harness
            .get_all_by_label_contains("this is not a FluxDB backup")
            .count(),
        2,
        "in the dialog and on the status line"
    );
    let _ = FluxDB::open_read_only(db.path()).expect("the folder is as it was");
}
