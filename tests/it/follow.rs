//! A read-only handle following a folder another handle writes
//! (`FluxDB::refresh`): after every step it answers as a fresh open does,
//! reading only what was appended, and across compactions, new and dropped
//! collections, transactions over several collections and checkpoints.

use std::collections::BTreeMap;
use std::path::Path;

use fluxdb::engine::{Find, FluxDB, LogChange, LogPosition, OpenOptions, Refreshed};
use serde_json::{Value, json};

fn reader(dir: &Path) -> FluxDB {
    OpenOptions::new().read_only(true).open(dir).unwrap()
}

/// Everything a reader is asked: each collection whole, indexed and
/// unindexed queries, sorts, counts and gets.
fn answers(db: &FluxDB) -> Vec<Value> {
    let ids = |docs: Vec<fluxdb::Document>| -> Value {
        docs.iter().map(|d| Value::Object(d.clone())).collect()
    };
    let mut out = vec![json!(db.list_collections())];
    for name in db.list_collections() {
        out.push(ids(db.find(&name, &Find::all()).unwrap()));
        for filter in [
            json!({"k": 3}),
            json!({"n": {"$gte": 10, "$lt": 40}}),
            json!({"tag": "b"}),
        ] {
            out.push(ids(db.find(&name, &Find::new(filter.clone())).unwrap()));
            out.push(json!(db.count(&name, &filter).unwrap()));
        }
        let sorted = Find::all().sort(json!({"n": -1})).limit(7);
        out.push(ids(db.find(&name, &sorted).unwrap()));
        out.push(json!(db.get(&name, "r7").unwrap()));
    }
    out
}

fn record(i: u64, round: u64) -> Value {
    let tag = ["a", "b", "c"][(i % 3) as usize];
    json!({
        "_id": format!("r{i}"),
        "n": (i * 7 + round) % 97,
        "k": i % 5,
        "tag": tag,
    })
}

#[test]
fn a_reader_follows_every_commit_of_a_writer_and_answers_as_a_fresh_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = FluxDB::open(dir.path()).unwrap();
    writer.create_collection("c", &["n", "k"]).unwrap();
    writer
        .insert_many("c", (0..300).map(|i| record(i, 0)).collect())
        .unwrap();
    writer.flush().unwrap();
    let mut follower = reader(dir.path());
    // Its indexes built, so that following must keep them exact.
    assert_eq!(answers(&follower), answers(&reader(dir.path())));

    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    for round in 1..40 {
        for _ in 0..next(30) {
            let i = next(400);
            match next(4) {
                0 => {
                    writer.delete("c", &format!("r{i}")).unwrap();
                }
                1 => {
                    writer
                        .update(
                            "c",
                            &format!("r{i}"),
                            &json!({"$set": {"n": next(97), "tag": "b"}}),
                        )
                        .unwrap();
                }
                _ => {
                    let _ = writer.insert("c", record(i, round));
                }
            }
        }
        if round % 7 == 0 {
            // A bulk insert: thousands in one group.
            let docs = (10_000 * round..10_000 * round + 5_000)
                .map(|i| record(i, round))
                .collect();
            writer.insert_many("c", docs).unwrap();
        }
        writer.flush().unwrap();
        let refreshed = follower.refresh().unwrap();
        assert!(
            refreshed.reopened.is_empty(),
            "round {round}: {refreshed:?}"
        );
        assert_eq!(
            answers(&follower),
            answers(&reader(dir.path())),
            "round {round}"
        );
    }
    // A second look with nothing new changes nothing.
    assert!(follower.refresh().unwrap().is_empty());
}

#[test]
fn a_reader_reopens_what_was_replaced_and_sees_collections_come_and_go() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = FluxDB::open(dir.path()).unwrap();
    writer.create_collection("c", &["n"]).unwrap();
    writer.create_collection("old", &[] as &[&str]).unwrap();
    writer
        .insert_many("c", (0..200).map(|i| record(i, 0)).collect())
        .unwrap();
    writer.flush().unwrap();
    let mut follower = reader(dir.path());
    answers(&follower);

    // A compaction writes a new file: the reader opens it again.
    for i in 0..100 {
        writer.delete("c", &format!("r{i}")).unwrap();
    }
    writer.compact("c").unwrap();
    writer.insert("c", record(1_000, 1)).unwrap();
    writer.flush().unwrap();
    let refreshed = follower.refresh().unwrap();
    assert_eq!(refreshed.reopened, vec!["c".to_owned()]);
    assert_eq!(answers(&follower), answers(&reader(dir.path())));

    // A collection created, one dropped, one written in a transaction
    // with another.
    writer.drop_collection("old").unwrap();
    writer.create_collection("new", &["k"]).unwrap();
    writer.begin_transaction().unwrap();
    writer.insert("new", record(1, 2)).unwrap();
    writer.update("c", "r150", &json!({"n": 5})).unwrap();
    writer.commit().unwrap();
    let refreshed = follower.refresh().unwrap();
    assert_eq!(
        refreshed,
        Refreshed {
            advanced: vec![("c".to_owned(), 1)],
            reopened: Vec::new(),
            added: vec!["new".to_owned()],
            removed: vec!["old".to_owned()],
        }
    );
    assert_eq!(answers(&follower), answers(&reader(dir.path())));

    // Checkpoints the writer writes (closing) change nothing a reader sees.
    drop(writer);
    follower.refresh().unwrap();
    assert_eq!(answers(&follower), answers(&reader(dir.path())));
}

#[test]
fn a_transaction_is_shown_once_its_commit_record_is_there_and_skipped_once_abandoned() {
    let setup = |dir: &Path| {
        let mut writer = FluxDB::open(dir).unwrap();
        writer.create_collection("a", &["n"]).unwrap();
        writer.create_collection("b", &["k"]).unwrap();
        writer
            .insert_many("a", (0..50).map(|i| record(i, 0)).collect())
            .unwrap();
        writer
            .insert_many("b", (0..50).map(|i| record(i, 0)).collect())
            .unwrap();
        writer.close().unwrap();
    };
    let commit = |dir: &Path| {
        let mut writer = FluxDB::open(dir).unwrap();
        writer.begin_transaction().unwrap();
        writer
            .insert_many("a", (100..110).map(|i| record(i, 1)).collect())
            .unwrap();
        writer.delete("b", "r7").unwrap();
        writer.commit().unwrap();
    };
    // A writer between writing a transaction's groups and its commit
    // record (FORMAT.md, transactions.log: 12 bytes a record) is the
    // moment after the commit with its last record cut off.
    let cut_commit_record = |dir: &Path| -> Vec<u8> {
        let log = dir.join("transactions.log");
        let bytes = std::fs::read(&log).unwrap();
        std::fs::write(&log, &bytes[..bytes.len() - 12]).unwrap();
        bytes
    };

    for abandoned in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path());
        let mut follower = reader(dir.path());
        let before = answers(&follower);
        commit(dir.path());
        let log = cut_commit_record(dir.path());
        // Not committed (yet): not shown, and not skipped either.
        follower.refresh().unwrap();
        assert_eq!(answers(&follower), before, "abandoned: {abandoned}");
        assert_eq!(answers(&reader(dir.path())), before);
        if abandoned {
            // A later writer goes on after it: it never will be.
            let mut writer = FluxDB::open(dir.path()).unwrap();
            writer.insert("a", record(500, 2)).unwrap();
            writer.flush().unwrap();
            let refreshed = follower.refresh().unwrap();
            assert_eq!(refreshed.advanced, vec![("a".to_owned(), 1)]);
            assert!(follower.get("a", "r100").unwrap().is_none());
            assert!(follower.get("b", "r7").unwrap().is_some());
        } else {
            // Its commit record arrives: every part of it is shown.
            std::fs::write(dir.path().join("transactions.log"), &log).unwrap();
            let refreshed = follower.refresh().unwrap();
            assert_eq!(
                refreshed.advanced,
                vec![("a".to_owned(), 10), ("b".to_owned(), 1)]
            );
            assert!(follower.get("a", "r100").unwrap().is_some());
            assert!(follower.get("b", "r7").unwrap().is_none());
        }
        assert_eq!(answers(&follower), answers(&reader(dir.path())));
    }
}

#[test]
fn refresh_each_tells_every_committed_change_once_in_commit_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = FluxDB::open(dir.path()).unwrap();
    writer.create_collection("c", &["n"]).unwrap();
    writer.insert("c", record(1, 0)).unwrap();
    writer.flush().unwrap();
    let mut follower = reader(dir.path());
    let mut seen = Vec::new();
    let mut look = |follower: &mut FluxDB| {
        follower
            .refresh_each(&mut |collection, change| {
                seen.push((collection.to_owned(), change));
                Ok(())
            })
            .unwrap();
    };
    writer.insert("c", record(2, 0)).unwrap();
    writer
        .update("c", "r1", &json!({"$set": {"n": 50}}))
        .unwrap();
    writer.flush().unwrap();
    writer.delete("c", "r2").unwrap();
    writer.delete("c", "nobody").unwrap();
    writer.flush().unwrap();
    look(&mut follower);
    look(&mut follower);
    let doc = |v: Value| match v {
        Value::Object(map) => map,
        other => panic!("{other}"),
    };
    let mut updated = doc(record(1, 0));
    updated["n"] = json!(50);
    assert_eq!(
        seen,
        vec![
            (
                "c".to_owned(),
                LogChange::Insert {
                    id: "r2".to_owned(),
                    doc: doc(record(2, 0))
                }
            ),
            (
                "c".to_owned(),
                LogChange::Update {
                    id: "r1".to_owned(),
                    doc: updated.clone(),
                    before: Some(doc(record(1, 0)))
                }
            ),
            (
                "c".to_owned(),
                LogChange::Delete {
                    id: "r2".to_owned(),
                    before: Some(doc(record(2, 0)))
                }
            ),
        ]
    );
}

/// Every collection's records by `_id`, as a fresh read-only open sees them.
fn contents(dir: &Path) -> BTreeMap<String, BTreeMap<String, Value>> {
    let db = reader(dir);
    db.list_collections()
        .into_iter()
        .map(|name| {
            let records = db
                .find(&name, &Find::all())
                .unwrap()
                .into_iter()
                .map(|doc| (doc["_id"].as_str().unwrap().to_owned(), Value::Object(doc)))
                .collect();
            (name, records)
        })
        .collect()
}

/// Applies what a follower told to a model of the folder, checking that
/// each change fits what the model holds (an insert of a record not
/// there, an update or delete of one there with the version it had).
fn apply_told(
    model: &mut BTreeMap<String, BTreeMap<String, Value>>,
    collection: &str,
    change: LogChange,
    step: &str,
) {
    let records = model.entry(collection.to_owned()).or_default();
    match change {
        LogChange::Insert { id, doc } => {
            let old = records.insert(id.clone(), Value::Object(doc));
            assert!(old.is_none(), "{step}: insert of {id} which was there");
        }
        LogChange::Update { id, doc, before } => {
            let old = records.insert(id.clone(), Value::Object(doc));
            assert!(old.is_some(), "{step}: update of {id} which was not there");
            assert_eq!(old, before.map(Value::Object), "{step}: before of {id}");
        }
        LogChange::Delete { id, before } => {
            let old = records.remove(&id);
            assert!(old.is_some(), "{step}: delete of {id} which was not there");
            assert_eq!(old, before.map(Value::Object), "{step}: before of {id}");
        }
        LogChange::Cleared => records.clear(),
        LogChange::Replaced => {}
        LogChange::Created => {
            assert!(records.is_empty(), "{step}: created over records");
        }
        LogChange::Dropped => {
            model.remove(collection);
        }
    }
}

#[test]
fn told_changes_rebuild_the_folder_exactly_across_compactions_clears_drops_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let mut writer = FluxDB::open(dir.path()).unwrap();
    writer.create_collection("c", &["n"]).unwrap();
    writer.create_collection("d", &[] as &[&str]).unwrap();
    writer
        .insert_many("c", (0..200).map(|i| record(i, 0)).collect())
        .unwrap();
    writer.flush().unwrap();
    let mut follower = reader(dir.path());
    let mut model = contents(dir.path());
    let mut compactions_between_looks = 0;
    let mut bulk = 0;

    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    for round in 1..60u64 {
        let mut compacted = false;
        // What may be told as a whole: a restore, a clear (or drop and
        // create), and a rewrite of a rewrite with writes between (the
        // follower never saw the file between).
        let (mut restored, mut cleared) = (false, false);
        let mut rewritten: BTreeMap<&str, bool> = BTreeMap::new();
        for _ in 0..1 + next(4) {
            let name = ["c", "d"][next(2) as usize];
            if !writer.has_collection(name) {
                writer.create_collection(name, &["n"]).unwrap();
                continue;
            }
            let i = next(300);
            let op = next(20);
            if op == 11 || op == 12 {
                if rewritten.get(name) == Some(&true) {
                    restored = true;
                }
                rewritten.insert(name, false);
            } else if let Some(written) = rewritten.get_mut(name) {
                *written = true;
            }
            if op == 13 {
                rewritten.values_mut().for_each(|written| *written = true);
            }
            match op {
                0..=5 => {
                    let _ = writer.insert(name, record(i, round));
                }
                6..=8 => {
                    let _ = writer.update(name, &format!("r{i}"), &json!({"$inc": {"n": 1}}));
                }
                9..=10 => {
                    writer.delete(name, &format!("r{i}")).unwrap();
                }
                11 => {
                    writer.flush().unwrap();
                    writer.compact(name).unwrap();
                    compacted = true;
                }
                12 => {
                    let codec = match next(3) {
                        0 => fluxdb::engine::Compression::None,
                        1 => fluxdb::engine::Compression::Lz4,
                        _ => fluxdb::engine::Compression::Zstd { level: 3 },
                    };
                    writer.set_compression(name, codec).unwrap();
                    compacted = true;
                }
                13 => {
                    // A transaction over both collections.
                    let mut txn = writer.transaction().unwrap();
                    for other in ["c", "d"] {
                        if txn.has_collection(other) {
                            let _ = txn.insert(other, record(1000 + i, round));
                            txn.delete(other, &format!("r{}", next(300))).unwrap();
                        }
                    }
                    txn.commit().unwrap();
                }
                14 => {
                    writer.clear_collection(name).unwrap();
                    cleared = true;
                }
                15 => {
                    writer.drop_collection(name).unwrap();
                    cleared = true;
                }
                16 => {
                    let backup = backups.path().join(format!("{name}-{round}.fdb"));
                    writer.flush().unwrap();
                    writer.export_collection(name, &backup).unwrap();
                    let _ = writer.delete(name, &format!("r{}", next(300)));
                    let _ = writer.insert(name, record(2000 + i, round));
                    writer.flush().unwrap();
                    writer.import_collection(name, &backup).unwrap();
                    restored = true;
                }
                _ => {
                    bulk += 1;
                    let docs = (5000 + bulk * 100..5000 + bulk * 100 + 40)
                        .map(|i| record(i, round))
                        .collect();
                    writer.insert_many(name, docs).unwrap();
                }
            }
        }
        writer.flush().unwrap();
        compactions_between_looks += u64::from(compacted);
        let step = format!("round {round}");
        follower
            .refresh_each(&mut |collection, change| {
                // A compaction or change of compression is followed, never
                // told as a replacement.
                match change {
                    // (A cleared file rewritten before the follower looked
                    // continues one it never saw.)
                    LogChange::Replaced => assert!(restored || cleared, "{step}: replaced"),
                    LogChange::Cleared => assert!(cleared, "{step}: cleared"),
                    _ => {}
                }
                apply_told(&mut model, collection, change, &step);
                Ok(())
            })
            .unwrap();
        model.retain(|name, _| follower.has_collection(name));
        assert_eq!(model, contents(dir.path()), "{step}");
    }
    assert!(compactions_between_looks > 5, "{compactions_between_looks}");
}

#[test]
fn a_compaction_between_two_looks_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = FluxDB::open(dir.path()).unwrap();
    writer.create_collection("c", &["n"]).unwrap();
    writer
        .insert_many("c", (0..100).map(|i| record(i, 0)).collect())
        .unwrap();
    writer.flush().unwrap();
    let mut follower = reader(dir.path());
    // Changes the follower has not seen, then a compaction, then more.
    writer.delete("c", "r5").unwrap();
    writer.insert("c", record(500, 1)).unwrap();
    writer.flush().unwrap();
    writer.compact("c").unwrap();
    writer
        .update("c", "r7", &json!({"$set": {"n": -1}}))
        .unwrap();
    writer.insert("c", record(501, 1)).unwrap();
    writer.flush().unwrap();
    let mut told = Vec::new();
    let refreshed = follower
        .refresh_each(&mut |_, change| {
            told.push(match change {
                LogChange::Insert { id, .. } => format!("insert {id}"),
                LogChange::Update { id, .. } => format!("update {id}"),
                LogChange::Delete { id, .. } => format!("delete {id}"),
                other => format!("{other:?}"),
            });
            Ok(())
        })
        .unwrap();
    assert_eq!(
        told,
        ["delete r5", "insert r500", "update r7", "insert r501"]
    );
    assert_eq!(refreshed.reopened, ["c"]);
    assert_eq!(answers(&follower), answers(&reader(dir.path())));
}

/// What `changes_since` tells, as `op id` and the documents' `v`.
fn told_since(db: &FluxDB, collection: &str, from: &LogPosition) -> Vec<String> {
    let mut told = Vec::new();
    let v = |doc: &fluxdb::Document| doc.get("v").cloned().unwrap_or(Value::Null);
    db.changes_since(collection, from, &mut |change| {
        told.push(match change {
            LogChange::Insert { id, doc } => format!("insert {id} {}", v(&doc)),
            LogChange::Update { id, doc, before } => {
                format!("update {id} {} -> {}", v(&before.unwrap()), v(&doc))
            }
            LogChange::Delete { id, before } => format!("delete {id} {}", v(&before.unwrap())),
            other => format!("{other:?}"),
        });
        Ok(())
    })
    .unwrap();
    told
}

#[test]
fn changes_since_a_kept_position_are_told_in_commit_order_across_a_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = OpenOptions::new().flush_size(0).open(dir.path()).unwrap();
    db.insert("c", json!({"_id": "a", "v": 1})).unwrap();
    db.insert("c", json!({"_id": "b", "v": 1})).unwrap();
    db.update("c", "a", &json!({"v": 2})).unwrap();
    // The token a program keeps, and hands back later.
    let kept = db.log_position("c").unwrap().unwrap().to_string();
    let from: LogPosition = kept.parse().unwrap();
    assert!(told_since(&db, "c", &from).is_empty(), "nothing since");

    db.update("c", "a", &json!({"v": 3})).unwrap();
    db.delete("c", "b").unwrap();
    db.insert("c", json!({"_id": "c", "v": 1})).unwrap();
    let mut txn = db.transaction().unwrap();
    txn.update("c", "c", &json!({"v": 2})).unwrap();
    txn.insert("d", json!({"_id": "elsewhere"})).unwrap();
    txn.commit().unwrap();
    db.begin_transaction().unwrap();
    db.insert("c", json!({"_id": "rolled back"})).unwrap();
    db.rollback().unwrap();
    let expected = [
        "update a 2 -> 3",
        "delete b 1",
        "insert c 1",
        "update c 1 -> 2",
    ];
    assert_eq!(told_since(&db, "c", &from), expected);

    // A compaction keeps only the state: a position where it happened
    // (a follower that was up to date) stays good, an older one does not.
    let at_compaction = db.log_position("c").unwrap().unwrap();
    db.compact("c").unwrap();
    db.insert("c", json!({"_id": "b", "v": 9})).unwrap();
    let reader = FluxDB::open_read_only(dir.path()).unwrap();
    assert_eq!(told_since(&reader, "c", &at_compaction), ["insert b 9"]);
    let unavailable =
        |db: &FluxDB, from: &LogPosition| match db.changes_since("c", from, &mut |_| Ok(())) {
            Err(fluxdb::Error::PositionUnavailable {
                position, reason, ..
            }) => {
                assert_eq!(position, from.to_string());
                reason
            }
            other => panic!("expected PositionUnavailable, got {other:?}"),
        };
    assert!(unavailable(&reader, &from).contains("rewritten"));

    // A position of this handle's future names nothing yet; refreshed, it does.
    let ahead = db.log_position("c").unwrap().unwrap();
    db.insert("c", json!({"_id": "e"})).unwrap();
    assert!(told_since(&reader, "c", &ahead).is_empty());
    let fresh = FluxDB::open_read_only(dir.path()).unwrap();
    assert_eq!(told_since(&fresh, "c", &ahead), ["insert e null"]);
    let newer = fresh.log_position("c").unwrap().unwrap();
    assert!(unavailable(&reader, &newer).contains("refresh"));
    // A clear replaces the file: nothing before it is a place in it.
    db.clear_collection("c").unwrap();
    db.insert("c", json!({"_id": "new"})).unwrap();
    let after_clear = FluxDB::open_read_only(dir.path()).unwrap();
    assert!(unavailable(&after_clear, &ahead).contains("replaced"));
    let garbage = "not a position".parse::<LogPosition>();
    assert!(garbage.is_err());
}
