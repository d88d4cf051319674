//! Python values to the engine's JSON values and back, directly (no JSON
//! text in between): int, float, str, bool, None, list (and tuple) and dict
//! become their JSON kind, and come back as the same Python type.

use fluxdb::Document;
use fluxdb::engine::MAX_INPUT_DEPTH;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Why a Python value has no JSON form, and where in the value it is
/// (`age`, `tags[2]`, `address.city`).
#[derive(Debug)]
pub struct NotJson {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for NotJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

fn not_json(path: &str, reason: String) -> NotJson {
    NotJson {
        path: path.to_owned(),
        reason,
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// The JSON value of `obj`. Deeper than the engine's input limit is refused
/// here, so a list that contains itself is an error, not a stack overflow.
pub fn to_value(obj: &Bound<'_, PyAny>) -> Result<Value, NotJson> {
    let mut path = String::new();
    value_at(obj, &mut path, 0)
}

/// A dict as a document (its keys must be strings).
pub fn to_document(obj: &Bound<'_, PyAny>) -> Result<Document, NotJson> {
    match obj.cast::<PyDict>() {
        Ok(dict) => {
            let mut path = String::new();
            dict_at(dict, &mut path, 0)
        }
        Err(_) => Err(not_json(
            "",
            format!("a record must be a dict, not {}", type_name(obj)),
        )),
    }
}

fn value_at(obj: &Bound<'_, PyAny>, path: &mut String, depth: usize) -> Result<Value, NotJson> {
    if let Ok(s) = obj.cast::<PyString>() {
        return text(s, path).map(Value::String);
    }
    // bool before int: in Python a bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(n) = i.extract::<i64>() {
            return Ok(Value::Number(n.into()));
        }
        if let Ok(n) = i.extract::<u64>() {
            return Ok(Value::Number(n.into()));
        }
        return Err(not_json(
            path,
            format!(
                "the int {} does not fit in 64 bits",
                i.str().map(|s| s.to_string()).unwrap_or_default()
            ),
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let x = f.value();
        return Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| not_json(path, format!("the float {x} has no JSON form")));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if depth >= MAX_INPUT_DEPTH {
        return Err(not_json(
            path,
            format!("nests deeper than {MAX_INPUT_DEPTH} levels"),
        ));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        return dict_at(dict, path, depth + 1).map(Value::Object);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return items_at(list.iter(), list.len(), path, depth + 1);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return items_at(tuple.iter(), tuple.len(), path, depth + 1);
    }
    Err(not_json(
        path,
        format!(
            "a {} has no JSON form (int, float, str, bool, None, list, dict)",
            type_name(obj)
        ),
    ))
}

fn text(s: &Bound<'_, PyString>, path: &str) -> Result<String, NotJson> {
    s.to_str()
        .map(str::to_owned)
        .map_err(|e| not_json(path, format!("text that is not UTF-8 ({e})")))
}

fn items_at<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    len: usize,
    path: &mut String,
    depth: usize,
) -> Result<Value, NotJson> {
    let mut out = Vec::with_capacity(len);
    for (i, item) in items.enumerate() {
        let mark = path.len();
        path.push_str(&format!("[{i}]"));
        out.push(value_at(&item, path, depth)?);
        path.truncate(mark);
    }
    Ok(Value::Array(out))
}

fn dict_at(dict: &Bound<'_, PyDict>, path: &mut String, depth: usize) -> Result<Document, NotJson> {
    let mut out = Map::with_capacity(dict.len());
    for (key, value) in dict.iter() {
        let Ok(key) = key.cast::<PyString>() else {
            return Err(not_json(
                path,
                format!(
                    "the key {} is a {}; keys must be str",
                    key.repr().map(|r| r.to_string()).unwrap_or_default(),
                    type_name(&key)
                ),
            ));
        };
        let key = text(key, path)?;
        let mark = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&key);
        let value = value_at(&value, path, depth)?;
        path.truncate(mark);
        out.insert(key, value);
    }
    Ok(out)
}

/// A record for a Python 0.1 collection, which stores `str()` of each
/// field's value, as the Python library did: a field whose value has no
/// JSON form (a datetime, a set) is stored as Python's own `str()` of it,
/// and a key that is not a str as `str(key)`. Values with a JSON form go
/// through [`to_value`], whose text the engine writes as `str()` would.
pub fn to_legacy_document(obj: &Bound<'_, PyAny>) -> PyResult<Result<Document, NotJson>> {
    let Ok(dict) = obj.cast::<PyDict>() else {
        return Ok(to_document(obj));
    };
    let mut out = Map::with_capacity(dict.len());
    for (key, value) in dict.iter() {
        let key = match key.cast::<PyString>() {
            Ok(k) => match text(k, "") {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            },
            Err(_) => key.str()?.to_string(),
        };
        let value = match to_value(&value) {
            Ok(v) => v,
            // The engine says what is wrong with an `_id` that is not a str.
            Err(e) if key == "_id" => return Ok(Err(e)),
            Err(_) => Value::String(value.str()?.to_string()),
        };
        out.insert(key, value);
    }
    Ok(Ok(out))
}

/// Python's value for a JSON value: the same type that was stored.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => document_to_py(py, map)?.into_any(),
    })
}

/// A document as a dict, its fields in stored order (`_id` first).
pub fn document_to_py<'py>(py: Python<'py>, doc: &Document) -> PyResult<Bound<'py, PyDict>> {
    document_with_keys(py, doc, &mut Keys::default())
}

/// The key strings of the documents of one answer: records share their
/// field names, so each name is made once as a Python str (whose hash is
/// then computed once) instead of once per record.
#[derive(Default)]
pub struct Keys<'py> {
    known: Vec<(String, Bound<'py, PyString>)>,
}

/// Distinct names kept; a collection with more varied fields makes the rest anew.
const MAX_KEYS: usize = 64;

impl<'py> Keys<'py> {
    fn get(&mut self, py: Python<'py>, key: &str) -> Bound<'py, PyString> {
        if let Some((_, s)) = self.known.iter().find(|(k, _)| k == key) {
            return s.clone();
        }
        let s = PyString::new(py, key);
        if self.known.len() < MAX_KEYS {
            self.known.push((key.to_owned(), s.clone()));
        }
        s
    }
}

fn document_with_keys<'py>(
    py: Python<'py>,
    doc: &Document,
    keys: &mut Keys<'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in doc {
        dict.set_item(keys.get(py, key), to_py(py, value)?)?;
    }
    Ok(dict)
}

/// Documents as a list of dicts.
pub fn documents_to_py<'py>(py: Python<'py>, docs: &[Document]) -> PyResult<Bound<'py, PyList>> {
    let mut keys = Keys::default();
    let items = docs
        .iter()
        .map(|doc| document_with_keys(py, doc, &mut keys))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}
