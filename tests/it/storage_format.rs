//! Damaged collection files: torn tails are dropped and reported, damage in
//! the middle is an error naming the file and offset, nothing ever panics.
//! Each test runs on an uncompressed file and on compressed ones.

use fluxdb::Error;
use fluxdb::engine::{Compression, Find, FluxDB};
use serde_json::json;

use crate::support::fdb_path;

/// Every way a collection file can be stored.
const STORAGES: [Compression; 3] = [
    Compression::None,
    Compression::Lz4,
    Compression::Zstd { level: 3 },
];

/// A collection written in three separate flushes (three batch groups).
fn three_batches(dir: &std::path::Path) -> Vec<u64> {
    three_batches_stored(dir, Compression::None)
}

/// Like [`three_batches`], the collection stored with `compression`.
fn three_batches_stored(dir: &std::path::Path, compression: Compression) -> Vec<u64> {
    let mut db = FluxDB::open(dir).unwrap();
    db.create_collection_with::<&str>("t", &[], compression)
        .unwrap();
    append_three_batches(&mut db, dir)
}

/// Flushes three batches of four records into `t`; the file's length after each.
fn append_three_batches(db: &mut FluxDB, dir: &std::path::Path) -> Vec<u64> {
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
    for compression in STORAGES {
        a_torn_last_batch_is_dropped(compression);
    }
}

fn a_torn_last_batch_is_dropped(compression: Compression) {
    let tmp = tempfile::tempdir().unwrap();
    let ends = three_batches_stored(tmp.path(), compression);
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
    for compression in STORAGES {
        a_flipped_bit_in_the_middle_is_an_error(compression);
    }
}

fn a_flipped_bit_in_the_middle_is_an_error(compression: Compression) {
    let tmp = tempfile::tempdir().unwrap();
    let ends = three_batches_stored(tmp.path(), compression);
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

/// Records a rewrite trains a zstd dictionary from.
const DICTIONARY_BASE: usize = 1_500;

/// A zstd file with a dictionary: [`DICTIONARY_BASE`] records compacted
/// (which trains it), then three flushes of 4 records. Returns the file's
/// length after the compaction, after each flush, and where its batches
/// start (after the dictionary section).
fn three_batches_after_a_dictionary(dir: &std::path::Path) -> (u64, Vec<u64>, u64) {
    let mut db = FluxDB::open(dir).unwrap();
    db.create_collection_with::<&str>("t", &[], Compression::ZSTD)
        .unwrap();
    db.insert_many(
        "t",
        (0..DICTIONARY_BASE)
            .map(|i| {
                json!({"name": format!("name-{i}"), "group": i % 7, "kind": "base",
                       "note": format!("record {} of the base written before the dictionary", i * 7919 % 1000)})
            })
            .collect(),
    )
    .unwrap();
    db.compact("t").unwrap();
    let dictionary = db.collection_info("t").unwrap().dictionary_bytes;
    let data_start = 32 + 12 + dictionary.expect("the compaction trained a dictionary") as u64;
    let base_end = std::fs::metadata(fdb_path(dir, "t")).unwrap().len();
    let ends = append_three_batches(&mut db, dir);
    (base_end, ends, data_start)
}

/// A file to damage: its bytes, and what a prefix of it must hold.
struct Layout {
    name: String,
    bytes: Vec<u8>,
    /// Records the first group holds, and the length that makes it whole.
    base: (usize, u64),
    /// Lengths after each later flush of 4 records.
    ends: Vec<u64>,
    /// Shorter files are refused (the header, a dictionary section).
    opens_from: u64,
}

impl Layout {
    fn of(storage: Option<Compression>) -> Layout {
        let tmp = tempfile::tempdir().unwrap();
        let (name, base, ends, opens_from) = match storage {
            Some(compression) => {
                let ends = three_batches_stored(tmp.path(), compression);
                (compression.to_string(), (0, 0), ends, 32)
            }
            None => {
                let (base_end, ends, data_start) = three_batches_after_a_dictionary(tmp.path());
                (
                    "zstd with a dictionary".to_owned(),
                    (DICTIONARY_BASE, base_end),
                    ends,
                    data_start,
                )
            }
        };
        let bytes = std::fs::read(fdb_path(tmp.path(), "t")).unwrap();
        Layout {
            name,
            bytes,
            base,
            ends,
            opens_from,
        }
    }

    /// Every layout: each codec, and zstd with a dictionary.
    fn all() -> Vec<Layout> {
        let mut layouts: Vec<Layout> = STORAGES.into_iter().map(|c| Layout::of(Some(c))).collect();
        layouts.push(Layout::of(None));
        layouts
    }

    /// The records a file cut at `cut` holds.
    fn records_in_prefix(&self, cut: usize) -> usize {
        let base = if self.base.1 as usize <= cut {
            self.base.0
        } else {
            0
        };
        base + self.ends.iter().filter(|&&e| e as usize <= cut).count() * 4
    }

    /// Offsets to cut or damage: every one in small files; in the large
    /// one every byte of the header, the dictionary and the first bytes
    /// after it, every byte near a flush's end, and a stride elsewhere
    /// (each step reopens the file).
    fn offsets(&self) -> Vec<usize> {
        let near_end = |at: usize| self.ends.iter().any(|&e| at.abs_diff(e as usize) < 40);
        (0..=self.bytes.len())
            .filter(|&at| {
                self.bytes.len() < 4096
                    || at < self.opens_from as usize + 64
                    || near_end(at)
                    || at % 13 == 0
            })
            .collect()
    }
}

#[test]
fn every_truncation_opens_to_a_prefix_of_whole_batches() {
    for layout in Layout::all() {
        every_truncation_opens_to_a_prefix(&layout);
    }
}

fn every_truncation_opens_to_a_prefix(layout: &Layout) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let name = &layout.name;
    for cut in layout.offsets() {
        std::fs::write(fdb_path(&work, "t"), &layout.bytes[..cut]).unwrap();
        match FluxDB::open_read_only(&work) {
            // An empty file is a fresh Python 0.1 collection.
            Ok(_) if cut == 0 => {}
            Ok(db) => {
                let n = db.count("t", &json!({})).unwrap();
                assert_eq!(n, layout.records_in_prefix(cut), "{name}: cut at {cut}");
                assert_eq!(db.find("t", &Find::all()).unwrap().len(), n);
            }
            // Shorter than the header (or its dictionary): not a readable
            // collection; the error must say so (and a 0-byte file is the
            // Python format).
            Err(e) => assert!(
                (cut as u64) < layout.opens_from,
                "{name}: cut at {cut}: {e}"
            ),
        }
    }
}

#[test]
fn every_flipped_byte_is_caught_by_a_checksum() {
    for layout in Layout::all() {
        every_flipped_byte_is_caught(&layout);
    }
}

fn every_flipped_byte_is_caught(layout: &Layout) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let bytes = &layout.bytes;
    let compression = &layout.name;
    std::fs::write(fdb_path(&work, "t"), bytes).unwrap();
    let original = {
        let db = FluxDB::open_read_only(&work).unwrap();
        db.find("t", &Find::all()).unwrap()
    };
    for at in layout.offsets().into_iter().filter(|&at| at < bytes.len()) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5a;
        std::fs::write(fdb_path(&work, "t"), &damaged).unwrap();
        let found = FluxDB::open_read_only(&work).and_then(|db| db.find("t", &Find::all()));
        if let Ok(found) = found {
            // Whatever is returned is a prefix of what was written:
            // a flipped byte never yields a wrong record.
            assert!(
                found.len() < original.len(),
                "{compression}: flip at {at} went unnoticed"
            );
            assert_eq!(
                found[..],
                original[..found.len()],
                "{compression}: flip at {at}"
            );
        }
    }
}

#[test]
fn a_damaged_block_read_by_a_get_is_an_error_naming_file_and_offset() {
    for compression in [Compression::Lz4, Compression::Zstd { level: 1 }] {
        let tmp = tempfile::tempdir().unwrap();
        let ends = three_batches_stored(tmp.path(), compression);
        let path = fdb_path(tmp.path(), "t");
        let ids: Vec<String> = FluxDB::open_read_only(tmp.path())
            .unwrap()
            .find("t", &Find::all())
            .unwrap()
            .iter()
            .map(|d| d["_id"].as_str().unwrap().to_owned())
            .collect();
        // Opened before the damage, so only the get reads the block.
        let db = FluxDB::open_read_only(tmp.path()).unwrap();
        // Damage the stored bytes of the first data batch's block (past the
        // batch header and the block header) while the database is open:
        // the get of one of its records reads that block alone.
        let mut bytes = std::fs::read(&path).unwrap();
        let block_at = ends[0] + 28;
        bytes[(block_at + 12 + 3) as usize] ^= 0x21;
        std::fs::write(&path, &bytes).unwrap();
        let err = db.get("t", &ids[5]).unwrap_err();
        match &err {
            Error::Corrupt {
                path: p, offset, ..
            } => {
                assert_eq!(p, &path, "{compression}");
                assert_eq!(*offset, block_at, "{compression}: the block starts there");
            }
            other => panic!("{compression}: expected Corrupt, got {other}"),
        }
        assert!(
            db.get("t", &ids[0]).is_ok(),
            "{compression}: other blocks still read"
        );
    }
}

#[test]
fn an_uncompressed_file_keeps_the_first_format_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    three_batches(tmp.path());
    let bytes = std::fs::read(fdb_path(tmp.path(), "t")).unwrap();
    assert_eq!(
        &bytes[8..12],
        &[1, 0, 1, 0],
        "version 1, a collection, no compression"
    );
    let tmp = tempfile::tempdir().unwrap();
    three_batches_stored(tmp.path(), Compression::Zstd { level: 5 });
    let bytes = std::fs::read(fdb_path(tmp.path(), "t")).unwrap();
    assert_eq!(&bytes[8..12], &[2, 0, 1, 0x85], "version 2, zstd level 5");
}
