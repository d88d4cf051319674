//! A field path as the schema writes it (`address.city`, `tags[]`,
//! `items[].price`) and the values it reaches in a record.

use serde_json::Value;

use crate::engine::Document;

/// One step: a field name, and whether to go into each element of the
/// array it holds (`[]`).
#[derive(Clone, Debug, PartialEq)]
struct Step {
    key: String,
    each: bool,
}

/// A parsed schema path.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldPath {
    steps: Vec<Step>,
}

impl FieldPath {
    pub fn parse(path: &str) -> FieldPath {
        let steps = path
            .split('.')
            .map(|part| {
                let mut key = part;
                let mut each = false;
                // `a[][]` (arrays of arrays) reads as one level here.
                while let Some(stripped) = key.strip_suffix("[]") {
                    key = stripped;
                    each = true;
                }
                Step {
                    key: key.to_owned(),
                    each,
                }
            })
            .collect();
        FieldPath { steps }
    }

    /// The record's field the path starts at.
    pub fn top_level_field(&self) -> Option<&str> {
        self.steps.first().map(|step| step.key.as_str())
    }

    /// Calls `each` with every value the path reaches in `doc`.
    pub fn for_each<'a>(&self, doc: &'a Document, each: &mut dyn FnMut(&'a Value)) {
        let Some((first, rest)) = self.steps.split_first() else {
            return;
        };
        if let Some(value) = doc.get(&first.key) {
            walk(value, first.each, rest, each);
        }
    }

    /// The first value the path reaches.
    pub fn first<'a>(&self, doc: &'a Document) -> Option<&'a Value> {
        let mut found = None;
        self.for_each(doc, &mut |value| {
            found.get_or_insert(value);
        });
        found
    }

    /// The first number the path reaches.
    pub fn first_number(&self, doc: &Document) -> Option<f64> {
        let mut found = None;
        self.for_each(doc, &mut |value| {
            if found.is_none() {
                found = value.as_f64();
            }
        });
        found
    }
}

fn walk<'a>(value: &'a Value, each: bool, rest: &[Step], out: &mut dyn FnMut(&'a Value)) {
    if each {
        if let Value::Array(items) = value {
            for item in items {
                walk(item, false, rest, out);
            }
        }
        return;
    }
    match rest.split_first() {
        None => out(value),
        Some((next, rest)) => {
            if let Some(inner) = value.as_object().and_then(|o| o.get(&next.key)) {
                walk(inner, next.each, rest, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::test_doc;

    fn reached(path: &str, doc: Value) -> Vec<Value> {
        let doc = test_doc(doc);
        let mut found = Vec::new();
        FieldPath::parse(path).for_each(&doc, &mut |v| found.push(v.clone()));
        found
    }

    #[test]
    fn paths_reach_nested_fields_and_array_elements() {
        let doc =
            json!({"a": {"b": 1}, "tags": ["x", "y"], "items": [{"p": 2}, {"q": 3}, {"p": 4}]});
        assert_eq!(reached("a.b", doc.clone()), [json!(1)]);
        assert_eq!(reached("a", doc.clone()), [json!({"b": 1})]);
        assert_eq!(reached("tags[]", doc.clone()), [json!("x"), json!("y")]);
        assert_eq!(reached("items[].p", doc.clone()), [json!(2), json!(4)]);
        assert!(reached("a.c", doc.clone()).is_empty());
        assert!(reached("a[]", doc.clone()).is_empty());
        assert!(reached("missing", doc).is_empty());
    }
}
