//! Filters: a MongoDB query document parsed once into a typed tree, then
//! matched against documents without allocating.
//!
//! Semantics follow MongoDB: each operator on a path is satisfied by any value
//! the path reaches (and by any element of an array found there), negations
//! (`$ne`, `$nin`, `$not`, `$nor`) negate that whole search, and `null`
//! equality also matches a missing field.

use std::cmp::Ordering;

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use super::value_mode::ValueMode;
use super::compare::{
    TypeBracket, compare_numbers, compare_values, parse_numeric_text, values_equal,
};
use super::path::FieldPath;
use crate::engine::{Document, json_type_name};
use crate::error::{Error, Result};

/// How deep `$and`/`$or`/`$not`/`$elemMatch` (and operand values) may nest;
/// deeper filters are refused instead of risking the stack. Tighter than
/// [`MAX_INPUT_DEPTH`](crate::engine::MAX_INPUT_DEPTH), which every filter is
/// held to first.
pub const MAX_FILTER_DEPTH: usize = 100;

/// Compiled `$regex` programs are capped so a pasted pattern cannot eat memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// A parsed filter. Parse once, match many documents.
#[derive(Debug, Clone)]
pub struct Filter {
    root: Node,
}

/// One constraint on one path that an index can answer with a superset of the
/// matching documents.
#[derive(Debug, Clone, PartialEq)]
pub struct PathConstraint {
    pub path: String,
    pub constraint: Constraint,
}

/// Index bounds on a path, in `encode_key` / `compare_values` order.
///
/// Each reported constraint is on its own a superset of the matches. Two
/// ranges on the same path (`{"a": {"$gt": 1, "$lt": 5}}`) are reported
/// separately: on an array field they may be met by different elements
/// (`a: [0, 9]` matches), so they may only be merged into one scan when the
/// index holds no array values for that path.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// Documents with this key.
    Eq(Value),
    /// Documents with any of these keys (sorted, distinct).
    In(Vec<Value>),
    /// Documents with a key within the bounds; `None` is unbounded. Bounds
    /// stay inside the operand's type bracket (e.g. numbers run from just
    /// above `null` to just below `""`).
    Range {
        lower: Option<(Value, bool)>,
        upper: Option<(Value, bool)>,
    },
}

#[derive(Debug, Clone)]
enum Node {
    /// All must match; empty matches everything.
    And(Vec<Node>),
    Or(Vec<Node>),
    Nor(Vec<Node>),
    Field {
        path: FieldPath,
        test: Test,
    },
}

/// What a field's value expression asks of the values at its path.
#[derive(Debug, Clone)]
enum Test {
    /// Some reached value (or element of a reached array) satisfies it.
    Leaf(Leaf),
    /// The path reaches a value (`$exists: true`).
    Exists,
    /// None of the reached values satisfies the inner test as a whole.
    Not(Box<Test>),
    /// Every inner test holds, each on its own (`{"$gt": 1, "$lt": 5}`).
    All(Vec<Test>),
}

#[derive(Debug, Clone)]
enum Leaf {
    Eq(Value),
    Cmp(CmpOp, Value),
    In(ValueSet),
    Regex(Regex),
    Type(TypeSet),
    Size(usize),
    /// `$elemMatch` with operators: one element satisfies all of them.
    ElemMatchValue(Box<Test>),
    /// `$elemMatch` with a sub-filter: one object element matches it.
    ElemMatchDocument(Box<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl CmpOp {
    fn accepts(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Gte => ord != Ordering::Less,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Lte => ord != Ordering::Greater,
        }
    }
}

/// `$in` operands, sorted by `compare_values` (so grouped by type bracket):
/// membership is a binary search within the value's own bracket, with no
/// hashing and no allocation.
#[derive(Debug, Clone)]
struct ValueSet {
    sorted: Vec<Value>,
    /// Where each type bracket's values start and end in `sorted`.
    brackets: [(usize, usize); 6],
    has_null: bool,
    has_number: bool,
}

impl ValueSet {
    fn new(mut values: Vec<Value>) -> ValueSet {
        values.sort_by(compare_values);
        values.dedup_by(|a, b| compare_values(a, b) == Ordering::Equal);
        let mut brackets = [(0, 0); 6];
        for (slot, bracket) in brackets.iter_mut().zip(ALL_BRACKETS) {
            let start = values.partition_point(|v| TypeBracket::of(v) < bracket);
            let end = values.partition_point(|v| TypeBracket::of(v) <= bracket);
            *slot = (start, end);
        }
        ValueSet {
            has_null: values.iter().any(Value::is_null),
            has_number: values.iter().any(Value::is_number),
            brackets,
            sorted: values,
        }
    }

    fn contains(&self, v: &Value) -> bool {
        let (start, end) = self.brackets[TypeBracket::of(v) as usize];
        let same_bracket = &self.sorted[start..end];
        match (v, same_bracket.len()) {
            (_, 0) => false,
            (_, 1..=3) => same_bracket.iter().any(|x| values_equal(x, v)),
            (Value::Number(n), _) => same_bracket
                .binary_search_by(|probe| match probe {
                    Value::Number(p) => compare_numbers(p, n),
                    _ => compare_values(probe, v),
                })
                .is_ok(),
            (Value::String(text), _) => same_bracket
                .binary_search_by(|probe| match probe {
                    Value::String(p) => p.as_bytes().cmp(text.as_bytes()),
                    _ => compare_values(probe, v),
                })
                .is_ok(),
            _ => same_bracket
                .binary_search_by(|probe| compare_values(probe, v))
                .is_ok(),
        }
    }
}

const ALL_BRACKETS: [TypeBracket; 6] = [
    TypeBracket::Null,
    TypeBracket::Number,
    TypeBracket::String,
    TypeBracket::Object,
    TypeBracket::Array,
    TypeBracket::Bool,
];

/// The `$type` names as a bit set over the kinds a JSON value can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TypeSet(u8);

impl TypeSet {
    const DOUBLE: u8 = 1;
    const STRING: u8 = 1 << 1;
    const OBJECT: u8 = 1 << 2;
    const ARRAY: u8 = 1 << 3;
    const BOOL: u8 = 1 << 4;
    const NULL: u8 = 1 << 5;
    const INT: u8 = 1 << 6;
    const LONG: u8 = 1 << 7;
    const NUMBER: u8 = Self::DOUBLE | Self::INT | Self::LONG;

    /// BSON type names and codes. Types JSON cannot hold (dates, object ids…)
    /// are accepted and match nothing, as in MongoDB on such data.
    fn bits_of_name(name: &str) -> Option<u8> {
        Some(match name {
            "double" => Self::DOUBLE,
            "string" => Self::STRING,
            "object" => Self::OBJECT,
            "array" => Self::ARRAY,
            "bool" => Self::BOOL,
            "null" => Self::NULL,
            "int" => Self::INT,
            "long" => Self::LONG,
            "number" => Self::NUMBER,
            "binData"
            | "undefined"
            | "objectId"
            | "date"
            | "regex"
            | "dbPointer"
            | "javascript"
            | "symbol"
            | "javascriptWithScope"
            | "timestamp"
            | "decimal"
            | "minKey"
            | "maxKey" => 0,
            _ => return None,
        })
    }

    fn bits_of_code(code: i64) -> Option<u8> {
        Some(match code {
            1 => Self::DOUBLE,
            2 => Self::STRING,
            3 => Self::OBJECT,
            4 => Self::ARRAY,
            8 => Self::BOOL,
            10 => Self::NULL,
            16 => Self::INT,
            18 => Self::LONG,
            5..=7 | 9 | 11..=15 | 17 | 19 | -1 | 127 => 0,
            _ => return None,
        })
    }

    fn bit_of_value(v: &Value) -> u8 {
        match v {
            Value::Null => Self::NULL,
            Value::Bool(_) => Self::BOOL,
            Value::String(_) => Self::STRING,
            Value::Object(_) => Self::OBJECT,
            Value::Array(_) => Self::ARRAY,
            Value::Number(n) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => Self::INT,
                Some(_) => Self::LONG,
                None if n.is_u64() => Self::LONG,
                None => Self::DOUBLE,
            },
        }
    }

    fn matches(self, v: &Value) -> bool {
        self.0 & Self::bit_of_value(v) != 0
    }
}

impl Filter {
    /// Parses a MongoDB filter document. Errors name the operator and path.
    pub fn parse(filter: &Value) -> Result<Filter> {
        crate::engine::nesting::check_input_depth(filter, "the filter", Error::InvalidQuery)?;
        Self::parse_unchecked(filter).map_err(crate::engine::shortened)
    }

    fn parse_unchecked(filter: &Value) -> Result<Filter> {
        let Value::Object(object) = filter else {
            return Err(Error::InvalidQuery(format!(
                "a filter must be a JSON object, not {}",
                json_type_name(filter)
            )));
        };
        Ok(Filter {
            root: parse_node(object, 0)?,
        })
    }

    /// The filter `{}`, which matches every document.
    pub fn match_all() -> Filter {
        Filter {
            root: Node::And(Vec::new()),
        }
    }

    /// Matches with typed values (native collections).
    pub fn matches(&self, doc: &Document) -> bool {
        self.root.matches(doc, ValueMode::Typed)
    }

    pub fn matches_in(&self, doc: &Document, mode: ValueMode) -> bool {
        self.root.matches(doc, mode)
    }

    /// True for `{}`: the engine may skip matching altogether.
    pub fn is_match_all(&self) -> bool {
        matches!(&self.root, Node::And(nodes) if nodes.is_empty())
    }

    /// Constraints on top-level-ANDed paths (also inside a top-level `$and`)
    /// that an index answers with a superset of the matches, for typed values.
    /// The top-level fields the filter reads: a document holding only these
    /// (and `_id`) matches exactly when the whole document does.
    pub fn top_level_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root.collect_roots(&mut out);
        out.sort();
        out.dedup();
        out
    }

    pub fn index_constraints(&self) -> Vec<PathConstraint> {
        self.index_constraints_in(ValueMode::Typed)
    }

    /// As [`Filter::index_constraints`], for a value mode. In `LegacyText`
    /// mode a number operand also matches numeric text, which an index keyed
    /// by the stored text cannot find, so constraints with number operands
    /// are left out.
    pub fn index_constraints_in(&self, mode: ValueMode) -> Vec<PathConstraint> {
        let mut out = Vec::new();
        self.root.collect_constraints(mode, &mut out);
        out
    }
}

impl Node {
    fn collect_roots(&self, out: &mut Vec<String>) {
        match self {
            Node::And(nodes) | Node::Or(nodes) | Node::Nor(nodes) => {
                nodes.iter().for_each(|n| n.collect_roots(out))
            }
            Node::Field { path, .. } => out.push(path.root().to_owned()),
        }
    }

    fn matches(&self, doc: &Document, mode: ValueMode) -> bool {
        match self {
            Node::And(nodes) => nodes.iter().all(|n| n.matches(doc, mode)),
            Node::Or(nodes) => nodes.iter().any(|n| n.matches(doc, mode)),
            Node::Nor(nodes) => !nodes.iter().any(|n| n.matches(doc, mode)),
            Node::Field { path, test } => test.matches_path(doc, path, mode),
        }
    }

    fn collect_constraints(&self, mode: ValueMode, out: &mut Vec<PathConstraint>) {
        match self {
            Node::And(nodes) => {
                for node in nodes {
                    node.collect_constraints(mode, out);
                }
            }
            Node::Field { path, test } => test.collect_constraints(path.as_str(), mode, out),
            Node::Or(_) | Node::Nor(_) => {}
        }
    }
}

impl Test {
    fn matches_path(&self, doc: &Document, path: &FieldPath, mode: ValueMode) -> bool {
        match self {
            Test::Leaf(leaf) => path.any(doc, &mut |found| leaf.matches_found(found, mode)),
            Test::Exists => path.any(doc, &mut |found| found.is_some()),
            Test::Not(inner) => !inner.matches_path(doc, path, mode),
            Test::All(tests) => tests.iter().all(|t| t.matches_path(doc, path, mode)),
        }
    }

    /// The test against one value, as `$elemMatch` applies it to an element.
    fn matches_found(&self, found: Option<&Value>, mode: ValueMode) -> bool {
        match self {
            Test::Leaf(leaf) => leaf.matches_found(found, mode),
            Test::Exists => found.is_some(),
            Test::Not(inner) => !inner.matches_found(found, mode),
            Test::All(tests) => tests.iter().all(|t| t.matches_found(found, mode)),
        }
    }

    fn collect_constraints(&self, path: &str, mode: ValueMode, out: &mut Vec<PathConstraint>) {
        let legacy = mode == ValueMode::LegacyText;
        let constraint = match self {
            Test::All(tests) => {
                for test in tests {
                    test.collect_constraints(path, mode, out);
                }
                return;
            }
            Test::Leaf(Leaf::Eq(v)) if !(legacy && v.is_number()) => Constraint::Eq(v.clone()),
            Test::Leaf(Leaf::In(set)) if !(legacy && set.has_number) => {
                Constraint::In(set.sorted.clone())
            }
            Test::Leaf(Leaf::Cmp(op, v)) if !(legacy && v.is_number()) => range_of(*op, v),
            _ => return,
        };
        out.push(PathConstraint {
            path: path.to_string(),
            constraint,
        });
    }
}

/// The index range of a comparison, kept inside the operand's type bracket
/// (MongoDB's comparisons never cross brackets).
fn range_of(op: CmpOp, v: &Value) -> Constraint {
    let bracket = TypeBracket::of(v);
    let (lower, upper) = match op {
        CmpOp::Gt => ((v.clone(), false), bracket_end(bracket)),
        CmpOp::Gte => ((v.clone(), true), bracket_end(bracket)),
        CmpOp::Lt => (bracket_start(bracket), (v.clone(), false)),
        CmpOp::Lte => (bracket_start(bracket), (v.clone(), true)),
    };
    Constraint::Range {
        lower: Some(lower),
        upper: Some(upper),
    }
}

fn bracket_start(bracket: TypeBracket) -> (Value, bool) {
    match bracket {
        TypeBracket::Null => (Value::Null, true),
        TypeBracket::Number => (Value::Null, false),
        TypeBracket::String => (Value::String(String::new()), true),
        TypeBracket::Object => (Value::Object(Map::new()), true),
        TypeBracket::Array => (Value::Array(Vec::new()), true),
        TypeBracket::Bool => (Value::Bool(false), true),
    }
}

fn bracket_end(bracket: TypeBracket) -> (Value, bool) {
    match bracket {
        TypeBracket::Null => (Value::Null, true),
        TypeBracket::Number => (Value::String(String::new()), false),
        TypeBracket::String => (Value::Object(Map::new()), false),
        TypeBracket::Object => (Value::Array(Vec::new()), false),
        TypeBracket::Array => (Value::Bool(false), false),
        TypeBracket::Bool => (Value::Bool(true), true),
    }
}

impl Leaf {
    fn matches_found(&self, found: Option<&Value>, mode: ValueMode) -> bool {
        let Some(value) = found else {
            return self.matches_missing();
        };
        if self.matches_value(value, mode) {
            return true;
        }
        match value {
            Value::Array(items) if self.opens_arrays() => {
                items.iter().any(|item| self.matches_value(item, mode))
            }
            _ => false,
        }
    }

    /// `{"f": null}`, `{"$in": [null]}`, `$gte`/`$lte` null match a missing field.
    fn matches_missing(&self) -> bool {
        match self {
            Leaf::Eq(v) => v.is_null(),
            Leaf::In(set) => set.has_null,
            Leaf::Cmp(CmpOp::Gte | CmpOp::Lte, v) => v.is_null(),
            _ => false,
        }
    }

    /// Operators that test the elements of an array as well as the array.
    fn opens_arrays(&self) -> bool {
        !matches!(
            self,
            Leaf::Size(_) | Leaf::ElemMatchValue(_) | Leaf::ElemMatchDocument(_)
        )
    }

    fn matches_value(&self, value: &Value, mode: ValueMode) -> bool {
        match self {
            Leaf::Eq(operand) => {
                values_equal(value, operand)
                    || legacy_numeric(value, operand, mode) == Some(Ordering::Equal)
            }
            Leaf::Cmp(op, operand) => {
                let ord = if TypeBracket::of(value) == TypeBracket::of(operand) {
                    Some(compare_values(value, operand))
                } else {
                    legacy_numeric(value, operand, mode)
                };
                ord.is_some_and(|ord| op.accepts(ord))
            }
            Leaf::In(set) => {
                set.contains(value)
                    || (set.has_number
                        && mode == ValueMode::LegacyText
                        && legacy_number_value(value).is_some_and(|n| set.contains(&n)))
            }
            Leaf::Regex(regex) => value.as_str().is_some_and(|s| regex.is_match(s)),
            Leaf::Type(types) => types.matches(value),
            Leaf::Size(size) => value.as_array().is_some_and(|items| items.len() == *size),
            Leaf::ElemMatchValue(test) => value.as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|item| test.matches_found(Some(item), mode))
            }),
            Leaf::ElemMatchDocument(node) => value.as_array().is_some_and(|items| {
                items
                    .iter()
                    .filter_map(Value::as_object)
                    .any(|object| node.matches(object, mode))
            }),
        }
    }
}

/// In legacy text mode, numeric text against a number operand compares as
/// the number it spells; otherwise there is no comparison.
fn legacy_numeric(value: &Value, operand: &Value, mode: ValueMode) -> Option<Ordering> {
    if mode != ValueMode::LegacyText {
        return None;
    }
    match (value, operand) {
        (Value::String(text), Value::Number(n)) => {
            parse_numeric_text(text).map(|parsed| compare_numbers(&parsed, n))
        }
        _ => None,
    }
}

fn legacy_number_value(value: &Value) -> Option<Value> {
    value
        .as_str()
        .and_then(parse_numeric_text)
        .map(Value::Number)
}

// ---------------------------------------------------------------- parsing

fn invalid(message: String) -> Error {
    Error::InvalidQuery(message)
}

fn check_depth(depth: usize, where_: &str) -> Result<()> {
    if depth > MAX_FILTER_DEPTH {
        return Err(invalid(format!(
            "filter nests deeper than {MAX_FILTER_DEPTH} levels at {where_}"
        )));
    }
    Ok(())
}

/// True when `v` nests deeper than `limit` (stops looking at the limit, so the
/// check itself cannot overflow the stack).
fn nests_deeper_than(v: &Value, limit: usize) -> bool {
    match v {
        Value::Array(items) => limit == 0 || items.iter().any(|i| nests_deeper_than(i, limit - 1)),
        Value::Object(fields) => {
            limit == 0 || fields.values().any(|i| nests_deeper_than(i, limit - 1))
        }
        _ => false,
    }
}

fn operand(v: &Value, op: &str, path: &str) -> Result<Value> {
    if nests_deeper_than(v, MAX_FILTER_DEPTH) {
        return Err(invalid(format!(
            "the operand of {op} at path {path:?} nests deeper than {MAX_FILTER_DEPTH} levels"
        )));
    }
    Ok(v.clone())
}

fn parse_node(object: &Map<String, Value>, depth: usize) -> Result<Node> {
    check_depth(depth, "the filter")?;
    let mut nodes = Vec::with_capacity(object.len());
    for (key, value) in object {
        if key.starts_with('$') {
            match key.as_str() {
                "$and" => nodes.push(Node::And(parse_clauses(key, value, depth)?)),
                "$or" => nodes.push(Node::Or(parse_clauses(key, value, depth)?)),
                "$nor" => nodes.push(Node::Nor(parse_clauses(key, value, depth)?)),
                "$comment" => {}
                "$not" => {
                    return Err(invalid(
                        "$not must be applied to a field: {\"field\": {\"$not\": {...}}}; use $nor to negate a whole filter".to_string(),
                    ));
                }
                _ => {
                    return Err(invalid(format!("unknown top-level operator {key}")));
                }
            }
            continue;
        }
        let path =
            FieldPath::parse(key).map_err(|reason| invalid(format!("in the filter: {reason}")))?;
        let test = parse_field_value(key, value, depth)?;
        nodes.push(Node::Field { path, test });
    }
    Ok(if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        Node::And(nodes)
    })
}

fn parse_clauses(op: &str, value: &Value, depth: usize) -> Result<Vec<Node>> {
    let Value::Array(items) = value else {
        return Err(invalid(format!(
            "{op} needs an array of filters, not {}",
            json_type_name(value)
        )));
    };
    if items.is_empty() {
        return Err(invalid(format!("{op} needs a non-empty array of filters")));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(object) => parse_node(object, depth + 1),
            other => Err(invalid(format!(
                "{op} element {i} must be a filter object, not {}",
                json_type_name(other)
            ))),
        })
        .collect()
}

fn is_operator_object(value: &Value) -> bool {
    matches!(value, Value::Object(o) if o.keys().any(|k| k.starts_with('$')))
}

fn parse_field_value(path: &str, value: &Value, depth: usize) -> Result<Test> {
    match value {
        Value::Object(object) if is_operator_object(value) => {
            parse_operators(path, object, depth + 1)
        }
        _ => Ok(Test::Leaf(Leaf::Eq(operand(value, "equality", path)?))),
    }
}

fn parse_operators(path: &str, object: &Map<String, Value>, depth: usize) -> Result<Test> {
    check_depth(depth, &format!("path {path:?}"))?;
    let mut tests = Vec::with_capacity(object.len());
    for (op, arg) in object {
        let test = match op.as_str() {
            "$eq" => Test::Leaf(Leaf::Eq(operand(arg, op, path)?)),
            "$ne" => Test::Not(Box::new(Test::Leaf(Leaf::Eq(operand(arg, op, path)?)))),
            "$gt" => Test::Leaf(Leaf::Cmp(CmpOp::Gt, operand(arg, op, path)?)),
            "$gte" => Test::Leaf(Leaf::Cmp(CmpOp::Gte, operand(arg, op, path)?)),
            "$lt" => Test::Leaf(Leaf::Cmp(CmpOp::Lt, operand(arg, op, path)?)),
            "$lte" => Test::Leaf(Leaf::Cmp(CmpOp::Lte, operand(arg, op, path)?)),
            "$in" => Test::Leaf(Leaf::In(parse_in(op, arg, path)?)),
            "$nin" => Test::Not(Box::new(Test::Leaf(Leaf::In(parse_in(op, arg, path)?)))),
            "$exists" => {
                if truthy(op, arg, path)? {
                    Test::Exists
                } else {
                    Test::Not(Box::new(Test::Exists))
                }
            }
            "$type" => Test::Leaf(Leaf::Type(parse_type(arg, path)?)),
            "$regex" => Test::Leaf(Leaf::Regex(parse_regex(arg, object.get("$options"), path)?)),
            "$options" => {
                if !object.contains_key("$regex") {
                    return Err(invalid(format!(
                        "$options at path {path:?} needs a $regex beside it"
                    )));
                }
                continue;
            }
            "$not" => match arg {
                Value::Object(inner)
                    if !inner.is_empty() && inner.keys().all(|k| k.starts_with('$')) =>
                {
                    Test::Not(Box::new(parse_operators(path, inner, depth + 1)?))
                }
                _ => {
                    return Err(invalid(format!(
                        "$not at path {path:?} needs an operator expression such as {{\"$gt\": 5}}, not {}",
                        json_type_name(arg)
                    )));
                }
            },
            "$size" => Test::Leaf(Leaf::Size(parse_size(arg, path)?)),
            "$all" => parse_all(arg, path, depth)?,
            "$elemMatch" => Test::Leaf(parse_elem_match(arg, path, depth)?),
            _ if op.starts_with('$') => {
                return Err(invalid(format!("unknown operator {op} at path {path:?}")));
            }
            _ => {
                return Err(invalid(format!(
                    "the value of path {path:?} mixes operators and the field name {op:?}; \
                     use either {{\"$op\": ...}} or a plain value"
                )));
            }
        };
        tests.push(test);
    }
    Ok(if tests.len() == 1 {
        tests.remove(0)
    } else {
        Test::All(tests)
    })
}

fn parse_in(op: &str, arg: &Value, path: &str) -> Result<ValueSet> {
    let Value::Array(items) = arg else {
        return Err(invalid(format!(
            "{op} at path {path:?} needs an array, not {}",
            json_type_name(arg)
        )));
    };
    for item in items {
        if is_operator_object(item) {
            return Err(invalid(format!(
                "{op} at path {path:?} cannot hold an operator expression"
            )));
        }
    }
    Ok(ValueSet::new(operand(arg, op, path).map(|v| match v {
        Value::Array(items) => items,
        _ => Vec::new(),
    })?))
}

fn truthy(op: &str, arg: &Value, path: &str) -> Result<bool> {
    match arg {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        Value::Null => Ok(false),
        _ => Err(invalid(format!(
            "{op} at path {path:?} needs true or false, not {}",
            json_type_name(arg)
        ))),
    }
}

fn parse_type(arg: &Value, path: &str) -> Result<TypeSet> {
    let one = |v: &Value| -> Result<u8> {
        let bits = match v {
            Value::String(name) => TypeSet::bits_of_name(name),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .and_then(TypeSet::bits_of_code),
            _ => None,
        };
        bits.ok_or_else(|| {
            invalid(format!(
                "$type at path {path:?}: unknown type {v}; use \"null\", \"bool\", \"number\", \
                 \"int\", \"long\", \"double\", \"string\", \"object\" or \"array\""
            ))
        })
    };
    match arg {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .try_fold(TypeSet(0), |acc, v| Ok(TypeSet(acc.0 | one(v)?))),
        Value::Array(_) => Err(invalid(format!(
            "$type at path {path:?} needs at least one type"
        ))),
        _ => Ok(TypeSet(one(arg)?)),
    }
}

fn parse_regex(arg: &Value, options: Option<&Value>, path: &str) -> Result<Regex> {
    let Value::String(pattern) = arg else {
        return Err(invalid(format!(
            "$regex at path {path:?} needs a pattern string, not {}",
            json_type_name(arg)
        )));
    };
    let options = match options {
        None => "",
        Some(Value::String(o)) => o.as_str(),
        Some(other) => {
            return Err(invalid(format!(
                "$options at path {path:?} must be a string of flags, not {}",
                json_type_name(other)
            )));
        }
    };
    let mut builder = RegexBuilder::new(pattern);
    builder
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT);
    for flag in options.chars() {
        match flag {
            'i' => builder.case_insensitive(true),
            'm' => builder.multi_line(true),
            's' => builder.dot_matches_new_line(true),
            'x' => builder.ignore_whitespace(true),
            _ => {
                return Err(invalid(format!(
                    "$options at path {path:?}: unknown flag {flag:?} (use i, m, s, x)"
                )));
            }
        };
    }
    builder.build().map_err(|e| {
        invalid(format!(
            "$regex at path {path:?}: invalid pattern {pattern:?}: {}",
            e.to_string().replace('\n', " ")
        ))
    })
}

fn parse_size(arg: &Value, path: &str) -> Result<usize> {
    let size = match arg {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        _ => None,
    };
    size.and_then(|s| usize::try_from(s).ok()).ok_or_else(|| {
        invalid(format!(
            "$size at path {path:?} needs a non-negative whole number, not {arg}"
        ))
    })
}

fn parse_all(arg: &Value, path: &str, depth: usize) -> Result<Test> {
    let Value::Array(items) = arg else {
        return Err(invalid(format!(
            "$all at path {path:?} needs an array, not {}",
            json_type_name(arg)
        )));
    };
    if items.is_empty() {
        // MongoDB: an empty $all matches nothing.
        return Ok(Test::Leaf(Leaf::In(ValueSet::new(Vec::new()))));
    }
    let tests = items
        .iter()
        .map(|item| match item {
            Value::Object(object) if object.len() == 1 && object.contains_key("$elemMatch") => {
                parse_elem_match(&object["$elemMatch"], path, depth).map(Test::Leaf)
            }
            _ if is_operator_object(item) => Err(invalid(format!(
                "$all at path {path:?} takes values or {{\"$elemMatch\": ...}} objects"
            ))),
            _ => Ok(Test::Leaf(Leaf::Eq(operand(item, "$all", path)?))),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Test::All(tests))
}

fn parse_elem_match(arg: &Value, path: &str, depth: usize) -> Result<Leaf> {
    let Value::Object(object) = arg else {
        return Err(invalid(format!(
            "$elemMatch at path {path:?} needs an object, not {}",
            json_type_name(arg)
        )));
    };
    let value_form = object.keys().next().is_some_and(|first| {
        first.starts_with('$') && !matches!(first.as_str(), "$and" | "$or" | "$nor" | "$comment")
    });
    if value_form {
        Ok(Leaf::ElemMatchValue(Box::new(parse_operators(
            path,
            object,
            depth + 1,
        )?)))
    } else {
        Ok(Leaf::ElemMatchDocument(Box::new(parse_node(
            object,
            depth + 1,
        )?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    fn filter(v: Value) -> Filter {
        Filter::parse(&v).unwrap_or_else(|e| panic!("{v} should parse: {e}"))
    }

    /// (filter, document, expected) in typed mode.
    fn check(cases: &[(Value, Value, bool)]) {
        for (f, d, want) in cases {
            assert_eq!(
                filter(f.clone()).matches(&doc(d.clone())),
                *want,
                "filter {f} on {d}"
            );
        }
    }

    fn parse_error(v: Value) -> String {
        match Filter::parse(&v) {
            Err(Error::InvalidQuery(message)) => message,
            Err(other) => panic!("{v}: wrong error kind {other}"),
            Ok(_) => panic!("{v} should not parse"),
        }
    }

    #[test]
    fn equality_matches_values_arrays_elements_and_numbers_by_value() {
        check(&[
            (json!({"name": "Alice"}), json!({"name": "Alice"}), true),
            (json!({"name": "Alice"}), json!({"name": "alice"}), false),
            (json!({"name": "Alice"}), json!({}), false),
            (json!({"age": 30}), json!({"age": 30.0}), true),
            (json!({"age": 30.0}), json!({"age": 30}), true),
            (json!({"age": 30}), json!({"age": "30"}), false),
            (json!({"tags": "x"}), json!({"tags": ["y", "x"]}), true),
            (
                json!({"tags": ["y", "x"]}),
                json!({"tags": ["y", "x"]}),
                true,
            ),
            (
                json!({"tags": ["x", "y"]}),
                json!({"tags": ["y", "x"]}),
                false,
            ),
            (json!({"tags": ["x"]}), json!({"tags": [["x"], "z"]}), true),
            (
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"b": 1, "c": 2}}),
                true,
            ),
            (
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"c": 2, "b": 1}}),
                false,
            ),
            (json!({"a": {}}), json!({"a": {}}), true),
            (json!({"active": true}), json!({"active": 1}), false),
            (
                json!({"name": "Alice", "age": 30}),
                json!({"name": "Alice", "age": 31}),
                false,
            ),
            (json!({}), json!({"anything": 1}), true),
        ]);
    }

    #[test]
    fn null_equality_matches_null_and_missing_but_not_scalar_arrays() {
        check(&[
            (json!({"f": null}), json!({"f": null}), true),
            (json!({"f": null}), json!({}), true),
            (json!({"f": null}), json!({"f": 0}), false),
            (json!({"f": null}), json!({"f": [1, null]}), true),
            (json!({"a.b": null}), json!({"a": {"c": 1}}), true),
            (json!({"a.b": null}), json!({"a": 5}), true),
            // MongoDB's jstests/core/null2.js
            (json!({"a.b": null}), json!({"a": [{"b": 5}]}), false),
            (json!({"a.b": null}), json!({"a": [{}]}), true),
            (json!({"a.b": null}), json!({"a": []}), false),
            (json!({"a.b": null}), json!({"a": [{}, {"b": 5}]}), true),
            (json!({"a.b": null}), json!({"a": [5, {"b": 5}]}), false),
            (json!({"a.b": {"$in": [null]}}), json!({"a": [{}]}), true),
            (json!({"f": {"$ne": null}}), json!({}), false),
            (json!({"f": {"$ne": null}}), json!({"f": 1}), true),
            (json!({"f": {"$gte": null}}), json!({}), true),
            (json!({"f": {"$gt": null}}), json!({"f": null}), false),
        ]);
    }

    #[test]
    fn comparisons_stay_within_the_type_bracket() {
        check(&[
            (json!({"age": {"$gt": 20}}), json!({"age": 30}), true),
            (json!({"age": {"$gt": 20}}), json!({"age": 20}), false),
            (json!({"age": {"$gte": 20}}), json!({"age": 20.0}), true),
            (json!({"age": {"$lt": 20}}), json!({"age": -5.5}), true),
            (json!({"age": {"$lte": 20}}), json!({"age": 21}), false),
            (json!({"age": {"$gt": 20}}), json!({"age": "30"}), false),
            (json!({"age": {"$lt": 20}}), json!({"age": null}), false),
            (json!({"age": {"$lt": 20}}), json!({}), false),
            (json!({"name": {"$gt": "B"}}), json!({"name": "Bob"}), true),
            (json!({"name": {"$gt": "B"}}), json!({"name": 5}), false),
            (json!({"name": {"$lt": "b"}}), json!({"name": "B"}), true),
            (json!({"flag": {"$gt": false}}), json!({"flag": true}), true),
            (json!({"flag": {"$gt": false}}), json!({"flag": 1}), false),
            (
                json!({"age": {"$gt": 20, "$lt": 30}}),
                json!({"age": 25}),
                true,
            ),
            (
                json!({"age": {"$gt": 20, "$lt": 30}}),
                json!({"age": 35}),
                false,
            ),
            // each operator may be met by a different element
            (
                json!({"age": {"$gt": 20, "$lt": 30}}),
                json!({"age": [10, 40]}),
                true,
            ),
            (
                json!({"scores": {"$gt": 90}}),
                json!({"scores": [50, 95]}),
                true,
            ),
            (
                json!({"scores": {"$gt": 90}}),
                json!({"scores": [50, 60]}),
                false,
            ),
            (
                json!({"n": {"$gt": 9_007_199_254_740_992_u64}}),
                json!({"n": 9_007_199_254_740_993_u64}),
                true,
            ),
            (
                json!({"n": {"$gt": 9_007_199_254_740_992.0}}),
                json!({"n": 9_007_199_254_740_993_u64}),
                true,
            ),
        ]);
    }

    #[test]
    fn ne_eq_in_nin_semantics() {
        check(&[
            (json!({"a": {"$eq": 1}}), json!({"a": [0, 1]}), true),
            (json!({"a": {"$ne": 1}}), json!({"a": 2}), true),
            (json!({"a": {"$ne": 1}}), json!({}), true),
            (json!({"a": {"$ne": 1}}), json!({"a": [0, 1]}), false),
            (json!({"a": {"$ne": 1}}), json!({"a": 1.0}), false),
            (
                json!({"s": {"$in": ["active", "pending"]}}),
                json!({"s": "pending"}),
                true,
            ),
            (
                json!({"s": {"$in": ["active", "pending"]}}),
                json!({"s": "closed"}),
                false,
            ),
            (
                json!({"s": {"$in": ["active"]}}),
                json!({"s": ["x", "active"]}),
                true,
            ),
            (json!({"s": {"$in": []}}), json!({"s": 1}), false),
            (
                json!({"s": {"$in": [1, 2, 3, 4, 5, 6, 7, "x", null]}}),
                json!({"s": 6.0}),
                true,
            ),
            (
                json!({"s": {"$in": [1, 2, 3, 4, 5, 6, 7, "x", null]}}),
                json!({}),
                true,
            ),
            (
                json!({"s": {"$in": [1, 2, 3, 4, 5, 6, 7, "x"]}}),
                json!({"s": "y"}),
                false,
            ),
            (json!({"s": {"$in": [[1, 2]]}}), json!({"s": [1, 2]}), true),
        ]);
        let big = json!({"s": {"$in": ["a", "b", "c", "d", "e", 1, 2.5, 7, 9, [1], [2], {"k": 1}, {"k": 2}, true, null]}});
        check(&[
            (big.clone(), json!({"s": "d"}), true),
            (big.clone(), json!({"s": "dd"}), false),
            (big.clone(), json!({"s": 2.5}), true),
            (big.clone(), json!({"s": 9.0}), true),
            (big.clone(), json!({"s": 2}), false),
            (big.clone(), json!({"s": [1]}), true),
            (big.clone(), json!({"s": [3, 1]}), true),
            (big.clone(), json!({"s": [[2]]}), true),
            (big.clone(), json!({"s": [[3]]}), false),
            (big.clone(), json!({"s": {"k": 2}}), true),
            (big.clone(), json!({"s": {"k": 3}}), false),
            (big.clone(), json!({"s": true}), true),
            (big.clone(), json!({"s": false}), false),
            (big.clone(), json!({}), true),
            (json!({"s": {"$nin": ["a", "b"]}}), json!({"s": "c"}), true),
            (json!({"s": {"$nin": ["a", "b"]}}), json!({}), true),
            (
                json!({"s": {"$nin": ["a", "b"]}}),
                json!({"s": ["c", "a"]}),
                false,
            ),
        ]);
    }

    #[test]
    fn exists_and_type() {
        check(&[
            (json!({"a": {"$exists": true}}), json!({"a": null}), true),
            (json!({"a": {"$exists": true}}), json!({}), false),
            (json!({"a": {"$exists": false}}), json!({}), true),
            (json!({"a": {"$exists": false}}), json!({"a": 1}), false),
            (
                json!({"a.b": {"$exists": true}}),
                json!({"a": [{"c": 1}, {"b": 2}]}),
                true,
            ),
            (
                json!({"a.b": {"$exists": false}}),
                json!({"a": [{"c": 1}, {"b": 2}]}),
                false,
            ),
            (json!({"a": {"$exists": 1}}), json!({"a": 0}), true),
            (json!({"a": {"$type": "string"}}), json!({"a": "x"}), true),
            (json!({"a": {"$type": "string"}}), json!({"a": 1}), false),
            (json!({"a": {"$type": "number"}}), json!({"a": 1.5}), true),
            (json!({"a": {"$type": "int"}}), json!({"a": 7}), true),
            (json!({"a": {"$type": "int"}}), json!({"a": 7.5}), false),
            (
                json!({"a": {"$type": "long"}}),
                json!({"a": 5_000_000_000_i64}),
                true,
            ),
            (json!({"a": {"$type": "double"}}), json!({"a": 7.5}), true),
            (json!({"a": {"$type": "null"}}), json!({"a": null}), true),
            (json!({"a": {"$type": "null"}}), json!({}), false),
            (json!({"a": {"$type": "bool"}}), json!({"a": false}), true),
            (json!({"a": {"$type": "object"}}), json!({"a": {}}), true),
            (json!({"a": {"$type": "array"}}), json!({"a": []}), true),
            (json!({"a": {"$type": "array"}}), json!({"a": {}}), false),
            (
                json!({"a": {"$type": "string"}}),
                json!({"a": [1, "x"]}),
                true,
            ),
            (
                json!({"a": {"$type": ["string", "null"]}}),
                json!({"a": null}),
                true,
            ),
            (json!({"a": {"$type": 2}}), json!({"a": "x"}), true),
            (
                json!({"a": {"$type": "date"}}),
                json!({"a": "2024-01-01"}),
                false,
            ),
        ]);
    }

    #[test]
    fn logical_operators() {
        check(&[
            (
                json!({"$and": [{"a": 1}, {"b": 2}]}),
                json!({"a": 1, "b": 2}),
                true,
            ),
            (
                json!({"$and": [{"a": 1}, {"b": 2}]}),
                json!({"a": 1, "b": 3}),
                false,
            ),
            (
                json!({"$or": [{"a": 1}, {"b": 2}]}),
                json!({"a": 0, "b": 2}),
                true,
            ),
            (
                json!({"$or": [{"a": 1}, {"b": 2}]}),
                json!({"a": 0, "b": 0}),
                false,
            ),
            (
                json!({"$nor": [{"a": 1}, {"b": 2}]}),
                json!({"a": 0, "b": 0}),
                true,
            ),
            (
                json!({"$nor": [{"a": 1}, {"b": 2}]}),
                json!({"a": 1}),
                false,
            ),
            (json!({"a": {"$not": {"$gt": 5}}}), json!({"a": 3}), true),
            (json!({"a": {"$not": {"$gt": 5}}}), json!({"a": 9}), false),
            (json!({"a": {"$not": {"$gt": 5}}}), json!({}), true),
            (json!({"a": {"$not": {"$gt": 5}}}), json!({"a": "x"}), true),
            (
                json!({"$or": [{"a": {"$gt": 5}}, {"$and": [{"b": 1}, {"c": {"$exists": false}}]}]}),
                json!({"b": 1}),
                true,
            ),
            (json!({"a": 1, "$comment": "why"}), json!({"a": 1}), true),
        ]);
    }

    #[test]
    fn regex_with_options() {
        check(&[
            (json!({"n": {"$regex": "^Al"}}), json!({"n": "Alice"}), true),
            (
                json!({"n": {"$regex": "^al"}}),
                json!({"n": "Alice"}),
                false,
            ),
            (
                json!({"n": {"$regex": "^al", "$options": "i"}}),
                json!({"n": "Alice"}),
                true,
            ),
            (
                json!({"n": {"$regex": "^b", "$options": "m"}}),
                json!({"n": "a\nb"}),
                true,
            ),
            (json!({"n": {"$regex": "^b"}}), json!({"n": "a\nb"}), false),
            (
                json!({"n": {"$regex": "a.b", "$options": "s"}}),
                json!({"n": "a\nb"}),
                true,
            ),
            (json!({"n": {"$regex": "a.b"}}), json!({"n": "a\nb"}), false),
            (
                json!({"n": {"$regex": "a b # comment", "$options": "x"}}),
                json!({"n": "ab"}),
                true,
            ),
            (json!({"n": {"$regex": "1"}}), json!({"n": 1}), false),
            (
                json!({"n": {"$regex": "^x"}}),
                json!({"n": ["a", "xy"]}),
                true,
            ),
            (
                json!({"n": {"$not": {"$regex": "^x"}}}),
                json!({"n": "abc"}),
                true,
            ),
        ]);
    }

    #[test]
    fn array_operators_size_all_elem_match() {
        check(&[
            (json!({"t": {"$size": 2}}), json!({"t": [1, 2]}), true),
            (json!({"t": {"$size": 2}}), json!({"t": [1]}), false),
            (json!({"t": {"$size": 0}}), json!({"t": []}), true),
            (json!({"t": {"$size": 1}}), json!({"t": "x"}), false),
            (json!({"t": {"$size": 1}}), json!({"t": [[1, 2]]}), true),
            (
                json!({"t": {"$all": ["a", "b"]}}),
                json!({"t": ["b", "c", "a"]}),
                true,
            ),
            (
                json!({"t": {"$all": ["a", "b"]}}),
                json!({"t": ["a", "c"]}),
                false,
            ),
            (json!({"t": {"$all": ["a"]}}), json!({"t": "a"}), true),
            (json!({"t": {"$all": []}}), json!({"t": []}), false),
            (
                json!({"t": {"$all": [["a", "b"]]}}),
                json!({"t": ["a", "b"]}),
                true,
            ),
            (
                json!({"r": {"$elemMatch": {"$gte": 80, "$lt": 85}}}),
                json!({"r": [82, 90]}),
                true,
            ),
            (
                json!({"r": {"$elemMatch": {"$gte": 80, "$lt": 85}}}),
                json!({"r": [79, 90]}),
                false,
            ),
            (
                json!({"r": {"$elemMatch": {"$gte": 80}}}),
                json!({"r": 90}),
                false,
            ),
            (
                json!({"i": {"$elemMatch": {"p": "x", "q": {"$gt": 1}}}}),
                json!({"i": [{"p": "x", "q": 1}, {"p": "y", "q": 5}]}),
                false,
            ),
            (
                json!({"i": {"$elemMatch": {"p": "x", "q": {"$gt": 1}}}}),
                json!({"i": [{"p": "x", "q": 2}]}),
                true,
            ),
            (
                json!({"i": {"p": "x", "q": 1}}),
                json!({"i": [{"p": "x", "q": 1}]}),
                true,
            ),
            (
                json!({"i": {"$elemMatch": {"$or": [{"p": "z"}, {"q": 1}]}}}),
                json!({"i": [{"p": "x", "q": 1}]}),
                true,
            ),
            (
                json!({"t": {"$all": [{"$elemMatch": {"$gt": 5}}, {"$elemMatch": {"$lt": 2}}]}}),
                json!({"t": [1, 9]}),
                true,
            ),
            (
                json!({"t": {"$all": [{"$elemMatch": {"$gt": 5}}, {"$elemMatch": {"$lt": 2}}]}}),
                json!({"t": [3, 9]}),
                false,
            ),
        ]);
    }

    #[test]
    fn dot_paths_into_objects_arrays_and_positions() {
        check(&[
            (
                json!({"address.city": "Oslo"}),
                json!({"address": {"city": "Oslo"}}),
                true,
            ),
            (
                json!({"address.city": "Oslo"}),
                json!({"address": "Oslo"}),
                false,
            ),
            (json!({"tags.0": "x"}), json!({"tags": ["x", "y"]}), true),
            (json!({"tags.1": "x"}), json!({"tags": ["x", "y"]}), false),
            (
                json!({"tags.0": {"$exists": true}}),
                json!({"tags": []}),
                false,
            ),
            (
                json!({"items.price": {"$gt": 10}}),
                json!({"items": [{"price": 5}, {"price": 15}]}),
                true,
            ),
            (
                json!({"items.price": {"$gt": 10}}),
                json!({"items": [{"price": 5}, {"price": 7}]}),
                false,
            ),
            (
                json!({"items.price": 5}),
                json!({"items": {"price": 5}}),
                true,
            ),
            (
                json!({"items.0.price": 5}),
                json!({"items": [{"price": 5}]}),
                true,
            ),
            (json!({"a.b.c": 1}), json!({"a": [{"b": [{"c": 1}]}]}), true),
            (json!({"a.b": 1}), json!({"a": [[{"b": 1}]]}), false),
        ]);
    }

    #[test]
    fn legacy_text_mode_matches_numeric_text_for_number_operands() {
        let cases: &[(Value, Value, bool, bool)] = &[
            // filter, doc, typed, legacy
            (
                json!({"age": {"$gt": 20}}),
                json!({"age": "30"}),
                false,
                true,
            ),
            (json!({"age": 30}), json!({"age": "30"}), false, true),
            (json!({"age": 30}), json!({"age": "30.0"}), false, true),
            (json!({"age": 30}), json!({"age": 30}), true, true),
            (
                json!({"age": {"$lt": 20}}),
                json!({"age": "30"}),
                false,
                false,
            ),
            (
                json!({"age": {"$gt": 20}}),
                json!({"age": "abc"}),
                false,
                false,
            ),
            (
                json!({"age": {"$in": [30, 40]}}),
                json!({"age": "40"}),
                false,
                true,
            ),
            (
                json!({"age": {"$nin": [30, 40]}}),
                json!({"age": "40"}),
                true,
                false,
            ),
            (
                json!({"age": {"$ne": 30}}),
                json!({"age": "30"}),
                true,
                false,
            ),
            (json!({"n": "30"}), json!({"n": "30"}), true, true),
            (
                json!({"big": {"$gt": 1e15}}),
                json!({"big": "1e+16"}),
                false,
                true,
            ),
            (json!({"flag": true}), json!({"flag": "True"}), false, false),
        ];
        for (f, d, typed, legacy) in cases {
            let parsed = filter(f.clone());
            let d = doc(d.clone());
            assert_eq!(
                parsed.matches_in(&d, ValueMode::Typed),
                *typed,
                "typed {f} on {d:?}"
            );
            assert_eq!(
                parsed.matches_in(&d, ValueMode::LegacyText),
                *legacy,
                "legacy {f} on {d:?}"
            );
        }
    }

    #[test]
    fn seed_examples_parse_and_match() {
        let alice = doc(json!({"_id": "1", "name": "Alice", "age": 30, "status": "active"}));
        let cases = [
            json!({"name": "Alice"}),
            json!({"age": {"$gt": 20}}),
            json!({"age": {"$gt": 20, "$lt": 31}}),
            json!({"status": {"$in": ["active", "pending"]}}),
            json!({"age": {"$gt": 20, "$lt": 31}, "status": {"$in": ["active"]}}),
        ];
        for f in cases {
            assert!(filter(f.clone()).matches(&alice), "{f}");
        }
    }

    #[test]
    fn errors_name_the_operator_and_path() {
        let cases: &[(Value, &[&str])] = &[
            (json!([1]), &["JSON object", "an array"]),
            (json!("x"), &["JSON object"]),
            (json!({"age": {"$foo": 1}}), &["$foo", "\"age\""]),
            (json!({"$foo": []}), &["$foo"]),
            (json!({"$where": "x"}), &["$where"]),
            (json!({"a": {"$in": 5}}), &["$in", "\"a\""]),
            (json!({"a": {"$nin": "x"}}), &["$nin"]),
            (json!({"$or": {}}), &["$or"]),
            (json!({"$and": []}), &["$and", "non-empty"]),
            (json!({"$or": [1]}), &["$or", "element 0"]),
            (
                json!({"a": {"$regex": "("}}),
                &["$regex", "\"a\"", "invalid pattern"],
            ),
            (json!({"a": {"$regex": "(?<=x)y"}}), &["$regex"]),
            (
                json!({"a": {"$regex": "x", "$options": "q"}}),
                &["$options", "'q'"],
            ),
            (json!({"a": {"$options": "i"}}), &["$options", "$regex"]),
            (json!({"a": {"$regex": 5}}), &["$regex"]),
            (json!({"a": {"$type": "widget"}}), &["$type", "widget"]),
            (json!({"a": {"$size": -1}}), &["$size"]),
            (json!({"a": {"$size": 1.5}}), &["$size"]),
            (json!({"a": {"$not": 5}}), &["$not", "\"a\""]),
            (json!({"a": {"$not": {}}}), &["$not"]),
            (json!({"a": {"$all": 5}}), &["$all"]),
            (json!({"a": {"$elemMatch": 5}}), &["$elemMatch"]),
            (json!({"a": {"$exists": "yes"}}), &["$exists"]),
            (json!({"a": {"$gt": 1, "b": 2}}), &["mixes", "\"b\""]),
            (json!({"a..b": 1}), &["empty segment"]),
            (json!({"$not": {"a": 1}}), &["$not", "$nor"]),
            (json!({"a": {"$in": [{"$gt": 1}]}}), &["$in"]),
        ];
        for (f, needles) in cases {
            let message = parse_error(f.clone());
            for needle in *needles {
                assert!(
                    message.contains(needle),
                    "error for {f}: {message:?} lacks {needle:?}"
                );
            }
        }
    }

    #[test]
    fn regex_size_is_bounded() {
        let message = parse_error(json!({"a": {"$regex": "(?:\\w{500}){500}"}}));
        assert!(message.contains("$regex"), "{message}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut f = json!({"a": 1});
        for _ in 0..300 {
            f = json!({"$and": [f]});
        }
        assert!(parse_error(f).contains("deeper than"));
        let mut f = json!({"$gt": 1});
        for _ in 0..300 {
            f = json!({"$not": f});
        }
        assert!(parse_error(json!({"a": f})).contains("deeper than"));
        let mut f = json!({"b": 1});
        for _ in 0..300 {
            f = json!({"$elemMatch": f});
        }
        assert!(parse_error(json!({"a": f})).contains("deeper than"));
        let mut v = json!(1);
        for _ in 0..500 {
            v = json!([v]);
        }
        assert!(parse_error(json!({"a": v})).contains("deeper than"));
        let mut ok = json!({"a": 1});
        for _ in 0..50 {
            ok = json!({"$or": [ok]});
        }
        assert!(filter(ok).matches(&doc(json!({"a": 1}))));
    }

    #[test]
    fn match_all_is_recognised() {
        assert!(filter(json!({})).is_match_all());
        assert!(Filter::match_all().is_match_all());
        assert!(!filter(json!({"a": 1})).is_match_all());
    }

    fn constraints(f: Value) -> Vec<(String, Constraint)> {
        filter(f)
            .index_constraints()
            .into_iter()
            .map(|c| (c.path, c.constraint))
            .collect()
    }

    #[test]
    fn index_constraints_report_eq_in_and_bracketed_ranges() {
        assert_eq!(
            constraints(json!({"a": 5})),
            vec![("a".into(), Constraint::Eq(json!(5)))]
        );
        assert_eq!(
            constraints(json!({"a": {"$in": ["y", "x", "x"]}, "b.c": {"$eq": null}})),
            vec![
                ("a".into(), Constraint::In(vec![json!("x"), json!("y")])),
                ("b.c".into(), Constraint::Eq(json!(null))),
            ]
        );
        assert_eq!(
            constraints(json!({"$and": [{"age": {"$gt": 20, "$lte": 30}}]})),
            vec![
                (
                    "age".into(),
                    Constraint::Range {
                        lower: Some((json!(20), false)),
                        upper: Some((json!(""), false))
                    }
                ),
                (
                    "age".into(),
                    Constraint::Range {
                        lower: Some((json!(null), false)),
                        upper: Some((json!(30), true))
                    }
                ),
            ]
        );
        assert_eq!(
            constraints(json!({"n": {"$lt": "m"}})),
            vec![(
                "n".into(),
                Constraint::Range {
                    lower: Some((json!(""), true)),
                    upper: Some((json!("m"), false))
                }
            )]
        );
    }

    #[test]
    fn index_constraints_leave_out_what_an_index_cannot_answer() {
        for f in [
            json!({"$or": [{"a": 1}, {"b": 2}]}),
            json!({"a": {"$ne": 1}}),
            json!({"a": {"$nin": [1]}}),
            json!({"a": {"$not": {"$gt": 1}}}),
            json!({"a": {"$exists": true}}),
            json!({"a": {"$regex": "x"}}),
            json!({"a": {"$elemMatch": {"$gt": 1}}}),
            json!({"$nor": [{"a": 1}]}),
        ] {
            assert_eq!(constraints(f.clone()), vec![], "{f}");
        }
        let legacy = filter(json!({"age": {"$gt": 20}, "name": "x", "n": {"$in": [1, "1"]}}))
            .index_constraints_in(ValueMode::LegacyText);
        assert_eq!(legacy.len(), 1);
        assert_eq!(legacy[0].path, "name");
    }

    #[test]
    fn index_ranges_cover_every_match() {
        use crate::engine::index::key::{encode_key, index_keys};
        // Every document that matches a comparison has an index key inside
        // the reported bounds (element keys included).
        let values = [
            json!(null),
            json!(-3),
            json!(0),
            json!(20),
            json!(20.5),
            json!(1e300),
            json!(""),
            json!("a"),
            json!("zz"),
            json!({}),
            json!({"a": 1}),
            json!([]),
            json!([1]),
            json!([1, "b"]),
            json!(false),
            json!(true),
        ];
        let ops = ["$gt", "$gte", "$lt", "$lte"];
        for operand in &values {
            for op in ops {
                let f = filter(json!({"a": {op: operand.clone()}}));
                let reported = f.index_constraints();
                let [
                    PathConstraint {
                        constraint: Constraint::Range { lower, upper },
                        ..
                    },
                ] = reported.as_slice()
                else {
                    panic!("one range for {op} {operand}");
                };
                let within = |key: &Vec<u8>| {
                    let above = lower.as_ref().is_none_or(|(b, inclusive)| {
                        let o = key.cmp(&encode_key(b));
                        o == Ordering::Greater || (*inclusive && o == Ordering::Equal)
                    });
                    let below = upper.as_ref().is_none_or(|(b, inclusive)| {
                        let o = key.cmp(&encode_key(b));
                        o == Ordering::Less || (*inclusive && o == Ordering::Equal)
                    });
                    above && below
                };
                for v in values.iter().chain([&json!({"b": 1})]) {
                    let d = if v == &json!({"b": 1}) {
                        doc(json!({}))
                    } else {
                        doc(json!({"a": v.clone()}))
                    };
                    if f.matches(&d) {
                        assert!(
                            index_keys(&d, "a").iter().any(within),
                            "{d:?} matches {op} {operand} but no key is inside {lower:?}..{upper:?}"
                        );
                    }
                }
            }
        }
    }
}
