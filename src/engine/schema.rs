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
//!
//! Speed: a stored record is walked in its bytes (`storage::walk`), so no
//! document is built, and each value finds its path through a tree of the
//! places seen so far (mostly at the first look), not by hashing its path
//! text. A key that holds a dot and a nested key can spell one path text
//! (`{"a.b": 1}` and `{"a": {"b": 2}}`): such places share one field.

use hashbrown::HashMap;
use serde::Serialize;
use serde_json::{Map, Number, Value};

use xxhash_rust::xxh3::xxh3_128_with_seed;

use crate::engine::Document;
use crate::engine::collection::StoredRecord;
use crate::engine::storage::BinaryCodec;
use crate::engine::storage::RecordCodec;
use crate::engine::storage::walk::{self, Container, Scalar, ValueVisitor, Walked};
use crate::error::{Error, Result};

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
    /// Each distinct value's identity: its first-seen rank (an index in
    /// `kept`) and its count.
    values: HashMap<Identity, RankAndCount, IdentityHash>,
    /// Each distinct value (short ones), in first-seen order.
    kept: Vec<Option<Value>>,
    distinct_cut: bool,
}

/// A place values are found at, in a tree of the places seen: the field
/// of a record or object, or the elements of an array. A value's path is
/// found by following one child from its parent's place (mostly the one
/// after the last one found), not by hashing its whole path text.
#[derive(Debug)]
struct Place {
    /// The [`PathStats`] of the place's path text. Two places may share
    /// one: a key `"a.b"` and key `"b"` inside `"a"` have the same path.
    stats: usize,
    /// Field places by key, in first-seen order.
    fields: Vec<(Box<str>, u32)>,
    /// `fields` by key, once there are many of them.
    wide: Option<HashMap<Box<str>, u32>>,
    /// Where to look first in `fields`: after the last one found, as the
    /// records of a collection mostly list their fields in one order.
    next: usize,
    elements: Option<u32>,
}

/// Fields of one place searched one by one; past it, by a map.
const LINEAR_FIELDS: usize = 16;
/// Places followed: paths, and the few spellings a path text may have.
const PLACE_CAP: usize = 2 * PATH_CAP;
/// The place of the record itself (it has no path of its own).
const RECORD: u32 = 0;
/// The `stats` of [`RECORD`]: no path.
const NO_PATH: usize = usize::MAX;

/// Builds a [`Schema`] one record at a time.
#[derive(Debug)]
pub struct SchemaBuilder {
    records: usize,
    paths: Vec<PathStats>,
    /// Each path text's index in `paths`.
    by_path: HashMap<String, usize>,
    places: Vec<Place>,
    paths_cut: bool,
}

impl Default for SchemaBuilder {
    fn default() -> Self {
        SchemaBuilder {
            records: 0,
            paths: Vec::new(),
            by_path: HashMap::new(),
            places: vec![Place {
                stats: NO_PATH,
                fields: Vec::new(),
                wide: None,
                next: 0,
                elements: None,
            }],
            paths_cut: false,
        }
    }
}

impl SchemaBuilder {
    pub fn new() -> SchemaBuilder {
        SchemaBuilder::default()
    }

    /// Adds one record.
    pub fn add(&mut self, doc: &Document) {
        self.records += 1;
        walk::walk_document(doc, self);
    }

    /// Adds one record as its store holds it: walked in place when it is
    /// [`BinaryCodec`] bytes (no document built), else decoded. The same
    /// schema as [`add`](Self::add) of the decoded record.
    pub(crate) fn add_stored(&mut self, record: &StoredRecord<'_>) -> Result<()> {
        if record.codec.name() == BinaryCodec.name() {
            self.records += 1;
            match walk::walk_binary(record.id, record.data, self) {
                Walked::Whole => return Ok(()),
                Walked::Declined => self.records -= 1,
                Walked::Damaged => {
                    // Part of the record is counted: decoding says what is
                    // wrong, and the schema stops there.
                    record.decode()?;
                    return Err(Error::RecordEncoding(format!(
                        "record {:?} could not be read for its schema",
                        record.id
                    )));
                }
            }
        }
        self.add(&record.decode()?);
        Ok(())
    }

    /// The place of `key` in the place `parent`, or of `parent`'s elements
    /// (`key` is `None`), made on first sight (unless past the cap).
    fn place(&mut self, parent: u32, key: Option<&str>) -> Option<u32> {
        let of = self.places.get_mut(parent as usize)?;
        let found = match key {
            None => of.elements,
            Some(key) => match &of.wide {
                Some(wide) => wide.get(key).copied(),
                None => {
                    let (earlier, from_hint) = of.fields.split_at(of.next.min(of.fields.len()));
                    let at = from_hint
                        .iter()
                        .position(|(k, _)| &**k == key)
                        .map(|i| i + earlier.len())
                        .or_else(|| earlier.iter().position(|(k, _)| &**k == key));
                    at.map(|i| {
                        of.next = i + 1;
                        of.fields[i].1
                    })
                }
            },
        };
        found.or_else(|| self.new_place(parent, key))
    }

    fn new_place(&mut self, parent: u32, key: Option<&str>) -> Option<u32> {
        let parent_path = match self.places.get(parent as usize)?.stats {
            NO_PATH => "",
            stats => self.paths.get(stats).map_or("", |s| s.path.as_str()),
        };
        let mut path = String::with_capacity(parent_path.len() + key.map_or(2, |k| k.len() + 1));
        path.push_str(parent_path);
        match key {
            Some(key) if path.is_empty() => path.push_str(key),
            Some(key) => {
                path.push('.');
                path.push_str(key);
            }
            None => path.push_str("[]"),
        }
        let stats = match self.by_path.get(&path) {
            Some(&stats) => stats,
            None if self.paths.len() >= PATH_CAP => {
                self.paths_cut = true;
                return None;
            }
            None => {
                self.by_path.insert(path.clone(), self.paths.len());
                self.paths.push(PathStats {
                    path,
                    ..PathStats::default()
                });
                self.paths.len() - 1
            }
        };
        if self.places.len() >= PLACE_CAP {
            self.paths_cut = true;
            return None;
        }
        let id = u32::try_from(self.places.len()).ok()?;
        self.places.push(Place {
            stats,
            fields: Vec::new(),
            wide: None,
            next: 0,
            elements: None,
        });
        let of = self.places.get_mut(parent as usize)?;
        match key {
            None => of.elements = Some(id),
            Some(key) => {
                of.fields.push((key.into(), id));
                if let Some(wide) = &mut of.wide {
                    wide.insert(key.into(), id);
                } else if of.fields.len() > LINEAR_FIELDS {
                    of.wide = Some(of.fields.iter().cloned().collect());
                }
            }
        }
        Some(id)
    }

    /// The stats of the path at `place`.
    fn stats(&mut self, place: u32) -> Option<&mut PathStats> {
        let stats = self.places.get(place as usize)?.stats;
        self.paths.get_mut(stats)
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

impl ValueVisitor for SchemaBuilder {
    type Place = u32;

    fn field(&mut self, parent: Option<u32>, key: &str) -> Option<u32> {
        self.place(parent.unwrap_or(RECORD), Some(key))
    }

    fn elements(&mut self, array: u32) -> Option<u32> {
        self.place(array, None)
    }

    fn scalar(&mut self, at: u32, value: Scalar<'_>) {
        let record = self.records;
        if let Some(stats) = self.stats(at) {
            stats.note_scalar(record, value);
        }
    }

    fn container(&mut self, at: u32, kind: Container) {
        let record = self.records;
        if let Some(stats) = self.stats(at) {
            stats.note_present(record);
            stats.types[match kind {
                Container::Object => 5,
                Container::Array => 6,
            }] += 1;
        }
    }
}

impl PathStats {
    fn note_present(&mut self, record: usize) {
        if self.last_record != record {
            self.last_record = record;
            self.count += 1;
        }
    }

    fn note_scalar(&mut self, record: usize, value: Scalar<'_>) {
        self.note_present(record);
        // A value's identity: its type and bytes, hashed (a string's own
        // bytes; a number's kind and bits, which differ exactly when its
        // JSON text does), so nothing is allocated per value.
        let (identity, len) = match value {
            Scalar::Null => {
                self.types[0] += 1;
                (Identity(2, 0), 0)
            }
            Scalar::Bool(b) => {
                self.types[1] += 1;
                (Identity(u64::from(b), 0), 1)
            }
            Scalar::Number(n) => {
                self.types[if n.is_i64() || n.is_u64() { 2 } else { 3 }] += 1;
                self.note_number(n);
                (number_identity(n), 20)
            }
            Scalar::String(s) => {
                self.types[4] += 1;
                if self.min_string.as_deref().is_none_or(|m| s < m) {
                    self.min_string = Some(s.to_owned());
                }
                if self.max_string.as_deref().is_none_or(|m| s > m) {
                    self.max_string = Some(s.to_owned());
                }
                (Identity::of(xxh3_128_with_seed(s.as_bytes(), 4)), s.len())
            }
        };
        if let Some(seen) = self.values.get_mut(&identity) {
            seen.count_one();
        } else if self.kept.len() >= DISTINCT_CAP {
            self.distinct_cut = true;
        } else {
            self.values
                .insert(identity, RankAndCount::first(self.kept.len()));
            self.kept
                .push((len <= KEPT_VALUE_BYTES).then(|| value.to_value()));
        }
    }

    fn note_number(&mut self, n: &Number) {
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
        let distinct = self.kept.len();
        let mut ranked: Vec<RankAndCount> = self.values.into_values().collect();
        ranked.sort_by(|a, b| b.count().cmp(&a.count()).then(a.rank().cmp(&b.rank())));
        let mut kept = self.kept;
        let top = ranked
            .into_iter()
            .take(TOP_VALUES)
            .map(|seen| {
                let value = kept.get_mut(seen.rank()).and_then(Option::take);
                TopValue {
                    too_long: value.is_none(),
                    value: value
                        .unwrap_or_else(|| Value::String("(a value too long to list)".into())),
                    count: seen.count(),
                }
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

/// A value's identity: a 128-bit hash of its type and bytes. Equal
/// values have equal identities; unequal ones a chance of 2^-128 per pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity(u64, u64);

impl Identity {
    fn of(hash: u128) -> Identity {
        Identity(hash as u64, (hash >> 64) as u64)
    }
}

impl std::hash::Hash for Identity {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Already a hash: half of it places it in the table.
        state.write_u64(self.0);
    }
}

/// Hashes an [`Identity`] by taking its first half as it is.
#[derive(Debug, Default, Clone, Copy)]
struct IdentityHash;

impl std::hash::BuildHasher for IdentityHash {
    type Hasher = IdentityHasher;
    fn build_hasher(&self) -> IdentityHasher {
        IdentityHasher(0)
    }
}

#[derive(Debug)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used by `Identity`; any other key is still hashed.
        self.0 = xxhash_rust::xxh3::xxh3_64(bytes);
    }
}

/// A distinct value's first-seen rank (below [`DISTINCT_CAP`], 17 bits)
/// and count (the other 47 bits: far more values than a collection
/// holds), in one word, so the table of a path's values stays small.
#[derive(Debug, Clone, Copy)]
struct RankAndCount(u64);

impl RankAndCount {
    const RANK_BITS: u32 = 17;

    fn first(rank: usize) -> RankAndCount {
        RankAndCount(rank as u64 | 1 << Self::RANK_BITS)
    }
    fn count_one(&mut self) {
        self.0 += 1 << Self::RANK_BITS;
    }
    fn rank(self) -> usize {
        (self.0 & ((1 << Self::RANK_BITS) - 1)) as usize
    }
    fn count(self) -> usize {
        (self.0 >> Self::RANK_BITS) as usize
    }
}

const _: () = assert!(DISTINCT_CAP < 1 << RankAndCount::RANK_BITS);

/// A number's identity among values: its kind (non-negative integer,
/// negative integer, float) and its 64 bits, hashed. Two numbers have the
/// same JSON text exactly when these are equal (a float's shortest text
/// differs with its bits, and always has a `.` or an exponent).
fn number_identity(n: &Number) -> Identity {
    let (kind, bits) = match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => (0u8, u),
        (None, Some(i)) => (1, i as u64),
        (None, None) => (2, n.as_f64().map_or(0, f64::to_bits)),
    };
    let mut bytes = [0u8; 9];
    bytes[0] = kind;
    bytes[1..].copy_from_slice(&bits.to_le_bytes());
    Identity::of(xxh3_128_with_seed(&bytes, 2))
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

    /// The record as `BinaryCodec` stores it, for `add_stored`.
    fn stored(doc: &Document) -> (String, Vec<u8>) {
        let mut data = Vec::new();
        BinaryCodec.encode(doc, &mut data).unwrap();
        (doc["_id"].as_str().unwrap().to_owned(), data)
    }

    fn add_bytes(b: &mut SchemaBuilder, id: &str, data: &[u8]) -> Result<()> {
        b.add_stored(&StoredRecord {
            id,
            data,
            codec: &BinaryCodec,
            place: None,
        })
    }

    /// Records of every kind of value: both ways of adding them (walking
    /// the stored bytes, and the decoded document) give one schema.
    #[test]
    fn walking_stored_bytes_equals_adding_the_document() {
        let mut records = vec![
            json!({"_id": "a", "n": 1, "f": 1.0, "z": -0.0, "big": u64::MAX, "neg": -7,
                   "s": "Åsa 🙂", "t": true, "u": null, "e": [], "o": {},
                   "deep": {"x": [[1, {"y": [2, "2"]}], []]}}),
            json!({"_id": "b", "n": "1", "f": 1, "z": 0.0, "s": "", "o": {"k": [null, false]},
                   "deep": {"x": {"y": 3}}, "a.b": 5, "a": {"b": 6}}),
        ];
        for i in 0..300 {
            records.push(
                json!({"_id": format!("r{i}"), "n": i % 7, "f": i as f64 / 3.0,
                "s": format!("v{}", i % 11), "tags": ["x", i % 3],
                "o": {"k": if i % 2 == 0 { json!(i) } else { json!({"m": i}) }}}),
            );
        }
        // Past 32 keys an object's keys are checked for repeats by a set.
        let wide: serde_json::Map<String, Value> =
            (0..40).map(|k| (format!("k{k}"), json!(k))).collect();
        records
            .push(json!({"_id": "wide", "w": wide.clone(), "more": Value::Object(wide.clone())}));
        let mut wide_record = wide;
        wide_record.insert("_id".into(), json!("wide-record"));
        records.push(Value::Object(wide_record));
        let (mut walked, mut added) = (SchemaBuilder::new(), SchemaBuilder::new());
        for record in &records {
            let record = doc(record.clone());
            let (id, data) = stored(&record);
            add_bytes(&mut walked, &id, &data).unwrap();
            added.add(&record);
        }
        let (walked, added) = (walked.finish("c"), added.finish("c"));
        assert_eq!(walked, added);
        let field = |p: &str| walked.fields.iter().find(|f| f.path == p).unwrap().clone();
        // A key with a dot and a nested key spell one path: one field.
        assert_eq!(field("a.b").count, 1);
        assert_eq!(field("a.b").types.get("int"), Some(&json!(2)));
        // 1 and 1.0, -0.0 and 0.0 are different values, as their text is.
        assert_eq!(field("z").distinct, Some(2));
        assert_eq!(field("n").distinct, Some(8));
        assert_eq!(field("deep.x[][].y[]").types.get("string"), Some(&json!(1)));
        assert_eq!(field("big").max, Some(json!(u64::MAX)));
    }

    /// Bytes that repeat a key decode to one field (the last value in the
    /// first place): such a record is decoded, not walked, and counts so.
    #[test]
    fn a_record_repeating_a_key_is_analysed_as_it_decodes() {
        // {"a": 1, "a": "x"}: a count, then each key and value.
        let mut data = vec![2];
        for value in [&[3u8, 2][..], &[6, 1, b'x']] {
            data.extend_from_slice(&[1, b'a']);
            data.extend_from_slice(value);
        }
        let mut b = SchemaBuilder::new();
        add_bytes(&mut b, "r1", &data).unwrap();
        let decoded = BinaryCodec.decode("r1", &data).unwrap();
        assert_eq!(
            Value::Object(decoded.clone()),
            json!({"_id": "r1", "a": "x"})
        );
        let mut expected = SchemaBuilder::new();
        expected.add(&decoded);
        assert_eq!(b.finish("c"), expected.finish("c"));
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_schema() {
        let (id, mut data) = stored(&doc(json!({"_id": "r1", "s": "ab"})));
        let last = data.len() - 1;
        data[last] = 0xff;
        let mut b = SchemaBuilder::new();
        assert!(add_bytes(&mut b, &id, &data).is_err());
    }
}
