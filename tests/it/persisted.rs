//! The persisted `_id` table and indexes (checkpoints, FORMAT.md
//! "Checkpoints"): a new process uses them without reading the records,
//! replays only the log after them, and never believes one that does not
//! prove it describes the file: such a checkpoint is ignored, reported by
//! verify and `info`, and rebuilt by the next writer.

use std::path::{Path, PathBuf};

use fluxdb::engine::{Find, FluxDB, OpenOptions};
use serde_json::{Value, json};

use crate::faults::copy_tree;

const CITIES: [&str; 7] = ["Oslo", "Lima", "Accra", "Perth", "Quito", "Osaka", "Lyon"];

fn person(i: usize) -> Value {
    let mut doc = json!({
        "_id": format!("p{i:05}"),
        "age": (i * 37) % 90,
        "city": CITIES[i % CITIES.len()],
        "name": format!("person {i}"),
    });
    if i.is_multiple_of(50) {
        // A few arrays: the index files each element too.
        doc["age"] = json!([i % 90, 200]);
    }
    doc
}

fn checkpoint_of(dir: &Path, collection: &str) -> PathBuf {
    dir.join("indexes").join(format!("{collection}.checkpoint"))
}

/// A folder with `people` (indexes on age and city) closed, so its
/// checkpoint is written.
fn folder_with_people(dir: &Path, n: usize) {
    let mut db = FluxDB::open(dir).unwrap();
    db.create_collection("people", &["age", "city"]).unwrap();
    db.insert_many("people", (0..n).map(person).collect())
        .unwrap();
    db.close().unwrap();
}

fn reader(dir: &Path) -> FluxDB {
    OpenOptions::new().read_only(true).open(dir).unwrap()
}

/// What the tests ask: answers an index gives (equality, `$in`, ranges,
/// sorts with a limit both ways, a get, counts) and the whole collection
/// in natural order.
fn answers(db: &FluxDB) -> fluxdb::Result<Vec<Value>> {
    let ids =
        |docs: Vec<fluxdb::Document>| -> Value { docs.iter().map(|d| d["_id"].clone()).collect() };
    let mut out = Vec::new();
    for filter in [
        json!({"city": "Oslo"}),
        json!({"city": {"$in": ["Lima", "Nowhere", "Lyon"]}}),
        json!({"age": {"$gte": 30, "$lt": 33}}),
        json!({"age": 200}),
        json!({"age": {"$gt": 85}, "city": "Perth"}),
    ] {
        out.push(ids(db.find("people", &Find::new(filter.clone()))?));
        out.push(json!(db.count("people", &filter)?));
    }
    for (sort, skip) in [(json!({"city": 1}), 0), (json!({"city": -1}), 7)] {
        let find = Find::all().sort(sort).skip(skip).limit(20);
        out.push(ids(db.find("people", &find)?));
    }
    for skip in [1_234, 2_995, 3_010] {
        // Pages of everything: where a checkpoint's slots are all live the
        // page starts at its slot without reading those before it.
        out.push(ids(db.find("people", &Find::all().skip(skip).limit(8))?));
    }
    out.push(json!(db.get("people", "p00042")?));
    out.push(json!(db.exists("people", "nobody")?));
    out.push(ids(db.find("people", &Find::all())?));
    Ok(out)
}

/// The answers of a copy of the folder opened without its checkpoint:
/// what reading every record gives.
fn answers_without_checkpoint(dir: &Path) -> Vec<Value> {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(dir, copy.path());
    let _ = std::fs::remove_file(checkpoint_of(copy.path(), "people"));
    let db = reader(copy.path());
    assert!(
        db.collection_info("people")
            .unwrap()
            .persisted
            .unwrap()
            .checkpoint
            .is_none()
    );
    answers(&db).unwrap()
}

#[test]
fn closing_writes_a_checkpoint_that_the_next_open_reads_instead_of_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 3_000);
    assert!(checkpoint_of(tmp.path(), "people").exists());
    let db = reader(tmp.path());
    let info = db.collection_info("people").unwrap();
    let persisted = info.persisted.unwrap();
    assert_eq!(
        persisted.checkpoint,
        Some(checkpoint_of(tmp.path(), "people"))
    );
    assert_eq!(persisted.covered_records, 3_000);
    assert_eq!(persisted.uncovered_log_bytes, 0);
    assert_eq!(persisted.records_in_memory, 0);
    assert_eq!(persisted.ignored, None);
    assert_eq!(info.records, 3_000);
    assert_eq!(info.indexed_fields, ["age", "city"]);
    assert_eq!(
        answers(&db).unwrap(),
        answers_without_checkpoint(tmp.path())
    );
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert_eq!(persisted.persisted_indexes, ["age", "city"]);
    assert!(
        db.explain("people", &Find::new(json!({"city": "Oslo"})))
            .unwrap()
            .index
            .is_some()
    );
    let verified = db.verify(None).unwrap();
    assert!(verified.is_ok(), "{verified:?}");
}

#[test]
fn writes_after_a_checkpoint_are_replayed_and_merged_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 3_000);
    {
        // Few enough changes that closing leaves them in the log.
        let mut db = OpenOptions::new()
            .checkpoint_records(10_000)
            .open(tmp.path())
            .unwrap();
        for i in (0..3_000).step_by(60) {
            let id = format!("p{i:05}");
            db.update("people", &id, &json!({"$set": {"city": "Oslo", "age": 31}}))
                .unwrap();
        }
        for i in (7..3_000).step_by(100) {
            assert!(db.delete("people", &format!("p{i:05}")).unwrap());
        }
        let new: Vec<Value> = (3_000..3_040).map(person).collect();
        db.insert_many("people", new).unwrap();
        // Deleted, then back under the same id: it goes last.
        db.insert("people", person(7)).unwrap();
        db.begin_transaction().unwrap();
        db.update("people", "p00001", &json!({"$set": {"age": 32}}))
            .unwrap();
        db.rollback().unwrap();
        db.close().unwrap();
    }
    let db = reader(tmp.path());
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert!(persisted.checkpoint.is_some());
    assert!(persisted.uncovered_log_bytes > 0);
    assert!(persisted.records_in_memory >= 100, "{persisted:?}");
    assert_eq!(
        answers(&db).unwrap(),
        answers_without_checkpoint(tmp.path())
    );
    assert_eq!(db.count("people", &json!({})).unwrap(), 3_000 - 30 + 40 + 1);
    let all = db.find("people", &Find::all()).unwrap();
    assert_eq!(all.last().unwrap()["_id"], "p00007");
    let verified = db.verify(None).unwrap();
    assert!(verified.is_ok(), "{verified:?}");
    drop(db);

    // The next writer that closes with enough in memory writes a new one.
    let db = OpenOptions::new()
        .checkpoint_records(1)
        .open(tmp.path())
        .unwrap();
    db.close().unwrap();
    let db = reader(tmp.path());
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert_eq!(
        (persisted.uncovered_log_bytes, persisted.records_in_memory),
        (0, 0)
    );
    assert_eq!(
        answers(&db).unwrap(),
        answers_without_checkpoint(tmp.path())
    );
    // Its slots and posting lists were mostly copied from the old one as
    // stored; verify compares each with the records.
    let verified = db.verify(None).unwrap();
    assert!(verified.is_ok(), "{verified:?}");
}

#[test]
fn an_index_created_after_the_checkpoint_is_built_and_then_persisted() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 2_000);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_index("people", "name").unwrap();
    db.drop_index("people", "age").unwrap();
    let by_name = Find::new(json!({"name": "person 1234"}));
    assert_eq!(db.find("people", &by_name).unwrap().len(), 1);
    db.close().unwrap();
    let db = reader(tmp.path());
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert_eq!(persisted.persisted_indexes, ["city", "name"]);
    assert_eq!(db.find("people", &by_name).unwrap().len(), 1);
    assert_eq!(
        db.explain("people", &by_name).unwrap().index.as_deref(),
        Some("name")
    );
}

/// Opens `dir` read-only: every answer must be the right one or an error
/// naming the damage, never a wrong one.
fn never_wrong(dir: &Path, expected: &[Value]) {
    let db = reader(dir);
    match answers(&db) {
        Ok(got) => assert_eq!(got, expected),
        Err(e) => assert!(e.to_string().contains("persisted index damaged"), "{e}"),
    }
}

/// Damages the checkpoint with `damage`, then checks: readers never give a
/// wrong answer; a writer ignores it (saying why in `info` and verify) and
/// writes a good one when it closes.
fn damaged_checkpoint_case(name: &str, damage: impl FnOnce(&Path, &Path)) {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 3_000);
    let expected = answers_without_checkpoint(tmp.path());
    damage(tmp.path(), &checkpoint_of(tmp.path(), "people"));
    never_wrong(tmp.path(), &expected);

    let db = FluxDB::open(tmp.path()).unwrap();
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert!(persisted.checkpoint.is_none(), "{name}: {persisted:?}");
    let reason = persisted.ignored.clone().unwrap_or_default();
    assert!(!reason.is_empty(), "{name}: no reason given");
    assert_eq!(answers(&db).unwrap(), expected, "{name}");
    let verified = db.verify(None).unwrap();
    assert!(
        format!("{verified:?}").contains("persisted index"),
        "{name}: verify says {verified:?}"
    );
    db.close().unwrap();

    let db = reader(tmp.path());
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert!(persisted.checkpoint.is_some(), "{name}: not rebuilt");
    assert_eq!(persisted.ignored, None, "{name}");
    assert_eq!(answers(&db).unwrap(), expected, "{name}");
}

fn flip_byte(path: &Path, at: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = at as usize % bytes.len();
    bytes[at] ^= 0x20;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_truncated_checkpoint_is_ignored_and_rebuilt() {
    damaged_checkpoint_case("truncated", |_, checkpoint| {
        let len = std::fs::metadata(checkpoint).unwrap().len();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(checkpoint)
            .unwrap();
        file.set_len(len / 2).unwrap();
    });
}

#[test]
fn a_bit_flip_anywhere_in_a_checkpoint_never_gives_a_wrong_answer() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 3_000);
    let expected = answers_without_checkpoint(tmp.path());
    let checkpoint = checkpoint_of(tmp.path(), "people");
    let pristine = std::fs::read(&checkpoint).unwrap();
    let len = pristine.len() as u64;
    // 250 places over the whole file, and the last 200 bytes (trailer,
    // footer, chunk table) each.
    let step = (len / 250).max(1) as usize;
    let places = (0..len).step_by(step).chain(len.saturating_sub(200)..len);
    for at in places {
        std::fs::write(&checkpoint, &pristine).unwrap();
        flip_byte(&checkpoint, at);
        never_wrong(tmp.path(), &expected);
    }
    std::fs::write(&checkpoint, &pristine).unwrap();
    damaged_checkpoint_case("bit flip", |_, checkpoint| flip_byte(checkpoint, len / 3));
}

#[test]
fn another_collections_checkpoint_is_ignored_and_rebuilt() {
    damaged_checkpoint_case("foreign", |dir, checkpoint| {
        let mut db = FluxDB::open(dir).unwrap();
        db.create_collection("other", &["age", "city"]).unwrap();
        db.insert_many("other", (0..3_000).map(person).collect())
            .unwrap();
        db.close().unwrap();
        std::fs::copy(checkpoint_of(dir, "other"), checkpoint).unwrap();
    });
}

#[test]
fn a_checkpoint_newer_than_its_file_is_ignored_and_rebuilt() {
    damaged_checkpoint_case("older file", |dir, _| {
        // The file goes back to a copy taken before later writes (a file
        // restored by hand), while the checkpoint covers those writes.
        let older = std::fs::read(dir.join("people.fdb")).unwrap();
        let mut db = OpenOptions::new().checkpoint_records(1).open(dir).unwrap();
        db.insert("people", person(9_999)).unwrap();
        db.close().unwrap();
        std::fs::write(dir.join("people.fdb"), older).unwrap();
    });
}

#[test]
fn a_checkpoint_of_another_format_version_is_ignored_and_rebuilt() {
    damaged_checkpoint_case("version", |_, checkpoint| {
        let mut bytes = std::fs::read(checkpoint).unwrap();
        bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
        std::fs::write(checkpoint, bytes).unwrap();
    });
}

#[test]
fn an_older_checkpoint_of_the_same_file_is_still_used() {
    // It describes a prefix of the file: what follows is replayed.
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 2_000);
    let checkpoint = checkpoint_of(tmp.path(), "people");
    let older = std::fs::read(&checkpoint).unwrap();
    let mut db = OpenOptions::new()
        .checkpoint_records(1)
        .open(tmp.path())
        .unwrap();
    db.insert_many("people", (2_000..2_500).map(person).collect())
        .unwrap();
    db.delete("people", "p00003").unwrap();
    db.close().unwrap();
    std::fs::write(&checkpoint, older).unwrap();
    let db = reader(tmp.path());
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert!(persisted.checkpoint.is_some());
    assert_eq!(persisted.covered_records, 2_000);
    assert!(persisted.uncovered_log_bytes > 0);
    assert_eq!(
        answers(&db).unwrap(),
        answers_without_checkpoint(tmp.path())
    );
}

#[test]
fn compaction_and_compression_write_a_checkpoint_of_the_new_file() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 3_000);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    for i in (0..3_000).step_by(3) {
        db.delete("people", &format!("p{i:05}")).unwrap();
    }
    db.compact("people").unwrap();
    let after_compaction = answers(&db).unwrap();
    drop(db);
    let db = reader(tmp.path());
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert_eq!(
        (persisted.covered_records, persisted.uncovered_log_bytes),
        (2_000, 0)
    );
    assert_eq!(answers(&db).unwrap(), after_compaction);
    drop(db);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.set_compression("people", fluxdb::engine::Compression::Lz4)
        .unwrap();
    drop(db);
    let db = reader(tmp.path());
    assert!(
        db.collection_info("people")
            .unwrap()
            .persisted
            .unwrap()
            .checkpoint
            .is_some()
    );
    assert_eq!(answers(&db).unwrap(), after_compaction);
    assert_eq!(
        answers(&db).unwrap(),
        answers_without_checkpoint(tmp.path())
    );
}

#[test]
fn clear_drop_and_rename_leave_no_stale_checkpoint_behind() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 2_000);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.rename_collection("people", "folk").unwrap();
    assert!(!checkpoint_of(tmp.path(), "people").exists());
    drop(db);
    let db = reader(tmp.path());
    let persisted = db.collection_info("folk").unwrap().persisted.unwrap();
    assert!(persisted.checkpoint.is_some(), "{persisted:?}");
    assert_eq!(db.count("folk", &json!({"city": "Oslo"})).unwrap(), 286);
    drop(db);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.clear_collection("folk").unwrap();
    assert!(!checkpoint_of(tmp.path(), "folk").exists());
    assert_eq!(db.count("folk", &json!({"city": "Oslo"})).unwrap(), 0);
    db.insert_many("folk", (0..1_500).map(person).collect())
        .unwrap();
    db.close().unwrap();
    assert!(checkpoint_of(tmp.path(), "folk").exists());
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.drop_collection("folk").unwrap();
    assert!(!checkpoint_of(tmp.path(), "folk").exists());
}

#[test]
fn a_restored_database_gets_a_checkpoint_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 2_000);
    let backup = tmp.path().join("before.fdbbackup");
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.backup_database(&backup, &mut |_, _| {}).unwrap();
    for i in (0..2_000).step_by(9) {
        db.update(
            "people",
            &format!("p{i:05}"),
            &json!({"$set": {"city": "Oslo"}}),
        )
        .unwrap();
    }
    for i in (1..2_000).step_by(13) {
        db.delete("people", &format!("p{i:05}")).unwrap();
    }
    db.close().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.restore_database(&backup).unwrap();
    assert!(
        !checkpoint_of(tmp.path(), "people").exists(),
        "the old file's checkpoint is gone"
    );
    let expected = {
        let fresh = tempfile::tempdir().unwrap();
        folder_with_people(fresh.path(), 2_000);
        answers_without_checkpoint(fresh.path())
    };
    assert_eq!(answers(&db).unwrap(), expected);
    db.close().unwrap();
    let db = reader(tmp.path());
    assert!(
        db.collection_info("people")
            .unwrap()
            .persisted
            .unwrap()
            .checkpoint
            .is_some()
    );
    assert_eq!(answers(&db).unwrap(), expected);
}

#[test]
fn a_migrated_python_folder_persists_its_indexes_and_answers_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-v0.1/basic");
    copy_tree(&fixture, tmp.path());
    let everything = |db: &FluxDB| -> Vec<(String, Vec<fluxdb::Document>)> {
        db.list_collections()
            .into_iter()
            .map(|name| {
                let docs = db.find(&name, &Find::all()).unwrap();
                (name, docs)
            })
            .collect()
    };
    let before = everything(&reader(tmp.path()));
    let mut db = OpenOptions::new()
        .checkpoint_records(1)
        .open(tmp.path())
        .unwrap();
    db.migrate(fluxdb::engine::MigrateOptions { infer_types: false })
        .unwrap();
    db.close().unwrap();
    let db = reader(tmp.path());
    assert_eq!(everything(&db), before);
    let users = db.collection_info("users").unwrap();
    assert_eq!(users.format, fluxdb::engine::StorageFormat::Native);
    assert!(
        users.persisted.unwrap().checkpoint.is_some(),
        "no checkpoint after migrate"
    );
    for (name, docs) in &before {
        for field in db.collection_info(name).unwrap().indexed_fields {
            // Each indexed value finds its records through the index.
            for doc in docs {
                let Some(value) = doc.get(&field) else {
                    continue;
                };
                let found = db.find(name, &Find::new(json!({ &field: value }))).unwrap();
                assert!(found.contains(doc), "{name}.{field} = {value}");
            }
        }
    }
}

#[test]
fn an_id_held_only_by_the_checkpoint_is_refused_and_generated_ids_insert() {
    let tmp = tempfile::tempdir().unwrap();
    folder_with_people(tmp.path(), 2_000);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    let persisted = db.collection_info("people").unwrap().persisted.unwrap();
    assert!(persisted.checkpoint.is_some(), "{persisted:?}");
    assert_eq!(persisted.records_in_memory, 0);
    // p00042 lives only in the checkpoint: inserting it again is refused,
    // alone or in a batch, and the batch leaves nothing behind.
    let err = db.insert("people", person(42)).unwrap_err();
    assert!(err.to_string().contains("p00042"), "{err}");
    let batch = vec![json!({"name": "new"}), person(1_999)];
    assert!(db.insert_many("people", batch).is_err());
    assert_eq!(db.count("people", &json!({})).unwrap(), 2_000);
    // Documents without an `_id` get new ones, without a lookup.
    let ids = db
        .insert_many("people", (0..500).map(|i| json!({"age": i % 90})).collect())
        .unwrap();
    db.close().unwrap();
    let db = reader(tmp.path());
    assert_eq!(db.count("people", &json!({})).unwrap(), 2_500);
    for id in ids.iter().step_by(50) {
        assert!(db.get("people", id).unwrap().is_some());
    }
    let holds_seven = |age: &Value| match age {
        Value::Array(items) => items.contains(&json!(7)),
        age => *age == json!(7),
    };
    let sevens = (0..2_000)
        .filter(|&i| holds_seven(&person(i)["age"]))
        .count()
        + (0..500).filter(|i| i % 90 == 7).count();
    assert_eq!(db.count("people", &json!({"age": 7})).unwrap(), sevens);
}
