//! Big values folded for display: a record may hold 16 MiB, and no view
//! may lay out or even copy that much per frame.
//!
//! A value is *big* when it is a string over [`FOLD_STRING_BYTES`] or an
//! array or object of over [`FOLD_ENTRIES`] entries. Views show a big value
//! folded: a prefix, its length ("8,388,608 bytes", "1,000,000 items") and
//! "show all", which opens the value viewer. Every function here costs what
//! it shows, not what the value holds: prefixes stop serializing once they
//! have enough, lengths are `len()`.

use std::io::Write;

use serde_json::Value;

use crate::Document;
use crate::studio::format::{format_bytes, format_count};

/// Strings longer than this (in bytes) are folded.
pub const FOLD_STRING_BYTES: usize = 2_000;
/// Arrays and objects with more entries than this are folded.
pub const FOLD_ENTRIES: usize = 100;
/// How many characters of a folded value are shown.
pub const PREFIX_CHARS: usize = 60;
/// The most text a folded record is written with; what comes after is
/// folded too, so the text any view lays out stays this small.
pub const FOLDED_TEXT_BUDGET: usize = 64 * 1024;
/// A record whose compact JSON is longer than this is folded even when no
/// single value of it is big (many medium values).
pub const BIG_RECORD_JSON_BYTES: usize = 256 * 1024;

/// Whether `value` is shown folded.
pub fn is_big(value: &Value) -> bool {
    match value {
        Value::String(s) => s.len() > FOLD_STRING_BYTES,
        Value::Array(items) => items.len() > FOLD_ENTRIES,
        Value::Object(map) => map.len() > FOLD_ENTRIES,
        _ => false,
    }
}

/// A value's length in words: "8,388,608 bytes", "1,000,000 items",
/// "10,000 fields"; `None` for numbers, booleans and null.
pub fn length_words(value: &Value) -> Option<String> {
    let (n, one, many) = match value {
        Value::String(s) => (s.len(), "byte", "bytes"),
        Value::Array(items) => (items.len(), "item", "items"),
        Value::Object(map) => (map.len(), "field", "fields"),
        _ => return None,
    };
    Some(format!(
        "{} {}",
        format_count(n),
        if n == 1 { one } else { many }
    ))
}

/// A short length for a grid cell: "8.4 MB", "1,000,000 items".
pub fn short_length(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(format_bytes(s.len() as u64)),
        other => length_words(other),
    }
}

/// The first `max_chars` characters of `text`, and whether it was cut.
pub fn text_prefix(text: &str, max_chars: usize) -> (&str, bool) {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => (&text[..cut], true),
        None => (text, false),
    }
}

/// Compact JSON of `value`, at most `max_bytes` of it (cut on a character
/// boundary), and whether it was cut. Serializing stops once it has
/// enough, so a 16 MiB value costs no more than a small one.
pub fn json_prefix(value: &Value, max_bytes: usize) -> (String, bool) {
    let mut out = Capped {
        bytes: Vec::with_capacity(max_bytes.min(4096) + 8),
        cap: max_bytes,
        cut: false,
    };
    let _ = serde_json::to_writer(&mut out, value);
    let cut = out.cut;
    let mut bytes = out.bytes;
    bytes.truncate(max_bytes);
    // Back to the last whole character.
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        }
    };
    (text, cut)
}

/// A writer that takes `cap` bytes, then fails, which stops serde_json.
struct Capped {
    bytes: Vec<u8>,
    cap: usize,
    cut: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.cap.saturating_sub(self.bytes.len());
        if buf.len() > room {
            self.bytes.extend_from_slice(&buf[..room]);
            self.cut = true;
            return Err(std::io::Error::other("enough"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A value folded to one line: `"prefix…" <8,388,608 bytes>` for a
/// string, `[0,1,2,…] <1,000,000 items>` for an array; a value that is
/// not big is its compact JSON cut at `max_chars`.
pub fn folded_line(value: &Value, max_chars: usize) -> String {
    let (mut text, cut) = match value {
        Value::String(s) => {
            let (prefix, cut) = text_prefix(s, max_chars);
            let mut text = serde_json::to_string(prefix).unwrap_or_default();
            if cut {
                text.pop();
            }
            (text, cut)
        }
        other => {
            let (text, cut) = json_prefix(other, max_chars * 4);
            let (shown, more) = text_prefix(&text, max_chars);
            (shown.to_owned(), cut || more)
        }
    };
    if cut {
        text.push('…');
        match value {
            Value::String(_) => text.push('"'),
            Value::Array(_) => text.push(']'),
            Value::Object(_) => text.push('}'),
            _ => {}
        }
    }
    if is_big(value)
        && let Some(length) = length_words(value)
    {
        text.push_str(&format!(" <{length}>"));
    }
    text
}

/// One step of a path into a record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    Field(String),
    Index(usize),
}

/// Where a value is inside a record: field names and array positions
/// (empty: the whole record).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ValuePath(pub Vec<PathStep>);

impl ValuePath {
    pub fn field(name: &str) -> ValuePath {
        ValuePath(vec![PathStep::Field(name.to_owned())])
    }

    pub fn child(&self, step: PathStep) -> ValuePath {
        let mut steps = self.0.clone();
        steps.push(step);
        ValuePath(steps)
    }

    /// `self` followed by `rest`.
    pub fn join(&self, rest: &ValuePath) -> ValuePath {
        let mut steps = self.0.clone();
        steps.extend(rest.0.iter().cloned());
        ValuePath(steps)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The dotted form the query language reads (`rows.5.label`).
    pub fn dotted(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|step| match step {
                PathStep::Field(name) => name.clone(),
                PathStep::Index(i) => i.to_string(),
            })
            .collect();
        parts.join(".")
    }

    /// The value at this path inside `value`.
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(value, step_into)
    }

    /// The value at this path of a record (`None` for the root: it is not a `Value`).
    pub fn get_in<'a>(&self, doc: &'a Document) -> Option<&'a Value> {
        let (first, rest) = self.0.split_first()?;
        let PathStep::Field(name) = first else {
            return None;
        };
        rest.iter().try_fold(doc.get(name)?, step_into)
    }

    /// Puts `new` at this path of a record; false when the path is gone.
    pub fn set_in(&self, doc: &mut Document, new: Value) -> bool {
        let Some((PathStep::Field(name), rest)) = self.0.split_first() else {
            return false;
        };
        let Some(mut at) = doc.get_mut(name) else {
            return false;
        };
        for step in rest {
            let next = match (step, at) {
                (PathStep::Field(name), Value::Object(map)) => map.get_mut(name),
                (PathStep::Index(i), Value::Array(items)) => items.get_mut(*i),
                _ => None,
            };
            let Some(next) = next else {
                return false;
            };
            at = next;
        }
        *at = new;
        true
    }
}

fn step_into<'a>(value: &'a Value, step: &PathStep) -> Option<&'a Value> {
    match (step, value) {
        (PathStep::Field(name), Value::Object(map)) => map.get(name),
        (PathStep::Index(i), Value::Array(items)) => items.get(*i),
        _ => None,
    }
}

/// A value a folded text does not show in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    pub path: ValuePath,
    /// "8,388,608 bytes", or "37 more fields" for the rest of a container
    /// the text stopped in.
    pub length: String,
}

/// A record's pretty JSON with its big values folded, and what was folded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoldedText {
    pub text: String,
    pub folds: Vec<Fold>,
}

impl FoldedText {
    pub fn lines(&self) -> usize {
        self.text.lines().count().max(1)
    }
}

/// Whether a record is shown folded: it holds a big value, or so many
/// medium ones that its text would be long.
pub fn record_needs_folding(doc: &Document) -> bool {
    fn holds_big(value: &Value) -> bool {
        is_big(value)
            || match value {
                Value::Array(items) => items.iter().any(holds_big),
                Value::Object(map) => map.values().any(holds_big),
                _ => false,
            }
    }
    doc.len() > FOLD_ENTRIES
        || doc.values().any(holds_big)
        || record_json_longer_than(doc, BIG_RECORD_JSON_BYTES)
}

fn record_json_longer_than(doc: &Document, bytes: usize) -> bool {
    let mut out = Capped {
        bytes: Vec::new(),
        cap: bytes,
        cut: false,
    };
    let _ = serde_json::to_writer(&mut out, doc);
    out.cut
}

/// The record as pretty JSON (two-space indents, as the record editor
/// writes it) with each big value folded to one line and, past
/// [`FOLDED_TEXT_BUDGET`], the rest of each open container folded.
pub fn fold_record(doc: &Document) -> FoldedText {
    let mut writer = FoldWriter::default();
    writer.object(doc.iter(), doc.len(), &ValuePath::default(), 0);
    FoldedText {
        text: writer.out,
        folds: writer.folds,
    }
}

#[derive(Default)]
struct FoldWriter {
    out: String,
    folds: Vec<Fold>,
}

impl FoldWriter {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn over_budget(&self) -> bool {
        self.out.len() > FOLDED_TEXT_BUDGET
    }

    fn value(&mut self, value: &Value, path: &ValuePath, depth: usize) {
        if is_big(value) {
            self.out.push_str(&folded_line(value, PREFIX_CHARS));
            self.folds.push(Fold {
                path: path.clone(),
                length: length_words(value).unwrap_or_default(),
            });
            return;
        }
        match value {
            Value::Object(map) => self.object(map.iter(), map.len(), path, depth),
            Value::Array(items) => {
                if items.is_empty() {
                    self.out.push_str("[]");
                    return;
                }
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if self.rest_folded(items.len() - i, "items", path, depth) {
                        break;
                    }
                    self.out.push('\n');
                    self.indent(depth + 1);
                    self.value(item, &path.child(PathStep::Index(i)), depth + 1);
                    if i + 1 < items.len() {
                        self.out.push(',');
                    }
                }
                self.out.push('\n');
                self.indent(depth);
                self.out.push(']');
            }
            scalar => self
                .out
                .push_str(&serde_json::to_string(scalar).unwrap_or_default()),
        }
    }

    fn object<'a>(
        &mut self,
        entries: impl Iterator<Item = (&'a String, &'a Value)>,
        len: usize,
        path: &ValuePath,
        depth: usize,
    ) {
        if len == 0 {
            self.out.push_str("{}");
            return;
        }
        self.out.push('{');
        for (i, (key, child)) in entries.enumerate() {
            if self.rest_folded(len - i, "fields", path, depth) {
                break;
            }
            self.out.push('\n');
            self.indent(depth + 1);
            self.out
                .push_str(&serde_json::to_string(key).unwrap_or_default());
            self.out.push_str(": ");
            self.value(child, &path.child(PathStep::Field(key.clone())), depth + 1);
            if i + 1 < len {
                self.out.push(',');
            }
        }
        self.out.push('\n');
        self.indent(depth);
        self.out.push('}');
    }

    /// Past the budget: one line for the `left` entries not written.
    fn rest_folded(&mut self, left: usize, what: &str, path: &ValuePath, depth: usize) -> bool {
        if !self.over_budget() {
            return false;
        }
        let length = format!("{} more {what}", format_count(left));
        self.out.push('\n');
        self.indent(depth + 1);
        self.out.push_str(&format!("<{length}>"));
        self.folds.push(Fold {
            path: path.clone(),
            length,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Document {
        match value {
            Value::Object(map) => map,
            _ => Document::new(),
        }
    }

    #[test]
    fn only_long_strings_and_many_entries_are_big() {
        assert!(!is_big(&json!("x".repeat(FOLD_STRING_BYTES))));
        assert!(is_big(&json!("x".repeat(FOLD_STRING_BYTES + 1))));
        assert!(!is_big(&json!(vec![1; FOLD_ENTRIES])));
        assert!(is_big(&json!(vec![1; FOLD_ENTRIES + 1])));
        assert!(!is_big(&json!(12345)));
    }

    #[test]
    fn lengths_are_counted_in_the_unit_of_the_type() {
        assert_eq!(
            length_words(&json!("x".repeat(8_388_608))).as_deref(),
            Some("8,388,608 bytes")
        );
        assert_eq!(
            length_words(&json!(vec![0; 1_000_000])).as_deref(),
            Some("1,000,000 items")
        );
        assert_eq!(length_words(&json!({"a": 1})).as_deref(), Some("1 field"));
        assert_eq!(length_words(&json!(null)), None);
    }

    #[test]
    fn a_json_prefix_stops_at_its_size_on_a_character_boundary() {
        let (text, cut) = json_prefix(&json!(["éééé", 1]), 5);
        assert_eq!((text.as_str(), cut), ("[\"é", true));
        assert_eq!(json_prefix(&json!([1, 2]), 5), ("[1,2]".to_owned(), false));
        let huge = json!(vec![123_456_789; 1_000_000]);
        let (text, cut) = json_prefix(&huge, 20);
        assert!(cut && text.len() <= 20, "{text}");
    }

    #[test]
    fn a_folded_line_shows_a_prefix_and_the_length() {
        let text = format!("start {}", "y".repeat(5000));
        let line = folded_line(&json!(text), 10);
        assert_eq!(line, "\"start yyyy…\" <5,006 bytes>");
        let line = folded_line(&json!((0..1000).collect::<Vec<_>>()), 10);
        assert_eq!(line, "[0,1,2,3,4…] <1,000 items>");
        assert_eq!(folded_line(&json!({"a": 1}), 10), "{\"a\":1}");
    }

    #[test]
    fn a_record_without_big_values_is_written_as_the_editor_writes_it() {
        let record = doc(json!({"_id": "a", "n": 1.5, "tags": ["x", []], "o": {"k": {}}}));
        let folded = fold_record(&record);
        assert_eq!(
            folded.text,
            serde_json::to_string_pretty(&record).unwrap_or_default()
        );
        assert!(folded.folds.is_empty());
        assert!(!record_needs_folding(&record));
    }

    #[test]
    fn big_values_are_folded_where_they_are() {
        let record = doc(json!({
            "_id": "a",
            "text": "z".repeat(10_000),
            "nested": {"items": (0..500).collect::<Vec<_>>()},
        }));
        assert!(record_needs_folding(&record));
        let folded = fold_record(&record);
        assert!(folded.text.contains("\"zzzz"), "{}", folded.text);
        assert!(folded.text.contains("<10,000 bytes>"));
        assert!(folded.text.contains("\"items\": [0,1,2,"));
        assert!(folded.text.contains("<500 items>"));
        let paths: Vec<String> = folded.folds.iter().map(|f| f.path.dotted()).collect();
        assert_eq!(paths, vec!["text", "nested.items"]);
        assert!(folded.text.len() < 1000);
    }

    #[test]
    fn many_medium_values_are_folded_past_the_budget() {
        let rows: Vec<Value> = (0..90)
            .map(|i| json!({"i": i, "s": "m".repeat(1900)}))
            .collect();
        let record = doc(json!({"_id": "a", "rows": rows, "after": 1}));
        assert!(!record_needs_folding(&record), "171 KB: editable as text");
        let twice = doc(json!({"_id": "a", "one": rows, "two": rows}));
        assert!(record_needs_folding(&twice));
        let folded = fold_record(&record);
        assert!(folded.text.len() < FOLDED_TEXT_BUDGET + 4000);
        assert!(folded.text.contains("more items>"));
        assert_eq!(
            folded.folds.first().map(|f| f.path.dotted()),
            Some("rows".to_owned())
        );
        assert!(
            folded.text.contains("<1 more fields>"),
            "the field after is folded too"
        );
    }

    #[test]
    fn paths_find_and_replace_values_inside_a_record() {
        let mut record = doc(json!({"a": {"b": [10, 20]}}));
        let path = ValuePath::field("a")
            .child(PathStep::Field("b".to_owned()))
            .child(PathStep::Index(1));
        assert_eq!(path.dotted(), "a.b.1");
        assert_eq!(path.get_in(&record), Some(&json!(20)));
        assert!(path.set_in(&mut record, json!("new")));
        assert_eq!(record["a"]["b"][1], json!("new"));
        assert!(!ValuePath::field("gone").set_in(&mut record, json!(1)));
        assert_eq!(ValuePath::default().get_in(&record), None);
    }
}
