//! [`FluxDB`]: a database folder, its collections, buffering and transactions.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::engine::aggregate::Pipeline;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::collection::backup;
use crate::engine::collection::{CollectionStore, NativeCollection};
use crate::engine::find::{Documents, Explain, Find, JsonEach, JsonText, Plan, ResultForm};
use crate::engine::legacy::collection::LegacyCollection;
use crate::engine::legacy::migrate::{MigrateOptions, MigrateReport, Migration};
use crate::engine::names::validate_collection_name;
use crate::engine::query::{Filter, Update};
use crate::engine::storage::codec::MAX_DEPTH;
use crate::engine::storage::durable;
use crate::engine::storage::index_definitions;
use crate::engine::storage::lock::WriterLock;
use crate::engine::storage::native::{self, DroppedTail};
use crate::engine::storage::txlog::TxLog;
use crate::engine::storage::{BinaryCodec, Compression, RecordCodec, StorageFormat};
use crate::engine::{Document, json_type_name, memory, nesting};
use crate::error::{Error, IoContext, Result};

mod database_backup;
mod export;
mod import;
mod rename;
mod verify;

pub use database_backup::{BackupReport, RESTORE_JOURNAL, RestoreReport};
pub use export::ExportOptions;
pub use import::{ImportOptions, ImportReport, MAX_LISTED_SKIPS};
pub use verify::VerifyReport;

/// Longest `_id`, in bytes.
pub const MAX_ID_BYTES: usize = 1024;

/// What `collection_info` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CollectionInfo {
    pub name: String,
    pub format: StorageFormat,
    pub records: usize,
    pub file_bytes: u64,
    pub dead_bytes: u64,
    pub indexed_fields: Vec<String>,
    /// How the file is stored (Python 0.1 files: always none).
    pub compression: Compression,
    /// Bytes of records before compression per byte stored, over the
    /// file's blocks (`None` when uncompressed or still empty).
    pub compression_ratio: Option<f64>,
    /// Bytes of the zstd dictionary trained for the file by its last
    /// rewrite (`None`: its blocks use none).
    pub dictionary_bytes: Option<usize>,
}

/// Something recovery did while opening: a torn tail it dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryNote {
    pub collection: String,
    pub dropped: DroppedTail,
}

impl std::fmt::Display for RecoveryNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "collection {:?}: dropped {} bytes at offset {} ({}): an unfinished write from a crash",
            self.collection, self.dropped.bytes, self.dropped.offset, self.dropped.reason
        )
    }
}

/// What compaction reclaimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CompactReport {
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    read_only: bool,
    flush_size: Option<usize>,
    codec: Arc<dyn RecordCodec>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            flush_size: None,
            codec: Arc::new(BinaryCodec),
        }
    }
}

impl OpenOptions {
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens without the writer lock; every write is refused.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Bytes of buffered writes that trigger a flush (default: from the
    /// machine's available memory, 1 to 64 MiB). 0 writes through.
    pub fn flush_size(mut self, bytes: usize) -> Self {
        self.flush_size = Some(bytes);
        self
    }

    /// The seed's `storage_backend`: how documents are encoded on disk.
    pub fn codec(mut self, codec: Arc<dyn RecordCodec>) -> Self {
        self.codec = codec;
        self
    }

    pub fn open(self, path: impl AsRef<Path>) -> Result<FluxDB> {
        FluxDB::open_with(path, self)
    }
}

enum Collection {
    Open(Box<dyn CollectionStore>),
}

/// The transaction in progress.
struct ActiveTransaction {
    id: u64,
    touched: BTreeSet<String>,
}

/// A FluxDB database: a folder with one `.fdb` file per collection.
///
/// Writes outside a transaction are buffered and reach the disk when the
/// buffer is full, on [`flush`](FluxDB::flush) and on drop; a transaction's
/// writes reach it, all at once and durably, on [`commit`](FluxDB::commit).
/// Reads always see every write made through this handle.
pub struct FluxDB {
    dir: PathBuf,
    read_only: bool,
    _lock: Option<WriterLock>,
    codec: Arc<dyn RecordCodec>,
    collections: BTreeMap<String, Collection>,
    txlog: Option<TxLog>,
    flush_size: usize,
    transaction: Option<ActiveTransaction>,
    recovery: Vec<RecoveryNote>,
}

impl std::fmt::Debug for FluxDB {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FluxDB")
            .field("dir", &self.dir)
            .field("read_only", &self.read_only)
            .field("collections", &self.collections.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl FluxDB {
    /// Opens (creating if missing) the database in `dir` for reading and
    /// writing. Fails with [`Error::Locked`] if another process writes it.
    pub fn open(dir: impl AsRef<Path>) -> Result<FluxDB> {
        FluxDB::open_with(dir, OpenOptions::default())
    }

    /// Opens an existing database without taking the writer lock.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<FluxDB> {
        FluxDB::open_with(dir, OpenOptions::default().read_only(true))
    }

    pub fn open_with(dir: impl AsRef<Path>, options: OpenOptions) -> Result<FluxDB> {
        let dir = dir.as_ref().to_path_buf();
        if options.read_only {
            if !dir.is_dir() {
                return Err(Error::io(
                    &dir,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such database folder"),
                ));
            }
        } else if dir.exists() && !dir.is_dir() {
            return Err(Error::io(
                &dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "a database is a folder, and this is a file",
                ),
            ));
        } else if !dir.exists() {
            std::fs::create_dir_all(&dir).at(&dir)?;
        }
        let lock = if options.read_only {
            None
        } else {
            Some(WriterLock::acquire(&dir)?)
        };
        let committed = TxLog::read_committed(&dir)?;
        let mut db = FluxDB {
            read_only: options.read_only,
            _lock: lock,
            codec: options.codec,
            collections: BTreeMap::new(),
            txlog: None,
            flush_size: options
                .flush_size
                .unwrap_or_else(memory::default_flush_size),
            transaction: None,
            recovery: Vec::new(),
            dir,
        };
        for (name, path) in database_backup::collection_files_after_restore(&db.dir, db.read_only)?
        {
            let collection = db.load_collection(&name, &path, &committed)?;
            if let (Collection::Open(c), false) = (&collection, db.read_only)
                && c.format() == StorageFormat::Native
            {
                index_definitions::repair(&db.dir, &name, c.indexed_fields())?;
            }
            db.collections.insert(name, collection);
        }
        Ok(db)
    }

    fn load_collection(
        &mut self,
        name: &str,
        path: &Path,
        committed: &HashSet<u64>,
    ) -> Result<Collection> {
        let mut first = [0u8; 8];
        let file = std::fs::File::open(path).at(path)?;
        let n = durable::read_at_most(&file, &mut first, 0).at(path)?;
        // A native file cut inside its magic is still native (and torn), not Python's.
        let torn_magic = n > 0 && n < 8 && first[..n] == native::FILE_MAGIC[..n];
        if !torn_magic && !native::has_native_magic(&first[..n]) {
            return self.load_legacy_collection(name, committed);
        }
        let opened = NativeCollection::open(path, self.codec.clone(), committed, self.read_only)?;
        if let Some(dropped) = opened.dropped {
            self.recovery.push(RecoveryNote {
                collection: name.to_owned(),
                dropped,
            });
        }
        Ok(Collection::Open(Box::new(opened.collection)))
    }

    /// The database folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Torn tails dropped while opening (a crash interrupted a write).
    pub fn recovery_report(&self) -> &[RecoveryNote] {
        &self.recovery
    }

    /// Every collection name, sorted.
    pub fn list_collections(&self) -> Vec<String> {
        self.collections.keys().cloned().collect()
    }

    pub fn has_collection(&self, name: &str) -> bool {
        self.collections.contains_key(name)
    }

    pub fn collection_info(&self, name: &str) -> Result<CollectionInfo> {
        match self.collection(name)? {
            Collection::Open(c) => Ok(CollectionInfo {
                name: name.to_owned(),
                format: c.format(),
                records: c.len(),
                file_bytes: c.file_bytes(),
                dead_bytes: c.dead_bytes(),
                indexed_fields: c.indexed_fields().to_vec(),
                compression: c.compression(),
                compression_ratio: c.compression_ratio(),
                dictionary_bytes: c.dictionary_len(),
            }),
        }
    }

    fn collection(&self, name: &str) -> Result<&Collection> {
        self.collections
            .get(name)
            .ok_or_else(|| Error::CollectionNotFound(name.to_owned()))
    }

    fn store(&self, name: &str) -> Result<&dyn CollectionStore> {
        match self.collection(name)? {
            Collection::Open(c) => Ok(c.as_ref()),
        }
    }

    fn ensure_writable(&self, what: &str) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly {
                path: self.dir.clone(),
                what: what.to_owned(),
            });
        }
        Ok(())
    }

    /// The collection to write, enrolled in the transaction if one is
    /// active (its savepoint opens on the first write).
    fn store_mut(&mut self, name: &str) -> Result<&mut dyn CollectionStore> {
        self.ensure_writable("writing")?;
        let newly_enrolled = match &mut self.transaction {
            Some(t) => t.touched.insert(name.to_owned()),
            None => false,
        };
        match self.collections.get_mut(name) {
            Some(Collection::Open(c)) => {
                if newly_enrolled {
                    c.savepoint();
                }
                Ok(c.as_mut())
            }
            None => Err(Error::CollectionNotFound(name.to_owned())),
        }
    }

    fn collection_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.fdb"))
    }

    /// Creates a collection; `Ok(false)` if it already exists (as the seed).
    pub fn create_collection<S: AsRef<str>>(
        &mut self,
        name: &str,
        indexed_fields: &[S],
    ) -> Result<bool> {
        self.create_collection_with(name, indexed_fields, Compression::None)
    }

    /// Creates a collection whose file is stored with `compression`;
    /// `Ok(false)` (and nothing changed) if it already exists. A folder of
    /// Python 0.1 collections only takes `Compression::None`.
    pub fn create_collection_with<S: AsRef<str>>(
        &mut self,
        name: &str,
        indexed_fields: &[S],
        compression: Compression,
    ) -> Result<bool> {
        let compression = compression.validated()?;
        validate_collection_name(name)?;
        self.ensure_writable("creating a collection")?;
        if self.collections.contains_key(name) {
            return Ok(false);
        }
        // Inside a transaction too: creating an empty collection is not part
        // of its atomicity (a rollback keeps the empty collection).
        let fields = normalize_fields(indexed_fields)?;
        self.refuse_unopened_file(name)?;
        if self.new_collections_are_legacy() {
            if !compression.is_none() {
                return Err(Error::UnsupportedFormat {
                    collection: name.to_owned(),
                    format: StorageFormat::Legacy.to_string(),
                    reason: "this folder holds Python 0.1 collections, which are never compressed; migrate it first (fluxdb migrate)".to_owned(),
                });
            }
            return self.create_legacy_collection(name, fields);
        }
        let path = self.collection_path(name);
        let collection =
            NativeCollection::create(&path, self.codec.clone(), fields.clone(), compression)?;
        index_definitions::write(&self.dir, name, &fields)?;
        self.collections
            .insert(name.to_owned(), Collection::Open(Box::new(collection)));
        Ok(true)
    }

    /// Deletes a collection and its index definitions; `Ok(false)` if there
    /// was none.
    pub fn drop_collection(&mut self, name: &str) -> Result<bool> {
        self.ensure_writable("dropping a collection")?;
        self.refuse_in_transaction("dropping a collection")?;
        match self.collections.get(name) {
            None => return Ok(false),
            Some(Collection::Open(c)) if c.format() == StorageFormat::Legacy => {
                return self.drop_legacy_collection(name);
            }
            Some(Collection::Open(_)) => {}
        }
        let path = self.collection_path(name);
        let removed = durable::durable_remove(&path);
        if !path.exists() {
            // Gone even if the folder's fsync failed: so is the collection,
            // or later writes would go to the removed file.
            self.collections.remove(name);
        }
        removed?;
        index_definitions::remove(&self.dir, name)?;
        Ok(true)
    }

    /// Removes every record and keeps the index definitions; `Ok(false)` if
    /// there is no such collection. Atomic: a crash leaves all or nothing.
    pub fn clear_collection(&mut self, name: &str) -> Result<bool> {
        self.ensure_writable("clearing a collection")?;
        self.refuse_in_transaction("clearing a collection")?;
        let (fields, compression) = match self.collections.get(name) {
            None => return Ok(false),
            Some(Collection::Open(c)) if c.format() == StorageFormat::Legacy => {
                let fields = c.indexed_fields().to_vec();
                return self.create_legacy_collection(name, fields);
            }
            Some(Collection::Open(c)) => (c.indexed_fields().to_vec(), c.compression()),
        };
        let path = self.collection_path(name);
        let collection =
            NativeCollection::create_reporting(&path, self.codec.clone(), fields, compression)
                .map_err(|failure| self.replaced_under(name, failure))?;
        self.collections
            .insert(name.to_owned(), Collection::Open(Box::new(collection)));
        Ok(true)
    }

    fn refuse_in_transaction(&self, what: &str) -> Result<()> {
        if self.transaction.is_some() {
            return Err(Error::Transaction(format!(
                "{what} is not possible inside a transaction"
            )));
        }
        Ok(())
    }

    fn ensure_collection(&mut self, name: &str) -> Result<()> {
        if !self.collections.contains_key(name) {
            self.create_collection::<&str>(name, &[])?;
        }
        Ok(())
    }

    /// Inserts one record and returns its `_id` (a UUID v4 unless the
    /// document has a string `_id`). Creates the collection if missing.
    pub fn insert(&mut self, collection: &str, document: Value) -> Result<String> {
        let mut ids = self.insert_many(collection, vec![document])?;
        ids.pop()
            .ok_or_else(|| Error::InvalidDocument("no document was inserted".to_owned()))
    }

    /// Inserts records atomically (all or none) and returns their ids in order.
    pub fn insert_many(&mut self, collection: &str, documents: Vec<Value>) -> Result<Vec<String>> {
        validate_collection_name(collection)?;
        self.ensure_writable("inserting")?;
        self.ensure_collection(collection)?;
        let c = self.store_mut(collection)?;
        // Staged one by one under a savepoint: any failure undoes this call only.
        c.savepoint();
        let mut ids = Vec::with_capacity(documents.len());
        let mut documents = documents.into_iter().enumerate();
        let mut staged = || -> Result<()> {
            for (i, document) in documents.by_ref() {
                let (id, doc) = with_id(document).map_err(|e| at_index(e, i))?;
                if !c.insert(&id, &doc).map_err(|e| at_index(e, i))? {
                    return Err(Error::DuplicateId {
                        collection: collection.to_owned(),
                        id,
                    });
                }
                ids.push(id);
            }
            Ok(())
        };
        match staged() {
            Ok(()) => c.release_savepoint(),
            Err(e) => {
                c.rollback_savepoint();
                // The documents not looked at may be too deep to drop recursively.
                documents.for_each(|(_, rest)| nesting::drop_deep(rest));
                return Err(e);
            }
        }
        self.after_write()?;
        Ok(ids)
    }

    /// The record with this `_id`, if any.
    pub fn get(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        self.store(collection)?.get(id)
    }

    /// Whether a record with this `_id` exists (false for a missing collection, as the seed).
    pub fn exists(&self, collection: &str, id: &str) -> Result<bool> {
        match self.collections.get(collection) {
            None => Ok(false),
            Some(_) => Ok(self.store(collection)?.contains(id)),
        }
    }

    /// Records matching the query, in insertion order unless sorted.
    /// Indexes are used where they help; the answer is a full scan's.
    pub fn find(&self, collection: &str, query: &Find) -> Result<Vec<Document>> {
        self.find_explained(collection, query).map(|(docs, _)| docs)
    }

    /// [`find`](Self::find), and how it was answered.
    pub fn find_explained(
        &self,
        collection: &str,
        query: &Find,
    ) -> Result<(Vec<Document>, Explain)> {
        self.find_with(collection, query, None)
    }

    /// [`find_explained`](Self::find_explained) that stops with
    /// [`Error::Cancelled`] soon after `cancel` is cancelled (it is checked
    /// every few thousand records), so a UI can drop a long scan.
    pub fn find_cancellable(
        &self,
        collection: &str,
        query: &Find,
        cancel: &CancelToken,
    ) -> Result<(Vec<Document>, Explain)> {
        self.find_with(collection, query, Some(cancel))
    }

    fn find_with(
        &self,
        collection: &str,
        query: &Find,
        cancel: Option<&CancelToken>,
    ) -> Result<(Vec<Document>, Explain)> {
        self.run_find(collection, query, cancel, Documents)
    }

    /// Runs `query` on `collection`, each result in `form`.
    fn run_find<F: ResultForm>(
        &self,
        collection: &str,
        query: &Find,
        cancel: Option<&CancelToken>,
        form: F,
    ) -> Result<(Vec<F::Item>, Explain)> {
        let c = self.store(collection)?;
        Plan::new(query, c.value_mode())?
            .cancellable(cancel.cloned())
            .execute(c, form)
    }

    /// [`find`](Self::find) with each record as its compact JSON text, the
    /// same bytes `serde_json::to_string` gives for the document `find`
    /// returns. The text is written straight from the stored encoding, so
    /// no document is built: for callers that pass records on as JSON
    /// (the CLI's JSON Lines, a web response).
    pub fn find_json(&self, collection: &str, query: &Find) -> Result<Vec<String>> {
        self.run_find(collection, query, None, JsonText)
            .map(|(texts, _)| texts)
    }

    /// [`find_json`](Self::find_json) handing each document's text to
    /// `each` as soon as it is written, in the answer's order, instead of
    /// collecting them: an answer of any size takes the memory of one
    /// record (a sorted one also keeps each match's sort values). An error
    /// from `each` stops the query and is returned.
    pub fn find_json_each(
        &self,
        collection: &str,
        query: &Find,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        self.find_json_each_with(collection, query, None, each)
    }

    /// [`find_json_each`](Self::find_json_each), stopped by `cancel`.
    pub(crate) fn find_json_each_with(
        &self,
        collection: &str,
        query: &Find,
        cancel: Option<&CancelToken>,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let form = JsonEach {
            each,
            text: Vec::new(),
        };
        self.run_find(collection, query, cancel, form).map(drop)
    }

    /// Builds the collection's indexes now if they are not built yet (they
    /// are otherwise built by the first query that needs them), stopping
    /// with [`Error::Cancelled`] when `cancel` fires. Studio calls it while
    /// idle after showing a collection, so a sort on an indexed field is
    /// instant when the user clicks.
    pub fn warm_indexes(&self, collection: &str, cancel: &CancelToken) -> Result<()> {
        self.store(collection)?.warm_indexes(cancel)
    }

    /// How a query is answered: the index used and the records examined.
    pub fn explain(&self, collection: &str, query: &Find) -> Result<Explain> {
        self.find_explained(collection, query)
            .map(|(_, explain)| explain)
    }

    /// How many records match the filter.
    pub fn count(&self, collection: &str, filter: &Value) -> Result<usize> {
        self.count_with(collection, filter, None)
    }

    /// [`count`](Self::count) that stops with [`Error::Cancelled`] soon
    /// after `cancel` is cancelled.
    pub fn count_cancellable(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
    ) -> Result<usize> {
        self.count_with(collection, filter, Some(cancel))
    }

    fn count_with(
        &self,
        collection: &str,
        filter: &Value,
        cancel: Option<&CancelToken>,
    ) -> Result<usize> {
        let c = self.store(collection)?;
        let parsed = Filter::parse(filter)?;
        if parsed.is_match_all() {
            return Ok(c.len());
        }
        let mut n = 0;
        Plan::from_filter(parsed, c.value_mode())
            .cancellable(cancel.cloned())
            .for_each_match(c, &[], &mut |_| n += 1)?;
        Ok(n)
    }

    /// The `_id`s of the records matching a filter, in natural order.
    fn matching_ids(&self, collection: &str, filter: &Value) -> Result<Vec<String>> {
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
        let update = Update::parse(update)?;
        let ids = self.matching_ids(collection, filter)?;
        let c = self.store_mut(collection)?;
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
        self.after_write()?;
        Ok(n)
    }

    /// Deletes every record matching the filter; returns how many.
    pub fn delete_many(&mut self, collection: &str, filter: &Value) -> Result<usize> {
        let ids = self.matching_ids(collection, filter)?;
        let c = self.store_mut(collection)?;
        c.savepoint();
        let result = ids.iter().try_for_each(|id| c.delete(id).map(drop));
        match result {
            Ok(()) => c.release_savepoint(),
            Err(_) => c.rollback_savepoint(),
        }
        result?;
        self.after_write()?;
        Ok(ids.len())
    }

    /// Runs an aggregation pipeline (the seed's `aggregate`). A leading
    /// `$match` uses indexes like `find`.
    pub fn aggregate(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>> {
        self.aggregate_with(collection, pipeline, None)
    }

    /// [`aggregate`](Self::aggregate) that stops with [`Error::Cancelled`]
    /// soon after `cancel` is cancelled.
    pub fn aggregate_cancellable(
        &self,
        collection: &str,
        pipeline: &Value,
        cancel: &CancelToken,
    ) -> Result<Vec<Document>> {
        self.aggregate_with(collection, pipeline, Some(cancel))
    }

    fn aggregate_with(
        &self,
        collection: &str,
        pipeline: &Value,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<Document>> {
        let pipeline = Pipeline::parse(pipeline)?;
        let c = self.store(collection)?;
        let mode = c.value_mode();
        let mut check = CancelCheck::new(cancel);
        match pipeline.leading_match() {
            Some(filter) if !filter.is_match_all() && !c.indexed_fields().is_empty() => {
                // Let the planner pick the records; the pipeline's own
                // $match then passes them all.
                let plan = Plan::from_filter(filter.clone(), mode).cancellable(cancel.cloned());
                let (docs, _) = plan.execute(c, Documents)?;
                pipeline.run_in(docs.into_iter().map(Ok), mode)
            }
            _ => match pipeline.input_fields() {
                Some(fields) => pipeline.run_lent(mode, |push| {
                    c.visit_fields(&fields, &mut |_, doc| {
                        check.tick()?;
                        push(doc)
                    })
                }),
                None => pipeline.run_in(c.scan().map(|item| check.tick().and(item)), mode),
            },
        }
    }

    /// The indexed fields of a collection.
    pub fn list_indexes(&self, collection: &str) -> Result<Vec<String>> {
        Ok(self.store(collection)?.indexed_fields().to_vec())
    }

    /// Indexes a field (a dot path) of a collection that may hold data;
    /// `Ok(false)` if it was indexed already.
    pub fn create_index(&mut self, collection: &str, field: &str) -> Result<bool> {
        self.create_index_with_progress(collection, field, &mut |_, _| {})
    }

    /// [`create_index`](Self::create_index), reporting `(records done, total)`.
    pub fn create_index_with_progress(
        &mut self,
        collection: &str,
        field: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<bool> {
        let field = normalize_fields(&[field])?.remove(0);
        self.refuse_in_transaction("changing indexes")?;
        let c = self.store_mut(collection)?;
        if c.indexed_fields().contains(&field) {
            return Ok(false);
        }
        let mut fields = c.indexed_fields().to_vec();
        fields.push(field);
        c.set_indexed_fields(fields.clone(), progress)?;
        self.save_index_definitions(collection, &fields)?;
        Ok(true)
    }

    /// Writes changed index definitions: the collection file (flushed now,
    /// atomically with any pending writes) and, for native collections, the
    /// readable copy under `indexes/` (Python folders keep their pickle).
    fn save_index_definitions(&mut self, collection: &str, fields: &[String]) -> Result<()> {
        let c = self.store_mut(collection)?;
        c.flush(0)?;
        if c.format() == StorageFormat::Native {
            index_definitions::write(&self.dir, collection, fields)?;
        }
        Ok(())
    }

    /// Stops indexing a field; `Ok(false)` if it was not indexed.
    pub fn drop_index(&mut self, collection: &str, field: &str) -> Result<bool> {
        self.refuse_in_transaction("changing indexes")?;
        let c = self.store_mut(collection)?;
        if !c.indexed_fields().iter().any(|f| f == field) {
            return Ok(false);
        }
        let fields: Vec<String> = c
            .indexed_fields()
            .iter()
            .filter(|f| *f != field)
            .cloned()
            .collect();
        c.set_indexed_fields(fields.clone(), &mut |_, _| {})?;
        self.save_index_definitions(collection, &fields)?;
        Ok(true)
    }

    /// Updates one record: a plain object merges its fields (as the seed),
    /// an object of update operators applies them. `Ok(false)` if there is
    /// no such record.
    pub fn update(&mut self, collection: &str, id: &str, update: &Value) -> Result<bool> {
        let update = Update::parse(update)?;
        let c = self.store_mut(collection)?;
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
        self.after_write()?;
        Ok(true)
    }

    /// Deletes one record; `Ok(false)` if there was none.
    pub fn delete(&mut self, collection: &str, id: &str) -> Result<bool> {
        let deleted = self.store_mut(collection)?.delete(id)?;
        self.after_write()?;
        Ok(deleted)
    }

    /// After a buffered write: flush once the buffer is full.
    fn after_write(&mut self) -> Result<()> {
        if self.transaction.is_none() {
            let buffered: usize = self
                .collections
                .values()
                .map(|c| match c {
                    Collection::Open(c) => c.pending_bytes(),
                })
                .sum();
            if buffered >= self.flush_size {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Writes buffered writes to disk, durably. Inside a transaction this
    /// does nothing: the transaction's writes wait for commit.
    pub fn flush(&mut self) -> Result<()> {
        if self.transaction.is_some() || self.read_only {
            return Ok(());
        }
        for c in self.collections.values_mut() {
            let Collection::Open(c) = c;
            c.flush(0)?;
            if c.wants_compaction() {
                c.compact()?;
            }
        }
        Ok(())
    }

    /// Starts a transaction (the seed's `begin_transaction`). Buffered
    /// writes are flushed first, so the transaction holds only its own.
    pub fn begin_transaction(&mut self) -> Result<()> {
        if self.transaction.is_some() {
            return Err(Error::Transaction(
                "a transaction is already active".to_owned(),
            ));
        }
        self.ensure_writable("a transaction")?;
        self.flush()?;
        self.transaction = Some(ActiveTransaction {
            id: new_transaction_id(),
            touched: BTreeSet::new(),
        });
        Ok(())
    }

    /// Makes the transaction's writes durable, all of them or (on error)
    /// none: after an error the transaction is rolled back.
    pub fn commit(&mut self) -> Result<()> {
        let Some(txn) = self.transaction.take() else {
            return Err(Error::Transaction("no transaction is active".to_owned()));
        };
        let touched: Vec<String> = txn
            .touched
            .iter()
            .filter(|name| matches!(self.collections.get(*name), Some(Collection::Open(c)) if c.has_pending()))
            .cloned()
            .collect();
        let result = self.write_transaction(txn.id, &touched);
        for name in &txn.touched {
            if let Some(Collection::Open(c)) = self.collections.get_mut(name) {
                if result.is_ok() {
                    c.release_savepoint();
                } else {
                    c.rollback_savepoint();
                }
            }
        }
        result.map_err(|e| Error::Transaction(format!("commit failed and was rolled back: {e}")))
    }

    fn write_transaction(&mut self, id: u64, touched: &[String]) -> Result<()> {
        if touched.len() <= 1 {
            // One collection: its batch group is its own commit record.
            for name in touched {
                if let Some(Collection::Open(c)) = self.collections.get_mut(name) {
                    c.flush(0)?;
                }
            }
            return Ok(());
        }
        let mut prepared: Vec<&String> = Vec::new();
        let mut result = Ok(());
        for name in touched {
            if let Some(Collection::Open(c)) = self.collections.get_mut(name) {
                prepared.push(name);
                result = c.flush(id);
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_ok() {
            result = self.txlog_mut().and_then(|log| log.commit(id));
        }
        for name in prepared {
            if let Some(Collection::Open(c)) = self.collections.get_mut(name) {
                if result.is_ok() {
                    // The commit record is durable: a failure here is
                    // repaired by recovery, so it does not undo the commit.
                    let _ = c.finish_commit();
                } else {
                    // Without its commit record the batches are invisible
                    // on disk; cut them off so later appends do not follow them.
                    let _ = c.abort_commit();
                }
            }
        }
        result
    }

    fn txlog_mut(&mut self) -> Result<&mut TxLog> {
        if self.txlog.is_none() {
            self.txlog = Some(TxLog::open(&self.dir)?);
        }
        self.txlog
            .as_mut()
            .ok_or_else(|| Error::Transaction("transaction log unavailable".to_owned()))
    }

    /// Discards the transaction's writes.
    pub fn rollback(&mut self) -> Result<()> {
        let Some(txn) = self.transaction.take() else {
            return Err(Error::Transaction("no transaction is active".to_owned()));
        };
        for name in &txn.touched {
            if let Some(Collection::Open(c)) = self.collections.get_mut(name) {
                c.rollback_savepoint();
            }
        }
        Ok(())
    }

    pub fn in_transaction(&self) -> bool {
        self.transaction.is_some()
    }

    /// A transaction as a value: commit it with [`Transaction::commit`]; if
    /// it is dropped first (an early return, a panic) it rolls back.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.begin_transaction()?;
        Ok(Transaction {
            db: self,
            finished: false,
        })
    }

    /// Rewrites a collection's file with only its live records.
    pub fn compact(&mut self, collection: &str) -> Result<CompactReport> {
        self.refuse_in_transaction("compaction")?;
        let c = self.store_mut(collection)?;
        let bytes_before = c.file_bytes();
        c.compact()?;
        Ok(CompactReport {
            bytes_before,
            bytes_after: c.file_bytes(),
        })
    }

    /// Rewrites a collection's file stored with `compression` (none, LZ4 or
    /// zstd at a level), keeping every record, its order and the indexes:
    /// the same atomic rewrite as [`compact`](Self::compact), which it also
    /// does. Python 0.1 collections only take `Compression::None`.
    pub fn set_compression(
        &mut self,
        collection: &str,
        compression: Compression,
    ) -> Result<CompactReport> {
        let compression = compression.validated()?;
        self.refuse_in_transaction("changing the compression")?;
        let c = self.store_mut(collection)?;
        let bytes_before = c.file_bytes();
        c.set_compression(compression).map_err(|e| match e {
            Error::UnsupportedFormat { format, reason, .. } => Error::UnsupportedFormat {
                collection: collection.to_owned(),
                format,
                reason,
            },
            other => other,
        })?;
        Ok(CompactReport {
            bytes_before,
            bytes_after: c.file_bytes(),
        })
    }

    /// Writes a binary backup of one collection and its index definitions
    /// (the seed's `export_collection`); `Ok(false)` if there is no such collection.
    pub fn export_collection(&self, collection: &str, file: impl AsRef<Path>) -> Result<bool> {
        if !self.collections.contains_key(collection) {
            return Ok(false);
        }
        self.check_export_target(file.as_ref())?;
        self.store(collection)?.export(collection, file.as_ref())?;
        Ok(true)
    }

    /// Replaces a collection with a backup made by `export_collection`
    /// (the seed's `import_collection`). The whole file is checked before
    /// anything changes; `Ok(false)` if the file does not exist.
    pub fn import_collection(&mut self, collection: &str, file: impl AsRef<Path>) -> Result<bool> {
        self.import_collection_with(collection, file.as_ref(), None)
    }

    /// [`import_collection`](Self::import_collection) that stops with
    /// [`Error::Cancelled`] soon after `cancel` fires, the collection as it
    /// was (the backup is checked and written whole before one atomic
    /// switch, which is not cancelled once it starts).
    pub fn import_collection_cancellable(
        &mut self,
        collection: &str,
        file: impl AsRef<Path>,
        cancel: &CancelToken,
    ) -> Result<bool> {
        self.import_collection_with(collection, file.as_ref(), Some(cancel))
    }

    fn import_collection_with(
        &mut self,
        collection: &str,
        file: &Path,
        cancel: Option<&CancelToken>,
    ) -> Result<bool> {
        validate_collection_name(collection)?;
        self.ensure_writable("importing")?;
        self.refuse_in_transaction("importing a backup")?;
        if !file.exists() {
            return Ok(false);
        }
        if self.imports_as_legacy(collection, file)? {
            return self.import_legacy_collection(collection, file);
        }
        self.flush()?;
        let checked = backup::read_backup(file, self.codec.as_ref(), cancel)?;
        let path = self.collection_path(collection);
        let fields = checked.indexed_fields.clone();
        backup::write_collection_from_backup(&path, self.codec.as_ref(), checked, cancel)
            .map_err(|failure| self.replaced_under(collection, failure))?;
        let opened = NativeCollection::open(&path, self.codec.clone(), &HashSet::new(), false)
            .map_err(|error| {
                self.replaced_under(
                    collection,
                    durable::ReplaceFailure {
                        error,
                        renamed: true,
                    },
                )
            })?;
        self.collections.insert(
            collection.to_owned(),
            Collection::Open(Box::new(opened.collection)),
        );
        // The readable copy last: a collection file is never left behind
        // an open handle to the file it replaced.
        index_definitions::write(&self.dir, collection, &fields)?;
        Ok(true)
    }

    /// Flushes and closes, reporting any error (drop flushes too, silently).
    pub fn close(mut self) -> Result<()> {
        if self.transaction.is_some() {
            self.rollback()?;
        }
        self.flush()
    }
}

impl Drop for FluxDB {
    fn drop(&mut self) {
        if self.transaction.is_some() {
            let _ = self.rollback();
        }
        let _ = self.flush();
    }
}

/// A transaction that rolls back unless committed.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let mut db = fluxdb::engine::FluxDB::open(dir.path())?;
/// let mut tx = db.transaction()?;
/// tx.insert("users", serde_json::json!({"name": "Eve"}))?;
/// tx.insert("users", serde_json::json!({"name": "Frank"}))?;
/// tx.commit()?;
/// # Ok::<(), fluxdb::Error>(())
/// ```
pub struct Transaction<'a> {
    db: &'a mut FluxDB,
    finished: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.finished = true;
        self.db.commit()
    }

    pub fn rollback(mut self) -> Result<()> {
        self.finished = true;
        self.db.rollback()
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = FluxDB;
    fn deref(&self) -> &FluxDB {
        self.db
    }
}

impl std::ops::DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut FluxDB {
        self.db
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.finished && self.db.transaction.is_some() {
            let _ = self.db.rollback();
        }
    }
}

/// `(name, path)` of every `*.fdb` file in the folder whose name is a valid
/// collection name, sorted by name.
fn collection_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).at(dir)? {
        let entry = entry.at(dir)?;
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".fdb"))
        else {
            continue;
        };
        if validate_collection_name(name).is_ok() && path.is_file() {
            found.push((name.to_owned(), path));
        }
    }
    found.sort();
    Ok(found)
}

/// Checks a document and gives it an `_id`: the caller's string, or a new UUID v4.
fn with_id(document: Value) -> Result<(String, Document)> {
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

fn normalize_fields<S: AsRef<str>>(fields: &[S]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    for f in fields {
        let f = f.as_ref().trim();
        if f.is_empty() || f.starts_with('$') || f.split('.').any(str::is_empty) {
            return Err(Error::InvalidQuery(format!(
                "{f:?} is not a field path an index can use"
            )));
        }
        if !out.iter().any(|o| o == f) {
            out.push(f.to_owned());
        }
    }
    Ok(out)
}

fn new_transaction_id() -> u64 {
    let (a, _) = uuid::Uuid::new_v4().as_u64_pair();
    a | 1
}

/// Python FluxDB 0.1 collections (`engine::legacy`): loading them, the
/// operations that replace their files, and migration to the native format.
impl FluxDB {
    fn load_legacy_collection(
        &mut self,
        name: &str,
        committed: &HashSet<u64>,
    ) -> Result<Collection> {
        let opened = LegacyCollection::open(&self.dir, name, committed, self.read_only)?;
        for dropped in opened.dropped {
            self.recovery.push(RecoveryNote {
                collection: name.to_owned(),
                dropped,
            });
        }
        Ok(Collection::Open(Box::new(opened.collection)))
    }

    /// New collections take the folder's format: Python's when every
    /// collection in it is, so the Python library keeps seeing all of them.
    fn new_collections_are_legacy(&self) -> bool {
        !self.collections.is_empty()
            && self
                .collections
                .values()
                .all(|Collection::Open(c)| c.format() == StorageFormat::Legacy)
    }

    /// Creates (or, for clear, replaces) a legacy collection with no records.
    fn create_legacy_collection(&mut self, name: &str, fields: Vec<String>) -> Result<bool> {
        let collection = LegacyCollection::create(&self.dir, name, fields)?;
        self.collections
            .insert(name.to_owned(), Collection::Open(Box::new(collection)));
        Ok(true)
    }

    fn drop_legacy_collection(&mut self, name: &str) -> Result<bool> {
        let removed = LegacyCollection::remove_files(&self.dir, name);
        if !self.collection_path(name).exists() {
            self.collections.remove(name);
        }
        removed?;
        Ok(true)
    }

    /// Whether an import goes the legacy way: into a legacy collection (which
    /// takes files in its own format, as Python's export writes them), or
    /// into a new collection from a legacy file.
    fn imports_as_legacy(&self, collection: &str, file: &Path) -> Result<bool> {
        let mut first = [0u8; 8];
        let handle = std::fs::File::open(file).at(file)?;
        let n = durable::read_at_most(&handle, &mut first, 0).at(file)?;
        let file_is_native = native::has_native_magic(&first[..n]);
        match self.collections.get(collection) {
            Some(Collection::Open(c)) if c.format() == StorageFormat::Legacy => {
                if file_is_native {
                    return Err(Error::UnsupportedFormat {
                        collection: collection.to_owned(),
                        format: StorageFormat::Legacy.to_string(),
                        reason: format!(
                            "{} is a native FluxDB backup; this collection imports files in its own format (migrate the folder to import native backups)",
                            file.display()
                        ),
                    });
                }
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Ok(!file_is_native),
        }
    }

    fn import_legacy_collection(&mut self, collection: &str, file: &Path) -> Result<bool> {
        self.flush()?;
        let fields = match self.collections.get(collection) {
            Some(Collection::Open(c)) => c.indexed_fields().to_vec(),
            None => Vec::new(),
        };
        let imported = LegacyCollection::import(&self.dir, collection, fields, file)?;
        self.collections
            .insert(collection.to_owned(), Collection::Open(Box::new(imported)));
        Ok(true)
    }

    /// Turns every Python FluxDB 0.1 collection of the folder into a native
    /// one, keeping ids, record order and field order (values stay text
    /// unless `options.infer_types`). Each new file is complete and checked
    /// against the old one before it replaces it; the old files are copied
    /// to a backup folder first (named in the report). Native collections
    /// are left as they are.
    pub fn migrate(&mut self, options: MigrateOptions) -> Result<MigrateReport> {
        self.ensure_writable("migrating")?;
        self.refuse_in_transaction("migrating")?;
        self.flush()?;
        let legacy: Vec<String> = self
            .collections
            .iter()
            .filter(|(_, Collection::Open(c))| c.format() == StorageFormat::Legacy)
            .map(|(name, _)| name.clone())
            .collect();
        let mut migration = Migration::new(&self.dir, self.codec.clone(), options);
        for name in legacy {
            let Some(Collection::Open(source)) = self.collections.get(&name) else {
                continue;
            };
            let native = migration.collection(&name, source.as_ref())?;
            self.collections
                .insert(name, Collection::Open(Box::new(native)));
        }
        Ok(migration.finish())
    }
}

impl FluxDB {
    /// A replacement of `collection`'s file failed; if the new file had
    /// taken the name, the open handle (to the old file) stops writing, so
    /// nothing is appended where no one will read it.
    fn replaced_under(&mut self, collection: &str, failure: durable::ReplaceFailure) -> Error {
        if failure.renamed
            && let Some(Collection::Open(c)) = self.collections.get_mut(collection)
        {
            c.refuse_writes();
        }
        failure.error
    }
}

impl FluxDB {
    /// Refuses an export written into the database folder as one of its
    /// own files: as a `.fdb` it would replace a collection (or become one
    /// that does not open: a backup is not a collection), and over the
    /// transaction log or the lock it would break the folder.
    fn check_export_target(&self, target: &Path) -> Result<()> {
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let database_file = name.ends_with(".fdb")
            || name == crate::engine::storage::txlog::TXLOG_FILE
            || name == crate::engine::storage::lock::LOCK_FILE;
        if !database_file {
            return Ok(());
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let inside = matches!(
            (parent.canonicalize(), self.dir.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        );
        if inside {
            return Err(Error::io(
                target,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "an export cannot be written into the database folder as one of its files (a .fdb there is a collection); choose another folder",
                ),
            ));
        }
        Ok(())
    }
}

impl FluxDB {
    /// Creating a collection replaces its file: refused when one is there
    /// that this handle has not opened (another program wrote it, or a
    /// restore stopped halfway), as that would destroy its records.
    fn refuse_unopened_file(&self, name: &str) -> Result<()> {
        let path = self.collection_path(name);
        if path.exists() {
            return Err(Error::io(
                &path,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!(
                        "collection {name:?} has a file this handle did not open (written since it was opened, or by an unfinished restore); open the database again"
                    ),
                ),
            ));
        }
        Ok(())
    }
}
