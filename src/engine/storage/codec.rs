//! Record codecs: how one document becomes bytes inside a collection file.
//!
//! The seed's `storage_backend` parameter: a collection file stores each
//! document through a [`RecordCodec`]. [`BinaryCodec`] is the default; a user
//! can plug in their own (its name is written in the file header, so a file
//! is never read back with a different codec).

use serde_json::{Map, Number, Value};

use crate::engine::Document;
use crate::error::{Error, Result};

/// Deepest nesting of arrays and objects a stored document may have.
///
/// Decoding recurses, so this bound is what keeps hostile or corrupt input
/// from overflowing the stack. MongoDB allows 100 levels; so do we.
pub const MAX_DEPTH: usize = 100;

/// Largest encoded document, as in MongoDB (16 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// Turns documents into bytes and back. `_id` is not part of the bytes: the
/// collection file stores it in the entry header and puts it back first.
pub trait RecordCodec: Send + Sync + std::fmt::Debug {
    /// Written into the file header (at most 16 bytes of ASCII).
    fn name(&self) -> &str;
    /// Appends the encoding of `doc` without its `_id` field to `out`.
    fn encode(&self, doc: &Document, out: &mut Vec<u8>) -> Result<()>;
    /// Decodes bytes made by `encode`, inserting `id` as the first field.
    fn decode(&self, id: &str, bytes: &[u8]) -> Result<Document>;

    /// Like [`decode`](Self::decode), keeping only the named top-level
    /// fields (`_id` too when named). Scans use it to test filters without
    /// building whole documents; a codec may simply decode everything.
    fn decode_fields(&self, id: &str, bytes: &[u8], fields: &[String]) -> Result<Document> {
        let mut doc = self.decode(id, bytes)?;
        doc.retain(|k, _| fields.iter().any(|f| f == k));
        Ok(doc)
    }

    /// [`decode_fields`](Self::decode_fields) into `doc`, which holds the
    /// previous record of a scan: a scan of a million records then reuses
    /// one document's allocations (its keys and text values) instead of
    /// building and dropping a million maps. The result equals
    /// `decode_fields`, field order included.
    fn decode_fields_into(
        &self,
        id: &str,
        bytes: &[u8],
        fields: &[String],
        doc: &mut Document,
    ) -> Result<()> {
        *doc = self.decode_fields(id, bytes, fields)?;
        Ok(())
    }

    /// Calls `f` with the name of each top-level field in order, `_id` not
    /// included: what the header of a CSV export needs, without building
    /// the documents. A codec may simply decode.
    fn field_names(&self, id: &str, bytes: &[u8], f: &mut dyn FnMut(&str)) -> Result<()> {
        for key in self.decode(id, bytes)?.keys() {
            if key != "_id" {
                f(key);
            }
        }
        Ok(())
    }
}

/// The native codec: a compact, typed, length-prefixed binary form of JSON.
///
/// ```text
/// value  := tag:u8 payload
/// 0 null | 1 false | 2 true
/// 3 int    zigzag varint (i64)
/// 4 uint   varint (u64 above i64::MAX)
/// 5 float  f64, 8 bytes little endian
/// 6 string varint byte length, UTF-8 bytes
/// 7 array  varint byte length of the rest, varint count, values
/// 8 object varint byte length of the rest, varint count, (varint key length, key, value)*
/// ```
/// A document is an object's `count, fields` without tag or byte length.
/// Byte lengths let a reader skip a nested value without decoding it.
#[derive(Debug, Default, Clone, Copy)]
pub struct BinaryCodec;

// The value tags of the format above (also read by `to_json` and written
// by `transcode`, which skip the document).
pub(super) const TAG_NULL: u8 = 0;
pub(super) const TAG_FALSE: u8 = 1;
pub(super) const TAG_TRUE: u8 = 2;
pub(super) const TAG_INT: u8 = 3;
pub(super) const TAG_UINT: u8 = 4;
pub(super) const TAG_FLOAT: u8 = 5;
pub(super) const TAG_STRING: u8 = 6;
pub(super) const TAG_ARRAY: u8 = 7;
pub(super) const TAG_OBJECT: u8 = 8;

impl RecordCodec for BinaryCodec {
    fn name(&self) -> &str {
        "binary"
    }

    fn encode(&self, doc: &Document, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let count = doc.keys().filter(|k| k.as_str() != "_id").count();
        put_varint(out, count as u64);
        for (key, value) in doc {
            if key == "_id" {
                continue;
            }
            put_str(out, key);
            encode_value(value, out, 1)?;
        }
        check_size(out.len() - start)
    }

    fn decode(&self, id: &str, bytes: &[u8]) -> Result<Document> {
        let mut reader = Reader { bytes, pos: 0 };
        let count = reader.varint()?;
        let mut doc = Map::with_capacity((count as usize).min(1024) + 1);
        doc.insert("_id".to_owned(), Value::String(id.to_owned()));
        for _ in 0..count {
            let key = reader.string()?;
            let value = reader.value(1)?;
            doc.insert(key, value);
        }
        if reader.pos != bytes.len() {
            return Err(reader.error("trailing bytes after the document"));
        }
        Ok(doc)
    }

    fn decode_fields(&self, id: &str, bytes: &[u8], fields: &[String]) -> Result<Document> {
        let mut reader = Reader { bytes, pos: 0 };
        let count = reader.varint()?;
        let mut doc = Map::with_capacity(fields.len() + 1);
        if fields.iter().any(|f| f == "_id") {
            doc.insert("_id".to_owned(), Value::String(id.to_owned()));
        }
        for _ in 0..count {
            let len = reader.length()?;
            let key = reader.take(len)?;
            if fields.iter().any(|f| f.as_bytes() == key) {
                let key = std::str::from_utf8(key)
                    .map_err(|_| reader.error("invalid UTF-8 in a field name"))?
                    .to_owned();
                let value = reader.value(1)?;
                doc.insert(key, value);
            } else {
                reader.skip_value()?;
            }
        }
        if reader.pos != bytes.len() {
            return Err(reader.error("trailing bytes after the document"));
        }
        Ok(doc)
    }

    fn decode_fields_into(
        &self,
        id: &str,
        bytes: &[u8],
        fields: &[String],
        doc: &mut Document,
    ) -> Result<()> {
        let mut reader = Reader { bytes, pos: 0 };
        let count = reader.varint()?;
        // Fields are written in the record's order; `kept` counts those
        // placed so far. A field is overwritten in place when the reused
        // document already has it at that position (the usual case: records
        // of a collection share their field order), else the rest is cut.
        let mut kept = 0;
        if fields.iter().any(|f| f == "_id") {
            place_field(doc, kept, "_id", |slot| {
                reuse_string(slot, id);
                Ok(())
            })?;
            kept += 1;
        }
        for _ in 0..count {
            let len = reader.length()?;
            let key = reader.take(len)?;
            if fields.iter().any(|f| f.as_bytes() == key) {
                let key = std::str::from_utf8(key)
                    .map_err(|_| reader.error("invalid UTF-8 in a field name"))?;
                place_field(doc, kept, key, |slot| reader.value_into(slot, 1))?;
                kept += 1;
            } else {
                reader.skip_value()?;
            }
        }
        if reader.pos != bytes.len() {
            return Err(reader.error("trailing bytes after the document"));
        }
        keep_first(doc, kept);
        Ok(())
    }

    fn field_names(&self, _id: &str, bytes: &[u8], f: &mut dyn FnMut(&str)) -> Result<()> {
        let mut reader = Reader { bytes, pos: 0 };
        let count = reader.varint()?;
        for _ in 0..count {
            let len = reader.length()?;
            let key = reader.take(len)?;
            let key = std::str::from_utf8(key)
                .map_err(|_| reader.error("invalid UTF-8 in a field name"))?;
            f(key);
            reader.skip_value()?;
        }
        Ok(())
    }
}

/// Makes `key` the field at `position` of `doc` (whose first `position`
/// fields are this record's) and fills its value with `fill`. A document
/// whose field there has another name loses that field and those after it.
fn place_field(
    doc: &mut Document,
    position: usize,
    key: &str,
    fill: impl FnOnce(&mut Value) -> Result<()>,
) -> Result<()> {
    if let Some((existing, slot)) = doc.iter_mut().nth(position)
        && existing == key
    {
        return fill(slot);
    }
    keep_first(doc, position);
    doc.insert(key.to_owned(), Value::Null);
    // Found by name: a corrupt record may repeat a key, which then keeps
    // its first place, as `decode_fields` keeps it.
    match doc.get_mut(key) {
        Some(slot) => fill(slot),
        None => Err(Error::RecordEncoding(format!(
            "field {key:?} vanished while decoding"
        ))),
    }
}

/// Drops every field of `doc` after the first `n`.
fn keep_first(doc: &mut Document, n: usize) {
    if doc.len() > n {
        let mut seen = 0;
        doc.retain(|_, _| {
            seen += 1;
            seen <= n
        });
    }
}

/// Sets `slot` to the text, reusing its allocation when it holds text.
fn reuse_string(slot: &mut Value, text: &str) {
    match slot {
        Value::String(s) => {
            s.clear();
            s.push_str(text);
        }
        other => *other = Value::String(text.to_owned()),
    }
}

fn check_size(len: usize) -> Result<()> {
    if len > MAX_DOCUMENT_BYTES {
        return Err(Error::LimitExceeded {
            what: format!("a document of {len} bytes"),
            limit: format!("{MAX_DOCUMENT_BYTES} bytes"),
        });
    }
    Ok(())
}

fn encode_value(value: &Value, out: &mut Vec<u8>, depth: usize) -> Result<()> {
    match value {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(false) => out.push(TAG_FALSE),
        Value::Bool(true) => out.push(TAG_TRUE),
        Value::Number(n) => encode_number(n, out)?,
        Value::String(s) => {
            out.push(TAG_STRING);
            put_str(out, s);
        }
        Value::Array(items) => {
            check_depth(depth)?;
            out.push(TAG_ARRAY);
            with_length_prefix(out, |out| {
                put_varint(out, items.len() as u64);
                items
                    .iter()
                    .try_for_each(|item| encode_value(item, out, depth + 1))
            })?;
        }
        Value::Object(fields) => {
            check_depth(depth)?;
            out.push(TAG_OBJECT);
            with_length_prefix(out, |out| {
                put_varint(out, fields.len() as u64);
                fields.iter().try_for_each(|(key, value)| {
                    put_str(out, key);
                    encode_value(value, out, depth + 1)
                })
            })?;
        }
    }
    Ok(())
}

fn encode_number(n: &Number, out: &mut Vec<u8>) -> Result<()> {
    if let Some(i) = n.as_i64() {
        out.push(TAG_INT);
        put_varint(out, zigzag(i));
    } else if let Some(u) = n.as_u64() {
        out.push(TAG_UINT);
        put_varint(out, u);
    } else if let Some(f) = n.as_f64() {
        out.push(TAG_FLOAT);
        out.extend_from_slice(&f.to_le_bytes());
    } else {
        return Err(Error::RecordEncoding(format!("unsupported number {n}")));
    }
    Ok(())
}

fn check_depth(depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::LimitExceeded {
            what: "document nesting depth".to_owned(),
            limit: format!("{MAX_DEPTH} levels"),
        });
    }
    Ok(())
}

/// Writes `body` behind a varint of its byte length. The body is encoded
/// first and moved, which costs a copy only for nested values.
fn with_length_prefix(
    out: &mut Vec<u8>,
    body: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    let mut nested = Vec::new();
    body(&mut nested)?;
    put_varint(out, nested.len() as u64);
    out.extend_from_slice(&nested);
    Ok(())
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

pub(super) fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A bounds-checked cursor: every read of corrupt bytes is an error, never a panic.
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> Error {
        Error::RecordEncoding(format!("{what} at byte {} of an encoded record", self.pos))
    }

    pub(super) fn byte(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.error("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.error("length runs past the end"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    pub(super) fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error("varint longer than 10 bytes"))
    }

    pub(super) fn length(&mut self) -> Result<usize> {
        let len = self.varint()?;
        usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.bytes.len() - self.pos)
            .ok_or_else(|| self.error("length runs past the end"))
    }

    fn string(&mut self) -> Result<String> {
        let len = self.length()?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.error("invalid UTF-8 in a string"))
    }

    /// Moves past one value without building it.
    pub(super) fn skip_value(&mut self) -> Result<()> {
        match self.byte()? {
            TAG_NULL | TAG_FALSE | TAG_TRUE => {}
            TAG_INT | TAG_UINT => {
                self.varint()?;
            }
            TAG_FLOAT => {
                self.take(8)?;
            }
            TAG_STRING | TAG_ARRAY | TAG_OBJECT => {
                let len = self.length()?;
                self.take(len)?;
            }
            other => return Err(self.error(&format!("unknown value tag {other}"))),
        }
        Ok(())
    }

    /// [`value`](Self::value) into `slot`, reusing what it holds: its text,
    /// and an object's or array's allocations (field by field, as
    /// [`BinaryCodec::decode_fields_into`] reuses a document's), so a scan
    /// that decodes a nested object per record allocates nothing once the
    /// records repeat their shape.
    fn value_into(&mut self, slot: &mut Value, depth: usize) -> Result<()> {
        let tag = self.bytes.get(self.pos).copied();
        match (tag, slot) {
            (Some(TAG_STRING), slot) => {
                self.pos += 1;
                let len = self.length()?;
                let bytes = self.take(len)?;
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| self.error("invalid UTF-8 in a string"))?;
                reuse_string(slot, text);
            }
            (Some(TAG_OBJECT), Value::Object(fields)) if depth <= MAX_DEPTH => {
                self.pos += 1;
                let end = self.container_end()?;
                let count = self.varint()?;
                let mut kept = 0;
                for _ in 0..count {
                    let len = self.length()?;
                    let key = self.take(len)?;
                    let key = std::str::from_utf8(key)
                        .map_err(|_| self.error("invalid UTF-8 in a string"))?;
                    place_field(fields, kept, key, |slot| self.value_into(slot, depth + 1))?;
                    kept += 1;
                }
                keep_first(fields, kept);
                self.check_end(end)?;
            }
            (Some(TAG_ARRAY), Value::Array(items)) if depth <= MAX_DEPTH => {
                self.pos += 1;
                let end = self.container_end()?;
                let count = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
                items.truncate(count);
                for i in 0..count {
                    match items.get_mut(i) {
                        Some(item) => self.value_into(item, depth + 1)?,
                        None => items.push(self.value(depth + 1)?),
                    }
                }
                self.check_end(end)?;
            }
            (_, slot) => *slot = self.value(depth)?,
        }
        Ok(())
    }

    /// Reads an array's or object's byte length: where it ends.
    fn container_end(&mut self) -> Result<usize> {
        let len = self.length()?;
        Ok(self.pos + len)
    }

    fn check_end(&self, end: usize) -> Result<()> {
        match self.pos == end {
            true => Ok(()),
            false => Err(self.error("nested length does not match its contents")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value> {
        let tag = self.byte()?;
        Ok(match tag {
            TAG_NULL => Value::Null,
            TAG_FALSE => Value::Bool(false),
            TAG_TRUE => Value::Bool(true),
            TAG_INT => Value::from(unzigzag(self.varint()?)),
            TAG_UINT => Value::from(self.varint()?),
            TAG_FLOAT => {
                let raw = self.take(8)?;
                let mut b = [0u8; 8];
                b.copy_from_slice(raw);
                let f = f64::from_le_bytes(b);
                Value::Number(Number::from_f64(f).ok_or_else(|| self.error("non-finite float"))?)
            }
            TAG_STRING => Value::String(self.string()?),
            TAG_ARRAY | TAG_OBJECT => {
                if depth > MAX_DEPTH {
                    return Err(self.error("nesting deeper than the limit"));
                }
                let len = self.length()?;
                let end = self.pos + len;
                let count = self.varint()?;
                let value = if tag == TAG_ARRAY {
                    let mut items = Vec::with_capacity((count as usize).min(len));
                    for _ in 0..count {
                        items.push(self.value(depth + 1)?);
                    }
                    Value::Array(items)
                } else {
                    let mut fields = Map::with_capacity((count as usize).min(len));
                    for _ in 0..count {
                        let key = self.string()?;
                        fields.insert(key, self.value(depth + 1)?);
                    }
                    Value::Object(fields)
                };
                if self.pos != end {
                    return Err(self.error("nested length does not match its contents"));
                }
                value
            }
            other => return Err(self.error(&format!("unknown value tag {other}"))),
        })
    }
}

/// Stores documents as JSON text: slower and larger than [`BinaryCodec`], but
/// readable with any hex viewer. An example of a user-supplied codec.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonCodec;

impl RecordCodec for JsonCodec {
    fn name(&self) -> &str {
        "json"
    }

    fn encode(&self, doc: &Document, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let without_id: Map<String, Value> = doc
            .iter()
            .filter(|(k, _)| k.as_str() != "_id")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_json::to_writer(&mut *out, &without_id)
            .map_err(|e| Error::RecordEncoding(e.to_string()))?;
        check_size(out.len() - start)
    }

    fn decode(&self, id: &str, bytes: &[u8]) -> Result<Document> {
        let fields: Map<String, Value> =
            serde_json::from_slice(bytes).map_err(|e| Error::RecordEncoding(e.to_string()))?;
        let mut doc = Map::with_capacity(fields.len() + 1);
        doc.insert("_id".to_owned(), Value::String(id.to_owned()));
        doc.extend(fields);
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    #[test]
    fn binary_round_trip_keeps_types_and_field_order() {
        let original = doc(json!({
            "_id": "abc", "z": 1, "a": -5, "big": u64::MAX, "f": 1.5, "neg0": -0.0,
            "s": "héllo 🎉", "n": null, "t": true, "x": false,
            "arr": [1, "two", [3.0], {"k": null}], "obj": {"b": {"c": []}, "a": {}}
        }));
        let mut bytes = Vec::new();
        BinaryCodec.encode(&original, &mut bytes).unwrap();
        let back = BinaryCodec.decode("abc", &bytes).unwrap();
        assert_eq!(back, original);
        let keys: Vec<_> = back.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "_id", "z", "a", "big", "f", "neg0", "s", "n", "t", "x", "arr", "obj"
            ]
        );
        assert!(back["f"].is_f64() && back["z"].is_i64() && back["big"].is_u64());
    }

    #[test]
    fn id_is_put_first_even_when_stored_later() {
        let original = doc(json!({"a": 1, "_id": "x"}));
        let mut bytes = Vec::new();
        BinaryCodec.encode(&original, &mut bytes).unwrap();
        let back = BinaryCodec.decode("x", &bytes).unwrap();
        assert_eq!(back.keys().next().map(String::as_str), Some("_id"));
    }

    #[test]
    fn nesting_beyond_the_limit_is_an_error_not_a_crash() {
        let mut v = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            v = json!([v]);
        }
        let err = BinaryCodec
            .encode(&doc(json!({ "deep": v })), &mut Vec::new())
            .unwrap_err();
        assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
    }

    #[test]
    fn every_truncation_and_garbage_decodes_to_an_error() {
        let original = doc(json!({"a": [1, {"b": "c"}], "d": 2.5, "e": "text"}));
        let mut bytes = Vec::new();
        BinaryCodec.encode(&original, &mut bytes).unwrap();
        for cut in 0..bytes.len() {
            assert!(BinaryCodec.decode("i", &bytes[..cut]).is_err(), "cut {cut}");
        }
        for garbage in [
            &[0xff_u8; 12][..],
            &[1, 9],
            &[1, 1, b'a', 8, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(BinaryCodec.decode("i", garbage).is_err());
        }
    }

    #[test]
    fn partial_decoding_keeps_only_the_named_fields() {
        let original =
            doc(json!({"a": [1, {"b": "c"}], "d": 2.5, "e": "text", "f": {"g": null}, "h": 7}));
        let mut bytes = Vec::new();
        BinaryCodec.encode(&original, &mut bytes).unwrap();
        let fields = ["e".to_owned(), "h".to_owned(), "missing".to_owned()];
        let partial = BinaryCodec.decode_fields("i", &bytes, &fields).unwrap();
        assert_eq!(Value::Object(partial), json!({"e": "text", "h": 7}));
        let with_id = BinaryCodec
            .decode_fields("i", &bytes, &["_id".to_owned()])
            .unwrap();
        assert_eq!(Value::Object(with_id), json!({"_id": "i"}));
        for cut in 0..bytes.len() {
            assert!(
                BinaryCodec
                    .decode_fields("i", &bytes[..cut], &fields)
                    .is_err(),
                "cut {cut}"
            );
        }
    }

    /// One document reused across records whose nested objects and arrays
    /// change shape (grow, shrink, reorder, change type) decodes each
    /// exactly as a fresh decode does, field order included.
    #[test]
    fn decoding_into_a_reused_document_equals_a_fresh_decode() {
        let records = [
            json!({"a": {"x": 1, "y": [1, 2, 3]}, "b": "one", "c": [{"k": 1}]}),
            json!({"a": {"x": 2, "y": [4]}, "b": "two", "c": [{"k": 2}, {"k": 3, "j": []}]}),
            json!({"a": {"y": [], "x": {"deep": [null]}}, "b": 3, "c": []}),
            json!({"a": "text now", "b": {"n": 1}, "c": [[1], [2, [3]]]}),
            json!({"a": {"x": 1, "z": true}, "c": [{"k": "v"}]}),
            json!({"b": [], "a": {}}),
        ];
        let fields = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let mut reused = Document::new();
        for (i, record) in records.iter().enumerate() {
            let mut bytes = Vec::new();
            BinaryCodec
                .encode(&doc(record.clone()), &mut bytes)
                .unwrap();
            BinaryCodec
                .decode_fields_into("i", &bytes, &fields, &mut reused)
                .unwrap();
            let fresh = BinaryCodec.decode_fields("i", &bytes, &fields).unwrap();
            assert_eq!(reused, fresh, "record {i}");
            let order = |d: &Document| d.keys().cloned().collect::<Vec<_>>();
            assert_eq!(order(&reused), order(&fresh), "record {i}");
            if let (Some(Value::Object(a)), Some(Value::Object(b))) =
                (reused.get("a"), fresh.get("a"))
            {
                assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
            }
            for cut in 0..bytes.len() {
                let mut scratch = reused.clone();
                assert!(
                    BinaryCodec
                        .decode_fields_into("i", &bytes[..cut], &fields, &mut scratch)
                        .is_err(),
                    "record {i} cut {cut}"
                );
            }
        }
    }

    #[test]
    fn json_codec_round_trips() {
        let original = doc(json!({"_id": "q", "a": [1, 2.5], "b": {"c": null}}));
        let mut bytes = Vec::new();
        JsonCodec.encode(&original, &mut bytes).unwrap();
        assert_eq!(JsonCodec.decode("q", &bytes).unwrap(), original);
    }
}
