//! [`FluxDB`]: a database folder, its collections, buffering and transactions.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::engine::collection::NativeCollection;
use crate::engine::find::{Find, Plan};
use crate::engine::names::validate_collection_name;
use crate::engine::query::{Filter, Update, ValueMode};
use crate::engine::storage::durable;
use crate::engine::storage::lock::WriterLock;
use crate::engine::storage::native::{self, DroppedTail};
use crate::engine::storage::txlog::TxLog;
use crate::engine::storage::{BinaryCodec, RecordCodec};
use crate::engine::{Document, backup, memory};
use crate::error::{Error, IoContext, Result};

/// Longest `_id`, in bytes.
pub const MAX_ID_BYTES: usize = 1024;

/// How a collection is stored on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageFormat {
    /// FluxDB's own format: typed values, checksums, append-only.
    Native,
    /// The Python FluxDB 0.1 format: text values, no header.
    #[serde(rename = "python-0.1")]
    Legacy,
}

impl std::fmt::Display for StorageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageFormat::Native => "native",
            StorageFormat::Legacy => "python-0.1",
        })
    }
}

/// What `collection_info` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CollectionInfo {
    pub name: String,
    pub format: StorageFormat,
    pub records: usize,
    pub file_bytes: u64,
    pub dead_bytes: u64,
    pub indexed_fields: Vec<String>,
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
    Native(NativeCollection),
    /// A Python FluxDB 0.1 file, which this engine leaves untouched.
    Legacy {
        path: PathBuf,
    },
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
        for (name, path) in collection_files(&db.dir)? {
            let collection = db.load_collection(&name, &path, &committed)?;
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
            return Ok(Collection::Legacy {
                path: path.to_path_buf(),
            });
        }
        let opened = NativeCollection::open(path, self.codec.clone(), committed, self.read_only)?;
        if let Some(dropped) = opened.dropped {
            self.recovery.push(RecoveryNote {
                collection: name.to_owned(),
                dropped,
            });
        }
        Ok(Collection::Native(opened.collection))
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
            Collection::Native(c) => Ok(CollectionInfo {
                name: name.to_owned(),
                format: StorageFormat::Native,
                records: c.len(),
                file_bytes: c.file_bytes(),
                dead_bytes: c.dead_bytes(),
                indexed_fields: c.indexed_fields().to_vec(),
            }),
            Collection::Legacy { path } => Ok(CollectionInfo {
                name: name.to_owned(),
                format: StorageFormat::Legacy,
                records: 0,
                file_bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
                dead_bytes: 0,
                indexed_fields: Vec::new(),
            }),
        }
    }

    fn collection(&self, name: &str) -> Result<&Collection> {
        self.collections
            .get(name)
            .ok_or_else(|| Error::CollectionNotFound(name.to_owned()))
    }

    fn native(&self, name: &str) -> Result<&NativeCollection> {
        match self.collection(name)? {
            Collection::Native(c) => Ok(c),
            Collection::Legacy { .. } => Err(legacy_refused(name)),
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

    /// The collection to write, enrolled in the transaction if one is active.
    fn native_mut(&mut self, name: &str) -> Result<&mut NativeCollection> {
        self.ensure_writable("writing")?;
        let in_transaction = match &mut self.transaction {
            Some(t) => {
                t.touched.insert(name.to_owned());
                true
            }
            None => false,
        };
        match self.collections.get_mut(name) {
            Some(Collection::Native(c)) => {
                if in_transaction {
                    c.begin_savepoint();
                }
                Ok(c)
            }
            Some(Collection::Legacy { .. }) => Err(legacy_refused(name)),
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
        validate_collection_name(name)?;
        self.ensure_writable("creating a collection")?;
        if self.collections.contains_key(name) {
            return Ok(false);
        }
        // Inside a transaction too: creating an empty collection is not part
        // of its atomicity (a rollback keeps the empty collection).
        let fields = normalize_fields(indexed_fields)?;
        let path = self.collection_path(name);
        let collection = NativeCollection::create(&path, self.codec.clone(), fields.clone())?;
        backup::write_index_definitions(&self.dir, name, &fields)?;
        self.collections
            .insert(name.to_owned(), Collection::Native(collection));
        Ok(true)
    }

    /// Deletes a collection and its index definitions; `Ok(false)` if there
    /// was none.
    pub fn drop_collection(&mut self, name: &str) -> Result<bool> {
        self.ensure_writable("dropping a collection")?;
        self.refuse_in_transaction("dropping a collection")?;
        match self.collections.get(name) {
            None => return Ok(false),
            Some(Collection::Legacy { .. }) => return Err(legacy_refused(name)),
            Some(Collection::Native(_)) => {}
        }
        durable::durable_remove(&self.collection_path(name))?;
        backup::remove_index_definitions(&self.dir, name)?;
        self.collections.remove(name);
        Ok(true)
    }

    /// Removes every record and keeps the index definitions; `Ok(false)` if
    /// there is no such collection. Atomic: a crash leaves all or nothing.
    pub fn clear_collection(&mut self, name: &str) -> Result<bool> {
        self.ensure_writable("clearing a collection")?;
        self.refuse_in_transaction("clearing a collection")?;
        let fields = match self.collections.get(name) {
            None => return Ok(false),
            Some(Collection::Legacy { .. }) => return Err(legacy_refused(name)),
            Some(Collection::Native(c)) => c.indexed_fields().to_vec(),
        };
        let path = self.collection_path(name);
        let collection = NativeCollection::create(&path, self.codec.clone(), fields)?;
        self.collections
            .insert(name.to_owned(), Collection::Native(collection));
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
        let c = self.native_mut(collection)?;
        // Staged one by one; any failure undoes this call's records only.
        let mark = c.mark();
        let mut ids = Vec::with_capacity(documents.len());
        let mut data = Vec::with_capacity(256);
        let staged = || -> Result<()> {
            for (i, document) in documents.into_iter().enumerate() {
                let (id, doc) = with_id(document).map_err(|e| at_index(e, i))?;
                data.clear();
                c.encode(&doc, &mut data).map_err(|e| at_index(e, i))?;
                if !c.put_new(&id, &data)? {
                    return Err(Error::DuplicateId {
                        collection: collection.to_owned(),
                        id,
                    });
                }
                ids.push(id);
            }
            Ok(())
        };
        let result = staged();
        if result.is_err() {
            c.rollback_to(&mark);
        }
        c.end_atomic_call();
        result?;
        self.after_write()?;
        Ok(ids)
    }

    /// The record with this `_id`, if any.
    pub fn get(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        self.native(collection)?.get(id)
    }

    /// Whether a record with this `_id` exists (false for a missing collection, as the seed).
    pub fn exists(&self, collection: &str, id: &str) -> Result<bool> {
        match self.collections.get(collection) {
            None => Ok(false),
            Some(_) => Ok(self.native(collection)?.contains(id)),
        }
    }

    /// Records matching the query, in insertion order unless sorted.
    pub fn find(&self, collection: &str, query: &Find) -> Result<Vec<Document>> {
        let plan = Plan::new(query, ValueMode::Typed)?;
        let c = self.native(collection)?;
        plan.run(c.scan())
    }

    /// How many records match the filter.
    pub fn count(&self, collection: &str, filter: &Value) -> Result<usize> {
        let filter = Filter::parse(filter)?;
        let c = self.native(collection)?;
        if filter.is_match_all() {
            return Ok(c.len());
        }
        let mut n = 0;
        for doc in c.scan() {
            if filter.matches(&doc?) {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Updates one record: a plain object merges its fields (as the seed),
    /// an object of update operators applies them. `Ok(false)` if there is
    /// no such record.
    pub fn update(&mut self, collection: &str, id: &str, update: &Value) -> Result<bool> {
        let update = Update::parse(update)?;
        let c = self.native_mut(collection)?;
        let Some(mut doc) = c.get(id)? else {
            return Ok(false);
        };
        update.apply(&mut doc)?;
        if doc.get("_id").and_then(Value::as_str) != Some(id) {
            return Err(Error::InvalidUpdate(format!(
                "the update would change _id of record {id:?}; _id cannot change"
            )));
        }
        c.put(id, &doc)?;
        self.after_write()?;
        Ok(true)
    }

    /// Deletes one record; `Ok(false)` if there was none.
    pub fn delete(&mut self, collection: &str, id: &str) -> Result<bool> {
        let deleted = self.native_mut(collection)?.delete(id)?;
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
                    Collection::Native(c) => c.pending_bytes(),
                    Collection::Legacy { .. } => 0,
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
            if let Collection::Native(c) = c {
                c.flush(0)?;
                if c.dead_bytes() > (1 << 20) && c.dead_bytes() > c.file_bytes() / 2 {
                    c.compact()?;
                }
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
            .filter(|name| matches!(self.collections.get(*name), Some(Collection::Native(c)) if c.has_pending()))
            .cloned()
            .collect();
        let result = self.write_transaction(txn.id, &touched);
        for name in &txn.touched {
            if let Some(Collection::Native(c)) = self.collections.get_mut(name) {
                if result.is_ok() {
                    c.release_savepoint();
                } else {
                    c.rollback_to_savepoint();
                }
            }
        }
        result.map_err(|e| Error::Transaction(format!("commit failed and was rolled back: {e}")))
    }

    fn write_transaction(&mut self, id: u64, touched: &[String]) -> Result<()> {
        if touched.len() <= 1 {
            // One collection: its batch group is its own commit record.
            for name in touched {
                if let Some(Collection::Native(c)) = self.collections.get_mut(name) {
                    c.flush(0)?;
                }
            }
            return Ok(());
        }
        let mut written: Vec<(String, u64)> = Vec::new();
        let mut result = Ok(());
        for name in touched {
            if let Some(Collection::Native(c)) = self.collections.get_mut(name) {
                let before = c.end();
                result = c.flush(id);
                written.push((name.clone(), before));
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_ok() {
            result = self.txlog_mut().and_then(|log| log.commit(id));
        }
        if result.is_err() {
            // Without its commit record the batches are invisible on disk;
            // cut them off so later appends do not follow garbage.
            for (name, before) in written {
                if let Some(Collection::Native(c)) = self.collections.get_mut(&name) {
                    let _ = c.truncate_to(before);
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
            if let Some(Collection::Native(c)) = self.collections.get_mut(name) {
                c.rollback_to_savepoint();
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
        let c = self.native_mut(collection)?;
        let bytes_before = c.file_bytes();
        c.compact()?;
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
        let c = self.native(collection)?;
        backup::export_collection(c, collection, file.as_ref())?;
        Ok(true)
    }

    /// Replaces a collection with a backup made by `export_collection`
    /// (the seed's `import_collection`). The whole file is checked before
    /// anything changes; `Ok(false)` if the file does not exist.
    pub fn import_collection(&mut self, collection: &str, file: impl AsRef<Path>) -> Result<bool> {
        validate_collection_name(collection)?;
        self.ensure_writable("importing")?;
        self.refuse_in_transaction("importing a backup")?;
        let file = file.as_ref();
        if !file.exists() {
            return Ok(false);
        }
        if let Some(Collection::Legacy { .. }) = self.collections.get(collection) {
            return Err(legacy_refused(collection));
        }
        self.flush()?;
        let checked = backup::read_backup(file, self.codec.as_ref())?;
        let path = self.collection_path(collection);
        let fields = checked.indexed_fields.clone();
        backup::write_collection_from_backup(&path, self.codec.as_ref(), checked)?;
        backup::write_index_definitions(&self.dir, collection, &fields)?;
        let opened = NativeCollection::open(&path, self.codec.clone(), &HashSet::new(), false)?;
        self.collections
            .insert(collection.to_owned(), Collection::Native(opened.collection));
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

fn legacy_refused(name: &str) -> Error {
    Error::UnsupportedFormat {
        collection: name.to_owned(),
        format: "Python FluxDB 0.1".to_owned(),
        reason: "this version of FluxDB does not read or write that format yet, and leaves the file untouched".to_owned(),
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

pub(crate) fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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
