//! Updates: the seed's merge of a plain object, or MongoDB update operators
//! (`$set $unset $inc $mul $min $max $rename $push $pull $pullAll $addToSet
//! $pop`) with dot paths. `_id` never changes, and a failed update leaves the
//! document as it was.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::compare::{compare_values, values_equal};
use super::filter::Filter;
use super::path::MAX_PATH_SEGMENTS;
use super::sort::Sort;
use crate::engine::{Document, json_type_name};
use crate::error::{Error, Result};

/// A parsed update.
#[derive(Debug, Clone)]
pub enum Update {
    /// A plain object: its top-level fields are written into the record (the
    /// seed's `update`). An `_id` in it must equal the record's.
    Merge(Document),
    /// Update operators, applied in the order written.
    Operators(OperatorUpdate),
}

/// The operator form of an update, parsed and checked for conflicting paths.
#[derive(Debug, Clone)]
pub struct OperatorUpdate {
    operations: Vec<Operation>,
}

#[derive(Debug, Clone)]
struct Operation {
    path: UpdatePath,
    action: Action,
}

/// A dot path as updates address it: object fields, and array positions for
/// numeric segments.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UpdatePath {
    text: String,
    segments: Vec<String>,
}

#[derive(Debug, Clone)]
enum Action {
    Set(Value),
    Unset,
    Inc(Number),
    Mul(Number),
    Min(Value),
    Max(Value),
    Rename(UpdatePath),
    Push(PushSpec),
    AddToSet(Vec<Value>),
    Pull(PullCondition),
    PullAll(Vec<Value>),
    Pop { first: bool },
}

#[derive(Debug, Clone)]
struct PushSpec {
    items: Vec<Value>,
    position: Option<i64>,
    slice: Option<i64>,
    sort: Option<PushSort>,
}

#[derive(Debug, Clone)]
enum PushSort {
    Values { descending: bool },
    Documents(Sort),
}

#[derive(Debug, Clone)]
enum PullCondition {
    /// Elements equal to this value.
    Equal(Value),
    /// Object elements matching this filter (`{"price": {"$gt": 3}}`).
    Documents(Filter),
    /// Elements satisfying these operators (`{"$gte": 6}`), tested as the
    /// value of a field named by the wrapper.
    Operators(Filter),
}

const WRAPPED_ELEMENT: &str = "element";

fn invalid(message: String) -> Error {
    Error::InvalidUpdate(message)
}

impl Update {
    /// Parses an update: a plain object (merge) or an object of operators.
    /// Mixing the two is an error, as is any change to `_id` that can be
    /// seen without the record (`$unset` / `$rename` of `_id`).
    pub fn parse(update: &Value) -> Result<Update> {
        crate::engine::nesting::check_input_depth(update, "the update", Error::InvalidUpdate)?;
        Self::parse_unchecked(update).map_err(crate::engine::shortened)
    }

    fn parse_unchecked(update: &Value) -> Result<Update> {
        let Value::Object(fields) = update else {
            return Err(invalid(format!(
                "an update must be a JSON object, not {update}"
            )));
        };
        let operators = fields.keys().filter(|k| k.starts_with('$')).count();
        if operators == 0 {
            return Ok(Update::Merge(fields.clone()));
        }
        if operators != fields.len() {
            let plain = fields
                .keys()
                .find(|k| !k.starts_with('$'))
                .map_or("", String::as_str);
            return Err(invalid(format!(
                "an update mixes operators and plain fields ({plain:?}); use {{\"$set\": {{...}}}} for fields"
            )));
        }
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
        Ok(Update::Operators(OperatorUpdate { operations }))
    }

    /// Applies the update. On error the document is left unchanged.
    pub fn apply(&self, doc: &mut Document) -> Result<()> {
        self.apply_unshortened(doc)
            .map_err(crate::engine::shortened)
    }

    fn apply_unshortened(&self, doc: &mut Document) -> Result<()> {
        let mut updated = doc.clone();
        match self {
            Update::Merge(fields) => {
                for (name, value) in fields {
                    updated.insert(name.clone(), value.clone());
                }
            }
            Update::Operators(update) => {
                for operation in &update.operations {
                    operation.apply(&mut updated)?;
                }
            }
        }
        let (before, after) = (doc.get("_id"), updated.get("_id"));
        let id_kept = match (before, after) {
            (Some(a), Some(b)) => a == b,
            (None, None) => true,
            _ => false,
        };
        if !id_kept {
            return Err(invalid(format!(
                "the update would change _id from {} to {}; _id cannot change",
                before.map_or_else(|| "nothing".to_string(), Value::to_string),
                after.map_or_else(|| "nothing".to_string(), Value::to_string),
            )));
        }
        *doc = updated;
        Ok(())
    }
}

impl UpdatePath {
    fn parse(operator: &str, text: &str) -> Result<UpdatePath> {
        if text.is_empty() || text.split('.').any(str::is_empty) {
            return Err(invalid(format!(
                "{operator}: field path {text:?} is empty or has an empty segment"
            )));
        }
        if text.split('.').count() > MAX_PATH_SEGMENTS {
            return Err(invalid(format!(
                "{operator}: field path {:?}… has more than {MAX_PATH_SEGMENTS} segments",
                text.chars().take(40).collect::<String>()
            )));
        }
        if text.split('.').any(|s| s.starts_with('$')) {
            return Err(invalid(format!(
                "{operator}: field path {text:?}: positional ($) and $-prefixed names are not supported"
            )));
        }
        Ok(UpdatePath {
            text: text.to_string(),
            segments: text.split('.').map(str::to_string).collect(),
        })
    }

    fn is_id(&self) -> bool {
        self.segments.first().is_some_and(|s| s == "_id")
    }

    /// `a` and `a.b` (or the same path twice) cannot be updated together.
    fn overlaps(&self, other: &UpdatePath) -> bool {
        self.segments
            .iter()
            .zip(&other.segments)
            .all(|(a, b)| a == b)
    }
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

impl PullCondition {
    fn removes(&self, element: &Value) -> bool {
        match self {
            PullCondition::Equal(value) => values_equal(element, value),
            PullCondition::Documents(filter) => {
                element.as_object().is_some_and(|o| filter.matches(o))
            }
            PullCondition::Operators(filter) => {
                let mut wrapper = Map::new();
                wrapper.insert(WRAPPED_ELEMENT.to_string(), element.clone());
                filter.matches(&wrapper)
            }
        }
    }
}

// ------------------------------------------------------------ applying

/// The container that holds the last segment of a path.
enum Parent<'a> {
    Object(&'a mut Map<String, Value>),
    Array(&'a mut Vec<Value>),
}

/// Walks to the parent of the path's last segment. With `create`, missing
/// objects on the way are created (and a scalar in the way is an error);
/// without, a missing or scalar step means "nothing to do".
fn parent_of<'a>(
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
    fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Parent::Object(object) => object.get(name),
            Parent::Array(items) => name.parse::<usize>().ok().and_then(|i| items.get(i)),
        }
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Parent::Object(object) => object.get_mut(name),
            Parent::Array(items) => name.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        }
    }

    fn set(&mut self, name: &str, value: Value, path: &UpdatePath, operator: &str) -> Result<()> {
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
    fn remove(&mut self, name: &str) -> Option<Value> {
        match self {
            Parent::Object(object) => object.shift_remove(name),
            Parent::Array(items) => {
                let slot = name.parse::<usize>().ok().and_then(|i| items.get_mut(i))?;
                Some(std::mem::replace(slot, Value::Null))
            }
        }
    }
}

fn last(path: &UpdatePath) -> &str {
    path.segments.last().map_or("", String::as_str)
}

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

    fn apply(&self, doc: &mut Document) -> Result<()> {
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

/// `$mul` on a missing field sets 0 of the operand's kind.
fn zero_like(n: &Number) -> Number {
    if n.is_f64() {
        Number::from_f64(0.0).unwrap_or_else(|| Number::from(0))
    } else {
        Number::from(0)
    }
}

fn as_integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Integers stay integers while they fit `i64`/`u64`; otherwise (or with a
/// float operand) the result is a float. `None` when it is not finite.
fn integer_or_float(exact: Option<i128>, float: f64) -> Option<Number> {
    if let Some(v) = exact {
        if let Ok(i) = i64::try_from(v) {
            return Some(Number::from(i));
        }
        if let Ok(u) = u64::try_from(v) {
            return Some(Number::from(u));
        }
    }
    Number::from_f64(float)
}

fn add(a: &Number, b: &Number) -> Option<Number> {
    let exact = as_integer(a)
        .zip(as_integer(b))
        .and_then(|(x, y)| x.checked_add(y));
    integer_or_float(exact, a.as_f64()? + b.as_f64()?)
}

fn mul(a: &Number, b: &Number) -> Option<Number> {
    let exact = as_integer(a)
        .zip(as_integer(b))
        .and_then(|(x, y)| x.checked_mul(y));
    integer_or_float(exact, a.as_f64()? * b.as_f64()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    fn updated(update: Value, before: Value) -> Value {
        let parsed = Update::parse(&update).unwrap_or_else(|e| panic!("{update}: {e}"));
        let mut d = doc(before);
        parsed
            .apply(&mut d)
            .unwrap_or_else(|e| panic!("{update}: {e}"));
        Value::Object(d)
    }

    fn apply_error(update: Value, before: Value) -> String {
        let parsed = Update::parse(&update).unwrap_or_else(|e| panic!("{update}: {e}"));
        let mut d = doc(before.clone());
        let result = parsed.apply(&mut d);
        assert_eq!(
            Value::Object(d),
            before,
            "a failed update must leave the document unchanged"
        );
        match result {
            Err(Error::InvalidUpdate(message)) => message,
            other => panic!("{update}: expected InvalidUpdate, got {other:?}"),
        }
    }

    #[test]
    fn plain_object_merges_top_level_fields() {
        assert_eq!(
            updated(
                json!({"status": "inactive", "n": {"x": 1}}),
                json!({"_id": "1", "status": "active", "n": {"y": 2}, "k": 1})
            ),
            json!({"_id": "1", "status": "inactive", "n": {"x": 1}, "k": 1})
        );
        assert_eq!(
            updated(json!({"_id": "1", "a": 2}), json!({"_id": "1", "a": 1})),
            json!({"_id": "1", "a": 2})
        );
        assert!(apply_error(json!({"_id": "2"}), json!({"_id": "1"})).contains("_id"));
    }

    #[test]
    fn operators_table() {
        let cases = [
            (
                json!({"$set": {"a": 5}}),
                json!({"a": 1, "b": 2}),
                json!({"a": 5, "b": 2}),
            ),
            (
                json!({"$set": {"c.d": 5}}),
                json!({"a": 1}),
                json!({"a": 1, "c": {"d": 5}}),
            ),
            (
                json!({"$set": {"arr.1": "x"}}),
                json!({"arr": [1, 2, 3]}),
                json!({"arr": [1, "x", 3]}),
            ),
            (
                json!({"$set": {"arr.4": "x"}}),
                json!({"arr": [1]}),
                json!({"arr": [1, null, null, null, "x"]}),
            ),
            (
                json!({"$set": {"arr.0.p": 9}}),
                json!({"arr": [{"p": 1}]}),
                json!({"arr": [{"p": 9}]}),
            ),
            (
                json!({"$unset": {"a": ""}}),
                json!({"a": 1, "b": 2}),
                json!({"b": 2}),
            ),
            (
                json!({"$unset": {"x.y": 1}}),
                json!({"a": 1}),
                json!({"a": 1}),
            ),
            (
                json!({"$unset": {"arr.0": 1}}),
                json!({"arr": [1, 2]}),
                json!({"arr": [null, 2]}),
            ),
            (json!({"$inc": {"n": 2}}), json!({"n": 1}), json!({"n": 3})),
            (
                json!({"$inc": {"n": 0.5}}),
                json!({"n": 1}),
                json!({"n": 1.5}),
            ),
            (json!({"$inc": {"n": -1}}), json!({}), json!({"n": -1})),
            (
                json!({"$inc": {"a.b": 1}}),
                json!({"a": {"b": 1}}),
                json!({"a": {"b": 2}}),
            ),
            (
                json!({"$inc": {"n": 1}}),
                json!({"n": i64::MAX}),
                json!({"n": 9_223_372_036_854_775_808_u64}),
            ),
            (json!({"$mul": {"n": 3}}), json!({"n": 2}), json!({"n": 6})),
            (json!({"$mul": {"n": 3}}), json!({}), json!({"n": 0})),
            (json!({"$mul": {"n": 1.5}}), json!({}), json!({"n": 0.0})),
            (json!({"$min": {"n": 3}}), json!({"n": 5}), json!({"n": 3})),
            (json!({"$min": {"n": 7}}), json!({"n": 5}), json!({"n": 5})),
            (json!({"$min": {"n": 7}}), json!({}), json!({"n": 7})),
            (json!({"$max": {"n": 7}}), json!({"n": 5}), json!({"n": 7})),
            (
                json!({"$max": {"n": "a"}}),
                json!({"n": 5}),
                json!({"n": "a"}),
            ),
            (
                json!({"$rename": {"a": "b"}}),
                json!({"a": 1, "c": 2}),
                json!({"c": 2, "b": 1}),
            ),
            (
                json!({"$rename": {"a": "x.y"}}),
                json!({"a": 1}),
                json!({"x": {"y": 1}}),
            ),
            (
                json!({"$rename": {"nope": "b"}}),
                json!({"b": 1}),
                json!({"b": 1}),
            ),
            (
                json!({"$push": {"t": 3}}),
                json!({"t": [1]}),
                json!({"t": [1, 3]}),
            ),
            (json!({"$push": {"t": 3}}), json!({}), json!({"t": [3]})),
            (
                json!({"$push": {"t": [3]}}),
                json!({"t": []}),
                json!({"t": [[3]]}),
            ),
            (
                json!({"$push": {"t": {"k": 1}}}),
                json!({"t": []}),
                json!({"t": [{"k": 1}]}),
            ),
            (
                json!({"$push": {"t": {"$each": [3, 4]}}}),
                json!({"t": [1]}),
                json!({"t": [1, 3, 4]}),
            ),
            (
                json!({"$push": {"t": {"$each": [0], "$position": 0}}}),
                json!({"t": [1]}),
                json!({"t": [0, 1]}),
            ),
            (
                json!({"$push": {"t": {"$each": [5, 2], "$sort": 1, "$slice": 3}}}),
                json!({"t": [4, 1]}),
                json!({"t": [1, 2, 4]}),
            ),
            (
                json!({"$push": {"t": {"$each": [9], "$slice": -2}}}),
                json!({"t": [1, 2]}),
                json!({"t": [2, 9]}),
            ),
            (
                json!({"$push": {"t": {"$each": [{"s": 2}], "$sort": {"s": -1}}}}),
                json!({"t": [{"s": 1}, {"s": 3}]}),
                json!({"t": [{"s": 3}, {"s": 2}, {"s": 1}]}),
            ),
            (
                json!({"$addToSet": {"t": 2}}),
                json!({"t": [1, 2]}),
                json!({"t": [1, 2]}),
            ),
            (
                json!({"$addToSet": {"t": 2.0}}),
                json!({"t": [1, 2]}),
                json!({"t": [1, 2]}),
            ),
            (
                json!({"$addToSet": {"t": 3}}),
                json!({"t": [1, 2]}),
                json!({"t": [1, 2, 3]}),
            ),
            (
                json!({"$addToSet": {"t": {"$each": [1, 4, 4]}}}),
                json!({"t": [1]}),
                json!({"t": [1, 4]}),
            ),
            (
                json!({"$addToSet": {"t": "x"}}),
                json!({}),
                json!({"t": ["x"]}),
            ),
            (
                json!({"$pull": {"t": 2}}),
                json!({"t": [1, 2, 3, 2]}),
                json!({"t": [1, 3]}),
            ),
            (
                json!({"$pull": {"t": {"$gte": 2}}}),
                json!({"t": [1, 2, 3]}),
                json!({"t": [1]}),
            ),
            (
                json!({"$pull": {"t": {"$in": ["a", "b"]}}}),
                json!({"t": ["a", "c", "b"]}),
                json!({"t": ["c"]}),
            ),
            (
                json!({"$pull": {"i": {"p": {"$gt": 3}}}}),
                json!({"i": [{"p": 1}, {"p": 5, "q": 1}, 7]}),
                json!({"i": [{"p": 1}, 7]}),
            ),
            (json!({"$pull": {"t": 1}}), json!({}), json!({})),
            (
                json!({"$pullAll": {"t": [1, 3]}}),
                json!({"t": [1, 2, 3]}),
                json!({"t": [2]}),
            ),
            (
                json!({"$pop": {"t": 1}}),
                json!({"t": [1, 2]}),
                json!({"t": [1]}),
            ),
            (
                json!({"$pop": {"t": -1}}),
                json!({"t": [1, 2]}),
                json!({"t": [2]}),
            ),
            (
                json!({"$set": {"_id": "1"}}),
                json!({"_id": "1"}),
                json!({"_id": "1"}),
            ),
            (
                json!({"$set": {"a": 1}, "$inc": {"b": 1}}),
                json!({}),
                json!({"a": 1, "b": 1}),
            ),
        ];
        for (update, before, want) in cases {
            assert_eq!(
                updated(update.clone(), before.clone()),
                want,
                "{update} on {before}"
            );
        }
    }

    #[test]
    fn type_errors_name_the_field_and_leave_the_document() {
        let cases = [
            (
                json!({"$inc": {"name": 1}}),
                json!({"name": "x"}),
                "\"name\"",
            ),
            (
                json!({"$mul": {"a.b": 2}}),
                json!({"a": {"b": true}}),
                "\"a.b\"",
            ),
            (json!({"$push": {"t": 1}}), json!({"t": 5}), "not an array"),
            (
                json!({"$addToSet": {"t": 1}}),
                json!({"t": "x"}),
                "not an array",
            ),
            (json!({"$pull": {"t": 1}}), json!({"t": {}}), "not an array"),
            (json!({"$set": {"a.b": 1}}), json!({"a": 5}), "\"a.b\""),
            (json!({"$set": {"arr.x": 1}}), json!({"arr": [1]}), "array"),
            (
                json!({"$set": {"_id": "2", "a": 1}}),
                json!({"_id": "1"}),
                "_id",
            ),
            (json!({"$inc": {"n": 1e308}}), json!({"n": 1e308}), "finite"),
            (
                json!({"$set": {"arr.99999999999": 1}}),
                json!({"arr": []}),
                "position",
            ),
        ];
        for (update, before, needle) in cases {
            let message = apply_error(update.clone(), before);
            assert!(
                message.contains(needle),
                "{update}: {message:?} lacks {needle:?}"
            );
        }
    }

    #[test]
    fn invalid_updates_are_parse_errors() {
        for bad in [
            json!([1]),
            json!({"$set": {"a": 1}, "b": 2}),
            json!({"$frob": {"a": 1}}),
            json!({"$set": 5}),
            json!({"$inc": {"a": "x"}}),
            json!({"$unset": {"_id": 1}}),
            json!({"$rename": {"_id": "x"}}),
            json!({"$rename": {"a": "_id"}}),
            json!({"$rename": {"a": 5}}),
            json!({"$rename": {"a": "a.b"}}),
            json!({"$set": {"a": 1}, "$inc": {"a": 1}}),
            json!({"$set": {"a": 1, "a.b": 1}}),
            json!({"$set": {"items.$.p": 1}}),
            json!({"$set": {"a..b": 1}}),
            json!({"$push": {"t": {"$each": 1}}}),
            json!({"$push": {"t": {"$slice": 1}}}),
            json!({"$pop": {"t": 2}}),
            json!({"$pull": {"t": {"$bogus": 1}}}),
            json!({"$set": {vec!["a"; 101].join("."): 1}}),
        ] {
            assert!(
                matches!(Update::parse(&bad), Err(Error::InvalidUpdate(_))),
                "{bad}"
            );
        }
    }
}
