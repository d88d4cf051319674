//! Dot paths (`"address.city"`, `"tags.0"`, `"items.price"`) and the walk that
//! finds every value a path reaches, MongoDB's way: an array met before the end
//! of the path is searched element by element (objects only), and a numeric
//! segment also indexes into it.

use serde_json::Value;

use crate::engine::Document;

/// Paths longer than this are refused: no document nests that deep, and
/// updates would otherwise build such a document.
pub const MAX_PATH_SEGMENTS: usize = 100;

/// A parsed dot path: split once, so matching a million documents never
/// splits or allocates again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) name: String,
    /// The segment read as an array position, when it is all digits.
    pub(crate) index: Option<usize>,
}

impl FieldPath {
    /// The top-level field the path starts at (all a document needs to
    /// hold for the path to be evaluated).
    pub fn root(&self) -> &str {
        self.segments.first().map_or("", |s| s.name.as_str())
    }

    /// Splits `path` on dots; an empty path or an empty segment is an error
    /// (the message says why; callers add where the path came from).
    pub fn parse(path: &str) -> Result<FieldPath, String> {
        if path.is_empty() {
            return Err("a field path cannot be empty".to_string());
        }
        if path.split('.').count() > MAX_PATH_SEGMENTS {
            return Err(format!(
                "field path {:?}… has more than {MAX_PATH_SEGMENTS} segments",
                path.chars().take(40).collect::<String>()
            ));
        }
        let segments = path
            .split('.')
            .map(|name| {
                if name.is_empty() {
                    return Err(format!("field path {path:?} has an empty segment"));
                }
                let index = if name.bytes().all(|b| b.is_ascii_digit()) {
                    name.parse::<usize>().ok()
                } else {
                    None
                };
                Ok(Segment {
                    name: name.to_string(),
                    index,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FieldPath {
            text: path.to_string(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Every value the path reaches, in document order. `None` stands for a
    /// branch where the path is missing (`{"a.b": null}` matches those).
    /// `visit` returns true to stop; the result says whether it did.
    pub(crate) fn any<'a>(
        &self,
        doc: &'a Document,
        visit: &mut impl FnMut(Option<&'a Value>) -> bool,
    ) -> bool {
        walk_object(doc, &self.segments, visit)
    }
}

fn walk_object<'a>(
    object: &'a Document,
    segments: &[Segment],
    visit: &mut impl FnMut(Option<&'a Value>) -> bool,
) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return false;
    };
    match field(object, &first.name) {
        Some(value) => walk_value(value, rest, visit),
        None => visit(None),
    }
}

/// Objects up to this many fields are searched by a scan of their entries.
const SCAN_LIMIT: usize = 16;

/// A field of an object. Small objects are scanned instead of hashed: the
/// entries are contiguous, comparing lengths first rarely touches a key's
/// bytes, and it skips hashing the name and a cache miss in the hash table,
/// which makes a scan over a million documents several times faster.
#[inline]
pub(crate) fn field<'a>(object: &'a Document, name: &str) -> Option<&'a Value> {
    if object.len() <= SCAN_LIMIT {
        object
            .iter()
            .find(|(key, _)| key.len() == name.len() && key.as_str() == name)
            .map(|(_, value)| value)
    } else {
        object.get(name)
    }
}

fn walk_value<'a>(
    value: &'a Value,
    segments: &[Segment],
    visit: &mut impl FnMut(Option<&'a Value>) -> bool,
) -> bool {
    let Some(first) = segments.first() else {
        return visit(Some(value));
    };
    match value {
        Value::Object(object) => walk_object(object, segments, visit),
        Value::Array(items) => {
            if let Some(element) = first.index.and_then(|i| items.get(i))
                && walk_value(element, &segments[1..], visit)
            {
                return true;
            }
            // Only objects are searched; scalars in the array contribute
            // nothing, not even "missing" (MongoDB: {"a.b": null} does not
            // match {a: [5]}).
            items
                .iter()
                .filter_map(Value::as_object)
                .any(|object| walk_object(object, segments, visit))
        }
        _ => visit(None),
    }
}

/// All values `path` reaches in `doc` (arrays at the end of the path are
/// returned whole, not opened). An invalid path reaches nothing.
pub fn lookup_path<'a>(doc: &'a Document, path: &str) -> Vec<&'a Value> {
    let Ok(path) = FieldPath::parse(path) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    path.any(doc, &mut |value| {
        if let Some(value) = value {
            found.push(value);
        }
        false
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    #[test]
    fn lookup_follows_objects_arrays_and_positions() {
        let d = doc(json!({
            "address": {"city": "Oslo"},
            "tags": ["x", "y"],
            "items": [{"price": 3}, {"price": 5}, 7, {"other": 1}],
            "nested": [[{"price": 9}]],
            "grid": [{"0": "field-zero"}, "first"],
        }));
        let cases: &[(&str, Vec<Value>)] = &[
            ("address.city", vec![json!("Oslo")]),
            ("tags", vec![json!(["x", "y"])]),
            ("tags.1", vec![json!("y")]),
            ("tags.5", vec![]),
            ("items.price", vec![json!(3), json!(5)]),
            ("items.1.price", vec![json!(5)]),
            ("nested.price", vec![]),
            ("nested.0.0.price", vec![json!(9)]),
            (
                "grid.0",
                vec![json!({"0": "field-zero"}), json!("field-zero")],
            ),
            ("missing.deeper", vec![]),
            ("address..city", vec![]),
        ];
        for (path, want) in cases {
            let got: Vec<Value> = lookup_path(&d, path).into_iter().cloned().collect();
            assert_eq!(&got, want, "path {path}");
        }
    }

    #[test]
    fn walk_reports_missing_branches_but_not_scalars_in_arrays() {
        let d = doc(json!({"a": [{"b": 1}, {}, 5], "s": 3}));
        let mut misses = 0;
        let path = FieldPath::parse("a.b").unwrap_or_else(|e| panic!("{e}"));
        path.any(&d, &mut |v| {
            misses += usize::from(v.is_none());
            false
        });
        assert_eq!(misses, 1);
        let mut seen = Vec::new();
        let path = FieldPath::parse("s.x").unwrap_or_else(|e| panic!("{e}"));
        path.any(&d, &mut |v| {
            seen.push(v.cloned());
            false
        });
        assert_eq!(seen, vec![None]);
    }

    #[test]
    fn bad_paths_are_rejected_with_a_reason() {
        assert!(FieldPath::parse("").is_err());
        assert!(FieldPath::parse("a..b").unwrap_err().contains("a..b"));
        assert!(FieldPath::parse(".a").is_err());
        assert!(
            FieldPath::parse(&vec!["a"; 101].join("."))
                .unwrap_err()
                .contains("segments")
        );
        assert!(FieldPath::parse(&vec!["a"; 100].join(".")).is_ok());
    }
}
