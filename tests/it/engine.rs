//! The engine's API, as the seed documents it, with its defects fixed.

use fluxdb::Error;
use fluxdb::engine::{Find, FluxDB, OpenOptions, StorageFormat};
use serde_json::{Value, json};

use crate::support::{doc, names};

fn open(dir: &std::path::Path) -> FluxDB {
    FluxDB::open(dir).unwrap()
}

#[test]
fn open_creates_the_folder_and_lists_no_collections() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new-db");
    let db = open(&dir);
    assert!(dir.is_dir());
    assert!(db.list_collections().is_empty());
}

#[test]
fn open_of_a_path_that_is_a_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = FluxDB::open(&file).unwrap_err();
    assert!(
        err.to_string().contains("is a file") || err.to_string().contains("folder"),
        "{err}"
    );
}

#[test]
fn create_drop_clear_return_the_seeds_booleans() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    assert!(db.create_collection("users", &["age", "status"]).unwrap());
    assert!(!db.create_collection("users", &["age"]).unwrap());
    db.insert("users", json!({"name": "Alice", "age": 30}))
        .unwrap();
    assert!(db.clear_collection("users").unwrap());
    assert_eq!(db.count("users", &json!({})).unwrap(), 0);
    assert_eq!(
        db.collection_info("users").unwrap().indexed_fields,
        ["age", "status"]
    );
    assert!(db.drop_collection("users").unwrap());
    assert!(!db.drop_collection("users").unwrap());
    assert!(!db.clear_collection("users").unwrap());
    assert!(db.list_collections().is_empty());
    assert!(!tmp.path().join("users.fdb").exists());
    assert!(!tmp.path().join("indexes/users.json").exists());
}

#[test]
fn invalid_names_are_refused_before_touching_any_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut db = open(&dir);
    for bad in ["../escape", "a/b", ".hidden", "", "with space", "x\\y"] {
        let err = db.create_collection::<&str>(bad, &[]).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }), "{bad:?}: {err}");
        assert!(matches!(
            db.insert(bad, json!({})).unwrap_err(),
            Error::InvalidName { .. }
        ));
    }
    assert!(!tmp.path().join("escape.fdb").exists());
    assert_eq!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "fdb"))
            .count(),
        0
    );
}

#[test]
fn insert_creates_the_collection_and_returns_a_uuid_v4() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    let id = db
        .insert("users", json!({"name": "Alice", "age": 30}))
        .unwrap();
    let parsed = uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
    assert_eq!(db.list_collections(), ["users"]);
    let stored = db.get("users", &id).unwrap().unwrap();
    assert_eq!(
        Value::Object(stored),
        json!({"_id": id, "name": "Alice", "age": 30})
    );
}

#[test]
fn values_keep_their_types_and_field_order_across_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let original = json!({"_id": "r1", "z": 1, "a": 1.5, "s": "30", "b": true, "n": null,
                          "arr": [1, "x", {"k": [2]}], "o": {"y": 1, "x": 2}});
    {
        let mut db = open(tmp.path());
        db.insert("t", original.clone()).unwrap();
    }
    let db = open(tmp.path());
    let back = db.get("t", "r1").unwrap().unwrap();
    assert_eq!(
        serde_json::to_string(&back).unwrap(),
        serde_json::to_string(&original).unwrap()
    );
}

#[test]
fn caller_ids_are_kept_and_duplicates_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    assert_eq!(db.insert("t", json!({"_id": "a", "v": 1})).unwrap(), "a");
    let err = db.insert("t", json!({"_id": "a", "v": 2})).unwrap_err();
    assert!(matches!(err, Error::DuplicateId { .. }), "{err}");
    assert_eq!(db.get("t", "a").unwrap().unwrap()["v"], 1);
    let err = db.insert("t", json!({"_id": 5})).unwrap_err();
    assert!(err.to_string().contains("_id must be a string"), "{err}");
    let err = db.insert("t", json!([1, 2])).unwrap_err();
    assert!(err.to_string().contains("JSON object"), "{err}");
}

#[test]
fn insert_many_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    db.insert("t", json!({"_id": "taken"})).unwrap();
    let err = db
        .insert_many(
            "t",
            vec![
                json!({"name": "a"}),
                json!({"_id": "taken"}),
                json!({"name": "c"}),
            ],
        )
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateId { .. }));
    assert_eq!(db.count("t", &json!({})).unwrap(), 1);
    let err = db
        .insert_many("t", vec![json!({"_id": "x"}), json!({"_id": "x"})])
        .unwrap_err();
    assert!(matches!(err, Error::DuplicateId { .. }));
    let err = db
        .insert_many("t", vec![json!({"a": 1}), json!("nope")])
        .unwrap_err();
    assert!(err.to_string().contains("document 1"), "{err}");
    assert_eq!(db.count("t", &json!({})).unwrap(), 1);
    let ids = db
        .insert_many("t", vec![json!({"name": "b"}), json!({"name": "c"})])
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(db.count("t", &json!({})).unwrap(), 3);
    // A large batch is checked in two halves at once: the error is still
    // the first bad document's, whichever half it is in, and one too deep
    // to drop recursively after it costs nothing.
    let deep = || {
        let mut deep = json!(1);
        for _ in 0..100_000 {
            deep = serde_json::Value::Array(vec![deep]);
        }
        deep
    };
    let batch = |bad: &[usize]| -> Vec<serde_json::Value> {
        (0..10_000)
            .map(|i| match bad.contains(&i) {
                true => json!(format!("bad {i}")),
                false => json!({"i": i}),
            })
            .collect()
    };
    for (bad, named) in [
        (vec![7_001], 7_001),
        (vec![300, 7_001], 300),
        (vec![9_998], 9_998),
    ] {
        let mut docs = batch(&bad);
        docs[9_999] = deep();
        let err = db.insert_many("t", docs).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("invalid document: document {named}:")),
            "{err}"
        );
    }
    assert_eq!(db.count("t", &json!({})).unwrap(), 3);
    assert_eq!(db.insert_many("t", batch(&[])).unwrap().len(), 10_000);
    assert_eq!(
        db.count("t", &json!({"i": {"$gte": 5_000}})).unwrap(),
        5_000
    );
}

/// A codec that refuses every record, as a user's `storage_backend` that
/// raises does.
#[derive(Debug)]
struct RefusingCodec;

impl fluxdb::engine::storage::RecordCodec for RefusingCodec {
    fn name(&self) -> &str {
        "refusing"
    }
    fn encode(&self, _: &fluxdb::Document, _: &mut Vec<u8>) -> fluxdb::Result<()> {
        Err(Error::RecordEncoding("refused".to_owned()))
    }
    fn decode(&self, _: &str, _: &[u8]) -> fluxdb::Result<fluxdb::Document> {
        Err(Error::RecordEncoding("refused".to_owned()))
    }
}

#[test]
fn a_failed_insert_many_creates_no_collection() {
    // The seed created nothing for a failed insert; neither may the engine,
    // whatever failed (a bad or duplicate `_id`, the codec) and whether or
    // not a transaction is open, in either format.
    let tmp = tempfile::tempdir().unwrap();
    let legacy = tmp.path().join("legacy");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(legacy.join("old.fdb"), b"").unwrap();
    for dir in [tmp.path().join("native"), legacy] {
        let mut db = open(&dir);
        let before = db.list_collections();
        let failing: [Vec<Value>; 3] = [
            vec![json!({"a": 1}), json!({"_id": 5})],
            vec![json!({"_id": "x"}), json!({"_id": "x"})],
            vec![json!({"a": 1}), json!("not a record")],
        ];
        for docs in failing {
            db.insert_many("new", docs.clone()).unwrap_err();
            assert_eq!(db.list_collections(), before, "{}", dir.display());
            db.begin_transaction().unwrap();
            db.insert_many("new", docs).unwrap_err();
            assert_eq!(db.list_collections(), before);
            db.commit().unwrap();
        }
        assert!(!dir.join("new.fdb").exists());
        drop(db);
        assert_eq!(
            open(&dir).list_collections(),
            before,
            "nothing appears on reopening"
        );
    }
    let native = tmp.path().join("codec");
    let mut db = OpenOptions::new()
        .codec(std::sync::Arc::new(RefusingCodec))
        .open(&native)
        .unwrap();
    let err = db.insert_many("new", vec![json!({"a": 1})]).unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(db.list_collections().is_empty());
    assert!(!native.join("new.fdb").exists());
    // An existing collection stays, empty, after the same failure.
    db.create_collection("kept", &["a"]).unwrap();
    db.insert_many("kept", vec![json!({"a": 1})]).unwrap_err();
    assert_eq!(db.list_collections(), ["kept"]);
    assert_eq!(db.count("kept", &json!({})).unwrap(), 0);
}

#[test]
fn find_filters_sorts_skips_and_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    for (name, age, status) in [
        ("Ann", 31, "active"),
        ("Bob", 25, "pending"),
        ("Cid", 19, "active"),
        ("Dee", 42, "gone"),
    ] {
        db.insert("users", json!({"name": name, "age": age, "status": status}))
            .unwrap();
    }
    let found = db
        .find("users", &Find::new(json!({"age": {"$gt": 20, "$lt": 40}})))
        .unwrap();
    assert_eq!(names(&found), ["Ann", "Bob"]);
    let found = db
        .find(
            "users",
            &Find::new(json!({"status": {"$in": ["active", "pending"]}})).sort(json!({"age": 1})),
        )
        .unwrap();
    assert_eq!(names(&found), ["Cid", "Bob", "Ann"]);
    let found = db
        .find(
            "users",
            &Find::all().sort(json!({"age": -1})).skip(1).limit(2),
        )
        .unwrap();
    assert_eq!(names(&found), ["Ann", "Bob"]);
    let found = db
        .find("users", &Find::new(json!({"name": "Dee"})))
        .unwrap();
    assert_eq!(names(&found), ["Dee"]);
    assert_eq!(db.count("users", &json!({"status": "active"})).unwrap(), 2);
    assert!(matches!(
        db.find("nope", &Find::all()).unwrap_err(),
        Error::CollectionNotFound(_)
    ));
}

#[test]
fn sort_with_limit_is_stable_for_equal_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    for i in 0..20 {
        db.insert("t", json!({"name": format!("n{i:02}"), "k": i % 2}))
            .unwrap();
    }
    let found = db
        .find("t", &Find::all().sort(json!({"k": 1})).limit(4))
        .unwrap();
    assert_eq!(names(&found), ["n00", "n02", "n04", "n06"]);
    let found = db
        .find("t", &Find::all().sort(json!({"k": -1})).skip(2).limit(3))
        .unwrap();
    assert_eq!(names(&found), ["n05", "n07", "n09"]);
}

#[test]
fn update_merges_and_delete_removes_with_the_seeds_return_values() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    let id = db
        .insert("users", json!({"name": "Alice", "status": "active"}))
        .unwrap();
    assert!(
        db.update("users", &id, &json!({"status": "inactive", "age": 31}))
            .unwrap()
    );
    assert_eq!(
        Value::Object(db.get("users", &id).unwrap().unwrap()),
        json!({"_id": id, "name": "Alice", "status": "inactive", "age": 31})
    );
    assert!(!db.update("users", "missing", &json!({"a": 1})).unwrap());
    let err = db
        .update("users", &id, &json!({"_id": "other"}))
        .unwrap_err();
    assert!(err.to_string().contains("_id"), "{err}");
    assert!(db.exists("users", &id).unwrap());
    assert!(db.delete("users", &id).unwrap());
    assert!(!db.delete("users", &id).unwrap());
    assert!(!db.exists("users", &id).unwrap());
    assert!(!db.exists("no-such-collection", &id).unwrap());
    assert!(matches!(
        db.update("nope", "x", &json!({})).unwrap_err(),
        Error::CollectionNotFound(_)
    ));
    assert!(matches!(
        db.delete("nope", "x").unwrap_err(),
        Error::CollectionNotFound(_)
    ));
}

#[test]
fn updated_records_keep_their_position_in_natural_order() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut db = open(tmp.path());
        db.insert_many(
            "t",
            vec![
                json!({"_id": "1", "name": "a"}),
                json!({"_id": "2", "name": "b"}),
                json!({"_id": "3", "name": "c"}),
            ],
        )
        .unwrap();
        db.flush().unwrap();
        db.update("t", "1", &json!({"name": "A"})).unwrap();
        db.delete("t", "2").unwrap();
        db.insert("t", json!({"_id": "4", "name": "d"})).unwrap();
    }
    let db = open(tmp.path());
    assert_eq!(names(&db.find("t", &Find::all()).unwrap()), ["A", "c", "d"]);
}

#[test]
fn buffered_writes_are_visible_before_flush_and_durable_after_drop() {
    let tmp = tempfile::tempdir().unwrap();
    let big_buffer = OpenOptions::new().flush_size(usize::MAX);
    {
        let mut db = big_buffer.clone().open(tmp.path()).unwrap();
        let id = db.insert("t", json!({"name": "buffered"})).unwrap();
        assert!(db.exists("t", &id).unwrap());
        let on_disk = std::fs::metadata(tmp.path().join("t.fdb")).unwrap().len();
        assert_eq!(names(&db.find("t", &Find::all()).unwrap()), ["buffered"]);
        assert!(db.update("t", &id, &json!({"name": "changed"})).unwrap());
        assert_eq!(
            std::fs::metadata(tmp.path().join("t.fdb")).unwrap().len(),
            on_disk,
            "nothing written before flush"
        );
    }
    let db = open(tmp.path());
    assert_eq!(names(&db.find("t", &Find::all()).unwrap()), ["changed"]);
}

#[test]
fn a_full_buffer_flushes_by_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = OpenOptions::new()
        .flush_size(4096)
        .open(tmp.path())
        .unwrap();
    db.create_collection::<&str>("t", &[]).unwrap();
    let start = std::fs::metadata(tmp.path().join("t.fdb")).unwrap().len();
    for i in 0..200 {
        db.insert("t", json!({"i": i, "pad": "x".repeat(40)}))
            .unwrap();
    }
    assert!(std::fs::metadata(tmp.path().join("t.fdb")).unwrap().len() > start);
}

#[test]
fn transactions_commit_roll_back_and_see_their_own_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    db.insert("users", json!({"_id": "keep", "name": "Keep"}))
        .unwrap();
    db.begin_transaction().unwrap();
    assert!(matches!(
        db.begin_transaction().unwrap_err(),
        Error::Transaction(_)
    ));
    db.insert("users", json!({"name": "Eve"})).unwrap();
    db.update("users", "keep", &json!({"name": "Changed"}))
        .unwrap();
    db.delete("users", "keep").unwrap();
    assert_eq!(names(&db.find("users", &Find::all()).unwrap()), ["Eve"]);
    db.rollback().unwrap();
    assert_eq!(names(&db.find("users", &Find::all()).unwrap()), ["Keep"]);
    assert!(matches!(db.rollback().unwrap_err(), Error::Transaction(_)));
    assert!(matches!(db.commit().unwrap_err(), Error::Transaction(_)));

    db.begin_transaction().unwrap();
    db.insert("users", json!({"name": "Eve"})).unwrap();
    db.insert("orders", json!({"name": "Order"})).unwrap();
    db.commit().unwrap();
    drop(db);
    let db = open(tmp.path());
    assert_eq!(
        names(&db.find("users", &Find::all()).unwrap()),
        ["Keep", "Eve"]
    );
    assert_eq!(names(&db.find("orders", &Find::all()).unwrap()), ["Order"]);
}

#[test]
fn a_dropped_transaction_handle_rolls_back() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    db.create_collection::<&str>("t", &[]).unwrap();
    {
        let mut tx = db.transaction().unwrap();
        tx.insert("t", json!({"name": "gone"})).unwrap();
    }
    assert!(!db.in_transaction());
    assert_eq!(db.count("t", &json!({})).unwrap(), 0);
    let mut tx = db.transaction().unwrap();
    tx.insert("t", json!({"name": "kept"})).unwrap();
    tx.commit().unwrap();
    assert_eq!(names(&db.find("t", &Find::all()).unwrap()), ["kept"]);
}

#[test]
fn updates_and_deletes_append_and_compaction_reclaims() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    let ids = db
        .insert_many(
            "t",
            (0..100)
                .map(|i| json!({"i": i, "pad": "p".repeat(50)}))
                .collect(),
        )
        .unwrap();
    db.flush().unwrap();
    let size = db.collection_info("t").unwrap().file_bytes;
    for id in &ids[..50] {
        db.update("t", id, &json!({"i": -1})).unwrap();
    }
    for id in &ids[50..] {
        db.delete("t", id).unwrap();
    }
    db.flush().unwrap();
    let info = db.collection_info("t").unwrap();
    assert!(info.file_bytes > size, "updates append");
    assert!(info.dead_bytes > 0);
    let report = db.compact("t").unwrap();
    assert!(report.bytes_after < report.bytes_before);
    let info = db.collection_info("t").unwrap();
    assert_eq!(info.records, 50);
    assert!(info.dead_bytes < 200, "{info:?}");
    drop(db);
    let db = open(tmp.path());
    assert_eq!(db.count("t", &json!({"i": -1})).unwrap(), 50);
    assert_eq!(db.find("t", &Find::all()).unwrap()[0]["_id"], json!(ids[0]));
}

#[test]
fn export_then_import_restores_records_and_index_definitions() {
    let tmp = tempfile::tempdir().unwrap();
    let backup = tmp.path().join("users_backup.fdb");
    let mut db = open(&tmp.path().join("db"));
    db.create_collection("users", &["age"]).unwrap();
    db.insert_many(
        "users",
        (0..10)
            .map(|i| json!({"name": format!("u{i}"), "age": i}))
            .collect(),
    )
    .unwrap();
    assert!(db.export_collection("users", &backup).unwrap());
    assert!(
        !db.export_collection("missing", tmp.path().join("x.fdb"))
            .unwrap()
    );
    let before = db.find("users", &Find::all()).unwrap();
    db.clear_collection("users").unwrap();
    db.insert("users", json!({"name": "stray"})).unwrap();
    assert!(db.import_collection("users", &backup).unwrap());
    assert_eq!(db.find("users", &Find::all()).unwrap(), before);
    assert!(db.import_collection("copy", &backup).unwrap());
    assert_eq!(db.collection_info("copy").unwrap().indexed_fields, ["age"]);
    assert!(
        !db.import_collection("users", tmp.path().join("nope.fdb"))
            .unwrap()
    );
}

#[test]
fn a_damaged_backup_is_refused_and_nothing_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let backup = tmp.path().join("b.fdb");
    let mut db = open(&tmp.path().join("db"));
    db.insert_many("t", (0..20).map(|i| json!({"i": i})).collect())
        .unwrap();
    db.export_collection("t", &backup).unwrap();
    let bytes = std::fs::read(&backup).unwrap();
    db.insert("t", json!({"i": 99})).unwrap();
    for (what, damaged) in [
        ("truncated", bytes[..bytes.len() - 10].to_vec()),
        ("flipped", {
            let mut b = bytes.clone();
            let n = b.len() / 2;
            b[n] ^= 0x40;
            b
        }),
        ("garbage", b"not a backup at all".to_vec()),
    ] {
        std::fs::write(&backup, &damaged).unwrap();
        let err = db.import_collection("t", &backup).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{what}: {err}");
        assert_eq!(db.count("t", &json!({})).unwrap(), 21, "{what}");
    }
}

#[test]
fn read_only_open_reads_and_refuses_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut writer = open(tmp.path());
    writer.insert("t", json!({"name": "x"})).unwrap();
    writer.flush().unwrap();
    let mut reader = FluxDB::open_read_only(tmp.path()).unwrap();
    assert!(reader.is_read_only());
    assert_eq!(names(&reader.find("t", &Find::all()).unwrap()), ["x"]);
    assert!(matches!(
        reader.insert("t", json!({})).unwrap_err(),
        Error::ReadOnly { .. }
    ));
    assert!(matches!(
        reader.create_collection::<&str>("u", &[]).unwrap_err(),
        Error::ReadOnly { .. }
    ));
}

#[test]
fn a_second_writer_gets_a_locked_error_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let _first = open(tmp.path());
    let err = FluxDB::open(tmp.path()).unwrap_err();
    match &err {
        Error::Locked { holder, .. } => {
            assert!(holder.contains(&std::process::id().to_string()), "{holder}")
        }
        other => panic!("expected Locked, got {other}"),
    }
    drop(_first);
    FluxDB::open(tmp.path()).unwrap();
}

#[test]
fn collection_info_reports_format_counts_and_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    db.create_collection("t", &["a.b"]).unwrap();
    db.insert("t", json!({"a": {"b": 1}})).unwrap();
    db.flush().unwrap();
    let info = db.collection_info("t").unwrap();
    assert_eq!(info.format, StorageFormat::Native);
    assert_eq!(info.records, 1);
    assert_eq!(info.indexed_fields, ["a.b"]);
    assert_eq!(
        info.file_bytes,
        std::fs::metadata(tmp.path().join("t.fdb")).unwrap().len()
    );
}

#[test]
fn deeply_nested_documents_are_refused_with_a_limit_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = open(tmp.path());
    let mut v = json!(0);
    for _ in 0..200 {
        v = json!({ "n": v });
    }
    let err = db.insert("t", json!({ "deep": v })).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
}

#[test]
fn doc_helper_builds_objects() {
    assert_eq!(doc(json!({"a": 1})).len(), 1);
}

#[test]
fn index_definition_files_are_rebuilt_when_missing_or_stale() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut db = open(tmp.path());
        db.create_collection("a", &["x", "y.z"]).unwrap();
        db.create_collection("b", &["k"]).unwrap();
    }
    std::fs::remove_file(tmp.path().join("indexes/a.json")).unwrap();
    std::fs::write(
        tmp.path().join("indexes/b.json"),
        b"{\"indexed_fields\": [\"wrong\"]}",
    )
    .unwrap();
    let db = open(tmp.path());
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(tmp.path().join("indexes").join(name)).unwrap())
            .unwrap()
    };
    assert_eq!(read("a.json")["indexed_fields"], json!(["x", "y.z"]));
    assert_eq!(read("b.json")["indexed_fields"], json!(["k"]));
    assert_eq!(
        db.collection_info("b").unwrap().indexed_fields,
        ["k"],
        "the collection file is the truth"
    );
}

#[test]
fn a_user_codec_can_store_the_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let json_codec =
        || OpenOptions::new().codec(std::sync::Arc::new(fluxdb::engine::storage::JsonCodec));
    {
        let mut db = json_codec().open(tmp.path()).unwrap();
        db.insert("t", json!({"_id": "1", "a": [1, 2.5, "x"]}))
            .unwrap();
    }
    let bytes = std::fs::read(tmp.path().join("t.fdb")).unwrap();
    assert!(
        bytes.windows(13).any(|w| w == br#"{"a":[1,2.5,""#),
        "stored as JSON text"
    );
    let db = json_codec().open(tmp.path()).unwrap();
    assert_eq!(
        Value::Object(db.get("t", "1").unwrap().unwrap()),
        json!({"_id": "1", "a": [1, 2.5, "x"]})
    );
    assert_eq!(
        db.find_json("t", &Find::all()).unwrap(),
        [r#"{"_id":"1","a":[1,2.5,"x"]}"#],
        "text through a user codec is the decoded document's"
    );
    drop(db);
    let err = FluxDB::open(tmp.path()).unwrap_err();
    assert!(
        err.to_string().contains("json codec"),
        "opening with another codec is refused: {err}"
    );
}

#[test]
fn warming_indexes_builds_them_or_stops_when_cancelled_and_answers_stay_right() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let mut db = open(tmp.path());
        db.create_collection("c", &["n", "a.b"]).unwrap();
        let docs = (0..20_000)
            .map(|i| json!({"n": i % 97, "a": {"b": i % 5}}))
            .collect();
        db.insert_many("c", docs).unwrap();
        db.close().unwrap();
    }
    // Without its checkpoint, the indexes are built from the records.
    let checkpoint = tmp.path().join("indexes").join("c.checkpoint");
    std::fs::remove_file(&checkpoint).unwrap();
    let db = open(tmp.path());
    let cancelled = fluxdb::interchange::CancelToken::new();
    cancelled.cancel();
    assert!(matches!(
        db.warm_indexes("c", &cancelled),
        Err(Error::Cancelled)
    ));
    // Nothing half-built was kept: the query builds the index itself.
    let query = Find::new(json!({"n": 42, "a.b": 2}));
    let expected = db.find("c", &query).unwrap().len();
    assert!(expected > 0);
    let db = {
        drop(db);
        open(tmp.path())
    };
    db.warm_indexes("c", &fluxdb::interchange::CancelToken::new())
        .unwrap();
    let explained = db.explain("c", &query).unwrap();
    assert!(explained.index.is_some(), "{explained:?}");
    assert_eq!(db.find("c", &query).unwrap().len(), expected);
    assert!(matches!(
        db.warm_indexes("missing", &fluxdb::interchange::CancelToken::new()),
        Err(Error::CollectionNotFound(_))
    ));
    // Closing wrote the checkpoint again: its indexes need no build, so
    // even a cancelled warm-up has nothing left to do.
    drop(db);
    assert!(checkpoint.exists());
    let db = open(tmp.path());
    db.warm_indexes("c", &cancelled).unwrap();
    assert_eq!(db.find("c", &query).unwrap().len(), expected);
}
