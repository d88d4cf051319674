//! A Python FluxDB 0.1 collection as a [`CollectionStore`]: read by the
//! library's rules, queried with its number-versus-text rule, and written in
//! place in its format so the library keeps reading the folder right.
//!
//! The records live in memory ([`RecordTable`]); a write rewrites the whole
//! `.fdb` file and the pickled index through [`files`] (temporary files,
//! fsync, rename), never truncating in place. A file whose bytes a rewrite
//! would not reproduce (a torn tail, an undecodable record) is copied to
//! `<name>.fdb.bak` before the first rewrite.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::files::{self, CommitError, PreparedWrite};
use super::pickle_index::{read_index_file_at, write_index_file_for};
use super::record::{
    LegacyRecord, document_to_record, encode_record, read_collection, record_to_document,
};
use super::table::RecordTable;
use crate::engine::Document;
use crate::engine::collection::CollectionStore;
use crate::engine::index::IndexSet;
use crate::engine::query::ValueMode;
use crate::engine::storage::StorageFormat;
use crate::engine::storage::codec::MAX_DOCUMENT_BYTES;
use crate::engine::storage::durable;
use crate::engine::storage::native::DroppedTail;
use crate::error::{Error, IoContext, Result};

#[derive(Debug)]
pub(crate) struct LegacyCollection {
    dir: PathBuf,
    name: String,
    table: RecordTable,
    /// The keys of the index file's outer dict; empty when there is no index
    /// file, or one the library would not use (`{}`, unreadable), which is
    /// then left as it is, as the library leaves it.
    indexed_fields: Vec<String>,
    /// The indexed fields changed: the next write rewrites the index file
    /// even when no field is left (as `{}`, which the library reads as none).
    index_fields_changed: bool,
    /// The engine's indexes over the stored text, built on first use and
    /// kept exact on each write (slots are [`RecordTable`] slots).
    indexes: OnceCell<IndexSet>,
    /// Size of the collection file on disk.
    file_len: u64,
    /// The file holds bytes a rewrite drops (a torn tail, undecodable
    /// records), so it is backed up before the first rewrite.
    needs_backup: bool,
    /// The file is not byte for byte what the records encode to.
    file_differs: bool,
    /// A transaction's files, written and waiting for its commit record.
    prepared: Option<Prepared>,
    /// A rename failed after its write committed: leftovers must be settled
    /// by reopening before anything else is written.
    poisoned: bool,
    /// The file as this collection read it (size, time, inode), for a
    /// shared writer's cheap look at whether another program rewrote it.
    read_as: Option<FileStamp>,
    read_only: bool,
}

#[derive(Debug)]
struct Prepared {
    write: PreparedWrite,
    file_len: u64,
}

/// What opening found.
pub(crate) struct Opened {
    pub collection: LegacyCollection,
    /// Bytes of the file the engine cannot read (kept in a `.bak` before a
    /// rewrite drops them).
    pub dropped: Vec<DroppedTail>,
}

impl LegacyCollection {
    /// Opens `<dir>/<name>.fdb`, settling what a crash left of a write first.
    pub fn open(
        dir: &Path,
        name: &str,
        committed: &HashSet<u64>,
        read_only: bool,
    ) -> Result<Opened> {
        let settled = files::settle_leftovers(dir, name, committed, read_only)?;
        let bytes = std::fs::read(&settled.collection).at(&settled.collection)?;
        let report = read_collection(&bytes);
        let mut dropped = Vec::new();
        for skipped in &report.skipped {
            let at = skipped.offset as usize;
            let len = bytes
                .get(at..at + 4)
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            dropped.push(DroppedTail {
                offset: skipped.offset,
                bytes: u64::from(len) + 4,
                reason: format!(
                    "a record the Python library cannot decode either ({}); a copy of the file is kept as {name}.fdb.bak before the first write",
                    skipped.reason
                ),
            });
        }
        if let Some(tail) = report.torn_tail {
            dropped.push(DroppedTail {
                offset: tail.offset,
                bytes: tail.bytes,
                reason: format!(
                    "an incomplete last record, which the Python library ignores too; a copy of the file is kept as {name}.fdb.bak before the first write"
                ),
            });
        }
        let mut records = report.records;
        let file_differs = !reencodes_exactly(&mut records, &bytes);
        let indexed_fields = read_indexed_fields(&settled.index)?;
        Ok(Opened {
            collection: LegacyCollection {
                dir: dir.to_path_buf(),
                name: name.to_owned(),
                table: RecordTable::from_records(records),
                indexed_fields,
                index_fields_changed: false,
                indexes: OnceCell::new(),
                file_len: bytes.len() as u64,
                needs_backup: !dropped.is_empty(),
                file_differs,
                prepared: None,
                poisoned: false,
                read_only,
                read_as: FileStamp::of(&settled.collection),
            },
            dropped,
        })
    }

    /// Makes a collection with no records, as the Python library's
    /// `create_collection` does: an empty `.fdb` file and, with indexed
    /// fields, an index file of empty dicts. Replaces an existing one (clear).
    pub fn create(dir: &Path, name: &str, indexed_fields: Vec<String>) -> Result<LegacyCollection> {
        Self::replace_with(dir, name, indexed_fields, Vec::new())
    }

    /// Replaces the collection with the records of a legacy collection file
    /// (what the Python library's and this engine's export write), keeping
    /// `indexed_fields`. The whole file is checked before anything changes.
    pub fn import(
        dir: &Path,
        name: &str,
        indexed_fields: Vec<String>,
        source: &Path,
    ) -> Result<LegacyCollection> {
        let bytes = std::fs::read(source).at(source)?;
        let report = read_collection(&bytes);
        let corrupt = |offset: u64, reason: String| Error::Corrupt {
            path: source.to_path_buf(),
            offset,
            reason,
        };
        if let Some(skipped) = report.skipped.first() {
            return Err(corrupt(
                skipped.offset,
                format!("undecodable record: {}", skipped.reason),
            ));
        }
        if let Some(tail) = report.torn_tail {
            return Err(corrupt(
                tail.offset,
                format!(
                    "the last {} bytes are an incomplete record; the file is damaged",
                    tail.bytes
                ),
            ));
        }
        let mut seen = HashSet::new();
        if let Some(dup) = report.records.iter().find(|r| !seen.insert(r.id.as_str())) {
            return Err(corrupt(0, format!("the _id {:?} appears twice", dup.id)));
        }
        Self::replace_with(dir, name, indexed_fields, report.records)
    }

    fn replace_with(
        dir: &Path,
        name: &str,
        indexed_fields: Vec<String>,
        mut records: Vec<LegacyRecord>,
    ) -> Result<LegacyCollection> {
        // Records that cannot be written as stored are written as Python
        // holds them; the file then differs from the source, as intended.
        reencodes_exactly(&mut records, &[]);
        let mut collection = LegacyCollection {
            dir: dir.to_path_buf(),
            name: name.to_owned(),
            table: RecordTable::from_records(records),
            // An index file left by an earlier collection of this name would
            // be used by the Python library: it is rewritten too.
            index_fields_changed: !indexed_fields.is_empty()
                || files::index_file(dir, name).exists(),
            indexed_fields,
            indexes: OnceCell::new(),
            file_len: 0,
            needs_backup: false,
            file_differs: true,
            prepared: None,
            poisoned: false,
            read_only: false,
            read_as: None,
        };
        collection.write(0)?;
        Ok(collection)
    }

    /// Deletes the collection's files (index first) and any leftovers.
    pub fn remove_files(dir: &Path, name: &str) -> Result<()> {
        files::remove_collection_files(dir, name)
    }

    fn ensure_writable(&self) -> Result<()> {
        let path = files::collection_file(&self.dir, &self.name);
        if self.read_only {
            return Err(Error::ReadOnly {
                path,
                what: "writing".to_owned(),
            });
        }
        if self.poisoned {
            return Err(Error::io(
                &path,
                std::io::Error::other(
                    "an earlier write to this collection did not finish; reopen the database before writing again",
                ),
            ));
        }
        Ok(())
    }

    /// Writes the records over the files. With `txn == 0` the new files are
    /// in place when this returns; otherwise they wait for
    /// [`finish_commit`](CollectionStore::finish_commit).
    fn write(&mut self, txn: u64) -> Result<()> {
        self.ensure_writable()?;
        if self.prepared.is_some() {
            return Err(Error::Transaction(format!(
                "collection {:?} already has a prepared transaction",
                self.name
            )));
        }
        let collection_bytes = self.table.encode_file()?;
        let index_bytes = if self.indexed_fields.is_empty() && !self.index_fields_changed {
            None
        } else {
            let records: Vec<&LegacyRecord> = self.table.records().collect();
            Some(write_index_file_for(&self.indexed_fields, &records)?)
        };
        if self.needs_backup {
            files::keep_backup(&self.dir, &self.name)?;
            self.needs_backup = false;
        }
        let id = if txn == 0 {
            files::standalone_write_id()
        } else {
            txn
        };
        let write = files::prepare(
            &self.dir,
            &self.name,
            id,
            &collection_bytes,
            index_bytes.as_deref(),
        )?;
        let prepared = Prepared {
            write,
            file_len: collection_bytes.len() as u64,
        };
        if txn != 0 {
            self.prepared = Some(prepared);
            return Ok(());
        }
        match prepared.write.commit() {
            Ok(()) => {
                self.written(prepared.file_len);
                Ok(())
            }
            Err(CommitError::NotCommitted(e)) => {
                // Nothing changed on disk; the staged writes stay staged.
                prepared.write.discard();
                Err(e)
            }
            Err(CommitError::IndexPending(e)) => {
                // The records are written; the index follows on reopen.
                self.poisoned = true;
                self.written(prepared.file_len);
                Err(e)
            }
        }
    }

    fn written(&mut self, file_len: u64) {
        self.table.mark_written();
        self.follow_renumbering();
        self.file_len = file_len;
        self.file_differs = false;
        self.index_fields_changed = false;
    }

    /// Moves the indexes to the new slots after the table closed empty ones.
    fn follow_renumbering(&mut self) {
        if let Some(map) = self.table.take_renumbering()
            && let Some(indexes) = self.indexes.get_mut()
        {
            indexes.remap(&|old| map.get(old as usize).copied().flatten());
        }
    }

    /// The indexes, built from every record the first time they are needed.
    fn built_indexes(&self) -> &IndexSet {
        self.indexes
            .get_or_init(|| self.build_indexes(&self.indexed_fields, &mut |_, _| {}))
    }

    fn build_indexes(&self, fields: &[String], progress: &mut dyn FnMut(usize, usize)) -> IndexSet {
        let mut set = IndexSet::new(fields);
        if set.is_empty() {
            return set;
        }
        let total = self.table.len();
        for (done, (slot, record)) in self.table.slotted().enumerate() {
            set.add(slot, &record_to_document(record));
            if done % 65_536 == 0 {
                progress(done, total);
            }
        }
        progress(total, total);
        set
    }

    /// Removes the records in `slots` from built indexes (before they change).
    fn unindex(&mut self, slots: &[u32]) {
        if let Some(indexes) = self.indexes.get_mut() {
            for &slot in slots {
                if let Some(record) = self.table.slot(slot) {
                    indexes.remove(slot, &record_to_document(record));
                }
            }
        }
    }

    /// Adds the record in `slot` to built indexes.
    fn index(&mut self, slot: u32) {
        if let (Some(indexes), Some(record)) = (self.indexes.get_mut(), self.table.slot(slot)) {
            indexes.add(slot, &record_to_document(record));
        }
    }
}

/// Whether encoding `records` as stored gives `bytes`. A record that cannot
/// be encoded as stored (a key twice, `_id` fields that disagree) is turned
/// into the dict Python holds for it, which always encodes.
fn reencodes_exactly(records: &mut [LegacyRecord], bytes: &[u8]) -> bool {
    let mut at = 0usize;
    let mut same = true;
    for record in records.iter_mut() {
        let encoded = match encode_record(&record.id, &record.fields) {
            Ok(encoded) => encoded,
            Err(_) => {
                record.fields = record.python_fields();
                same = false;
                continue;
            }
        };
        if same && bytes.get(at..at + encoded.len()) == Some(&encoded[..]) {
            at += encoded.len();
        } else {
            same = false;
        }
    }
    same && at == bytes.len()
}

/// The indexed fields of an index file. A missing file means none; so does
/// one the Python library would not load (it treats an unreadable pickle
/// as no index, and never rewrites it).
fn read_indexed_fields(path: &Path) -> Result<Vec<String>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    Ok(read_index_file_at(path, &bytes).unwrap_or_default())
}

/// The document of a record holding only `_id` and these top-level fields
/// (what a filter or sort reads), as [`record_to_document`] would hold them.
fn record_fields_to_document(record: &LegacyRecord, fields: &[String]) -> Document {
    let mut document = Document::new();
    document.insert(
        "_id".to_owned(),
        serde_json::Value::String(record.id.clone()),
    );
    for (key, value) in &record.fields {
        if key != "_id" && fields.iter().any(|f| f == key) {
            document.insert(key.clone(), serde_json::Value::String(value.clone()));
        }
    }
    document
}

/// The encoded size of a record, checking that it can be written at all
/// and is within the document size limit every format shares.
fn encoded_size(record: &LegacyRecord) -> Result<usize> {
    let size = encode_record(&record.id, &record.fields)?.len();
    if size > MAX_DOCUMENT_BYTES {
        return Err(Error::LimitExceeded {
            what: format!("a document of {size} bytes"),
            limit: format!("{MAX_DOCUMENT_BYTES} bytes"),
        });
    }
    Ok(size)
}

/// What a stat says of a file: enough to tell it was rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        })
    }
}

impl CollectionStore for LegacyCollection {
    fn format(&self) -> StorageFormat {
        StorageFormat::Legacy
    }

    fn changed_on_disk(&self) -> Result<bool> {
        let path = self.dir.join(format!("{}.fdb", self.name));
        Ok(self.read_as.is_none() || FileStamp::of(&path) != self.read_as)
    }

    fn value_mode(&self) -> ValueMode {
        ValueMode::LegacyText
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn file_bytes(&self) -> u64 {
        self.file_len
    }

    fn dead_bytes(&self) -> u64 {
        0
    }

    fn indexed_fields(&self) -> &[String] {
        &self.indexed_fields
    }

    fn contains(&self, id: &str) -> Result<bool> {
        Ok(self.table.contains(id))
    }

    fn get(&self, id: &str) -> Result<Option<Document>> {
        Ok(self.table.get(id).map(record_to_document))
    }

    fn slot_of(&self, id: &str) -> Result<Option<u32>> {
        // The first of a repeated id is the one `get` reads.
        Ok(self.table.slots_of(id).first().copied())
    }

    fn scan(&self) -> Box<dyn Iterator<Item = Result<Document>> + '_> {
        Box::new(self.table.records().map(|r| Ok(record_to_document(r))))
    }

    fn insert(&mut self, id: &str, doc: &Document) -> Result<bool> {
        self.ensure_writable()?;
        if self.table.contains(id) {
            return Ok(false);
        }
        crate::engine::nesting::check_document_depth(doc)?;
        let record = document_to_record(doc, id)?;
        let size = encoded_size(&record)?;
        match self.table.insert(record, size) {
            Some(slot) => {
                self.index(slot);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn replace(&mut self, id: &str, doc: &Document) -> Result<()> {
        self.ensure_writable()?;
        crate::engine::nesting::check_document_depth(doc)?;
        let record = document_to_record(doc, id)?;
        let size = encoded_size(&record)?;
        let slot = self.table.slots_of(id).first().copied();
        if let Some(slot) = slot {
            self.unindex(&[slot]);
        }
        let replaced = self.table.replace(record, size);
        if let Some(slot) = slot {
            self.index(slot);
        }
        replaced
    }

    fn delete(&mut self, id: &str) -> Result<bool> {
        self.ensure_writable()?;
        let slots = self.table.slots_of(id);
        self.unindex(&slots);
        Ok(self.table.delete(id))
    }

    fn indexes(&self) -> Result<&IndexSet> {
        Ok(self.built_indexes())
    }

    fn read_slot(&self, slot: u32) -> Result<Option<Document>> {
        Ok(self.table.slot(slot).map(record_to_document))
    }

    fn live_slots(&self) -> Box<dyn Iterator<Item = Result<u32>> + '_> {
        Box::new(self.table.slotted().map(|(slot, _)| Ok(slot)))
    }

    fn visit_fields(
        &self,
        fields: &[String],
        visit: &mut dyn FnMut(u32, &Document) -> Result<bool>,
    ) -> Result<()> {
        for (slot, record) in self.table.slotted() {
            if !visit(slot, &record_fields_to_document(record, fields))? {
                break;
            }
        }
        Ok(())
    }

    /// Changes the indexed fields; the next write rewrites the index file
    /// with them, which the Python library then uses (it reads the fields
    /// from that file).
    fn set_indexed_fields(
        &mut self,
        fields: Vec<String>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        self.ensure_writable()?;
        let built = self.build_indexes(&fields, progress);
        self.indexes = OnceCell::from(built);
        self.indexed_fields = fields;
        self.index_fields_changed = true;
        self.table.mark_dirty();
        Ok(())
    }

    fn savepoint(&mut self) {
        self.table.savepoint();
    }

    fn release_savepoint(&mut self) {
        self.table.release_savepoint();
        self.follow_renumbering();
    }

    fn rollback_savepoint(&mut self) {
        self.table.rollback_savepoint();
        // Rollbacks are rare: rebuilding the indexes on next use is simpler
        // than undoing each key.
        self.table.take_renumbering();
        self.indexes = OnceCell::new();
    }

    fn has_pending(&self) -> bool {
        self.table.changes().dirty
    }

    fn pending_bytes(&self) -> usize {
        self.table.changes().pending_bytes
    }

    fn flush(&mut self, txn: u64) -> Result<()> {
        if !self.table.changes().dirty {
            return Ok(());
        }
        self.write(txn)
    }

    fn finish_commit(&mut self) -> Result<()> {
        let Some(prepared) = self.prepared.take() else {
            return Ok(());
        };
        match prepared.write.commit() {
            Ok(()) => {
                self.written(prepared.file_len);
                Ok(())
            }
            Err(CommitError::NotCommitted(e) | CommitError::IndexPending(e)) => {
                // The transaction log commits it: reopening renames the
                // temporary files into place. Nothing may be written before.
                self.poisoned = true;
                Err(e)
            }
        }
    }

    fn abort_commit(&mut self) -> Result<()> {
        if let Some(prepared) = self.prepared.take() {
            prepared.write.discard();
        }
        Ok(())
    }

    /// Rewrites the file when it differs from what the records encode to
    /// (staged writes, or bytes that could not be read: a torn tail is
    /// repaired here, after a backup copy).
    fn compact(&mut self) -> Result<()> {
        if self.table.changes().dirty || self.file_differs {
            self.write(0)?;
        }
        Ok(())
    }

    fn wants_compaction(&self) -> bool {
        false
    }

    fn refuse_writes(&mut self) {
        self.poisoned = true;
    }

    /// Writes the collection file as it is now, in the legacy format (the
    /// Python library's export is a copy of the file), durably.
    fn export(&self, _name: &str, target: &Path) -> Result<()> {
        durable::atomic_write(target, &self.table.encode_file()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::legacy::pickle_index::write_index_file;
    use crate::engine::legacy::test_fixtures::{fixture_bytes, fixture_dir};
    use serde_json::json;

    fn copy_fixture(folder: &str) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let source = fixture_dir().join(folder);
        std::fs::create_dir(tmp.path().join("indexes")).unwrap();
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, tmp.path().join(path.file_name().unwrap())).unwrap();
            }
        }
        for entry in std::fs::read_dir(source.join("indexes")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(
                &path,
                tmp.path().join("indexes").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
        tmp
    }

    fn open(dir: &Path, name: &str) -> Opened {
        LegacyCollection::open(dir, name, &HashSet::new(), false).unwrap()
    }

    use crate::engine::test_doc as doc;

    #[test]
    fn a_whole_fixture_file_is_reproduced_and_needs_no_backup() {
        let tmp = copy_fixture("basic");
        let opened = open(tmp.path(), "users");
        assert!(opened.dropped.is_empty());
        let c = opened.collection;
        assert!(!c.file_differs && !c.needs_backup);
        assert_eq!(c.indexed_fields(), ["age", "status"]);
        assert_eq!(
            c.file_bytes(),
            fixture_bytes("basic", "users.fdb").len() as u64
        );
    }

    #[test]
    fn a_torn_tail_is_reported_kept_in_a_backup_and_repaired_by_the_first_write() {
        let tmp = copy_fixture("torn-tail");
        let dir = tmp.path();
        let opened = open(dir, "users");
        assert_eq!(opened.dropped.len(), 1);
        assert_eq!(opened.dropped[0].offset, 8196);
        assert_eq!(opened.dropped[0].bytes, 70);
        let mut c = opened.collection;
        assert_eq!(c.len(), 54);
        // Opening changes nothing.
        assert_eq!(
            std::fs::read(dir.join("users.fdb")).unwrap(),
            fixture_bytes("torn-tail", "users.fdb")
        );
        c.insert("new-1", &doc(json!({"name": "Zed", "age": 5})))
            .unwrap();
        c.flush(0).unwrap();
        assert_eq!(
            std::fs::read(dir.join("users.fdb.bak")).unwrap(),
            fixture_bytes("torn-tail", "users.fdb")
        );
        let again = open(dir, "users");
        assert!(again.dropped.is_empty());
        assert_eq!(again.collection.len(), 55);
    }

    #[test]
    fn compact_repairs_a_torn_file_and_writes_nothing_for_a_whole_one() {
        let tmp = copy_fixture("torn-tail");
        let dir = tmp.path();
        let mut torn = open(dir, "users").collection;
        torn.compact().unwrap();
        assert!(dir.join("users.fdb.bak").exists());
        assert_eq!(
            std::fs::read(dir.join("users.fdb")).unwrap(),
            fixture_bytes("basic", "users.fdb")[..8196]
        );
        let mut whole = open(dir, "products").collection;
        whole.compact().unwrap();
        assert!(!dir.join("products.fdb.bak").exists());
        assert_eq!(
            std::fs::read(dir.join("products.fdb")).unwrap(),
            fixture_bytes("basic", "products.fdb")
        );
    }

    #[test]
    fn an_insert_appends_exactly_what_python_appends_and_rewrites_the_index() {
        let tmp = copy_fixture("basic");
        let dir = tmp.path();
        let mut c = open(dir, "users").collection;
        let new = doc(json!({"name": "Eve", "age": 30, "status": "active", "tags": ["a", 1]}));
        assert!(
            c.insert("11111111-2222-3333-4444-555555555555", &new)
                .unwrap()
        );
        c.flush(0).unwrap();
        let mut expected = fixture_bytes("basic", "users.fdb");
        let record = document_to_record(&new, "11111111-2222-3333-4444-555555555555").unwrap();
        expected.extend(encode_record(&record.id, &record.fields).unwrap());
        assert_eq!(std::fs::read(dir.join("users.fdb")).unwrap(), expected);
        let records = read_collection(&expected).records;
        assert_eq!(
            std::fs::read(dir.join("indexes/users.idx")).unwrap(),
            write_index_file(&["age".to_string(), "status".to_string()], &records).unwrap()
        );
    }

    #[test]
    fn a_prepared_transaction_changes_nothing_until_finished_and_nothing_if_aborted() {
        let tmp = copy_fixture("basic");
        let dir = tmp.path();
        let before = std::fs::read(dir.join("txn.fdb")).unwrap();
        let mut c = open(dir, "txn").collection;
        c.savepoint();
        c.insert("x", &doc(json!({"step": 3}))).unwrap();
        c.flush(11).unwrap();
        assert_eq!(std::fs::read(dir.join("txn.fdb")).unwrap(), before);
        c.abort_commit().unwrap();
        c.rollback_savepoint();
        assert_eq!(std::fs::read(dir.join("txn.fdb")).unwrap(), before);
        assert!(!c.has_pending());
        assert_eq!(c.len(), 2);
        c.savepoint();
        c.insert("x", &doc(json!({"step": 3}))).unwrap();
        c.flush(13).unwrap();
        c.finish_commit().unwrap();
        c.release_savepoint();
        assert_eq!(open(dir, "txn").collection.len(), 3);
        let leftovers = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn an_unreadable_or_empty_index_file_is_left_as_it_is() {
        let tmp = copy_fixture("basic");
        let dir = tmp.path();
        std::fs::write(dir.join("indexes/txn.idx"), b"not a pickle").unwrap();
        let mut c = open(dir, "txn").collection;
        assert!(c.indexed_fields().is_empty());
        c.insert("x", &doc(json!({"step": 3}))).unwrap();
        c.flush(0).unwrap();
        assert_eq!(
            std::fs::read(dir.join("indexes/txn.idx")).unwrap(),
            b"not a pickle"
        );
    }

    #[test]
    fn create_writes_an_empty_file_and_an_index_of_empty_dicts() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let c = LegacyCollection::create(dir, "empty", vec!["name".to_string()]).unwrap();
        assert_eq!(c.len(), 0);
        assert_eq!(std::fs::read(dir.join("empty.fdb")).unwrap(), b"");
        assert_eq!(
            std::fs::read(dir.join("indexes/empty.idx")).unwrap(),
            fixture_bytes("basic", "indexes/empty.idx")
        );
    }

    #[test]
    fn import_refuses_a_damaged_file_and_keeps_a_whole_one_byte_for_byte() {
        let tmp = copy_fixture("basic");
        let dir = tmp.path();
        let torn = fixture_dir().join("torn-tail/users.fdb");
        let err = LegacyCollection::import(dir, "users", vec![], &torn).unwrap_err();
        assert!(matches!(err, Error::Corrupt { offset: 8196, .. }), "{err}");
        let whole = fixture_dir().join("basic/products.fdb");
        let c = LegacyCollection::import(dir, "copy", vec!["sku".to_string()], &whole).unwrap();
        assert_eq!(c.len(), 31);
        assert_eq!(
            std::fs::read(dir.join("copy.fdb")).unwrap(),
            fixture_bytes("basic", "products.fdb")
        );
        assert!(dir.join("indexes/copy.idx").exists());
    }

    #[test]
    fn a_read_only_collection_refuses_writes() {
        let tmp = copy_fixture("basic");
        let mut c = LegacyCollection::open(tmp.path(), "txn", &HashSet::new(), true)
            .unwrap()
            .collection;
        let err = c.insert("x", &doc(json!({"a": 1}))).unwrap_err();
        assert!(matches!(err, Error::ReadOnly { .. }), "{err}");
    }
}
