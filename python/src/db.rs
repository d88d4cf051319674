//! `FluxDB`: the Python FluxDB 0.1 API (its README's signatures, defaults
//! and return values) over the engine.

use std::path::PathBuf;
use std::sync::Arc;

use fluxdb::engine::legacy::pyrepr::py_str;
use fluxdb::engine::query::ValueMode;
use fluxdb::engine::{Find, FluxDB, OpenOptions, StorageFormat};
use fluxdb::{Document, Error};
use pyo3::exceptions::PyRuntimeWarning;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyType};
use serde_json::{Map, Value};

use crate::codec::PyCodec;
use crate::convert::{documents_to_py, to_document, to_legacy_document, to_value};
use crate::cursor::{FindIter, Transaction};
use crate::errors::{Context, input_not_json, record_not_json};
use crate::shared::Shared;

/// A FluxDB database: a folder with one `.fdb` file per collection.
///
/// Opens (creating it if missing) the folder ``db_path``; a folder written
/// by the Python FluxDB 0.1 library opens as it is and keeps its format.
/// ``storage_backend`` is ``None`` for the native format, or an object with
/// ``encode_record(dict) -> bytes`` and ``decode_record(bytes) -> dict``
/// methods that encodes each record of the native collections.
///
/// One process writes a folder at a time: a second one gets a
/// ``FluxDBError`` saying it is locked. Writes outside a transaction are
/// buffered and reach the disk when the buffer fills, on ``flush()``,
/// ``close()``, the end of a ``with`` block, or when the program exits.
#[pyclass(module = "fluxdb", name = "FluxDB", frozen, subclass)]
pub struct PyFluxDB {
    pub(crate) shared: Arc<Shared>,
    path: String,
}

/// The query of a `find`: filter, sort, and Python's slice semantics for
/// `skip` and `limit` (a negative one counts from the end, `limit=0` is
/// an empty answer, as `records[skip:][:limit]` in the Python library).
pub(crate) struct Query {
    pub find: Find,
    /// `(skip, limit)` to apply to the whole answer, when the engine
    /// cannot (a negative or zero value).
    pub slice: Option<(i64, Option<i64>)>,
}

impl Query {
    pub fn new(
        query: Option<&Bound<'_, PyAny>>,
        limit: Option<i64>,
        skip: i64,
        sort: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Query> {
        let mut find = Find::new(filter_value(query)?);
        if let Some(sort) = sort.filter(|s| !s.is_none()) {
            find = find.sort(to_value(sort).map_err(|e| input_not_json("sort", e))?);
        }
        let engine_can = skip >= 0 && limit.is_none_or(|l| l > 0);
        if !engine_can {
            return Ok(Query {
                find,
                slice: Some((skip, limit)),
            });
        }
        find = find.skip(skip as usize);
        if let Some(limit) = limit {
            find = find.limit(limit as usize);
        }
        Ok(Query { find, slice: None })
    }

    /// `items[skip:][:limit]`, as Python slices.
    pub fn cut<T>(&self, items: &mut Vec<T>) {
        let Some((skip, limit)) = self.slice else {
            return;
        };
        let len = items.len() as i64;
        let start = if skip < 0 {
            (len + skip).max(0)
        } else {
            skip.min(len)
        };
        let rest = len - start;
        let keep = match limit {
            None => rest,
            Some(l) if l >= 0 => l.min(rest),
            Some(l) => (rest + l).max(0),
        };
        items.truncate((start + keep) as usize);
        items.drain(..start as usize);
    }
}

/// A filter: `None` (every record) or a dict.
fn filter_value(query: Option<&Bound<'_, PyAny>>) -> PyResult<Value> {
    match query.filter(|q| !q.is_none()) {
        None => Ok(Value::Object(Map::new())),
        Some(q) => to_value(q).map_err(|e| input_not_json("query", e)),
    }
}

impl PyFluxDB {
    fn call<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut FluxDB) -> fluxdb::Result<R> + Send,
    ) -> PyResult<R> {
        self.shared.call(py, Context::Other, f)
    }

    fn write<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut FluxDB) -> fluxdb::Result<R> + Send,
    ) -> PyResult<R> {
        self.shared.call(py, Context::Write, f)
    }

    /// A record to store in `collection`. A value with no JSON form is an
    /// error, except in a Python 0.1 collection, which stores `str()` of
    /// it as the Python library did.
    /// `index` is the record's place in an `insert_many`, for the message.
    fn record(
        &self,
        py: Python<'_>,
        collection: &str,
        data: &Bound<'_, PyAny>,
        index: Option<usize>,
    ) -> PyResult<Value> {
        match to_document(data) {
            Ok(doc) => Ok(Value::Object(doc)),
            Err(_) if data.is_instance_of::<PyDict>() && self.is_legacy(py, collection)? => {
                to_legacy_document(data)?
                    .map(Value::Object)
                    .map_err(|e| record_not_json(e, index))
            }
            Err(e) => Err(record_not_json(e, index)),
        }
    }

    /// Whether `collection` is (or, created now, would be) a Python 0.1 one.
    fn is_legacy(&self, py: Python<'_>, collection: &str) -> PyResult<bool> {
        let collection = collection.to_owned();
        self.call(py, move |db| {
            let legacy = |name: &str| {
                db.collection_info(name)
                    .map(|info| info.format == StorageFormat::Legacy)
            };
            if db.has_collection(&collection) {
                return legacy(&collection);
            }
            let names = db.list_collections();
            for name in &names {
                if !legacy(name)? {
                    return Ok(false);
                }
            }
            Ok(!names.is_empty())
        })
    }

    pub(crate) fn run_find(
        &self,
        py: Python<'_>,
        collection: &str,
        query: &Query,
    ) -> PyResult<Vec<Document>> {
        let mut docs = self.call(py, |db| {
            match as_the_library_matched(db, collection, &query.find.filter) {
                Some(filter) => db.find(
                    collection,
                    &Find {
                        filter,
                        ..query.find.clone()
                    },
                ),
                None => db.find(collection, &query.find),
            }
        })?;
        query.cut(&mut docs);
        Ok(docs)
    }
}

/// In a Python 0.1 collection, the library matched a field's plain value
/// (not an operator dict) by comparing the stored text with `str(value)`:
/// `{"sale": True}` finds `"True"`, `{"age": 30}` finds `"30"` and not
/// `"30.0"`. Such values become that text; `None` if nothing changes.
fn as_the_library_matched(db: &FluxDB, collection: &str, filter: &Value) -> Option<Value> {
    if db.value_mode(collection).ok()? != ValueMode::LegacyText {
        return None;
    }
    let Value::Object(fields) = filter else {
        return None;
    };
    let plain = |key: &str, value: &Value| !key.starts_with('$') && !value.is_object();
    if !fields.iter().any(|(k, v)| plain(k, v) && !v.is_string()) {
        return None;
    }
    let rewritten = fields
        .iter()
        .map(|(key, value)| match plain(key, value) {
            true => (key.clone(), Value::String(py_str(value))),
            false => (key.clone(), value.clone()),
        })
        .collect();
    Some(Value::Object(rewritten))
}

#[pymethods]
impl PyFluxDB {
    #[new]
    #[pyo3(signature = (db_path, storage_backend=None, *, shared=false))]
    fn new(
        py: Python<'_>,
        db_path: PathBuf,
        storage_backend: Option<&Bound<'_, PyAny>>,
        shared: bool,
    ) -> PyResult<Self> {
        let default = py.import("fluxdb.storage")?.getattr("BinaryStorage")?;
        let codec = match storage_backend {
            // The library's default backend stands for the engine's format.
            Some(b) if b.is_none() || b.get_type().is(&default) => None,
            Some(backend) => Some(Arc::new(PyCodec::new(backend)?)),
            None => None,
        };
        // Shared: the folder's lock only while writing, so FluxDB Studio
        // (or another program) can write the folder beside this one.
        let mut options = OpenOptions::new().shared(shared);
        if let Some(codec) = &codec {
            options = options.codec(codec.clone());
        }
        let path = std::path::absolute(&db_path).unwrap_or(db_path);
        let opened = py.detach(|| options.open(&path));
        let db = opened.map_err(|e| crate::errors::engine_error(e, Context::Other))?;
        // A torn tail (a write a crash interrupted) is dropped on opening,
        // as the engine does; the program is told.
        for note in db.recovery_report() {
            let category = py.get_type::<PyRuntimeWarning>();
            PyErr::warn(py, &category, &std::ffi::CString::new(note.to_string())?, 1)?;
        }
        Ok(PyFluxDB {
            shared: Shared::new(db, codec),
            path: path.to_string_lossy().into_owned(),
        })
    }

    /// The database folder, as an absolute path (as the Python library's
    /// ``db_path`` attribute).
    #[getter]
    fn db_path(&self) -> &str {
        &self.path
    }

    /// True once ``close()`` ran.
    #[getter]
    fn closed(&self) -> bool {
        self.shared.is_closed()
    }

    fn __repr__(&self) -> String {
        let state = if self.shared.is_closed() {
            "closed"
        } else {
            "open"
        };
        format!("<fluxdb.FluxDB {:?} ({state})>", self.path)
    }

    /// Creates a collection, optionally with indexed fields. Returns True
    /// if created, False if the collection exists.
    #[pyo3(signature = (collection, indexed_fields=None))]
    fn create_collection(
        &self,
        py: Python<'_>,
        collection: &str,
        indexed_fields: Option<Vec<String>>,
    ) -> PyResult<bool> {
        let fields = indexed_fields.unwrap_or_default();
        self.call(py, |db| db.create_collection(collection, &fields))
    }

    /// Drops a collection and its indexes. Returns True if dropped, False
    /// if not found.
    fn drop_collection(&self, py: Python<'_>, collection: &str) -> PyResult<bool> {
        self.call(py, |db| db.drop_collection(collection))
    }

    /// Removes every record of a collection, keeping its indexed fields.
    /// Returns True if cleared, False if not found.
    fn clear_collection(&self, py: Python<'_>, collection: &str) -> PyResult<bool> {
        self.call(py, |db| db.clear_collection(collection))
    }

    /// Names of the collections, sorted.
    fn list_collections(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.call(py, |db| Ok(db.list_collections()))
    }

    /// Inserts a record and returns its ``_id`` (a new UUID unless the
    /// record has a str ``_id``). A missing collection is created.
    fn insert(
        &self,
        py: Python<'_>,
        collection: &str,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<String> {
        let record = self.record(py, collection, data, None)?;
        self.write(py, |db| db.insert(collection, record))
    }

    /// Inserts records, all or none, and returns their ``_id`` values in
    /// order. A missing collection is created.
    fn insert_many(
        &self,
        py: Python<'_>,
        collection: &str,
        data_list: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<String>> {
        let mut records = Vec::with_capacity(data_list.len().unwrap_or(0));
        for (i, data) in data_list.try_iter()?.enumerate() {
            records.push(self.record(py, collection, &data?, Some(i))?);
        }
        self.write(py, |db| db.insert_many(collection, records))
    }

    /// Records matching ``query`` (every record if None), sorted by
    /// ``sort`` (``{"age": 1}`` ascending, ``-1`` descending), after
    /// skipping ``skip`` and at most ``limit`` of them. Each record is a
    /// dict with its ``_id`` first.
    #[pyo3(signature = (collection, query=None, limit=None, skip=0, sort=None))]
    fn find<'py>(
        &self,
        py: Python<'py>,
        collection: &str,
        query: Option<&Bound<'py, PyAny>>,
        limit: Option<i64>,
        skip: i64,
        sort: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let query = Query::new(query, limit, skip, sort)?;
        let docs = self.run_find(py, collection, &query)?;
        documents_to_py(py, &docs)
    }

    /// ``find`` as an iterator: it holds the matching ``_id`` values, not
    /// the records, and reads the records a batch at a time as it goes
    /// (one deleted meanwhile is skipped; one updated comes as it is then).
    #[pyo3(signature = (collection, query=None, limit=None, skip=0, sort=None))]
    fn find_iter(
        slf: &Bound<'_, Self>,
        collection: &str,
        query: Option<&Bound<'_, PyAny>>,
        limit: Option<i64>,
        skip: i64,
        sort: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<FindIter> {
        FindIter::new(
            slf.get(),
            slf.py(),
            collection,
            Query::new(query, limit, skip, sort)?,
        )
    }

    /// Updates the record with this ``_id``: a dict of fields is merged
    /// into it (as the Python library did; an ``_id`` in it is ignored), a
    /// dict of update operators (``{"$set": ...}``, ``{"$inc": ...}``) is
    /// applied. Returns True if updated, False if there is no such record.
    fn update(
        &self,
        py: Python<'_>,
        collection: &str,
        record_id: &str,
        update_data: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let mut update = match update_data.cast::<PyDict>() {
            Ok(_) => self.record(py, collection, update_data, None)?,
            Err(_) => to_value(update_data).map_err(|e| input_not_json("update", e))?,
        };
        if let Value::Object(fields) = &mut update
            && !fields.keys().any(|k| k.starts_with('$'))
        {
            fields.shift_remove("_id");
        }
        self.write(py, |db| db.update(collection, record_id, &update))
    }

    /// Deletes the record with this ``_id``. Returns True if deleted, False
    /// if there is no such record.
    fn delete(&self, py: Python<'_>, collection: &str, record_id: &str) -> PyResult<bool> {
        self.call(py, |db| db.delete(collection, record_id))
    }

    /// True if the collection holds a record with this ``_id``.
    fn exists(&self, py: Python<'_>, collection: &str, record_id: &str) -> PyResult<bool> {
        self.call(py, |db| db.exists(collection, record_id))
    }

    /// How many records match ``query`` (all if None); 0 for a missing
    /// collection.
    #[pyo3(signature = (collection, query=None))]
    fn count(
        &self,
        py: Python<'_>,
        collection: &str,
        query: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        let filter = filter_value(query)?;
        self.call(py, |db| {
            let filter = as_the_library_matched(db, collection, &filter).unwrap_or(filter);
            match db.count(collection, &filter) {
                Err(Error::CollectionNotFound(_)) => Ok(0),
                other => other,
            }
        })
    }

    /// Runs an aggregation pipeline (``$match``, ``$group`` with ``$sum``,
    /// ``$count``, ``$avg``..., ``$sort``, ...); [] for a missing collection.
    fn aggregate<'py>(
        &self,
        py: Python<'py>,
        collection: &str,
        pipeline: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let pipeline = to_value(pipeline).map_err(|e| input_not_json("pipeline", e))?;
        let docs = self.call(py, |db| match db.aggregate(collection, &pipeline) {
            Err(Error::CollectionNotFound(_)) => Ok(Vec::new()),
            other => other,
        })?;
        documents_to_py(py, &docs)
    }

    /// Starts a transaction: the writes that follow reach the disk together
    /// on ``commit()``, or not at all on ``rollback()``.
    fn begin_transaction(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |db| db.begin_transaction())
    }

    /// Commits the transaction, durably; if that fails it is rolled back
    /// and TransactionError is raised.
    fn commit(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |db| db.commit())
    }

    /// Discards the transaction's writes.
    fn rollback(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |db| db.rollback())
    }

    /// ``with db.transaction():`` begins a transaction, commits it when the
    /// block ends, or rolls it back if the block raises.
    fn transaction(slf: &Bound<'_, Self>) -> Transaction {
        Transaction::new(slf.clone().unbind())
    }

    /// Writes a backup of one collection to ``output_file``. Returns True
    /// if exported, False if there is no such collection.
    fn export_collection(
        &self,
        py: Python<'_>,
        collection: &str,
        output_file: PathBuf,
    ) -> PyResult<bool> {
        self.call(py, |db| db.export_collection(collection, &output_file))
    }

    /// Replaces a collection with a backup made by ``export_collection``
    /// (checked whole first). Returns True if imported, False if the file
    /// does not exist.
    fn import_collection(
        &self,
        py: Python<'_>,
        collection: &str,
        input_file: PathBuf,
    ) -> PyResult<bool> {
        self.call(py, |db| db.import_collection(collection, &input_file))
    }

    /// Writes buffered writes to disk, durably (outside a transaction).
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |db| db.flush())
    }

    /// Reads what other programs committed since this one last looked (a
    /// database opened with ``shared=True``; writes catch up by
    /// themselves). Returns how many records changed.
    fn refresh(&self, py: Python<'_>) -> PyResult<usize> {
        self.call(py, |db| {
            let refreshed = db.refresh()?;
            Ok(refreshed.advanced.iter().map(|(_, n)| n).sum())
        })
    }

    /// Flushes and closes the database, unlocking its folder; an open
    /// transaction is rolled back. Later calls raise FluxDBError.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.shared.close(py)
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Closes the database (rolling back a transaction left open).
    #[pyo3(signature = (exc_type=None, exc_value=None, traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyType>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let _ = (exc_type, exc_value, traceback);
        self.close(py)?;
        Ok(false)
    }
}
