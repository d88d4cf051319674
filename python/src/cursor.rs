//! The Pythonic extras beside the Python library's API: `find_iter`'s
//! iterator and the `with db.transaction():` block.

use std::collections::VecDeque;
use std::sync::Arc;

use fluxdb::Document;
use pyo3::prelude::*;
use pyo3::types::PyType;
use serde_json::{Value, json};

use crate::convert::document_to_py;
use crate::db::{PyFluxDB, Query};
use crate::errors::Context;
use crate::shared::Shared;

/// Records read from the engine per batch: large enough that the lock and
/// the GIL change hands rarely, small enough to hold little memory.
const BATCH: usize = 256;

/// The iterator ``find_iter`` returns: each matching record as a dict.
#[pyclass(module = "fluxdb")]
pub struct FindIter {
    shared: Arc<Shared>,
    collection: String,
    /// The answer's `_id`s, in its order; records are read as they come.
    ids: Vec<String>,
    next: usize,
    ready: VecDeque<Py<PyAny>>,
}

impl FindIter {
    pub(crate) fn new(
        db: &PyFluxDB,
        py: Python<'_>,
        collection: &str,
        mut query: Query,
    ) -> PyResult<FindIter> {
        query.find = query.find.projection(json!({"_id": 1}));
        let mut ids: Vec<String> = db
            .run_find(py, collection, &query)?
            .into_iter()
            .filter_map(|mut doc| match doc.remove("_id") {
                Some(Value::String(id)) => Some(id),
                _ => None,
            })
            .collect();
        ids.shrink_to_fit();
        Ok(FindIter {
            shared: db.shared.clone(),
            collection: collection.to_owned(),
            ids,
            next: 0,
            ready: VecDeque::new(),
        })
    }
}

#[pymethods]
impl FindIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        while self.ready.is_empty() && self.next < self.ids.len() {
            let end = (self.next + BATCH).min(self.ids.len());
            let batch = &self.ids[self.next..end];
            let collection = &self.collection;
            let docs: Vec<Document> = self.shared.call(py, Context::Other, |db| {
                let mut docs = Vec::with_capacity(batch.len());
                for id in batch {
                    if let Some(doc) = db.get(collection, id)? {
                        docs.push(doc);
                    }
                }
                Ok(docs)
            })?;
            self.next = end;
            for doc in &docs {
                self.ready
                    .push_back(document_to_py(py, doc)?.into_any().unbind());
            }
        }
        Ok(self.ready.pop_front())
    }

    /// How many records are left to come (those deleted meanwhile included).
    fn __length_hint__(&self) -> usize {
        self.ready.len() + self.ids.len() - self.next
    }
}

/// The block ``with db.transaction():`` runs in: it begins a transaction,
/// commits it when the block ends, and rolls it back if the block raises.
#[pyclass(module = "fluxdb", frozen)]
pub struct Transaction {
    db: Py<PyFluxDB>,
}

impl Transaction {
    pub(crate) fn new(db: Py<PyFluxDB>) -> Transaction {
        Transaction { db }
    }
}

#[pymethods]
impl Transaction {
    /// Begins the transaction and gives the database.
    fn __enter__(&self, py: Python<'_>) -> PyResult<Py<PyFluxDB>> {
        self.db
            .get()
            .shared
            .call(py, Context::Other, |db| db.begin_transaction())?;
        Ok(self.db.clone_ref(py))
    }

    /// Commits, or rolls back when the block raised (the exception goes
    /// on). A transaction the block already ended is left alone.
    #[pyo3(signature = (exc_type=None, exc_value=None, traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyType>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_value, traceback);
        let failed = exc_type.is_some();
        if self.db.get().shared.is_closed() {
            return Ok(false); // closing rolled the transaction back
        }
        self.db.get().shared.call(py, Context::Other, |db| {
            if !db.in_transaction() {
                Ok(())
            } else if failed {
                db.rollback()
            } else {
                db.commit()
            }
        })?;
        Ok(false)
    }
}
