//! "Copy as ▸": the query on screen copied as code. The command line form,
//! run in a shell, prints the very records the grid shows.

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use fluxdb::studio::copy_as::{CodeForm, shell_quote};
use serde_json::Value;

use crate::support::{opened, page_ids, retype, wait_for_label, wait_idle};

#[test]
fn the_copied_command_line_prints_the_records_the_grid_shows() {
    let (_db, mut harness) = opened();
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    retype(
        &mut harness,
        r#"{"age": {"$gte": 30}, "city": {"$ne": "it's"}}"#,
    );
    harness.get_by_label("Sort").focus();
    harness.run_steps(1);
    retype(&mut harness, r#"{"name": -1}"#);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_idle(&mut harness);
    harness.get_by_label("Next ›").click();
    wait_idle(&mut harness);
    let shown = page_ids(&harness);
    assert!(!shown.is_empty(), "the second page shows records");

    harness.get_by_label("Copy as").click();
    harness.run_steps(2);
    harness.get_by_label("fluxdb command line").click();
    harness.run_steps(2);
    wait_for_label(&mut harness, "Copied the query as fluxdb command line");
    let copied = harness
        .state()
        .state()
        .query_as(CodeForm::CommandLine)
        .expect("a query to copy");
    assert!(copied.contains("--skip 50 --limit 50"), "{copied}");
    assert!(
        copied.contains(r#"'\''"#),
        "the quote in the filter is escaped: {copied}"
    );

    // Run as the user would paste it, with this build's fluxdb.
    let command = copied.replacen("fluxdb", &shell_quote(env!("CARGO_BIN_EXE_fluxdb")), 1);
    let out = std::process::Command::new("sh")
        .args(["-c", &command])
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let doc: Value = serde_json::from_str(line).expect("a JSON line per record");
            doc["_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(printed, shown);

    // The other forms carry the same query.
    let state = harness.state().state();
    let python = state.query_as(CodeForm::Python).unwrap();
    assert!(
        python.contains(r#"sort={"name": -1}, skip=50, limit=50"#),
        "{python}"
    );
    let mongo = state.query_as(CodeForm::MongoShell).unwrap();
    assert!(
        mongo.ends_with(r#".sort({"name":-1}).skip(50).limit(50)"#),
        "{mongo}"
    );
}
