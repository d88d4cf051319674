//! JSON text straight to [`BinaryCodec`](super::BinaryCodec) bytes, without
//! building a document: the fast path of a JSON Lines import, where parsing
//! into a map (hashing every key, allocating every key and text) and then
//! encoding the map was most of the reading thread's work. [`pieces`] and
//! [`transcode_value`] do the same for a CSV import's typed cells.
//!
//! It takes only what it can encode exactly as `BinaryCodec::encode` would
//! encode the parsed document; anything else (a repeated key, an escaped
//! key, a non-text or unusable `_id`, deep nesting, a very large record,
//! broken JSON) is declined, and the caller parses the line the usual way,
//! which gives the usual result or the usual error.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::codec::{
    MAX_DOCUMENT_BYTES, TAG_ARRAY, TAG_FALSE, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_OBJECT, TAG_STRING,
    TAG_TRUE, TAG_UINT, put_str, put_varint,
};

/// Nesting the fast path takes; deeper records go the usual way (which
/// enforces the real limit with its own error).
const MAX_FAST_DEPTH: usize = 32;

/// Object keys the fast path checks for repeats by a linear search.
const MAX_FAST_KEYS: usize = 64;

/// The `_id` of a transcoded record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TranscodedId {
    /// The record had no `_id`: the caller gives it one.
    Missing,
    /// Its text `_id`, where in the input it lies.
    Given(std::ops::Range<usize>),
}

/// Appends the encoding of the JSON object in `json` (without its `_id`) to
/// `out` and says where its `_id` is; `None` (with `out` unchanged) when
/// the fast path declines. `max_id_bytes` bounds the `_id`'s length.
pub(crate) fn transcode_object(
    json: &[u8],
    out: &mut Vec<u8>,
    max_id_bytes: usize,
) -> Option<TranscodedId> {
    let start = out.len();
    let mut de = serde_json::Deserializer::from_slice(json);
    let mut id = None;
    let top = TopLevel {
        out: &mut *out,
        id: &mut id,
        max_id_bytes,
        base: json.as_ptr() as usize,
    };
    let done = de::Deserializer::deserialize_map(&mut de, top).and_then(|()| de.end());
    if done.is_err() || out.len() - start > MAX_DOCUMENT_BYTES {
        out.truncate(start);
        return None;
    }
    Some(id.map_or(TranscodedId::Missing, TranscodedId::Given))
}

/// Appends the encoding of one JSON value's text (as a field value) to
/// `out`: what `BinaryCodec` writes for the `Value` it parses to. False
/// (with `out` unchanged) when the fast path declines it, as
/// [`transcode_object`] does.
pub(crate) fn transcode_value(json: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    let mut de = serde_json::Deserializer::from_slice(json);
    let seed = Value {
        out: &mut *out,
        depth: 1,
    };
    if seed.deserialize(&mut de).and_then(|()| de.end()).is_err() {
        out.truncate(start);
        return false;
    }
    true
}

/// Pieces of a record for encoders whose values do not come from JSON text
/// (a CSV import's typed cells): each appends exactly what `BinaryCodec`
/// writes for the same field name or value.
pub(crate) mod pieces {
    use serde_json::Number;

    use crate::engine::storage::codec::{
        TAG_FALSE, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_STRING, TAG_TRUE, TAG_UINT, put_str,
        put_varint,
    };

    pub(crate) fn field_name(out: &mut Vec<u8>, name: &str) {
        put_str(out, name);
    }

    pub(crate) fn null(out: &mut Vec<u8>) {
        out.push(TAG_NULL);
    }

    pub(crate) fn boolean(out: &mut Vec<u8>, value: bool) {
        out.push(if value { TAG_TRUE } else { TAG_FALSE });
    }

    /// As `BinaryCodec` encodes a `Number`: as i64 if it fits, else u64, else f64.
    pub(crate) fn number(out: &mut Vec<u8>, n: &Number) {
        if let Some(i) = n.as_i64() {
            out.push(TAG_INT);
            put_varint(out, ((i << 1) ^ (i >> 63)) as u64);
        } else if let Some(u) = n.as_u64() {
            out.push(TAG_UINT);
            put_varint(out, u);
        } else {
            // A serde_json Number is an i64, a u64 or a finite f64.
            out.push(TAG_FLOAT);
            out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes());
        }
    }

    pub(crate) fn string(out: &mut Vec<u8>, text: &str) {
        out.push(TAG_STRING);
        put_str(out, text);
    }

    /// Starts a record whose fields are appended to `out` next: room for
    /// its field count, which [`end_document`] fills in. Returns where the
    /// record starts.
    pub(crate) fn start_document(out: &mut Vec<u8>) -> usize {
        out.push(0);
        out.len() - 1
    }

    /// Ends the record begun at `start` with `count` fields; returns its
    /// size in bytes. The count's room is one byte (enough for fewer than
    /// 128 fields); a larger count moves the fields up.
    pub(crate) fn end_document(out: &mut Vec<u8>, start: usize, count: u64) -> usize {
        if count < 0x80 {
            out[start] = count as u8;
        } else {
            let mut counted = Vec::with_capacity(10);
            put_varint(&mut counted, count);
            out.splice(start..=start, counted);
        }
        out.len() - start
    }
}

/// The fast path declines (the message is never shown).
fn decline<E: de::Error>() -> E {
    E::custom("declined")
}

struct TopLevel<'a> {
    out: &'a mut Vec<u8>,
    id: &'a mut Option<std::ops::Range<usize>>,
    max_id_bytes: usize,
    /// Where the input starts, to turn the borrowed `_id` into a range.
    base: usize,
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = Vec::with_capacity(128);
        let mut keys: Vec<&'de str> = Vec::new();
        let mut count = 0u64;
        while let Some(key) = map.next_key::<&'de str>()? {
            if keys.contains(&key) || keys.len() >= MAX_FAST_KEYS {
                return Err(decline());
            }
            keys.push(key);
            if key == "_id" {
                let id: &'de str = map.next_value()?;
                if id.is_empty() || id.len() > self.max_id_bytes {
                    return Err(decline());
                }
                let at = id.as_ptr() as usize - self.base;
                *self.id = Some(at..at + id.len());
                continue;
            }
            put_str(&mut fields, key);
            map.next_value_seed(Value {
                out: &mut fields,
                depth: 1,
            })?;
            count += 1;
        }
        put_varint(self.out, count);
        self.out.extend_from_slice(&fields);
        Ok(())
    }
}

/// One value, encoded into `out`; `depth` as `BinaryCodec` counts it.
struct Value<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.push(TAG_NULL);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.out.push(if v { TAG_TRUE } else { TAG_FALSE });
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.out.push(TAG_INT);
        put_varint(self.out, ((v << 1) ^ (v >> 63)) as u64);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        // As serde_json's Number: an integer that fits i64 is one.
        match i64::try_from(v) {
            Ok(signed) => self.visit_i64(signed),
            Err(_) => {
                self.out.push(TAG_UINT);
                put_varint(self.out, v);
                Ok(())
            }
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if !v.is_finite() {
            return Err(decline());
        }
        self.out.push(TAG_FLOAT);
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.out.push(TAG_STRING);
        put_str(self.out, v);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth >= MAX_FAST_DEPTH {
            return Err(decline());
        }
        let mut items = Vec::new();
        let mut count = 0u64;
        while seq
            .next_element_seed(Value {
                out: &mut items,
                depth: self.depth + 1,
            })?
            .is_some()
        {
            count += 1;
        }
        put_nested(self.out, TAG_ARRAY, count, &items);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth >= MAX_FAST_DEPTH {
            return Err(decline());
        }
        let mut fields = Vec::new();
        let mut keys: Vec<&'de str> = Vec::new();
        while let Some(key) = map.next_key::<&'de str>()? {
            if keys.contains(&key) || keys.len() >= MAX_FAST_KEYS {
                return Err(decline());
            }
            keys.push(key);
            put_str(&mut fields, key);
            map.next_value_seed(Value {
                out: &mut fields,
                depth: self.depth + 1,
            })?;
        }
        put_nested(self.out, TAG_OBJECT, keys.len() as u64, &fields);
        Ok(())
    }
}

/// An array or object: tag, the byte length of what follows, the count,
/// then the encoded items.
fn put_nested(out: &mut Vec<u8>, tag: u8, count: u64, items: &[u8]) {
    let mut counted = Vec::with_capacity(10);
    put_varint(&mut counted, count);
    out.push(tag);
    put_varint(out, (counted.len() + items.len()) as u64);
    out.extend_from_slice(&counted);
    out.extend_from_slice(items);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Document;
    use crate::engine::storage::{BinaryCodec, RecordCodec};

    /// What the usual path stores for a line: parse, take `_id`, encode.
    fn usual(json: &str) -> Option<(Option<String>, Vec<u8>)> {
        let doc: Document = serde_json::from_str(json).ok()?;
        let id = match doc.get("_id") {
            None => None,
            Some(serde_json::Value::String(id)) => Some(id.clone()),
            Some(_) => return None,
        };
        let mut out = Vec::new();
        BinaryCodec.encode(&doc, &mut out).ok()?;
        Some((id, out))
    }

    fn fast(json: &str) -> Option<(Option<String>, Vec<u8>)> {
        let mut out = vec![0xAA];
        let id = transcode_object(json.as_bytes(), &mut out, 1024)?;
        let id = match id {
            TranscodedId::Missing => None,
            TranscodedId::Given(range) => Some(json[range].to_owned()),
        };
        assert_eq!(out[0], 0xAA, "the fast path appends");
        Some((id, out.split_off(1)))
    }

    #[test]
    fn the_fast_path_encodes_exactly_as_parsing_and_encoding_do() {
        for json in [
            r#"{}"#,
            r#"{"a": 1, "b": -5, "c": 18446744073709551615, "d": 9223372036854775807}"#,
            r#"{"f": 1.5, "g": -0.0, "h": 1e300, "i": 0.1, "j": -0}"#,
            r#"{"s": "héllo \"q\" \n \u00e9 🎉", "n": null, "t": true, "x": false}"#,
            r#"{"_id": "abc", "z": [1, "two", [3.0], {"k": null}], "o": {"b": {"c": []}, "a": {}}}"#,
            r#"  {"name":"user-0000001","tags":["t1","x"],"_id":"later"}  "#,
        ] {
            assert_eq!(fast(json), usual(json), "{json}");
            assert!(fast(json).is_some(), "{json}");
        }
    }

    #[test]
    fn the_fast_path_declines_what_it_cannot_take_exactly() {
        let deep = format!("{{\"d\": {}1{}}}", "[".repeat(40), "]".repeat(40));
        for json in [
            r#"{"a": 1, "a": 2}"#,
            r#"{"_id": 5}"#,
            r#"{"_id": ""}"#,
            r#"{"_id": "a", "_id": "b"}"#,
            r#"{"k\u0065y": 1}"#,
            r#"{"a": 1"#,
            r#"{"a": 1} x"#,
            r#"[1, 2]"#,
            r#"{"a": {"b": 1, "b": 2}}"#,
            deep.as_str(),
        ] {
            let mut out = vec![7];
            assert_eq!(
                transcode_object(json.as_bytes(), &mut out, 1024),
                None,
                "{json}"
            );
            assert_eq!(out, [7], "a declined line leaves nothing: {json}");
        }
        let long_id = format!("{{\"_id\": \"{}\"}}", "i".repeat(20));
        assert_eq!(
            transcode_object(long_id.as_bytes(), &mut Vec::new(), 10),
            None
        );
    }
}
