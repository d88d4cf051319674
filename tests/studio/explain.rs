//! The Explain tab: the query on screen as a tree (the index lookups with
//! their records, what the filter examined, how it sorted) and the last
//! pipeline stage by stage, with each stage's records in and out.

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;

use crate::support::{PEOPLE, opened, retype, set_text, wait_for_label, wait_idle};

/// `age` of person `i` in the test folder (support::temp_db).
fn age(i: usize) -> usize {
    20 + (i * 7) % 50
}

#[test]
fn the_query_tree_names_the_lookup_and_its_records() {
    let (_db, mut harness) = opened();
    set_text(&mut harness, "Filter", r#"{"age": {"$gte": 60}}"#);
    set_text(&mut harness, "Sort", r#"{"name": 1}"#);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_idle(&mut harness);
    harness.get_by_label("Explain").click();
    harness.run_steps(2);

    let old = (0..PEOPLE).filter(|&i| age(i) >= 60).count();
    wait_for_label(&mut harness, &format!("age ≥ 60: {old} records"));
    harness.get_by_label("Read: the index on age");
    harness.get_by_label(&format!("{old} to read, of {PEOPLE} in the collection"));
    harness.get_by_label(&format!("{{\"age\": {{\"$gte\": 60}}}}: {old} examined"));
    harness.get_by_label_contains("in memory, keeping only the best");
    harness.get_by_label(&format!("{} records", old.min(50)));
}

#[test]
fn the_pipeline_tree_counts_each_stage() {
    let (_db, mut harness) = opened();
    harness.get_by_label("Aggregation").click();
    harness.run_steps(2);
    harness.get_by_label("Pipeline").focus();
    harness.run_steps(1);
    retype(
        &mut harness,
        r#"[{"$match": {"city": "Oslo"}}, {"$group": {"_id": "$age", "n": {"$sum": 1}}}, {"$limit": 3}]"#,
    );
    harness.get_by_label("▶ Run pipeline").click();
    wait_idle(&mut harness);
    harness.get_by_label("Explain").click();
    harness.run_steps(2);

    let in_oslo: Vec<usize> = (0..PEOPLE).filter(|i| i % 4 == 1).collect();
    let ages = in_oslo
        .iter()
        .map(|&i| age(i))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    wait_for_label(&mut harness, "1. $match");
    harness.get_by_label("2. $group");
    harness.get_by_label("3. $limit");
    harness.get_by_label_contains(&format!("every record, {PEOPLE} of {PEOPLE}"));
    // The rows' counts: in and out of each stage.
    let state = harness.state().state();
    let explain = state
        .edit
        .aggregate
        .result
        .as_ref()
        .and_then(|r| r.explain.as_deref())
        .expect("the pipeline's explain");
    let counts: Vec<(u64, u64)> = explain.stages.iter().map(|s| (s.input, s.output)).collect();
    // The $limit is met after three groups: $group hands on no more.
    let oslo = in_oslo.len() as u64;
    assert!(ages > 3, "the data has more groups than the limit");
    assert_eq!(counts, [(PEOPLE as u64, oslo), (oslo, 3), (3, 3)]);
    assert!(harness.query_all_by_label(&oslo.to_string()).count() >= 2);
}
