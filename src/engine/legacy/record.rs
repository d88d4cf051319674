//! Records of a Python FluxDB 0.1 `.fdb` collection file: reading them the way
//! the Python library reads them, and writing them byte for byte as it writes.
//!
//! ```text
//! record := u32 record_len | body               (big-endian, record_len = body length)
//! body   := id[36] | u32 field_count | field * field_count
//! field  := u32 key_len | key | u32 value_len | value
//! ```

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::pyrepr::py_str;
use crate::engine::Document;
use crate::error::{Error, Result};

/// Size of the id slot at the start of every record body.
pub const ID_SLOT_LEN: usize = 36;

/// The name of the field that holds a record's id.
pub const ID_FIELD: &str = "_id";

/// One record as stored: its id and its fields in file order, every value text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyRecord {
    /// The id Python sees: the id slot (trailing NULs stripped), overwritten by
    /// the last `_id` field when the record has one (the library always writes one).
    pub id: String,
    /// The stored fields in file order, including the `_id` field.
    pub fields: Vec<(String, String)>,
}

impl LegacyRecord {
    /// The fields as the Python library holds the record after reading it: a
    /// dict that starts with `_id` (from the id slot), where a later field of
    /// the same name (an `_id` field too) replaces the value in place.
    ///
    /// This is also the order in which the library writes the record back when
    /// it rewrites the file on update or delete.
    pub fn python_fields(&self) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = Vec::with_capacity(self.fields.len() + 1);
        fields.push((ID_FIELD.to_string(), self.id.clone()));
        // Records hold a handful of fields: a scan beats hashing until many.
        let mut position: Option<HashMap<String, usize>> =
            (self.fields.len() > 32).then(|| HashMap::from([(ID_FIELD.to_string(), 0)]));
        for (key, value) in &self.fields {
            let existing = match &position {
                Some(map) => map.get(key).copied(),
                None => fields.iter().position(|(k, _)| k == key),
            };
            match existing {
                Some(i) => fields[i].1.clone_from(value),
                None => {
                    if let Some(map) = &mut position {
                        map.insert(key.clone(), fields.len());
                    }
                    fields.push((key.clone(), value.clone()));
                }
            }
        }
        fields
    }

    /// The value Python's `record.get(field)` gives.
    pub fn get(&self, field: &str) -> Option<&str> {
        if field == ID_FIELD {
            return Some(&self.id);
        }
        self.fields
            .iter()
            .rev()
            .find(|(key, _)| key == field)
            .map(|(_, value)| value.as_str())
    }
}

/// The end of a file that holds an incomplete record (a torn append).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Byte offset of the incomplete record's length prefix.
    pub offset: u64,
    /// Number of bytes from `offset` to the end of the file.
    pub bytes: u64,
}

/// A whole record whose body could not be decoded; the library skips it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRecord {
    /// Byte offset of the record's length prefix.
    pub offset: u64,
    /// What is wrong with the body.
    pub reason: String,
}

/// Everything read from a collection file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyReadReport {
    /// The records the Python library returns, in file order.
    pub records: Vec<LegacyRecord>,
    /// The incomplete record at the end of the file, if any; the library ignores it.
    pub torn_tail: Option<TornTail>,
    /// Whole records with an undecodable body, which the library skips.
    pub skipped: Vec<SkippedRecord>,
}

/// Reads a collection file by the Python library's rules: records in order;
/// stop at a record whose length runs past the end (a torn append); skip a body
/// that cannot be decoded; drop undecodable UTF-8 byte-wise. Never fails.
pub fn read_collection(bytes: &[u8]) -> LegacyReadReport {
    let mut report = LegacyReadReport::default();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let remaining = bytes.len() - offset;
        let body_len = match read_u32(bytes, offset) {
            Some(len) if (len as usize) <= remaining - 4 => len as usize,
            _ => {
                report.torn_tail = Some(TornTail {
                    offset: offset as u64,
                    bytes: remaining as u64,
                });
                break;
            }
        };
        let body = &bytes[offset + 4..offset + 4 + body_len];
        match decode_body(body) {
            Ok(record) => report.records.push(record),
            Err(reason) => report.skipped.push(SkippedRecord {
                offset: offset as u64,
                reason,
            }),
        }
        offset += 4 + body_len;
    }
    report
}

/// Decodes one record body, or says why the library would skip it.
fn decode_body(body: &[u8]) -> std::result::Result<LegacyRecord, String> {
    let Some(slot) = body.get(..ID_SLOT_LEN) else {
        return Err(format!(
            "record body is {} bytes, shorter than the {ID_SLOT_LEN}-byte id slot",
            body.len()
        ));
    };
    let slot_len = slot
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    let mut id = decode_utf8_ignoring_errors(&slot[..slot_len]);
    let field_count = read_u32(body, ID_SLOT_LEN)
        .ok_or_else(|| "record body ends before its field count".to_string())?;
    let mut cursor = ID_SLOT_LEN + 4;
    // Every field takes at least 8 bytes, so the loop ends within the body
    // however large the stored count is.
    let mut fields = Vec::new();
    for index in 0..field_count {
        let key = read_text(body, &mut cursor).ok_or_else(|| {
            format!("field {index} of {field_count}: key runs past the record end")
        })?;
        let value = read_text(body, &mut cursor).ok_or_else(|| {
            format!("field {index} of {field_count} ({key:?}): value runs past the record end")
        })?;
        if key == ID_FIELD {
            id.clone_from(&value);
        }
        fields.push((key, value));
    }
    // Bytes after the last field are ignored, as the library ignores them.
    Ok(LegacyRecord { id, fields })
}

/// Reads `u32 len | bytes` at `cursor` as text, advancing the cursor.
fn read_text(body: &[u8], cursor: &mut usize) -> Option<String> {
    let len = read_u32(body, *cursor)? as usize;
    let start = *cursor + 4;
    let text = body.get(start..start.checked_add(len)?)?;
    *cursor = start + len;
    Some(decode_utf8_ignoring_errors(text))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]))
}

/// Python's `bytes.decode('utf-8', errors='ignore')`: invalid bytes vanish.
pub fn decode_utf8_ignoring_errors(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
    }
    text
}

/// Encodes a record exactly as the Python library writes it: the fields in
/// the given order, followed by an `_id` field when there is none (as the
/// library appends it for a generated id). The id slot holds the id's UTF-8,
/// NUL-padded and cut to 36 bytes.
///
/// Fails if a key repeats (a Python dict cannot hold that), if an `_id` field
/// disagrees with `id`, or if a length does not fit the format's u32.
pub fn encode_record(id: &str, fields: &[(String, String)]) -> Result<Vec<u8>> {
    let mut seen = HashSet::with_capacity(fields.len());
    for (key, value) in fields {
        if !seen.insert(key.as_str()) {
            return Err(Error::RecordEncoding(format!(
                "record {id:?} has the field {key:?} twice; a legacy record holds each field once"
            )));
        }
        if key == ID_FIELD && value != id {
            return Err(Error::RecordEncoding(format!(
                "record {id:?} has an _id field holding {value:?}"
            )));
        }
    }
    let appended_id = (!seen.contains(ID_FIELD)).then_some((ID_FIELD, id));
    let all_fields = fields
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .chain(appended_id);

    let field_count = fields.len() + usize::from(appended_id.is_some());
    let mut body = Vec::with_capacity(ID_SLOT_LEN + 4 + fields.len() * 16);
    let id_bytes = id.as_bytes();
    let kept = id_bytes.len().min(ID_SLOT_LEN);
    body.extend_from_slice(&id_bytes[..kept]);
    body.resize(ID_SLOT_LEN, 0);
    body.extend_from_slice(&to_u32(field_count, id, "field count")?.to_be_bytes());
    for (key, value) in all_fields {
        body.extend_from_slice(&to_u32(key.len(), id, "key length")?.to_be_bytes());
        body.extend_from_slice(key.as_bytes());
        body.extend_from_slice(&to_u32(value.len(), id, "value length")?.to_be_bytes());
        body.extend_from_slice(value.as_bytes());
    }
    let mut record = Vec::with_capacity(body.len() + 4);
    record.extend_from_slice(&to_u32(body.len(), id, "record length")?.to_be_bytes());
    record.extend_from_slice(&body);
    Ok(record)
}

/// A whole collection file as the library writes it when it rewrites the file
/// on update or delete: every record re-encoded from the dict it read, so
/// `_id` comes first and repeated fields are merged ([`LegacyRecord::python_fields`]).
pub fn encode_rewritten_file(records: &[LegacyRecord]) -> Result<Vec<u8>> {
    let mut file = Vec::new();
    for record in records {
        file.extend(encode_record(&record.id, &record.python_fields())?);
    }
    Ok(file)
}

fn to_u32(len: usize, id: &str, what: &str) -> Result<u32> {
    u32::try_from(len).map_err(|_| {
        Error::RecordEncoding(format!(
            "record {id:?}: {what} {len} does not fit the legacy format's 32 bits"
        ))
    })
}

/// The document the Python library returns for a record: `_id` first, then
/// the other fields in file order, every value a string.
pub fn record_to_document(record: &LegacyRecord) -> Document {
    let mut document = Document::new();
    document.insert(ID_FIELD.to_string(), Value::String(record.id.clone()));
    for (key, value) in &record.fields {
        // Like a Python dict, inserting a present key keeps its place.
        document.insert(key.clone(), Value::String(value.clone()));
    }
    document
}

/// The record the Python library would store for `doc`: each value as Python's
/// `str()` of it. A document that carries its own `_id` (a caller-supplied id)
/// keeps `_id` where it stands; without one (a generated id) `_id` is appended
/// after the caller's fields, as the library does.
pub fn document_to_record(doc: &Document, id: &str) -> Result<LegacyRecord> {
    match doc.get(ID_FIELD) {
        None => {}
        Some(Value::String(own)) if own == id => {}
        Some(Value::String(own)) => {
            return Err(Error::InvalidDocument(format!(
                "the document's _id {own:?} differs from the record id {id:?}"
            )));
        }
        Some(other) => {
            return Err(Error::InvalidDocument(format!(
                "_id {other} is not a string; the Python FluxDB 0.1 format stores text ids only"
            )));
        }
    }
    let mut fields: Vec<(String, String)> = doc
        .iter()
        .map(|(key, value)| (key.clone(), py_str(value)))
        .collect();
    if !doc.contains_key(ID_FIELD) {
        fields.push((ID_FIELD.to_string(), id.to_string()));
    }
    Ok(LegacyRecord {
        id: id.to_string(),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::legacy::test_fixtures::{expected_json, fixture_bytes};
    use serde_json::json;

    fn fixture_report(folder: &str, collection: &str) -> LegacyReadReport {
        read_collection(&fixture_bytes(folder, &format!("{collection}.fdb")))
    }

    /// Compares records with what the Python library returned, field by field, in order.
    fn assert_matches_python(folder: &str, collection: &str, records: &[LegacyRecord]) {
        let expected = expected_json(folder);
        let expected_records = expected["records"][collection]
            .as_array()
            .unwrap_or_else(|| panic!("{folder}.expected.json lists {collection}"));
        assert_eq!(
            records.len(),
            expected_records.len(),
            "{folder}/{collection} record count"
        );
        for (i, (record, expected)) in records.iter().zip(expected_records).enumerate() {
            let expected_fields: Vec<(&str, &str)> = expected
                .as_object()
                .expect("expected record is an object")
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().expect("expected values are strings")))
                .collect();
            let document = record_to_document(record);
            let actual_fields: Vec<(&str, &str)> = document
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("<not a string>")))
                .collect();
            assert_eq!(
                actual_fields, expected_fields,
                "{folder}/{collection} record {i}"
            );
            assert_eq!(
                record.id, expected_fields[0].1,
                "{folder}/{collection} record {i} id"
            );
        }
    }

    #[test]
    fn every_fixture_collection_reads_as_the_python_library_returns_it() {
        for folder in ["basic", "torn-tail"] {
            let expected = expected_json(folder);
            let collections: Vec<&str> = expected["collections"]
                .as_array()
                .expect("collections list")
                .iter()
                .map(|c| c.as_str().expect("collection name"))
                .collect();
            assert_eq!(collections, ["empty", "products", "txn", "users"]);
            for collection in collections {
                let report = fixture_report(folder, collection);
                assert!(
                    report.skipped.is_empty(),
                    "{folder}/{collection} skipped records"
                );
                assert_matches_python(folder, collection, &report.records);
            }
        }
    }

    #[test]
    fn whole_fixture_files_have_no_torn_tail() {
        for collection in ["empty", "products", "txn", "users"] {
            assert_eq!(
                fixture_report("basic", collection).torn_tail,
                None,
                "{collection}"
            );
        }
    }

    #[test]
    fn torn_tail_fixture_gives_the_whole_records_and_reports_the_torn_last_one() {
        let whole = fixture_report("basic", "users");
        let torn = fixture_report("torn-tail", "users");
        let file_len = fixture_bytes("torn-tail", "users.fdb").len() as u64;
        assert_eq!(torn.records.len(), 54);
        assert_eq!(torn.records[..], whole.records[..54]);
        // 8196 = the sum of the first 54 records' lengths in basic/users.fdb.
        let first_54: usize = whole.records[..54]
            .iter()
            .map(|r| encode_record(&r.id, &r.fields).expect("encodes").len())
            .sum();
        assert_eq!(first_54, 8196);
        assert_eq!(
            torn.torn_tail,
            Some(TornTail {
                offset: 8196,
                bytes: file_len - 8196
            })
        );
        assert_eq!(file_len - 8196, 70);
    }

    #[test]
    fn re_encoding_every_fixture_record_reproduces_the_files_byte_for_byte() {
        for collection in ["empty", "products", "txn", "users"] {
            let bytes = fixture_bytes("basic", &format!("{collection}.fdb"));
            let report = read_collection(&bytes);
            let mut rewritten = Vec::new();
            for record in &report.records {
                let encoded =
                    encode_record(&record.id, &record.fields).expect("fixture record encodes");
                assert_eq!(
                    read_collection(&encoded).records,
                    std::slice::from_ref(record)
                );
                rewritten.extend_from_slice(&encoded);
            }
            assert_eq!(rewritten, bytes, "{collection}.fdb");
        }
    }

    #[test]
    fn rewriting_like_python_reproduces_the_fixture_file_python_rewrote() {
        // users.fdb was rewritten by the library (updates and deletes), so
        // every record there already has `_id` first.
        let users = fixture_bytes("basic", "users.fdb");
        let rewritten = encode_rewritten_file(&read_collection(&users).records).expect("encodes");
        assert_eq!(rewritten, users);
        // products.fdb was only appended to: a rewrite moves generated ids first.
        let products = read_collection(&fixture_bytes("basic", "products.fdb")).records;
        let rewritten = read_collection(&encode_rewritten_file(&products).expect("encodes"));
        let first_keys: Vec<&str> = rewritten.records[0]
            .fields
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(
            first_keys,
            ["_id", "sku", "category", "price", "stock", "sale"]
        );
        let documents: Vec<Document> = products.iter().map(record_to_document).collect();
        let again: Vec<Document> = rewritten.records.iter().map(record_to_document).collect();
        assert_eq!(again, documents);
    }

    #[test]
    fn a_caller_supplied_id_keeps_its_place_and_short_ids_are_nul_padded() {
        let report = fixture_report("basic", "products");
        let custom = report
            .records
            .iter()
            .find(|r| r.id == "custom-id-1")
            .expect("products holds the caller-chosen id");
        assert_eq!(
            custom.fields[0],
            ("_id".to_string(), "custom-id-1".to_string())
        );
        let encoded = encode_record(&custom.id, &custom.fields).expect("encodes");
        assert_eq!(&encoded[4..15], b"custom-id-1");
        assert!(encoded[15..40].iter().all(|&b| b == 0));
    }

    #[test]
    fn rewriting_a_fixture_in_a_temporary_copy_reads_back_identically() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("users.fdb");
        std::fs::write(&path, fixture_bytes("basic", "users.fdb")).expect("copy fixture");
        let original = read_collection(&std::fs::read(&path).expect("read copy"));
        // Rewrite as Python does on delete: every remaining record, `_id` first.
        let mut rewritten = Vec::new();
        for record in &original.records[1..] {
            rewritten.extend(encode_record(&record.id, &record.python_fields()).expect("encodes"));
        }
        std::fs::write(&path, &rewritten).expect("rewrite copy");
        let again = read_collection(&std::fs::read(&path).expect("read copy"));
        assert_eq!(again.records, original.records[1..]);
        assert_eq!(again.torn_tail, None);
    }

    #[test]
    fn python_fields_put_id_first_and_let_later_duplicates_overwrite_in_place() {
        let record = LegacyRecord {
            id: "new-id".into(),
            fields: vec![
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("_id".into(), "new-id".into()),
                ("a".into(), "3".into()),
            ],
        };
        let expected: Vec<(String, String)> = [("_id", "new-id"), ("a", "3"), ("b", "2")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(record.python_fields(), expected);
        assert_eq!(record.get("a"), Some("3"));
        assert_eq!(record.get("_id"), Some("new-id"));
        assert_eq!(record.get("zzz"), None);
    }

    #[test]
    fn python_fields_merge_duplicates_the_same_way_for_records_with_many_fields() {
        let mut fields: Vec<(String, String)> =
            (0..40).map(|i| (format!("f{i}"), i.to_string())).collect();
        fields.push(("f3".into(), "three".into()));
        fields.push(("_id".into(), "x".into()));
        let record = LegacyRecord {
            id: "x".into(),
            fields,
        };
        let merged = record.python_fields();
        assert_eq!(merged.len(), 41);
        assert_eq!(merged[0], ("_id".to_string(), "x".to_string()));
        assert_eq!(merged[4], ("f3".to_string(), "three".to_string()));
        let document = record_to_document(&record);
        let from_document: Vec<(String, String)> = document
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        assert_eq!(from_document, merged);
    }

    #[test]
    fn an_id_field_overrides_the_slot_and_trailing_bytes_are_ignored() {
        let mut body = b"slot-id".to_vec();
        body.resize(36, 0);
        body.extend(1u32.to_be_bytes());
        body.extend(3u32.to_be_bytes());
        body.extend(b"_id");
        body.extend(4u32.to_be_bytes());
        body.extend(b"real");
        body.extend(b"trailing junk");
        let mut file = (body.len() as u32).to_be_bytes().to_vec();
        file.extend(&body);
        let report = read_collection(&file);
        assert_eq!(report.records.len(), 1);
        assert_eq!(report.records[0].id, "real");
        let doc = record_to_document(&report.records[0]);
        assert_eq!(serde_json::Value::Object(doc), json!({"_id": "real"}));
    }

    #[test]
    fn invalid_utf8_is_dropped_byte_wise() {
        assert_eq!(decode_utf8_ignoring_errors(b"a\xffb\xe2\x9c"), "ab");
        assert_eq!(
            decode_utf8_ignoring_errors(b"\xe0\x80A\xf0\x9f\x9a\x80"),
            "A\u{1f680}"
        );
        assert_eq!(
            decode_utf8_ignoring_errors(b"ok \xef\xbf\xbd"),
            "ok \u{fffd}"
        );
    }

    #[test]
    fn an_undecodable_body_is_skipped_and_reading_goes_on() {
        let good = encode_record("id-1", &[("k".into(), "v".into())]).expect("encodes");
        let mut file = Vec::new();
        file.extend(10u32.to_be_bytes()); // a whole record, too short for the id slot
        file.extend([7u8; 10]);
        let mut bad_fields = vec![b'x'; 36];
        bad_fields.extend(5u32.to_be_bytes()); // five fields promised, none present
        file.extend((bad_fields.len() as u32).to_be_bytes());
        file.extend(&bad_fields);
        file.extend(&good);
        let report = read_collection(&file);
        assert_eq!(report.records.len(), 1);
        assert_eq!(report.records[0].id, "id-1");
        assert_eq!(report.skipped.len(), 2);
        assert_eq!(report.skipped[0].offset, 0);
        assert!(
            report.skipped[0]
                .reason
                .contains("shorter than the 36-byte id slot")
        );
        assert_eq!(report.skipped[1].offset, 14);
        assert!(report.skipped[1].reason.contains("field 0 of 5"));
        assert_eq!(report.torn_tail, None);
    }

    #[test]
    fn every_truncation_of_a_fixture_reads_without_panicking() {
        let bytes = fixture_bytes("basic", "users.fdb");
        let whole = read_collection(&bytes);
        for cut in 0..=bytes.len() {
            let report = read_collection(&bytes[..cut]);
            assert!(report.skipped.is_empty(), "cut {cut}");
            assert!(report.records.len() <= whole.records.len());
            assert_eq!(
                report.records[..],
                whole.records[..report.records.len()],
                "cut {cut}"
            );
            let whole_len: usize = report
                .records
                .iter()
                .map(|r| encode_record(&r.id, &r.fields).map_or(0, |e| e.len()))
                .sum();
            match report.torn_tail {
                Some(tail) => {
                    assert_eq!(tail.offset, whole_len as u64, "cut {cut}");
                    assert_eq!(tail.offset + tail.bytes, cut as u64, "cut {cut}");
                }
                None => assert_eq!(whole_len, cut, "cut {cut}"),
            }
        }
    }

    #[test]
    fn random_bytes_and_huge_lengths_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..2000 {
            let len = (next() % 300) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 3 == 0 && bytes.len() >= 44 {
                // A plausible record length with a huge field count and key length.
                let body_len = (bytes.len() - 4) as u32;
                bytes[..4].copy_from_slice(&body_len.to_be_bytes());
                bytes[40..44].copy_from_slice(&u32::MAX.to_be_bytes());
            }
            let report = read_collection(&bytes);
            assert!(report.records.len() + report.skipped.len() <= bytes.len() / 4 + 1);
        }
        let huge = [0xffu8, 0xff, 0xff, 0xff, 1, 2, 3];
        let report = read_collection(&huge);
        assert_eq!(
            report.torn_tail,
            Some(TornTail {
                offset: 0,
                bytes: 7
            })
        );
    }

    #[test]
    fn encode_appends_a_missing_id_field_and_rejects_inconsistent_records() {
        let encoded = encode_record("abc", &[("k".into(), "v".into())]).expect("encodes");
        let back = read_collection(&encoded);
        assert_eq!(
            back.records[0].fields,
            vec![
                ("k".to_string(), "v".to_string()),
                ("_id".to_string(), "abc".to_string())
            ]
        );
        let twice = [
            ("k".to_string(), "1".to_string()),
            ("k".to_string(), "2".to_string()),
        ];
        assert!(
            matches!(encode_record("abc", &twice), Err(Error::RecordEncoding(m)) if m.contains("twice"))
        );
        let other_id = [("_id".to_string(), "xyz".to_string())];
        assert!(matches!(
            encode_record("abc", &other_id),
            Err(Error::RecordEncoding(_))
        ));
    }

    #[test]
    fn ids_longer_than_the_slot_are_cut_there_and_restored_from_the_id_field() {
        let long_id = "é".repeat(20); // 40 bytes; the cut splits nothing here at 36
        let encoded = encode_record(&long_id, &[]).expect("encodes");
        assert_eq!(&encoded[4..40], &long_id.as_bytes()[..36]);
        let back = read_collection(&encoded);
        assert_eq!(back.records[0].id, long_id);
        let odd_cut = format!("a{}", "é".repeat(20)); // the 36th byte splits an "é"
        let back = read_collection(&encode_record(&odd_cut, &[]).expect("encodes"));
        assert_eq!(back.records[0].id, odd_cut);
    }

    #[test]
    fn document_to_record_places_id_as_the_python_library_does() {
        let generated = json!({"name": "Ann", "age": 30, "tags": ["a", 1], "ok": true});
        let record =
            document_to_record(generated.as_object().expect("object"), "gen-1").expect("converts");
        let keys: Vec<&str> = record.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["name", "age", "tags", "ok", "_id"]);
        assert_eq!(record.fields[2].1, "['a', 1]");
        assert_eq!(record.fields[3].1, "True");

        let supplied = json!({"sku": "P1", "_id": "custom-id-1", "price": 1.5});
        let record = document_to_record(supplied.as_object().expect("object"), "custom-id-1")
            .expect("converts");
        let keys: Vec<&str> = record.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["sku", "_id", "price"]);
        assert_eq!(record.fields[2].1, "1.5");

        // The fixture's generated-id product record re-made from its document.
        let products = fixture_report("basic", "products");
        let first = &products.records[0];
        let mut doc = record_to_document(first);
        doc.shift_remove("_id");
        let remade = document_to_record(&doc, &first.id).expect("converts");
        assert_eq!(&remade, first);
    }

    #[test]
    fn document_to_record_rejects_ids_python_could_not_store() {
        let numeric = json!({"_id": 5});
        assert!(matches!(
            document_to_record(numeric.as_object().expect("object"), "5"),
            Err(Error::InvalidDocument(m)) if m.contains("not a string")
        ));
        let other = json!({"_id": "a"});
        assert!(matches!(
            document_to_record(other.as_object().expect("object"), "b"),
            Err(Error::InvalidDocument(_))
        ));
    }
}
