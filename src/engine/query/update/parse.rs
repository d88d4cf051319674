//! Parsing the operator form of an update: each operator's fields and
//! arguments into `Operation`s, with errors that name the operator and
//! field, and a check that no two operations touch overlapping paths.

use serde_json::{Map, Number, Value};

use super::operation::{
    Action, Operation, PullCondition, PushSort, PushSpec, UpdatePath, WRAPPED_ELEMENT, invalid,
};
use crate::engine::query::filter::Filter;
use crate::engine::query::sort::Sort;
use crate::error::{Error, Result};

/// The operations of an update made only of operators, in the order
/// written, checked for conflicting paths.
pub(super) fn parse_operations(fields: &Map<String, Value>) -> Result<Vec<Operation>> {
    let mut operations = Vec::new();
    for (operator, arguments) in fields {
        let Value::Object(arguments) = arguments else {
            return Err(invalid(format!(
                "{operator} needs an object of {{\"field\": value}}, not {arguments}"
            )));
        };
        for (path, argument) in arguments {
            let path = UpdatePath::parse(operator, path)?;
            let action = parse_action(operator, &path, argument)?;
            operations.push(Operation { path, action });
        }
    }
    check_conflicts(&operations)?;
    Ok(operations)
}

fn check_conflicts(operations: &[Operation]) -> Result<()> {
    let mut touched: Vec<&UpdatePath> = Vec::new();
    for operation in operations {
        let mut paths = vec![&operation.path];
        if let Action::Rename(target) = &operation.action {
            paths.push(target);
        }
        for path in paths {
            if let Some(earlier) = touched.iter().find(|t| t.overlaps(path)) {
                return Err(invalid(format!(
                    "updating the path {:?} would conflict with {:?}",
                    path.text, earlier.text
                )));
            }
            touched.push(path);
        }
    }
    Ok(())
}

fn number_argument(operator: &str, path: &UpdatePath, argument: &Value) -> Result<Number> {
    match argument {
        Value::Number(n) => Ok(n.clone()),
        other => Err(invalid(format!(
            "{operator} on field {:?} needs a number, not {other}",
            path.text
        ))),
    }
}

fn integer_argument(what: &str, path: &UpdatePath, argument: &Value) -> Result<i64> {
    argument
        .as_i64()
        .or_else(|| {
            argument
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| {
            invalid(format!(
                "{what} on field {:?} needs a whole number, not {argument}",
                path.text
            ))
        })
}

fn parse_action(operator: &str, path: &UpdatePath, argument: &Value) -> Result<Action> {
    let id_forbidden = || {
        invalid(format!(
            "{operator} on {:?} would change _id; _id cannot change",
            path.text
        ))
    };
    Ok(match operator {
        "$set" => Action::Set(argument.clone()),
        "$unset" => {
            if path.is_id() {
                return Err(id_forbidden());
            }
            Action::Unset
        }
        "$inc" => Action::Inc(number_argument(operator, path, argument)?),
        "$mul" => Action::Mul(number_argument(operator, path, argument)?),
        "$min" => Action::Min(argument.clone()),
        "$max" => Action::Max(argument.clone()),
        "$rename" => {
            let Value::String(target) = argument else {
                return Err(invalid(format!(
                    "$rename of {:?} needs the new name as a string, not {argument}",
                    path.text
                )));
            };
            let target = UpdatePath::parse(operator, target)?;
            if path.is_id() || target.is_id() {
                return Err(id_forbidden());
            }
            if path.overlaps(&target) {
                return Err(invalid(format!(
                    "$rename: {:?} and {:?} overlap",
                    path.text, target.text
                )));
            }
            Action::Rename(target)
        }
        "$push" => Action::Push(parse_push(path, argument)?),
        "$addToSet" => Action::AddToSet(parse_each(operator, path, argument)?),
        "$pull" => Action::Pull(parse_pull(path, argument)?),
        "$pullAll" => match argument {
            Value::Array(items) => Action::PullAll(items.clone()),
            other => {
                return Err(invalid(format!(
                    "$pullAll on field {:?} needs an array, not {other}",
                    path.text
                )));
            }
        },
        "$pop" => match integer_argument(operator, path, argument)? {
            1 => Action::Pop { first: false },
            -1 => Action::Pop { first: true },
            _ => {
                return Err(invalid(format!(
                    "$pop on field {:?} needs 1 (last) or -1 (first), not {argument}",
                    path.text
                )));
            }
        },
        _ => return Err(invalid(format!("unknown update operator {operator}"))),
    })
}

/// `$addToSet`'s value, or the items of its `{"$each": [...]}`.
fn parse_each(operator: &str, path: &UpdatePath, argument: &Value) -> Result<Vec<Value>> {
    match argument {
        Value::Object(modifiers) if modifiers.keys().any(|k| k.starts_with('$')) => {
            if let Some(unknown) = modifiers.keys().find(|k| *k != "$each") {
                return Err(invalid(format!(
                    "{operator} on field {:?}: unknown modifier {unknown}",
                    path.text
                )));
            }
            match &modifiers["$each"] {
                Value::Array(items) => Ok(items.clone()),
                other => Err(invalid(format!(
                    "{operator} on field {:?}: $each needs an array, not {other}",
                    path.text
                ))),
            }
        }
        other => Ok(vec![other.clone()]),
    }
}

fn parse_push(path: &UpdatePath, argument: &Value) -> Result<PushSpec> {
    let Value::Object(modifiers) = argument else {
        return Ok(PushSpec {
            items: vec![argument.clone()],
            position: None,
            slice: None,
            sort: None,
        });
    };
    if !modifiers.keys().any(|k| k.starts_with('$')) {
        return Ok(PushSpec {
            items: vec![argument.clone()],
            position: None,
            slice: None,
            sort: None,
        });
    }
    let Some(Value::Array(items)) = modifiers.get("$each") else {
        return Err(invalid(format!(
            "$push on field {:?}: modifiers need \"$each\" with an array",
            path.text
        )));
    };
    let mut spec = PushSpec {
        items: items.clone(),
        position: None,
        slice: None,
        sort: None,
    };
    for (name, value) in modifiers {
        match name.as_str() {
            "$each" => {}
            "$position" => spec.position = Some(integer_argument("$push $position", path, value)?),
            "$slice" => spec.slice = Some(integer_argument("$push $slice", path, value)?),
            "$sort" => {
                spec.sort = Some(match value {
                    Value::Object(_) => PushSort::Documents(Sort::parse(value).map_err(|e| {
                        invalid(format!("$push $sort on field {:?}: {e}", path.text))
                    })?),
                    _ => match integer_argument("$push $sort", path, value)? {
                        1 => PushSort::Values { descending: false },
                        -1 => PushSort::Values { descending: true },
                        _ => {
                            return Err(invalid(format!(
                                "$push $sort on field {:?} needs 1, -1 or a sort object",
                                path.text
                            )));
                        }
                    },
                });
            }
            other => {
                return Err(invalid(format!(
                    "$push on field {:?}: unknown modifier {other}",
                    path.text
                )));
            }
        }
    }
    Ok(spec)
}

fn parse_pull(path: &UpdatePath, argument: &Value) -> Result<PullCondition> {
    let wrap_error = |e: Error| invalid(format!("$pull on field {:?}: {e}", path.text));
    match argument {
        Value::Object(condition)
            if !condition.is_empty() && condition.keys().all(|k| k.starts_with('$')) =>
        {
            let mut wrapper = Map::new();
            wrapper.insert(WRAPPED_ELEMENT.to_string(), argument.clone());
            Ok(PullCondition::Operators(
                Filter::parse(&Value::Object(wrapper)).map_err(wrap_error)?,
            ))
        }
        Value::Object(_) => Ok(PullCondition::Documents(
            Filter::parse(argument).map_err(wrap_error)?,
        )),
        other => Ok(PullCondition::Equal(other.clone())),
    }
}
