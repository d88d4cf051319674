//! What a collection holds, exactly: every field path of every record a
//! filter matches (not a sample), with how many records have it, the type
//! mix (MongoDB's `$type` names), the smallest and largest number or
//! string, the number of distinct values and the most frequent ones.
//!
//! Paths use dots for nested objects and `[]` for the elements of an array
//! (`tags[]`, `items[].sku`). Memory is bounded whatever the data: distinct
//! values are tracked by a 128-bit hash, up to [`DISTINCT_CAP`] per path
//! (then the count is a lower bound), values kept for the top list are
//! short ones, and at most [`PATH_CAP`] paths are followed.

use std::fmt::Write;

use hashbrown::HashMap;
use serde::Serialize;
use serde_json::{Map, Number, Value};

use xxhash_rust::xxh3::xxh3_128_with_seed;

use crate::engine::Document;

/// Distinct values counted exactly per path; past it, at least this many.
pub const DISTINCT_CAP: usize = 100_000;
/// Field paths followed; a collection with more says it was cut.
pub const PATH_CAP: usize = 10_000;
/// How many of the most frequent values each path lists.
pub const TOP_VALUES: usize = 10;
/// Values longer than this (as JSON text) are counted but listed by a
/// short description, not kept whole.
const KEPT_VALUE_BYTES: usize = 256;

/// The schema of a collection, or of what a filter matched in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    pub collection: String,
    /// Records analysed.
    pub records: usize,
    /// Every path, in first-seen order.
    pub fields: Vec<FieldSchema>,
    /// More than [`PATH_CAP`] paths: the rest are not listed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub paths_cut: bool,
}

/// One field path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldSchema {
    pub path: String,
    /// Records in which the path holds at least one value.
    pub count: usize,
    /// Values per type (`null`, `bool`, `int`, `double`, `string`,
    /// `object`, `array`), in that order; an array's elements count under
    /// `path[]`.
    pub types: Map<String, Value>,
    /// The smallest and largest number or string, in MongoDB's order
    /// (numbers before strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
    /// Distinct scalar values, exactly, up to [`DISTINCT_CAP`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct: Option<usize>,
    /// Set instead of `distinct` past the cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct_at_least: Option<usize>,
    /// The most frequent scalar values (past the cap: among those first
    /// seen), most frequent first, ties by first seen.
    pub top: Vec<TopValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopValue {
    /// The value, or for one too long to keep, a description of it.
    pub value: Value,
    pub count: usize,
    /// `value` describes a value too long to list (not the value itself).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub too_long: bool,
}

/// MongoDB's `$type` names, in the order a schema lists them.
pub const TYPE_NAMES: [&str; 7] = ["null", "bool", "int", "double", "string", "object", "array"];

fn type_index(value: &Value) -> usize {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(n) if n.is_i64() || n.is_u64() => 2,
        Value::Number(_) => 3,
        Value::String(_) => 4,
        Value::Object(_) => 5,
        Value::Array(_) => 6,
    }
}

/// A path being analysed.
#[derive(Debug, Default)]
struct PathStats {
    path: String,
    count: usize,
    /// The last record that counted here (a record counts once).
    last_record: usize,
    types: [usize; 7],
    min_number: Option<Number>,
    max_number: Option<Number>,
    min_string: Option<String>,
    max_string: Option<String>,
    /// Per value hash: its count, first-seen rank and the value (short ones).
    values: HashMap<u128, (usize, usize, Option<Value>)>,
    distinct_cut: bool,
}

/// Builds a [`Schema`] one record at a time.
#[derive(Debug, Default)]
pub struct SchemaBuilder {
    records: usize,
    paths: Vec<PathStats>,
    index: HashMap<String, usize>,
    paths_cut: bool,
}

impl SchemaBuilder {
    pub fn new() -> SchemaBuilder {
        SchemaBuilder::default()
    }

    /// Adds one record.
    pub fn add(&mut self, doc: &Document) {
        self.records += 1;
        let mut path = String::new();
        for (key, value) in doc {
            self.add_field(&mut path, key, value);
        }
    }

    fn add_field(&mut self, path: &mut String, key: &str, value: &Value) {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        self.add_value(path, value);
        path.truncate(len);
    }

    fn add_value(&mut self, path: &mut String, value: &Value) {
        let record = self.records;
        if let Some(stats) = self.stats(path) {
            stats.note(record, value);
        }
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    self.add_field(path, key, inner);
                }
            }
            Value::Array(items) => {
                let len = path.len();
                path.push_str("[]");
                for item in items {
                    self.add_value(path, item);
                }
                path.truncate(len);
            }
            _ => {}
        }
    }

    /// The stats of `path`, made on first sight (unless past the cap).
    fn stats(&mut self, path: &str) -> Option<&mut PathStats> {
        let at = match self.index.get(path) {
            Some(&at) => at,
            None if self.paths.len() >= PATH_CAP => {
                self.paths_cut = true;
                return None;
            }
            None => {
                self.paths.push(PathStats {
                    path: path.to_owned(),
                    ..PathStats::default()
                });
                self.index.insert(path.to_owned(), self.paths.len() - 1);
                self.paths.len() - 1
            }
        };
        self.paths.get_mut(at)
    }

    pub fn finish(self, collection: &str) -> Schema {
        Schema {
            collection: collection.to_owned(),
            records: self.records,
            fields: self.paths.into_iter().map(PathStats::finish).collect(),
            paths_cut: self.paths_cut,
        }
    }
}

impl PathStats {
    fn note(&mut self, record: usize, value: &Value) {
        if self.last_record != record {
            self.last_record = record;
            self.count += 1;
        }
        self.types[type_index(value)] += 1;
        match value {
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if self
                    .min_number
                    .as_ref()
                    .is_none_or(|m| f < m.as_f64().unwrap_or(f64::NAN))
                {
                    self.min_number = Some(n.clone());
                }
                if self
                    .max_number
                    .as_ref()
                    .is_none_or(|m| f > m.as_f64().unwrap_or(f64::NAN))
                {
                    self.max_number = Some(n.clone());
                }
            }
            Value::String(s) => {
                if self.min_string.as_ref().is_none_or(|m| s < m) {
                    self.min_string = Some(s.clone());
                }
                if self.max_string.as_ref().is_none_or(|m| s > m) {
                    self.max_string = Some(s.clone());
                }
            }
            _ => {}
        }
        // A value's identity: its type and bytes, hashed (a string's own
        // bytes, a number's JSON text), so nothing is allocated per value.
        let (hash, len) = match value {
            Value::Object(_) | Value::Array(_) => return,
            Value::String(s) => (xxh3_128_with_seed(s.as_bytes(), 4), s.len()),
            Value::Number(n) => {
                let mut text = NumberText::default();
                let _ = write!(text, "{n}");
                (xxh3_128_with_seed(text.bytes(), 2), text.len)
            }
            Value::Bool(b) => (u128::from(*b), 1),
            Value::Null => (2, 0),
        };
        let rank = self.values.len();
        if let Some((count, _, _)) = self.values.get_mut(&hash) {
            *count += 1;
        } else if rank >= DISTINCT_CAP {
            self.distinct_cut = true;
        } else {
            let kept = (len <= KEPT_VALUE_BYTES).then(|| value.clone());
            self.values.insert(hash, (1, rank, kept));
        }
    }

    fn finish(self) -> FieldSchema {
        let mut types = Map::new();
        for (name, n) in TYPE_NAMES.iter().zip(self.types) {
            if n > 0 {
                types.insert((*name).to_owned(), Value::from(n));
            }
        }
        let min = match (self.min_number, self.min_string) {
            (Some(n), _) => Some(Value::Number(n)),
            (None, s) => s.map(Value::String),
        };
        let max = match (self.max_string, self.max_number) {
            (Some(s), _) => Some(Value::String(s)),
            (None, n) => n.map(Value::Number),
        };
        let distinct = self.values.len();
        let mut ranked: Vec<(usize, usize, Option<Value>)> = self.values.into_values().collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let top = ranked
            .into_iter()
            .take(TOP_VALUES)
            .map(|(count, _, value)| TopValue {
                too_long: value.is_none(),
                value: value.unwrap_or_else(|| Value::String("(a value too long to list)".into())),
                count,
            })
            .collect();
        FieldSchema {
            path: self.path,
            count: self.count,
            types,
            min,
            max,
            distinct: (!self.distinct_cut).then_some(distinct),
            distinct_at_least: self.distinct_cut.then_some(distinct),
            top,
        }
    }
}

/// A number's JSON text, written on the stack (at most 24 bytes: i64,
/// u64 and f64's shortest round trip all fit).
#[derive(Default)]
struct NumberText {
    buf: [u8; 32],
    len: usize,
}

impl NumberText {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Write for NumberText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::test_doc as doc;

    #[test]
    fn paths_types_counts_and_bounds() {
        let mut b = SchemaBuilder::new();
        b.add(&doc(json!({"_id": "1", "age": 30, "tags": ["a", "b"], "items": [{"sku": "x"}, {"sku": 2.5}]})));
        b.add(&doc(
            json!({"_id": "2", "age": "31", "tags": [], "addr": {"city": null}}),
        ));
        b.add(&doc(json!({"_id": "3", "age": 30.5, "tags": ["a"]})));
        let schema = b.finish("c");
        let field = |p: &str| schema.fields.iter().find(|f| f.path == p).unwrap().clone();
        let paths: Vec<&str> = schema.fields.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "_id",
                "age",
                "tags",
                "tags[]",
                "items",
                "items[]",
                "items[].sku",
                "addr",
                "addr.city"
            ]
        );
        let age = field("age");
        assert_eq!(age.count, 3);
        assert_eq!(
            Value::Object(age.types),
            json!({"int": 1, "double": 1, "string": 1})
        );
        assert_eq!((age.min, age.max), (Some(json!(30)), Some(json!("31"))));
        assert_eq!(age.distinct, Some(3));
        let tags = field("tags[]");
        assert_eq!((tags.count, tags.distinct), (2, Some(2)));
        assert_eq!(
            tags.top[0],
            TopValue {
                value: json!("a"),
                count: 2,
                too_long: false
            }
        );
        assert_eq!(
            Value::Object(field("items[].sku").types),
            json!({"string": 1, "double": 1})
        );
        assert_eq!(Value::Object(field("addr.city").types), json!({"null": 1}));
    }

    #[test]
    fn distinct_values_past_the_cap_are_a_lower_bound() {
        let mut b = SchemaBuilder::new();
        for i in 0..DISTINCT_CAP + 5 {
            b.add(&doc(json!({"n": i})));
        }
        let n = b.finish("c").fields.pop().unwrap();
        assert_eq!(
            (n.distinct, n.distinct_at_least),
            (None, Some(DISTINCT_CAP))
        );
        assert_eq!(n.count, DISTINCT_CAP + 5);
    }
}
