//! Fault injection on every write path: the device stops after N bytes, an
//! fsync fails, a rename fails. For each operation and each fault the
//! operation must return (an error, never a panic), the same handle must
//! not lose a later write, and reopening the folder must give the state
//! before the operation or, where its commit point passed, after it.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::Path;

use fluxdb::engine::storage::durable::fault::{self, Plan};
use fluxdb::engine::{Compression, Find, FluxDB, ImportOptions, MigrateOptions, OpenOptions};
use serde_json::{Value, json};

/// What a folder holds: per collection its format (with its compression),
/// index definitions and documents in order.
type State = BTreeMap<String, (String, Vec<String>, Vec<Value>)>;

const MARKER: &str = "marker-after-fault";

pub fn scratch() -> tempfile::TempDir {
    // tmpfs when there is one: thousands of fsyncs per test.
    if Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm").unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

fn open(dir: &Path) -> FluxDB {
    OpenOptions::new()
        .flush_size(1 << 20)
        .open(dir)
        .unwrap_or_else(|e| panic!("reopening {} failed: {e}", dir.display()))
}

/// The state of a folder, read by a writer (so recovery runs first).
pub fn state(dir: &Path) -> State {
    let db = open(dir);
    let mut out = State::new();
    for name in db.list_collections() {
        let info = db.collection_info(&name).unwrap();
        let docs = db
            .find(&name, &Find::all())
            .unwrap()
            .into_iter()
            .map(Value::Object)
            .collect();
        let format = format!("{} {}", info.format, info.compression);
        out.insert(name, (format, info.indexed_fields, docs));
    }
    out
}

/// The state without the marker record; a collection that held only the
/// marker was made by the marker's insert (after a drop) and goes too.
fn without_marker(mut state: State) -> (State, bool) {
    let mut found = false;
    state.retain(|_, (_, _, docs)| {
        let had = docs.iter().any(|d| d["_id"] == MARKER);
        docs.retain(|d| d["_id"] != MARKER);
        found |= had;
        !(had && docs.is_empty())
    });
    (state, found)
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every fault worth trying for an operation that wrote `bytes` bytes and
/// made `syncs` fsyncs and `renames` renames: each byte count for small
/// writes, a spread of them for large ones.
fn plans(bytes: u64, syncs: u64, renames: u64) -> Vec<Plan> {
    let mut stops: Vec<u64> = if bytes <= 400 {
        (0..bytes).collect()
    } else {
        let mut v: Vec<u64> = (0..100).collect();
        v.extend((0..200).map(|i| 100 + i * (bytes - 100) / 200));
        v.extend(bytes - 40..bytes);
        v
    };
    stops.dedup();
    let mut plans: Vec<Plan> = stops.into_iter().map(Plan::StopAfterBytes).collect();
    plans.extend((0..syncs).map(Plan::FailSync));
    plans.extend((0..renames).map(Plan::FailRename));
    plans
}

/// Runs `op` on a copy of the folder `setup` made, once clean (to learn the
/// state after it and what it writes), then once per fault.
fn check_write_path(
    what: &str,
    setup: impl Fn(&Path),
    op: impl Fn(&mut FluxDB, &Path) -> fluxdb::Result<()>,
    marker_collection: &str,
) {
    let base = scratch();
    let base_dir = base.path().join("db");
    setup(&base_dir);
    let before = state(&base_dir);

    let clean = scratch();
    let clean_dir = clean.path().join("db");
    copy_tree(&base_dir, &clean_dir);
    let mut db = open(&clean_dir);
    fault::arm(Plan::Count);
    op(&mut db, &clean_dir).unwrap_or_else(|e| panic!("{what} without faults: {e}"));
    let counts = fault::disarm();
    drop(db);
    let after = state(&clean_dir);
    assert!(
        counts.bytes > 0 || counts.syncs > 0,
        "{what} wrote nothing: the test would test nothing"
    );

    let plans = plans(counts.bytes, counts.syncs, counts.renames);
    for plan in &plans {
        let run = scratch();
        let dir = run.path().join("db");
        copy_tree(&base_dir, &dir);
        let mut db = open(&dir);
        fault::arm(*plan);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| op(&mut db, &dir)));
        let counts = fault::disarm();
        let result = result.unwrap_or_else(|_| panic!("{what} panicked under {plan:?}"));
        // A fault after the commit point may be reported as success (a
        // transaction whose log record is durable has committed); the
        // state check below holds it to that.
        let _ = counts;
        // The same handle must not lose a write made after the fault.
        let marker = db
            .insert(marker_collection, json!({"_id": MARKER}))
            .and_then(|_| db.flush());
        drop(db);
        let (found, marker_found) = without_marker(state(&dir));
        assert!(
            found == before || found == after,
            "{what} under {plan:?} ({result:?}): reopened state is neither before nor after\nbefore {before:?}\nafter {after:?}\nfound {found:?}"
        );
        if result.is_ok() {
            assert_eq!(found, after, "{what} under {plan:?} succeeded");
        }
        if marker.is_ok() {
            assert!(
                marker_found,
                "{what} under {plan:?} ({result:?}): a write acknowledged after the fault is lost"
            );
        }
    }
    eprintln!(
        "{what}: {} faults ({} bytes, {} fsyncs, {} renames)",
        plans.len(),
        counts.bytes,
        counts.syncs,
        counts.renames
    );
}

fn docs(range: std::ops::Range<u64>) -> Vec<Value> {
    range
        .map(|i| json!({"_id": format!("r{i}"), "n": i, "s": "x".repeat((i % 5) as usize * 7)}))
        .collect()
}

fn native_setup(dir: &Path) {
    let mut db = open(dir);
    db.create_collection("a", &["n"]).unwrap();
    db.insert_many("a", docs(0..6)).unwrap();
    db.insert_many("b", docs(100..103)).unwrap();
    db.flush().unwrap();
}

/// Like [`native_setup`], `a` stored with LZ4 and `b` with zstd.
fn compressed_setup(dir: &Path) {
    let mut db = open(dir);
    db.create_collection_with("a", &["n"], Compression::Lz4)
        .unwrap();
    db.create_collection_with::<&str>("b", &[], Compression::Zstd { level: 1 })
        .unwrap();
    db.insert_many("a", docs(0..6)).unwrap();
    db.insert_many("b", docs(100..103)).unwrap();
    db.flush().unwrap();
}

/// A Python FluxDB 0.1 folder (a 0-byte `.fdb` is an empty Python
/// collection) with records and an index.
fn legacy_setup(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("users.fdb"), b"").unwrap();
    let mut db = open(dir);
    db.insert_many(
        "users",
        (0..5)
            .map(|i| json!({"_id": format!("u{i}"), "name": format!("n{i}"), "age": i}))
            .collect(),
    )
    .unwrap();
    db.create_index("users", "age").unwrap();
    db.flush().unwrap();
    assert_eq!(
        db.collection_info("users").unwrap().format.to_string(),
        "python-0.1"
    );
}

#[test]
fn a_single_collection_commit_survives_every_fault() {
    check_write_path(
        "single-collection commit",
        native_setup,
        |db, _| {
            db.begin_transaction()?;
            db.insert_many("a", docs(10..13))?;
            db.update("a", "r1", &json!({"$set": {"n": 99}}))?;
            db.delete("a", "r2")?;
            db.commit()
        },
        "a",
    );
}

#[test]
fn a_multi_collection_commit_survives_every_fault() {
    check_write_path(
        "multi-collection commit",
        native_setup,
        |db, _| {
            db.begin_transaction()?;
            db.insert_many("a", docs(10..12))?;
            db.delete("b", "r100")?;
            db.update("b", "r101", &json!({"$inc": {"n": 1}}))?;
            db.commit()
        },
        "a",
    );
}

#[test]
fn a_commit_to_compressed_collections_survives_every_fault() {
    check_write_path(
        "compressed commit",
        compressed_setup,
        |db, _| {
            db.begin_transaction()?;
            db.insert_many("a", docs(10..13))?;
            db.update("a", "r1", &json!({"$set": {"n": 99}}))?;
            db.delete("b", "r100")?;
            db.update("b", "r101", &json!({"$inc": {"n": 1}}))?;
            db.commit()
        },
        "a",
    );
}

#[test]
fn a_codec_switch_survives_every_fault() {
    check_write_path(
        "lz4 to zstd",
        compressed_setup,
        |db, _| db.set_compression("a", Compression::ZSTD).map(drop),
        "a",
    );
    check_write_path(
        "zstd to none",
        compressed_setup,
        |db, _| db.set_compression("b", Compression::None).map(drop),
        "b",
    );
    check_write_path(
        "none to lz4",
        native_setup,
        |db, _| db.set_compression("a", Compression::Lz4).map(drop),
        "a",
    );
}

#[test]
fn a_buffered_flush_survives_every_fault() {
    check_write_path(
        "buffered flush",
        native_setup,
        |db, _| {
            db.insert_many("a", docs(20..30))?;
            db.update("a", "r3", &json!({"s": "changed"}))?;
            db.delete("a", "r4")?;
            db.flush()
        },
        "a",
    );
}

#[test]
fn compaction_survives_every_fault() {
    check_write_path(
        "compaction",
        |dir| {
            native_setup(dir);
            let mut db = open(dir);
            for round in 0..4 {
                db.update("a", "r0", &json!({"$set": {"round": round}}))
                    .unwrap();
                db.flush().unwrap();
            }
            db.delete("a", "r5").unwrap();
        },
        |db, _| db.compact("a").map(drop),
        "a",
    );
}

#[test]
fn clearing_survives_every_fault() {
    check_write_path(
        "clear",
        native_setup,
        |db, _| db.clear_collection("a").map(drop),
        "a",
    );
}

#[test]
fn index_changes_survive_every_fault() {
    check_write_path(
        "create_index",
        native_setup,
        |db, _| db.create_index("a", "s").map(drop),
        "a",
    );
    check_write_path(
        "drop_index",
        native_setup,
        |db, _| db.drop_index("a", "n").map(drop),
        "a",
    );
}

#[test]
fn export_and_import_survive_every_fault() {
    // Export changes no collection; a failed one leaves no file behind.
    check_write_path(
        "export",
        |dir| {
            native_setup(dir);
            let db = open(dir);
            db.export_collection("a", dir.join("whole.backup")).unwrap();
        },
        |db, dir| {
            let target = dir.join("a.backup");
            let result = db.export_collection("a", &target).map(drop);
            // A failed export leaves no file, or (failing after its
            // rename) the whole file.
            if target.exists() {
                assert_eq!(
                    std::fs::read(&target).unwrap(),
                    std::fs::read(dir.join("whole.backup")).unwrap()
                );
            }
            assert!(!dir.join("a.backup.tmp").exists());
            result
        },
        "a",
    );
    check_write_path(
        "import",
        |dir| {
            native_setup(dir);
            let db = open(dir);
            db.export_collection("b", dir.join("b.backup")).unwrap();
        },
        |db, dir| db.import_collection("a", dir.join("b.backup")).map(drop),
        "a",
    );
}

#[test]
fn legacy_rewrites_survive_every_fault() {
    check_write_path(
        "legacy insert",
        legacy_setup,
        |db, _| {
            db.insert("users", json!({"_id": "u9", "name": "new", "age": 9}))?;
            db.flush()
        },
        "users",
    );
    check_write_path(
        "legacy update and delete",
        legacy_setup,
        |db, _| {
            db.update("users", "u1", &json!({"name": "renamed"}))?;
            db.delete("users", "u2")?;
            db.flush()
        },
        "users",
    );
    check_write_path(
        "legacy create_index",
        legacy_setup,
        |db, _| db.create_index("users", "name").map(drop),
        "users",
    );
    check_write_path(
        "legacy clear",
        legacy_setup,
        |db, _| db.clear_collection("users").map(drop),
        "users",
    );
    check_write_path(
        "legacy import",
        |dir| {
            legacy_setup(dir);
            let mut db = open(dir);
            db.delete("users", "u0").unwrap();
            db.export_collection("users", dir.join("users.export"))
                .unwrap();
            db.insert("users", json!({"_id": "u7"})).unwrap();
        },
        |db, dir| {
            db.import_collection("users", dir.join("users.export"))
                .map(drop)
        },
        "users",
    );
    check_write_path(
        "legacy multi-collection commit",
        |dir| {
            legacy_setup(dir);
            let mut db = open(dir);
            db.insert("other", json!({"_id": "o1", "v": 1})).unwrap();
        },
        |db, _| {
            db.begin_transaction()?;
            db.insert("users", json!({"_id": "u8", "age": 8}))?;
            db.delete("other", "o1")?;
            db.commit()
        },
        "users",
    );
}

#[test]
fn migration_survives_every_fault() {
    check_write_path(
        "migrate",
        legacy_setup,
        |db, _| db.migrate(MigrateOptions::default()).map(drop),
        "users",
    );
}

#[test]
fn document_imports_survive_every_fault() {
    for (name, text) in [
        (
            "x.jsonl",
            "{\"_id\": \"j1\", \"n\": 1}\n{\"_id\": \"j2\", \"n\": 2, \"s\": \"two\"}\n{\"_id\": \"j3\"}\n",
        ),
        ("x.csv", "_id,n,s\nc1,1,one\nc2,2,\"t,wo\"\n"),
    ] {
        check_write_path(
            &format!("import of {name}"),
            |dir| {
                native_setup(dir);
                std::fs::write(dir.join(name), text).unwrap();
            },
            |db, dir| {
                db.import_documents("a", dir.join(name), ImportOptions::new(), &mut |_| {})
                    .map(drop)
            },
            "a",
        );
    }
}

#[test]
fn database_backup_and_restore_survive_every_fault() {
    check_write_path(
        "backup_database",
        native_setup,
        |db, dir| {
            let target = dir.join("all.backup");
            let result = db.backup_database(&target, &mut |_, _| {}).map(drop);
            assert!(!dir.join("all.backup.tmp").exists());
            result
        },
        "a",
    );
    check_write_path(
        "restore_database",
        |dir| {
            native_setup(dir);
            let mut db = open(dir);
            db.backup_database(dir.join("all.backup"), &mut |_, _| {})
                .unwrap();
            db.insert_many("a", docs(50..53)).unwrap();
            db.delete("b", "r101").unwrap();
            db.flush().unwrap();
        },
        |db, dir| db.restore_database(dir.join("all.backup")).map(drop),
        "a",
    );
}

#[test]
fn creating_and_dropping_collections_survive_every_fault() {
    check_write_path(
        "create_collection",
        native_setup,
        |db, _| db.create_collection("n", &["x"]).map(drop),
        "a",
    );
    check_write_path(
        "drop_collection",
        native_setup,
        |db, _| db.drop_collection("a").map(drop),
        "a",
    );
    check_write_path(
        "legacy drop_collection",
        legacy_setup,
        |db, _| db.drop_collection("users").map(drop),
        "users",
    );
}

/// What index lookups answer on `dir` opened read-only (from whatever
/// checkpoint is there), sorted ids per key of `k`.
fn answers_by_index(dir: &Path) -> Vec<Vec<String>> {
    let db = OpenOptions::new().read_only(true).open(dir).unwrap();
    (0..7)
        .map(|k| {
            let mut ids: Vec<String> = db
                .find("c", &Find::new(json!({"k": k})))
                .unwrap()
                .iter()
                .map(|d| d["_id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        })
        .collect()
}

#[test]
fn checkpoint_writes_survive_every_fault() {
    let setup = |dir: &Path| {
        let mut db = open(dir);
        db.create_collection("c", &["k"]).unwrap();
        let docs = (0..1_500)
            .map(|i| json!({"_id": format!("c{i}"), "k": i % 7}))
            .collect();
        db.insert_many("c", docs).unwrap();
        db.close().unwrap();
    };
    // Records change after the checkpoint, then a new one is written.
    let op = |db: &mut FluxDB, _: &Path| {
        for i in 0..40 {
            db.update("c", &format!("c{i}"), &json!({"$set": {"k": (i + 3) % 7}}))?;
        }
        db.delete("c", "c100")?;
        db.write_checkpoints()
    };
    check_write_path("write_checkpoints", setup, op, "c");

    // Whatever the fault left of the checkpoint, index answers stay right.
    let base = scratch();
    let base_dir = base.path().join("db");
    setup(&base_dir);
    let clean = scratch();
    let clean_dir = clean.path().join("db");
    copy_tree(&base_dir, &clean_dir);
    let mut db = open(&clean_dir);
    fault::arm(Plan::Count);
    op(&mut db, &clean_dir).unwrap();
    let counts = fault::disarm();
    drop(db);
    let expected = answers_by_index(&clean_dir);
    for plan in plans(counts.bytes, counts.syncs, counts.renames)
        .into_iter()
        .step_by(3)
    {
        let run = scratch();
        let dir = run.path().join("db");
        copy_tree(&base_dir, &dir);
        let mut db = open(&dir);
        let updated = op(&mut db, &dir).is_ok();
        drop(db);
        assert!(updated, "the writes before the checkpoint succeed");
        let mut db = open(&dir);
        for i in 0..40 {
            db.update("c", &format!("c{i}"), &json!({"$set": {"k": (i + 3) % 7}}))
                .unwrap();
        }
        fault::arm(plan);
        let result = db.write_checkpoints();
        fault::disarm();
        drop(db);
        assert_eq!(
            answers_by_index(&dir),
            expected,
            "under {plan:?} ({result:?})"
        );
    }
}
