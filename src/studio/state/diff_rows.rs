//! The rows a diff view draws: each changed path with its values as short
//! text (big ones folded), the first few of them and how many in all.
//!
//! [`diff_rows`] walks two records as `engine::diff` does (same paths, same
//! order) but copies no value: the engine's changes hold whole values, and
//! for a deleted 16 MiB record that is 16 MiB copied to show a dozen lines.
//! [`rows_of`] turns changes the worker already made into rows.

use serde_json::Value;

use super::folding::{PathStep, ValuePath, folded_line, is_big};
use crate::Document;
use crate::engine::diff::{ChangeKind, FieldChange, type_name};

/// The longest a value is shown before it is cut with "…".
pub const VALUE_CHARS: usize = 80;

/// A value as a diff row shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownValue {
    /// Compact JSON, a big value folded to a prefix and its length.
    pub text: String,
    /// The value is big: the row offers "show all".
    pub big: bool,
    pub type_name: &'static str,
}

impl ShownValue {
    pub fn of(value: &Value) -> ShownValue {
        ShownValue {
            text: folded_line(value, VALUE_CHARS),
            big: is_big(value),
            type_name: type_name(value),
        }
    }
}

/// One changed path.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffRow {
    /// Where the change is, when the rows were made from the records.
    pub path: ValuePath,
    /// Dotted, as the query language reads it; empty for a root value.
    pub dotted: String,
    /// The change's position among all of them.
    pub index: usize,
    pub before: Option<ShownValue>,
    pub after: Option<ShownValue>,
}

impl DiffRow {
    pub fn kind(&self) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Removed,
            _ => ChangeKind::Changed,
        }
    }

    /// Both types when both sides exist and their JSON types differ.
    pub fn type_change(&self) -> Option<(&'static str, &'static str)> {
        let (a, b) = (self.before.as_ref()?, self.after.as_ref()?);
        (a.type_name != b.type_name).then_some((a.type_name, b.type_name))
    }
}

/// The first rows of a diff and how many changes it has in all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiffRows {
    pub rows: Vec<DiffRow>,
    pub total: usize,
}

/// The first `keep` changes from `before` to `after` (`None`: no record),
/// and how many there are.
pub fn diff_rows(before: Option<&Document>, after: Option<&Document>, keep: usize) -> DiffRows {
    let mut walker = Walker {
        out: DiffRows::default(),
        keep,
    };
    let empty = Document::new();
    walker.objects(
        &mut Vec::new(),
        before.unwrap_or(&empty),
        after.unwrap_or(&empty),
    );
    walker.out
}

/// Rows for the first `keep` of changes the engine made.
pub fn rows_of(changes: &[FieldChange], keep: usize) -> DiffRows {
    DiffRows {
        rows: changes
            .iter()
            .take(keep)
            .enumerate()
            .map(|(index, change)| DiffRow {
                path: ValuePath::default(),
                dotted: change.path.clone(),
                index,
                before: change.before.as_ref().map(ShownValue::of),
                after: change.after.as_ref().map(ShownValue::of),
            })
            .collect(),
        total: changes.len(),
    }
}

struct Walker {
    out: DiffRows,
    keep: usize,
}

impl Walker {
    fn walk(&mut self, path: &mut Vec<PathStep>, before: Option<&Value>, after: Option<&Value>) {
        match (before, after) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => self.objects(path, a, b),
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                for i in 0..a.len().max(b.len()) {
                    path.push(PathStep::Index(i));
                    self.walk(path, a.get(i), b.get(i));
                    path.pop();
                }
            }
            (a, b) if a == b => {}
            (a, b) => self.change(path, a, b),
        }
    }

    fn objects(&mut self, path: &mut Vec<PathStep>, a: &Document, b: &Document) {
        for (key, value) in a {
            path.push(PathStep::Field(key.clone()));
            self.walk(path, Some(value), b.get(key));
            path.pop();
        }
        for (key, value) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
            path.push(PathStep::Field(key.clone()));
            self.walk(path, None, Some(value));
            path.pop();
        }
    }

    fn change(&mut self, path: &[PathStep], before: Option<&Value>, after: Option<&Value>) {
        let index = self.out.total;
        self.out.total += 1;
        if self.out.rows.len() < self.keep {
            let path = ValuePath(path.to_vec());
            self.out.rows.push(DiffRow {
                dotted: path.dotted(),
                path,
                index,
                before: before.map(ShownValue::of),
                after: after.map(ShownValue::of),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::diff::diff_documents;
    use crate::engine::test_doc as doc;

    #[test]
    fn rows_follow_the_engines_paths_and_order() {
        let before =
            doc(json!({"_id": "a", "age": 30, "tags": ["x", "y"], "o": {"k": 1}, "gone": 1}));
        let after = doc(
            json!({"_id": "a", "age": "30", "tags": ["x", "z", "w"], "o": {"k": 2}, "new": null}),
        );
        let engine = diff_documents(Some(&before), Some(&after));
        let rows = diff_rows(Some(&before), Some(&after), 100);
        let paths: Vec<&str> = rows.rows.iter().map(|r| r.dotted.as_str()).collect();
        let expected: Vec<&str> = engine.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, expected);
        let made = rows_of(&engine, 100);
        assert_eq!(rows.total, made.total);
        for (walked, made) in rows.rows.iter().zip(&made.rows) {
            let key = |r: &DiffRow| (r.dotted.clone(), r.index, r.before.clone(), r.after.clone());
            assert_eq!(key(walked), key(made));
        }
        assert_eq!(rows.rows[0].type_change(), Some(("number", "string")));
        assert_eq!(rows.rows[0].path, ValuePath::field("age"));
    }

    #[test]
    fn a_deleted_big_record_is_a_row_a_field_with_big_values_folded() {
        let before =
            doc(json!({"_id": "a", "text": "t".repeat(5_000_000), "items": vec![1; 300_000]}));
        let rows = diff_rows(Some(&before), None, 2);
        assert_eq!(rows.total, 3);
        assert_eq!(rows.rows.len(), 2);
        let text = rows.rows[1].before.as_ref().expect("removed text");
        assert!(text.big && text.text.ends_with("<5,000,000 bytes>"));
        assert!(text.text.len() < 120);
        assert_eq!(rows.rows[1].kind(), ChangeKind::Removed);
    }
}
