//! Writes on a server: collections, indexes, inserts, updates, deletes.
//!
//! Each is one server operation, atomic per document as the server makes
//! it, and part of the open transaction if there is one
//! (`transaction.rs`). `insert_many` of several documents is one
//! transaction where the deployment runs them, all or nothing as a
//! folder's; elsewhere its error says how many were stored before the
//! failure (docs/mongodb.md says so).

use mongodb::IndexModel;
use mongodb::action::Action;
use mongodb::bson::{Bson, Document as BsonDocument, doc};
use serde_json::Value;

use super::convert::{filter_to_bson, id_filter, id_text, json_to_document};
use super::errors::{inserted_before, with_note};
use super::server::MongoServer;
use crate::error::{Error, Result};

/// An insert that failed part-way: the error, and the `_id`s of the
/// documents stored before it (none in a transaction: it was aborted).
pub(super) struct InsertFailure {
    pub(super) error: Error,
    pub(super) stored: Vec<Bson>,
}

impl MongoServer {
    /// Creates a collection with an ascending index on each field;
    /// `Ok(false)` when it existed (its indexes are then left as they are).
    pub fn create_collection(&self, name: &str, indexed_fields: &[String]) -> Result<bool> {
        if self.has_collection(name)? {
            return Ok(false);
        }
        let database = self.database()?;
        self.block_on(database.create_collection(name))?;
        for field in indexed_fields {
            self.create_index(name, field)?;
        }
        Ok(true)
    }

    /// An ascending single-field index (what a folder's index is).
    pub fn create_index(&self, collection: &str, field: &str) -> Result<()> {
        let coll = self.collection(collection)?;
        let model = IndexModel::builder().keys(doc! {field: 1}).build();
        self.block_on(coll.create_index(model))?;
        Ok(())
    }

    /// Drops the single-field index on `field`; `Ok(false)` if there is none.
    pub fn drop_index(&self, collection: &str, field: &str) -> Result<bool> {
        let Some(index) = self
            .indexes(collection)?
            .into_iter()
            .find(|index| index.single_field() == Some(field))
        else {
            return Ok(false);
        };
        self.block_on(self.collection(collection)?.drop_index(index.name))?;
        Ok(true)
    }

    /// Renames a collection within the URI's database.
    pub fn rename_collection(&self, from: &str, to: &str) -> Result<()> {
        self.require_collection(from)?;
        let database = self.database()?;
        let name = database.name().to_owned();
        let command =
            doc! {"renameCollection": format!("{name}.{from}"), "to": format!("{name}.{to}")};
        self.block_on(self.admin()?.run_command(command))?;
        Ok(())
    }

    /// Replaces the whole document whose `_id` is `id` (fields left out
    /// are removed); `Ok(false)` if there is none.
    pub fn replace(
        &self,
        collection: &str,
        id: &str,
        document: &crate::engine::Document,
    ) -> Result<bool> {
        self.require_collection(collection)?;
        let mut replacement = super::convert::json_map_to_document(document, "the record")?;
        replacement.remove("_id");
        let coll = self.collection(collection)?;
        let mut transactions = self.transactions();
        let replace = coll
            .replace_one(id_filter(id), replacement)
            .optional(transactions.session(), |a, s| a.session(s));
        let result = self.block_on(replace)?;
        Ok(result.matched_count > 0)
    }

    pub fn drop_collection(&self, name: &str) -> Result<bool> {
        if !self.has_collection(name)? {
            return Ok(false);
        }
        self.block_on(self.collection(name)?.drop())?;
        Ok(true)
    }

    /// Deletes every document, keeping the collection and its indexes.
    pub fn clear_collection(&self, name: &str) -> Result<bool> {
        if !self.has_collection(name)? {
            return Ok(false);
        }
        self.block_on(self.collection(name)?.delete_many(doc! {}))?;
        Ok(true)
    }

    /// Inserts documents in order (the collection is created if missing);
    /// returns their `_id`s as text, a new ObjectId's as its hex. Several
    /// documents are one transaction where the deployment runs them (all
    /// or none); elsewhere a failure says how many were stored before it.
    pub fn insert_many(&self, collection: &str, documents: Vec<Value>) -> Result<Vec<String>> {
        if documents.is_empty() {
            return Ok(Vec::new());
        }
        let docs = documents
            .iter()
            .enumerate()
            .map(|(at, value)| json_to_document(value, &format!("document {}", at + 1)))
            .collect::<Result<Vec<_>>>()?;
        let insert = || self.insert_documents(collection, docs).map_err(|f| f.error);
        let (inserted, _) = if documents.len() > 1 {
            self.transactionally(insert)
                .map_err(|error| match self.supports_transactions() {
                    Ok(true) => super::transaction::nothing_written(error),
                    _ => error,
                })?
        } else {
            (insert()?, false)
        };
        Ok(inserted.iter().map(id_text).collect())
    }

    /// Inserts BSON documents in order (in the open transaction, if any),
    /// each given an ObjectId `_id` here when it has none (so the ids are
    /// known even if the insert fails part-way); returns the ids. Outside
    /// a transaction, a failure's error says how many documents were
    /// stored before it, and carries their ids.
    pub(super) fn insert_documents(
        &self,
        collection: &str,
        mut docs: Vec<BsonDocument>,
    ) -> std::result::Result<Vec<Bson>, InsertFailure> {
        let mut ids = Vec::with_capacity(docs.len());
        for doc in &mut docs {
            let id = match doc.get("_id") {
                Some(id) => id.clone(),
                None => {
                    let id = Bson::ObjectId(mongodb::bson::oid::ObjectId::new());
                    let mut with_id = doc! {"_id": id.clone()};
                    with_id.extend(std::mem::take(doc));
                    *doc = with_id;
                    id
                }
            };
            ids.push(id);
        }
        let failed = |error: Error| InsertFailure {
            error,
            stored: Vec::new(),
        };
        let total = docs.len();
        let coll = self.collection(collection).map_err(failed)?;
        let mut transactions = self.transactions();
        let in_transaction = transactions.session().is_some();
        let insert = coll
            .insert_many(docs)
            .optional(transactions.session(), |a, s| a.session(s));
        let driver_error = match self.block_on_driver(insert).map_err(failed)? {
            Ok(_) => return Ok(ids),
            Err(e) => e,
        };
        let error = self.driver_error(&driver_error);
        if in_transaction || total == 1 {
            return Err(failed(error));
        }
        let before = inserted_before(&driver_error);
        let said = match before {
            Some(n) => format!("{n} of the {total} documents were stored before it"),
            None => format!(
                "how many of the {total} documents were stored before it is not known (not in a transaction here)"
            ),
        };
        let error = with_note(error, &format!("; {said}"));
        ids.truncate(before.unwrap_or(0));
        Err(InsertFailure { error, stored: ids })
    }

    /// Updates the document whose `_id` is `id`: a plain object sets its
    /// fields (as a folder merges them), update operators apply as given.
    /// `Ok(false)` when there is no such document.
    pub fn update(&self, collection: &str, id: &str, update: &Value) -> Result<bool> {
        self.require_collection(collection)?;
        let update = update_document(update)?;
        let coll = self.collection(collection)?;
        let mut transactions = self.transactions();
        let update = coll
            .update_one(id_filter(id), update)
            .optional(transactions.session(), |a, s| a.session(s));
        let result = self.block_on(update)?;
        Ok(result.matched_count > 0)
    }

    /// Updates every matching document; returns how many matched.
    pub fn update_many(&self, collection: &str, filter: &Value, update: &Value) -> Result<u64> {
        self.require_collection(collection)?;
        let update = update_document(update)?;
        let filter = filter_to_bson(filter)?;
        let coll = self.collection(collection)?;
        let mut transactions = self.transactions();
        let update = coll
            .update_many(filter, update)
            .optional(transactions.session(), |a, s| a.session(s));
        let result = self.block_on(update)?;
        Ok(result.matched_count)
    }

    pub fn delete(&self, collection: &str, id: &str) -> Result<bool> {
        self.require_collection(collection)?;
        let coll = self.collection(collection)?;
        let mut transactions = self.transactions();
        let delete = coll
            .delete_one(id_filter(id))
            .optional(transactions.session(), |a, s| a.session(s));
        Ok(self.block_on(delete)?.deleted_count > 0)
    }

    pub fn delete_many(&self, collection: &str, filter: &Value) -> Result<u64> {
        self.require_collection(collection)?;
        let filter = filter_to_bson(filter)?;
        let coll = self.collection(collection)?;
        let mut transactions = self.transactions();
        let delete = coll
            .delete_many(filter)
            .optional(transactions.session(), |a, s| a.session(s));
        Ok(self.block_on(delete)?.deleted_count)
    }

    /// Deletes the documents with these `_id`s (undoing an insert that
    /// failed part-way), a thousand at a time.
    pub(super) fn delete_ids(&self, collection: &str, ids: &[Bson]) -> Result<()> {
        let coll = self.collection(collection)?;
        for chunk in ids.chunks(1000) {
            self.block_on(coll.delete_many(doc! {"_id": {"$in": chunk.to_vec()}}))?;
        }
        Ok(())
    }
}

/// An update as the server takes it: operators as given; a plain object
/// (no `$` key) as `$set` of its fields, which is what a folder does with
/// one. A mix of both is refused, as a folder refuses it.
fn update_document(update: &Value) -> Result<BsonDocument> {
    let Value::Object(fields) = update else {
        return Err(Error::InvalidUpdate(
            "an update must be a JSON object".to_owned(),
        ));
    };
    let operators = fields.keys().filter(|k| k.starts_with('$')).count();
    let doc = json_to_document(update, "the update")?;
    match operators {
        0 => Ok(doc! {"$set": doc}),
        n if n == fields.len() => Ok(doc),
        _ => Err(Error::InvalidUpdate(
            "an update is either update operators ($set, $inc, ...) or plain fields, not both"
                .to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_fields_are_set_and_operators_pass_through() {
        assert_eq!(
            update_document(&json!({"a": 1})).ok(),
            Some(doc! {"$set": {"a": 1_i32}})
        );
        assert_eq!(
            update_document(&json!({"$inc": {"n": 2}})).ok(),
            Some(doc! {"$inc": {"n": 2_i32}})
        );
        assert!(update_document(&json!({"$inc": {"n": 2}, "a": 1})).is_err());
        assert!(update_document(&json!([1])).is_err());
    }
}
