//! Opening a native collection file: creating a new one durably, and
//! reading an existing one once to rebuild where each record is (recovery:
//! a torn tail is dropped, a discarded group undone).

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::checkpoint::{CLOSE_MIN_RECORDS, checkpoint_path, identity_mismatch};
use super::file_facts::{CheckpointUse, FileFacts};
use super::meta::{initial_file, parse_meta};
use super::native::{BlockCache, NativeCollection};
use super::records::{Loc, RecordLoader, RecordTable};
use crate::engine::storage::RecordCodec;
use crate::engine::storage::checkpoint::Checkpoint;
use crate::engine::storage::compress::{BlockBytes, Compression};
use crate::engine::storage::durable::{self, ReplaceFailure};
use crate::engine::storage::native::{
    self, DroppedTail, EntryKind, FileKind, FileStart, HEADER_LEN, ScanEvent, ScanOutcome,
};
use crate::error::{Error, IoContext, Result};

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
        // A checkpoint of the file this one replaced (clear) is stale.
        let _ = durable::durable_remove(&checkpoint_path(path));
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
        Self::open_with(path, codec, committed_txns, read_only, true)
    }

    /// Like [`open`](Self::open); `use_checkpoint` false reads every
    /// record (the checkpoint proved damaged).
    pub(super) fn open_with(
        path: &Path,
        codec: Arc<dyn RecordCodec>,
        committed_txns: &HashSet<u64>,
        read_only: bool,
        use_checkpoint: bool,
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
            shared: false,
            compression: Compression::None,
            blocks: BlockBytes::default(),
            dictionary: None,
            data_start: HEADER_LEN,
            block_cache: Mutex::new(BlockCache::default()),
            facts: FileFacts::default(),
            checkpoint_records: CLOSE_MIN_RECORDS,
            base_memo: Default::default(),
        };
        let file = collection.file.try_clone().at(path)?;
        let start = native::read_start(&file, path)?;
        // Reading records while opening (a checkpoint's id checks) needs
        // the file's codec settings already.
        collection.compression = start.header.compression;
        collection.dictionary = start.dictionary.clone();
        collection.data_start = start.data_start;
        let base = match use_checkpoint {
            true => collection.usable_checkpoint(&file, &start),
            false => None,
        };
        let outcome = match base {
            Some(base) => collection.load_tail(base, &file, committed_txns)?,
            None => collection.load_all(&file, committed_txns)?,
        };
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
        collection.facts.header = outcome.header_bytes;
        if let Some(base) = collection.records.base() {
            collection.facts.first = Some(base.identity.first);
            collection.facts.last = outcome.last_batch.or(Some(base.identity.last));
        } else {
            collection.facts.first = outcome.first_batch;
            collection.facts.last = outcome.last_batch;
        }
        collection.end = outcome.end;
        if read_only && let Some(pending) = outcome.trailing_uncommitted {
            // A transaction whose commit record may still come: a
            // follower reads its groups again from there next time.
            collection.end = pending;
        }
        collection.compression = outcome.header.compression;
        collection.blocks.add(outcome.blocks);
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
}

/// Checkpoints a writer checks whole when it opens them (about 300,000
/// records with two indexes): a few milliseconds. (The unit tests check
/// none whole, to test the repair of a checkpoint found damaged later.)
#[cfg(not(test))]
const FULL_CHECK_BYTES: u64 = 16 << 20;
#[cfg(test)]
const FULL_CHECK_BYTES: u64 = 1;

/// A change the log after a checkpoint holds, to apply once its group is
/// known to count.
pub(super) enum TailOp {
    Put(String, Loc),
    Delete(String),
    Meta(Vec<String>),
}

/// The changes of the groups that count from file offset `from` on, in
/// log order (a discarded group's taken back), and what the scan found.
pub(super) fn read_tail(
    file: &File,
    path: &Path,
    committed_txns: &HashSet<u64>,
    from: u64,
) -> Result<(Vec<TailOp>, ScanOutcome)> {
    read_tail_between(file, path, committed_txns, from, None)
}

/// [`read_tail`] up to `until`, a position where a group ends.
pub(super) fn read_tail_until(
    file: &File,
    path: &Path,
    committed_txns: &HashSet<u64>,
    from: u64,
    until: u64,
) -> Result<(Vec<TailOp>, ScanOutcome)> {
    read_tail_between(file, path, committed_txns, from, Some(until))
}

fn read_tail_between(
    file: &File,
    path: &Path,
    committed_txns: &HashSet<u64>,
    from: u64,
    until: Option<u64>,
) -> Result<(Vec<TailOp>, ScanOutcome)> {
    let mut ops: Vec<TailOp> = Vec::new();
    let mut group_start = 0;
    let outcome = native::scan_between(file, path, committed_txns, Some(from), until, |event| {
        match event {
            ScanEvent::GroupStart => group_start = ops.len(),
            ScanEvent::GroupDiscarded => ops.truncate(group_start),
            ScanEvent::Entry(entry, place) => ops.push(match entry.kind {
                EntryKind::Put => {
                    TailOp::Put(entry.id.to_owned(), Loc::stored(place, entry.len as u32))
                }
                EntryKind::Delete => TailOp::Delete(entry.id.to_owned()),
                EntryKind::Meta => TailOp::Meta(parse_meta(entry, place.offset(), path)?),
            }),
        }
        Ok(())
    })?;
    Ok((ops, outcome))
}

impl NativeCollection {
    /// Reads every batch of the file into an in-memory record table.
    fn load_all(&mut self, file: &File, committed_txns: &HashSet<u64>) -> Result<ScanOutcome> {
        let path = self.path.clone();
        // An entry takes 60 bytes or more; most are larger.
        let estimate = file.metadata().map(|m| m.len() / 128).unwrap_or(0);
        let mut loader = RecordLoader::with_capacity(estimate.min(1 << 26) as usize);
        // The last meta entry wins; a discarded group takes its own back.
        let mut indexed_fields: Option<Vec<String>> = None;
        let mut fields_before_group: Option<Vec<String>> = None;
        let outcome = native::scan(file, &path, committed_txns, |event| {
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
                            indexed_fields = Some(parse_meta(entry, place.offset(), &path)?)
                        }
                    }
                }
            }
            Ok(())
        })?;
        self.records = RecordTable::in_memory(loader.finish());
        self.live_bytes = self
            .records
            .recent()
            .map(|(_, s)| u64::from(s.loc.len()))
            .sum();
        self.indexed_fields = indexed_fields.unwrap_or_default();
        Ok(outcome)
    }

    /// Opens from a checkpoint: its records as they were, then the log
    /// after it applied on top.
    fn load_tail(
        &mut self,
        base: Arc<Checkpoint>,
        file: &File,
        committed_txns: &HashSet<u64>,
    ) -> Result<ScanOutcome> {
        let path = self.path.clone();
        let covered = base.identity.last.end();
        self.live_bytes = base.totals.live_bytes;
        self.blocks = BlockBytes {
            raw: base.totals.blocks_raw,
            stored: base.totals.blocks_stored,
        };
        self.indexed_fields = base.definitions.clone();
        self.records = RecordTable::with_base(base);
        self.facts.opened = CheckpointUse::Used { covered };
        let (ops, outcome) = read_tail(file, &path, committed_txns, covered)?;
        // The tail's entries are in the file up to `outcome.end`; reads of
        // them during the replay (an id check) must see that far.
        self.end = outcome.end;
        // The indexes are not built yet: only the record table changes.
        self.apply(ops)?;
        Ok(outcome)
    }

    /// The checkpoint beside the file, if it proves to describe it (see
    /// [`identity_mismatch`]); a writer also checks every byte of it first.
    fn usable_checkpoint(&mut self, file: &File, start: &FileStart) -> Option<Arc<Checkpoint>> {
        let path = checkpoint_path(&self.path);
        let ignored = |reason: String, damaged: bool| CheckpointUse::Ignored { reason, damaged };
        let checkpoint = match Checkpoint::open(&path) {
            Ok(Some(checkpoint)) => checkpoint,
            Ok(None) => return None,
            Err(rejected) => {
                self.facts.opened = ignored(rejected.reason, !rejected.stale);
                return None;
            }
        };
        if let Some(reason) = identity_mismatch(file, start, &checkpoint) {
            self.facts.opened = ignored(reason, false);
            return None;
        }
        // A writer checks a small checkpoint whole before building on it;
        // a large one (reading it whole would cost more than the open it
        // saves) is checked chunk by chunk as it is read, and a writer that
        // meets damage rebuilds it (`repair_checkpoint`).
        if !self.read_only
            && checkpoint.file_len() <= FULL_CHECK_BYTES
            && let Err(e) = checkpoint.check_all()
        {
            self.facts.opened = ignored(e.to_string(), true);
            return None;
        }
        Some(Arc::new(checkpoint))
    }
}
