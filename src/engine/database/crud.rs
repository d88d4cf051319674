//! Records one by one and by filter: insert, get, update, delete. Every
//! call is atomic (all its records or none) and buffered until a flush or
//! the transaction's commit.

use serde_json::Value;

use super::fluxdb::FluxDB;
use crate::engine::Document;
use crate::engine::collection::{BatchStop, NewRecord};
use crate::engine::find::Plan;
use crate::engine::json_type_name;
use crate::engine::names::validate_collection_name;
use crate::engine::nesting;
use crate::engine::query::{Filter, Update};
use crate::engine::storage::codec::MAX_DEPTH;
use crate::error::{Error, Result};

/// Longest `_id`, in bytes.
pub const MAX_ID_BYTES: usize = 1024;

impl FluxDB {
    /// Inserts one record and returns its `_id` (a UUID v4 unless the
    /// document has a string `_id`). Creates the collection if missing.
    pub fn insert(&mut self, collection: &str, document: Value) -> Result<String> {
        let mut ids = self.insert_many(collection, vec![document])?;
        ids.pop()
            .ok_or_else(|| Error::InvalidDocument("no document was inserted".to_owned()))
    }

    /// Inserts records atomically (all or none) and returns their ids in order.
    /// A collection this call created is removed again if it fails, as
    /// the seed created none for a failed insert.
    pub fn insert_many(&mut self, collection: &str, documents: Vec<Value>) -> Result<Vec<String>> {
        self.write_span(|db| {
            validate_collection_name(collection)?;
            db.ensure_writable("inserting")?;
            // Every document is checked and given its `_id` before anything
            // is created or staged, then all are staged under a savepoint:
            // any failure undoes this call only.
            let records = with_ids(documents)?;
            let created = !db.collections.contains_key(collection);
            db.ensure_collection(collection)?;
            let staged = db.stage_inserts(collection, records);
            if staged.is_err() && created {
                // Empty and written by no one else: the error that matters
                // is the insert's, so a failure to remove it is not reported.
                let _ = db.remove_collection(collection);
            }
            let ids = staged?;
            db.after_write()?;
            Ok(ids)
        })
    }

    /// Stages checked records in `collection`, all or none.
    fn stage_inserts(
        &mut self,
        collection: &str,
        mut records: Vec<NewRecord>,
    ) -> Result<Vec<String>> {
        let c = self.store_mut(collection)?;
        c.savepoint();
        c.defer_index_additions(true);
        let staged = c.insert_batch(&records);
        c.defer_index_additions(false);
        if let Err(stop) = staged {
            c.rollback_savepoint();
            return Err(match stop {
                BatchStop::Duplicate(i) => Error::DuplicateId {
                    collection: collection.to_owned(),
                    id: records.swap_remove(i).id,
                },
                BatchStop::Failed(i, e) => at_index(e, i),
            });
        }
        c.release_savepoint();
        Ok(records.into_iter().map(|r| r.id).collect())
    }

    /// The record with this `_id`, if any.
    pub fn get(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        self.store(collection)?.get(id)
    }

    /// Whether a record with this `_id` exists (false for a missing collection, as the seed).
    pub fn exists(&self, collection: &str, id: &str) -> Result<bool> {
        match self.collections.get(collection) {
            None => Ok(false),
            Some(_) => Ok(self.store(collection)?.contains(id)?),
        }
    }

    /// The `_id`s of the records matching a filter, in natural order.
    pub(super) fn matching_ids(&self, collection: &str, filter: &Value) -> Result<Vec<String>> {
        let c = self.store(collection)?;
        let plan = Plan::from_filter(Filter::parse(filter)?, c.value_mode());
        let mut ids = Vec::new();
        plan.for_each_match(c, &["_id"], &mut |doc| {
            if let Some(Value::String(id)) = doc.get("_id") {
                ids.push(id.clone());
            }
        })?;
        Ok(ids)
    }

    /// Applies an update to every record matching the filter; returns how
    /// many were updated. All or none: an update that fails on one record
    /// (say `$inc` on text) changes nothing.
    pub fn update_many(
        &mut self,
        collection: &str,
        filter: &Value,
        update: &Value,
    ) -> Result<usize> {
        self.write_span(|db| {
            let update = Update::parse(update)?;
            let ids = db.matching_ids(collection, filter)?;
            let c = db.store_mut(collection)?;
            c.savepoint();
            let result = (|| -> Result<usize> {
                for id in &ids {
                    let Some(mut doc) = c.get(id)? else { continue };
                    update.apply(&mut doc)?;
                    if doc.get("_id").and_then(Value::as_str) != Some(id.as_str()) {
                        return Err(Error::InvalidUpdate(format!(
                            "the update would change _id of record {id:?}; _id cannot change"
                        )));
                    }
                    c.replace(id, &doc)?;
                }
                Ok(ids.len())
            })();
            match result {
                Ok(_) => c.release_savepoint(),
                Err(_) => c.rollback_savepoint(),
            }
            let n = result?;
            db.after_write()?;
            Ok(n)
        })
    }

    /// Deletes every record matching the filter; returns how many.
    pub fn delete_many(&mut self, collection: &str, filter: &Value) -> Result<usize> {
        self.write_span(|db| {
            let ids = db.matching_ids(collection, filter)?;
            let c = db.store_mut(collection)?;
            c.savepoint();
            let result = ids.iter().try_for_each(|id| c.delete(id).map(drop));
            match result {
                Ok(()) => c.release_savepoint(),
                Err(_) => c.rollback_savepoint(),
            }
            result?;
            db.after_write()?;
            Ok(ids.len())
        })
    }

    /// Updates one record: a plain object merges its fields (as the seed),
    /// an object of update operators applies them. `Ok(false)` if there is
    /// no such record.
    pub fn update(&mut self, collection: &str, id: &str, update: &Value) -> Result<bool> {
        self.write_span(|db| {
            let update = Update::parse(update)?;
            let c = db.store_mut(collection)?;
            let Some(mut doc) = c.get(id)? else {
                return Ok(false);
            };
            update.apply(&mut doc)?;
            if doc.get("_id").and_then(Value::as_str) != Some(id) {
                return Err(Error::InvalidUpdate(format!(
                    "the update would change _id of record {id:?}; _id cannot change"
                )));
            }
            c.replace(id, &doc)?;
            db.after_write()?;
            Ok(true)
        })
    }

    /// Deletes one record; `Ok(false)` if there was none.
    pub fn delete(&mut self, collection: &str, id: &str) -> Result<bool> {
        self.write_span(|db| {
            let deleted = db.store_mut(collection)?.delete(id)?;
            db.after_write()?;
            Ok(deleted)
        })
    }

    /// After a buffered write: flush once the buffer is full.
    pub(super) fn after_write(&mut self) -> Result<()> {
        if self.transaction.is_none() {
            let buffered: usize = self.collections.values().map(|c| c.pending_bytes()).sum();
            if buffered >= self.flush_size {
                self.flush()?;
            }
        }
        Ok(())
    }
}

/// Documents a batch needs before they are checked on two threads.
const PARALLEL_CHECKS: usize = 4_096;

/// Checks every document and gives it its `_id`; the error of the first
/// one that fails. A large batch is checked in two halves on two threads
/// (a fifth of a bulk insert's time was here).
fn with_ids(documents: Vec<Value>) -> Result<Vec<NewRecord>> {
    // Asked only for a large batch: on Linux `available_parallelism`
    // reads the cgroup files (a dozen system calls, ~30 µs), which had
    // made every single insert many times slower than its real work.
    if documents.len() < PARALLEL_CHECKS
        || std::thread::available_parallelism().map_or(1, usize::from) < 2
    {
        return with_ids_from(documents, 0);
    }
    let mut first = documents;
    let second = first.split_off(first.len() / 2);
    let offset = first.len();
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(move || with_ids_from(second, offset));
        let first = with_ids_from(first, 0);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    let mut records = first?;
    records.extend(second?);
    Ok(records)
}

/// [`with_ids`] on one thread, numbering documents from `offset`.
fn with_ids_from(documents: Vec<Value>, offset: usize) -> Result<Vec<NewRecord>> {
    let mut records = Vec::with_capacity(documents.len());
    let mut documents = documents.into_iter().enumerate();
    for (i, document) in documents.by_ref() {
        let generated = matches!(&document, Value::Object(m) if !m.contains_key("_id"));
        match with_id(document) {
            Ok((id, doc)) => records.push(NewRecord { id, doc, generated }),
            Err(e) => {
                // The documents not looked at may be too deep to drop recursively.
                documents.for_each(|(_, rest)| nesting::drop_deep(rest));
                return Err(at_index(e, offset + i));
            }
        }
    }
    Ok(records)
}

/// Checks a document and gives it an `_id`: the caller's string, or a new UUID v4.
pub(super) fn with_id(document: Value) -> Result<(String, Document)> {
    // Checked first: everything below (even the drop) recurses.
    if nesting::nests_deeper_than(&document, MAX_DEPTH + 1) {
        nesting::drop_deep(document);
        return Err(nesting::document_too_deep());
    }
    let Value::Object(doc) = document else {
        return Err(Error::InvalidDocument(format!(
            "a record must be a JSON object, not {}",
            json_type_name(&document)
        )));
    };
    // The codec stores `_id` apart from the fields, so a generated one is
    // not added to the map.
    let id = match doc.get("_id") {
        None => uuid::Uuid::new_v4().to_string(),
        Some(Value::String(id)) if id.is_empty() => {
            return Err(Error::InvalidDocument("_id cannot be empty".to_owned()));
        }
        Some(Value::String(id)) if id.len() > MAX_ID_BYTES => {
            return Err(Error::LimitExceeded {
                what: format!("an _id of {} bytes", id.len()),
                limit: format!("{MAX_ID_BYTES} bytes"),
            });
        }
        Some(Value::String(id)) => id.clone(),
        Some(other) => {
            return Err(Error::InvalidDocument(format!(
                "_id must be a string, not {}",
                json_type_name(other)
            )));
        }
    };
    Ok((id, doc))
}

fn at_index(error: Error, index: usize) -> Error {
    match error {
        Error::InvalidDocument(m) => Error::InvalidDocument(format!("document {index}: {m}")),
        Error::RecordEncoding(m) => Error::RecordEncoding(format!("document {index}: {m}")),
        Error::LimitExceeded { what, limit } => Error::LimitExceeded {
            what: format!("document {index}: {what}"),
            limit,
        },
        other => other,
    }
}
