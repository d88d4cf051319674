//! The small expression language of `$group` and `$project`: field paths
//! (`"$price"`, `"$item.name"`), `"$$ROOT"`, `{"$literal": v}`, literals, and
//! objects or arrays of those. A field path through an array collects the
//! values of its elements, as MongoDB's aggregation field paths do.

use serde_json::{Map, Value};

use crate::engine::Document;
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Literal(Value),
    Field(Vec<String>),
    Root,
    Object(Vec<(String, Expr)>),
    Array(Vec<Expr>),
}

impl Expr {
    /// Adds the top-level fields the expression reads; false if it needs
    /// the whole document (`$$ROOT`).
    pub(crate) fn collect_roots(&self, out: &mut Vec<String>) -> bool {
        match self {
            Expr::Literal(_) => true,
            Expr::Field(path) => {
                out.extend(path.first().cloned());
                true
            }
            Expr::Root => false,
            Expr::Object(fields) => fields.iter().all(|(_, e)| e.collect_roots(out)),
            Expr::Array(items) => items.iter().all(|e| e.collect_roots(out)),
        }
    }

    /// Parses an expression; `context` says where it is, for error messages.
    pub(crate) fn parse(v: &Value, context: &str) -> Result<Expr> {
        Self::parse_at(v, context, 0)
    }

    fn parse_at(v: &Value, context: &str, depth: usize) -> Result<Expr> {
        if depth > crate::engine::query::MAX_FILTER_DEPTH {
            return Err(Error::InvalidPipeline(format!(
                "{context}: expression nests too deeply"
            )));
        }
        Ok(match v {
            Value::String(s) if s == "$$ROOT" || s == "$$CURRENT" => Expr::Root,
            Value::String(s) if s.starts_with("$$") => {
                return Err(Error::InvalidPipeline(format!(
                    "{context}: unknown variable {s:?} (only $$ROOT and $$CURRENT exist)"
                )));
            }
            Value::String(s) if s.starts_with('$') => Expr::Field(parse_field_path(s, context)?),
            Value::Object(fields) => {
                if fields.len() == 1
                    && let Some(literal) = fields.get("$literal")
                {
                    return Ok(Expr::Literal(literal.clone()));
                }
                if let Some(op) = fields.keys().find(|k| k.starts_with('$')) {
                    return Err(Error::InvalidPipeline(format!(
                        "{context}: unsupported expression operator {op}; use field paths (\"$field\"), \
                         {{\"$literal\": value}} or plain values"
                    )));
                }
                Expr::Object(
                    fields
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), Self::parse_at(v, context, depth + 1)?)))
                        .collect::<Result<_>>()?,
                )
            }
            Value::Array(items) => Expr::Array(
                items
                    .iter()
                    .map(|item| Self::parse_at(item, context, depth + 1))
                    .collect::<Result<_>>()?,
            ),
            other => Expr::Literal(other.clone()),
        })
    }

    /// The value for one document; `None` when a field path is missing.
    pub(crate) fn eval(&self, doc: &Document) -> Option<Value> {
        match self {
            Expr::Literal(v) => Some(v.clone()),
            Expr::Root => Some(Value::Object(doc.clone())),
            Expr::Field(segments) => {
                let (first, rest) = segments.split_first()?;
                eval_path(doc.get(first)?, rest)
            }
            Expr::Object(fields) => Some(Value::Object(
                fields
                    .iter()
                    .filter_map(|(name, expr)| expr.eval(doc).map(|v| (name.clone(), v)))
                    .collect(),
            )),
            Expr::Array(items) => Some(Value::Array(
                items
                    .iter()
                    .map(|item| item.eval(doc).unwrap_or(Value::Null))
                    .collect(),
            )),
        }
    }
}

/// `"$a.b"` into `["a", "b"]`.
pub(crate) fn parse_field_path(text: &str, context: &str) -> Result<Vec<String>> {
    let path = text.strip_prefix('$').unwrap_or(text);
    if path.is_empty()
        || path.split('.').any(str::is_empty)
        || path.split('.').count() > crate::engine::query::MAX_PATH_SEGMENTS
    {
        return Err(Error::InvalidPipeline(format!(
            "{context}: {text:?} is not a field path such as \"$field\" or \"$a.b\""
        )));
    }
    Ok(path.split('.').map(str::to_string).collect())
}

fn eval_path(value: &Value, rest: &[String]) -> Option<Value> {
    let Some((first, tail)) = rest.split_first() else {
        return Some(value.clone());
    };
    match value {
        Value::Object(fields) => eval_path(fields.get(first)?, tail),
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter(|item| item.is_object() || item.is_array())
                .filter_map(|item| eval_path(item, rest))
                .collect(),
        )),
        _ => None,
    }
}

/// The value at an object-only path (what `$unwind` addresses).
pub(crate) fn get_nested<'a>(doc: &'a Document, segments: &[String]) -> Option<&'a Value> {
    let (first, rest) = segments.split_first()?;
    rest.iter().try_fold(doc.get(first)?, |current, segment| {
        current.as_object()?.get(segment)
    })
}

/// Writes `value` at an object path, creating (or replacing non-object)
/// parents on the way.
pub(crate) fn set_nested(doc: &mut Document, segments: &[String], value: Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut current = doc;
    for segment in parents {
        let slot = current
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        current = next;
    }
    current.insert(last.clone(), value);
}

/// Removes the field at an object path, if it is there.
pub(crate) fn remove_nested(doc: &mut Document, segments: &[String]) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut current = doc;
    for segment in parents {
        let Some(Value::Object(next)) = current.get_mut(segment) else {
            return;
        };
        current = next;
    }
    current.shift_remove(last);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: Value, doc: Value) -> Option<Value> {
        let expr = Expr::parse(&expr, "test").unwrap_or_else(|e| panic!("{e}"));
        expr.eval(doc.as_object().unwrap_or(&Map::new()))
    }

    #[test]
    fn expressions_evaluate_like_mongodb_field_paths() {
        let d = json!({"a": {"b": 2}, "items": [{"p": 1}, 5, {"q": 0}, {"p": 3}], "n": 4});
        let cases = [
            (json!("$n"), Some(json!(4))),
            (json!("$a.b"), Some(json!(2))),
            (json!("$missing"), None),
            (json!("$n.x"), None),
            (json!("$items.p"), Some(json!([1, 3]))),
            (json!("plain"), Some(json!("plain"))),
            (json!(7), Some(json!(7))),
            (json!({"$literal": "$n"}), Some(json!("$n"))),
            (json!({"x": "$n", "y": "$missing"}), Some(json!({"x": 4}))),
            (json!(["$n", "$missing"]), Some(json!([4, null]))),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(expr.clone(), d.clone()), want, "{expr}");
        }
        assert_eq!(
            eval(json!("$$ROOT"), json!({"k": 1})),
            Some(json!({"k": 1}))
        );
    }

    #[test]
    fn unsupported_expressions_are_errors() {
        for bad in [
            json!({"$multiply": [1, 2]}),
            json!("$"),
            json!("$a..b"),
            json!("$$NOW"),
        ] {
            assert!(
                matches!(Expr::parse(&bad, "ctx"), Err(Error::InvalidPipeline(m)) if m.contains("ctx")),
                "{bad}"
            );
        }
    }

    #[test]
    fn nested_set_get_remove() {
        let mut d = json!({"a": 5}).as_object().cloned().unwrap_or_default();
        let path = vec!["a".to_string(), "b".to_string()];
        set_nested(&mut d, &path, json!(1));
        assert_eq!(Value::Object(d.clone()), json!({"a": {"b": 1}}));
        assert_eq!(get_nested(&d, &path), Some(&json!(1)));
        remove_nested(&mut d, &path);
        assert_eq!(Value::Object(d), json!({"a": {}}));
    }
}
