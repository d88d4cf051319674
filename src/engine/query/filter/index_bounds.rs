//! What an index can answer of a filter: the equality, `$in` and range
//! constraints on top-level-ANDed paths, each a superset of the matches,
//! with ranges kept inside the operand's type bracket.

use serde_json::{Map, Value};

use super::tree::{CmpOp, Leaf, Node, Test};
use crate::engine::query::compare::TypeBracket;
use crate::engine::query::value_mode::ValueMode;

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

impl Constraint {
    /// The constraint as a person writes it, for explain: `age = 30`,
    /// `city in ["Lyon", "Oslo"]`, `age ≥ 30 and < 40`. A range's end at
    /// the edge of its type bracket (how `$gte` stays among numbers) is
    /// left out: it is not what the user wrote.
    pub fn describe(&self, path: &str) -> String {
        const LISTED: usize = 5;
        match self {
            Constraint::Eq(value) => format!("{path} = {value}"),
            Constraint::In(values) if values.len() <= LISTED => {
                format!("{path} in {}", Value::Array(values.clone()))
            }
            Constraint::In(values) => format!("{path} in {} values", values.len()),
            Constraint::Range { lower, upper } => {
                let operand = lower
                    .as_ref()
                    .filter(|(v, _)| !upper.as_ref().is_some_and(|(u, _)| is_bracket_start(v, u)))
                    .or(upper.as_ref())
                    .map(|(v, _)| TypeBracket::of(v));
                let mut parts = Vec::new();
                if let Some((v, inclusive)) = lower
                    && operand.is_none_or(|b| (v.clone(), *inclusive) != bracket_start(b))
                {
                    parts.push(format!("{} {v}", if *inclusive { "≥" } else { ">" }));
                }
                if let Some((v, inclusive)) = upper
                    && operand.is_none_or(|b| (v.clone(), *inclusive) != bracket_end(b))
                {
                    parts.push(format!("{} {v}", if *inclusive { "≤" } else { "<" }));
                }
                match parts.is_empty() {
                    true => format!("{path}: any value of its type"),
                    false => format!("{path} {}", parts.join(" and ")),
                }
            }
        }
    }
}

/// Whether `lower` is where the type bracket of `upper` starts (so the
/// range's lower end is the bracket's, not the user's).
fn is_bracket_start(lower: &Value, upper: &Value) -> bool {
    let (start, _) = bracket_start(TypeBracket::of(upper));
    &start == lower
}

impl Node {
    pub(super) fn collect_constraints(&self, mode: ValueMode, out: &mut Vec<PathConstraint>) {
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

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use serde_json::json;

    use super::*;
    use crate::engine::query::filter::Filter;
    use crate::engine::test_doc as doc;

    fn filter(v: Value) -> Filter {
        Filter::parse(&v).unwrap_or_else(|e| panic!("{v} should parse: {e}"))
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

    #[test]
    fn constraints_read_as_written() {
        let describe = |f: Value| -> Vec<String> {
            filter(f)
                .index_constraints()
                .into_iter()
                .map(|c| c.constraint.describe(&c.path))
                .collect()
        };
        assert_eq!(describe(json!({"age": 30})), ["age = 30"]);
        assert_eq!(describe(json!({"age": {"$gte": 30}})), ["age ≥ 30"]);
        assert_eq!(describe(json!({"age": {"$lt": 40}})), ["age < 40"]);
        assert_eq!(describe(json!({"name": {"$lt": "m"}})), ["name < \"m\""]);
        assert_eq!(describe(json!({"name": {"$gt": "m"}})), ["name > \"m\""]);
        assert_eq!(
            describe(json!({"city": {"$in": ["Oslo", "Lyon"]}})),
            ["city in [\"Lyon\",\"Oslo\"]"]
        );
        assert_eq!(
            describe(json!({"n": {"$in": [1, 2, 3, 4, 5, 6]}})),
            ["n in 6 values"]
        );
        let merged = Constraint::Range {
            lower: Some((json!(30), true)),
            upper: Some((json!(40), false)),
        };
        assert_eq!(merged.describe("age"), "age ≥ 30 and < 40");
    }
}
