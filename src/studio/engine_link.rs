//! The real engine behind the worker's [`Database`] trait.

use std::path::Path;

use serde_json::Value;

use super::backend::{
    CollectionSummary, Database, ExplainSummary, FoundPage, OpenMode, Opener, PageQuery,
};
use crate::Result;
use crate::engine::{
    BackupReport, CompactReport, Compression, ExportOptions, Find, FluxDB, ImportOptions,
    ImportReport, RestoreReport, StorageFormat,
};
use crate::interchange::{CancelToken, Progress};

/// Opens folders with [`FluxDB`].
pub struct EngineOpener;

impl Opener for EngineOpener {
    fn open(&self, path: &Path, mode: OpenMode) -> Result<Box<dyn Database>> {
        let db = match mode {
            OpenMode::ReadWrite => FluxDB::open(path)?,
            OpenMode::ReadOnly => FluxDB::open_read_only(path)?,
        };
        Ok(Box::new(db))
    }
}

fn find_of(query: &PageQuery) -> Find {
    let mut find = Find::new(query.filter.clone())
        .skip(query.skip)
        .limit(query.limit);
    if let Some(sort) = &query.sort {
        find = find.sort(sort.clone());
    }
    if let Some(projection) = &query.projection {
        find = find.projection(projection.clone());
    }
    find
}

impl Database for FluxDB {
    fn path(&self) -> &Path {
        FluxDB::path(self)
    }

    fn is_read_only(&self) -> bool {
        FluxDB::is_read_only(self)
    }

    fn list_collections(&self) -> Vec<String> {
        FluxDB::list_collections(self)
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

    fn find_page(&self, collection: &str, query: &PageQuery) -> Result<FoundPage> {
        self.find_page_cancellable(collection, query, &CancelToken::new())
    }

    fn count(&self, collection: &str, filter: &Value) -> Result<usize> {
        FluxDB::count(self, collection, filter)
    }

    fn find_page_cancellable(
        &self,
        collection: &str,
        query: &PageQuery,
        cancel: &CancelToken,
    ) -> Result<FoundPage> {
        let (docs, explain) = self.find_cancellable(collection, &find_of(query), cancel)?;
        let summary = ExplainSummary {
            index: explain.index,
            examined: explain.examined,
            returned: explain.returned,
            total: explain.total,
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
