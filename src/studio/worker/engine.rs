//! The real engine behind the worker's seam: [`EngineOpener`] opens folders
//! with [`FluxDB`], which implements [`Database`] and [`EditDatabase`] here.

use std::path::Path;

use serde_json::{Map, Value};

use super::database::{
    CollectionSummary, Database, EditDatabase, ExplainSummary, FoundPage, LiveChanges, OpenMode,
    Opener,
};
use crate::backend::Location;
use crate::engine::aggregate::PipelineExplain;
use crate::engine::chart::{Chart, ChartSpec};
use crate::engine::schema::Schema;
use crate::engine::{
    BackupComparison, BackupReport, CompactReport, Compression, ExportOptions, FluxDB,
    ImportOptions, ImportReport, OpenOptions, RecordDiff, RestoreReport, StorageFormat,
};
use crate::interchange::{CancelToken, Progress};
use crate::studio::query::ParsedQuery;
use crate::{Document, Result};

/// Opens folders with [`FluxDB`], and `mongodb://` URIs as a server
/// (`server.rs`, feature `mongodb`).
pub struct EngineOpener;

impl Opener for EngineOpener {
    fn open(&self, path: &Path, mode: OpenMode) -> Result<Box<dyn Database>> {
        if let Location::Server(_) = Location::parse(path) {
            return open_server(path);
        }
        let db = match mode {
            OpenMode::ReadWrite => FluxDB::open(path)?,
            OpenMode::Shared => OpenOptions::new().shared(true).open(path)?,
            OpenMode::ReadOnly => FluxDB::open_read_only(path)?,
        };
        Ok(Box::new(db))
    }
}

#[cfg(feature = "mongodb")]
fn open_server(uri: &Path) -> Result<Box<dyn Database>> {
    Ok(Box::new(super::server::ServerDatabase::connect(uri)?))
}

#[cfg(not(feature = "mongodb"))]
fn open_server(_uri: &Path) -> Result<Box<dyn Database>> {
    Err(crate::Error::Unsupported {
        what: "a mongodb:// URI".to_owned(),
        place: "this build of Studio (made without the `mongodb` cargo feature)".to_owned(),
    })
}

impl Database for FluxDB {
    fn path(&self) -> &Path {
        FluxDB::path(self)
    }

    fn is_read_only(&self) -> bool {
        FluxDB::is_read_only(self)
    }

    fn is_shared(&self) -> bool {
        FluxDB::is_shared(self)
    }

    fn list_collections(&self) -> Vec<String> {
        FluxDB::list_collections(self)
    }

    fn follow_writer(&mut self) -> Result<LiveChanges> {
        let refreshed = self.refresh()?;
        let mut changed: Vec<String> = refreshed.reopened;
        let mut changes = 0;
        for (name, count) in refreshed.advanced {
            changes += count;
            changed.push(name);
        }
        Ok(LiveChanges {
            changes,
            changed,
            catalogue_changed: !refreshed.added.is_empty() || !refreshed.removed.is_empty(),
        })
    }

    fn writer_present(&self) -> Result<bool> {
        FluxDB::writer_present(self)
    }

    fn collection_summary(&self, name: &str) -> Result<CollectionSummary> {
        let info = self.collection_info(name)?;
        Ok(CollectionSummary {
            legacy: matches!(info.format, StorageFormat::Legacy),
            format: info.format.to_string(),
            name: info.name,
            records: info.records,
            file_bytes: info.file_bytes,
            indexed_fields: info.indexed_fields,
            compression: info.compression.to_string(),
            compression_ratio: info.compression_ratio,
        })
    }

    fn find_page(
        &self,
        collection: &str,
        query: &ParsedQuery,
        skip: usize,
        limit: usize,
    ) -> Result<FoundPage> {
        self.find_page_cancellable(collection, query, skip, limit, &CancelToken::new())
    }

    fn count(&self, collection: &str, filter: &Value) -> Result<usize> {
        FluxDB::count(self, collection, filter)
    }

    fn find_page_cancellable(
        &self,
        collection: &str,
        query: &ParsedQuery,
        skip: usize,
        limit: usize,
        cancel: &CancelToken,
    ) -> Result<FoundPage> {
        let find = query.to_find().skip(skip).limit(limit);
        let (docs, explain) = self.find_cancellable(collection, &find, cancel)?;
        let summary = ExplainSummary {
            index: explain.index,
            examined: explain.examined,
            returned: explain.returned,
            total: explain.total,
            lookups: explain.lookups,
            candidates: explain.candidates,
            sort: explain.sort,
            server: None,
        };
        Ok((docs, Some(summary)))
    }

    fn warm_indexes(&self, collection: &str, cancel: &CancelToken) -> Result<()> {
        FluxDB::warm_indexes(self, collection, cancel)
    }

    fn count_cancellable(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
    ) -> Result<usize> {
        FluxDB::count_cancellable(self, collection, filter, cancel)
    }

    fn schema(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Schema> {
        FluxDB::schema(self, collection, filter, Some(cancel), progress)
    }

    fn chart(
        &self,
        collection: &str,
        filter: &Value,
        spec: &ChartSpec,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Chart> {
        FluxDB::chart(self, collection, filter, spec, Some(cancel), progress)
    }

    fn create_collection(&mut self, name: &str, indexed_fields: &[&str]) -> Result<bool> {
        FluxDB::create_collection(self, name, indexed_fields)
    }

    fn create_collection_with(
        &mut self,
        name: &str,
        indexed_fields: &[&str],
        compression: Compression,
    ) -> Result<bool> {
        FluxDB::create_collection_with(self, name, indexed_fields, compression)
    }

    fn insert_many(&mut self, collection: &str, records: Vec<Value>) -> Result<usize> {
        Ok(FluxDB::insert_many(self, collection, records)?.len())
    }

    fn flush(&mut self) -> Result<()> {
        FluxDB::flush(self)
    }

    fn import_documents(
        &mut self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        FluxDB::import_documents(self, collection, file, options, progress)
    }

    fn import_collection(
        &mut self,
        collection: &str,
        file: &Path,
        cancel: &CancelToken,
    ) -> Result<bool> {
        FluxDB::import_collection_cancellable(self, collection, file, cancel)
    }

    fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        FluxDB::export_documents(self, collection, file, options, progress)
    }

    fn export_collection(&self, collection: &str, file: &Path) -> Result<bool> {
        FluxDB::export_collection(self, collection, file)
    }

    fn backup_database(
        &self,
        file: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupReport> {
        FluxDB::backup_database(self, file, progress)
    }

    fn restore_database(&mut self, file: &Path, cancel: &CancelToken) -> Result<RestoreReport> {
        FluxDB::restore_database_cancellable(self, file, cancel)
    }

    fn compare_with_backup(
        &self,
        file: &Path,
        collection: Option<&str>,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(u64, u64),
        each: &mut dyn FnMut(RecordDiff) -> Result<()>,
    ) -> Result<BackupComparison> {
        FluxDB::compare_with_backup(self, file, collection, cancel, progress, each)
    }

    fn rename_collection(&mut self, from: &str, to: &str) -> Result<()> {
        FluxDB::rename_collection(self, from, to)
    }

    fn clear_collection(&mut self, name: &str) -> Result<bool> {
        FluxDB::clear_collection(self, name)
    }

    fn drop_collection(&mut self, name: &str) -> Result<bool> {
        FluxDB::drop_collection(self, name)
    }

    fn compact(&mut self, name: &str) -> Result<CompactReport> {
        FluxDB::compact(self, name)
    }

    fn set_compression(&mut self, name: &str, compression: Compression) -> Result<CompactReport> {
        FluxDB::set_compression(self, name, compression)
    }

    fn create_index(
        &mut self,
        collection: &str,
        field: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<bool> {
        FluxDB::create_index_with_progress(self, collection, field, progress)
    }

    fn drop_index(&mut self, collection: &str, field: &str) -> Result<bool> {
        FluxDB::drop_index(self, collection, field)
    }
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
        // No collection, no record: a record staged back from a backup
        // may be the first of a collection the folder has lost.
        if !self.has_collection(collection) {
            return Ok(None);
        }
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

    fn run_pipeline_explained(
        &self,
        collection: &str,
        pipeline: &Value,
    ) -> Result<(Vec<Document>, Option<PipelineExplain>)> {
        let (docs, explain) = self.aggregate_explained(collection, pipeline, None)?;
        Ok((docs, Some(explain)))
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
