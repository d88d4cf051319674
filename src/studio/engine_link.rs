//! The real engine behind the worker's [`Database`] trait.

use std::path::Path;

use serde_json::Value;

use super::backend::{
    CollectionSummary, Database, ExplainSummary, FoundPage, OpenMode, Opener, PageQuery,
};
use crate::Result;
use crate::engine::{Find, FluxDB, StorageFormat};

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
        })
    }

    fn find_page(&self, collection: &str, query: &PageQuery) -> Result<FoundPage> {
        let (docs, explain) = self.find_explained(collection, &find_of(query))?;
        let summary = ExplainSummary {
            index: explain.index,
            examined: explain.examined,
            returned: explain.returned,
            total: explain.total,
        };
        Ok((docs, Some(summary)))
    }

    fn count(&self, collection: &str, filter: &Value) -> Result<usize> {
        FluxDB::count(self, collection, filter)
    }

    fn create_collection(&mut self, name: &str, indexed_fields: &[&str]) -> Result<bool> {
        FluxDB::create_collection(self, name, indexed_fields)
    }

    fn insert_many(&mut self, collection: &str, records: Vec<Value>) -> Result<usize> {
        Ok(FluxDB::insert_many(self, collection, records)?.len())
    }

    fn flush(&mut self) -> Result<()> {
        FluxDB::flush(self)
    }
}
