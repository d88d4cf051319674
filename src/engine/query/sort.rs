//! Sort specifications: `{"a": 1, "b.c": -1}`, each key with its own
//! direction, in the order written (not the Python library's defect of
//! reversing every key once one is descending).

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::compare::{compare_values, parse_numeric_text};
use super::path::FieldPath;
use super::value_mode::ValueMode;
use crate::engine::Document;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

/// A parsed sort. Compare documents with [`Sort::compare`] in a stable sort so
/// ties keep insertion order.
#[derive(Debug, Clone)]
pub struct Sort {
    keys: Vec<(String, SortDirection)>,
    paths: Vec<FieldPath>,
}

/// The value a document sorts by on one key. An empty array sorts below
/// null and missing, as in MongoDB.
#[derive(Debug)]
pub(crate) enum SortKey<'a> {
    EmptyArray,
    Value(Cow<'a, Value>),
}

impl SortKey<'_> {
    fn cmp(&self, other: &SortKey<'_>) -> Ordering {
        match (self, other) {
            (SortKey::EmptyArray, SortKey::EmptyArray) => Ordering::Equal,
            (SortKey::EmptyArray, SortKey::Value(_)) => Ordering::Less,
            (SortKey::Value(_), SortKey::EmptyArray) => Ordering::Greater,
            (SortKey::Value(a), SortKey::Value(b)) => compare_values(a, b),
        }
    }
}

impl Sort {
    /// Parses `{"field": 1 | -1, ...}`; keys keep their written order.
    pub fn parse(sort: &Value) -> Result<Sort> {
        crate::engine::nesting::check_input_depth(sort, "the sort", Error::InvalidQuery)?;
        Self::parse_unchecked(sort).map_err(crate::engine::shortened)
    }

    fn parse_unchecked(sort: &Value) -> Result<Sort> {
        let Value::Object(fields) = sort else {
            return Err(Error::InvalidQuery(format!(
                "a sort must be an object such as {{\"age\": 1, \"name\": -1}}, not {sort}"
            )));
        };
        let mut keys = Vec::with_capacity(fields.len());
        let mut paths = Vec::with_capacity(fields.len());
        for (name, direction) in fields {
            let direction = match direction.as_f64() {
                Some(1.0) => SortDirection::Ascending,
                Some(-1.0) => SortDirection::Descending,
                _ => {
                    return Err(Error::InvalidQuery(format!(
                        "sort key {name:?} must be 1 (ascending) or -1 (descending), not {direction}"
                    )));
                }
            };
            let path = FieldPath::parse(name)
                .map_err(|reason| Error::InvalidQuery(format!("in the sort: {reason}")))?;
            keys.push((name.clone(), direction));
            paths.push(path);
        }
        Ok(Sort { keys, paths })
    }

    /// The top-level fields the sort reads.
    pub fn top_level_fields(&self) -> Vec<String> {
        self.paths.iter().map(|p| p.root().to_owned()).collect()
    }

    pub fn keys(&self) -> &[(String, SortDirection)] {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Typed values: MongoDB's cross-type order, arrays by their least
    /// element ascending and greatest descending.
    pub fn compare(&self, a: &Document, b: &Document) -> Ordering {
        self.compare_in(a, b, ValueMode::Typed)
    }

    /// As [`Sort::compare`]; in `LegacyText` mode numeric text sorts as the
    /// number it spells (so "9" < "10").
    pub fn compare_in(&self, a: &Document, b: &Document, mode: ValueMode) -> Ordering {
        for (path, (_, direction)) in self.paths.iter().zip(&self.keys) {
            let ka = sort_key(a, path, *direction, mode);
            let kb = sort_key(b, path, *direction, mode);
            let ord = match direction {
                SortDirection::Ascending => ka.cmp(&kb),
                SortDirection::Descending => kb.cmp(&ka),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

/// The values one record sorts by, taken once: a top-k heap compares these
/// instead of walking both documents' paths on every comparison.
#[derive(Debug)]
pub struct SortValues<'a>(Vec<SortKey<'a>>);

impl SortValues<'_> {
    /// Owns its values, to outlive the document they were read from (a
    /// scan reuses one document for every record).
    pub fn into_owned(self) -> SortValues<'static> {
        SortValues(
            self.0
                .into_iter()
                .map(|key| match key {
                    SortKey::EmptyArray => SortKey::EmptyArray,
                    SortKey::Value(v) => SortKey::Value(Cow::Owned(v.into_owned())),
                })
                .collect(),
        )
    }
}

impl Sort {
    /// What `doc` sorts by on each key (as [`Sort::compare_in`] sees it).
    pub fn values_of<'a>(&self, doc: &'a Document, mode: ValueMode) -> SortValues<'a> {
        SortValues(
            self.paths
                .iter()
                .zip(&self.keys)
                .map(|(path, (_, direction))| sort_key(doc, path, *direction, mode))
                .collect(),
        )
    }

    /// [`Sort::compare_in`] of the documents these values were taken from.
    pub fn compare_values_of(&self, a: &SortValues<'_>, b: &SortValues<'_>) -> Ordering {
        for ((ka, kb), (_, direction)) in a.0.iter().zip(&b.0).zip(&self.keys) {
            let ord = match direction {
                SortDirection::Ascending => ka.cmp(kb),
                SortDirection::Descending => kb.cmp(ka),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

fn sort_key<'a>(
    doc: &'a Document,
    path: &FieldPath,
    direction: SortDirection,
    mode: ValueMode,
) -> SortKey<'a> {
    let mut best: Option<SortKey<'a>> = None;
    let mut consider = |candidate: SortKey<'a>| {
        let better = match &best {
            None => true,
            Some(current) => match direction {
                SortDirection::Ascending => candidate.cmp(current) == Ordering::Less,
                SortDirection::Descending => candidate.cmp(current) == Ordering::Greater,
            },
        };
        if better {
            best = Some(candidate);
        }
    };
    path.any(doc, &mut |found| {
        match found {
            None => consider(SortKey::Value(Cow::Owned(Value::Null))),
            Some(Value::Array(items)) if items.is_empty() => consider(SortKey::EmptyArray),
            Some(Value::Array(items)) => {
                for item in items {
                    consider(SortKey::Value(as_sortable(item, mode)));
                }
            }
            Some(value) => consider(SortKey::Value(as_sortable(value, mode))),
        }
        false
    });
    best.unwrap_or(SortKey::Value(Cow::Owned(Value::Null)))
}

fn as_sortable(value: &Value, mode: ValueMode) -> Cow<'_, Value> {
    if mode == ValueMode::LegacyText
        && let Value::String(text) = value
        && let Some(number) = parse_numeric_text(text)
    {
        return Cow::Owned(Value::Number(number));
    }
    Cow::Borrowed(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs(values: &[Value]) -> Vec<Document> {
        values
            .iter()
            .map(|v| v.as_object().cloned().unwrap_or_default())
            .collect()
    }

    fn sorted_ids(sort: Value, values: &[Value], mode: ValueMode) -> Vec<i64> {
        let sort = Sort::parse(&sort).unwrap_or_else(|e| panic!("{e}"));
        let mut docs = docs(values);
        docs.sort_by(|a, b| sort.compare_in(a, b, mode));
        docs.iter()
            .map(|d| d["id"].as_i64().unwrap_or(-1))
            .collect()
    }

    #[test]
    fn mixed_directions_apply_key_by_key() {
        let values = [
            json!({"id": 1, "g": "b", "n": 1}),
            json!({"id": 2, "g": "a", "n": 1}),
            json!({"id": 3, "g": "a", "n": 2}),
            json!({"id": 4, "g": "b", "n": 3}),
        ];
        assert_eq!(
            sorted_ids(json!({"g": 1, "n": -1}), &values, ValueMode::Typed),
            vec![3, 2, 4, 1]
        );
        assert_eq!(
            sorted_ids(json!({"g": -1, "n": 1}), &values, ValueMode::Typed),
            vec![1, 4, 2, 3]
        );
        assert_eq!(
            sorted_ids(json!({"n": -1, "g": 1}), &values, ValueMode::Typed),
            vec![4, 3, 2, 1]
        );
    }

    #[test]
    fn types_sort_in_mongodb_order_and_ties_are_stable() {
        let values = [
            json!({"id": 1, "v": true}),
            json!({"id": 2, "v": [5]}),
            json!({"id": 3, "v": {"a": 1}}),
            json!({"id": 4, "v": "x"}),
            json!({"id": 5, "v": 2.5}),
            json!({"id": 6, "v": null}),
            json!({"id": 7}),
            json!({"id": 8, "v": 2}),
            json!({"id": 9, "v": []}),
        ];
        // [5] sorts by its element 5 (a number); [] below null and missing.
        assert_eq!(
            sorted_ids(json!({"v": 1}), &values, ValueMode::Typed),
            vec![9, 6, 7, 8, 5, 2, 4, 3, 1]
        );
        assert_eq!(
            sorted_ids(json!({"v": -1}), &values, ValueMode::Typed),
            vec![1, 3, 4, 2, 5, 8, 6, 7, 9]
        );
    }

    #[test]
    fn arrays_sort_by_least_element_ascending_and_greatest_descending() {
        let values = [
            json!({"id": 1, "v": [1, 10]}),
            json!({"id": 2, "v": [5]}),
            json!({"id": 3, "v": 7}),
        ];
        assert_eq!(
            sorted_ids(json!({"v": 1}), &values, ValueMode::Typed),
            vec![1, 2, 3]
        );
        assert_eq!(
            sorted_ids(json!({"v": -1}), &values, ValueMode::Typed),
            vec![1, 3, 2]
        );
    }

    #[test]
    fn dot_paths_sort_through_objects_and_arrays() {
        let values = [
            json!({"id": 1, "a": {"b": 3}}),
            json!({"id": 2, "a": [{"b": 9}, {"b": 1}]}),
            json!({"id": 3, "a": {"b": 2}}),
        ];
        assert_eq!(
            sorted_ids(json!({"a.b": 1}), &values, ValueMode::Typed),
            vec![2, 3, 1]
        );
        assert_eq!(
            sorted_ids(json!({"a.b": -1}), &values, ValueMode::Typed),
            vec![2, 1, 3]
        );
    }

    #[test]
    fn legacy_text_sorts_numeric_text_by_number() {
        let values = [
            json!({"id": 1, "age": "100"}),
            json!({"id": 2, "age": "9"}),
            json!({"id": 3, "age": "abc"}),
            json!({"id": 4, "age": "25.5"}),
        ];
        assert_eq!(
            sorted_ids(json!({"age": 1}), &values, ValueMode::LegacyText),
            vec![2, 4, 1, 3]
        );
        assert_eq!(
            sorted_ids(json!({"age": 1}), &values, ValueMode::Typed),
            vec![1, 4, 2, 3]
        );
    }

    #[test]
    fn numbers_sort_by_value_across_int_and_float() {
        let values = [
            json!({"id": 1, "v": 3}),
            json!({"id": 2, "v": 2.5}),
            json!({"id": 3, "v": -1}),
        ];
        assert_eq!(
            sorted_ids(json!({"v": 1}), &values, ValueMode::Typed),
            vec![3, 2, 1]
        );
    }

    #[test]
    fn keys_keep_written_order_and_bad_specs_are_errors() {
        let sort = Sort::parse(&json!({"z": 1, "a": -1.0})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sort.keys(),
            &[
                ("z".to_string(), SortDirection::Ascending),
                ("a".to_string(), SortDirection::Descending)
            ]
        );
        assert!(Sort::parse(&json!({})).is_ok_and(|s| s.is_empty()));
        for bad in [
            json!([1]),
            json!({"a": 2}),
            json!({"a": "asc"}),
            json!({"": 1}),
        ] {
            assert!(
                matches!(Sort::parse(&bad), Err(Error::InvalidQuery(_))),
                "{bad}"
            );
        }
    }
}
