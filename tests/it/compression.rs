//! Compressed collections behave as uncompressed ones in every operation:
//! round trips, transactions, indexes, compaction, switching the codec,
//! backups, verify; Python 0.1 folders are never compressed.

use fluxdb::Error;
use fluxdb::engine::{Compression, Find, FluxDB};
use serde_json::{Value, json};

use crate::support::fdb_path;

const CODECS: [Compression; 3] = [
    Compression::Lz4,
    Compression::Zstd { level: 1 },
    Compression::Zstd { level: 19 },
];

/// Documents of every size: small ones share blocks, big ones fill blocks
/// alone (one larger than an entry's 64 KiB reach into a block).
fn documents(n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let text = match i % 50 {
                7 => "big ".repeat(5_000),
                13 => "huge ".repeat(30_000),
                _ => format!("record {i} of a compressed collection"),
            };
            json!({"_id": format!("r{i:05}"), "n": i, "group": i % 7, "text": text, "tags": ["a", i % 3]})
        })
        .collect()
}

fn all(db: &FluxDB, collection: &str) -> Vec<Value> {
    db.find(collection, &Find::all())
        .unwrap()
        .into_iter()
        .map(Value::Object)
        .collect()
}

#[test]
fn every_codec_round_trips_records_through_writes_and_reopening() {
    for codec in CODECS {
        let tmp = tempfile::tempdir().unwrap();
        let mut db = FluxDB::open(tmp.path()).unwrap();
        assert!(db.create_collection_with("c", &["group"], codec).unwrap());
        db.insert_many("c", documents(300)).unwrap();
        db.flush().unwrap();
        db.update("c", "r00007", &json!({"$set": {"text": "small now"}}))
            .unwrap();
        db.delete("c", "r00010").unwrap();
        db.flush().unwrap();
        let mut expected = all(&db, "c");
        assert_eq!(expected.len(), 299, "{codec}");
        assert_eq!(expected[7]["text"], "small now", "{codec}");
        drop(db);

        let db = FluxDB::open(tmp.path()).unwrap();
        assert_eq!(all(&db, "c"), expected, "{codec}: after reopening");
        let doc = db.get("c", "r00013").unwrap().unwrap();
        assert_eq!(doc["text"].as_str().map(str::len), Some(150_000), "{codec}");
        assert_eq!(db.get("c", "r00010").unwrap(), None, "{codec}");
        let grouped = db.find("c", &Find::new(json!({"group": 3}))).unwrap().len();
        assert_eq!(grouped, expected.iter().filter(|d| d["group"] == 3).count());
        // Text straight from compressed blocks is the decoded documents' text,
        // for a scan, index candidates and an index-ordered page.
        let texts: Vec<String> = expected.iter().map(Value::to_string).collect();
        assert_eq!(db.find_json("c", &Find::all()).unwrap(), texts, "{codec}");
        for find in [
            Find::new(json!({"group": 3})),
            Find::all().sort(json!({"group": -1})).skip(5).limit(20),
        ] {
            let texts: Vec<String> = db
                .find("c", &find)
                .unwrap()
                .into_iter()
                .map(|d| Value::Object(d).to_string())
                .collect();
            assert_eq!(db.find_json("c", &find).unwrap(), texts, "{codec} {find:?}");
        }
        // The scan paths that decode only some fields (count of an
        // unindexed filter, $group) read compressed blocks too.
        let small = expected.iter().filter(|d| d["text"] == "small now").count();
        assert_eq!(
            db.count("c", &json!({"text": "small now"})).unwrap(),
            small,
            "{codec}"
        );
        let groups = db
            .aggregate("c", &json!([{"$group": {"_id": null, "n": {"$sum": 1}}}]))
            .unwrap();
        assert_eq!(groups[0]["n"], json!(299), "{codec}");
        let info = db.collection_info("c").unwrap();
        assert_eq!(info.compression, codec);
        let ratio = info.compression_ratio.unwrap();
        assert!(ratio > 2.0, "{codec}: ratio {ratio}");
        assert!(db.verify(Some("c")).unwrap().is_ok(), "{codec}");
        expected.retain(|d| d["group"] != 0);
        drop(db);

        let mut db = FluxDB::open(tmp.path()).unwrap();
        db.delete_many("c", &json!({"group": 0})).unwrap();
        db.compact("c").unwrap();
        assert_eq!(all(&db, "c"), expected, "{codec}: after compaction");
        assert_eq!(db.collection_info("c").unwrap().compression, codec);
    }
}

#[test]
fn a_rolled_back_transaction_leaves_a_compressed_collection_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection_with::<&str>("a", &[], Compression::Lz4)
        .unwrap();
    db.create_collection_with::<&str>("b", &[], Compression::ZSTD)
        .unwrap();
    db.insert_many("a", documents(20)).unwrap();
    db.flush().unwrap();
    let before = all(&db, "a");
    db.begin_transaction().unwrap();
    db.insert_many("a", vec![json!({"x": 1})]).unwrap();
    db.insert_many("b", vec![json!({"x": 2})]).unwrap();
    db.delete("a", "r00001").unwrap();
    db.rollback().unwrap();
    assert_eq!(all(&db, "a"), before);
    assert!(all(&db, "b").is_empty());
    db.begin_transaction().unwrap();
    db.insert("a", json!({"_id": "t", "x": 1})).unwrap();
    db.insert("b", json!({"_id": "t", "x": 2})).unwrap();
    db.commit().unwrap();
    drop(db);
    let db = FluxDB::open(tmp.path()).unwrap();
    assert_eq!(all(&db, "a").len(), 21);
    assert_eq!(db.get("b", "t").unwrap().unwrap()["x"], 2);
}

#[test]
fn switching_the_codec_keeps_every_record_its_order_and_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection("c", &["group"]).unwrap();
    db.insert_many("c", documents(400)).unwrap();
    db.update("c", "r00001", &json!({"$set": {"n": -1}}))
        .unwrap();
    db.delete("c", "r00002").unwrap();
    db.flush().unwrap();
    let expected = all(&db, "c");
    let uncompressed = db.collection_info("c").unwrap().file_bytes;
    let steps = [
        Compression::Lz4,
        Compression::Zstd { level: 9 },
        Compression::None,
        Compression::ZSTD,
    ];
    for codec in steps {
        let report = db.set_compression("c", codec).unwrap();
        let info = db.collection_info("c").unwrap();
        assert_eq!(info.compression, codec);
        assert_eq!(report.bytes_after, info.file_bytes);
        assert_eq!(all(&db, "c"), expected, "{codec}");
        assert_eq!(
            db.find("c", &Find::new(json!({"group": 2}))).unwrap().len(),
            expected.iter().filter(|d| d["group"] == 2).count()
        );
        if codec.is_none() {
            assert_eq!(info.compression_ratio, None);
        } else {
            assert!(info.file_bytes < uncompressed / 2, "{codec}: {info:?}");
        }
        // Writes after the switch go to the new file in its codec.
        db.insert("c", json!({"_id": format!("after-{codec}")}))
            .unwrap();
        db.flush().unwrap();
        db.delete("c", &format!("after-{codec}")).unwrap();
        db.flush().unwrap();
    }
    drop(db);
    let db = FluxDB::open(tmp.path()).unwrap();
    assert_eq!(all(&db, "c"), expected);
    assert_eq!(
        db.collection_info("c").unwrap().compression,
        Compression::ZSTD
    );
    assert!(db.verify(Some("c")).unwrap().is_ok());
}

#[test]
fn a_bad_codec_setting_is_refused_before_anything_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    let bad = Compression::Zstd { level: 40 };
    let err = db
        .create_collection_with::<&str>("c", &[], bad)
        .unwrap_err();
    assert!(err.to_string().contains("zstd level 40"), "{err}");
    assert!(!db.has_collection("c"));
    db.insert("c", json!({"x": 1})).unwrap();
    assert!(db.set_compression("c", bad).is_err());
    assert!(db.set_compression("missing", Compression::Lz4).is_err());
    db.begin_transaction().unwrap();
    let err = db.set_compression("c", Compression::Lz4).unwrap_err();
    assert!(matches!(err, Error::Transaction(_)), "{err}");
    db.rollback().unwrap();
    assert_eq!(
        db.collection_info("c").unwrap().compression,
        Compression::None
    );
}

#[test]
fn a_collection_backup_keeps_the_compression_and_imports_with_it() {
    for codec in CODECS {
        let tmp = tempfile::tempdir().unwrap();
        let mut db = FluxDB::open(tmp.path().join("db")).unwrap();
        db.create_collection_with("c", &["group"], codec).unwrap();
        db.insert_many("c", documents(120)).unwrap();
        let expected = all(&db, "c");
        let backup = tmp.path().join("c.backup");
        assert!(db.export_collection("c", &backup).unwrap());
        let mut other = FluxDB::open(tmp.path().join("other")).unwrap();
        assert!(other.import_collection("copy", &backup).unwrap());
        assert_eq!(all(&other, "copy"), expected, "{codec}");
        let info = other.collection_info("copy").unwrap();
        assert_eq!(info.compression, codec);
        assert_eq!(info.indexed_fields, vec!["group".to_owned()]);
        // Damage in the compressed backup refuses the import, naming the file.
        let mut bytes = std::fs::read(&backup).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x08;
        std::fs::write(&backup, &bytes).unwrap();
        let err = other.import_collection("copy", &backup).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{codec}: {err}");
        assert_eq!(all(&other, "copy"), expected, "{codec}: unchanged");
    }
}

#[test]
fn a_database_backup_restores_each_collections_compression() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path().join("db")).unwrap();
    db.create_collection_with::<&str>("fast", &[], Compression::Lz4)
        .unwrap();
    db.create_collection_with("small", &["n"], Compression::Zstd { level: 7 })
        .unwrap();
    db.insert_many("fast", documents(60)).unwrap();
    db.insert_many("small", documents(60)).unwrap();
    db.insert_many("plain", documents(10)).unwrap();
    let backup = tmp.path().join("all.fdbbackup");
    db.backup_database(&backup, &mut |_, _| {}).unwrap();
    let mut restored = FluxDB::open(tmp.path().join("restored")).unwrap();
    restored.restore_database(&backup).unwrap();
    for (name, codec) in [
        ("fast", Compression::Lz4),
        ("small", Compression::Zstd { level: 7 }),
        ("plain", Compression::None),
    ] {
        assert_eq!(all(&restored, name), all(&db, name), "{name}");
        assert_eq!(
            restored.collection_info(name).unwrap().compression,
            codec,
            "{name}"
        );
    }
}

#[test]
fn clearing_a_compressed_collection_keeps_its_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection_with::<&str>("c", &[], Compression::Lz4)
        .unwrap();
    db.insert_many("c", documents(10)).unwrap();
    db.clear_collection("c").unwrap();
    db.insert("c", json!({"x": 1})).unwrap();
    drop(db);
    let db = FluxDB::open(tmp.path()).unwrap();
    assert_eq!(all(&db, "c").len(), 1);
    assert_eq!(
        db.collection_info("c").unwrap().compression,
        Compression::Lz4
    );
}

#[test]
fn a_python_folder_is_never_compressed() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(fdb_path(tmp.path(), "users"), b"").unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.insert("users", json!({"name": "a"})).unwrap();
    db.flush().unwrap();
    let before = std::fs::read(fdb_path(tmp.path(), "users")).unwrap();
    let err = db.set_compression("users", Compression::Lz4).unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedFormat { collection, .. } if collection == "users"),
        "{err}"
    );
    let err = db
        .create_collection_with::<&str>("more", &[], Compression::ZSTD)
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedFormat { .. }), "{err}");
    assert!(!db.has_collection("more"));
    db.set_compression("users", Compression::None).unwrap();
    assert_eq!(
        std::fs::read(fdb_path(tmp.path(), "users")).unwrap(),
        before,
        "the Python file is untouched"
    );
}

/// Records like a customer file: the same field names and a few repeated
/// words in every record, which a zstd dictionary learns, with numbers and
/// word choices that vary as real ones do.
fn customers(n: u64, from: u64) -> Vec<Value> {
    const WORDS: [&str; 16] = [
        "order", "shipped", "late", "refund", "thanks", "box", "damaged", "today", "please",
        "support", "delivery", "weekend", "customer", "payment", "received", "ticket",
    ];
    (from..from + n)
        .map(|i| {
            let mut x = (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let words = 6 + next() % 8;
            let note: Vec<&str> = (0..words).map(|_| WORDS[(next() % 16) as usize]).collect();
            let status = ["active", "pending", "closed"][(next() % 3) as usize];
            let city = ["Lyon", "Oslo", "Lima", "Perth"][(next() % 4) as usize];
            json!({
                "_id": format!("cust{i:06}"),
                "name": format!("customer-{i:06}"),
                "email": format!("customer{}@example.com", next() % 1_000_000),
                "status": status,
                "balance": (next() % 1_000_000) as f64 / 100.0,
                "address": {"city": city, "zip": format!("{:05}", next() % 100_000)},
                "note": note.join(" "),
            })
        })
        .collect()
}

/// The format version of a collection file (3: with a dictionary).
fn version_of(dir: &std::path::Path, collection: &str) -> u16 {
    let bytes = std::fs::read(fdb_path(dir, collection)).unwrap();
    u16::from_le_bytes([bytes[8], bytes[9]])
}

#[test]
fn a_rewrite_trains_a_dictionary_that_every_later_operation_uses() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection_with("c", &["status"], Compression::ZSTD)
        .unwrap();
    // Flushed in two steps, the first too small to train from: appends.
    db.insert_many("c", customers(500, 0)).unwrap();
    db.flush().unwrap();
    db.insert_many("c", customers(2_500, 500)).unwrap();
    db.flush().unwrap();
    let appended = db.collection_info("c").unwrap();
    assert_eq!(appended.dictionary_bytes, None, "appends train nothing");
    assert_eq!(version_of(tmp.path(), "c"), 2);

    db.compact("c").unwrap();
    let trained = db.collection_info("c").unwrap();
    let dictionary = trained.dictionary_bytes.expect("compaction trains one");
    assert!(dictionary > 0 && dictionary <= 64 * 1024, "{dictionary}");
    assert_eq!(version_of(tmp.path(), "c"), 3);
    assert!(
        trained.compression_ratio.unwrap() > appended.compression_ratio.unwrap() * 1.05,
        "the dictionary pays: {appended:?} then {trained:?}"
    );
    assert!(trained.file_bytes < appended.file_bytes, "{trained:?}");

    // Writes after the rewrite: appended blocks use the same dictionary.
    db.update("c", "cust000010", &json!({"$set": {"note": "changed"}}))
        .unwrap();
    db.delete("c", "cust000011").unwrap();
    db.insert_many("c", customers(500, 3_000)).unwrap();
    db.flush().unwrap();
    let expected = all(&db, "c");
    assert_eq!(expected.len(), 3_499);
    drop(db);

    let mut db = FluxDB::open(tmp.path()).unwrap();
    assert_eq!(all(&db, "c"), expected, "after reopening");
    assert_eq!(
        db.get("c", "cust000010").unwrap().unwrap()["note"],
        "changed"
    );
    assert_eq!(
        db.get("c", "cust003400").unwrap().unwrap()["name"],
        "customer-003400"
    );
    assert_eq!(db.get("c", "cust000011").unwrap(), None);
    assert_eq!(
        db.count("c", &json!({"status": "closed"})).unwrap(),
        expected.iter().filter(|d| d["status"] == "closed").count()
    );
    assert_eq!(
        db.collection_info("c").unwrap().dictionary_bytes,
        Some(dictionary)
    );
    assert!(db.verify(Some("c")).unwrap().is_ok());

    // Each rewrite trains afresh; another codec drops the dictionary.
    db.compact("c").unwrap();
    assert_eq!(all(&db, "c"), expected, "after a second compaction");
    assert!(db.collection_info("c").unwrap().dictionary_bytes.is_some());
    for (codec, version) in [
        (Compression::Lz4, 2),
        (Compression::Zstd { level: 9 }, 3),
        (Compression::None, 1),
        (Compression::ZSTD, 3),
    ] {
        db.set_compression("c", codec).unwrap();
        assert_eq!(version_of(tmp.path(), "c"), version, "{codec}");
        let info = db.collection_info("c").unwrap();
        assert_eq!(info.dictionary_bytes.is_some(), version == 3, "{codec}");
        assert_eq!(all(&db, "c"), expected, "{codec}");
    }

    // A backup is written without the dictionary; import gives a version 2
    // file with the same records, which the next compaction trains again.
    let backup = tmp.path().join("c.backup");
    assert!(db.export_collection("c", &backup).unwrap());
    assert!(db.import_collection("copy", &backup).unwrap());
    assert_eq!(all(&db, "copy"), expected);
    assert_eq!(version_of(tmp.path(), "copy"), 2);
    db.compact("copy").unwrap();
    assert_eq!(version_of(tmp.path(), "copy"), 3);
    assert_eq!(all(&db, "copy"), expected);
}

#[test]
fn the_first_flush_of_enough_records_trains_a_dictionary_outside_transactions() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection_with("c", &["status"], Compression::ZSTD)
        .unwrap();
    db.create_collection_with::<&str>("t", &[], Compression::ZSTD)
        .unwrap();
    db.insert_many("c", customers(2_000, 0)).unwrap();
    db.delete("c", "cust000005").unwrap();
    db.flush().unwrap();
    assert_eq!(
        version_of(tmp.path(), "c"),
        3,
        "the first flush wrote it whole"
    );
    let info = db.collection_info("c").unwrap();
    assert!(info.dictionary_bytes.is_some(), "{info:?}");
    assert_eq!(info.records, 1_999);
    // A transaction's flush appends (its group must stay undoable).
    db.begin_transaction().unwrap();
    db.insert_many("t", customers(2_000, 0)).unwrap();
    db.commit().unwrap();
    assert_eq!(db.collection_info("t").unwrap().dictionary_bytes, None);
    assert_eq!(version_of(tmp.path(), "t"), 2);
    // Later flushes append with the dictionary.
    db.insert_many("c", customers(10, 5_000)).unwrap();
    db.flush().unwrap();
    let expected = all(&db, "c");
    drop(db);
    let db = FluxDB::open(tmp.path()).unwrap();
    assert_eq!(all(&db, "c"), expected);
    assert_eq!(
        db.count("c", &json!({"status": "active"})).unwrap(),
        expected.iter().filter(|d| d["status"] == "active").count()
    );
    assert_eq!(db.get("c", "cust000005").unwrap(), None);
    assert_eq!(all(&db, "t").len(), 2_000);
    assert!(db.verify(None).unwrap().is_ok());
}

#[test]
fn a_small_collection_is_rewritten_without_a_dictionary() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection_with::<&str>("c", &[], Compression::ZSTD)
        .unwrap();
    db.insert_many("c", customers(200, 0)).unwrap();
    db.compact("c").unwrap();
    assert_eq!(db.collection_info("c").unwrap().dictionary_bytes, None);
    assert_eq!(version_of(tmp.path(), "c"), 2);
    assert_eq!(all(&db, "c").len(), 200);
}

#[test]
fn a_damaged_dictionary_section_is_an_error_naming_file_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection_with::<&str>("c", &[], Compression::ZSTD)
        .unwrap();
    db.insert_many("c", customers(2_000, 0)).unwrap();
    db.compact("c").unwrap();
    let dictionary = db.collection_info("c").unwrap().dictionary_bytes.unwrap();
    drop(db);
    let path = fdb_path(tmp.path(), "c");
    let bytes = std::fs::read(&path).unwrap();
    let section_end = 32 + 12 + dictionary;
    let mut damages: Vec<Vec<u8>> = Vec::new();
    for at in (32..section_end)
        .step_by(97)
        .chain([32, 36, 40, 44, section_end - 1])
    {
        let mut bad = bytes.clone();
        bad[at] ^= 0x24;
        damages.push(bad);
    }
    for cut in [33, 44, 45, section_end - 1] {
        damages.push(bytes[..cut].to_vec());
    }
    for bad in damages {
        std::fs::write(&path, &bad).unwrap();
        for read_only in [true, false] {
            let opened = if read_only {
                FluxDB::open_read_only(tmp.path())
            } else {
                FluxDB::open(tmp.path())
            };
            match opened {
                Err(Error::Corrupt {
                    path: p,
                    offset,
                    reason,
                }) => {
                    assert_eq!(p, path);
                    assert_eq!(offset, 32, "{reason}");
                    assert!(reason.contains("dictionary"), "{reason}");
                }
                Err(other) => panic!("expected Corrupt, got {other}"),
                Ok(_) => panic!("a damaged dictionary went unnoticed"),
            }
            assert_eq!(std::fs::read(&path).unwrap(), bad, "never cut or rewritten");
        }
    }
}
