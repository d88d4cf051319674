//! Parsing a filter document into the tree of `tree`: top-level `$and`,
//! `$or`, `$nor`, each field's operators and their operands, with errors
//! that name the operator and path. Depth is bounded so no filter can
//! exhaust the stack.

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use super::tree::{CmpOp, Leaf, Node, Test};
use super::type_set::TypeSet;
use super::value_set::ValueSet;
use crate::engine::json_type_name;
use crate::engine::nesting::nests_deeper_than;
use crate::engine::query::path::FieldPath;
use crate::error::{Error, Result};

/// How deep `$and`/`$or`/`$not`/`$elemMatch` (and operand values) may nest;
/// deeper filters are refused instead of risking the stack. Tighter than
/// [`MAX_INPUT_DEPTH`](crate::engine::MAX_INPUT_DEPTH), which every filter is
/// held to first.
pub const MAX_FILTER_DEPTH: usize = 100;

/// Compiled `$regex` programs are capped so a pasted pattern cannot eat memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

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

fn operand(v: &Value, op: &str, path: &str) -> Result<Value> {
    if nests_deeper_than(v, MAX_FILTER_DEPTH) {
        return Err(invalid(format!(
            "the operand of {op} at path {path:?} nests deeper than {MAX_FILTER_DEPTH} levels"
        )));
    }
    Ok(v.clone())
}

pub(super) fn parse_node(object: &Map<String, Value>, depth: usize) -> Result<Node> {
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
