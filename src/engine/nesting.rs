//! Nesting limits, checked before any recursive code sees a value.
//!
//! Cloning, printing, comparing, encoding and dropping a `serde_json::Value`
//! all recurse, so a value nested 100,000 levels deep (easy to build in
//! code, or to receive from a parser without serde_json's 128-level limit)
//! would overflow the stack in any of them. Every public entry point that
//! takes a value checks its depth first, with a check whose own recursion
//! stops at the limit, and refuses it with [`Error::LimitExceeded`].

use serde_json::Value;

use crate::engine::Document;
use crate::engine::storage::codec::MAX_DEPTH;
use crate::error::{Error, Result};

/// Deepest nesting of a filter, sort, projection, update or pipeline, in
/// JSON levels. Far above what any query needs (a stored document nests at
/// most [`MAX_DEPTH`] levels, and the query language holds a filter's
/// operators to a tighter limit of its own), far below what could exhaust a
/// stack.
///
/// This module sits below the query language: every parser of query input
/// calls `check_input_depth` first, and nothing here knows the language.
pub const MAX_INPUT_DEPTH: usize = 256;

/// True when `v` nests arrays and objects more than `limit` levels deep (a
/// scalar is 0 levels, `[]` one). Its recursion stops at `limit`.
pub(crate) fn nests_deeper_than(v: &Value, limit: usize) -> bool {
    match v {
        Value::Array(items) => limit == 0 || items.iter().any(|i| nests_deeper_than(i, limit - 1)),
        Value::Object(fields) => {
            limit == 0 || fields.values().any(|i| nests_deeper_than(i, limit - 1))
        }
        _ => false,
    }
}

/// Refuses a query value nested deeper than [`MAX_INPUT_DEPTH`], with the
/// error kind of what it is (`invalid`: `Error::InvalidQuery`, ...).
pub(crate) fn check_input_depth(v: &Value, what: &str, invalid: fn(String) -> Error) -> Result<()> {
    if nests_deeper_than(v, MAX_INPUT_DEPTH) {
        return Err(invalid(format!(
            "{what} nests deeper than {MAX_INPUT_DEPTH} levels"
        )));
    }
    Ok(())
}

/// Refuses a document whose values nest deeper than [`MAX_DEPTH`] levels
/// (the limit the binary codec enforces, here for every format).
pub(crate) fn check_document_depth(doc: &Document) -> Result<()> {
    if doc.values().any(|v| nests_deeper_than(v, MAX_DEPTH)) {
        return Err(document_too_deep());
    }
    Ok(())
}

pub(crate) fn document_too_deep() -> Error {
    Error::LimitExceeded {
        what: "document nesting depth".to_owned(),
        limit: format!("{MAX_DEPTH} levels"),
    }
}

/// Drops a value of any depth without recursing (a plain drop of a value
/// nested 100,000 levels overflows the stack).
pub fn drop_deep(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(fields) => stack.extend(fields.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `[[[...]]]` with `levels` arrays, built without recursion.
    fn nested(levels: usize) -> Value {
        let mut v = Value::Null;
        for _ in 0..levels {
            v = Value::Array(vec![v]);
        }
        v
    }

    #[test]
    fn depth_is_counted_in_containers() {
        assert!(!nests_deeper_than(&json!(1), 0));
        assert!(nests_deeper_than(&json!([]), 0));
        assert!(!nests_deeper_than(&json!({"a": [1]}), 2));
        assert!(nests_deeper_than(&json!({"a": [[1]]}), 2));
    }

    #[test]
    fn a_value_a_hundred_thousand_levels_deep_is_refused_and_dropped_safely() {
        let deep = nested(100_000);
        assert!(matches!(
            check_input_depth(&deep, "the filter", Error::InvalidQuery),
            Err(Error::InvalidQuery(m)) if m.contains("deeper than 256")
        ));
        drop_deep(deep);
    }

    #[test]
    fn documents_are_held_to_the_codec_limit() {
        let mut doc = Document::new();
        doc.insert("a".to_owned(), nested(MAX_DEPTH));
        assert!(check_document_depth(&doc).is_ok());
        doc.insert("b".to_owned(), nested(MAX_DEPTH + 1));
        assert!(check_document_depth(&doc).is_err());
    }
}
