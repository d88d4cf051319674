//! A Python `storage_backend` as the engine's record codec: the Python
//! library's `encode_record(dict) -> bytes` and `decode_record(bytes) ->
//! dict` called for each record the engine writes or reads.
//!
//! The engine keeps each record's `_id` beside the bytes, so
//! `encode_record` gets the record's other fields and whatever `_id` the
//! returned dict of `decode_record` has is replaced by the stored one.
//! Anything the backend raises (or a wrong return type) becomes an engine
//! error, never a panic: the engine then undoes the call that needed it.

use std::sync::Mutex;

use fluxdb::engine::storage::RecordCodec;
use fluxdb::{Document, Error, Result};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};
use serde_json::Value;

use crate::convert::{to_document, to_py};

pub struct PyCodec {
    backend: Py<PyAny>,
    /// Written into each collection file's header: a file is never read
    /// back with a different backend (or with the native codec).
    name: String,
    /// The Python exception behind the last failure, so the binding can
    /// raise its own exception *from* it (`__cause__`).
    last_error: Mutex<Option<PyErr>>,
}

impl std::fmt::Debug for PyCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyCodec").field("name", &self.name).finish()
    }
}

impl PyCodec {
    /// Checks that `backend` has both methods; the codec's name is
    /// `py.` and the backend's class name (at most 16 ASCII bytes).
    pub fn new(backend: &Bound<'_, PyAny>) -> PyResult<PyCodec> {
        for method in ["encode_record", "decode_record"] {
            let callable = backend
                .getattr(method)
                .map(|m| m.is_callable())
                .unwrap_or(false);
            if !callable {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "storage_backend must have the methods encode_record(dict) -> bytes and decode_record(bytes) -> dict; {} has no {method}",
                    backend.get_type().name()?
                )));
            }
        }
        let class = backend.get_type().name()?.to_string();
        let mut name = String::from("py.");
        name.extend(
            class
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(13),
        );
        Ok(PyCodec {
            backend: backend.clone().unbind(),
            name,
            last_error: Mutex::new(None),
        })
    }

    /// The Python exception behind the last failure, once.
    pub fn take_error(&self) -> Option<PyErr> {
        self.last_error.lock().ok().and_then(|mut e| e.take())
    }

    fn failed(
        &self,
        py: Python<'_>,
        method: &str,
        e: PyErr,
        kind: impl FnOnce(String) -> Error,
    ) -> Error {
        let message = format!("storage_backend.{method} raised {}", describe(py, &e));
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = Some(e);
        }
        kind(message)
    }
}

fn describe(py: Python<'_>, e: &PyErr) -> String {
    let class = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an exception".to_owned());
    let value = e.value(py).str().map(|s| s.to_string()).unwrap_or_default();
    if value.is_empty() {
        class
    } else {
        format!("{class}: {value}")
    }
}

impl RecordCodec for PyCodec {
    fn name(&self) -> &str {
        &self.name
    }

    fn encode(&self, doc: &Document, out: &mut Vec<u8>) -> Result<()> {
        Python::attach(|py| {
            let mut call = || -> PyResult<()> {
                let dict = PyDict::new(py);
                for (key, value) in doc {
                    if key != "_id" {
                        dict.set_item(key, to_py(py, value)?)?;
                    }
                }
                let encoded = self.backend.call_method1(py, "encode_record", (dict,))?;
                let encoded = encoded.bind(py);
                if let Ok(bytes) = encoded.cast::<PyBytes>() {
                    out.extend_from_slice(bytes.as_bytes());
                } else if let Ok(bytes) = encoded.cast::<PyByteArray>() {
                    out.extend_from_slice(&bytes.to_vec());
                } else {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "encode_record returned {}, not bytes",
                        encoded.get_type().name()?
                    )));
                }
                Ok(())
            };
            call().map_err(|e| self.failed(py, "encode_record", e, Error::RecordEncoding))
        })
    }

    fn decode(&self, id: &str, bytes: &[u8]) -> Result<Document> {
        Python::attach(|py| {
            let call = || -> PyResult<Document> {
                let decoded =
                    self.backend
                        .call_method1(py, "decode_record", (PyBytes::new(py, bytes),))?;
                let decoded = decoded.bind(py);
                if !decoded.is_instance_of::<PyDict>() {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "decode_record returned {}, not a dict",
                        decoded.get_type().name()?
                    )));
                }
                let fields = to_document(decoded).map_err(|e| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "decode_record returned a dict with no JSON form: {e}"
                    ))
                })?;
                let mut doc = Document::with_capacity(fields.len() + 1);
                doc.insert("_id".to_owned(), Value::String(id.to_owned()));
                for (key, value) in fields {
                    if key != "_id" {
                        doc.insert(key, value);
                    }
                }
                Ok(doc)
            };
            call().map_err(|e| {
                self.failed(py, "decode_record", e, |m| {
                    Error::RecordEncoding(format!("record {id:?}: {m}"))
                })
            })
        })
    }
}
