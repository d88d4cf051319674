//! Damaged collection files: torn tails are dropped and reported, damage in
//! the middle is an error naming the file and offset, nothing ever panics.

use fluxdb::Error;
use fluxdb::engine::{Find, FluxDB};
use serde_json::json;

use crate::support::fdb_path;

/// A collection written in three separate flushes (three batch groups).
fn three_batches(dir: &std::path::Path) -> Vec<u64> {
    let mut db = FluxDB::open(dir).unwrap();
    let mut ends = Vec::new();
    for batch in 0..3 {
        db.insert_many(
            "t",
            (0..4).map(|i| json!({"batch": batch, "i": i})).collect(),
        )
        .unwrap();
        db.flush().unwrap();
        ends.push(std::fs::metadata(fdb_path(dir, "t")).unwrap().len());
    }
    ends
}

#[test]
fn a_torn_last_batch_is_dropped_reported_and_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let ends = three_batches(tmp.path());
    let path = fdb_path(tmp.path(), "t");
    let cut = ends[1] + (ends[2] - ends[1]) / 2;
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(cut).unwrap();
    drop(file);

    let mut db = FluxDB::open(tmp.path()).unwrap();
    let report = db.recovery_report().to_vec();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].collection, "t");
    assert_eq!(report[0].dropped.offset, ends[1]);
    assert!(report[0].to_string().contains("dropped"), "{}", report[0]);
    assert_eq!(db.count("t", &json!({})).unwrap(), 8);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        ends[1],
        "the writer cut the torn tail off"
    );
    db.insert("t", json!({"batch": 9})).unwrap();
    drop(db);
    let db = FluxDB::open(tmp.path()).unwrap();
    assert!(db.recovery_report().is_empty());
    assert_eq!(db.count("t", &json!({})).unwrap(), 9);
}

#[test]
fn a_reader_ignores_a_torn_tail_without_touching_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ends = three_batches(tmp.path());
    let path = fdb_path(tmp.path(), "t");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(ends[2] - 3).unwrap();
    drop(file);
    let db = FluxDB::open_read_only(tmp.path()).unwrap();
    assert_eq!(db.count("t", &json!({})).unwrap(), 8);
    assert_eq!(db.recovery_report().len(), 1);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), ends[2] - 3);
}

#[test]
fn a_flipped_bit_in_the_middle_is_an_error_naming_file_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let ends = three_batches(tmp.path());
    let path = fdb_path(tmp.path(), "t");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = (ends[0] + ends[1]) / 2;
    bytes[at as usize] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let err = FluxDB::open(tmp.path()).unwrap_err();
    match &err {
        Error::Corrupt {
            path: p, offset, ..
        } => {
            assert_eq!(p, &path);
            assert_eq!(*offset, ends[0], "the damaged batch starts there");
        }
        other => panic!("expected Corrupt, got {other}"),
    }
    assert!(err.to_string().contains("t.fdb"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a damaged file is never rewritten"
    );
}

#[test]
fn a_flipped_bit_in_the_last_batch_drops_only_that_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let ends = three_batches(tmp.path());
    let path = fdb_path(tmp.path(), "t");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(ends[2] - 5) as usize] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let db = FluxDB::open(tmp.path()).unwrap();
    assert_eq!(db.count("t", &json!({})).unwrap(), 8);
    assert_eq!(db.recovery_report().len(), 1);
}

#[test]
fn every_truncation_opens_to_a_prefix_of_whole_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    let ends = three_batches(&source);
    let bytes = std::fs::read(fdb_path(&source, "t")).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for cut in 0..=bytes.len() {
        std::fs::write(fdb_path(&work, "t"), &bytes[..cut]).unwrap();
        match FluxDB::open_read_only(&work) {
            // An empty file is a fresh Python 0.1 collection.
            Ok(_) if cut == 0 => {}
            Ok(db) => {
                let n = db.count("t", &json!({})).unwrap();
                let whole = ends.iter().filter(|&&e| e as usize <= cut).count();
                assert_eq!(n, whole * 4, "cut at {cut}");
                assert_eq!(db.find("t", &Find::all()).unwrap().len(), n);
            }
            // Shorter than the header: not a readable collection; the
            // error must say so (and a 0-byte file is the Python format).
            Err(e) => assert!(cut < 32, "cut at {cut}: {e}"),
        }
    }
}

#[test]
fn every_flipped_byte_is_caught_by_a_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    three_batches(&source);
    let bytes = std::fs::read(fdb_path(&source, "t")).unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let original = {
        let db = FluxDB::open_read_only(&source).unwrap();
        db.find("t", &Find::all()).unwrap()
    };
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5a;
        std::fs::write(fdb_path(&work, "t"), &damaged).unwrap();
        let found = FluxDB::open_read_only(&work).and_then(|db| db.find("t", &Find::all()));
        if let Ok(found) = found {
            // Whatever is returned is a prefix of what was written:
            // a flipped byte never yields a wrong record.
            assert!(found.len() < original.len(), "flip at {at} went unnoticed");
            assert_eq!(found[..], original[..found.len()], "flip at {at}");
        }
    }
}
