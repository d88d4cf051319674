//! The dialogs, driven by clicks through the typed-path field (no native
//! file dialog): import of each format, bad lines, skip-bad, export and
//! re-import, backup and restore, collection and index operations, cancel.
//! Every result is checked on disk by reopening the folder with the engine.

use std::path::Path;

use egui_kittest::kittest::Queryable;
use fluxdb::engine::{Compression, FluxDB};
use fluxdb::studio::state::dialogs::JobState;
use serde_json::{Value, json};

use crate::support::{
    App, TempDb, click, collections, config, context_menu, drop_on_window, harness, is_disabled,
    opened, records, set_text, step_until, temp_db, wait_for_error, wait_for_label, wait_idle,
    wait_notice,
};

fn file_menu(harness: &mut App, item: &str) {
    click(harness, "File");
    click(harness, item);
}

/// Steps until the import dialog's job failed; returns the message shown.
#[track_caller]
fn wait_import_failure(harness: &mut App) -> String {
    step_until(harness, "the import to fail", |h| {
        let dialogs = &h.state().state().dialogs;
        matches!(
            dialogs.import.as_ref().map(|d| &d.job),
            Some(JobState::Failed(_))
        )
    });
    match harness
        .state()
        .state()
        .dialogs
        .import
        .as_ref()
        .map(|d| d.job.clone())
    {
        Some(JobState::Failed(error)) => error.to_string(),
        other => panic!("expected a failed import, got {other:?}"),
    }
}

/// Opens Import… on `people`, types the file and the target, waits for the preview.
fn import_dialog(harness: &mut App, file: &Path, target: &str, preview_label: &str) {
    context_menu(harness, "people", "Import…");
    set_text(harness, "File path", &file.display().to_string());
    set_text(harness, "Into collection", target);
    wait_for_label(harness, preview_label);
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write the test file");
}

#[test]
fn a_json_array_imports_into_a_new_collection_with_its_types() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("fresh.json");
    write(
        &file,
        r#"[{"_id": "n1", "a": 1, "s": "007"}, {"_id": "n2", "a": 2.5, "b": {"c": true}, "z": null}]"#,
    );
    import_dialog(&mut harness, &file, "fresh", "n1");
    // The preview shows the second record too, before anything is written.
    harness.get_by_label("n2");
    assert!(!collections(&db.path()).contains(&"fresh".to_owned()));
    click(&mut harness, "Import");
    wait_notice(&mut harness, "Created fresh: 2 records imported");
    let docs = records(&db.path(), "fresh");
    assert_eq!(
        Value::Array(docs.into_iter().map(Value::Object).collect()),
        json!([
            {"_id": "n1", "a": 1, "s": "007"},
            {"_id": "n2", "a": 2.5, "b": {"c": true}, "z": null}
        ])
    );
    // The sidebar lists the new collection.
    harness.get_by_label("fresh");
}

const JSONL_WITH_A_BAD_LINE: &str =
    "{\"_id\": \"x1\", \"n\": 1}\n{\"_id\": \"x2\", oops}\n{\"_id\": \"x3\", \"n\": 3}\n";

#[test]
fn a_bad_json_lines_line_imports_nothing_and_names_its_line() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("bad.jsonl");
    write(&file, JSONL_WITH_A_BAD_LINE);
    import_dialog(&mut harness, &file, "people", "x1");
    // The preview already says which line is bad.
    assert!(
        harness
            .query_all_by_label_contains("line 2")
            .next()
            .is_some()
    );
    click(&mut harness, "Import");
    let error = wait_import_failure(&mut harness);
    assert!(error.contains("line 2"), "{error}");
    wait_for_label(&mut harness, "line 2");
    assert_eq!(records(&db.path(), "people").len(), 120);
}

#[test]
fn skip_bad_lines_imports_the_good_ones_and_lists_the_bad() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("bad.jsonl");
    write(&file, JSONL_WITH_A_BAD_LINE);
    import_dialog(&mut harness, &file, "people", "x1");
    click(
        &mut harness,
        "Skip bad lines (each is listed in the summary)",
    );
    click(&mut harness, "Import");
    wait_notice(
        &mut harness,
        "Appended to people: 2 records imported, 1 bad records skipped",
    );
    // The summary lists the skipped line with its number.
    assert!(
        harness
            .query_all_by_label_contains("line 2")
            .next()
            .is_some()
    );
    let docs = records(&db.path(), "people");
    assert_eq!(docs.len(), 122);
    let ids: Vec<_> = docs[120..].iter().map(|d| d["_id"].clone()).collect();
    assert_eq!(ids, vec![json!("x1"), json!("x3")]);
    // The grid of people is read again: the count includes the new records.
    wait_for_label(&mut harness, "people: 122 matched");
}

#[test]
fn csv_types_are_inferred_per_column_and_can_be_overridden() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("codes.csv");
    write(&file, "_id,zip,n,ok\nc1,007,1,true\nc2,010,2,false\n");
    import_dialog(&mut harness, &file, "codes", "c1");
    // n is inferred an integer; the dialog makes it a string.
    click(&mut harness, "Type of n");
    click(&mut harness, "string");
    step_until(&mut harness, "the preview with n as a string", |h| {
        let dialogs = &h.state().state().dialogs;
        match dialogs.import.as_ref().map(|d| &d.preview) {
            Some(fluxdb::studio::state::dialogs::PreviewState::Ready(p)) => {
                p.documents.first().map(|(_, d)| d["n"].clone()) == Some(json!("1"))
            }
            _ => false,
        }
    });
    click(&mut harness, "Import");
    wait_notice(&mut harness, "Created codes: 2 records imported");
    let docs = records(&db.path(), "codes");
    assert_eq!(
        Value::Object(docs[0].clone()),
        json!({"_id": "c1", "zip": "007", "n": "1", "ok": true})
    );
}

#[test]
fn an_export_to_json_lines_imports_back_equal() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("people.jsonl");
    context_menu(&mut harness, "people", "Export…");
    click(&mut harness, "JSON Lines (.jsonl)");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Export");
    wait_notice(&mut harness, "Exported 120 records of people");
    click(&mut harness, "Close");
    import_dialog(&mut harness, &file, "again", "p000");
    click(&mut harness, "Import");
    wait_notice(&mut harness, "Created again: 120 records imported");
    assert_eq!(records(&db.path(), "again"), records(&db.path(), "people"));
}

#[test]
fn a_collection_backup_fdb_exports_and_imports_with_its_indexes() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("people-copy.fdb");
    context_menu(&mut harness, "people", "Export…");
    click(&mut harness, "FluxDB backup (.fdb)");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Export");
    wait_notice(&mut harness, "Backed up people to");
    click(&mut harness, "Close");
    // The preview reads the backup on the worker: its count and indexes.
    import_dialog(&mut harness, &file, "copy", "p000");
    wait_for_label(&mut harness, "FluxDB backup: 120 records, indexed: age");
    click(&mut harness, "Import");
    wait_notice(&mut harness, "Replaced copy with the backup");
    assert_eq!(records(&db.path(), "copy"), records(&db.path(), "people"));
    let reopened = FluxDB::open_read_only(db.path()).expect("reopen");
    assert_eq!(reopened.list_indexes("copy").expect("indexes"), vec!["age"]);
}

#[test]
fn backup_then_restore_brings_the_records_back() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("shop-backup.fdb");
    let before_people = records(&db.path(), "people");
    let before_visits = records(&db.path(), "visits");
    file_menu(&mut harness, "Backup database…");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Back up");
    wait_notice(&mut harness, "Backed up 2 collection(s), 121 records");
    click(&mut harness, "Close");
    // Change things: clear people, drop visits.
    context_menu(&mut harness, "people", "Clear…");
    click(&mut harness, "Clear");
    wait_notice(&mut harness, "Cleared people");
    assert!(records(&db.path(), "people").is_empty());
    context_menu(&mut harness, "visits", "Drop…");
    set_text(
        &mut harness,
        "Type the collection's name to confirm",
        "visits",
    );
    click(&mut harness, "Drop");
    wait_notice(&mut harness, "Dropped collection visits");
    assert_eq!(collections(&db.path()), vec!["people"]);
    // Restore asks first.
    file_menu(&mut harness, "Restore…");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Restore…");
    click(&mut harness, "Yes, restore");
    wait_notice(&mut harness, "Restored 2 collection(s), 121 records");
    assert_eq!(records(&db.path(), "people"), before_people);
    assert_eq!(records(&db.path(), "visits"), before_visits);
    // The sidebar lists visits again.
    wait_for_label(&mut harness, "visits");
}

#[test]
fn a_cancelled_restore_leaves_every_collection_as_it_was() {
    let (db, mut harness) = opened();
    // A backup big enough to be cancelled while it is checked.
    let source = db.dir.path().join("big-source");
    let file = db.dir.path().join("big-backup.fdb");
    {
        let mut big = FluxDB::open(&source).expect("open the source");
        let docs = (0..300_000)
            .map(|i| json!({"_id": format!("b{i}"), "n": i, "pad": "xxxxxxxxxxxxxxxx"}))
            .collect();
        big.insert_many("people", docs).expect("insert");
        big.backup_database(&file, &mut |_, _| {}).expect("backup");
    }
    let before = records(&db.path(), "people");
    file_menu(&mut harness, "Restore…");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Restore…");
    click(&mut harness, "Yes, restore");
    step_until(&mut harness, "the restore to run", |h| {
        h.query_by_label("Cancel this job").is_some()
    });
    click(&mut harness, "Cancel this job");
    step_until(&mut harness, "the restore to stop", |h| {
        let dialogs = &h.state().state().dialogs;
        matches!(
            dialogs.restore.as_ref().map(|d| &d.job),
            Some(JobState::Failed(_))
        )
    });
    let job = harness
        .state()
        .state()
        .dialogs
        .restore
        .as_ref()
        .map(|d| d.job.clone());
    let Some(JobState::Failed(report)) = job else {
        panic!("expected a failed restore, got {job:?}");
    };
    let message = report.to_string().to_lowercase();
    assert!(message.contains("cancel"), "{message}");
    wait_idle(&mut harness);
    assert_eq!(records(&db.path(), "people"), before);
    assert_eq!(collections(&db.path()), ["people", "visits"]);
}

#[test]
fn a_damaged_backup_is_refused_and_nothing_is_replaced() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("broken.fdb");
    write(&file, "this is not a backup");
    file_menu(&mut harness, "Restore…");
    set_text(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Restore…");
    click(&mut harness, "Yes, restore");
    let error = wait_for_error(&mut harness, "the restore to fail");
    assert!(error.contains("broken.fdb"), "{error}");
    assert_eq!(records(&db.path(), "people").len(), 120);
}

#[test]
fn new_rename_and_drop_collection_change_the_folder() {
    let (db, mut harness) = opened();
    context_menu(&mut harness, "visits", "New collection…");
    set_text(&mut harness, "Name", "bad name");
    wait_for_label(
        &mut harness,
        "invalid collection name \"bad name\": ' ' is not allowed; use letters, digits, '_', '-' and '.'",
    );
    set_text(&mut harness, "Name", "orders");
    set_text(&mut harness, "Indexed fields", "sku, total");
    click(&mut harness, "Create");
    wait_notice(&mut harness, "Created collection orders");
    let reopened = FluxDB::open_read_only(db.path()).expect("reopen");
    assert_eq!(
        reopened.list_indexes("orders").expect("indexes"),
        vec!["sku", "total"]
    );
    drop(reopened);

    context_menu(&mut harness, "orders", "Rename…");
    set_text(&mut harness, "New name", "purchases");
    click(&mut harness, "Rename");
    wait_notice(&mut harness, "Renamed orders to purchases");
    assert_eq!(
        collections(&db.path()),
        vec!["people", "purchases", "visits"]
    );

    context_menu(&mut harness, "purchases", "Drop…");
    set_text(
        &mut harness,
        "Type the collection's name to confirm",
        "purchase",
    );
    // Not the name yet: Drop does nothing.
    click(&mut harness, "Drop");
    assert_eq!(
        collections(&db.path()),
        vec!["people", "purchases", "visits"]
    );
    set_text(
        &mut harness,
        "Type the collection's name to confirm",
        "purchases",
    );
    click(&mut harness, "Drop");
    wait_notice(&mut harness, "Dropped collection purchases");
    assert_eq!(collections(&db.path()), vec!["people", "visits"]);
}

#[test]
fn an_index_is_created_and_dropped_from_the_indexes_dialog() {
    let (db, mut harness) = opened();
    context_menu(&mut harness, "visits", "Indexes…");
    wait_for_label(&mut harness, "No indexed fields: every query scans.");
    set_text(&mut harness, "Field to index", "total");
    click(&mut harness, "Create index");
    wait_notice(&mut harness, "Indexed total of visits");
    let indexes = |db: &TempDb| {
        FluxDB::open_read_only(db.path())
            .expect("reopen")
            .list_indexes("visits")
            .expect("indexes")
    };
    assert_eq!(indexes(&db), vec!["total"]);
    wait_for_label(&mut harness, "Drop index on total");
    click(&mut harness, "Drop index on total");
    wait_notice(&mut harness, "Dropped the index on total of visits");
    assert!(indexes(&db).is_empty());
}

#[test]
fn a_new_collection_is_created_with_the_zstd_level_chosen_in_the_dialog() {
    let (db, mut harness) = opened();
    context_menu(&mut harness, "visits", "New collection…");
    set_text(&mut harness, "Name", "archive");
    click(&mut harness, "zstd (strong)");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Slider, "zstd level")
        .set_value_accesskit(9.0);
    harness.run_steps(2);
    click(&mut harness, "Create");
    wait_notice(&mut harness, "Created collection archive");
    let reopened = FluxDB::open_read_only(db.path()).expect("reopen");
    let info = reopened.collection_info("archive").expect("info");
    assert_eq!(info.compression, Compression::Zstd { level: 9 });
}

#[test]
fn the_compression_dialog_rewrites_a_collection_as_lz4_and_the_sidebar_shows_its_ratio() {
    let (db, mut harness) = opened();
    harness.get_by_label("native · uncompressed · indexed: age");
    context_menu(&mut harness, "people", "Compression…");
    wait_for_label(&mut harness, "uncompressed (");
    click(&mut harness, "LZ4 (fast)");
    click(&mut harness, "Rewrite");
    wait_notice(&mut harness, "Rewrote people as lz4:");
    let notice = harness
        .state()
        .state()
        .status
        .notice
        .clone()
        .unwrap_or_default();
    assert!(
        notice.contains("before") && notice.contains("after"),
        "{notice}"
    );

    let reopened = FluxDB::open_read_only(db.path()).expect("reopen");
    let info = reopened.collection_info("people").expect("info");
    assert_eq!(info.compression, Compression::Lz4);
    let ratio = info
        .compression_ratio
        .expect("a ratio for a compressed collection");
    drop(reopened);
    assert_eq!(records(&db.path(), "people").len(), 120);
    wait_for_label(
        &mut harness,
        &format!("native · lz4 · {ratio:.1}× smaller · indexed: age"),
    );
}

#[test]
fn compact_reports_the_bytes_it_reclaimed() {
    let (_db, mut harness) = opened();
    context_menu(&mut harness, "people", "Compact");
    wait_notice(&mut harness, "Compacted people: reclaimed");
}

#[test]
fn a_cancelled_import_keeps_nothing_and_leaves_no_collection_behind() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("big.jsonl");
    let mut text = String::new();
    for i in 0..200_000 {
        text.push_str(&format!(
            "{{\"_id\": \"b{i}\", \"n\": {i}, \"pad\": \"xxxxxxxxxxxxxxxx\"}}\n"
        ));
    }
    write(&file, &text);
    // Append to people, replace people (through `people.importing`), and a
    // new collection: each cancelled, each leaves the folder as it was.
    for (target, replace) in [("people", false), ("people", true), ("fresh", false)] {
        import_dialog(&mut harness, &file, target, "b0");
        if replace {
            click(&mut harness, "Replace");
        }
        click(&mut harness, "Import");
        step_until(&mut harness, "the import to run", |h| {
            h.query_by_label("Cancel this job").is_some()
        });
        click(&mut harness, "Cancel this job");
        let error = wait_import_failure(&mut harness);
        assert!(error.to_lowercase().contains("cancel"), "{target}: {error}");
        wait_idle(&mut harness);
        let sidebar: Vec<String> = harness
            .state()
            .state()
            .collections
            .iter()
            .map(|c| c.name.clone())
            .collect();
        assert_eq!(sidebar, ["people", "visits"], "{target}, replace {replace}");
        assert_eq!(collections(&db.path()), ["people", "visits"], "{target}");
        assert_eq!(records(&db.path(), "people").len(), 120);
        click(&mut harness, "Close");
    }
}

#[test]
fn the_preview_gives_the_file_size_in_units_people_read() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("small.jsonl");
    write(&file, "{\"_id\": \"s1\"}\n");
    import_dialog(&mut harness, &file, "small", "s1");
    harness.get_by_label("14 B file");
}

#[test]
fn a_file_dropped_on_the_window_opens_the_import_dialog_with_it() {
    let (db, mut harness) = opened();
    let file = db.dir.path().join("dropped.jsonl");
    write(
        &file,
        "{\"_id\": \"d1\", \"n\": 1}\n{\"_id\": \"d2\", \"n\": 2}\n",
    );
    drop_on_window(&mut harness, &file);
    // The dialog reads the file's first records at once.
    wait_for_label(&mut harness, "d2");
    let dialog = harness.state().state().dialogs.import.clone();
    assert_eq!(
        dialog
            .as_ref()
            .map(|d| (d.path.as_str(), d.target.as_str())),
        Some((file.display().to_string().as_str(), "people")),
        "the dialog names the dropped file and the collection on screen"
    );
    set_text(&mut harness, "Into collection", "dropped");
    click(&mut harness, "Import");
    wait_notice(&mut harness, "Created dropped: 2 records imported");
    assert_eq!(records(&db.path(), "dropped").len(), 2);
}

#[test]
fn a_read_only_folder_disables_every_write_in_the_dialogs() {
    let db = temp_db();
    // This process holds the writer lock: Studio opens the folder read-only.
    let _writer = FluxDB::open(db.path()).expect("hold the writer lock");
    let mut harness = harness(config(Some(&db.path()), db.dir.path()));
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    harness.get_by_label("read-only · live");

    // The context menu: what writes is off, what reads is on.
    harness.get_by_label("people").click_secondary();
    harness.run_steps(2);
    for item in [
        "New collection…",
        "Rename…",
        "Clear…",
        "Drop…",
        "Import…",
        "Compact",
        "Compression…",
    ] {
        assert!(is_disabled(&harness, item), "{item} should be off");
    }
    for item in ["Export…", "Indexes…"] {
        assert!(!is_disabled(&harness, item), "{item} should be on");
    }
    // The indexes dialog lists them but creates and drops none.
    click(&mut harness, "Indexes…");
    wait_for_label(&mut harness, "Drop index on age");
    set_text(&mut harness, "Field to index", "city");
    assert!(is_disabled(&harness, "Create index"));
    assert!(is_disabled(&harness, "Drop index on age"));
    click(&mut harness, "Close window");

    // The File menu: a backup reads, a restore or an import writes.
    click(&mut harness, "File");
    assert!(is_disabled(&harness, "Import…"));
    assert!(is_disabled(&harness, "Restore…"));
    assert!(!is_disabled(&harness, "Backup database…"));
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);

    // A dropped file still shows its preview, but cannot be imported.
    let file = db.dir.path().join("dropped.jsonl");
    write(&file, "{\"_id\": \"d1\"}\n");
    drop_on_window(&mut harness, &file);
    wait_for_label(&mut harness, "d1");
    set_text(&mut harness, "Into collection", "dropped");
    assert!(is_disabled(&harness, "Import"));
    drop(harness);
    drop(_writer);
    assert!(!collections(&db.path()).contains(&"dropped".to_owned()));
}
