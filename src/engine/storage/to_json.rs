//! [`BinaryCodec`](super::BinaryCodec) bytes straight to compact JSON text,
//! without building a document: the fast path of a JSON or JSON Lines
//! export, where decoding each record into a map (allocating every key and
//! text) and then serialising the map was most of the work.
//! [`transcode`](super::transcode) is the other direction.
//!
//! The text is byte for byte what serde_json writes for the document
//! `BinaryCodec::decode` returns, `_id` first: the same string escapes, the
//! same integer and float spellings (serde_json's own formatter writes the
//! numbers). A record it cannot turn into exactly that text (corrupt bytes,
//! a repeated key, an `_id` among the stored fields, nesting past the
//! limit) is declined, and the caller decodes it the usual way, which gives
//! the usual text or the usual error.

use std::collections::HashSet;

use serde_json::ser::{CompactFormatter, Formatter};

use super::codec::{
    MAX_DEPTH, Reader, TAG_ARRAY, TAG_FALSE, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_OBJECT, TAG_STRING,
    TAG_TRUE, TAG_UINT,
};

/// Object keys checked for repeats by a linear search; larger objects use a set.
const LINEAR_KEY_CHECK: u64 = 32;

/// Appends the compact JSON text of the record `id` stored as `data` (its
/// `BinaryCodec` encoding) to `out`, `_id` first; false (with `out`
/// unchanged) when the fast path declines it.
pub(crate) fn record_to_json(id: &str, data: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    let mut writer = JsonWriter {
        reader: Reader {
            bytes: data,
            pos: 0,
        },
        out: &mut *out,
        keys: KeyStack::default(),
    };
    if writer.record(id).is_none() {
        out.truncate(start);
        return false;
    }
    true
}

/// Appends the CSV cells of the record `id` stored as `data` (its
/// `BinaryCodec` encoding) for the columns `fields` to `cells`, one after
/// another, pushing where each ends to `ends`: what a CSV export writes for
/// the decoded document (text as it is, null and missing fields empty,
/// anything else as its compact JSON text). False (with `cells` and `ends`
/// unchanged) when the fast path declines: the record's fields are not in
/// the columns' order, or are not all columns, or it declines the record as
/// [`record_to_json`] does.
pub(crate) fn record_cells(
    id: &str,
    data: &[u8],
    fields: &[String],
    cells: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> bool {
    let (start, ends_start) = (cells.len(), ends.len());
    let mut writer = JsonWriter {
        reader: Reader {
            bytes: data,
            pos: 0,
        },
        out: &mut *cells,
        keys: KeyStack::default(),
    };
    if writer.cells(id, fields, ends).is_none() {
        cells.truncate(start);
        ends.truncate(ends_start);
        return false;
    }
    true
}

/// Reads encoded values and writes their JSON text. Every method returns
/// `None` to decline (bad bytes, or text serde_json would write otherwise).
struct JsonWriter<'a, 'o> {
    reader: Reader<'a>,
    out: &'o mut Vec<u8>,
    /// The keys of the objects being written, innermost last, to refuse a
    /// repeated key (decoding keeps only one of them).
    keys: KeyStack<'a>,
}

impl<'a> JsonWriter<'a, '_> {
    fn record(&mut self, id: &str) -> Option<()> {
        self.out.extend_from_slice(b"{\"_id\":");
        write_str(self.out, id);
        let count = self.varint()?;
        // Top-level keys are checked against `_id` as well as each other.
        self.keys.push(b"_id");
        let mut wide = KeyStack::set_for_wide(count, &[b"_id"]);
        for _ in 0..count {
            self.out.push(b',');
            self.key(0, &mut wide)?;
            self.value(1)?;
        }
        self.out.push(b'}');
        (self.reader.pos == self.reader.bytes.len()).then_some(())
    }

    /// Writes the next key and its colon; `level_start` is where this
    /// object's keys begin in `self.keys`, `wide` the set of them instead
    /// for an object with many keys.
    fn key(&mut self, level_start: usize, wide: &mut Option<HashSet<&'a [u8]>>) -> Option<()> {
        let key = self.fresh_key(level_start, wide)?;
        write_str(self.out, key);
        self.out.push(b':');
        Some(())
    }

    /// Reads the next key: `None` when it is not UTF-8 or repeats one of
    /// its object's (see [`key`](Self::key)).
    fn fresh_key(
        &mut self,
        level_start: usize,
        wide: &mut Option<HashSet<&'a [u8]>>,
    ) -> Option<&'a str> {
        let len = self.length()?;
        let key = self.take(len)?;
        let text = std::str::from_utf8(key).ok()?;
        let fresh = match wide {
            Some(set) => set.insert(key),
            None => {
                let fresh = !self.keys.contains_since(level_start, key);
                self.keys.push(key);
                fresh
            }
        };
        fresh.then_some(text)
    }

    /// The cells of a record for the CSV columns `fields`; see [`record_cells`].
    fn cells(&mut self, id: &str, fields: &[String], ends: &mut Vec<usize>) -> Option<()> {
        if !fields.iter().any(|field| field == "_id") {
            return None;
        }
        let mut unread = self.varint()?;
        self.keys.push(b"_id");
        let mut wide = KeyStack::set_for_wide(unread, &[b"_id"]);
        // The record's next field, read but not yet placed in a column.
        let mut next: Option<&str> = None;
        for field in fields {
            if field == "_id" {
                self.out.extend_from_slice(id.as_bytes());
            } else {
                if next.is_none() && unread > 0 {
                    next = Some(self.fresh_key(0, &mut wide)?);
                    unread -= 1;
                }
                if next == Some(field.as_str()) {
                    next = None;
                    self.cell()?;
                }
            }
            ends.push(self.out.len());
        }
        // A field out of the columns' order (or in none) needs the document.
        (next.is_none() && unread == 0 && self.reader.pos == self.reader.bytes.len()).then_some(())
    }

    /// One top-level value as a CSV cell: text as it is, null as nothing,
    /// anything else as its JSON text.
    fn cell(&mut self) -> Option<()> {
        match *self.reader.bytes.get(self.reader.pos)? {
            TAG_STRING => {
                self.reader.pos += 1;
                let len = self.length()?;
                let text = self.take(len)?;
                std::str::from_utf8(text).ok()?;
                self.out.extend_from_slice(text);
            }
            TAG_NULL => self.reader.pos += 1,
            _ => self.value(1)?,
        }
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match self.byte()? {
            TAG_NULL => self.out.extend_from_slice(b"null"),
            TAG_FALSE => self.out.extend_from_slice(b"false"),
            TAG_TRUE => self.out.extend_from_slice(b"true"),
            TAG_INT => {
                let u = self.varint()?;
                let i = ((u >> 1) as i64) ^ -((u & 1) as i64);
                CompactFormatter.write_i64(self.out, i).ok()?;
            }
            TAG_UINT => {
                let u = self.varint()?;
                CompactFormatter.write_u64(self.out, u).ok()?;
            }
            TAG_FLOAT => {
                let raw: [u8; 8] = self.take(8)?.try_into().ok()?;
                let f = f64::from_le_bytes(raw);
                // Decoding refuses a non-finite float.
                if !f.is_finite() {
                    return None;
                }
                CompactFormatter.write_f64(self.out, f).ok()?;
            }
            TAG_STRING => {
                let len = self.length()?;
                let text = std::str::from_utf8(self.take(len)?).ok()?;
                write_str(self.out, text);
            }
            tag @ (TAG_ARRAY | TAG_OBJECT) => {
                if depth > MAX_DEPTH {
                    return None;
                }
                let len = self.length()?;
                let end = self.reader.pos + len;
                let count = self.varint()?;
                if tag == TAG_ARRAY {
                    self.out.push(b'[');
                    for i in 0..count {
                        if i > 0 {
                            self.out.push(b',');
                        }
                        self.value(depth + 1)?;
                    }
                    self.out.push(b']');
                } else {
                    let level_start = self.keys.len();
                    let mut wide = KeyStack::set_for_wide(count, &[]);
                    self.out.push(b'{');
                    for i in 0..count {
                        if i > 0 {
                            self.out.push(b',');
                        }
                        self.key(level_start, &mut wide)?;
                        self.value(depth + 1)?;
                    }
                    self.out.push(b'}');
                    self.keys.truncate(level_start);
                }
                if self.reader.pos != end {
                    return None;
                }
            }
            _ => return None,
        }
        Some(())
    }

    // The codec's reader, declining (`None`) where it would fail.
    fn byte(&mut self) -> Option<u8> {
        self.reader.byte().ok()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        self.reader.take(n).ok()
    }

    fn varint(&mut self) -> Option<u64> {
        self.reader.varint().ok()
    }

    fn length(&mut self) -> Option<usize> {
        self.reader.length().ok()
    }
}

/// The keys of the objects being written, innermost last: a stack that
/// lives inline up to [`KeyStack::INLINE`] keys, so writing a record of a
/// usual size allocates nothing for its keys.
#[derive(Default)]
pub(super) struct KeyStack<'a> {
    inline: [&'a [u8]; KeyStack::INLINE],
    len: usize,
    /// Keys past the inline ones.
    spilled: Vec<&'a [u8]>,
}

impl<'a> KeyStack<'a> {
    const INLINE: usize = 24;

    /// A set to check an object's keys for repeats (holding `first`
    /// already) when it has too many keys for a linear search of the stack.
    pub(super) fn set_for_wide(count: u64, first: &[&'a [u8]]) -> Option<HashSet<&'a [u8]>> {
        (count > LINEAR_KEY_CHECK).then(|| first.iter().copied().collect())
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, key: &'a [u8]) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = key,
            None => self.spilled.push(key),
        }
        self.len += 1;
    }

    pub(super) fn truncate(&mut self, len: usize) {
        self.spilled.truncate(len.saturating_sub(Self::INLINE));
        self.len = self.len.min(len);
    }

    /// Whether `key` is among the keys pushed since the stack was `start` long.
    pub(super) fn contains_since(&self, start: usize, key: &[u8]) -> bool {
        let inline = &self.inline[start.min(Self::INLINE)..self.len.min(Self::INLINE)];
        let spilled = &self.spilled[start.saturating_sub(Self::INLINE)..];
        // Keys of one object mostly differ in length or first byte: look
        // at those before comparing whole keys.
        let same = |other: &&[u8]| {
            other.len() == key.len() && other.first() == key.first() && *other == key
        };
        inline.iter().any(same) || spilled.iter().any(same)
    }
}

/// serde_json's escape for each ASCII byte: 0 none, `u` as `\u00XX`, else
/// the letter after the backslash.
const ESCAPE: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of eight bytes is a control character, `"` or `\\` (the
/// bytes serde_json escapes), by the classic "has a byte less than n" bit
/// trick: its answer to whether any byte matches is exact.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    (below_space | quote | backslash) & HIGH != 0
}

/// Writes `text` as a JSON string, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut plain_from = 0;
    let mut i = 0;
    // Eight bytes at a time past text that needs no escape (most text),
    // then the rest a byte at a time.
    while let Some(word) = bytes.get(i..i + 8) {
        if let Ok(word) = <[u8; 8]>::try_from(word)
            && !needs_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        for at in i..i + 8 {
            escape_at(out, bytes, at, &mut plain_from);
        }
        i += 8;
    }
    for at in i..bytes.len() {
        escape_at(out, bytes, at, &mut plain_from);
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

/// Writes the text before `bytes[at]` and its escape when it needs one
/// (`plain_from`: where the text not yet written starts).
#[inline]
fn escape_at(out: &mut Vec<u8>, bytes: &[u8], at: usize, plain_from: &mut usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = bytes[at];
    let escape = if b < 0x80 { ESCAPE[b as usize] } else { 0 };
    if escape == 0 {
        return;
    }
    out.extend_from_slice(&bytes[*plain_from..at]);
    *plain_from = at + 1;
    match escape {
        b'u' => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(b >> 4) as usize],
            HEX[(b & 0xf) as usize],
        ]),
        letter => out.extend_from_slice(&[b'\\', letter]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::engine::Document;
    use crate::engine::storage::{BinaryCodec, RecordCodec};

    /// What the document path writes: decode, then serde_json.
    fn by_decoding(id: &str, data: &[u8]) -> Vec<u8> {
        let doc = BinaryCodec.decode(id, data).unwrap_or_default();
        serde_json::to_vec(&doc).unwrap_or_default()
    }

    fn encoded(value: Value) -> Vec<u8> {
        let Value::Object(doc) = value else {
            return Vec::new();
        };
        let mut bytes = Vec::new();
        BinaryCodec
            .encode(&doc, &mut bytes)
            .map(|()| bytes)
            .unwrap_or_default()
    }

    #[test]
    fn the_text_is_byte_for_byte_what_the_document_path_writes() {
        let every_ascii: String = (0u8..0x80).map(char::from).collect();
        let mut ascii_key = serde_json::Map::new();
        ascii_key.insert(every_ascii.clone(), json!(every_ascii));
        let records = [
            json!({}),
            json!({"a": 1}),
            json!({"name": "user-0000001", "age": 33, "score": 12.5, "active": true,
                   "tags": ["t1", "x"], "none": null, "off": false}),
            json!({"nested": {"a": [1, [2, [3, {"b": {}}]], []], "c": {"d": {"e": null}}}}),
            json!({"unicode": "héllo wörld 🎉 日本語", "ключ": "значение", "🎉": "🎉"}),
            json!({"escapes": "quote \" backslash \\ slash / \n\r\t\u{8}\u{c}",
                   "controls": "\u{0}\u{1}\u{1f}\u{7f}", "key \"with\" \n escapes": 1}),
            Value::Object(ascii_key),
            json!({"ints": [0, 1, -1, 127, 128, -128, i64::MAX, i64::MIN, u64::MAX,
                            i64::MAX as u64 + 1, 1_000_000_000_000i64]}),
            json!({"floats": [1e300, -1e300, -0.0, 0.0, 0.1, 1.5, -2.25, 1e-7, 5e-324,
                              f64::MAX, f64::MIN_POSITIVE, 123456789.0, 1e16, 1e15, 3.0,
                              2.0f64.powi(63), 0.30000000000000004]}),
            json!({"integral_floats": [1.0, -1.0, 100.0, 1e21, 1e22]}),
            json!({"mixed": [null, true, false, "s", 1, 1.0, {"k": [{}]}]}),
            json!({"": "", "empty_key": {"": []}}),
        ];
        for record in records {
            let data = encoded(record.clone());
            let mut out = b"prefix".to_vec();
            assert!(record_to_json("the \"id\" é", &data, &mut out), "{record}");
            let expected = [b"prefix".as_slice(), &by_decoding("the \"id\" é", &data)].concat();
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&expected),
                "{record}"
            );
        }
    }

    #[test]
    fn every_string_escape_matches_serde_json() {
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é\u{2028}\u{2029}\u{feff}𝄞");
        let mut out = Vec::new();
        write_str(&mut out, &text);
        assert_eq!(out, serde_json::to_vec(&text).unwrap_or_default());
        // Escapes at every place within and across eight-byte words.
        for plain in 0..20 {
            for special in ["\"", "\\", "\n", "\u{0}", "\u{1f}", "é", "🎉"] {
                let run = "abcdefghijklmnopqrst";
                let text = format!("{}{special}{}{special}", &run[..plain], &run[plain..]);
                let mut out = Vec::new();
                write_str(&mut out, &text);
                assert_eq!(
                    out,
                    serde_json::to_vec(&text).unwrap_or_default(),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn the_eight_byte_escape_test_finds_exactly_the_escaped_bytes() {
        for filler in [b'a', b' ', b'!', 0x7f, 0x80, 0xff] {
            for b in 0..=u8::MAX {
                for at in 0..8 {
                    let mut word = [filler; 8];
                    word[at] = b;
                    let expected = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(needs_escape(u64::from_le_bytes(word)), expected, "{word:?}");
                }
            }
        }
    }

    #[test]
    fn a_repeat_is_found_among_keys_past_the_inline_stack() {
        // 21 top-level keys with `_id`, then a nested object of 10: the
        // nested keys live past the stack's 24 inline places.
        let mut doc: Document = (0..20).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let nested: Document = (0..10).map(|i| (format!("n{i:02}"), json!(i))).collect();
        doc.insert("k20".into(), Value::Object(nested));
        let data = encoded(Value::Object(doc));
        let mut out = Vec::new();
        assert!(record_to_json("x", &data, &mut out));
        assert_eq!(out, by_decoding("x", &data));

        // The nested object's last key made a repeat of its third.
        let at = data.windows(3).rposition(|w| w == b"n09").unwrap_or(0);
        let mut repeated = data.clone();
        repeated[at + 2] = b'2';
        let mut out = Vec::new();
        assert!(!record_to_json("x", &repeated, &mut out));
        assert!(out.is_empty());
        // A nested key may repeat a top-level one: another object.
        let mut shadowing = data.clone();
        shadowing[at..at + 3].copy_from_slice(b"k00");
        let mut out = Vec::new();
        assert!(record_to_json("x", &shadowing, &mut out));
        assert_eq!(out, by_decoding("x", &shadowing));
    }

    #[test]
    fn many_keys_are_written_and_a_repeat_among_them_declined() {
        let doc: Document = (0..100).map(|i| (format!("k{i}"), json!(i))).collect();
        let data = encoded(Value::Object(doc));
        let mut out = Vec::new();
        assert!(record_to_json("x", &data, &mut out));
        assert_eq!(out, by_decoding("x", &data));

        // The same key twice, late in a large object: decoding keeps one.
        let mut repeated = data.clone();
        repeated[0] = 101;
        repeated.extend_from_slice(&[2, b'k', b'7', TAG_NULL]);
        let mut out = b"kept".to_vec();
        assert!(!record_to_json("x", &repeated, &mut out));
        assert_eq!(out, b"kept");
    }

    #[test]
    fn records_decoding_would_change_or_refuse_are_declined() {
        let float = |f: f64| [&[1, 1, b'f', TAG_FLOAT][..], &f.to_le_bytes()[..]].concat();
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH {
            deep = json!([deep]);
        }
        let too_deep = {
            // One level past what encoding allows, built by hand.
            let inner = encoded(json!({ "d": deep }));
            let mut value = vec![TAG_ARRAY];
            let body = [&[1u8][..], &inner[3..]].concat();
            crate::engine::storage::codec::put_varint(&mut value, body.len() as u64);
            value.extend_from_slice(&body);
            [&[1, 1, b'd'][..], &value].concat()
        };
        let declined: [(&str, Vec<u8>); 9] = [
            ("empty", vec![]),
            ("truncated", encoded(json!({"a": "text"}))[..5].to_vec()),
            (
                "trailing bytes",
                [encoded(json!({"a": 1})), vec![0]].concat(),
            ),
            ("unknown tag", vec![1, 1, b'a', 9]),
            ("stored _id", vec![1, 3, b'_', b'i', b'd', TAG_NULL]),
            (
                "repeated key",
                vec![2, 1, b'a', TAG_NULL, 1, b'a', TAG_TRUE],
            ),
            ("invalid utf-8", vec![1, 1, b'a', TAG_STRING, 1, 0xff]),
            ("infinite float", float(f64::INFINITY)),
            ("too deep", too_deep),
        ];
        for (what, data) in declined {
            let mut out = b"kept".to_vec();
            assert!(!record_to_json("x", &data, &mut out), "{what}");
            assert_eq!(out, b"kept", "{what}");
        }
        let mut out = Vec::new();
        let at_the_limit = encoded(json!({ "d": deep }));
        assert!(record_to_json("x", &at_the_limit, &mut out));
        assert_eq!(out, by_decoding("x", &at_the_limit));
    }

    #[test]
    fn csv_cells_follow_the_columns_and_decline_fields_out_of_their_order() {
        let data = encoded(json!({"s": "a,\"b\"", "n": null, "f": 1.0, "o": {"k": [1, "é"]}}));
        let columns = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let (mut cells, mut ends) = (b"kept".to_vec(), vec![4]);
        let all = columns(&["_id", "missing", "s", "n", "f", "o", "after"]);
        assert!(record_cells("i\"d", &data, &all, &mut cells, &mut ends));
        let texts: Vec<&[u8]> = ends.windows(2).map(|w| &cells[w[0]..w[1]]).collect();
        let expected: [&[u8]; 7] = [
            b"i\"d",
            b"",
            b"a,\"b\"",
            b"",
            b"1.0",
            "{\"k\":[1,\"é\"]}".as_bytes(),
            b"",
        ];
        assert_eq!(texts, expected);
        for declined in [
            columns(&["_id", "n", "s", "f", "o"]),
            columns(&["_id", "s", "n", "f"]),
            columns(&["s", "n", "f", "o"]),
        ] {
            let (mut cells, mut ends) = (b"kept".to_vec(), vec![4]);
            assert!(
                !record_cells("x", &data, &declined, &mut cells, &mut ends),
                "{declined:?}"
            );
            assert_eq!(
                (cells.as_slice(), ends.as_slice()),
                (&b"kept"[..], &[4][..])
            );
        }
    }

    #[test]
    fn a_nested_length_that_disagrees_with_its_contents_is_declined() {
        let mut data = encoded(json!({"a": [1, 2]}));
        // tag at 3, byte length at 4: claim one more byte than the array has.
        data[4] += 1;
        data.push(TAG_NULL);
        assert!(BinaryCodec.decode("x", &data).is_err());
        assert!(!record_to_json("x", &data, &mut Vec::new()));
    }
}
