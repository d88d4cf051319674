//! Import and export (JSON, JSON Lines, CSV), database backup and restore,
//! and verify: through the engine's API and through the `fluxdb` binary.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fluxdb::engine::{ExportOptions, Find, FluxDB, ImportOptions, OpenOptions};
use fluxdb::interchange::{CancelToken, ColumnType, Format};
use fluxdb::{Document, Error};
use serde_json::{Value, json};

use crate::cli::{Run, fluxdb};
use crate::support::doc;

fn all(db: &FluxDB, collection: &str) -> Vec<Document> {
    db.find(collection, &Find::all()).unwrap()
}

fn no_progress() -> impl FnMut(fluxdb::interchange::Progress) {
    |_| {}
}

/// Documents with every JSON type, nesting, unicode, and fields that differ
/// from one document to the next.
fn varied() -> Vec<Value> {
    vec![
        json!({"_id": "a", "name": "Zoë 🚀", "age": 30, "score": 2.0, "big": u64::MAX,
               "neg": -7, "ok": true, "none": null, "tags": ["x", 1, 2.5, {"k": []}],
               "address": {"city": "Zürich", "geo": [47.37, 8.54]}, "quote": "a,b \"q\"\nline"}),
        json!({"_id": "b", "extra": "only here", "age": 31.5}),
        json!({"_id": "c"}),
    ]
}

fn filled(dir: &Path) -> FluxDB {
    let mut db = FluxDB::open(dir).unwrap();
    db.create_collection("users", &["age"]).unwrap();
    db.insert_many("users", varied()).unwrap();
    db.flush().unwrap();
    db
}

#[test]
fn json_and_json_lines_round_trips_equal_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = filled(&tmp.path().join("db"));
    let original = all(&db, "users");
    for (format, name) in [(Format::Json, "out.json"), (Format::JsonLines, "out.jsonl")] {
        let file = tmp.path().join(name);
        let written = db
            .export_documents("users", &file, &ExportOptions::new(), &mut |_, _| {})
            .unwrap();
        assert_eq!(written, 3, "{format}");
        let copy = format!("copy_{}", format.name());
        let report = db
            .import_documents(&copy, &file, ImportOptions::new(), &mut no_progress())
            .unwrap();
        assert_eq!((report.imported, report.created), (3, true), "{format}");
        assert_eq!(all(&db, &copy), original, "{format}");
        // Integers stay integers, floats keep their fraction.
        assert!(all(&db, &copy)[0]["score"].is_f64(), "{format}");
    }
}

#[test]
fn json_export_is_what_mongoimport_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let db = filled(tmp.path());
    let file = tmp.path().join("users.json");
    db.export_documents("users", &file, &ExportOptions::new(), &mut |_, _| {})
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // `mongoimport --jsonArray`: an array; one document a line, `_id` first.
    assert_eq!((lines[0], lines[lines.len() - 1]), ("[", "]"));
    assert!(lines[1].starts_with("{\"_id\":\"a\",\"name\":\"Zoë 🚀\""));
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.as_array().map(Vec::len), Some(3));
}

#[test]
fn csv_round_trip_equals_the_original_and_its_header_is_the_union_in_first_seen_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    let docs = vec![
        json!({"_id": "1", "name": "Ann", "age": 30, "score": 1.5, "tags": ["a", 1], "addr": {"city": "Oslo"}, "ok": true}),
        json!({"_id": "2", "name": "Bo, \"B\"", "age": 41, "score": 2.0, "tags": [], "addr": {}, "ok": false}),
    ];
    db.insert_many("people", docs).unwrap();
    db.insert("people", json!({"_id": "3", "late": "x", "name": "Cy", "age": 5, "score": 0.5, "tags": [null], "addr": {"z": 1}, "ok": true}))
        .unwrap();
    let file = tmp.path().join("people.csv");
    db.export_documents("people", &file, &ExportOptions::new(), &mut |_, _| {})
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("_id,name,age,score,tags,addr,ok,late")
    );
    db.import_documents("copy", &file, ImportOptions::new(), &mut no_progress())
        .unwrap();
    // The only difference: a field a document lacks comes back as null.
    let mut expected = all(&db, "people");
    for d in &mut expected[..2] {
        d.insert("late".to_owned(), Value::Null);
    }
    assert_eq!(all(&db, "copy"), expected);
}

#[test]
fn csv_column_types_are_inferred_and_can_be_overridden() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("z.csv");
    std::fs::write(&file, "zip,n\n12345,1\n54321,2\n").unwrap();
    let mut db = FluxDB::open(tmp.path().join("db")).unwrap();
    db.import_documents("inferred", &file, ImportOptions::new(), &mut no_progress())
        .unwrap();
    let options = ImportOptions::new().csv_type("zip", ColumnType::String);
    db.import_documents("typed", &file, options, &mut no_progress())
        .unwrap();
    assert_eq!(all(&db, "inferred")[0]["zip"], json!(12345));
    assert_eq!(all(&db, "typed")[0]["zip"], json!("12345"));
    assert_eq!(all(&db, "typed")[0]["n"], json!(1));
}

#[test]
fn a_bad_line_in_each_format_is_reported_with_its_line_and_nothing_is_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path().join("db")).unwrap();
    db.insert("existing", json!({"_id": "taken"})).unwrap();
    db.flush().unwrap();
    let size_before = db.collection_info("existing").unwrap().file_bytes;
    let cases = [
        ("bad.json", "[\n{\"a\": 1},\n{\"a\": 2},\n{\"a\" 3}\n]\n", 4),
        ("bad.jsonl", "{\"a\": 1}\n{\"a\": 2}\n\n{\"a\": }\n", 4),
        ("bad.csv", "a,b\n1,2\n3,4\n5\n", 4),
        ("dup.jsonl", "{\"_id\": \"x\"}\n{\"_id\": \"x\"}\n", 2),
        ("id.jsonl", "{\"a\": 1}\n{\"_id\": 7}\n", 2),
    ];
    for (name, content, line) in cases {
        let file = tmp.path().join(name);
        std::fs::write(&file, content).unwrap();
        for collection in ["existing", "fresh"] {
            let error = db
                .import_documents(collection, &file, ImportOptions::new(), &mut no_progress())
                .unwrap_err();
            assert!(
                matches!(&error, Error::ImportLine { path, line: l, .. } if path == &file && *l == line),
                "{name}: {error}"
            );
            assert_eq!(all(&db, "existing").len(), 1, "{name}");
            assert!(
                !db.has_collection("fresh"),
                "{name}: the failed import created it"
            );
        }
    }
    db.flush().unwrap();
    assert_eq!(
        db.collection_info("existing").unwrap().file_bytes,
        size_before
    );
}

#[test]
fn skip_bad_imports_the_rest_and_reports_each_bad_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("in.jsonl");
    std::fs::write(
        &file,
        "{\"_id\": \"a\"}\nnot json\n{\"_id\": \"b\"}\n{\"_id\": \"a\"}\n{\"_id\": \"c\"}\n",
    )
    .unwrap();
    let mut db = FluxDB::open(tmp.path().join("db")).unwrap();
    let report = db
        .import_documents(
            "t",
            &file,
            ImportOptions::new().skip_bad(true),
            &mut no_progress(),
        )
        .unwrap();
    assert_eq!((report.imported, report.skipped), (3, 2));
    let lines: Vec<u64> = report
        .skipped_records
        .iter()
        .map(|e| match e {
            Error::ImportLine { line, .. } => *line,
            _ => 0,
        })
        .collect();
    assert_eq!(lines, [2, 4]);
    assert!(
        report.skipped_records[1]
            .to_string()
            .contains("duplicate _id \"a\"")
    );
    assert_eq!(db.count("t", &json!({})).unwrap(), 3);
}

/// JSON Lines of `n` documents of about 100 bytes, the last one bad when asked.
fn write_lines(path: &Path, n: usize, bad_last: bool) -> u64 {
    let mut text = String::with_capacity(n * 110);
    for i in 0..n {
        text.push_str(&format!(
            "{{\"n\":{i},\"name\":\"user-{i:07}\",\"email\":\"user{i}@example.com\",\"city\":\"Lyon\"}}\n"
        ));
    }
    if bad_last {
        text.push_str("{\"n\": oops}\n");
    }
    std::fs::write(path, &text).unwrap();
    text.len() as u64
}

#[test]
fn a_file_larger_than_the_buffer_goes_through_in_bounded_memory_and_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let file = tmp.path().join("big.jsonl");
    let size = write_lines(&file, 30_000, false);
    let buffer = 64 * 1024;
    let mut db = FluxDB::open(&dir).unwrap();
    let mut options = ImportOptions::new();
    options.write_buffer_bytes = Some(buffer);
    let mut reports = Vec::new();
    let report = db
        .import_documents("big", &file, options.clone(), &mut |p| reports.push(p))
        .unwrap();
    assert_eq!(report.imported, 30_000);
    assert!(size > 20 * buffer as u64, "the file is {size} bytes");
    assert!(report.groups_written > 20, "{report:?}");
    // The write buffer stays within one document of its size.
    assert!(report.peak_buffer_bytes < buffer + 1024, "{report:?}");
    let last = reports.last().copied().unwrap_or_default();
    assert_eq!(
        (last.bytes_read, last.total_bytes, last.records),
        (size, Some(size), 30_000)
    );
    assert!(
        reports
            .windows(2)
            .all(|w| w[0].bytes_read <= w[1].bytes_read)
    );
    drop(db);

    // Reopened: the prepared batches count (their commit record is logged).
    let mut db = FluxDB::open(&dir).unwrap();
    assert_eq!(db.count("big", &json!({})).unwrap(), 30_000);
    assert_eq!(all(&db, "big")[29_999]["n"], json!(29_999));

    // A bad last line after many written batches: nothing, not even bytes.
    let bad = tmp.path().join("bad.jsonl");
    write_lines(&bad, 30_000, true);
    let bytes_before = db.collection_info("big").unwrap().file_bytes;
    let error = db
        .import_documents("big", &bad, options, &mut no_progress())
        .unwrap_err();
    assert!(
        matches!(error, Error::ImportLine { line: 30_001, .. }),
        "{error}"
    );
    assert_eq!(db.count("big", &json!({})).unwrap(), 30_000);
    assert_eq!(db.collection_info("big").unwrap().file_bytes, bytes_before);
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    assert_eq!(db.count("big", &json!({})).unwrap(), 30_000);
}

#[test]
fn a_cancelled_import_leaves_nothing_and_a_cancelled_export_leaves_the_old_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("big.jsonl");
    write_lines(&file, 20_000, false);
    let mut db = FluxDB::open(tmp.path().join("db")).unwrap();
    let cancel = CancelToken::new();
    let mut options = ImportOptions::new().cancel(cancel.clone());
    options.write_buffer_bytes = Some(64 * 1024);
    let error = db
        .import_documents("t", &file, options, &mut |p| {
            if p.records > 5_000 {
                cancel.cancel();
            }
        })
        .unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error}");
    assert!(!db.has_collection("t"));

    db.import_documents("t", &file, ImportOptions::new(), &mut no_progress())
        .unwrap();
    let out = tmp.path().join("out.jsonl");
    std::fs::write(&out, "old\n").unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let error = db
        .export_documents(
            "t",
            &out,
            &ExportOptions::new().cancel(cancel),
            &mut |_, _| {},
        )
        .unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
}

#[test]
fn export_of_a_query_streams_a_filter_and_runs_a_sort() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    let docs = (0..10)
        .map(|i| json!({"_id": format!("d{i}"), "n": i, "odd": i % 2 == 1}))
        .collect();
    db.insert_many("t", docs).unwrap();
    let out = tmp.path().join("q.jsonl");
    let filtered = Find::new(json!({"odd": true})).projection(json!({"n": 1, "_id": 0}));
    let n = db
        .export_documents(
            "t",
            &out,
            &ExportOptions::new().query(filtered),
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(n, 5);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "{\"n\":1}\n{\"n\":3}\n{\"n\":5}\n{\"n\":7}\n{\"n\":9}\n"
    );
    let sorted = Find::new(json!({})).sort(json!({"n": -1})).limit(2);
    let out = tmp.path().join("top.csv");
    db.export_documents(
        "t",
        &out,
        &ExportOptions::new().query(sorted),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "_id,n,odd\nd9,9,true\nd8,8,false\n"
    );
}

#[test]
fn export_of_a_query_as_json_is_the_text_of_what_find_returns() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection("t", &["k"]).unwrap();
    let docs = (0..500)
        .map(|i| json!({"k": i % 7, "n": i, "s": format!("line \"{i}\"\n\u{e9}"), "a": {"b": [i, null]}}))
        .collect();
    db.insert_many("t", docs).unwrap();
    let queries = [
        Find::new(json!({"k": 3})),
        Find::new(json!({"k": {"$in": [1, 2]}, "n": {"$gt": 100}}))
            .sort(json!({"k": -1}))
            .skip(3)
            .limit(20),
        Find::new(json!({"n": {"$lt": 50}})).projection(json!({"s": 1})),
        Find::all().sort(json!({"n": -1})).limit(5),
    ];
    for (i, query) in queries.into_iter().enumerate() {
        let texts: Vec<String> = db
            .find("t", &query)
            .unwrap()
            .iter()
            .map(|d| serde_json::to_string(d).unwrap())
            .collect();
        let lines = tmp.path().join(format!("q{i}.jsonl"));
        let array = tmp.path().join(format!("q{i}.json"));
        for out in [&lines, &array] {
            let options = ExportOptions::new().query(query.clone());
            let n = db
                .export_documents("t", out, &options, &mut |_, _| {})
                .unwrap();
            assert_eq!(n as usize, texts.len(), "{query:?}");
        }
        let expected_lines: String = texts.iter().map(|t| format!("{t}\n")).collect();
        assert_eq!(std::fs::read_to_string(&lines).unwrap(), expected_lines);
        let expected_array = match texts.is_empty() {
            true => "[\n]\n".to_owned(),
            false => format!("[\n{}\n]\n", texts.join(",\n")),
        };
        assert_eq!(std::fs::read_to_string(&array).unwrap(), expected_array);
    }
}

#[test]
fn a_cancelled_restore_or_backup_import_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut db = restore_fixture(&dir);
    let everything = tmp.path().join("everything.fdb");
    db.backup_database(&everything, &mut |_, _| {}).unwrap();
    let many = tmp.path().join("many.fdb");
    db.export_collection("many", &many).unwrap();
    // Changed after the backups, so a restore or import would undo it.
    db.insert("users", json!({"_id": "after", "age": 1}))
        .unwrap();
    db.delete_many("many", &json!({"i": {"$lt": 100}})).unwrap();
    db.flush().unwrap();
    let contents = |db: &FluxDB| -> Vec<(String, Vec<Document>)> {
        db.list_collections()
            .into_iter()
            .map(|name| (name.clone(), all(db, &name)))
            .collect()
    };
    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let (before, files_before) = (contents(&db), files());

    let cancelled = CancelToken::new();
    cancelled.cancel();
    let error = db
        .restore_database_cancellable(&everything, &cancelled)
        .unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error}");
    let error = db
        .import_collection_cancellable("many", &many, &cancelled)
        .unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error}");
    assert_eq!(contents(&db), before, "nothing changed");
    assert_eq!(files(), files_before, "nothing staged is left behind");
    drop(db);
    let mut db = FluxDB::open(&dir).unwrap();
    assert_eq!(contents(&db), before, "nor after reopening");

    // Not cancelled, the same calls do their work.
    let live = CancelToken::new();
    db.import_collection_cancellable("many", &many, &live)
        .unwrap();
    assert_eq!(all(&db, "many").len(), 1_999);
    db.restore_database_cancellable(&everything, &live).unwrap();
    assert_eq!(db.get("users", "after").unwrap(), None);
}

fn restore_fixture(dir: &Path) -> FluxDB {
    let mut db = FluxDB::open(dir).unwrap();
    db.create_collection("users", &["age", "address.city"])
        .unwrap();
    db.insert_many("users", varied()).unwrap();
    db.create_collection("empty", &["x"]).unwrap();
    let many: Vec<Value> = (0..2_000)
        .map(|i| json!({"i": i, "pad": "p".repeat(i % 50)}))
        .collect();
    db.insert_many("many", many).unwrap();
    db.delete("many", all(&db, "many")[7]["_id"].as_str().unwrap())
        .unwrap();
    db.flush().unwrap();
    db
}

fn snapshot(db: &FluxDB) -> Vec<(String, Vec<String>, Vec<Document>)> {
    db.list_collections()
        .into_iter()
        .map(|name| {
            let indexes = db.list_indexes(&name).unwrap();
            let docs = all(db, &name);
            (name, indexes, docs)
        })
        .collect()
}

#[test]
fn backup_and_restore_round_trip_every_collection_and_its_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let db = restore_fixture(&tmp.path().join("a"));
    let original = snapshot(&db);
    let file = tmp.path().join("db.backup");
    let mut calls = 0;
    let report = db.backup_database(&file, &mut |_, _| calls += 1).unwrap();
    assert_eq!(report.collections, ["empty", "many", "users"]);
    assert_eq!(report.records, 2_002);
    assert_eq!(report.bytes, std::fs::metadata(&file).unwrap().len());
    assert!(calls > 0);
    drop(db);

    // Into a new folder.
    let mut fresh = FluxDB::open(tmp.path().join("b")).unwrap();
    let restored = fresh.restore_database(&file).unwrap();
    assert_eq!((restored.records, restored.untouched.len()), (2_002, 0));
    assert_eq!(snapshot(&fresh), original);
    let found = fresh
        .explain("users", &Find::new(json!({"address.city": "Zürich"})))
        .unwrap();
    assert_eq!(
        (found.index.as_deref(), found.returned),
        (Some("address.city"), 1)
    );
    drop(fresh);
    assert_eq!(
        snapshot(&FluxDB::open(tmp.path().join("b")).unwrap()),
        original
    );

    // Over changed collections; a collection not in the backup stays.
    let mut db = FluxDB::open(tmp.path().join("a")).unwrap();
    db.insert("users", json!({"_id": "new"})).unwrap();
    db.clear_collection("many").unwrap();
    db.drop_index("users", "age").unwrap();
    db.insert("other", json!({"_id": "kept"})).unwrap();
    let restored = db.restore_database(&file).unwrap();
    assert_eq!(restored.untouched, ["other"]);
    let mut expected = original.clone();
    expected.insert(
        2,
        (
            "other".to_owned(),
            vec![],
            vec![doc(json!({"_id": "kept"}))],
        ),
    );
    assert_eq!(snapshot(&db), expected);
    assert!(
        !tmp.path()
            .join("a")
            .join(fluxdb::engine::RESTORE_JOURNAL)
            .exists()
    );
    let copy: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("a").join("indexes").join("users.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(copy["indexed_fields"], json!(["age", "address.city"]));
}

#[test]
fn restore_of_a_damaged_backup_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let source = restore_fixture(&tmp.path().join("source"));
    let file = tmp.path().join("db.backup");
    source.backup_database(&file, &mut |_, _| {}).unwrap();
    drop(source);
    let good = std::fs::read(&file).unwrap();

    let dir = tmp.path().join("target");
    let mut db = FluxDB::open(&dir).unwrap();
    db.insert("users", json!({"_id": "mine"})).unwrap();
    db.flush().unwrap();
    let before = snapshot(&db);
    let files_before = folder_bytes(&dir);

    let damaged = tmp.path().join("damaged.backup");
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for at in [40, good.len() / 3, good.len() / 2, good.len() - 30] {
        let mut bytes = good.clone();
        bytes[at] ^= 0x55;
        cases.push((format!("byte {at} flipped"), bytes));
    }
    for cut in [good.len() - 1, good.len() - 40, good.len() / 2, 20] {
        cases.push((format!("cut at {cut}"), good[..cut].to_vec()));
    }
    for (what, bytes) in cases {
        std::fs::write(&damaged, &bytes).unwrap();
        let error = db.restore_database(&damaged).unwrap_err();
        assert!(
            matches!(&error, Error::Corrupt { path, .. } if path == &damaged),
            "{what}: {error}"
        );
        assert_eq!(snapshot(&db), before, "{what}");
        assert_eq!(folder_bytes(&dir), files_before, "{what}");
    }
    // A one-collection backup is not a database backup.
    let one = tmp.path().join("one.fdb");
    db.export_collection("users", &one).unwrap();
    let error = db.restore_database(&one).unwrap_err().to_string();
    assert!(error.contains("import it instead"), "{error}");
}

/// Every file of a database folder with its content.
fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.ends_with(".fluxdb.lock"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn verify_finds_nothing_in_a_sound_database_and_locates_a_damaged_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = restore_fixture(dir);
    let report = db.verify(None).unwrap();
    assert!(
        report.is_ok(),
        "{:?}",
        report.problems().collect::<Vec<_>>()
    );
    let users = &report.collections[2];
    assert_eq!(
        (users.name.as_str(), users.records, users.indexes),
        ("users", 3, 2)
    );
    assert!(users.entries >= 4);
    assert!(matches!(
        db.verify(Some("nope")),
        Err(Error::CollectionNotFound(_))
    ));

    // Damage record "b" of users on disk behind the open database.
    let path = dir.join("users.fdb");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = find(&bytes, b"only here").unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let report = db.verify(Some("users")).unwrap();
    assert!(!report.is_ok());
    let located = report
        .problems()
        .find(|p| p.record_id.as_deref() == Some("b"))
        .unwrap_or_else(|| panic!("{:?}", report.problems().collect::<Vec<_>>()));
    let offset = located.offset.unwrap();
    assert!(offset < at as u64 && at as u64 - offset < 64, "{located}");
    assert!(
        located
            .to_string()
            .starts_with("collection \"users\", offset ")
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---- through the binary ----

fn ok(db: &Path, args: &[&str]) -> String {
    let run = fluxdb(db, args);
    assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
    assert!(
        run.stderr.is_empty(),
        "{args:?} wrote to stderr: {}",
        run.stderr
    );
    run.stdout
}

fn fails(db: &Path, args: &[&str], needle: &str) -> Run {
    let run = fluxdb(db, args);
    assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(needle),
        "{args:?}: {:?} lacks {needle:?}",
        run.stderr
    );
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "one line: {:?}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    run
}

#[test]
fn cli_export_and_import_round_trip_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let docs = serde_json::to_string(&varied()).unwrap();
    ok(&db, &["insert", "users", &docs]);
    let before = ok(&db, &["find", "users"]);
    for ext in ["json", "jsonl", "ndjson", "fdb"] {
        let file = tmp.path().join(format!("users.{ext}"));
        let file = file.to_str().unwrap();
        assert_eq!(ok(&db, &["export", "users", file]), "3\n", "{ext}");
        let copy = format!("copy_{ext}");
        assert_eq!(ok(&db, &["import", &copy, file]), "3\n", "{ext}");
        assert_eq!(ok(&db, &["find", &copy]), before, "{ext}");
    }
    // A chosen format wins over the extension.
    let odd = tmp.path().join("users.txt");
    let odd = odd.to_str().unwrap();
    assert_eq!(
        ok(&db, &["export", "users", odd, "--format", "jsonl"]),
        "3\n"
    );
    assert_eq!(
        ok(&db, &["import", "copy_txt", odd, "--format", "jsonl"]),
        "3\n"
    );
    // CSV, with a filter; types overridden on the way back.
    let csv = tmp.path().join("ages.csv");
    let csv = csv.to_str().unwrap();
    assert_eq!(
        ok(
            &db,
            &[
                "export",
                "users",
                csv,
                "--filter",
                r#"{"age": {"$gte": 30}}"#
            ]
        ),
        "2\n"
    );
    assert_eq!(
        ok(&db, &["import", "ages", csv, "--csv-type", "age=string"]),
        "2\n"
    );
    let ages: Vec<Value> = ok(&db, &["find", "ages"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["age"].clone())
        .collect();
    assert_eq!(ages, [json!("30"), json!("31.5")]);
}

#[test]
fn cli_import_reports_a_bad_line_in_one_line_and_imports_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    ok(&db, &["insert", "t", r#"{"a": 0}"#]);
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"a\": 1}\n{\"a\": 2\n{\"a\": 3}\n").unwrap();
    let bad = bad.to_str().unwrap();
    fails(&db, &["import", "t", bad], &format!("{bad}: line 2: "));
    assert_eq!(ok(&db, &["count", "t"]), "1\n");
    fails(&db, &["import", "new", bad], "line 2");
    assert_eq!(ok(&db, &["collections"]), "t\n");

    let run = fluxdb(&db, &["import", "t", bad, "--skip-bad"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "2\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("fluxdb: skipped: {bad}: line 2: ")),
        "{}",
        run.stderr
    );
    assert_eq!(ok(&db, &["count", "t"]), "3\n");

    fails(&db, &["import", "t", "missing.jsonl"], "missing.jsonl");
    fails(
        &db,
        &["import", "t", bad, "--format", "xml"],
        "not supported",
    );
    fails(
        &db,
        &["import", "t", bad, "--csv-type", "age"],
        "expected FIELD=TYPE",
    );
    fails(
        &db,
        &["import", "t", bad, "--csv-type", "age=date"],
        "unknown CSV column type",
    );
    fails(
        &db,
        &["export", "nope", "x.jsonl"],
        "collection \"nope\" does not exist",
    );
}

#[test]
fn cli_backup_restore_verify_info_and_compact() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    ok(&db, &["create", "users", "--index", "age"]);
    let docs = serde_json::to_string(&varied()).unwrap();
    ok(&db, &["insert", "users", &docs]);
    ok(&db, &["insert", "logs", r#"[{"m": 1}, {"m": 2}]"#]);
    let before = (ok(&db, &["find", "users"]), ok(&db, &["find", "logs"]));
    let file = tmp.path().join("all.backup");
    let file = file.to_str().unwrap();
    assert_eq!(
        ok(&db, &["backup", file]),
        format!(
            "backed up 2 collections (5 records) to {file} ({} bytes)\n",
            std::fs::metadata(file).unwrap().len()
        )
    );
    ok(&db, &["delete-many", "users", "{}"]);
    ok(&db, &["insert", "extra", "{}"]);
    assert_eq!(
        ok(&db, &["restore", file]),
        format!(
            "restored 2 collections (5 records) from {file}: logs, users\n\
             left as they were (not in the backup): extra\n"
        )
    );
    assert_eq!(
        (ok(&db, &["find", "users"]), ok(&db, &["find", "logs"])),
        before
    );

    let verified = ok(&db, &["verify"]);
    assert_eq!(
        verified.lines().collect::<Vec<_>>(),
        [
            "extra: ok (1 records, 2 entries, 0 indexes checked)",
            "logs: ok (2 records, 3 entries, 0 indexes checked)",
            "users: ok (3 records, 4 entries, 1 indexes checked)",
        ]
    );
    let info: Value = serde_json::from_str(&ok(&db, &["info", "users"])).unwrap();
    assert_eq!(info["format"], "native");
    assert_eq!(info["records"], 3);
    assert_eq!(info["indexed_fields"], json!(["age"]));
    assert!(info["file_bytes"].as_u64().unwrap() > 0);
    let dead_before = info["dead_bytes"].as_u64().unwrap();
    assert_eq!(ok(&db, &["info"]).lines().count(), 3);
    fails(&db, &["info", "nope"], "does not exist");

    // An update leaves the old version as dead space; compact reclaims it.
    ok(&db, &["update", "users", "a", r#"{"age": 99}"#]);
    let info: Value = serde_json::from_str(&ok(&db, &["info", "users"])).unwrap();
    let (size, dead) = (
        info["file_bytes"].as_u64().unwrap(),
        info["dead_bytes"].as_u64().unwrap(),
    );
    assert!(dead > dead_before + 100, "{dead} vs {dead_before}");
    let compacted = ok(&db, &["compact", "users"]);
    let info: Value = serde_json::from_str(&ok(&db, &["info", "users"])).unwrap();
    let after = info["file_bytes"].as_u64().unwrap();
    assert_eq!(
        compacted,
        format!(
            "users: {size} -> {after} bytes ({} reclaimed)\n",
            size - after
        )
    );
    assert_eq!(info["dead_bytes"].as_u64().unwrap(), dead_before);

    // A damaged backup: refused in one line naming the file and offset.
    let mut bytes = std::fs::read(file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let damaged = tmp.path().join("damaged.backup");
    std::fs::write(&damaged, bytes).unwrap();
    let damaged = damaged.to_str().unwrap();
    fails(
        &db,
        &["restore", damaged],
        &format!("{damaged}: corrupt at byte offset"),
    );
    assert_eq!(ok(&db, &["count", "users"]), "3\n");

    // Damage on disk: verify exits 1 with its report on stdout.
    let users = db.join("users.fdb");
    let mut bytes = std::fs::read(&users).unwrap();
    let at = find(&bytes, b"only here").unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(&users, bytes).unwrap();
    let run = fails(&db, &["verify", "users"], "verify found");
    assert!(run.stdout.starts_with("users: DAMAGED"), "{}", run.stdout);
    assert!(run.stdout.contains("record \"b\""), "{}", run.stdout);
}

#[test]
fn every_new_command_has_an_example_in_its_help() {
    for command in [
        "export", "import", "backup", "restore", "verify", "info", "compact", "diff",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
            .args([command, "--help"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains(&format!("Example: fluxdb --db data {command}")),
            "{command}: {help}"
        );
    }
}

/// Kills `fluxdb import` at moments spread over its run: after reopening,
/// the collection holds all of each import or none of it.
#[test]
fn an_import_killed_at_any_moment_leaves_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let file = tmp.path().join("big.jsonl");
    let n = 40_000;
    write_lines(&file, n, false);
    let file = file.to_str().unwrap();
    let start = Instant::now();
    assert_eq!(ok(&db, &["import", "t", file]), format!("{n}\n"));
    let full = start.elapsed();
    for round in 0..8u32 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
            .arg("--db")
            .arg(&db)
            .args(["import", "t", file])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(f64::from(round) / 7.0) + Duration::from_millis(5));
        let _ = child.kill();
        let _ = child.wait();
        // A kill in the middle of a batch leaves a torn tail, which the
        // next open drops and reports as a warning: that is the only
        // thing allowed on stderr.
        let run = fluxdb(&db, &["count", "t"]);
        assert_eq!(run.code, 0, "round {round}: count failed: {}", run.stderr);
        assert!(
            run.stderr
                .lines()
                .all(|line| line.contains("an unfinished write from a crash")),
            "round {round}: unexpected stderr: {}",
            run.stderr
        );
        let count: usize = run.stdout.trim().parse().unwrap();
        assert_eq!(count % n, 0, "round {round}: {count} records");
    }
    let reopened = OpenOptions::new().open(&db).unwrap();
    assert!(reopened.verify(None).unwrap().is_ok());
}

#[test]
fn an_import_keeps_built_indexes_exact_and_a_failed_one_leaves_them_right() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path().join("db")).unwrap();
    db.create_collection("t", &["n"]).unwrap();
    db.insert("t", json!({"_id": "first", "n": 1})).unwrap();
    // A query builds the index before the import.
    assert_eq!(db.count("t", &json!({"n": 1})).unwrap(), 1);
    let good = tmp.path().join("good.jsonl");
    std::fs::write(&good, "{\"n\": 1}\n{\"n\": 2}\n").unwrap();
    db.import_documents("t", &good, ImportOptions::new(), &mut no_progress())
        .unwrap();
    let found = db.explain("t", &Find::new(json!({"n": 1}))).unwrap();
    assert_eq!((found.index.as_deref(), found.returned), (Some("n"), 2));
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"n\": 2}\n{\"n\": }\n").unwrap();
    assert!(
        db.import_documents("t", &bad, ImportOptions::new(), &mut no_progress())
            .is_err()
    );
    assert_eq!(db.count("t", &json!({"n": 2})).unwrap(), 1);
    assert!(db.verify(Some("t")).unwrap().is_ok());
}

/// A writable copy of the Python FluxDB 0.1 fixture folder `basic`.
fn legacy_folder(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-v0.1/basic");
    copy_dir(&from, to);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::write(&target, std::fs::read(&path).unwrap()).unwrap();
        }
    }
}

#[test]
fn python_folders_export_import_verify_and_back_up_but_are_not_restored_over() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    legacy_folder(&dir);
    let mut db = FluxDB::open(&dir).unwrap();
    let users = db.count("users", &json!({})).unwrap() as u64;
    let out = tmp.path().join("users.jsonl");
    let written = db
        .export_documents("users", &out, &ExportOptions::new(), &mut |_, _| {})
        .unwrap();
    assert_eq!(written, users);

    // Appending to a Python collection: all or nothing, written once.
    let before = std::fs::read(dir.join("users.fdb")).unwrap();
    let bad = tmp.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"name\": \"Zed\"}\n{oops}\n").unwrap();
    assert!(
        db.import_documents("users", &bad, ImportOptions::new(), &mut no_progress())
            .is_err()
    );
    assert_eq!(std::fs::read(dir.join("users.fdb")).unwrap(), before);
    let good = tmp.path().join("good.jsonl");
    std::fs::write(&good, "{\"name\": \"Zed\"}\n{\"name\": \"Yo\"}\n").unwrap();
    let report = db
        .import_documents("users", &good, ImportOptions::new(), &mut no_progress())
        .unwrap();
    assert_eq!((report.imported, report.groups_written), (2, 1));
    assert_eq!(db.count("users", &json!({})).unwrap() as u64, users + 2);

    let verified = db.verify(None).unwrap();
    assert!(
        verified.is_ok(),
        "{:?}",
        verified.problems().collect::<Vec<_>>()
    );
    assert!(verified.collections.iter().all(|c| c.note.is_some()));

    let backup = tmp.path().join("all.backup");
    let report = db.backup_database(&backup, &mut |_, _| {}).unwrap();
    assert_eq!(
        report.records,
        verified.collections.iter().map(|c| c.records).sum::<u64>()
    );
    let error = db.restore_database(&backup).unwrap_err().to_string();
    assert!(error.contains("migrate the folder first"), "{error}");
    // Into a new folder, the backup becomes native collections.
    let mut fresh = FluxDB::open(tmp.path().join("fresh")).unwrap();
    fresh.restore_database(&backup).unwrap();
    assert_eq!(fresh.count("users", &json!({})).unwrap() as u64, users + 2);
}
