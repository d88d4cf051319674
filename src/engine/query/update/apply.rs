//! Carrying out one parsed operation on a document: each action's meaning
//! (`$set` … `$pop`), the arrays that `$push`, `$addToSet` and `$pull` work
//! on, and `$push`'s position, sort and slice.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::container::{Parent, last, parent_of};
use super::numbers::{add, mul, zero_like};
use super::operation::{Action, Operation, PushSort, PushSpec, UpdatePath, invalid};
use crate::engine::query::compare::{compare_values, values_equal};
use crate::engine::{Document, json_type_name};
use crate::error::Result;

impl Operation {
    fn name(&self) -> &'static str {
        match &self.action {
            Action::Set(_) => "$set",
            Action::Unset => "$unset",
            Action::Inc(_) => "$inc",
            Action::Mul(_) => "$mul",
            Action::Min(_) => "$min",
            Action::Max(_) => "$max",
            Action::Rename(_) => "$rename",
            Action::Push(_) => "$push",
            Action::AddToSet(_) => "$addToSet",
            Action::Pull(_) => "$pull",
            Action::PullAll(_) => "$pullAll",
            Action::Pop { .. } => "$pop",
        }
    }

    /// Operators that do nothing when the field is missing.
    fn needs_existing(&self) -> bool {
        matches!(
            self.action,
            Action::Unset
                | Action::Rename(_)
                | Action::Pull(_)
                | Action::PullAll(_)
                | Action::Pop { .. }
        )
    }

    pub(super) fn apply(&self, doc: &mut Document) -> Result<()> {
        let operator = self.name();
        let path = &self.path;
        let Some(mut parent) = parent_of(
            Parent::Object(doc),
            path,
            0,
            !self.needs_existing(),
            operator,
        )?
        else {
            return Ok(());
        };
        let name = last(path);
        let field_error =
            |what: String| invalid(format!("{operator} on field {:?}: {what}", path.text));
        match &self.action {
            Action::Set(value) => parent.set(name, value.clone(), path, operator)?,
            Action::Unset => {
                parent.remove(name);
            }
            Action::Inc(by) | Action::Mul(by) => {
                let multiply = matches!(self.action, Action::Mul(_));
                let result = match parent.get(name) {
                    None if multiply => zero_like(by),
                    None => by.clone(),
                    Some(Value::Number(current)) => {
                        let result = if multiply {
                            mul(current, by)
                        } else {
                            add(current, by)
                        };
                        result.ok_or_else(|| {
                            field_error("the result is not a finite number".to_string())
                        })?
                    }
                    Some(other) => {
                        return Err(field_error(format!(
                            "the field holds {}, not a number",
                            json_type_name(other)
                        )));
                    }
                };
                parent.set(name, Value::Number(result), path, operator)?;
            }
            Action::Min(value) | Action::Max(value) => {
                let wanted = if matches!(self.action, Action::Min(_)) {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let replace = parent
                    .get(name)
                    .is_none_or(|current| compare_values(value, current) == wanted);
                if replace {
                    parent.set(name, value.clone(), path, operator)?;
                }
            }
            Action::Rename(target) => {
                if let Parent::Array(_) = parent {
                    return Err(field_error(
                        "the source cannot be an array element".to_string(),
                    ));
                }
                let Some(value) = parent.remove(name) else {
                    return Ok(());
                };
                let mut target_parent = parent_of(Parent::Object(doc), target, 0, true, operator)?
                    .ok_or_else(|| field_error(format!("cannot reach {:?}", target.text)))?;
                if let Parent::Array(_) = target_parent {
                    return Err(field_error(
                        "the target cannot be an array element".to_string(),
                    ));
                }
                target_parent.set(last(target), value, target, operator)?;
            }
            Action::Push(spec) => {
                let items = array_field(&mut parent, name, path, operator)?;
                push(items, spec);
            }
            Action::AddToSet(values) => {
                let items = array_field(&mut parent, name, path, operator)?;
                for value in values {
                    if !items.iter().any(|item| values_equal(item, value)) {
                        items.push(value.clone());
                    }
                }
            }
            Action::Pull(condition) => {
                if let Some(items) = existing_array(&mut parent, name, path, operator)? {
                    items.retain(|item| !condition.removes(item));
                }
            }
            Action::PullAll(values) => {
                if let Some(items) = existing_array(&mut parent, name, path, operator)? {
                    items.retain(|item| !values.iter().any(|v| values_equal(item, v)));
                }
            }
            Action::Pop { first } => {
                if let Some(items) = existing_array(&mut parent, name, path, operator)?
                    && !items.is_empty()
                {
                    if *first {
                        items.remove(0);
                    } else {
                        items.pop();
                    }
                }
            }
        }
        Ok(())
    }
}

/// The array at the field, created empty when missing; any other value is an error.
fn array_field<'p>(
    parent: &'p mut Parent<'_>,
    name: &str,
    path: &UpdatePath,
    operator: &str,
) -> Result<&'p mut Vec<Value>> {
    if parent.get(name).is_none() {
        parent.set(name, Value::Array(Vec::new()), path, operator)?;
    }
    match parent.get_mut(name) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(invalid(format!(
            "{operator} on field {:?}: the field holds {}, not an array",
            path.text,
            json_type_name(other)
        ))),
        None => Err(invalid(format!(
            "{operator} on field {:?}: cannot create the array",
            path.text
        ))),
    }
}

fn existing_array<'p>(
    parent: &'p mut Parent<'_>,
    name: &str,
    path: &UpdatePath,
    operator: &str,
) -> Result<Option<&'p mut Vec<Value>>> {
    match parent.get_mut(name) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(invalid(format!(
            "{operator} on field {:?}: the field holds {}, not an array",
            path.text,
            json_type_name(other)
        ))),
    }
}

fn push(items: &mut Vec<Value>, spec: &PushSpec) {
    let at = match spec.position {
        None => items.len(),
        Some(p) if p >= 0 => usize::try_from(p).unwrap_or(usize::MAX).min(items.len()),
        Some(p) => items
            .len()
            .saturating_sub(usize::try_from(p.unsigned_abs()).unwrap_or(usize::MAX)),
    };
    items.splice(at..at, spec.items.iter().cloned());
    match &spec.sort {
        None => {}
        Some(PushSort::Values { descending }) => {
            items.sort_by(|a, b| {
                let ord = compare_values(a, b);
                if *descending { ord.reverse() } else { ord }
            });
        }
        Some(PushSort::Documents(sort)) => {
            let empty = Map::new();
            items.sort_by(|a, b| {
                sort.compare(
                    a.as_object().unwrap_or(&empty),
                    b.as_object().unwrap_or(&empty),
                )
            });
        }
    }
    match spec.slice {
        None => {}
        Some(n) if n >= 0 => items.truncate(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => {
            let keep = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
            let drop = items.len().saturating_sub(keep);
            items.drain(..drop);
        }
    }
}
