//! The parsed filter tree (`Node` → `Test` → `Leaf`) and how it matches a
//! document: a path may reach several values, arrays are opened so their
//! elements are tested one by one, negations negate the whole search, and
//! some operators also match a missing field.

use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;

use super::type_set::TypeSet;
use super::value_set::ValueSet;
use crate::engine::Document;
use crate::engine::query::compare::{
    TypeBracket, compare_numbers, compare_values, parse_numeric_text, values_equal,
};
use crate::engine::query::path::FieldPath;
use crate::engine::query::value_mode::ValueMode;

#[derive(Debug, Clone)]
pub(super) enum Node {
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
pub(super) enum Test {
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
pub(super) enum Leaf {
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
pub(super) enum CmpOp {
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

impl Node {
    pub(super) fn collect_roots(&self, out: &mut Vec<String>) {
        match self {
            Node::And(nodes) | Node::Or(nodes) | Node::Nor(nodes) => {
                nodes.iter().for_each(|n| n.collect_roots(out))
            }
            Node::Field { path, .. } => out.push(path.root().to_owned()),
        }
    }

    pub(super) fn matches(&self, doc: &Document, mode: ValueMode) -> bool {
        match self {
            Node::And(nodes) => nodes.iter().all(|n| n.matches(doc, mode)),
            Node::Or(nodes) => nodes.iter().any(|n| n.matches(doc, mode)),
            Node::Nor(nodes) => !nodes.iter().any(|n| n.matches(doc, mode)),
            Node::Field { path, test } => test.matches_path(doc, path, mode),
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
