//! Comparing a folder with a backup: `FluxDB::compare_with_backup` and
//! `fluxdb diff BACKUP [COLL]` (JSON lines, exit 0 same / 1 different /
//! 2 failed), for database and collection backups, and taking chosen
//! records back so the folder matches the backup again.

use std::path::{Path, PathBuf};

use fluxdb::engine::{CancelToken, DiffStatus, FluxDB, RecordDiff};
use fluxdb::{Document, Error};
use serde_json::{Value, json};

use crate::cli::fluxdb;

/// A folder with `people` (5 records, nested and array fields) and
/// `places`, its database backup and a collection backup of `people`.
struct Fixture {
    _tmp: tempfile::TempDir,
    db: PathBuf,
    database_backup: PathBuf,
    people_backup: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let database_backup = tmp.path().join("all.fdb");
    let people_backup = tmp.path().join("people.fdb");
    let mut folder = FluxDB::open(&db).unwrap();
    let people = (0..5)
        .map(|i| {
            json!({
                "_id": format!("p{i}"),
                "name": format!("Person {i}"),
                "age": 30 + i,
                "tags": ["a", "b"],
                "address": {"city": "Oslo", "zip": "0150"},
            })
        })
        .collect();
    folder.insert_many("people", people).unwrap();
    folder
        .insert_many("places", vec![json!({"_id": "x", "n": 1})])
        .unwrap();
    folder.flush().unwrap();
    folder
        .backup_database(&database_backup, &mut |_, _| {})
        .unwrap();
    assert!(folder.export_collection("people", &people_backup).unwrap());
    folder.close().unwrap();
    Fixture {
        _tmp: tmp,
        db,
        database_backup,
        people_backup,
    }
}

/// Changes people after the backups: p0's age becomes text and a tag
/// changes, p1's city goes and a field is added, p2 is deleted, p9 is new.
fn change_people(db: &Path) {
    let mut folder = FluxDB::open(db).unwrap();
    let set = |f: &mut FluxDB, id: &str, update: Value| {
        assert!(f.update("people", id, &update).unwrap());
    };
    set(
        &mut folder,
        "p0",
        json!({"$set": {"age": "30", "tags.1": "z"}}),
    );
    set(
        &mut folder,
        "p1",
        json!({"$unset": {"address.city": ""}, "$set": {"vip": null}}),
    );
    assert!(folder.delete("people", "p2").unwrap());
    folder
        .insert("people", json!({"_id": "p9", "name": "New"}))
        .unwrap();
    folder.close().unwrap();
}

fn compare(db: &Path, backup: &Path, collection: Option<&str>) -> (Vec<RecordDiff>, u64) {
    let folder = FluxDB::open_read_only(db).unwrap();
    let mut diffs = Vec::new();
    let report = folder
        .compare_with_backup(
            backup,
            collection,
            &CancelToken::new(),
            &mut |_, _| {},
            &mut |diff| {
                diffs.push(diff);
                Ok(())
            },
        )
        .unwrap();
    (diffs, report.differences())
}

fn statuses(diffs: &[RecordDiff]) -> Vec<(String, DiffStatus)> {
    let mut found: Vec<_> = diffs.iter().map(|d| (d.id.clone(), d.status)).collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn an_unchanged_folder_has_no_differences_and_exits_0() {
    let f = fixture();
    for backup in [&f.database_backup, &f.people_backup] {
        let run = fluxdb(&f.db, &["diff", path_str(backup)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, "");
        assert_eq!(run.stderr, "");
    }
}

#[test]
fn the_engine_lists_changed_deleted_and_new_records_with_their_fields() {
    let f = fixture();
    change_people(&f.db);
    let (diffs, differences) = compare(&f.db, &f.database_backup, None);
    assert_eq!(differences, 4);
    assert_eq!(
        statuses(&diffs),
        vec![
            ("p0".to_owned(), DiffStatus::Changed),
            ("p1".to_owned(), DiffStatus::Changed),
            ("p2".to_owned(), DiffStatus::OnlyInBackup),
            ("p9".to_owned(), DiffStatus::OnlyInFolder),
        ]
    );
    let p0 = diffs.iter().find(|d| d.id == "p0").unwrap();
    let changes: Vec<_> = p0
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.before.clone(), c.after.clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("age", Some(json!("30")), Some(json!(30))),
            ("tags.1", Some(json!("z")), Some(json!("b"))),
        ],
        "before is the folder, after the backup"
    );
    assert_eq!(p0.changes[0].type_change(), Some(("string", "number")));
    let p1 = diffs.iter().find(|d| d.id == "p1").unwrap();
    let paths: Vec<_> = p1
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.before.is_some(), c.after.is_some()))
        .collect();
    assert_eq!(
        paths,
        vec![("address.city", false, true), ("vip", true, false)],
        "a missing field is told from a null one"
    );
    let p2 = diffs.iter().find(|d| d.id == "p2").unwrap();
    assert!(p2.folder.is_none());
    assert_eq!(p2.backup.as_ref().unwrap()["name"], "Person 2");
}

#[test]
fn the_cli_prints_json_lines_and_exits_1_for_each_kind_of_backup() {
    let f = fixture();
    change_people(&f.db);
    for backup in [&f.database_backup, &f.people_backup] {
        let run = fluxdb(&f.db, &["diff", path_str(backup)]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(run.stderr, "");
        let lines = lines(&run.stdout);
        assert_eq!(lines.len(), 4, "{}", run.stdout);
        let p0 = lines.iter().find(|l| l["_id"] == "p0").unwrap();
        assert_eq!(
            *p0,
            json!({
                "collection": "people",
                "_id": "p0",
                "status": "changed",
                "changes": [
                    {"path": "age", "folder": "30", "backup": 30},
                    {"path": "tags.1", "folder": "z", "backup": "b"},
                ],
            })
        );
        let keys: Vec<&str> = p0.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["collection", "_id", "status", "changes"]);
        let p1 = lines.iter().find(|l| l["_id"] == "p1").unwrap();
        assert_eq!(
            p1["changes"],
            json!([
                {"path": "address.city", "backup": "Oslo"},
                {"path": "vip", "folder": null},
            ]),
            "the side that lacks a field has no key; null is a value"
        );
        let p2 = lines.iter().find(|l| l["_id"] == "p2").unwrap();
        assert_eq!(p2["status"], "only_in_backup");
        assert_eq!(
            p2["changes"][1],
            json!({"path": "name", "backup": "Person 2"})
        );
        let p9 = lines.iter().find(|l| l["_id"] == "p9").unwrap();
        assert_eq!(p9["status"], "only_in_folder");
    }
}

#[test]
fn a_collection_argument_limits_the_comparison() {
    let f = fixture();
    change_people(&f.db);
    {
        let mut folder = FluxDB::open(&f.db).unwrap();
        folder.insert("places", json!({"_id": "y"})).unwrap();
        folder.close().unwrap();
    }
    let backup = path_str(&f.database_backup);
    let all = lines(&fluxdb(&f.db, &["diff", backup]).stdout);
    assert_eq!(all.len(), 5);
    let places = fluxdb(&f.db, &["diff", backup, "places"]);
    assert_eq!(places.code, 1);
    assert_eq!(
        lines(&places.stdout),
        vec![json!({
            "collection": "places", "_id": "y", "status": "only_in_folder",
            "changes": [{"path": "_id", "folder": "y"}],
        })]
    );
    // A collection backup is compared with the folder's collection named.
    {
        let mut folder = FluxDB::open(&f.db).unwrap();
        folder.import_collection("copy", &f.people_backup).unwrap();
        folder.close().unwrap();
    }
    let copy = fluxdb(&f.db, &["diff", path_str(&f.people_backup), "copy"]);
    assert_eq!(copy.code, 0, "{}{}", copy.stdout, copy.stderr);
    let people = fluxdb(&f.db, &["diff", path_str(&f.people_backup), "people"]);
    assert_eq!(people.code, 1);
    assert_eq!(lines(&people.stdout).len(), 4);
    // A collection neither side has is an error, not "no differences".
    let run = fluxdb(&f.db, &["diff", backup, "nosuch"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("\"nosuch\" does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn collections_on_one_side_only_list_all_their_records() {
    let f = fixture();
    {
        let mut folder = FluxDB::open(&f.db).unwrap();
        assert!(folder.drop_collection("places").unwrap());
        folder.insert("extra", json!({"_id": "e1"})).unwrap();
        folder.close().unwrap();
    }
    let folder = FluxDB::open_read_only(&f.db).unwrap();
    let report = folder
        .compare_with_backup(
            &f.database_backup,
            None,
            &CancelToken::new(),
            &mut |_, _| {},
            &mut |_| Ok(()),
        )
        .unwrap();
    let summary: Vec<_> = report
        .collections
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.in_folder,
                c.in_backup,
                c.same,
                c.only_in_folder,
                c.only_in_backup,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("people", true, true, 5, 0, 0),
            ("places", false, true, 0, 0, 1),
            ("extra", true, false, 0, 1, 0),
        ]
    );
}

#[test]
fn a_damaged_or_foreign_backup_is_a_clear_error_with_exit_2() {
    let f = fixture();
    let damaged = f.db.parent().unwrap().join("damaged.fdb");
    let mut bytes = std::fs::read(&f.database_backup).unwrap();
    let at = bytes
        .windows(8)
        .position(|w| w == b"Person 3")
        .expect("a record's text in the backup");
    bytes[at] ^= 0x20;
    std::fs::write(&damaged, &bytes).unwrap();
    let run = fluxdb(&f.db, &["diff", path_str(&damaged)]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("corrupt at byte offset"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let text = f.db.parent().unwrap().join("notes.txt");
    std::fs::write(&text, "not a backup at all, just some text here").unwrap();
    let run = fluxdb(&f.db, &["diff", path_str(&text)]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a FluxDB backup"), "{}", run.stderr);
    let collection_file = f.db.join("people.fdb");
    let run = fluxdb(&f.db, &["diff", path_str(&collection_file)]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("a collection file"), "{}", run.stderr);
    let run = fluxdb(&f.db, &["diff", "/nonexistent/backup.fdb"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such backup file"), "{}", run.stderr);
    let truncated = f.db.parent().unwrap().join("truncated.fdb");
    std::fs::write(&truncated, &bytes[..bytes.len() - 40]).unwrap();
    let folder = FluxDB::open_read_only(&f.db).unwrap();
    let error = folder
        .compare_with_backup(
            &truncated,
            None,
            &CancelToken::new(),
            &mut |_, _| {},
            &mut |_| Ok(()),
        )
        .unwrap_err();
    assert!(matches!(error, Error::Corrupt { .. }), "{error}");
}

#[test]
fn taking_chosen_records_back_makes_them_match_the_backup() {
    let f = fixture();
    change_people(&f.db);
    let (diffs, _) = compare(&f.db, &f.people_backup, None);
    // Take back p0 (changed) and p2 (deleted); leave p1 and p9.
    let mut folder = FluxDB::open(&f.db).unwrap();
    for diff in diffs.iter().filter(|d| d.id == "p0" || d.id == "p2") {
        let record: Document = diff.backup.clone().unwrap();
        if diff.folder.is_some() {
            assert!(folder.delete("people", &diff.id).unwrap());
        }
        folder.insert("people", Value::Object(record)).unwrap();
    }
    folder.close().unwrap();
    let (left, _) = compare(&f.db, &f.people_backup, None);
    assert_eq!(
        statuses(&left),
        vec![
            ("p1".to_owned(), DiffStatus::Changed),
            ("p9".to_owned(), DiffStatus::OnlyInFolder),
        ]
    );
}

#[test]
fn a_cancelled_comparison_stops_with_cancelled() {
    let f = fixture();
    let folder = FluxDB::open_read_only(&f.db).unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let error = folder
        .compare_with_backup(
            &f.database_backup,
            None,
            &cancel,
            &mut |_, _| {},
            &mut |_| Ok(()),
        )
        .unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error}");
}
