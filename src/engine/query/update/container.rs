//! Reaching the field an update writes: the object or array that holds a
//! path's last segment (`Parent`), found, or created on the way for the
//! operators that create fields, with array positions bounded.

use serde_json::{Map, Value};

use super::operation::{UpdatePath, invalid};
use crate::error::Result;

/// The container that holds the last segment of a path.
pub(super) enum Parent<'a> {
    Object(&'a mut Map<String, Value>),
    Array(&'a mut Vec<Value>),
}

/// Walks to the parent of the path's last segment. With `create`, missing
/// objects on the way are created (and a scalar in the way is an error);
/// without, a missing or scalar step means "nothing to do".
pub(super) fn parent_of<'a>(
    current: Parent<'a>,
    path: &UpdatePath,
    depth: usize,
    create: bool,
    operator: &str,
) -> Result<Option<Parent<'a>>> {
    if depth + 1 == path.segments.len() {
        return Ok(Some(current));
    }
    let segment = &path.segments[depth];
    let next = match current {
        Parent::Object(object) => {
            if !object.contains_key(segment) {
                if !create {
                    return Ok(None);
                }
                object.insert(segment.clone(), Value::Object(Map::new()));
            }
            object.get_mut(segment)
        }
        Parent::Array(items) => {
            let Ok(index) = segment.parse::<usize>() else {
                if !create {
                    return Ok(None);
                }
                return Err(invalid(format!(
                    "{operator} on {:?}: cannot use the part {segment:?} to traverse an array; use a position",
                    path.text
                )));
            };
            if index >= items.len() {
                if !create {
                    return Ok(None);
                }
                if index > MAX_ARRAY_POSITION {
                    return Err(invalid(format!(
                        "{operator} on {:?}: position {index} is not a usable array position (at most {MAX_ARRAY_POSITION})",
                        path.text
                    )));
                }
                pad_to(items, index);
                items[index] = Value::Object(Map::new());
            }
            items.get_mut(index)
        }
    };
    match next {
        Some(Value::Object(object)) => {
            parent_of(Parent::Object(object), path, depth + 1, create, operator)
        }
        Some(Value::Array(items)) => {
            parent_of(Parent::Array(items), path, depth + 1, create, operator)
        }
        Some(Value::Null) if create => Err(invalid(format!(
            "{operator} on {:?}: cannot create field inside null {segment:?}",
            path.text
        ))),
        Some(other) if create => Err(invalid(format!(
            "{operator} on {:?}: cannot create a field inside {segment:?}, which holds {other}",
            path.text
        ))),
        _ => Ok(None),
    }
}

/// Grows an array with nulls so `index` exists (MongoDB's `$set` on
/// `"a.5"` past the end).
fn pad_to(items: &mut Vec<Value>, index: usize) {
    if items.len() <= index {
        items.resize(index + 1, Value::Null);
    }
}

/// Largest position an update may create in an array, so `{"$set": {"a.999999999": 1}}`
/// cannot allocate gigabytes.
const MAX_ARRAY_POSITION: usize = 1_000_000;

impl<'a> Parent<'a> {
    pub(super) fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Parent::Object(object) => object.get(name),
            Parent::Array(items) => name.parse::<usize>().ok().and_then(|i| items.get(i)),
        }
    }

    pub(super) fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Parent::Object(object) => object.get_mut(name),
            Parent::Array(items) => name.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        }
    }

    pub(super) fn set(
        &mut self,
        name: &str,
        value: Value,
        path: &UpdatePath,
        operator: &str,
    ) -> Result<()> {
        match self {
            Parent::Object(object) => {
                object.insert(name.to_string(), value);
            }
            Parent::Array(items) => {
                let index = name
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i <= MAX_ARRAY_POSITION)
                    .ok_or_else(|| {
                        invalid(format!(
                            "{operator} on {:?}: {name:?} is not a usable array position",
                            path.text
                        ))
                    })?;
                pad_to(items, index);
                items[index] = value;
            }
        }
        Ok(())
    }

    /// Removes the field; an array element becomes null (MongoDB's `$unset`).
    pub(super) fn remove(&mut self, name: &str) -> Option<Value> {
        match self {
            Parent::Object(object) => object.shift_remove(name),
            Parent::Array(items) => {
                let slot = name.parse::<usize>().ok().and_then(|i| items.get_mut(i))?;
                Some(std::mem::replace(slot, Value::Null))
            }
        }
    }
}

pub(super) fn last(path: &UpdatePath) -> &str {
    path.segments.last().map_or("", String::as_str)
}
