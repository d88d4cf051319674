//! The Python FluxDB 0.1 exceptions, and which engine error becomes which.
//!
//! Every failure of a database operation is a `FluxDBError`, so one
//! `except FluxDBError` catches them all; the subclasses are raised where
//! the Python library raised them. Failures it never caught (a bad
//! operator, a locked folder, a damaged file) keep the engine's message,
//! which names the operator, the file and the byte offset.

use fluxdb::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use crate::convert::NotJson;

create_exception!(
    fluxdb,
    FluxDBError,
    PyException,
    "Base exception for FluxDB errors."
);
create_exception!(
    fluxdb,
    CollectionNotFoundError,
    FluxDBError,
    "Raised when a collection does not exist."
);
create_exception!(
    fluxdb,
    TransactionError,
    FluxDBError,
    "Raised when a transaction operation fails."
);
create_exception!(
    fluxdb,
    RecordEncodingError,
    FluxDBError,
    "Raised when encoding or decoding a record fails."
);

/// Where an engine error happened: a record being written turns the
/// engine's limits (document size, nesting, `_id` length) into
/// `RecordEncodingError`, as they are about the record.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Write,
    Other,
}

/// What can go wrong between Python and the engine.
pub enum Failure {
    Engine(Error, Context),
    /// The handle was closed (`close()`, or the `with` block ended).
    Closed,
    /// A storage_backend called back into the database it is encoding for.
    Reentrant,
    /// The engine panicked: a bug, reported instead of aborting Python.
    Panicked(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Engine(e, Context::Other)
    }
}

impl Failure {
    pub fn into_py(self) -> PyErr {
        match self {
            Failure::Engine(e, context) => engine_error(e, context),
            Failure::Closed => FluxDBError::new_err("the database is closed"),
            Failure::Reentrant => FluxDBError::new_err(
                "the storage_backend used the database it encodes for; it may not",
            ),
            Failure::Panicked(message) => FluxDBError::new_err(format!(
                "internal error in the FluxDB engine (please report it): {message}; nothing after the last successful call is certain, open the database again"
            )),
        }
    }
}

/// The Python exception for an engine error, with the engine's message.
pub fn engine_error(e: Error, context: Context) -> PyErr {
    let message = e.to_string();
    match e {
        Error::CollectionNotFound(_) => CollectionNotFoundError::new_err(message),
        Error::Transaction(_) => TransactionError::new_err(message),
        Error::RecordEncoding(_) | Error::InvalidDocument(_) => {
            RecordEncodingError::new_err(message)
        }
        Error::LimitExceeded { .. } if context == Context::Write => {
            RecordEncodingError::new_err(message)
        }
        _ => FluxDBError::new_err(message),
    }
}

/// A record (or update) with a value that has no JSON form.
pub fn record_not_json(e: NotJson, index: Option<usize>) -> PyErr {
    match index {
        Some(i) => RecordEncodingError::new_err(format!("cannot encode record: document {i}: {e}")),
        None => RecordEncodingError::new_err(format!("cannot encode record: {e}")),
    }
}

/// A query, sort or pipeline with a value that has no JSON form.
pub fn input_not_json(what: &str, e: NotJson) -> PyErr {
    FluxDBError::new_err(format!("invalid {what}: {e}"))
}
