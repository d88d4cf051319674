//! Big values (issue 17, part 5): a 1 MB string, a 2 MB record and a
//! 100,000-element array are shown folded
//! (a prefix, the length, "show all") in the grid, the record editor, the
//! cell editor, the expand view, the JSON view and the diffs; "show all"
//! opens the value viewer, whose page editor's change is staged, written,
//! and read back from disk. How fast is the bench's (`benches/studio.rs`).

use egui_kittest::kittest::Queryable;
use serde_json::Value;

use crate::support::{
    App, BIG_IDS, BIG_STRING_START, BigSizes, big_values_db, click, config, harness, page_ids,
    retype, set_text, step_until, wait_for_label, wait_idle, write_and_wait,
};

const SIZES: BigSizes = BigSizes {
    string_bytes: 1_000_000,
    record_bytes: 2_000_000,
    array_items: 100_000,
};

fn opened() -> (tempfile::TempDir, std::path::PathBuf, App) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("big");
    big_values_db(&path, SIZES);
    let mut harness = harness(config(Some(&path), dir.path()));
    wait_for_label(&mut harness, "big-string");
    wait_idle(&mut harness);
    (dir, path, harness)
}

/// Some label contains `text`.
#[track_caller]
fn shows(harness: &App, text: &str) {
    assert!(
        harness.query_all_by_label_contains(text).next().is_some(),
        "no label contains {text:?}"
    );
}

fn double_click_containing(harness: &mut App, text: &str) {
    harness.run_steps(30);
    for _ in 0..2 {
        let node = harness.query_all_by_label_contains(text).next();
        node.unwrap_or_else(|| panic!("no label contains {text:?}"))
            .click();
        harness.run_steps(1);
    }
    harness.run_steps(2);
}

fn viewer_ready(harness: &mut App) {
    step_until(harness, "the viewer's text", |h| {
        h.state()
            .state()
            .edit
            .viewer
            .as_ref()
            .is_some_and(|v| v.is_ready())
    });
}

#[test]
fn big_values_are_folded_in_every_view_and_show_all_opens_the_viewer() {
    let (_dir, _path, mut harness) = opened();
    assert_eq!(page_ids(&harness)[..4], BIG_IDS);
    // The grid: a prefix and the length.
    shows(&harness, BIG_STRING_START);
    harness.get_by_label("1.0 MB");
    harness.get_by_label("100,000 items");

    // The record editor: the record folded, read only, with "show all".
    click(&mut harness, "Record editor");
    click(&mut harness, "big-string");
    assert_eq!(harness.state().state().edit.record.text, "");
    shows(&harness, "\"text\": \"BIGSTRING lorem ipsum");
    shows(&harness, "<1,000,000 bytes>");
    harness.get_by_label("text: 1,000,000 bytes");
    harness.get_by_label("Edit the whole record");
    click(&mut harness, "show all");
    viewer_ready(&mut harness);
    let title = harness
        .state()
        .state()
        .edit
        .viewer
        .as_ref()
        .map(|v| v.title.clone());
    assert_eq!(title.as_deref(), Some("text of big-string"));
    shows(&harness, "1,000,000 bytes");
    shows(&harness, "1  BIGSTRING lorem ipsum");
    // Search within it.
    set_text(&mut harness, "Search", "line 1234 of");
    click(&mut harness, "Find");
    harness.get_by_label("1 of 1");
    click(&mut harness, "Close");
    assert!(harness.state().state().edit.viewer.is_none());

    // The cell editor: the value folded, and "show all" instead of a field.
    click(&mut harness, "Record editor");
    double_click_containing(&mut harness, BIG_STRING_START);
    let cell = harness.state().state().edit.cell.clone();
    assert!(cell.is_some_and(|c| c.folded.is_some() && c.text.is_empty()));
    harness.get_by_label("Too long to edit in the cell:");
    click(&mut harness, "show all");
    viewer_ready(&mut harness);
    assert!(harness.state().state().edit.cell.is_none());
    click(&mut harness, "Close");

    // The expand view: the first 100 items, how many more, "show all".
    double_click_containing(&mut harness, "[0,1,2,3,4");
    harness.get_by_label("the first 100, then 99,900 more items");
    click(&mut harness, "show all");
    viewer_ready(&mut harness);
    let title = harness
        .state()
        .state()
        .edit
        .viewer
        .as_ref()
        .map(|v| v.title.clone());
    assert_eq!(title.as_deref(), Some("items of big-array"));
    click(&mut harness, "Close");

    // The JSON view: every big record folded, each folded value with "show all".
    click(&mut harness, "JSON");
    shows(&harness, "<1,000,000 bytes>");
    shows(&harness, "\"items\": [0,1,2,3");
    shows(&harness, "<100,000 items>");
    harness.get_by_label("rows: 10,000 items");
    // Nested 100 levels deep: shown whole (it is small), no stack trouble.
    shows(&harness, "\"level\": 99,");
    assert!(harness.query_all_by_label("show all").count() >= 4);
}

#[test]
fn a_big_value_edited_in_the_viewer_is_written_and_reads_back() {
    let (_dir, path, mut harness) = opened();
    click(&mut harness, "Record editor");
    click(&mut harness, "big-string");
    click(&mut harness, "show all");
    viewer_ready(&mut harness);
    let original = harness
        .state()
        .state()
        .edit
        .viewer
        .as_ref()
        .map(|v| v.text().to_owned())
        .unwrap_or_default();
    click(&mut harness, "Edit this page");
    let page = harness
        .state()
        .state()
        .edit
        .viewer
        .as_ref()
        .and_then(|v| v.page.clone());
    let page_len = page.map_or(0, |p| p.text.len());
    assert!(
        page_len > 0 && page_len < 40_000,
        "a page, not the whole value"
    );
    harness.get_by_label("Page text").focus();
    harness.run_steps(1);
    retype(&mut harness, "EDITED first page");
    click(&mut harness, "Save");
    assert_eq!(harness.state().state().edit.pending.len(), 1);
    let expected = format!("EDITED first page{}", &original[page_len..]);

    // The pending list shows the change folded on both sides.
    click(&mut harness, "Close");
    click(&mut harness, "Record editor");
    click(&mut harness, "1 pending change");
    shows(&harness, "<1,000,000 bytes>");
    shows(
        &harness,
        &format!("<{} bytes>", format_count(expected.len())),
    );
    assert_eq!(harness.query_all_by_label("show all").count(), 2);
    write_and_wait(&mut harness);
    drop(harness);
    let stored = crate::support::records(&path, "big")
        .into_iter()
        .find(|r| r["_id"] == "big-string")
        .and_then(|r| r.get("text").and_then(Value::as_str).map(str::to_owned));
    assert_eq!(stored.as_deref(), Some(expected.as_str()));
}

#[test]
fn a_bulk_preview_folds_the_big_values_it_changes() {
    let (_dir, _path, mut harness) = opened();
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    retype(&mut harness, r#"{"_id": "big-array"}"#);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    wait_for_label(&mut harness, "1–1 of 1");
    click(&mut harness, "Edit");
    click(&mut harness, "Update matching records…");
    set_text(&mut harness, "Update", r#"{"$set": {"items": "gone"}}"#);
    click(&mut harness, "Preview");
    wait_for_label(&mut harness, "1 records match; the first 1:");
    shows(&harness, "[0,1,2,3");
    shows(&harness, "<100,000 items>");
    click(&mut harness, "show all");
    viewer_ready(&mut harness);
    let viewer = harness.state().state().edit.viewer.clone();
    assert!(
        viewer.as_ref().is_some_and(|v| v.target.is_none()),
        "read only"
    );
    assert_eq!(
        viewer.map(|v| v.title),
        Some("items (before) of big-array".to_owned())
    );
}

fn format_count(n: usize) -> String {
    fluxdb::studio::format::format_count(n)
}
