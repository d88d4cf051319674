//! A folder another program writes opens read-only and live: its commits
//! show in the sidebar counts, the page (same page, same selection) and the
//! record editor within a second; Pause holds the view still; when the
//! program closes the folder Studio offers to open it for writing.
//!
//! "The other program" is a writer handle in this test process: it holds
//! the folder's lock exactly as another process would. A program that
//! opens the folder shared writes beside Studio, which writes between its
//! commits and stops at a record the program changed under an edit.

use egui::Key;
use egui_kittest::kittest::Queryable;
use fluxdb::engine::{FluxDB, OpenOptions};
use serde_json::json;

use crate::support::{
    App, config, double_click, harness, opened, page_ids, retype, step_until, temp_db,
    wait_for_label, wait_idle, write_and_wait,
};

fn sidebar_records(harness: &App, name: &str) -> Option<usize> {
    let state = harness.state().state();
    let entry = state.collections.iter().find(|e| e.name == name)?;
    entry.summary.as_ref().map(|s| s.records)
}

fn editor_text(harness: &App) -> String {
    harness.state().state().edit.record.text.clone()
}

#[test]
fn commits_of_another_program_show_live_and_pause_holds_the_view() {
    let db = temp_db();
    let mut writer = FluxDB::open(db.path()).expect("the other program opens the folder");
    let mut harness = harness(config(Some(&db.path()), db.dir.path()));
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    harness.get_by_label_contains("read-only · live");
    harness.get_by_label("Live");
    harness.get_by_label("Record editor").click();
    harness.run_steps(2);
    harness.get_by_label("Person 002").click();
    harness.run_steps(2);
    assert!(editor_text(&harness).contains("Person 002"));

    // The program changes the selected record, adds two and deletes one.
    writer
        .update("people", "p002", &json!({"$set": {"name": "Renamed live"}}))
        .unwrap();
    writer
        .insert(
            "people",
            json!({"_id": "p120", "name": "New one", "age": 1}),
        )
        .unwrap();
    writer
        .insert("visits", json!({"_id": "v2", "total": 1.0}))
        .unwrap();
    writer.delete("people", "p000").unwrap();
    writer.flush().unwrap();

    step_until(&mut harness, "the commits to show", |h| {
        editor_text(h).contains("Renamed live") && sidebar_records(h, "visits") == Some(2)
    });
    wait_idle(&mut harness);
    wait_for_label(&mut harness, "1–50 of 120");
    let ids = page_ids(&harness);
    assert_eq!(
        ids.first().map(String::as_str),
        Some("p001"),
        "p000 is gone"
    );
    let state = harness.state().state();
    let view = state.current.as_ref().unwrap();
    let selected: Vec<_> = view
        .selection
        .rows
        .iter()
        .map(|&row| ids[row].clone())
        .collect();
    assert_eq!(selected, ["p002"], "the same record stays selected");
    assert_eq!(sidebar_records(&harness, "people"), Some(120));
    assert_eq!(state.status.live.as_ref().unwrap().changes, 4);
    harness.get_by_label("4 changes");

    // Paused: new commits wait; Resume brings them.
    harness.get_by_label("Pause").click();
    harness.run_steps(2);
    harness.get_by_label("⏸ Paused");
    writer
        .update("people", "p002", &json!({"$set": {"name": "While paused"}}))
        .unwrap();
    writer.flush().unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_millis(800);
    while std::time::Instant::now() < until {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(editor_text(&harness).contains("Renamed live"), "held still");
    harness.get_by_label("Resume").click();
    step_until(&mut harness, "the paused commit to show", |h| {
        editor_text(h).contains("While paused")
    });

    // The program exits: Studio offers to open the folder for writing and
    // keeps the collection on screen. It opens it shared, so it still
    // follows whoever writes next.
    harness.get_by_label("visits").click();
    wait_idle(&mut harness);
    drop(writer);
    wait_for_label(&mut harness, "The other program closed the folder");
    harness.get_by_label("Open for writing").click();
    step_until(&mut harness, "the folder to open for writing", |h| {
        let state = h.state().state();
        state
            .folder
            .as_ref()
            .is_some_and(|f| !f.read_only && f.shared)
    });
    wait_idle(&mut harness);
    let state = harness.state().state();
    assert_eq!(
        state.current.as_ref().map(|v| v.name.as_str()),
        Some("visits")
    );
    assert!(!state.status.live.as_ref().unwrap().writer_gone);
    harness.get_by_label_contains("shared · live");
    assert!(harness.query_by_label("Open for writing").is_none());
}

#[test]
fn studio_writes_beside_a_program_that_shares_the_folder() {
    let (db, mut harness) = opened();
    harness.get_by_label_contains("shared · live");
    // The program opens the folder Studio has open, and writes.
    let mut program = OpenOptions::new()
        .shared(true)
        .open(db.path())
        .expect("the program opens the folder beside Studio");
    program
        .insert("people", json!({"_id": "p120", "name": "From the program"}))
        .unwrap();
    step_until(&mut harness, "the program's insert to show", |h| {
        sidebar_records(h, "people") == Some(121)
    });
    wait_idle(&mut harness);

    // A hand edit is written between the program's writes.
    double_click(&mut harness, "Person 001");
    retype(&mut harness, "Fixed by hand");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    program
        .insert("people", json!({"_id": "p121", "name": "Also the program"}))
        .unwrap();
    write_and_wait(&mut harness);
    assert!(harness.state().state().edit.pending.is_empty());
    program
        .update("people", "p003", &json!({"$set": {"age": 99}}))
        .unwrap();
    let name =
        |program: &FluxDB, id: &str| program.get("people", id).unwrap().unwrap()["name"].clone();
    assert_eq!(name(&program, "p001"), json!("Fixed by hand"));
    assert_eq!(program.count("people", &json!({})).unwrap(), 122);

    // The program changes a record while Studio holds an edit of it: the
    // write stops and shows it, and nothing of the program's is lost.
    double_click(&mut harness, "Person 002");
    retype(&mut harness, "Mine");
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    program
        .update(
            "people",
            "p002",
            &json!({"$set": {"name": "The program's"}}),
        )
        .unwrap();
    write_and_wait(&mut harness);
    harness.get_by_label("Records changed on disk");
    harness.get_by_label("people / p002");
    program.refresh().unwrap();
    assert_eq!(name(&program, "p002"), json!("The program's"));
    step_until(
        &mut harness,
        "the sidebar to count the program's records",
        |h| sidebar_records(h, "people") == Some(122),
    );
}
