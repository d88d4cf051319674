//! Parsing the pipeline stages: `$match $group $sort $skip $limit $project
//! $count $unwind`.

use serde_json::{Map, Value};

use super::expression::{Expr, parse_field_path, remove_nested, set_nested};
use super::group::Group;
use crate::engine::Document;
use crate::engine::query::{Filter, Projection, Sort};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub(crate) enum Stage {
    Match(Filter),
    Group(Group),
    Sort(Sort),
    Skip(u64),
    Limit(u64),
    Project(ProjectStage),
    Count(String),
    Unwind(Unwind),
}

impl Stage {
    /// `context` is "stage N ($name)", so every error says which stage.
    pub(crate) fn parse(name: &str, spec: &Value, context: &str) -> Result<Stage> {
        let wrap = |e: Error| Error::InvalidPipeline(format!("{context}: {}", inner_message(e)));
        Ok(match name {
            "$match" => Stage::Match(Filter::parse(spec).map_err(wrap)?),
            "$group" => Stage::Group(Group::parse(spec, context)?),
            "$sort" => {
                let sort = Sort::parse(spec).map_err(wrap)?;
                if sort.is_empty() {
                    return Err(Error::InvalidPipeline(format!(
                        "{context} needs at least one sort key"
                    )));
                }
                Stage::Sort(sort)
            }
            "$skip" => Stage::Skip(count_argument(spec, context, 0)?),
            "$limit" => Stage::Limit(count_argument(spec, context, 1)?),
            "$project" => Stage::Project(ProjectStage::parse(spec, context)?),
            "$count" => Stage::Count(count_name(spec, context)?),
            "$unwind" => Stage::Unwind(Unwind::parse(spec, context)?),
            other => {
                return Err(Error::InvalidPipeline(format!(
                    "{context}: unknown stage {other}; supported: $match $group $sort $skip $limit $project $count $unwind"
                )));
            }
        })
    }
}

/// The message of a query error without its "invalid query:" prefix, so a
/// pipeline error reads as one sentence.
fn inner_message(e: Error) -> String {
    match e {
        Error::InvalidQuery(m) | Error::InvalidPipeline(m) | Error::InvalidUpdate(m) => m,
        other => other.to_string(),
    }
}

fn count_argument(spec: &Value, context: &str, minimum: u64) -> Result<u64> {
    let n = spec.as_u64().or_else(|| {
        spec.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15)
            .map(|f| f as u64)
    });
    n.filter(|n| *n >= minimum).ok_or_else(|| {
        Error::InvalidPipeline(format!(
            "{context} needs a whole number of at least {minimum}, not {spec}"
        ))
    })
}

fn count_name(spec: &Value, context: &str) -> Result<String> {
    match spec {
        Value::String(name)
            if !name.is_empty() && !name.starts_with('$') && !name.contains('.') =>
        {
            Ok(name.clone())
        }
        _ => Err(Error::InvalidPipeline(format!(
            "{context} needs the output field name as a non-empty string without $ or dots, not {spec}"
        ))),
    }
}

/// `$project`: inclusion/exclusion flags (as in find), plus computed fields
/// (`"total": "$price"`, literals via `{"$literal": v}`) that imply inclusion.
#[derive(Debug, Clone)]
pub(crate) struct ProjectStage {
    /// `None` when only computed fields (and no `_id`) are output.
    base: Option<Projection>,
    computed: Vec<(Vec<String>, Expr)>,
}

impl ProjectStage {
    fn parse(spec: &Value, context: &str) -> Result<ProjectStage> {
        let Value::Object(fields) = spec else {
            return Err(Error::InvalidPipeline(format!(
                "{context} needs an object, not {spec}"
            )));
        };
        if fields.is_empty() {
            return Err(Error::InvalidPipeline(format!(
                "{context} needs at least one field"
            )));
        }
        let mut flat = Vec::new();
        flatten(fields, "", &mut flat);
        let mut flags = Map::new();
        let mut computed = Vec::new();
        for (path, value) in flat {
            match value {
                Value::Bool(_) | Value::Number(_) => {
                    // MongoDB reads any number but 0 as "include".
                    flags.insert(path, value.clone());
                }
                _ => {
                    let field_context = format!("{context} field {path:?}");
                    if path.starts_with('$') {
                        return Err(Error::InvalidPipeline(format!(
                            "{field_context}: output field names cannot start with $"
                        )));
                    }
                    let segments = parse_field_path(&path, &field_context)?;
                    computed.push((segments, Expr::parse(value, &field_context)?));
                }
            }
        }
        let excludes_other_than_id = flags.iter().any(|(name, flag)| {
            name != "_id" && (flag == &Value::Bool(false) || flag.as_f64() == Some(0.0))
        });
        if !computed.is_empty() && excludes_other_than_id {
            return Err(Error::InvalidPipeline(format!(
                "{context}: computed fields cannot be mixed with excluded fields"
            )));
        }
        let only_id_excluded = flags.len() == 1
            && flags
                .get("_id")
                .is_some_and(|f| f == &Value::Bool(false) || f.as_f64() == Some(0.0));
        let base = if !computed.is_empty() && (flags.is_empty() || only_id_excluded) {
            // Only computed fields: start from `_id` (unless excluded).
            if only_id_excluded {
                None
            } else {
                Some(parse_projection(
                    &Value::Object(single("_id", Value::from(1))),
                    context,
                )?)
            }
        } else {
            Some(parse_projection(&Value::Object(flags), context)?)
        };
        Ok(ProjectStage { base, computed })
    }

    pub(crate) fn apply(&self, doc: &Document) -> Document {
        let mut out = match &self.base {
            Some(projection) => projection.apply(doc),
            None => Map::new(),
        };
        for (path, expr) in &self.computed {
            if let Some(value) = expr.eval(doc) {
                set_nested(&mut out, path, value);
            }
        }
        out
    }
}

fn single(name: &str, value: Value) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(name.to_string(), value);
    map
}

fn parse_projection(spec: &Value, context: &str) -> Result<Projection> {
    Projection::parse(spec)
        .map_err(|e| Error::InvalidPipeline(format!("{context}: {}", inner_message(e))))
}

/// `{"a": {"b": 1}}` into `("a.b", 1)`; objects with `$` keys are expressions
/// and stay whole.
fn flatten<'a>(fields: &'a Map<String, Value>, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
    for (name, value) in fields {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::Object(inner)
                if !inner.is_empty() && !inner.keys().any(|k| k.starts_with('$')) =>
            {
                flatten(inner, &path, out);
            }
            _ => out.push((path, value)),
        }
    }
}

/// `$unwind`: one output document per element of an array field.
#[derive(Debug, Clone)]
pub(crate) struct Unwind {
    path: Vec<String>,
    include_array_index: Option<String>,
    preserve_null_and_empty: bool,
}

impl Unwind {
    fn parse(spec: &Value, context: &str) -> Result<Unwind> {
        let field_path = |v: &Value| -> Result<Vec<String>> {
            match v {
                Value::String(s) if s.starts_with('$') => parse_field_path(s, context),
                _ => Err(Error::InvalidPipeline(format!(
                    "{context} needs a field path such as \"$tags\", not {v}"
                ))),
            }
        };
        match spec {
            Value::String(_) => Ok(Unwind {
                path: field_path(spec)?,
                include_array_index: None,
                preserve_null_and_empty: false,
            }),
            Value::Object(options) => {
                let mut unwind = Unwind {
                    path: field_path(options.get("path").unwrap_or(&Value::Null))?,
                    include_array_index: None,
                    preserve_null_and_empty: false,
                };
                for (name, value) in options {
                    match (name.as_str(), value) {
                        ("path", _) => {}
                        ("includeArrayIndex", Value::String(index))
                            if !index.is_empty() && !index.starts_with('$') =>
                        {
                            unwind.include_array_index = Some(index.clone());
                        }
                        ("preserveNullAndEmptyArrays", Value::Bool(b)) => {
                            unwind.preserve_null_and_empty = *b
                        }
                        _ => {
                            return Err(Error::InvalidPipeline(format!(
                                "{context}: unknown or invalid option {name:?}: {value}"
                            )));
                        }
                    }
                }
                Ok(unwind)
            }
            _ => Err(Error::InvalidPipeline(format!(
                "{context} needs \"$field\" or {{\"path\": \"$field\"}}, not {spec}"
            ))),
        }
    }

    /// Passes each output document to `emit`; stops early when it returns false.
    pub(crate) fn apply(
        &self,
        doc: Document,
        emit: &mut impl FnMut(Document) -> Result<bool>,
    ) -> Result<bool> {
        let value = super::expression::get_nested(&doc, &self.path).cloned();
        match value {
            Some(Value::Array(items)) if !items.is_empty() => {
                for (i, item) in items.into_iter().enumerate() {
                    let mut out = doc.clone();
                    set_nested(&mut out, &self.path, item);
                    if let Some(name) = &self.include_array_index {
                        out.insert(name.clone(), Value::from(i));
                    }
                    if !emit(out)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Some(Value::Array(_)) | Some(Value::Null) | None => {
                if !self.preserve_null_and_empty {
                    return Ok(true);
                }
                let mut out = doc;
                if matches!(value, Some(Value::Array(_))) {
                    remove_nested(&mut out, &self.path);
                }
                self.with_null_index(&mut out);
                emit(out)
            }
            // A present non-array value unwinds as a one-element array.
            Some(_) => {
                let mut out = doc;
                self.with_null_index(&mut out);
                emit(out)
            }
        }
    }

    fn with_null_index(&self, doc: &mut Document) {
        if let Some(name) = &self.include_array_index {
            doc.insert(name.clone(), Value::Null);
        }
    }
}
