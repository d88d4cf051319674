//! Projections: inclusion `{"a": 1, "b.c": 1}` or exclusion `{"a": 0}`, with
//! `_id` kept unless excluded, and dot paths reaching into objects and arrays
//! of objects, as MongoDB's find does.

use serde_json::{Map, Value};

use super::path::FieldPath;
use crate::engine::Document;
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Projection {
    kind: Kind,
    /// The projected paths as a tree of field names.
    fields: Fields,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `{}`: the document as it is.
    Everything,
    Include,
    Exclude,
}

/// Children of one level of the path tree, in the order first written.
#[derive(Debug, Clone, Default)]
struct Fields(Vec<(String, Field)>);

#[derive(Debug, Clone)]
enum Field {
    /// The whole field is projected.
    Whole,
    /// Only these sub-fields are.
    Nested(Fields),
}

impl Fields {
    fn get(&self, name: &str) -> Option<&Field> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, f)| f)
    }

    /// Adds one path; a path that is a prefix of another (`a` and `a.b`) is a
    /// collision, as in MongoDB 4.4+.
    fn insert(&mut self, path: &FieldPath) -> Result<()> {
        let segments = path.segments();
        let mut level = self;
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let position = level.0.iter().position(|(n, _)| *n == segment.name);
            let collision = || {
                Error::InvalidQuery(format!(
                    "projection path {:?} collides with another projected path",
                    path.as_str()
                ))
            };
            match (position, last) {
                (None, true) => {
                    level.0.push((segment.name.clone(), Field::Whole));
                    return Ok(());
                }
                (None, false) => {
                    level
                        .0
                        .push((segment.name.clone(), Field::Nested(Fields::default())));
                }
                (Some(_), true) => return Err(collision()),
                (Some(p), false) => {
                    if matches!(level.0[p].1, Field::Whole) {
                        return Err(collision());
                    }
                }
            }
            let index = position.unwrap_or(level.0.len() - 1);
            level = match &mut level.0[index].1 {
                Field::Nested(fields) => fields,
                Field::Whole => return Err(collision()),
            };
        }
        Ok(())
    }
}

impl Projection {
    /// Parses a projection; mixing inclusion and exclusion (other than
    /// `_id: 0`) is an error, as in MongoDB.
    pub fn parse(projection: &Value) -> Result<Projection> {
        crate::engine::nesting::check_input_depth(
            projection,
            "the projection",
            Error::InvalidQuery,
        )?;
        Self::parse_unchecked(projection).map_err(crate::engine::shortened)
    }

    fn parse_unchecked(projection: &Value) -> Result<Projection> {
        let Value::Object(spec) = projection else {
            return Err(Error::InvalidQuery(format!(
                "a projection must be an object such as {{\"name\": 1}}, not {projection}"
            )));
        };
        let mut include_id = None;
        let mut included = Vec::new();
        let mut excluded = Vec::new();
        for (name, flag) in spec {
            let include = projection_flag(name, flag)?;
            if name == "_id" {
                include_id = Some(include);
                continue;
            }
            if name.starts_with('$') || name.contains(".$") {
                return Err(Error::InvalidQuery(format!(
                    "projection field {name:?}: positional and $ operators are not supported"
                )));
            }
            let path = FieldPath::parse(name)
                .map_err(|reason| Error::InvalidQuery(format!("in the projection: {reason}")))?;
            if include {
                included.push(path);
            } else {
                excluded.push(path);
            }
        }
        if !included.is_empty() && !excluded.is_empty() {
            return Err(Error::InvalidQuery(format!(
                "a projection cannot mix inclusion ({:?}) and exclusion ({:?}); only _id may be excluded from an inclusion",
                included[0].as_str(),
                excluded[0].as_str()
            )));
        }
        let (kind, mut paths) = match (included.is_empty(), excluded.is_empty(), include_id) {
            (false, _, _) => (Kind::Include, included),
            (true, false, _) => (Kind::Exclude, excluded),
            (true, true, Some(true)) => (Kind::Include, Vec::new()),
            (true, true, Some(false)) => (Kind::Exclude, Vec::new()),
            (true, true, None) => (Kind::Everything, Vec::new()),
        };
        let id_listed = match kind {
            Kind::Include => include_id != Some(false),
            Kind::Exclude => include_id == Some(false),
            Kind::Everything => false,
        };
        if id_listed {
            paths.insert(0, FieldPath::parse("_id").map_err(Error::InvalidQuery)?);
        }
        let mut fields = Fields::default();
        for path in &paths {
            fields.insert(path)?;
        }
        Ok(Projection { kind, fields })
    }

    /// The projection `{}`: documents pass unchanged.
    pub fn everything() -> Projection {
        Projection {
            kind: Kind::Everything,
            fields: Fields::default(),
        }
    }

    pub fn apply(&self, doc: &Document) -> Document {
        match self.kind {
            Kind::Everything => doc.clone(),
            Kind::Include => include_object(doc, &self.fields),
            Kind::Exclude => exclude_object(doc, &self.fields),
        }
    }
}

fn projection_flag(name: &str, flag: &Value) -> Result<bool> {
    match flag {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f != 0.0)),
        _ => Err(Error::InvalidQuery(format!(
            "projection field {name:?} must be 1/true (include) or 0/false (exclude), not {flag}"
        ))),
    }
}

/// Keeps the projected fields in the document's own order.
fn include_object(object: &Map<String, Value>, fields: &Fields) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in object {
        match fields.get(name) {
            None => {}
            Some(Field::Whole) => {
                out.insert(name.clone(), value.clone());
            }
            Some(Field::Nested(sub)) => match value {
                Value::Object(inner) => {
                    out.insert(name.clone(), Value::Object(include_object(inner, sub)));
                }
                Value::Array(items) => {
                    out.insert(name.clone(), Value::Array(include_array(items, sub)));
                }
                _ => {}
            },
        }
    }
    out
}

/// Sub-field inclusion through an array keeps its objects (projected) and
/// drops its scalars, as MongoDB does.
fn include_array(items: &[Value], fields: &Fields) -> Vec<Value> {
    items
        .iter()
        .filter_map(|item| match item {
            Value::Object(inner) => Some(Value::Object(include_object(inner, fields))),
            Value::Array(nested) => Some(Value::Array(include_array(nested, fields))),
            _ => None,
        })
        .collect()
}

fn exclude_object(object: &Map<String, Value>, fields: &Fields) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in object {
        let kept = match fields.get(name) {
            None => value.clone(),
            Some(Field::Whole) => continue,
            Some(Field::Nested(sub)) => exclude_value(value, sub),
        };
        out.insert(name.clone(), kept);
    }
    out
}

fn exclude_value(value: &Value, fields: &Fields) -> Value {
    match value {
        Value::Object(inner) => Value::Object(exclude_object(inner, fields)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| exclude_value(i, fields)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project(spec: Value, doc: Value) -> Value {
        let projection = Projection::parse(&spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        Value::Object(projection.apply(doc.as_object().unwrap_or(&Map::new())))
    }

    #[test]
    fn inclusion_exclusion_and_id() {
        let d = json!({"_id": "1", "name": "A", "age": 3, "addr": {"city": "X", "zip": "9"}});
        let cases = [
            (json!({}), d.clone()),
            (json!({"name": 1}), json!({"_id": "1", "name": "A"})),
            (
                json!({"age": true, "name": 1}),
                json!({"_id": "1", "name": "A", "age": 3}),
            ),
            (json!({"name": 1, "_id": 0}), json!({"name": "A"})),
            (
                json!({"name": 0}),
                json!({"_id": "1", "age": 3, "addr": {"city": "X", "zip": "9"}}),
            ),
            (
                json!({"_id": 0}),
                json!({"name": "A", "age": 3, "addr": {"city": "X", "zip": "9"}}),
            ),
            (json!({"_id": 1}), json!({"_id": "1"})),
            (
                json!({"addr.city": 1}),
                json!({"_id": "1", "addr": {"city": "X"}}),
            ),
            (
                json!({"addr.city": 0, "age": 0}),
                json!({"_id": "1", "name": "A", "addr": {"zip": "9"}}),
            ),
            (json!({"missing": 1}), json!({"_id": "1"})),
            (json!({"name.first": 1}), json!({"_id": "1"})),
        ];
        for (spec, want) in cases {
            assert_eq!(project(spec.clone(), d.clone()), want, "{spec}");
        }
    }

    #[test]
    fn dot_paths_through_arrays_of_objects() {
        let d = json!({"_id": 1, "items": [{"p": 1, "q": 2}, 7, {"q": 3}, [{"p": 4, "r": 0}]]});
        assert_eq!(
            project(json!({"items.p": 1, "_id": 0}), d.clone()),
            json!({"items": [{"p": 1}, {}, [{"p": 4}]]})
        );
        assert_eq!(
            project(json!({"items.p": 0}), d),
            json!({"_id": 1, "items": [{"q": 2}, 7, {"q": 3}, [{"r": 0}]]})
        );
    }

    #[test]
    fn invalid_projections_are_errors() {
        for bad in [
            json!([1]),
            json!({"a": 1, "b": 0}),
            json!({"a": 1, "a.b": 1}),
            json!({"a.b": 0, "a": 0}),
            json!({"a": {"$slice": 1}}),
            json!({"a": "x"}),
            json!({"a..b": 1}),
            json!({"a.$": 1}),
        ] {
            assert!(
                matches!(Projection::parse(&bad), Err(Error::InvalidQuery(_))),
                "{bad}"
            );
        }
    }
}
