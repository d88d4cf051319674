//! Browsing an open folder: pages, counts, filters, sorting, paging, copy.

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use serde_json::Value;

use crate::support::{
    App, copied_text, opened, page_ids, set_text, step_until, type_into, wait_for_label, wait_idle,
};

/// Replaces the filter editor's text and runs it with Ctrl+Enter.
fn run_filter(harness: &mut App, filter: &str) {
    set_text(harness, "Filter", filter);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    harness.run_steps(1);
}

#[test]
fn opening_a_folder_shows_the_first_page_the_count_and_the_index() {
    let (_db, mut harness) = opened();
    // The sidebar lists both collections with their record counts.
    harness.get_by_label("people");
    harness.get_by_label("visits");
    harness.get_by_label("120");
    // The grid shows `_id` first, then the fields in first-seen order.
    let columns = harness
        .state()
        .state()
        .current
        .as_ref()
        .and_then(|v| v.page.as_ref())
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    assert_eq!(
        columns,
        vec!["_id", "name", "age", "city", "tags", "address"]
    );
    harness.get_by_label("Person 000");
    harness.get_by_label("people: 120 matched");
    harness.get_by_label_contains("indexed: age");
    // Every input has an accessible name.
    harness.run();
}

#[test]
fn picking_a_collection_shows_its_records() {
    let (_db, mut harness) = opened();
    harness.get_by_label("visits").click();
    wait_for_label(&mut harness, "1–1 of 1");
    harness.get_by_label("v1");
    harness.get_by_label("9.5");
}

#[test]
fn a_typed_filter_runs_with_ctrl_enter_and_is_kept_in_the_history() {
    let (_db, mut harness) = opened();
    run_filter(&mut harness, r#"{"city": "Oslo"}"#);
    wait_for_label(&mut harness, "1–30 of 30");
    assert!(page_ids(&harness).iter().all(|id| {
        id.trim_start_matches('p')
            .parse::<usize>()
            .is_ok_and(|i| i % 4 == 1)
    }));
    assert_eq!(
        harness
            .state()
            .state()
            .history()
            .first()
            .map(String::as_str),
        Some(r#"{"city": "Oslo"}"#)
    );
    harness.get_by_label_contains("full scan, examined 120 of 120");
    // A filter on the indexed field: the status bar names the index.
    run_filter(&mut harness, r#"{"age": 27}"#);
    wait_for_label(&mut harness, "index: age");
}

#[test]
fn bad_json_is_shown_at_its_line_and_column_and_never_run() {
    let (_db, mut harness) = opened();
    let before = page_ids(&harness);
    run_filter(&mut harness, "{\"age\": }");
    wait_for_label(&mut harness, "filter 1:9");
    wait_idle(&mut harness);
    assert_eq!(page_ids(&harness), before, "the bad filter must not run");
    assert!(harness.state().state().history().is_empty());
    assert!(harness.state().state().status.last_error.is_none());
}

#[test]
fn clicking_a_header_sorts_the_whole_result_asc_desc_off() {
    let (_db, mut harness) = opened();
    harness.get_by_label("name").click();
    wait_for_label(&mut harness, "name ⬆");
    wait_idle(&mut harness);
    assert_eq!(page_ids(&harness).first().map(String::as_str), Some("p000"));
    harness.get_by_label("name ⬆").click();
    wait_for_label(&mut harness, "name ⬇");
    wait_idle(&mut harness);
    // The last record of the whole result, not of the page: the engine sorted.
    assert_eq!(page_ids(&harness).first().map(String::as_str), Some("p119"));
    assert_eq!(harness.state().state().query.sort, r#"{"name":-1}"#);
    harness.get_by_label("name ⬇").click();
    step_until(&mut harness, "the sort to turn off", |h| {
        h.query_by_label("name").is_some() && h.state().state().query.sort.is_empty()
    });
}

#[test]
fn paging_next_last_and_go_to_page() {
    let (_db, mut harness) = opened();
    harness.get_by_label("Next ›").click();
    wait_for_label(&mut harness, "51–100 of 120");
    harness.get_by_label("Last »").click();
    wait_for_label(&mut harness, "101–120 of 120");
    assert_eq!(page_ids(&harness).last().map(String::as_str), Some("p119"));
    type_into(&mut harness, "Go to page", "2");
    harness.get_by_label("Go").click();
    wait_for_label(&mut harness, "51–100 of 120");
    harness.get_by_label("« First").click();
    wait_for_label(&mut harness, "1–50 of 120");
}

#[test]
fn ctrl_c_copies_the_selected_records_as_json() {
    let (_db, mut harness) = opened();
    harness.get_by_label("Person 000").click();
    harness.run_steps(2);
    let selected = |h: &App| {
        h.state()
            .state()
            .current
            .as_ref()
            .map(|v| v.selection.rows.iter().copied().collect::<Vec<_>>())
    };
    assert_eq!(selected(&harness), Some(vec![0]));
    // What winit sends for Ctrl+C.
    harness.event(egui::Event::Copy);
    harness.step();
    let one: Value = serde_json::from_str(&copied_text(&harness).unwrap_or_default())
        .expect("the clipboard holds JSON");
    assert_eq!(one["_id"], "p000");
    assert_eq!(one["address"]["zip"], 1000);

    harness
        .get_by_label("Person 002")
        .click_modifiers(Modifiers::SHIFT);
    harness.run_steps(2);
    // What winit sends for Ctrl+C.
    harness.event(egui::Event::Copy);
    harness.step();
    let many: Value = serde_json::from_str(&copied_text(&harness).unwrap_or_default())
        .expect("the clipboard holds JSON");
    let ids: Vec<_> = many
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["_id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec!["p000", "p001", "p002"]);
}

#[test]
fn the_json_view_shows_the_records_as_json() {
    let (_db, mut harness) = opened();
    harness.get_by_label("JSON").click();
    harness.run_steps(2);
    harness.get_by_label_contains("\"_id\": \"p000\"");
    harness.get_by_label("Table").click();
    harness.run_steps(2);
    harness.get_by_label("Person 000");
}

#[test]
fn the_page_size_changes_how_many_records_a_page_shows() {
    let (_db, mut harness) = opened();
    harness.get_by_label("per page").click();
    harness.run_steps(2);
    harness.get_by_label("100").click();
    wait_for_label(&mut harness, "1–100 of 120");
    assert_eq!(harness.state().state().settings.page_size, 100);
}
