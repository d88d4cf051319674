//! The prepared operand of `$in` (and of an empty `$all`): its values sorted
//! and grouped by type bracket, so membership is a binary search.

use std::cmp::Ordering;

use serde_json::Value;

use crate::engine::query::compare::{TypeBracket, compare_numbers, compare_values, values_equal};

/// `$in` operands, sorted by `compare_values` (so grouped by type bracket):
/// membership is a binary search within the value's own bracket, with no
/// hashing and no allocation.
#[derive(Debug, Clone)]
pub(super) struct ValueSet {
    pub(super) sorted: Vec<Value>,
    /// Where each type bracket's values start and end in `sorted`.
    brackets: [(usize, usize); 6],
    pub(super) has_null: bool,
    pub(super) has_number: bool,
}

impl ValueSet {
    pub(super) fn new(mut values: Vec<Value>) -> ValueSet {
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

    pub(super) fn contains(&self, v: &Value) -> bool {
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
