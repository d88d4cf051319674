//! A record's values visited in place, in the order its decoded document
//! holds them, with no document built: the schema of a million records
//! reads them this way, where decoding each into a map (allocating every
//! key and text, then freeing them) was most of its time.
//!
//! [`walk_document`] visits a decoded document; [`walk_binary`] visits the
//! [`BinaryCodec`](super::BinaryCodec) bytes of one, exactly as
//! `walk_document` would visit the decoded record. Decoding keeps a key
//! repeated in an object once, and puts a stored `_id` in the id's place,
//! so a first pass looks for those (and for nesting past [`MAX_DEPTH`])
//! and declines such a record before visiting anything: the caller decodes
//! it. Damage that makes decoding fail (bad UTF-8, a non-finite float,
//! lengths that do not add up) may instead stop the walk part-way; the
//! caller then decodes the record for the error, and stops.

use serde_json::{Number, Value};

use super::codec::{
    MAX_DEPTH, Reader, TAG_ARRAY, TAG_FALSE, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_OBJECT, TAG_STRING,
    TAG_TRUE, TAG_UINT, unzigzag,
};
use super::to_json::KeyStack;
use crate::engine::Document;

/// A value that holds no other, borrowed from where it is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(&'a Number),
    String(&'a str),
}

impl Scalar<'_> {
    pub(crate) fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Number(n) => Value::Number(n.clone()),
            Scalar::String(s) => Value::String(s.to_owned()),
        }
    }
}

/// An array or an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    Array,
    Object,
}

/// What a walk tells, value by value: a value's place (a field of the
/// record or of an object, or an array's elements), then the value.
/// Places are the visitor's own (the schema's are field paths).
pub(crate) trait ValueVisitor {
    type Place: Copy;
    /// The place of field `key` of the object at `parent` (`None`: of the
    /// record); `None` skips the field's value.
    fn field(&mut self, parent: Option<Self::Place>, key: &str) -> Option<Self::Place>;
    /// The place of the elements of the (non-empty) array at `array`;
    /// `None` skips them.
    fn elements(&mut self, array: Self::Place) -> Option<Self::Place>;
    fn scalar(&mut self, at: Self::Place, value: Scalar<'_>);
    /// An array or object at `at`, told before what it holds.
    fn container(&mut self, at: Self::Place, kind: Container);
}

/// Visits every value of `doc`, fields in order, each before what it holds.
pub(crate) fn walk_document<V: ValueVisitor>(doc: &Document, visitor: &mut V) {
    for (key, value) in doc {
        if let Some(at) = visitor.field(None, key) {
            walk_value(value, at, visitor);
        }
    }
}

fn walk_value<V: ValueVisitor>(value: &Value, at: V::Place, visitor: &mut V) {
    match value {
        Value::Null => visitor.scalar(at, Scalar::Null),
        Value::Bool(b) => visitor.scalar(at, Scalar::Bool(*b)),
        Value::Number(n) => visitor.scalar(at, Scalar::Number(n)),
        Value::String(s) => visitor.scalar(at, Scalar::String(s)),
        Value::Array(items) => {
            visitor.container(at, Container::Array);
            if items.is_empty() {
                return;
            }
            if let Some(inner) = visitor.elements(at) {
                for item in items {
                    walk_value(item, inner, visitor);
                }
            }
        }
        Value::Object(map) => {
            visitor.container(at, Container::Object);
            for (key, inner) in map {
                if let Some(place) = visitor.field(Some(at), key) {
                    walk_value(inner, place, visitor);
                }
            }
        }
    }
}

/// How [`walk_binary`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walked {
    /// Every value was visited.
    Whole,
    /// Nothing was visited: the record repeats a key, stores an `_id` or
    /// nests too deep (or is damaged), and is for the caller to decode.
    Declined,
    /// The bytes are damaged: the walk stopped part-way, and decoding the
    /// record fails.
    Damaged,
}

/// Visits the record `id` stored as `data` (its `BinaryCodec` bytes) as
/// [`walk_document`] visits its decoded document.
pub(crate) fn walk_binary<V: ValueVisitor>(id: &str, data: &[u8], visitor: &mut V) -> Walked {
    let mut check = Check {
        reader: Reader {
            bytes: data,
            pos: 0,
        },
        keys: KeyStack::default(),
    };
    if check.record().is_none() {
        return Walked::Declined;
    }
    if let Some(at) = visitor.field(None, "_id") {
        visitor.scalar(at, Scalar::String(id));
    }
    let mut walk = Walk {
        reader: Reader {
            bytes: data,
            pos: 0,
        },
        visitor,
    };
    match walk.fields(None) {
        Some(()) => Walked::Whole,
        None => Walked::Damaged,
    }
}

/// The first pass: every object's keys checked, nothing visited (text is
/// not checked here: the walk finds bad UTF-8 as decoding does).
struct Check<'a> {
    reader: Reader<'a>,
    keys: KeyStack<'a>,
}

impl<'a> Check<'a> {
    fn record(&mut self) -> Option<()> {
        let count = self.reader.varint().ok()?;
        // Top-level keys are checked against `_id` as well as each other.
        self.keys.push(b"_id");
        self.object_fields(count, 0, 1)?;
        (self.reader.pos == self.reader.bytes.len()).then_some(())
    }

    /// `count` keys and values; the object's keys start at `level_start`
    /// in `self.keys`.
    fn object_fields(&mut self, count: u64, level_start: usize, depth: usize) -> Option<()> {
        let first: &[&[u8]] = if level_start == 0 { &[b"_id"] } else { &[] };
        let mut wide = KeyStack::set_for_wide(count, first);
        for _ in 0..count {
            let len = self.reader.length().ok()?;
            let key = self.reader.take(len).ok()?;
            let fresh = match &mut wide {
                Some(set) => set.insert(key),
                None => {
                    let fresh = !self.keys.contains_since(level_start, key);
                    self.keys.push(key);
                    fresh
                }
            };
            if !fresh {
                return None;
            }
            self.value(depth)?;
        }
        self.keys.truncate(level_start);
        Some(())
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match self.reader.byte().ok()? {
            TAG_NULL | TAG_FALSE | TAG_TRUE => {}
            TAG_INT | TAG_UINT => {
                self.reader.varint().ok()?;
            }
            TAG_FLOAT => {
                self.reader.take(8).ok()?;
            }
            TAG_STRING => {
                let len = self.reader.length().ok()?;
                self.reader.take(len).ok()?;
            }
            tag @ (TAG_ARRAY | TAG_OBJECT) => {
                if depth > MAX_DEPTH {
                    return None;
                }
                let len = self.reader.length().ok()?;
                let end = self.reader.pos + len;
                let count = self.reader.varint().ok()?;
                if tag == TAG_ARRAY {
                    for _ in 0..count {
                        self.value(depth + 1)?;
                    }
                } else {
                    self.object_fields(count, self.keys.len(), depth + 1)?;
                }
                if self.reader.pos != end {
                    return None;
                }
            }
            _ => return None,
        }
        Some(())
    }
}

/// The second pass over a checked record: every value told to the visitor.
struct Walk<'a, 'v, V: ValueVisitor> {
    reader: Reader<'a>,
    visitor: &'v mut V,
}

impl<V: ValueVisitor> Walk<'_, '_, V> {
    /// The fields of the object at `parent` (`None`: the record).
    fn fields(&mut self, parent: Option<V::Place>) -> Option<()> {
        let count = self.reader.varint().ok()?;
        for _ in 0..count {
            let len = self.reader.length().ok()?;
            let key = std::str::from_utf8(self.reader.take(len).ok()?).ok()?;
            match self.visitor.field(parent, key) {
                Some(at) => self.value(at)?,
                None => self.reader.skip_value().ok()?,
            }
        }
        Some(())
    }

    fn value(&mut self, at: V::Place) -> Option<()> {
        match self.reader.byte().ok()? {
            TAG_NULL => self.visitor.scalar(at, Scalar::Null),
            TAG_FALSE => self.visitor.scalar(at, Scalar::Bool(false)),
            TAG_TRUE => self.visitor.scalar(at, Scalar::Bool(true)),
            TAG_INT => {
                let n = Number::from(unzigzag(self.reader.varint().ok()?));
                self.visitor.scalar(at, Scalar::Number(&n));
            }
            TAG_UINT => {
                let n = Number::from(self.reader.varint().ok()?);
                self.visitor.scalar(at, Scalar::Number(&n));
            }
            TAG_FLOAT => {
                let raw: [u8; 8] = self.reader.take(8).ok()?.try_into().ok()?;
                let n = Number::from_f64(f64::from_le_bytes(raw))?;
                self.visitor.scalar(at, Scalar::Number(&n));
            }
            TAG_STRING => {
                let len = self.reader.length().ok()?;
                let text = std::str::from_utf8(self.reader.take(len).ok()?).ok()?;
                self.visitor.scalar(at, Scalar::String(text));
            }
            TAG_ARRAY => {
                self.visitor.container(at, Container::Array);
                let len = self.reader.length().ok()?;
                let end = self.reader.pos + len;
                let count = self.reader.varint().ok()?;
                let inner = match count {
                    0 => None,
                    _ => self.visitor.elements(at),
                };
                match inner {
                    Some(inner) => {
                        for _ in 0..count {
                            self.value(inner)?;
                        }
                    }
                    None => self.reader.pos = end,
                }
            }
            TAG_OBJECT => {
                self.visitor.container(at, Container::Object);
                self.reader.length().ok()?;
                self.fields(Some(at))?;
            }
            _ => return None,
        }
        Some(())
    }
}
