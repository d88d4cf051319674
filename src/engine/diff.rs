//! Field-by-field differences between two versions of a record: what the
//! pending changes, a bulk preview, a write conflict and a comparison with
//! a backup all show.
//!
//! A pure function of two `serde_json` values. Paths are the dotted form
//! the query language reads (`address.city`, `tags.1` for the second
//! element of `tags`), so a path can go straight into a filter or a `$set`.
//! Objects are compared key by key, arrays element by element by position;
//! where the two sides are of different types (`30` and `"30"`, an object
//! and an array) the whole value at that path is one change. A missing
//! field and a `null` one are different: a missing side is `None`.
//! Key order is not a difference (records compare as MongoDB's do).

use serde_json::Value;

use crate::engine::Document;

/// One path whose value differs.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    /// Dotted, array positions as numbers (`items.0.price`); empty for a
    /// value compared at its root.
    pub path: String,
    /// The value before (`None`: the field is missing there).
    pub before: Option<Value>,
    /// The value after (`None`: the field is missing there).
    pub after: Option<Value>,
}

/// What happened at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl FieldChange {
    pub fn kind(&self) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Removed,
            _ => ChangeKind::Changed,
        }
    }

    /// The two types when both sides exist and their JSON types differ
    /// (`("number", "string")` for `30` → `"30"`): the change a reader
    /// would miss when both print alike.
    pub fn type_change(&self) -> Option<(&'static str, &'static str)> {
        let (before, after) = (self.before.as_ref()?, self.after.as_ref()?);
        let (a, b) = (type_name(before), type_name(after));
        (a != b).then_some((a, b))
    }
}

/// A value's JSON type, as a diff names it.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The changes from `before` to `after`, in the order of `before`'s fields
/// then the fields only `after` has.
pub fn diff_values(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut path = String::new();
    walk(&mut path, Some(before), Some(after), &mut out);
    out
}

/// [`diff_values`] of two records: `None` is a record that does not exist,
/// whose every field the other side adds or removes.
pub fn diff_documents(before: Option<&Document>, after: Option<&Document>) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let empty = Document::new();
    let mut path = String::new();
    objects(
        &mut path,
        before.unwrap_or(&empty),
        after.unwrap_or(&empty),
        &mut out,
    );
    out
}

fn walk(
    path: &mut String,
    before: Option<&Value>,
    after: Option<&Value>,
    out: &mut Vec<FieldChange>,
) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => objects(path, a, b, out),
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                let mark = push_segment(path, &i.to_string());
                walk(path, a.get(i), b.get(i), out);
                path.truncate(mark);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            path: path.clone(),
            before: a.cloned(),
            after: b.cloned(),
        }),
    }
}

fn objects(path: &mut String, a: &Document, b: &Document, out: &mut Vec<FieldChange>) {
    for (key, value) in a {
        let mark = push_segment(path, key);
        walk(path, Some(value), b.get(key), out);
        path.truncate(mark);
    }
    for (key, value) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
        let mark = push_segment(path, key);
        walk(path, None, Some(value), out);
        path.truncate(mark);
    }
}

/// Appends `.segment` (or `segment` at the root); returns where to cut back to.
fn push_segment(path: &mut String, segment: &str) -> usize {
    let mark = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(segment);
    mark
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::test_doc as doc;

    fn change(path: &str, before: Option<Value>, after: Option<Value>) -> FieldChange {
        FieldChange {
            path: path.to_owned(),
            before,
            after,
        }
    }

    #[test]
    fn equal_values_have_no_changes_whatever_their_key_order() {
        let a = json!({"a": 1, "b": {"c": [1, 2, {"d": null}]}});
        let b = json!({"b": {"c": [1, 2, {"d": null}]}, "a": 1});
        assert!(diff_values(&a, &b).is_empty());
    }

    #[test]
    fn added_removed_and_changed_top_level_fields() {
        let changes = diff_values(
            &json!({"_id": "a", "x": 1, "y": 2}),
            &json!({"_id": "a", "x": 5, "z": 3}),
        );
        assert_eq!(
            changes,
            vec![
                change("x", Some(json!(1)), Some(json!(5))),
                change("y", Some(json!(2)), None),
                change("z", None, Some(json!(3))),
            ]
        );
        let kinds: Vec<_> = changes.iter().map(FieldChange::kind).collect();
        assert_eq!(
            kinds,
            [ChangeKind::Changed, ChangeKind::Removed, ChangeKind::Added]
        );
    }

    #[test]
    fn nested_objects_give_dotted_paths_to_the_leaves_that_differ() {
        let changes = diff_values(
            &json!({"address": {"city": "Oslo", "geo": {"lat": 59.9, "lon": 10.7}}}),
            &json!({"address": {"city": "Bergen", "geo": {"lat": 59.9}, "zip": "5003"}}),
        );
        assert_eq!(
            changes,
            vec![
                change("address.city", Some(json!("Oslo")), Some(json!("Bergen"))),
                change("address.geo.lon", Some(json!(10.7)), None),
                change("address.zip", None, Some(json!("5003"))),
            ]
        );
    }

    #[test]
    fn arrays_are_compared_by_position() {
        let changes = diff_values(
            &json!({"tags": ["a", "b", "c"], "items": [{"sku": 1, "n": 2}]}),
            &json!({"tags": ["a", "x"], "items": [{"sku": 1, "n": 3}, {"sku": 2}]}),
        );
        assert_eq!(
            changes,
            vec![
                change("tags.1", Some(json!("b")), Some(json!("x"))),
                change("tags.2", Some(json!("c")), None),
                change("items.0.n", Some(json!(2)), Some(json!(3))),
                change("items.1", None, Some(json!({"sku": 2}))),
            ]
        );
    }

    #[test]
    fn a_type_change_is_one_change_that_names_both_types() {
        let changes = diff_values(
            &json!({"age": 30, "tags": ["a"], "meta": {"k": 1}}),
            &json!({"age": "30", "tags": {"0": "a"}, "meta": {"k": 1}}),
        );
        assert_eq!(
            changes,
            vec![
                change("age", Some(json!(30)), Some(json!("30"))),
                change("tags", Some(json!(["a"])), Some(json!({"0": "a"}))),
            ]
        );
        assert_eq!(changes[0].type_change(), Some(("number", "string")));
        assert_eq!(changes[1].type_change(), Some(("array", "object")));
        let same_type = change("n", Some(json!(1)), Some(json!(2)));
        assert_eq!(same_type.type_change(), None);
    }

    #[test]
    fn missing_and_null_are_different() {
        let changes = diff_values(&json!({"a": null}), &json!({}));
        assert_eq!(changes, vec![change("a", Some(Value::Null), None)]);
        assert_eq!(changes[0].kind(), ChangeKind::Removed);
        let changes = diff_values(&json!({"a": null}), &json!({"a": 0}));
        assert_eq!(changes[0].type_change(), Some(("null", "number")));
        let changes = diff_values(&json!({"l": [null]}), &json!({"l": []}));
        assert_eq!(changes, vec![change("l.0", Some(Value::Null), None)]);
    }

    #[test]
    fn a_missing_record_adds_or_removes_every_field() {
        let record = doc(json!({"_id": "a", "n": 1, "o": {"p": true}}));
        assert_eq!(
            diff_documents(None, Some(&record)),
            vec![
                change("_id", None, Some(json!("a"))),
                change("n", None, Some(json!(1))),
                change("o", None, Some(json!({"p": true}))),
            ]
        );
        assert_eq!(diff_documents(Some(&record), None).len(), 3);
        assert!(diff_documents(Some(&record), Some(&record)).is_empty());
        assert!(diff_documents(None, None).is_empty());
    }

    #[test]
    fn scalars_at_the_root_have_an_empty_path() {
        assert_eq!(
            diff_values(&json!(1), &json!(1.5)),
            vec![change("", Some(json!(1)), Some(json!(1.5)))]
        );
        assert!(diff_values(&json!("x"), &json!("x")).is_empty());
    }
}
