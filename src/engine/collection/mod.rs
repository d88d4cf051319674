//! One native collection in memory: where each live record is, in insertion
//! order, plus the writes not yet on disk.
//!
//! Documents themselves stay in the file and are read when needed, so memory
//! grows with the number of records, not their size. Writes go to `pending`
//! (entries laid out exactly as in a batch payload) and reach the file on
//! flush or commit, as one group of batches.

pub(crate) mod backup;
mod records;
mod store;
mod verify;

pub(crate) use store::{CollectionStore, StoredRecord};
pub use verify::{CollectionCheck, MAX_LISTED_PROBLEMS, VerifyProblem};

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::engine::Document;
use crate::engine::cancel::CancelToken;
use crate::engine::index::IndexSet;
use crate::engine::storage::RecordCodec;
use crate::engine::storage::compress::{
    BLOCK_HEADER_LEN, BLOCK_TARGET, BlockBytes, BlockDecompressor, BlockHeader, Compression,
    Dictionary, DictionaryTrainer, MIN_DICTIONARY_RECORDS,
};
use crate::engine::storage::durable::{self, ReplaceFailure, read_exact_at, write_all_at};
use crate::engine::storage::mapped::MappedFile;
use crate::engine::storage::native::{
    self, DroppedTail, EntryKind, EntryRef, FileHeader, FileKind, GroupWriter, HEADER_LEN, Place,
    ScanEvent,
};
use crate::error::{Error, IoContext, Result};

use records::{Loc, RecordLoader, RecordTable, Slot};

/// Most records a collection holds: a record's slot (its place in insertion
/// order, what indexes store) is a `u32`, and `u32::MAX` means "none".
/// Deleted records keep their slot until compaction.
pub const MAX_RECORDS: usize = u32::MAX as usize;

/// Refuses a new record when every slot is taken.
fn check_room(collection: &str, slots_used: usize) -> Result<()> {
    if slots_used >= MAX_RECORDS {
        return Err(Error::LimitExceeded {
            what: format!(
                "collection {collection:?} with {slots_used} record slots (deleted records hold theirs until compaction)"
            ),
            limit: format!("{MAX_RECORDS} records"),
        });
    }
    Ok(())
}

/// What a rollback must restore, newest last.
#[derive(Debug)]
enum Undo {
    /// The last `n` slots were new records.
    Inserted(u32),
    Replaced {
        slot: u32,
        old: Loc,
    },
    Deleted {
        slot: u32,
        old: Slot,
    },
}

/// A point to roll back to: a transaction's start, or the start of one
/// `insert_many` inside it.
#[derive(Debug, Clone)]
struct Mark {
    undo: usize,
    pending_len: usize,
    pending_slots: usize,
    live_bytes: u64,
    indexed_fields: Vec<String>,
    meta_pending: bool,
    /// The file's end, so a failed multi-collection commit can be cut off.
    end: u64,
    /// The blocks written up to `end` (a compressed file).
    blocks: BlockBytes,
}

/// Metadata kept in the collection file itself (see FORMAT.md, "Meta entry").
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct CollectionMeta {
    #[serde(default)]
    pub indexed_fields: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct NativeCollection {
    path: PathBuf,
    file: File,
    /// Where the next batch goes: the end of committed data.
    end: u64,
    codec: Arc<dyn RecordCodec>,
    records: RecordTable,
    /// Bytes of the entries that hold live records (the rest of the file is dead).
    live_bytes: u64,
    pending: Vec<u8>,
    /// The framed batches of the last flush, emptied: the next flush writes
    /// into the same allocation (a bulk load flushes every 8 MiB, and a
    /// fresh buffer each time cost a page fault per 4 KiB).
    framed: Vec<u8>,
    /// The group writer's batch payload buffer, kept for the same reason.
    batch_buffer: Vec<u8>,
    /// Slots whose location is in `pending`, to relocate on flush.
    pending_slots: Vec<u32>,
    indexed_fields: Vec<String>,
    /// The index definitions changed and a Meta entry must be written.
    meta_pending: bool,
    /// Secondary indexes, built on first use (so opening stays fast) and
    /// kept exact on every write from then on.
    indexes: OnceCell<IndexSet>,
    /// The committed file mapped on first read, so reading a record is no
    /// system call. Appends past it are read from the file until they
    /// grow large enough to map again; anything that cuts or replaces the
    /// file drops it first.
    mapped: OnceCell<MappedFile>,
    /// While a savepoint is open: how to undo, newest last.
    undo: Vec<Undo>,
    /// Open savepoints, outermost first.
    savepoints: Vec<Mark>,
    /// Set after a failed fsync: the file's state is unknown, stop writing.
    poisoned: bool,
    read_only: bool,
    /// How the file stores its batches (from its header).
    compression: Compression,
    /// The file's blocks before and after compression: its ratio.
    blocks: BlockBytes,
    /// The zstd dictionary every block of the file uses (FORMAT.md, B4),
    /// read once when the file opens.
    dictionary: Option<Dictionary>,
    /// Where the batches start (after the header and any dictionary).
    data_start: u64,
    /// Blocks that gets decompressed lately (compressed files only).
    block_cache: Mutex<BlockCache>,
}

/// How many decompressed blocks a collection keeps for its gets: a get of a
/// neighbour of a recent record, or an index query over a few blocks,
/// decompresses nothing.
const CACHED_BLOCKS: usize = 8;

/// The most recently read decompressed blocks, newest first.
#[derive(Debug, Default)]
struct BlockCache {
    blocks: Vec<(u64, Arc<Vec<u8>>)>,
    framed: Vec<u8>,
    decompressor: Option<BlockDecompressor>,
}

/// What opening a collection file found.
pub(crate) struct Opened {
    pub collection: NativeCollection,
    pub dropped: Option<DroppedTail>,
}

impl NativeCollection {
    /// Creates a new, empty collection file durably (`<name>.tmp`, fsync,
    /// rename, fsync dir), so a crash never leaves a half-made file.
    pub fn create(
        path: &Path,
        codec: Arc<dyn RecordCodec>,
        indexed_fields: Vec<String>,
        compression: Compression,
    ) -> Result<NativeCollection> {
        Self::create_reporting(path, codec, indexed_fields, compression)
            .map_err(|failure| failure.error)
    }

    /// Like [`create`](Self::create), saying whether a failure came after
    /// the new file took the name (clear replaces a file that another
    /// handle still has open: that handle must then stop writing).
    pub fn create_reporting(
        path: &Path,
        codec: Arc<dyn RecordCodec>,
        indexed_fields: Vec<String>,
        compression: Compression,
    ) -> std::result::Result<NativeCollection, ReplaceFailure> {
        let not_renamed = |error| ReplaceFailure {
            error,
            renamed: false,
        };
        let bytes = initial_file(
            codec.name(),
            FileKind::Collection,
            &indexed_fields,
            compression,
        )
        .map_err(not_renamed)?;
        durable::replace_file_reporting(path, |out| out.write_all(&bytes).at(path))?;
        let opened =
            Self::open(path, codec, &HashSet::new(), false).map_err(|error| ReplaceFailure {
                error,
                renamed: true,
            })?;
        Ok(opened.collection)
    }

    /// Opens and recovers a collection file. A writer truncates a torn tail
    /// (reported in [`Opened::dropped`]); a reader just ignores it.
    pub fn open(
        path: &Path,
        codec: Arc<dyn RecordCodec>,
        committed_txns: &HashSet<u64>,
        read_only: bool,
    ) -> Result<Opened> {
        let file = if read_only {
            File::open(path).at(path)?
        } else {
            durable::open_for_append(path)?
        };
        let mut collection = NativeCollection {
            path: path.to_path_buf(),
            file,
            end: HEADER_LEN,
            codec,
            records: RecordTable::default(),
            live_bytes: 0,
            pending: Vec::new(),
            framed: Vec::new(),
            batch_buffer: Vec::new(),
            pending_slots: Vec::new(),
            indexed_fields: Vec::new(),
            meta_pending: false,
            indexes: OnceCell::new(),
            mapped: OnceCell::new(),
            undo: Vec::new(),
            savepoints: Vec::new(),
            poisoned: false,
            read_only,
            compression: Compression::None,
            blocks: BlockBytes::default(),
            dictionary: None,
            data_start: HEADER_LEN,
            block_cache: Mutex::new(BlockCache::default()),
        };
        let file = collection.file.try_clone().at(path)?;
        // An entry takes 60 bytes or more; most are larger.
        let estimate = file.metadata().map(|m| m.len() / 128).unwrap_or(0);
        let mut loader = RecordLoader::with_capacity(estimate.min(1 << 26) as usize);
        // The last meta entry wins; a discarded group takes its own back.
        let mut indexed_fields: Option<Vec<String>> = None;
        let mut fields_before_group: Option<Vec<String>> = None;
        let outcome = native::scan(&file, path, committed_txns, |event| {
            match event {
                ScanEvent::GroupStart => {
                    loader.start_group();
                    fields_before_group = indexed_fields.clone();
                }
                ScanEvent::GroupDiscarded => {
                    loader.discard_group();
                    indexed_fields = fields_before_group.take();
                }
                ScanEvent::Entry(entry, place) => {
                    let loc = Loc::stored(place, entry.len as u32);
                    match entry.kind {
                        EntryKind::Put => loader.put(entry.id, loc),
                        EntryKind::Delete => loader.delete(entry.id),
                        EntryKind::Meta => {
                            indexed_fields = Some(parse_meta(entry, place.offset(), path)?)
                        }
                    }
                }
            }
            Ok(())
        })?;
        collection.records = loader.finish();
        collection.live_bytes = collection
            .records
            .iter()
            .map(|(_, s)| u64::from(s.loc.len()))
            .sum();
        collection.indexed_fields = indexed_fields.unwrap_or_default();
        if outcome.header.kind != FileKind::Collection {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                offset: 10,
                reason: "this is a backup file, not a collection (import it instead)".to_owned(),
            });
        }
        if outcome.header.codec != collection.codec.name() {
            return Err(Error::UnsupportedFormat {
                collection: collection.name(),
                format: format!("native ({} codec)", outcome.header.codec),
                reason: format!(
                    "the database was opened with the {:?} codec",
                    collection.codec.name()
                ),
            });
        }
        collection.end = outcome.end;
        collection.compression = outcome.header.compression;
        collection.blocks = outcome.blocks;
        collection.dictionary = outcome.dictionary;
        collection.data_start = outcome.data_start;
        if outcome.dropped.is_some() && !read_only {
            collection.file.set_len(outcome.end).at(path)?;
            durable::sync_all(&collection.file).at(path)?;
        }
        Ok(Opened {
            collection,
            dropped: outcome.dropped,
        })
    }

    pub fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn indexed_fields(&self) -> &[String] {
        &self.indexed_fields
    }

    /// Bytes on disk that hold no live record: old versions, tombstones,
    /// framing. Compaction reclaims them.
    pub fn dead_bytes(&self) -> u64 {
        let mut on_disk_live: u64 = self.live_bytes.saturating_sub(self.pending_live_bytes());
        if let (false, Some(ratio)) = (self.compression.is_none(), self.blocks.ratio()) {
            // Live entries take their share of the compressed blocks.
            on_disk_live = (on_disk_live as f64 / ratio) as u64;
        }
        self.end.saturating_sub(self.data_start + on_disk_live)
    }

    /// How the file is stored.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Bytes of the file's zstd dictionary (`None`: it has none).
    pub fn dictionary_len(&self) -> Option<usize> {
        self.dictionary.as_ref().map(|d| d.bytes().len())
    }

    /// A decompressor for this file's blocks.
    fn block_decompressor(&self) -> BlockDecompressor {
        BlockDecompressor::with_dictionary(self.compression, self.dictionary.clone())
    }

    /// Bytes of the records before compression per byte in the file's
    /// blocks (`None` for an uncompressed file or one without blocks yet).
    pub fn compression_ratio(&self) -> Option<f64> {
        if self.compression.is_none() {
            return None;
        }
        self.blocks.ratio()
    }

    fn pending_live_bytes(&self) -> u64 {
        self.pending_slots
            .iter()
            .filter_map(|&s| self.records.slot(s))
            .filter_map(|slot| match slot.loc {
                Loc::Pending { len, .. } => Some(u64::from(len)),
                Loc::File { .. } | Loc::Block { .. } => None,
            })
            .sum()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.records.find(id).is_some()
    }

    /// Points `id` at `loc`, keeping live-byte accounting right.
    fn set(&mut self, id: &str, loc: Loc) -> (u32, Option<Loc>) {
        let (slot, old) = self.records.upsert(id, loc);
        if let Some(old) = old {
            self.live_bytes -= u64::from(old.len());
        }
        self.live_bytes += u64::from(loc.len());
        (slot, old)
    }

    fn remove(&mut self, id: &str) -> Option<(u32, Slot)> {
        let (slot, old) = self.records.remove(id)?;
        self.live_bytes -= u64::from(old.loc.len());
        Some((slot, old))
    }

    fn ensure_writable(&self) -> Result<()> {
        if self.poisoned {
            return Err(Error::io(
                &self.path,
                std::io::Error::other(
                    "an earlier write to this file failed to sync; reopen the database before writing again",
                ),
            ));
        }
        Ok(())
    }

    /// Stages a new record or a new version of one. The document must have a
    /// string `_id` (the database checks it).
    pub fn put(&mut self, id: &str, doc: &Document) -> Result<()> {
        let mut data = Vec::with_capacity(128);
        self.codec.encode(doc, &mut data)?;
        self.put_encoded(id, &data)
    }

    /// Stages an already encoded document (encoding can fail; staging cannot).
    pub fn put_encoded(&mut self, id: &str, data: &[u8]) -> Result<()> {
        self.ensure_writable()?;
        if self.records.slot_count() >= MAX_RECORDS && !self.contains(id) {
            check_room(&self.name(), self.records.slot_count())?;
        }
        let offset = native::push_entry(&mut self.pending, EntryKind::Put, id, data)?;
        let len = (self.pending.len() - offset) as u32;
        let (slot, old) = self.set(id, Loc::Pending { offset, len });
        self.pending_slots.push(slot);
        match old {
            Some(old) => self.record_undo(Undo::Replaced { slot, old }),
            None => self.record_undo(Undo::Inserted(1)),
        }
        Ok(())
    }

    /// Stages a record that must be new: `Ok(false)` (and nothing staged)
    /// if the id exists. One hash lookup, for bulk inserts.
    pub fn put_new(&mut self, id: &str, data: &[u8]) -> Result<Option<u32>> {
        self.ensure_writable()?;
        if self.records.slot_count() >= MAX_RECORDS && !self.contains(id) {
            check_room(&self.name(), self.records.slot_count())?;
        }
        let pending = &mut self.pending;
        let mut failure = None;
        let slot = self.records.insert_new(id, || {
            match native::push_entry(pending, EntryKind::Put, id, data) {
                Ok(offset) => Some(Loc::Pending {
                    offset,
                    len: (pending.len() - offset) as u32,
                }),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let Some(slot) = slot else {
            return Ok(None);
        };
        if let Some(s) = self.records.slot(slot) {
            self.live_bytes += u64::from(s.loc.len());
        }
        self.pending_slots.push(slot);
        self.record_undo(Undo::Inserted(1));
        Ok(Some(slot))
    }

    /// The current version of `id` and its slot, when built indexes need
    /// the old keys removed.
    fn indexed_version(&self, id: &str) -> Result<Option<(u32, Document)>> {
        if self.indexes.get().is_none_or(IndexSet::is_empty) {
            return Ok(None);
        }
        match self.records.find(id) {
            Some(slot) => Ok(self.read_slot(slot)?.map(|doc| (slot, doc))),
            None => Ok(None),
        }
    }

    /// The indexes, built from every record the first time they are needed.
    pub fn indexes(&self) -> Result<&IndexSet> {
        if let Some(built) = self.indexes.get() {
            return Ok(built);
        }
        let built = self.build_indexes(&self.indexed_fields, None, &mut |_, _| {})?;
        Ok(self.indexes.get_or_init(|| built))
    }

    fn build_indexes(
        &self,
        fields: &[String],
        cancel: Option<&CancelToken>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<IndexSet> {
        let mut set = IndexSet::new(fields);
        if set.is_empty() {
            return Ok(set);
        }
        let total = self.records.len();
        // Only the top-level fields the index paths start with are decoded,
        // into one reused document: building an index of a million records
        // is then a scan of a few fields, not of whole documents.
        let mut top_level: Vec<String> = fields
            .iter()
            .map(|path| path.split('.').next().unwrap_or(path).to_owned())
            .collect();
        top_level.sort();
        top_level.dedup();
        let mut done = 0usize;
        CollectionStore::visit_fields(self, &top_level, &mut |slot, doc| {
            set.add(slot, doc);
            if done.is_multiple_of(4_096) {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return Err(Error::Cancelled);
                }
                if done.is_multiple_of(65_536) {
                    progress(done, total);
                }
            }
            done += 1;
            Ok(true)
        })?;
        progress(total, total);
        Ok(set)
    }

    /// Changes the indexed fields, building the new indexes now (with
    /// progress) so the next query does not pay for it. Written on the next
    /// flush, atomically with the data.
    pub fn set_indexed_fields(
        &mut self,
        fields: Vec<String>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        self.ensure_writable()?;
        let built = self.build_indexes(&fields, None, progress)?;
        self.indexes = OnceCell::from(built);
        self.indexed_fields = fields;
        self.meta_pending = true;
        Ok(())
    }

    /// The record in `slot`, if it is live.
    pub fn read_slot(&self, slot: u32) -> Result<Option<Document>> {
        self.with_slot_entry(slot, |id, bytes, offset| {
            self.decode_entry(id, bytes, offset)
        })
    }

    /// Calls `visit` with each of `slots` that is live, as stored (read
    /// and checksum-checked once), until it returns `Ok(false)`.
    pub fn visit_stored(
        &self,
        slots: &mut dyn Iterator<Item = u32>,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        for slot in slots {
            let go_on = self.with_slot_entry(slot, |id, bytes, offset| {
                let entry = self.checked_entry(id, bytes, offset)?;
                visit(
                    slot,
                    StoredRecord {
                        id,
                        data: entry.data,
                        codec: &*self.codec,
                        place: Some((&self.path, offset)),
                    },
                )
            })?;
            if go_on == Some(false) {
                break;
            }
        }
        Ok(())
    }

    /// Calls `read` with the id, stored entry and file offset (for errors)
    /// of the live record in `slot`; `None` when the slot is not live.
    fn with_slot_entry<T>(
        &self,
        slot: u32,
        read: impl FnOnce(&str, &[u8], u64) -> Result<T>,
    ) -> Result<Option<T>> {
        let Some(s) = self.records.slot(slot) else {
            return Ok(None);
        };
        let mut buf = [0u8; 36];
        let id = s.id.as_str(&mut buf);
        self.with_entry(id, s.loc, |bytes, offset| read(id, bytes, offset))
            .map(Some)
    }

    fn record_undo(&mut self, undo: Undo) {
        if self.savepoints.is_empty() {
            return;
        }
        let log = &mut self.undo;
        if let (Undo::Inserted(1), Some(Undo::Inserted(n))) = (&undo, log.last_mut()) {
            *n += 1;
            return;
        }
        log.push(undo);
    }

    pub fn codec_name(&self) -> &str {
        self.codec.name()
    }

    /// Stages the deletion of `id`; false if there is no such record.
    pub fn delete(&mut self, id: &str) -> Result<bool> {
        self.ensure_writable()?;
        if !self.contains(id) {
            return Ok(false);
        }
        native::push_entry(&mut self.pending, EntryKind::Delete, id, &[])?;
        if let Some((slot, old)) = self.remove(id) {
            self.record_undo(Undo::Deleted { slot, old });
        }
        Ok(true)
    }

    /// Reads the current version of `id`.
    pub fn get(&self, id: &str) -> Result<Option<Document>> {
        match self
            .records
            .find(id)
            .and_then(|slot| self.records.slot(slot))
        {
            Some(s) => self
                .with_entry(id, s.loc, |bytes, offset| {
                    self.decode_entry(id, bytes, offset)
                })
                .map(Some),
            None => Ok(None),
        }
    }

    /// Calls `read` with the stored entry of `id` at `loc` and the file
    /// offset errors should name: where a single read finds the bytes of
    /// each kind of location (staged, in the mapped file, in a block).
    fn with_entry<T>(
        &self,
        id: &str,
        loc: Loc,
        read: impl FnOnce(&[u8], u64) -> Result<T>,
    ) -> Result<T> {
        match loc {
            Loc::Pending { offset, len } => {
                read(&self.pending[offset..offset + len as usize], offset as u64)
            }
            Loc::File { offset, len } => {
                let mapped = self
                    .mapped
                    .get_or_init(|| MappedFile::new(&self.file, self.end));
                if let Some(bytes) = mapped.get(offset, len) {
                    return read(bytes, offset);
                }
                let mut buf = vec![0; len as usize];
                read_exact_at(&self.file, &mut buf, offset).at(&self.path)?;
                read(&buf, offset)
            }
            Loc::Block { block, at, len } => {
                let raw = self.cached_block(block)?;
                let bytes = entry_in_block(&raw, at, len).ok_or_else(|| Error::Corrupt {
                    path: self.path.clone(),
                    offset: block,
                    reason: format!("record {id:?} runs past the end of its block"),
                })?;
                read(bytes, block)
            }
        }
    }

    /// The decompressed block at `block`, from the cache or the file.
    fn cached_block(&self, block: u64) -> Result<Arc<Vec<u8>>> {
        let mut cache = self
            .block_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = cache.blocks.iter().position(|&(at, _)| at == block) {
            let hit = cache.blocks.remove(i);
            cache.blocks.insert(0, hit.clone());
            return Ok(hit.1);
        }
        let cache = &mut *cache;
        native::read_block(&self.file, &self.path, block, self.end, &mut cache.framed)?;
        let decompressor = cache
            .decompressor
            .get_or_insert_with(|| self.block_decompressor());
        let mut raw = Vec::new();
        decompressor
            .decode(&cache.framed, &mut raw)
            .map_err(|reason| Error::Corrupt {
                path: self.path.clone(),
                offset: block,
                reason,
            })?;
        let raw = Arc::new(raw);
        cache.blocks.truncate(CACHED_BLOCKS - 1);
        cache.blocks.insert(0, (block, raw.clone()));
        Ok(raw)
    }

    /// Forgets decompressed blocks: the file was cut or replaced, so an
    /// offset may now hold another block.
    fn forget_blocks(&mut self) {
        let cache = self
            .block_cache
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.blocks.clear();
        cache.decompressor = None;
    }

    fn decode_entry(&self, id: &str, bytes: &[u8], offset: u64) -> Result<Document> {
        let entry = self.checked_entry(id, bytes, offset)?;
        self.codec
            .decode(id, entry.data)
            .map_err(|e| self.corrupt_record(id, offset, e))
    }

    /// The entry in `bytes`, checked (checksum, and that it holds `id`).
    fn checked_entry<'b>(&self, id: &str, bytes: &'b [u8], offset: u64) -> Result<EntryRef<'b>> {
        self.parse_checked_entry(id, bytes, offset, false)
    }

    /// The entry of `id` in `bytes`, checked to hold `id` and, unless
    /// `covered` (inside a block whose checksum was just verified, see
    /// [`Scan::checked_entry`]), by its own checksum.
    fn parse_checked_entry<'b>(
        &self,
        id: &str,
        bytes: &'b [u8],
        offset: u64,
        covered: bool,
    ) -> Result<EntryRef<'b>> {
        let entry = match covered {
            true => native::parse_entry_covered(bytes),
            false => native::parse_entry(bytes),
        }
        .map_err(|reason| self.corrupt_record(id, offset, reason))?;
        if entry.id != id {
            let reason = format!("entry holds id {:?}", entry.id);
            return Err(self.corrupt_record(id, offset, reason));
        }
        Ok(entry)
    }

    /// The error for a record whose entry is damaged (its offset: see
    /// [`Loc::error_offset`]).
    fn corrupt_record(&self, id: &str, offset: u64, reason: impl fmt::Display) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            offset,
            reason: format!("record {id:?}: {reason}"),
        }
    }

    /// Every live record in insertion order. Reads the file through a window,
    /// so a scan costs a few large reads, not one per record.
    pub fn scan(&self) -> Scan<'_> {
        Scan {
            collection: self,
            next_slot: 0,
            window: Vec::new(),
            window_start: 0,
            block: Vec::new(),
            block_at: None,
            decompressor: None,
        }
    }

    /// Starts a savepoint: a transaction, or one atomic call inside it.
    /// Savepoints nest; undo information is kept while any is open.
    pub fn savepoint(&mut self) {
        let undo = self.undo.len();
        self.savepoints.push(Mark {
            undo,
            pending_len: self.pending.len(),
            pending_slots: self.pending_slots.len(),
            live_bytes: self.live_bytes,
            indexed_fields: self.indexed_fields.clone(),
            meta_pending: self.meta_pending,
            end: self.end,
            blocks: self.blocks,
        });
    }

    /// Keeps what the newest savepoint covered.
    pub fn release_savepoint(&mut self) {
        self.savepoints.pop();
        if self.savepoints.is_empty() {
            self.undo.clear();
        }
    }

    /// Undoes everything since the newest savepoint, newest first, and closes it.
    pub fn rollback_savepoint(&mut self) {
        let Some(mark) = self.savepoints.pop() else {
            return;
        };
        for undo in self.undo.split_off(mark.undo).into_iter().rev() {
            match undo {
                Undo::Inserted(n) => {
                    for _ in 0..n {
                        self.records.pop();
                    }
                }
                Undo::Replaced { slot, old } => self.records.set_loc(slot, old),
                Undo::Deleted { slot, old } => self.records.restore(slot, old),
            }
        }
        self.pending.truncate(mark.pending_len);
        self.pending_slots.truncate(mark.pending_slots);
        self.live_bytes = mark.live_bytes;
        if self.indexed_fields != mark.indexed_fields || self.indexes.get().is_some() {
            // Rollbacks are rare: rebuilding the indexes on next use is
            // simpler and surer than undoing each key.
            self.indexes = OnceCell::new();
        }
        self.indexed_fields = mark.indexed_fields;
        self.meta_pending = mark.meta_pending;
    }

    /// Cuts off what a flush since the newest savepoint wrote (a commit
    /// over several collections failed before its commit record).
    pub fn discard_flushed_since_savepoint(&mut self) -> Result<()> {
        if let Some((end, blocks)) = self.savepoints.last().map(|m| (m.end, m.blocks))
            && end < self.end
        {
            self.mapped = OnceCell::new();
            self.forget_blocks();
            self.file.set_len(end).at(&self.path)?;
            self.end = end;
            self.blocks = blocks;
        }
        Ok(())
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || self.meta_pending
    }

    /// Writes the pending entries as one group of batches and fsyncs. With
    /// `txn` non-zero the group only counts once the transaction log commits
    /// it. On a write error the file is cut back and the pending entries are
    /// kept, so nothing is half-written; on an fsync error the collection
    /// refuses further writes (its on-disk state is unknown).
    pub fn flush(&mut self, txn: u64) -> Result<()> {
        if !self.has_pending() {
            return Ok(());
        }
        self.ensure_writable()?;
        if self.read_only {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
                what: "writing".to_owned(),
            });
        }
        if self.trains_on_this_flush(txn) {
            return self.rewrite_with_pending(self.compression);
        }
        let records_len = self.pending.len();
        if self.meta_pending {
            let meta = encode_meta(&self.indexed_fields)?;
            native::push_entry(&mut self.pending, EntryKind::Meta, "", &meta)?;
        }
        let result = self.write_pending(txn);
        if result.is_err() {
            self.pending.truncate(records_len);
        }
        result
    }

    fn write_pending(&mut self, txn: u64) -> Result<()> {
        // Within one batch an entry's file offset is its pending offset plus
        // a constant: (first pending offset of the batch, that constant).
        let mut shifts: Vec<(usize, u64)> = Vec::new();
        let mut out = std::mem::take(&mut self.framed);
        out.clear();
        out.reserve(self.pending.len() + 64);
        // In a compressed file: each pending offset with its block place.
        let mut in_blocks: Vec<(usize, Place)> = Vec::new();
        let mut writer = GroupWriter::with_dictionary(
            out,
            self.end,
            txn,
            self.compression,
            self.dictionary.as_ref(),
        )
        .at(&self.path)?
        .with_payload_buffer(std::mem::take(&mut self.batch_buffer));
        writer
            .push_all(&self.pending, |at, place| match place {
                Place::File(file_offset) => {
                    let shift = file_offset - at as u64;
                    if shifts.last().is_none_or(|&(_, s)| s != shift) {
                        shifts.push((at, shift));
                    }
                }
                Place::Block { .. } => in_blocks.push((at, place)),
            })
            .map_err(|e| Error::RecordEncoding(format!("pending entries: {e}")))?;
        let (bytes, new_end, written, batch_buffer) = writer
            .finish_reusable()
            .map_err(|e| Error::RecordEncoding(e.to_string()))?;
        if batch_buffer.capacity() <= 2 * native::TARGET_BATCH_PAYLOAD {
            self.batch_buffer = batch_buffer;
        }
        if let Err(e) = write_all_at(&self.file, &bytes, self.end) {
            // Windows refuses to cut a file that has a mapped view.
            self.mapped = OnceCell::new();
            let _ = self.file.set_len(self.end);
            return Err(Error::io(&self.path, e));
        }
        if let Err(e) = durable::sync_data(&self.file) {
            self.poisoned = true;
            return Err(Error::io(&self.path, e));
        }
        if bytes.capacity() <= 2 * native::TARGET_BATCH_PAYLOAD + (1 << 20) {
            // Kept only up to about a write buffer: one huge write does not
            // pin its size for the collection's life.
            self.framed = bytes;
        }
        for &slot in &self.pending_slots {
            let Some(Loc::Pending { offset, len }) = self.records.slot(slot).map(|s| s.loc) else {
                continue;
            };
            if let Ok(i) = in_blocks.binary_search_by_key(&offset, |&(at, _)| at) {
                self.records.set_loc(slot, Loc::stored(in_blocks[i].1, len));
            } else if let Some(batch) = shifts
                .partition_point(|&(start, _)| start <= offset)
                .checked_sub(1)
            {
                let offset = offset as u64 + shifts[batch].1;
                self.records.set_loc(slot, Loc::File { offset, len });
            }
        }
        self.end = new_end;
        if self
            .mapped
            .get()
            .is_some_and(|m| new_end - m.len() > m.len() / 8)
        {
            // Enough is read from the file now: map it again when next read.
            self.mapped = OnceCell::new();
        }
        self.blocks.add(written);
        self.pending.clear();
        self.pending_slots.clear();
        self.meta_pending = false;
        Ok(())
    }

    /// Rewrites the file with only the live records, in order, and switches
    /// to it. The new file is complete and fsynced before the rename.
    pub fn compact(&mut self) -> Result<()> {
        self.rewrite(self.compression)
    }

    /// Rewrites the file stored with `compression` (as compaction does: the
    /// live records in order, the old file replaced by one rename).
    pub fn set_compression(&mut self, compression: Compression) -> Result<()> {
        self.ensure_writable()?;
        self.rewrite(compression.validated()?)
    }

    fn rewrite(&mut self, compression: Compression) -> Result<()> {
        self.flush(0)?;
        self.rewrite_with_pending(compression)
    }

    /// True for the first flush of a zstd collection without a dictionary
    /// that brings enough records to train one: the file holds less than a
    /// block of entries, so writing it whole (with the dictionary, as
    /// compaction does) costs about what appending would. Not inside a
    /// transaction (its group must stay tagged and undoable).
    fn trains_on_this_flush(&self, txn: u64) -> bool {
        txn == 0
            && self.savepoints.is_empty()
            && matches!(self.compression, Compression::Zstd { .. })
            && self.dictionary.is_none()
            && self.blocks.raw < BLOCK_TARGET as u64
            && self.pending_slots.len() >= MIN_DICTIONARY_RECORDS
    }

    /// Writes the live records, pending or stored, as a new file stored
    /// with `compression` (with a trained dictionary for zstd) and
    /// switches to it; nothing is pending afterwards.
    fn rewrite_with_pending(&mut self, compression: Compression) -> Result<()> {
        let dictionary = self.train_dictionary(compression)?;
        let header = initial_file_with_dictionary(
            self.codec.name(),
            FileKind::Collection,
            &self.indexed_fields,
            compression,
            dictionary.as_ref(),
        )?;
        // No view of the old file stays open while it is replaced (Windows
        // refuses to replace a mapped file).
        self.mapped = OnceCell::new();
        let replaced = durable::replace_file_reporting(&self.path, |out| {
            out.write_all(&header).at(&self.path)?;
            let mut group = GroupWriter::with_dictionary(
                out,
                header.len() as u64,
                0,
                compression,
                dictionary.as_ref(),
            )
            .at(&self.path)?;
            let mut relocated = Vec::with_capacity(self.records.len());
            let mut scan = self.scan();
            // Every live record, stored or still pending (a first flush
            // that trains a dictionary writes the file whole).
            for (slot, record) in self.records.iter() {
                let entry = scan.entry_bytes(record.loc)?;
                let place = group.push(entry).at(&self.path)?;
                relocated.push((slot, Loc::stored(place, record.loc.len())));
            }
            let (_, end, blocks) = group.finish_counting().at(&self.path)?;
            Ok((relocated, end, blocks))
        });
        let (relocated, end, blocks) = match replaced {
            Ok(done) => done,
            Err(failure) => {
                if failure.renamed {
                    // The path is the new file now, our handle the old one:
                    // reads stay right, appends would be lost.
                    self.poisoned = true;
                }
                return Err(failure.error);
            }
        };
        self.file = match durable::open_for_append(&self.path) {
            Ok(file) => file,
            Err(e) => {
                self.poisoned = true;
                return Err(e);
            }
        };
        self.forget_blocks();
        self.end = end;
        self.compression = compression;
        self.blocks = blocks;
        self.data_start = dictionary.as_ref().map_or(HEADER_LEN, |d| {
            HEADER_LEN + (native::DICTIONARY_HEADER_LEN + d.bytes().len()) as u64
        });
        self.dictionary = dictionary;
        for (slot, loc) in relocated {
            self.records.set_loc(slot, loc);
        }
        // Every live record is in the new file, the index definitions in
        // its meta entry.
        self.pending.clear();
        self.pending_slots.clear();
        self.meta_pending = false;
        if let Some(renumbered) = self.records.close_holes()
            && let Some(indexes) = self.indexes.get_mut()
        {
            indexes.remap(&|slot| {
                renumbered
                    .get(slot as usize)
                    .copied()
                    .filter(|&s| s != u32::MAX)
            });
        }
        Ok(())
    }

    /// A dictionary trained from an even sample of the live records, for a
    /// rewrite stored with zstd; `None` for another codec, too few records,
    /// or a trainer that fails (the file is then written without one).
    fn train_dictionary(&self, compression: Compression) -> Result<Option<Dictionary>> {
        if !matches!(compression, Compression::Zstd { .. }) {
            return Ok(None);
        }
        let Some(mut trainer) = DictionaryTrainer::for_records(self.records.len(), self.live_bytes)
        else {
            return Ok(None);
        };
        let mut scan = self.scan();
        for (_, record) in self.records.iter() {
            trainer.offer(scan.entry_bytes(record.loc)?);
        }
        Ok(trainer.train())
    }

    /// Calls `f` with the checked bytes of each live record's entry, in
    /// insertion order (export copies them without decoding).
    pub fn for_each_entry(&self, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let mut scan = self.scan();
        for (_, slot) in self.records.iter() {
            f(scan.entry_bytes(slot.loc)?)?;
        }
        Ok(())
    }
}

fn parse_meta(entry: EntryRef<'_>, offset: u64, path: &Path) -> Result<Vec<String>> {
    let meta: CollectionMeta = serde_json::from_slice(entry.data).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason: format!("collection metadata is not valid JSON: {e}"),
    })?;
    Ok(meta.indexed_fields)
}

fn encode_meta(indexed_fields: &[String]) -> Result<Vec<u8>> {
    serde_json::to_vec(&CollectionMeta {
        indexed_fields: indexed_fields.to_vec(),
    })
    .map_err(|e| Error::RecordEncoding(e.to_string()))
}

/// A new file: header and a Meta entry with the index definitions.
pub(crate) fn initial_file(
    codec: &str,
    kind: FileKind,
    indexed_fields: &[String],
    compression: Compression,
) -> Result<Vec<u8>> {
    initial_file_with_dictionary(codec, kind, indexed_fields, compression, None)
}

/// Like [`initial_file`], with a dictionary section after the header (a
/// zstd collection file) and the Meta entry compressed with it.
fn initial_file_with_dictionary(
    codec: &str,
    kind: FileKind,
    indexed_fields: &[String],
    compression: Compression,
    dictionary: Option<&Dictionary>,
) -> Result<Vec<u8>> {
    let header = FileHeader {
        kind,
        compression,
        codec: codec.to_owned(),
    };
    let out = header.encode_with_dictionary(dictionary);
    let meta = encode_meta(indexed_fields)?;
    let mut entry = Vec::new();
    native::push_entry(&mut entry, EntryKind::Meta, "", &meta)?;
    let encoding = |e: std::io::Error| Error::RecordEncoding(format!("a new file: {e}"));
    let at = out.len() as u64;
    let mut group =
        GroupWriter::with_dictionary(out, at, 0, compression, dictionary).map_err(encoding)?;
    group.push(&entry).map_err(encoding)?;
    Ok(group.finish().map_err(encoding)?.0)
}

/// The bytes of the entry `at` bytes into a decompressed block.
fn entry_in_block(raw: &[u8], at: u16, len: u32) -> Option<&[u8]> {
    let start = usize::from(at);
    raw.get(start..start.checked_add(len as usize)?)
}

/// Iterates live records in insertion order (see [`NativeCollection::scan`]).
pub(crate) struct Scan<'a> {
    collection: &'a NativeCollection,
    next_slot: usize,
    window: Vec<u8>,
    window_start: u64,
    /// The decompressed block last read (a compressed file), and its offset.
    block: Vec<u8>,
    block_at: Option<u64>,
    decompressor: Option<BlockDecompressor>,
}

const SCAN_WINDOW: usize = 1 << 20;

impl Scan<'_> {
    /// The bytes of the entry at `loc`, its checksum checked.
    fn entry_bytes(&mut self, loc: Loc) -> Result<&[u8]> {
        let path = &self.collection.path;
        let offset = loc.place().map_or(0, Place::offset);
        let bytes = self.raw_entry(loc)?;
        native::parse_entry(bytes).map_err(|reason| Error::Corrupt {
            path: path.clone(),
            offset,
            reason,
        })?;
        Ok(bytes)
    }

    /// The bytes of the entry at `loc` as stored (not checked).
    fn raw_entry(&mut self, loc: Loc) -> Result<&[u8]> {
        let c = self.collection;
        match loc {
            Loc::Pending { offset, len } => Ok(&c.pending[offset..offset + len as usize]),
            Loc::File { offset, len } => {
                let at = self.load(offset, len)?;
                Ok(&self.window[at..at + len as usize])
            }
            Loc::Block { block, at, len } => {
                self.load_block(block)?;
                entry_in_block(&self.block, at, len).ok_or_else(|| Error::Corrupt {
                    path: c.path.clone(),
                    offset: block,
                    reason: "a record runs past the end of its block".to_owned(),
                })
            }
        }
    }

    /// Makes the block at `block` the decompressed current block: a scan
    /// reads each block once, through the same window as uncompressed data.
    fn load_block(&mut self, block: u64) -> Result<()> {
        if self.block_at == Some(block) {
            return Ok(());
        }
        self.block_at = None;
        let c = self.collection;
        let corrupt = |reason: String| Error::Corrupt {
            path: c.path.clone(),
            offset: block,
            reason,
        };
        let at = self.load(block, BLOCK_HEADER_LEN as u32)?;
        let header = BlockHeader::parse(&self.window[at..]).map_err(corrupt)?;
        let total = header.total_len();
        if block.saturating_add(total as u64) > c.end {
            return Err(corrupt("block runs past the end of the file".to_owned()));
        }
        let at = self.load(block, total as u32)?;
        self.decompressor
            .get_or_insert_with(|| c.block_decompressor())
            .decode(&self.window[at..at + total], &mut self.block)
            .map_err(corrupt)?;
        self.block_at = Some(block);
        Ok(())
    }

    /// Makes `[offset, offset + len)` part of the window; returns where it starts in it.
    fn load(&mut self, offset: u64, len: u32) -> Result<usize> {
        let end = offset + u64::from(len);
        let window_end = self.window_start + self.window.len() as u64;
        if offset < self.window_start || end > window_end {
            let c = self.collection;
            let size = SCAN_WINDOW.max(len as usize);
            self.window.resize(size, 0);
            let n = durable::read_at_most(&c.file, &mut self.window, offset).at(&c.path)?;
            self.window.truncate(n);
            self.window_start = offset;
            if n < len as usize {
                return Err(Error::Corrupt {
                    path: c.path.clone(),
                    offset,
                    reason: "record runs past the end of the file".to_owned(),
                });
            }
        }
        Ok((offset - self.window_start) as usize)
    }
}

impl Scan<'_> {
    /// The entry of record `id` at `loc`, parsed and checked. A stored or
    /// pending entry is checked by its own checksum; one in a compressed
    /// block is covered by the block's checksum, which [`load_block`]
    /// verified over every stored byte before decompressing it (FORMAT.md,
    /// B2), so its own is not computed again: hashing every entry a second
    /// time was about a tenth of an LZ4 scan. `verify` still checks both.
    ///
    /// [`load_block`]: Self::load_block
    fn checked_entry(&mut self, id: &str, loc: Loc) -> Result<EntryRef<'_>> {
        let c = self.collection;
        let offset = loc.error_offset();
        let in_checked_block = matches!(loc, Loc::Block { .. });
        let bytes = self.raw_entry(loc)?;
        c.parse_checked_entry(id, bytes, offset, in_checked_block)
    }

    /// Calls `visit` with each remaining live record as stored, in file
    /// order, until it returns `Ok(false)`.
    fn visit_rest(
        &mut self,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        let c = self.collection;
        while self.next_slot < c.records.slot_count() {
            let i = self.next_slot as u32;
            self.next_slot += 1;
            let Some(slot) = c.records.slot(i) else {
                continue;
            };
            let mut buf = [0u8; 36];
            let id = slot.id.as_str(&mut buf);
            let offset = slot.loc.error_offset();
            let entry = self.checked_entry(id, slot.loc)?;
            let record = StoredRecord {
                id,
                data: entry.data,
                codec: &*c.codec,
                place: Some((&c.path, offset)),
            };
            if !visit(i, record)? {
                break;
            }
        }
        Ok(())
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Result<Document>> {
        let mut decoded = None;
        let read = self.visit_rest(&mut |_, record| {
            decoded = Some(record.decode());
            Ok(false)
        });
        match read {
            Err(e) => Some(Err(e)),
            Ok(()) => decoded,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.collection.records.len()))
    }
}

impl CollectionStore for NativeCollection {
    fn format(&self) -> crate::engine::StorageFormat {
        crate::engine::StorageFormat::Native
    }

    fn value_mode(&self) -> crate::engine::query::ValueMode {
        crate::engine::query::ValueMode::Typed
    }

    fn len(&self) -> usize {
        self.records.len()
    }

    fn file_bytes(&self) -> u64 {
        self.end
    }

    fn dead_bytes(&self) -> u64 {
        NativeCollection::dead_bytes(self)
    }

    fn indexed_fields(&self) -> &[String] {
        &self.indexed_fields
    }

    fn contains(&self, id: &str) -> bool {
        NativeCollection::contains(self, id)
    }

    fn get(&self, id: &str) -> Result<Option<Document>> {
        NativeCollection::get(self, id)
    }

    fn scan(&self) -> Box<dyn Iterator<Item = Result<Document>> + '_> {
        Box::new(NativeCollection::scan(self))
    }

    fn insert(&mut self, id: &str, doc: &Document) -> Result<bool> {
        let mut data = Vec::with_capacity(128);
        self.codec.encode(doc, &mut data)?;
        let Some(slot) = self.put_new(id, &data)? else {
            return Ok(false);
        };
        if let Some(indexes) = self.indexes.get_mut() {
            indexes.add(slot, doc);
        }
        Ok(true)
    }

    fn replace(&mut self, id: &str, doc: &Document) -> Result<()> {
        let old = self.indexed_version(id)?;
        self.put(id, doc)?;
        if let (Some((slot, old)), Some(indexes)) = (old, self.indexes.get_mut()) {
            indexes.remove(slot, &old);
            indexes.add(slot, doc);
        }
        Ok(())
    }

    fn delete(&mut self, id: &str) -> Result<bool> {
        let old = self.indexed_version(id)?;
        let deleted = NativeCollection::delete(self, id)?;
        if let (Some((slot, old)), Some(indexes)) = (old, self.indexes.get_mut()) {
            indexes.remove(slot, &old);
        }
        Ok(deleted)
    }

    fn indexes(&self) -> Result<&IndexSet> {
        NativeCollection::indexes(self)
    }

    fn warm_indexes(&self, cancel: &CancelToken) -> Result<()> {
        if self.indexes.get().is_some() {
            return Ok(());
        }
        let built = self.build_indexes(&self.indexed_fields, Some(cancel), &mut |_, _| {})?;
        // A query on this thread may not have built them meanwhile: the
        // collection is not shared across threads, so `set` cannot lose.
        let _ = self.indexes.set(built);
        Ok(())
    }

    fn read_slot(&self, slot: u32) -> Result<Option<Document>> {
        NativeCollection::read_slot(self, slot)
    }

    fn visit_stored(
        &self,
        slots: &mut dyn Iterator<Item = u32>,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        NativeCollection::visit_stored(self, slots, visit)
    }

    fn live_slots(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        Box::new(self.records.iter().map(|(slot, _)| slot))
    }

    fn scan_stored(
        &self,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        self.scan().visit_rest(visit)
    }

    fn visit_fields(
        &self,
        fields: &[String],
        visit: &mut dyn FnMut(u32, &Document) -> Result<bool>,
    ) -> Result<()> {
        let mut doc = Document::new();
        self.scan().visit_rest(&mut |slot, record| {
            record.decode_fields_into(fields, &mut doc)?;
            visit(slot, &doc)
        })
    }

    fn set_indexed_fields(
        &mut self,
        fields: Vec<String>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        NativeCollection::set_indexed_fields(self, fields, progress)
    }

    fn savepoint(&mut self) {
        NativeCollection::savepoint(self)
    }

    fn release_savepoint(&mut self) {
        NativeCollection::release_savepoint(self)
    }

    fn rollback_savepoint(&mut self) {
        NativeCollection::rollback_savepoint(self)
    }

    fn has_pending(&self) -> bool {
        NativeCollection::has_pending(self)
    }

    fn pending_bytes(&self) -> usize {
        self.pending.len()
    }

    fn flush(&mut self, txn: u64) -> Result<()> {
        NativeCollection::flush(self, txn)
    }

    fn finish_commit(&mut self) -> Result<()> {
        // The batches are already in place; the log's record made them count.
        Ok(())
    }

    fn abort_commit(&mut self) -> Result<()> {
        self.discard_flushed_since_savepoint()
    }

    fn compact(&mut self) -> Result<()> {
        NativeCollection::compact(self)
    }

    fn compression(&self) -> Compression {
        self.compression
    }

    fn compression_ratio(&self) -> Option<f64> {
        NativeCollection::compression_ratio(self)
    }

    fn dictionary_len(&self) -> Option<usize> {
        NativeCollection::dictionary_len(self)
    }

    fn set_compression(&mut self, compression: Compression) -> Result<()> {
        NativeCollection::set_compression(self, compression)
    }

    fn refuse_writes(&mut self) {
        self.poisoned = true;
    }

    fn wants_compaction(&self) -> bool {
        let dead = NativeCollection::dead_bytes(self);
        dead > (1 << 20) && dead > self.end / 2
    }

    fn export(&self, name: &str, target: &Path) -> Result<()> {
        backup::export_collection(self, name, target)
    }

    fn verify(&self, name: &str) -> Result<CollectionCheck> {
        self.verify_file(name)
    }

    fn for_each_encoded(
        &self,
        codec: &dyn RecordCodec,
        f: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<()> {
        if codec.name() != self.codec.name() {
            return store::encode_each(self, codec, f);
        }
        // Same codec: the stored bytes are the encoding, copy them.
        self.for_each_entry(|bytes| {
            let entry = native::parse_entry(bytes).map_err(|reason| Error::Corrupt {
                path: self.path.clone(),
                offset: 0,
                reason,
            })?;
            f(entry.id, entry.data)
        })
    }

    fn stores_encoded_by(&self, codec: &dyn RecordCodec) -> bool {
        codec.name() == self.codec.name()
    }

    fn insert_encoded(&mut self, id: &str, data: &[u8], codec: &dyn RecordCodec) -> Result<bool> {
        if codec.name() != self.codec.name() {
            let doc = codec.decode(id, data)?;
            return CollectionStore::insert(self, id, &doc);
        }
        // Built indexes stay exact, and they need the document itself.
        let doc = match self.indexes.get() {
            Some(indexes) if !indexes.is_empty() => Some(self.codec.decode(id, data)?),
            _ => None,
        };
        let Some(slot) = self.put_new(id, data)? else {
            return Ok(false);
        };
        if let (Some(doc), Some(indexes)) = (doc, self.indexes.get_mut()) {
            indexes.add(slot, &doc);
        }
        Ok(true)
    }

    fn for_each_field_name(&self, f: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        self.for_each_entry(|bytes| {
            let entry = native::parse_entry(bytes).map_err(|reason| Error::Corrupt {
                path: self.path.clone(),
                offset: 0,
                reason,
            })?;
            f("_id")?;
            let mut stopped = Ok(());
            self.codec.field_names(entry.id, entry.data, &mut |name| {
                if stopped.is_ok() {
                    stopped = f(name);
                }
            })?;
            stopped
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::storage::BinaryCodec;
    use crate::engine::storage::durable::read_exact_at;

    const CODECS: [Compression; 3] = [
        Compression::None,
        Compression::Lz4,
        Compression::Zstd { level: 1 },
    ];

    /// Records of about 150 bytes: 500 of them fill several blocks.
    fn record(i: usize) -> Document {
        let note = ["late", "box", "refund", "thanks", "today"]
            .iter()
            .cycle()
            .skip(i % 5)
            .take(3 + i % 11)
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let value = json!({"i": i, "name": format!("customer-{i:05}"), "note": note});
        value.as_object().cloned().unwrap_or_default()
    }

    fn id(i: usize) -> String {
        format!("r{i:05}")
    }

    /// A new collection stored with `compression`; `damage` may change the
    /// pending entries (a writer's bug) before they are flushed.
    fn stored(
        dir: &Path,
        compression: Compression,
        records: usize,
        damage: impl FnOnce(&mut NativeCollection),
    ) -> Result<NativeCollection> {
        let path = dir.join(format!("{}.fdb", compression.header_byte()));
        let mut c = NativeCollection::create(&path, Arc::new(BinaryCodec), vec![], compression)?;
        for i in 0..records {
            c.put(&id(i), &record(i))?;
        }
        damage(&mut c);
        c.flush(0)?;
        Ok(c)
    }

    fn loc_of(c: &NativeCollection, i: usize) -> Option<Loc> {
        c.records
            .find(&id(i))
            .and_then(|slot| c.records.slot(slot))
            .map(|s| s.loc)
    }

    /// What a scan decoding `note` gives: the records read before it
    /// stopped, and the error that stopped it. Both scan paths (reused
    /// document, whole documents) must agree.
    fn scanned(c: &NativeCollection) -> (usize, Option<Error>) {
        let fields = ["note".to_owned()];
        let mut read = 0;
        let visited = c.visit_fields(&fields, &mut |_, doc| {
            read += usize::from(doc.contains_key("note"));
            Ok(true)
        });
        let mut whole = 0;
        let mut first_error = None;
        for doc in c.scan() {
            match doc {
                Ok(_) => whole += 1,
                Err(e) => {
                    first_error = Some(e.to_string());
                    break;
                }
            }
        }
        assert_eq!(read, whole, "both scans read as far");
        let visited = visited.err();
        assert_eq!(visited.as_ref().map(Error::to_string), first_error);
        (read, visited)
    }

    fn flip(c: &NativeCollection, at: u64) {
        let mut byte = [0u8];
        let flipped = read_exact_at(&c.file, &mut byte, at)
            .and_then(|()| write_all_at(&c.file, &[byte[0] ^ 0x5A], at));
        assert!(flipped.is_ok(), "{flipped:?}");
    }

    #[test]
    fn a_scan_reports_damaged_stored_bytes_naming_the_file_and_the_entry_or_block() -> Result<()> {
        let tmp = tempfile::tempdir().at(Path::new("tempdir"))?;
        for compression in CODECS {
            let c = stored(tmp.path(), compression, 500, |_| {})?;
            let sound = scanned(&c);
            assert!(matches!(sound, (500, None)), "{compression}: {sound:?}");
            let loc = loc_of(&c, 250);
            // A byte of the stored entry body, or of the block's
            // compressed bytes.
            let (damaged, reported) = match loc {
                Some(Loc::File { offset, .. }) => (offset + 20, offset),
                Some(Loc::Block { block, .. }) => (block + BLOCK_HEADER_LEN as u64 + 40, block),
                other => panic!("{compression}: record 250 is at {other:?}"),
            };
            flip(&c, damaged);
            // Every record before the damaged entry or block is read.
            let before = (0..500)
                .take_while(|&i| loc_of(&c, i).map(Loc::error_offset) != Some(reported))
                .count();
            assert!(before > 0 && before <= 250, "{compression}: {before}");
            match scanned(&c) {
                (read, Some(Error::Corrupt { path, offset, .. })) => {
                    assert_eq!(read, before, "{compression}");
                    assert_eq!(path, c.path, "{compression}");
                    assert_eq!(offset, reported, "{compression}");
                }
                other => panic!("{compression}: expected Corrupt, got {other:?}"),
            }
        }
        Ok(())
    }

    /// Bytes of an entry written wrong before its block was compressed: the
    /// block's checksum holds (it covers what was stored), so a scan of a
    /// compressed file relies on it and does not hash each entry again
    /// (FORMAT.md, B2); verify checks each entry's own checksum and finds
    /// it. In an uncompressed file the entry's checksum is the scan's check.
    #[test]
    fn an_entry_damaged_inside_a_sound_block_is_found_by_verify_and_by_a_scan_when_it_matters()
    -> Result<()> {
        // (what is damaged, its offset in the entry, a compressed file's scan fails)
        let cases = [
            ("the entry's checksum", 5, false),
            ("the first byte of its _id", 11, true),
        ];
        let tmp = tempfile::tempdir().at(Path::new("tempdir"))?;
        for (what, in_entry, compressed_scan_fails) in cases {
            for compression in CODECS {
                let dir = tmp.path().join(format!("{in_entry}"));
                std::fs::create_dir_all(&dir).at(&dir)?;
                let c = stored(&dir, compression, 500, |c| {
                    if let Some(Loc::Pending { offset, .. }) = loc_of(c, 250) {
                        c.pending[offset + in_entry] ^= 0x5A;
                    }
                })?;
                let reported = loc_of(&c, 250).map(Loc::error_offset);
                let case = format!("{compression}, {what}");
                let check = c.verify_file("c")?;
                assert!(
                    check
                        .problems
                        .iter()
                        .any(|p| p.offset == reported && p.record_id == Some(id(250))),
                    "{case}: {:?}",
                    check.problems
                );
                let scan = scanned(&c);
                if compression.is_none() || compressed_scan_fails {
                    match scan {
                        (250, Some(Error::Corrupt { path, offset, .. })) => {
                            assert_eq!(path, c.path, "{case}");
                            assert_eq!(Some(offset), reported, "{case}");
                        }
                        other => panic!("{case}: expected Corrupt, got {other:?}"),
                    }
                } else {
                    assert!(matches!(scan, (500, None)), "{case}: {scan:?}");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn a_collection_refuses_a_record_past_the_last_slot() {
        assert!(check_room("c", MAX_RECORDS - 1).is_ok());
        let err = check_room("c", MAX_RECORDS).unwrap_err();
        assert!(
            matches!(&err, Error::LimitExceeded { limit, .. } if limit == "4294967295 records"),
            "{err}"
        );
    }
}
