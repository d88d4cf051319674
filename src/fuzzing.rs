//! The bodies of the fuzz targets (`fuzz/`), here so that the integration
//! tests can feed the saved inputs (`tests/regressions/<target>/`) to the
//! very same code without cargo-fuzz.
//!
//! Each function takes arbitrary bytes and must return normally: bad input
//! is an `Err` from the engine, which is fine. A panic is a bug: either the
//! engine panicked, or one of the checks here found it breaking a promise
//! (a recovered file that does not reopen the same, an index plan that
//! disagrees with a scan, a document that does not round-trip).

use std::cell::RefCell;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::engine::aggregate::Pipeline;
use crate::engine::legacy::{parse_index_file, read_collection};
use crate::engine::query::{Filter, Projection, Sort, Update, ValueMode};
use crate::engine::schema::SchemaBuilder;
use crate::engine::storage::native::{
    self, EntryKind, FLAG_CONTINUES, FileHeader, FileKind, has_native_magic,
};
use crate::engine::storage::{BinaryCodec, Compression, RecordCodec};
use crate::engine::{Document, Find, FluxDB, ImportOptions, OpenOptions};
use crate::interchange::{DocumentReader, Format, ReadOptions};

/// A scratch folder, removed on drop (the library has no tempfile).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("fluxdb-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options() -> OpenOptions {
    OpenOptions::new().flush_size(0)
}

fn all(db: &FluxDB, collection: &str) -> Vec<Document> {
    db.find(collection, &Find::all())
        .expect("a collection that opened can be read")
}

/// `FILE_MAGIC`-prefixed bytes stay as they are; anything else gets a valid
/// header of `kind` first, so the fuzzer spends its time past the checksum.
fn with_header(data: &[u8], kind: FileKind) -> Vec<u8> {
    if has_native_magic(data) {
        return data.to_vec();
    }
    let header = FileHeader {
        kind,
        compression: Compression::None,
        codec: "binary".to_owned(),
    };
    let mut bytes = header.encode().to_vec();
    bytes.extend_from_slice(data);
    bytes
}

/// A file of `kind` whose batches have valid checksums, so the fuzzer's
/// bytes reach the entries, the loader and the codec: `data` is read as
/// records `[kind, flags, id length, data length (2 bytes), id, data]`;
/// flag bit 0 ends a batch with CONTINUES, bit 1 ends one without it, bit 2
/// tags the batch with a transaction that never committed.
fn framed_file(data: &[u8], kind: FileKind) -> Vec<u8> {
    let header = FileHeader {
        kind,
        compression: Compression::None,
        codec: "binary".to_owned(),
    };
    let mut out = header.encode().to_vec();
    let mut payload = Vec::new();
    let mut count = 0u32;
    let mut rest = data;
    while rest.len() >= 5 {
        let (entry_kind, flags) = (rest[0], rest[1]);
        let id_len = usize::from(rest[2]);
        let data_len = usize::from(u16::from_le_bytes([rest[3], rest[4]]));
        rest = &rest[5..];
        let id_len = id_len.min(rest.len());
        let id = String::from_utf8_lossy(&rest[..id_len]).into_owned();
        rest = &rest[id_len..];
        let data_len = data_len.min(rest.len());
        let body = &rest[..data_len];
        rest = &rest[data_len..];
        let entry_kind = match entry_kind % 3 {
            0 => EntryKind::Put,
            1 => EntryKind::Delete,
            _ => EntryKind::Meta,
        };
        if native::push_entry(&mut payload, entry_kind, &id, body).is_ok() {
            count += 1;
        }
        if flags & 3 != 0 {
            let batch_flags = if flags & 1 != 0 { FLAG_CONTINUES } else { 0 };
            let txn = if flags & 4 != 0 { 7 } else { 0 };
            native::frame_batch(&payload, count, batch_flags, txn, &mut out);
            payload.clear();
            count = 0;
        }
    }
    if count > 0 {
        native::frame_batch(&payload, count, 0, 0, &mut out);
    }
    out.extend_from_slice(rest);
    out
}

/// Opens a folder whose collection file holds these bytes; when it opens,
/// reads everything, writes one record, and checks that reopening (and
/// compacting) keeps exactly what it saw plus that record.
fn open_collection_file(bytes: &[u8], new_record: Value) {
    let scratch = Scratch::new();
    std::fs::write(scratch.0.join("c.fdb"), bytes).expect("write the input");
    // A reader first: it must not change the file.
    if let Ok(db) = FluxDB::open_read_only(&scratch.0)
        && db.has_collection("c")
    {
        if let Ok(found) = db.find("c", &Find::all()) {
            // The schema walks the stored bytes instead of decoding them:
            // it must see exactly the records decoding gives.
            let schema = db
                .schema("c", &json!({}), None, &mut |_, _| {})
                .expect("records that decode have a schema");
            let mut decoded = SchemaBuilder::new();
            for doc in &found {
                decoded.add(doc);
            }
            assert_eq!(
                schema,
                decoded.finish("c"),
                "the schema of the decoded records"
            );
        }
        let _ = db.count("c", &json!({}));
    }
    let Ok(mut db) = options().open(&scratch.0) else {
        return;
    };
    let Ok(before) = db.find("c", &Find::all()) else {
        return;
    };
    for doc in &before {
        if let Some(Value::String(id)) = doc.get("_id") {
            let got = db.get("c", id).expect("get a listed record");
            // A file may hold the same _id twice only in the legacy format,
            // where get returns the first.
            assert!(got.is_some(), "listed record {id:?} not found by get");
        }
    }
    let inserted = db.insert("c", new_record.clone());
    let flushed = db.flush();
    drop(db);
    let mut expected = before.clone();
    if inserted.is_ok() && flushed.is_ok() {
        let mut doc = Document::new();
        if let Value::Object(fields) = new_record {
            doc.extend(fields);
        }
        expected.push(doc);
    }
    let mut db = options()
        .open(&scratch.0)
        .expect("a folder this engine wrote reopens");
    let after = all(&db, "c");
    assert_eq!(
        normalize(&after),
        normalize(&expected),
        "reopen changed the data"
    );
    if db.compact("c").is_ok() {
        drop(db);
        let db = options().open(&scratch.0).expect("reopen after compaction");
        assert_eq!(
            normalize(&all(&db, "c")),
            normalize(&expected),
            "compaction changed the data"
        );
    }
}

/// Documents as comparable JSON values, `_id` first.
fn normalize(docs: &[Document]) -> Vec<Value> {
    docs.iter().map(|d| Value::Object(d.clone())).collect()
}

/// Target `open_native`: a native collection file of arbitrary content
/// (first byte 0), or of entries in valid batches (see [`framed_file`]).
pub fn open_native(data: &[u8]) {
    let bytes = match data.split_first() {
        Some((0, raw)) => with_header(raw, FileKind::Collection),
        Some((_, entries)) => framed_file(entries, FileKind::Collection),
        None => with_header(data, FileKind::Collection),
    };
    open_collection_file(&bytes, json!({"_id": "fuzz-new-record", "n": 1}));
}

/// Target `open_compressed`: a compressed collection file whose blocks
/// and batches are sound (valid compression, valid checksums) but hold the
/// fuzzer's entries. A scan trusts a verified block instead of checking
/// each entry's own checksum again (FORMAT.md B2), so what is inside a
/// block must be parsed with care. The first byte picks LZ4 or zstd; the
/// rest is read as records `[kind, flags, id length, data length (2
/// bytes), id, data]` (see [`framed_file`]); flag bit 3 puts the record's
/// bytes into the block raw, not as an entry.
pub fn open_compressed(data: &[u8]) {
    if let Some(bytes) = compressed_file(data) {
        open_collection_file(&bytes, json!({"_id": "fuzz-new-record", "n": 1}));
    }
}

/// The file [`open_compressed`] opens (`None` if the writer refuses it).
fn compressed_file(data: &[u8]) -> Option<Vec<u8>> {
    let (compression, rest) = match data.split_first() {
        Some((pick, rest)) if pick % 2 == 0 => (Compression::Lz4, rest),
        Some((_, rest)) => (Compression::Zstd { level: 1 }, rest),
        None => (Compression::Lz4, data),
    };
    let header = FileHeader {
        kind: FileKind::Collection,
        compression,
        codec: "binary".to_owned(),
    };
    let mut bytes = header.encode().to_vec();
    let at = bytes.len() as u64;
    let mut group = native::GroupWriter::with_compression(Vec::new(), at, 0, compression).ok()?;
    let mut entry = Vec::new();
    let mut rest = rest;
    while rest.len() >= 5 {
        let (entry_kind, flags) = (rest[0], rest[1]);
        let id_len = usize::from(rest[2]).min(rest.len() - 5);
        let data_len = usize::from(u16::from_le_bytes([rest[3], rest[4]]));
        rest = &rest[5..];
        let id = &rest[..id_len];
        rest = &rest[id_len..];
        let body = &rest[..data_len.min(rest.len())];
        rest = &rest[body.len()..];
        entry.clear();
        if flags & 8 != 0 {
            entry.extend_from_slice(id);
            entry.extend_from_slice(body);
        } else {
            let kind = match entry_kind % 3 {
                0 => EntryKind::Put,
                1 => EntryKind::Delete,
                _ => EntryKind::Meta,
            };
            let id = String::from_utf8_lossy(id);
            if native::push_entry(&mut entry, kind, &id, body).is_err() {
                continue;
            }
        }
        group.push(&entry).ok()?;
    }
    let (group, _) = group.finish().ok()?;
    bytes.extend_from_slice(&group);
    Some(bytes)
}

/// Target `open_legacy`: a Python FluxDB 0.1 collection file (and index
/// pickle) of arbitrary content.
pub fn open_legacy(data: &[u8]) {
    let _ = read_collection(data);
    let _ = parse_index_file(data);
    if has_native_magic(data) {
        return;
    }
    open_collection_file(data, json!({"_id": "fuzz-new-record", "n": "1"}));
}

/// Target `import_backup`: importing a backup file of arbitrary content
/// either fails and changes nothing, or replaces the collection with
/// something that reopens the same.
pub fn import_backup(data: &[u8]) {
    let scratch = Scratch::new();
    let file = scratch.0.join("backup.fdb");
    let bytes = match data.split_first() {
        Some((0, raw)) => with_header(raw, FileKind::Backup),
        Some((_, entries)) => framed_file(entries, FileKind::Backup),
        None => with_header(data, FileKind::Backup),
    };
    std::fs::write(&file, bytes).expect("write the input");
    let dir = scratch.0.join("db");
    let mut db = options().open(&dir).expect("open a new folder");
    db.create_collection("c", &["n"]).expect("create");
    db.insert_many(
        "c",
        sample_documents().into_iter().map(Value::Object).collect(),
    )
    .expect("insert the samples");
    let before = all(&db, "c");
    let imported = db.import_collection("c", &file);
    let now = all(&db, "c");
    if imported.is_err() {
        assert_eq!(now, before, "a failed import changed the collection");
    }
    drop(db);
    let db = options().open(&dir).expect("reopen after an import");
    assert_eq!(all(&db, "c"), now, "reopen after import changed the data");
}

/// Documents queries are tried on: every JSON type, nesting, arrays.
pub fn sample_documents() -> Vec<Document> {
    let values = [
        json!({"_id": "1", "n": 1, "s": "a", "a": [1, 2, 3], "o": {"x": 1, "y": [true, null]}}),
        json!({"_id": "2", "n": 2.5, "s": "B", "a": [], "o": {"x": "1"}, "b": true}),
        json!({"_id": "3", "n": -7, "s": "ab", "a": [[1], {"x": 2}], "nil": null}),
        json!({"_id": "4", "n": "10", "s": 5, "a": "text", "o": [{"x": 1}, {"x": 3}]}),
        json!({"_id": "5", "n": 18446744073709551615u64, "s": "", "a": [1.5, "1"], "o": {}}),
        json!({"_id": "6"}),
    ];
    values
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .collect()
}

fn json_input(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}

thread_local! {
    /// One database for the query targets, made once: collection `plain`
    /// without indexes and `indexed` with some, holding the same records.
    static QUERY_DB: RefCell<Option<(Scratch, FluxDB)>> = const { RefCell::new(None) };
}

fn with_query_db(f: impl FnOnce(&mut FluxDB)) {
    QUERY_DB.with(|cell| {
        let mut slot = cell.borrow_mut();
        let (_, db) = slot.get_or_insert_with(|| {
            let scratch = Scratch::new();
            let mut db = options().open(&scratch.0).expect("open the query database");
            let docs: Vec<Value> = sample_documents().into_iter().map(Value::Object).collect();
            db.create_collection::<&str>("plain", &[]).expect("create");
            db.create_collection("indexed", &["n", "s", "a", "o.x"])
                .expect("create");
            db.insert_many("plain", docs.clone()).expect("insert");
            db.insert_many("indexed", docs).expect("insert");
            db.flush().expect("flush");
            (scratch, db)
        });
        f(db);
    });
}

/// Results compared regardless of order (a plan may read an index).
fn sorted(docs: Vec<Document>) -> Vec<String> {
    let mut out: Vec<String> = docs
        .into_iter()
        .map(|d| Value::Object(d).to_string())
        .collect();
    out.sort();
    out
}

/// Runs `find` on both collections: the index planner must find what a
/// scan finds.
fn check_find(find: &Find, ordered: bool) {
    with_query_db(|db| {
        let plain = db.find("plain", find);
        let indexed = db.find("indexed", find);
        match (plain, indexed) {
            (Ok(p), Ok(i)) if ordered => assert_eq!(p, i, "index plan and scan disagree"),
            (Ok(p), Ok(i)) => assert_eq!(sorted(p), sorted(i), "index plan and scan disagree"),
            (Err(_), Err(_)) => {}
            (p, i) => panic!("one collection failed: plain {p:?}, indexed {i:?}"),
        }
    });
}

/// Target `parse_filter`.
pub fn parse_filter(data: &[u8]) {
    let Some(value) = json_input(data) else {
        return;
    };
    if let Ok(filter) = Filter::parse(&value) {
        for doc in sample_documents() {
            filter.matches_in(&doc, ValueMode::Typed);
            filter.matches_in(&doc, ValueMode::LegacyText);
        }
        let _ = filter.index_constraints_in(ValueMode::LegacyText);
    }
    check_find(&Find::new(value), false);
}

/// Target `parse_sort`.
pub fn parse_sort(data: &[u8]) {
    let Some(value) = json_input(data) else {
        return;
    };
    if let Ok(sort) = Sort::parse(&value) {
        let mut docs = sample_documents();
        docs.sort_by(|a, b| sort.compare(a, b));
        docs.sort_by(|a, b| sort.compare_in(a, b, ValueMode::LegacyText));
    }
    // Ties keep insertion order in both, so the order must agree exactly.
    check_find(&Find::all().sort(value.clone()), true);
    check_find(&Find::all().sort(value).skip(1).limit(2), true);
}

/// Target `parse_projection`.
pub fn parse_projection(data: &[u8]) {
    let Some(value) = json_input(data) else {
        return;
    };
    if let Ok(projection) = Projection::parse(&value) {
        for doc in sample_documents() {
            projection.apply(&doc);
        }
    }
    check_find(&Find::all().projection(value), false);
}

/// Target `parse_update`: what an update makes either stores and reads back
/// the same, or is refused with an error.
pub fn parse_update(data: &[u8]) {
    let Some(value) = json_input(data) else {
        return;
    };
    let Ok(update) = Update::parse(&value) else {
        return;
    };
    for mut doc in sample_documents() {
        if update.apply(&mut doc).is_err() {
            continue;
        }
        let id = doc
            .get("_id")
            .and_then(Value::as_str)
            .unwrap_or("x")
            .to_owned();
        let mut bytes = Vec::new();
        if BinaryCodec.encode(&doc, &mut bytes).is_ok() {
            let back = BinaryCodec
                .decode(&id, &bytes)
                .expect("what the codec encodes it decodes");
            let mut expected = doc.clone();
            expected.shift_remove("_id");
            let mut got = back;
            got.shift_remove("_id");
            assert_eq!(got, expected, "binary codec round trip");
        }
    }
}

/// Target `parse_pipeline`.
pub fn parse_pipeline(data: &[u8]) {
    let Some(value) = json_input(data) else {
        return;
    };
    if let Ok(pipeline) = Pipeline::parse(&value) {
        let _ = pipeline.run(sample_documents().into_iter().map(Ok));
        let _ = pipeline.run_in(
            sample_documents().into_iter().map(Ok),
            ValueMode::LegacyText,
        );
    }
    with_query_db(|db| {
        let plain = db.aggregate("plain", &value).map(sorted);
        let indexed = db.aggregate("indexed", &value).map(sorted);
        match (plain, indexed) {
            (Ok(p), Ok(i)) => assert_eq!(p, i, "an index changed a pipeline's result"),
            (Err(_), Err(_)) => {}
            (p, i) => panic!("one collection failed: plain {p:?}, indexed {i:?}"),
        }
    });
}

fn read_all(data: &[u8], format: Format) {
    for skip_bad in [false, true] {
        let options = ReadOptions {
            skip_bad,
            max_record_bytes: 4096,
            ..ReadOptions::default()
        };
        let Ok(mut reader) = DocumentReader::new(Cursor::new(data), format, options) else {
            continue;
        };
        let mut reads = 0usize;
        while let Some(next) = reader.next_document() {
            reads += 1;
            assert!(reads <= data.len() + 2, "the reader does not advance");
            if let Ok((_, doc)) = next {
                let mut bytes = Vec::new();
                let _ = BinaryCodec.encode(&doc, &mut bytes);
            }
        }
    }
}

/// Imports into a collection: all of it (what the report counts), or on
/// error nothing.
fn import_into_db(data: &[u8], format: Format) {
    with_query_db(|db| {
        for skip_bad in [false, true] {
            let read = ReadOptions {
                skip_bad,
                max_record_bytes: 4096,
                ..ReadOptions::default()
            };
            let Ok(reader) = DocumentReader::new(Cursor::new(data.to_vec()), format, read) else {
                continue;
            };
            let options = ImportOptions::new().skip_bad(skip_bad);
            let result = db.import_from_reader(
                "imported",
                reader,
                Path::new("input"),
                &options,
                &mut |_| {},
            );
            let found = db.find("imported", &Find::all()).unwrap_or_default();
            match result {
                Ok(report) => assert_eq!(found.len() as u64, report.imported, "import count"),
                Err(_) => assert!(found.is_empty(), "a failed import left records"),
            }
            let _ = db.drop_collection("imported");
        }
    });
}

/// Target `import_jsonl`.
pub fn import_jsonl(data: &[u8]) {
    read_all(data, Format::JsonLines);
    read_all(data, Format::Json);
    import_into_db(data, Format::JsonLines);
}

/// Target `import_csv`.
pub fn import_csv(data: &[u8]) {
    read_all(data, Format::Csv);
    import_into_db(data, Format::Csv);
}

/// The folder `open_checkpoint` damages: collection `c` (index on `k`)
/// with a checkpoint, and what its queries answer.
fn checkpoint_folder(dir: &Path) -> Vec<Value> {
    let mut db = options()
        .checkpoint_records(1)
        .open(dir)
        .expect("a new folder opens");
    db.create_collection("c", &["k", "s"]).expect("created");
    let docs = (0..40)
        .map(|i| json!({"_id": format!("r{i:02}"), "k": i % 5, "s": format!("v{}", i % 7), "a": [i % 3, 9]}))
        .collect();
    db.insert_many("c", docs).expect("inserted");
    db.update("c", "r03", &json!({"$set": {"k": 9}}))
        .expect("updated");
    db.delete("c", "r04").expect("deleted");
    db.close().expect("closed, which writes the checkpoint");
    let db = FluxDB::open_read_only(dir).expect("reopens");
    checkpoint_answers(&db).expect("a sound checkpoint answers")
}

/// What the fuzzed checkpoint is asked: index lookups, ranges, sorts, a
/// get, a count.
fn checkpoint_answers(db: &FluxDB) -> crate::Result<Vec<Value>> {
    let mut out = Vec::new();
    for filter in [
        json!({"k": 2}),
        json!({"k": {"$in": [0, 9]}}),
        json!({"s": {"$gte": "v2", "$lt": "v5"}}),
        json!({"k": {"$gt": 1}, "s": "v3"}),
    ] {
        let found = db.find("c", &Find::new(filter))?;
        out.push(Value::Array(normalize(&found)));
    }
    let sorted = db.find("c", &Find::all().sort(json!({"s": -1})).limit(7))?;
    out.push(Value::Array(normalize(&sorted)));
    out.push(json!(db.get("c", "r17")?));
    out.push(json!(db.get("c", "r04")?));
    out.push(json!(db.count("c", &json!({}))?));
    Ok(out)
}

/// Recomputes a checkpoint's chunk checksums, chunk table page checksums
/// and footer checksum after the fuzzer changed its bytes, so the change
/// reaches the parts behind them. `None` when the frame is too broken.
fn reseal_checkpoint(bytes: &mut [u8]) -> Option<()> {
    use crate::engine::storage::checkpoint::{CHUNK_LEN, TRAILER_LEN};
    let len = bytes.len();
    let trailer = len.checked_sub(TRAILER_LEN as usize)?;
    let footer_len = u32::from_le_bytes(bytes.get(trailer..trailer + 4)?.try_into().ok()?) as usize;
    let footer_start = trailer.checked_sub(footer_len)?;
    let at = footer_start + 80;
    let sections_end = u64::from_le_bytes(bytes.get(at + 48..at + 56)?.try_into().ok()?) as usize;
    let chunks = sections_end.div_ceil(CHUNK_LEN as usize);
    if sections_end.checked_add(chunks * 4)? != footer_start {
        return None;
    }
    for c in 0..chunks {
        let start = c * CHUNK_LEN as usize;
        let end = (start + CHUNK_LEN as usize).min(sections_end);
        let crc = crc32fast::hash(&bytes[start..end]);
        bytes[sections_end + c * 4..sections_end + c * 4 + 4].copy_from_slice(&crc.to_le_bytes());
    }
    // A checksum per page of the chunk table, after the section table.
    let sections = u32::from_le_bytes(bytes.get(at + 68..at + 72)?.try_into().ok()?) as usize;
    let mut page_at = at + 72 + sections.checked_mul(24)?;
    for page in (sections_end..footer_start).step_by(CHUNK_LEN as usize) {
        let end = (page + CHUNK_LEN as usize).min(footer_start);
        let crc = crc32fast::hash(&bytes[page..end]);
        if page_at + 4 > trailer {
            return None;
        }
        bytes[page_at..page_at + 4].copy_from_slice(&crc.to_le_bytes());
        page_at += 4;
    }
    let footer = crc32fast::hash(&bytes[footer_start..trailer]);
    bytes[trailer + 4..trailer + 8].copy_from_slice(&footer.to_le_bytes());
    Some(())
}

/// Target `open_checkpoint`: the persisted `_id` table and indexes of a
/// small collection, replaced or damaged by the fuzzer's bytes. The first
/// byte picks how: 0 replaces the whole checkpoint; 1 applies the rest as
/// `(offset u16, xor byte)` changes to a sound one; 2 does the same and
/// then recomputes every checksum, so the damage reaches the parser behind
/// them. Opening and querying never panic; with checksums intact (0, 1),
/// every answer is right or an error, never wrong.
pub fn open_checkpoint(data: &[u8]) {
    let scratch = Scratch::new();
    let truth = checkpoint_folder(&scratch.0);
    let path = scratch.0.join("indexes").join("c.checkpoint");
    let Ok(sound) = std::fs::read(&path) else {
        return;
    };
    let (mode, rest) = data.split_first().unwrap_or((&0, &[]));
    let damaged = match mode % 3 {
        0 => rest.to_vec(),
        _ => {
            let mut bytes = sound;
            let len = bytes.len().max(1);
            for change in rest.chunks_exact(3) {
                let at = usize::from(u16::from_le_bytes([change[0], change[1]]));
                if let Some(byte) = bytes.get_mut(at % len) {
                    *byte ^= change[2];
                }
            }
            if mode % 3 == 2 {
                let _ = reseal_checkpoint(&mut bytes);
            }
            bytes
        }
    };
    std::fs::write(&path, &damaged).expect("checkpoint written");
    let resealed = mode % 3 == 2;
    if let Ok(reader) = FluxDB::open_read_only(&scratch.0)
        && let Ok(answers) = checkpoint_answers(&reader)
    {
        assert!(
            resealed || answers == truth,
            "a damaged checkpoint gave a wrong answer"
        );
    }
    // The reader wrote nothing: the writer sees the same damage.
    if let Ok(writer) = options().open(&scratch.0)
        && let Ok(answers) = checkpoint_answers(&writer)
    {
        assert!(
            resealed || answers == truth,
            "a writer believed a damaged checkpoint"
        );
    }
}

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// Every target by name, for the regression test.
pub const TARGETS: &[(&str, Target)] = &[
    ("open_native", open_native),
    ("open_compressed", open_compressed),
    ("open_legacy", open_legacy),
    ("import_backup", import_backup),
    ("parse_filter", parse_filter),
    ("parse_sort", parse_sort),
    ("parse_projection", parse_projection),
    ("parse_update", parse_update),
    ("parse_pipeline", parse_pipeline),
    ("import_jsonl", import_jsonl),
    ("import_csv", import_csv),
    ("open_checkpoint", open_checkpoint),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// [`open_compressed`]'s records for `{"n": i}` documents `r00000`, ...
    fn put_records(count: u32) -> Vec<u8> {
        let mut input = Vec::new();
        for i in 0..count {
            let doc: Document = [("n".to_owned(), json!(i))].into_iter().collect();
            let mut data = Vec::new();
            BinaryCodec.encode(&doc, &mut data).expect("encodes");
            let id = format!("r{i:05}");
            input.extend_from_slice(&[0, 0, id.len() as u8]);
            input.extend_from_slice(&(data.len() as u16).to_le_bytes());
            input.extend_from_slice(id.as_bytes());
            input.extend_from_slice(&data);
        }
        input
    }

    /// A short deterministic run of the checkpoint target: damage a sound
    /// checkpoint in a few places, with and without fixing its checksums.
    #[test]
    fn damaged_checkpoints_never_panic_or_mislead() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..90u64 {
            let mut input = vec![(round % 3) as u8];
            for _ in 0..1 + next() % 4 {
                input.extend_from_slice(&next().to_le_bytes()[..3]);
            }
            open_checkpoint(&input);
        }
    }

    #[test]
    fn the_compressed_target_builds_files_that_open_with_their_records_in_blocks() {
        for (pick, compression) in [(0, Compression::Lz4), (1, Compression::Zstd { level: 1 })] {
            let mut input = vec![pick];
            input.extend(put_records(3_000));
            let bytes = compressed_file(&input).expect("a file");
            let scratch = Scratch::new();
            std::fs::write(scratch.0.join("c.fdb"), &bytes).expect("written");
            let db = FluxDB::open_read_only(&scratch.0).expect("opens");
            let info = db.collection_info("c").expect("info");
            assert_eq!(info.records, 3_000, "{compression}");
            assert_eq!(info.compression, compression);
            assert!(info.compression_ratio.is_some(), "{compression}: in blocks");
            let doc = db.get("c", "r02042").expect("get").expect("found");
            assert_eq!(doc["n"], json!(2042), "{compression}");
            assert_eq!(db.count("c", &json!({"n": {"$gte": 2990}})).ok(), Some(10));
        }
    }
}
