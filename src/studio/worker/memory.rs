//! An in-memory engine for the worker's tests: it has one collection of
//! numbered records, fails on unknown names and panics on `panic`; its file
//! operations fail naming the file. The worker, its jobs and its edit
//! requests are tested on it through the same [`Opener`] seam as the engine.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::database::{
    CollectionSummary, Database, EditDatabase, ExplainSummary, FoundPage, OpenMode, Opener,
};
use crate::engine::chart::{Chart, ChartBuilder, ChartSpec};
use crate::engine::schema::{Schema, SchemaBuilder};
use crate::engine::{
    BackupComparison, BackupReport, CompactReport, Compression, ExportOptions, ImportOptions,
    ImportReport, RecordDiff, RestoreReport,
};
use crate::interchange::{CancelToken, Progress};
use crate::studio::query::ParsedQuery;
use crate::{Document, Error, Result};

pub(crate) struct MemoryOpener {
    collection: String,
    records: usize,
    pub(crate) legacy: bool,
    /// Has no transactions (as a standalone server): a Write goes one by one.
    pub(crate) one_by_one: bool,
}

impl MemoryOpener {
    pub(crate) fn with_records(collection: &str, records: usize) -> Self {
        MemoryOpener {
            collection: collection.to_owned(),
            records,
            legacy: false,
            one_by_one: false,
        }
    }
}

impl Opener for MemoryOpener {
    fn open(&self, path: &Path, mode: OpenMode) -> Result<Box<dyn Database>> {
        Ok(Box::new(MemoryDb {
            path: path.to_path_buf(),
            read_only: mode == OpenMode::ReadOnly,
            collection: self.collection.clone(),
            records: (0..self.records)
                .map(|i| {
                    let mut doc = Document::new();
                    doc.insert("_id".into(), Value::from(format!("id{i}")));
                    doc.insert("n".into(), Value::from(i));
                    doc
                })
                .collect(),
            legacy: self.legacy,
            compression: Compression::None,
            saved: None,
            one_by_one: self.one_by_one,
        }))
    }
}

struct MemoryDb {
    path: PathBuf,
    read_only: bool,
    collection: String,
    records: Vec<Document>,
    legacy: bool,
    compression: Compression,
    /// The records when the transaction began (editing's tests).
    saved: Option<Vec<Document>>,
    one_by_one: bool,
}

impl MemoryDb {
    fn check(&self, name: &str) -> Result<()> {
        if name == "panic" {
            panic!("simulated engine bug");
        }
        if name == self.collection {
            Ok(())
        } else {
            Err(Error::CollectionNotFound(name.to_owned()))
        }
    }
}

impl Database for MemoryDb {
    fn path(&self) -> &Path {
        &self.path
    }
    fn is_read_only(&self) -> bool {
        self.read_only
    }
    fn list_collections(&self) -> Vec<String> {
        vec![self.collection.clone()]
    }
    fn collection_summary(&self, name: &str) -> Result<CollectionSummary> {
        self.check(name)?;
        Ok(CollectionSummary {
            name: name.to_owned(),
            format: if self.legacy { "python-0.1" } else { "native" }.to_owned(),
            legacy: self.legacy,
            records: self.records.len(),
            file_bytes: 0,
            indexed_fields: Vec::new(),
            compression: self.compression.to_string(),
            compression_ratio: (!self.compression.is_none()).then_some(2.5),
        })
    }
    fn find_page(
        &self,
        collection: &str,
        _query: &ParsedQuery,
        skip: usize,
        limit: usize,
    ) -> Result<FoundPage> {
        self.check(collection)?;
        let docs: Vec<Document> = self
            .records
            .iter()
            .skip(skip)
            .take(limit)
            .cloned()
            .collect();
        let explain = ExplainSummary {
            index: None,
            examined: self.records.len(),
            returned: docs.len(),
            total: self.records.len(),
            lookups: Vec::new(),
            candidates: None,
            sort: crate::engine::SortMethod::None,
            server: None,
        };
        Ok((docs, Some(explain)))
    }
    fn count(&self, collection: &str, _filter: &Value) -> Result<usize> {
        self.check(collection)?;
        Ok(self.records.len())
    }
    fn schema(
        &self,
        collection: &str,
        _filter: &Value,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Schema> {
        self.check(collection)?;
        let mut builder = SchemaBuilder::new();
        for (read, doc) in self.records.iter().enumerate() {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            builder.add(doc);
            progress(read + 1, self.records.len());
        }
        Ok(builder.finish(collection))
    }
    fn chart(
        &self,
        collection: &str,
        _filter: &Value,
        spec: &ChartSpec,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Chart> {
        self.check(collection)?;
        let mut builder = ChartBuilder::new(spec);
        for (read, doc) in self.records.iter().enumerate() {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            builder.add(doc);
            progress(read + 1, self.records.len());
        }
        Ok(builder.finish())
    }
    /// A collection named `warm_until_cancelled` has indexes that take
    /// until cancelled (or 10 s) to build.
    fn warm_indexes(&self, collection: &str, cancel: &CancelToken) -> Result<()> {
        self.check(collection)?;
        if collection != "warm_until_cancelled" {
            return Ok(());
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !cancel.is_cancelled() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Err(Error::Cancelled)
    }
    /// A filter `{"scan_until_cancelled": true}` stands for a scan
    /// too long to finish: it ends only when cancelled (or after 10 s).
    fn count_cancellable(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
    ) -> Result<usize> {
        if filter.get("scan_until_cancelled").is_none() {
            return self.count(collection, filter);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !cancel.is_cancelled() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Err(Error::Cancelled)
    }
    fn create_collection(&mut self, _name: &str, _indexed: &[&str]) -> Result<bool> {
        Ok(true)
    }
    fn create_collection_with(
        &mut self,
        _name: &str,
        _indexed: &[&str],
        compression: Compression,
    ) -> Result<bool> {
        compression.validated()?;
        Ok(true)
    }
    fn insert_many(&mut self, _collection: &str, records: Vec<Value>) -> Result<usize> {
        Ok(records.len())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn import_documents(
        &mut self,
        _collection: &str,
        file: &Path,
        _options: ImportOptions,
        _progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        Err(no_files(file))
    }
    fn import_collection(
        &mut self,
        _collection: &str,
        file: &Path,
        _cancel: &CancelToken,
    ) -> Result<bool> {
        Err(no_files(file))
    }
    fn export_documents(
        &self,
        _collection: &str,
        file: &Path,
        _options: &ExportOptions,
        _progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        Err(no_files(file))
    }
    fn export_collection(&self, _collection: &str, file: &Path) -> Result<bool> {
        Err(no_files(file))
    }
    fn backup_database(
        &self,
        file: &Path,
        _progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupReport> {
        Err(no_files(file))
    }
    fn restore_database(&mut self, file: &Path, _cancel: &CancelToken) -> Result<RestoreReport> {
        Err(no_files(file))
    }
    fn compare_with_backup(
        &self,
        file: &Path,
        _collection: Option<&str>,
        _cancel: &CancelToken,
        _progress: &mut dyn FnMut(u64, u64),
        _each: &mut dyn FnMut(RecordDiff) -> Result<()>,
    ) -> Result<BackupComparison> {
        Err(no_files(file))
    }
    fn rename_collection(&mut self, from: &str, to: &str) -> Result<()> {
        self.check(from)?;
        self.collection = to.to_owned();
        Ok(())
    }
    fn clear_collection(&mut self, name: &str) -> Result<bool> {
        self.check(name)?;
        self.records.clear();
        Ok(true)
    }
    fn drop_collection(&mut self, name: &str) -> Result<bool> {
        self.check(name)?;
        self.records.clear();
        Ok(true)
    }
    fn compact(&mut self, name: &str) -> Result<CompactReport> {
        self.check(name)?;
        Ok(CompactReport {
            bytes_before: 0,
            bytes_after: 0,
        })
    }
    fn set_compression(&mut self, name: &str, compression: Compression) -> Result<CompactReport> {
        self.check(name)?;
        if self.legacy && !compression.is_none() {
            return Err(Error::UnsupportedFormat {
                collection: name.to_owned(),
                format: "python-0.1".to_owned(),
                reason: "Python 0.1 collections are never compressed".to_owned(),
            });
        }
        self.compression = compression.validated()?;
        Ok(CompactReport {
            bytes_before: 1000,
            bytes_after: 400,
        })
    }
    fn create_index(
        &mut self,
        collection: &str,
        _field: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<bool> {
        self.check(collection)?;
        progress(self.records.len(), self.records.len());
        Ok(true)
    }
    fn drop_index(&mut self, collection: &str, _field: &str) -> Result<bool> {
        self.check(collection)?;
        Ok(false)
    }
}

/// The memory engine keeps no files: file operations fail naming the file.
fn no_files(file: &Path) -> Error {
    Error::io(
        file,
        std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "the test engine has no files",
        ),
    )
}

impl EditDatabase for MemoryDb {
    fn get_record(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        self.check(collection)?;
        Ok(self
            .records
            .iter()
            .find(|doc| doc.get("_id").and_then(Value::as_str) == Some(id))
            .cloned())
    }
    fn writes_in_transactions(&mut self) -> Result<bool> {
        Ok(!self.one_by_one)
    }
    fn begin(&mut self) -> Result<()> {
        self.saved = Some(self.records.clone());
        Ok(())
    }
    fn commit_changes(&mut self) -> Result<()> {
        self.saved = None;
        Ok(())
    }
    fn rollback_changes(&mut self) -> Result<()> {
        if let Some(saved) = self.saved.take() {
            self.records = saved;
        }
        Ok(())
    }
    /// Refuses a record with `"refuse": true` (a write that fails).
    fn insert_record(&mut self, collection: &str, record: Document) -> Result<()> {
        self.check(collection)?;
        if record.get("refuse") == Some(&Value::Bool(true)) {
            return Err(Error::InvalidDocument(
                "refused by the test engine".to_owned(),
            ));
        }
        self.records.push(record);
        Ok(())
    }
    fn replace_record(&mut self, collection: &str, id: &str, record: &Document) -> Result<bool> {
        self.check(collection)?;
        let found = self
            .records
            .iter_mut()
            .find(|doc| doc.get("_id").and_then(Value::as_str) == Some(id));
        Ok(found.map(|doc| *doc = record.clone()).is_some())
    }
    fn delete_record(&mut self, collection: &str, id: &str) -> Result<bool> {
        self.check(collection)?;
        let before = self.records.len();
        self.records
            .retain(|doc| doc.get("_id").and_then(Value::as_str) != Some(id));
        Ok(self.records.len() < before)
    }
    fn update_matching(
        &mut self,
        collection: &str,
        filter: &Value,
        update: &Value,
    ) -> Result<usize> {
        self.check(collection)?;
        let filter = crate::engine::query::Filter::parse(filter)?;
        let update = crate::engine::query::Update::parse(update)?;
        let mut n = 0;
        for doc in self.records.iter_mut().filter(|doc| filter.matches(doc)) {
            update.apply(doc)?;
            n += 1;
        }
        Ok(n)
    }
    fn delete_matching(&mut self, collection: &str, filter: &Value) -> Result<usize> {
        self.check(collection)?;
        let filter = crate::engine::query::Filter::parse(filter)?;
        let before = self.records.len();
        self.records.retain(|doc| !filter.matches(doc));
        Ok(before - self.records.len())
    }
    fn run_pipeline(&self, collection: &str, _pipeline: &Value) -> Result<Vec<Document>> {
        self.check(collection)?;
        Ok(self.records.clone())
    }
}
