//! The engine calls editing needs, a supertrait of the worker's `Database`
//! so the worker and its test engine provide them in one place.

use serde_json::{Map, Value};

use crate::Document;
use crate::Result;
use crate::engine::FluxDB;

/// Writes and pipelines, on top of the reads of `Database`.
pub trait EditDatabase {
    /// The record with this `_id` as stored now.
    fn get_record(&self, collection: &str, id: &str) -> Result<Option<Document>>;
    fn begin(&mut self) -> Result<()>;
    /// Commits; a failed commit is rolled back by the engine.
    fn commit_changes(&mut self) -> Result<()>;
    fn rollback_changes(&mut self) -> Result<()>;
    fn insert_record(&mut self, collection: &str, record: Document) -> Result<()>;
    /// Replaces a whole record (fields left out are removed); false if missing.
    fn replace_record(&mut self, collection: &str, id: &str, record: &Document) -> Result<bool>;
    fn delete_record(&mut self, collection: &str, id: &str) -> Result<bool>;
    fn update_matching(
        &mut self,
        collection: &str,
        filter: &Value,
        update: &Value,
    ) -> Result<usize>;
    fn delete_matching(&mut self, collection: &str, filter: &Value) -> Result<usize>;
    fn run_pipeline(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>>;
}

/// The update that turns `old` into `new`: `$set` every field of `new`,
/// `$unset` those only `old` has. None when a field name would be read as
/// a path or operator (a dot or a leading `$`), which a delete and insert
/// handle instead.
fn replacement_update(old: &Document, new: &Document) -> Option<Value> {
    let plain = |key: &String| !key.contains('.') && !key.starts_with('$');
    if !old.keys().chain(new.keys()).all(plain) {
        return None;
    }
    let set: Map<String, Value> = new
        .iter()
        .filter(|(key, _)| key.as_str() != "_id")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let unset: Map<String, Value> = old
        .keys()
        .filter(|key| !new.contains_key(*key))
        .map(|key| (key.clone(), Value::String(String::new())))
        .collect();
    let mut update = Map::new();
    if !set.is_empty() {
        update.insert("$set".to_owned(), Value::Object(set));
    }
    if !unset.is_empty() {
        update.insert("$unset".to_owned(), Value::Object(unset));
    }
    Some(Value::Object(update))
}

impl EditDatabase for FluxDB {
    fn get_record(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        self.get(collection, id)
    }

    fn begin(&mut self) -> Result<()> {
        self.begin_transaction()
    }

    fn commit_changes(&mut self) -> Result<()> {
        self.commit()
    }

    fn rollback_changes(&mut self) -> Result<()> {
        self.rollback()
    }

    fn insert_record(&mut self, collection: &str, record: Document) -> Result<()> {
        self.insert(collection, Value::Object(record)).map(drop)
    }

    fn replace_record(&mut self, collection: &str, id: &str, record: &Document) -> Result<bool> {
        let Some(old) = self.get(collection, id)? else {
            return Ok(false);
        };
        match replacement_update(&old, record) {
            Some(update) if update.as_object().is_some_and(|u| u.is_empty()) => Ok(true),
            Some(update) => self.update(collection, id, &update),
            None => {
                self.delete(collection, id)?;
                self.insert(collection, Value::Object(record.clone()))?;
                Ok(true)
            }
        }
    }

    fn delete_record(&mut self, collection: &str, id: &str) -> Result<bool> {
        self.delete(collection, id)
    }

    fn update_matching(
        &mut self,
        collection: &str,
        filter: &Value,
        update: &Value,
    ) -> Result<usize> {
        self.update_many(collection, filter, update)
    }

    fn delete_matching(&mut self, collection: &str, filter: &Value) -> Result<usize> {
        self.delete_many(collection, filter)
    }

    fn run_pipeline(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>> {
        self.aggregate(collection, pipeline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    #[test]
    fn a_replacement_sets_new_fields_and_unsets_dropped_ones() {
        let update = replacement_update(
            &doc(json!({"_id": "a", "x": 1, "y": 2})),
            &doc(json!({"_id": "a", "x": 5, "z": "7"})),
        );
        assert_eq!(
            update,
            Some(json!({"$set": {"x": 5, "z": "7"}, "$unset": {"y": ""}}))
        );
    }

    #[test]
    fn a_dotted_field_name_is_not_turned_into_a_path() {
        let old = doc(json!({"_id": "a", "a.b": 1}));
        assert_eq!(replacement_update(&old, &old), None);
    }

    #[test]
    fn replacing_through_the_engine_removes_dropped_fields_and_keeps_types() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let result = (|| -> Result<Option<Document>> {
            let mut db = FluxDB::open(dir.path().join("db"))?;
            db.insert("c", json!({"_id": "a", "x": 1, "y": 2, "a.b": 3}))?;
            db.replace_record("c", "a", &doc(json!({"_id": "a", "x": "1", "a.b": 4})))?;
            db.get("c", "a")
        })();
        assert_eq!(
            result.ok().flatten(),
            Some(doc(json!({"_id": "a", "x": "1", "a.b": 4})))
        );
    }
}
