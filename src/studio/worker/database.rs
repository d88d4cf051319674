//! The database seam: the engine calls the worker makes, as traits the
//! worker owns a `Box` of, and the plain data they answer with.
//!
//! The worker talks to the engine only through [`Database`] (reads, writes
//! and the dialogs' jobs) and [`EditDatabase`] (editing's record calls), and
//! opens folders through an [`Opener`], so its tests can use an engine that
//! fails or panics on demand (`memory.rs`); `engine.rs` is the real one.
//! The UI-facing types here ([`CollectionSummary`], [`ExplainSummary`],
//! [`OpenedFolder`]) stay plain data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::engine::aggregate::PipelineExplain;
use crate::engine::chart::{Chart, ChartSpec};
use crate::engine::schema::Schema;
use crate::engine::{
    BackupComparison, BackupReport, CompactReport, Compression, ExportOptions, ImportOptions,
    ImportReport, IndexLookup, RecordDiff, RestoreReport, SortMethod,
};
use crate::interchange::{CancelToken, Progress};
use crate::studio::query::ParsedQuery;
use crate::{Document, Result};

/// What the sidebar shows about a collection.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionSummary {
    pub name: String,
    /// "native" or "python-0.1".
    pub format: String,
    /// A collection written by the Python 0.1 library (text-only values).
    pub legacy: bool,
    pub records: usize,
    pub file_bytes: u64,
    pub indexed_fields: Vec<String>,
    /// How the file is stored: "none", "lz4" or "zstd:LEVEL".
    pub compression: String,
    /// Bytes of records before compression per byte stored (`None` when
    /// uncompressed or still empty).
    pub compression_ratio: Option<f64>,
}

/// How the engine answered a query: the index it used and the work it did.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainSummary {
    pub index: Option<String>,
    pub examined: usize,
    pub returned: usize,
    /// Records in the collection.
    pub total: usize,
    /// The filter's constraints looked up in indexes, most selective first.
    pub lookups: Vec<IndexLookup>,
    /// Records the lookups left to read.
    pub candidates: Option<u64>,
    pub sort: SortMethod,
    /// A server's own plan; `None` when the engine answered.
    pub server: Option<ServerExplain>,
}

/// What a server said about how it answered a query, beyond the summary.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerExplain {
    /// The server counted documents examined and returned (some, such as
    /// nx-27017, answer 0 for every count): without, `examined` is 0 and
    /// `returned` is the page's length.
    pub counted: bool,
    /// The server's own time for the query, when it ran it for its counts.
    pub time: Option<Duration>,
    /// The winning plan's stages, top first (`LIMIT`, `FETCH`,
    /// `IXSCAN age_1`), or the lines of the server's own plan text.
    pub stages: Vec<String>,
}

/// What following another program's writes found at one look.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveChanges {
    /// Records inserted, updated or deleted.
    pub changes: usize,
    /// Collections whose records changed (or whose file was replaced).
    pub changed: Vec<String>,
    /// Collections appeared or went away.
    pub catalogue_changed: bool,
}

impl LiveChanges {
    pub fn is_empty(&self) -> bool {
        self.changes == 0 && self.changed.is_empty() && !self.catalogue_changed
    }
}

/// A page of records and how the engine found them.
pub type FoundPage = (Vec<Document>, Option<ExplainSummary>);

/// The engine operations Studio needs from an open folder (editing's are
/// in [`EditDatabase`]).
pub trait Database: Send + EditDatabase {
    fn path(&self) -> &Path;
    fn is_read_only(&self) -> bool;
    /// Other programs may write the folder between this one's writes.
    fn is_shared(&self) -> bool {
        false
    }
    fn list_collections(&self) -> Vec<String>;
    fn collection_summary(&self, name: &str) -> Result<CollectionSummary>;
    /// [`collection_summary`](Self::collection_summary) that stops when
    /// `cancel` fires (a server's answer can take a while).
    fn collection_summary_cancellable(
        &self,
        name: &str,
        _cancel: &CancelToken,
    ) -> Result<CollectionSummary> {
        self.collection_summary(name)
    }
    /// Records `skip + 1` to `skip + limit` of the query's result, with how
    /// the engine found them (the index used and the records examined) when
    /// it can say, from the same run.
    fn find_page(
        &self,
        collection: &str,
        query: &ParsedQuery,
        skip: usize,
        limit: usize,
    ) -> Result<FoundPage>;
    fn count(&self, collection: &str, filter: &Value) -> Result<usize>;
    /// [`find_page`](Self::find_page) that stops with `Error::Cancelled`
    /// soon after `cancel` fires, so Cancel and a newer query free the
    /// worker at once instead of after the scan. An engine that cannot
    /// stop early runs to the end.
    fn find_page_cancellable(
        &self,
        collection: &str,
        query: &ParsedQuery,
        skip: usize,
        limit: usize,
        _cancel: &CancelToken,
    ) -> Result<FoundPage> {
        self.find_page(collection, query, skip, limit)
    }
    /// Builds the collection's indexes now (engines that build them on
    /// first use), stopping when `cancel` fires.
    fn warm_indexes(&self, _collection: &str, _cancel: &CancelToken) -> Result<()> {
        Ok(())
    }
    /// [`count`](Self::count) that stops when `cancel` fires.
    fn count_cancellable(
        &self,
        collection: &str,
        filter: &Value,
        _cancel: &CancelToken,
    ) -> Result<usize> {
        self.count(collection, filter)
    }
    /// The exact schema of what `filter` matches in `collection`;
    /// `progress(records read, total)`.
    fn schema(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Schema>;
    /// The chart `spec` asks for, of what `filter` matches in
    /// `collection`; `progress(records read, total)`.
    fn chart(
        &self,
        collection: &str,
        filter: &Value,
        spec: &ChartSpec,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Chart>;
    /// A read-only or shared folder: brings it up to what other programs
    /// committed since the last look, reading only what they added.
    fn follow_writer(&mut self) -> Result<LiveChanges> {
        Ok(LiveChanges::default())
    }
    /// Whether another program holds the folder's writer lock.
    fn writer_present(&self) -> Result<bool> {
        Ok(!self.is_read_only())
    }
    fn create_collection(&mut self, name: &str, indexed_fields: &[&str]) -> Result<bool>;
    /// A new collection whose file is stored with `compression`.
    fn create_collection_with(
        &mut self,
        name: &str,
        indexed_fields: &[&str],
        compression: Compression,
    ) -> Result<bool>;
    fn insert_many(&mut self, collection: &str, records: Vec<Value>) -> Result<usize>;
    fn flush(&mut self) -> Result<()>;

    // ----- the dialogs (import, export, backup, collections, indexes) -----

    /// Imports a JSON, JSON Lines or CSV file (all or nothing).
    fn import_documents(
        &mut self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport>;
    /// Replaces a collection with a one-collection backup; `Ok(false)` if
    /// the file does not exist. Stops, changing nothing, when `cancel`
    /// fires before the switch.
    fn import_collection(
        &mut self,
        collection: &str,
        file: &Path,
        cancel: &CancelToken,
    ) -> Result<bool>;
    /// `progress(records done, total)`.
    fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64>;
    fn export_collection(&self, collection: &str, file: &Path) -> Result<bool>;
    fn backup_database(
        &self,
        file: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupReport>;
    /// Stops, changing nothing, when `cancel` fires before the switch.
    fn restore_database(&mut self, file: &Path, cancel: &CancelToken) -> Result<RestoreReport>;
    /// The folder beside a database or collection backup; `each` hears
    /// every record that differs, `progress(bytes read, backup size)`.
    fn compare_with_backup(
        &self,
        file: &Path,
        collection: Option<&str>,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(u64, u64),
        each: &mut dyn FnMut(RecordDiff) -> Result<()>,
    ) -> Result<BackupComparison>;
    fn rename_collection(&mut self, from: &str, to: &str) -> Result<()>;
    fn clear_collection(&mut self, name: &str) -> Result<bool>;
    fn drop_collection(&mut self, name: &str) -> Result<bool>;
    fn compact(&mut self, name: &str) -> Result<CompactReport>;
    /// Rewrites a collection's file with another codec (atomic, like compact).
    fn set_compression(&mut self, name: &str, compression: Compression) -> Result<CompactReport>;
    /// `progress(records done, total)` while the index builds.
    fn create_index(
        &mut self,
        collection: &str,
        field: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<bool>;
    fn drop_index(&mut self, collection: &str, field: &str) -> Result<bool>;
}

/// How a folder is to be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// The only writer while open (scratch folders of jobs).
    ReadWrite,
    /// Writing beside other programs: the writer lock only while writing
    /// (how Studio opens a folder, so the program that owns it goes on).
    Shared,
    ReadOnly,
}

/// Opens folders; the worker holds one so tests can supply their own engine.
pub trait Opener: Send {
    fn open(&self, path: &Path, mode: OpenMode) -> Result<Box<dyn Database>>;
}

/// A folder as the worker reports it after opening.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenedFolder {
    pub path: PathBuf,
    pub read_only: bool,
    /// Other programs may write it too (between Studio's writes).
    pub shared: bool,
    /// Some collection was written by the Python 0.1 library.
    pub legacy: bool,
    pub collections: Vec<String>,
}

/// Writes and pipelines, on top of the reads of `Database`.
pub trait EditDatabase {
    /// The record with this `_id` as stored now.
    fn get_record(&self, collection: &str, id: &str) -> Result<Option<Document>>;
    /// Whether [`begin`](Self::begin) … [`commit_changes`](Self::commit_changes)
    /// makes the changes one transaction. A server without transactions
    /// answers false: a Write then writes each change on its own and
    /// reports how each went (`edit.rs`).
    fn writes_in_transactions(&mut self) -> Result<bool> {
        Ok(true)
    }
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
    /// [`run_pipeline`](Self::run_pipeline), and how it was answered
    /// (each stage's records in and out), when the engine can say.
    fn run_pipeline_explained(
        &self,
        collection: &str,
        pipeline: &Value,
    ) -> Result<(Vec<Document>, Option<PipelineExplain>)> {
        self.run_pipeline(collection, pipeline)
            .map(|docs| (docs, None))
    }
}
