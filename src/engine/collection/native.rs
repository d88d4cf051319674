//! [`NativeCollection`]: what one open native collection holds (the type,
//! its fields and its small accessors). What it does lives beside it:
//! `open.rs` (opening and recovery), `writes.rs` and `flush.rs` (staging
//! and writing), `rewrite.rs` (compaction, compression, dictionary),
//! `reads.rs` and `scan.rs` (reading), `indexes.rs`, and `native_store.rs`
//! (the [`CollectionStore`](super::store::CollectionStore) the database uses).

use std::cell::OnceCell;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::file_facts::FileFacts;
use super::records::{Loc, RecordTable, Removed};
use crate::engine::index::IndexSet;
use crate::engine::storage::RecordCodec;
use crate::engine::storage::compress::{BlockBytes, BlockDecompressor, Compression, Dictionary};
use crate::engine::storage::mapped::MappedFile;
use crate::error::Result;

/// What a rollback must restore, newest last.
#[derive(Debug)]
pub(super) enum Undo {
    /// The last `n` slots were new records.
    Inserted(u32),
    Replaced {
        slot: u32,
        old: Loc,
    },
    Deleted {
        slot: u32,
        old: Removed,
    },
}

/// A point to roll back to: a transaction's start, or the start of one
/// `insert_many` inside it.
#[derive(Debug, Clone)]
pub(super) struct Mark {
    pub(super) undo: usize,
    pub(super) pending_len: usize,
    pub(super) pending_slots: usize,
    pub(super) live_bytes: u64,
    pub(super) indexed_fields: Vec<String>,
    pub(super) meta_pending: bool,
    /// The file's end, so a failed multi-collection commit can be cut off.
    pub(super) end: u64,
    /// The blocks written up to `end` (a compressed file).
    pub(super) blocks: BlockBytes,
    /// The batch that ends at `end`.
    pub(super) last_batch: Option<crate::engine::storage::native::BatchSeal>,
}

#[derive(Debug)]
pub(crate) struct NativeCollection {
    pub(super) path: PathBuf,
    pub(super) file: File,
    /// Where the next batch goes: the end of committed data.
    pub(super) end: u64,
    pub(super) codec: Arc<dyn RecordCodec>,
    pub(super) records: RecordTable,
    /// Bytes of the entries that hold live records (the rest of the file is dead).
    pub(super) live_bytes: u64,
    pub(super) pending: Vec<u8>,
    /// The framed batches of the last flush, emptied: the next flush writes
    /// into the same allocation (a bulk load flushes every 8 MiB, and a
    /// fresh buffer each time cost a page fault per 4 KiB).
    pub(super) framed: Vec<u8>,
    /// The group writer's batch payload buffer, kept for the same reason.
    pub(super) batch_buffer: Vec<u8>,
    /// Slots whose location is in `pending`, to relocate on flush.
    pub(super) pending_slots: Vec<u32>,
    pub(super) indexed_fields: Vec<String>,
    /// The index definitions changed and a Meta entry must be written.
    pub(super) meta_pending: bool,
    /// Secondary indexes, built on first use (so opening stays fast) and
    /// kept exact on every write from then on.
    pub(super) indexes: OnceCell<IndexSet>,
    /// The committed file mapped on first read, so reading a record is no
    /// system call. Appends past it are read from the file until they
    /// grow large enough to map again; anything that cuts or replaces the
    /// file drops it first.
    pub(super) mapped: OnceCell<MappedFile>,
    /// While a savepoint is open: how to undo, newest last.
    pub(super) undo: Vec<Undo>,
    /// Open savepoints, outermost first.
    pub(super) savepoints: Vec<Mark>,
    /// Set after a failed fsync: the file's state is unknown, stop writing.
    pub(super) poisoned: bool,
    pub(super) read_only: bool,
    /// Other processes write the file too (a shared writer): it follows
    /// their appends before each of its writes.
    pub(super) shared: bool,
    /// How the file stores its batches (from its header).
    pub(super) compression: Compression,
    /// The file's blocks before and after compression: its ratio.
    pub(super) blocks: BlockBytes,
    /// The zstd dictionary every block of the file uses (FORMAT.md, B4),
    /// read once when the file opens.
    pub(super) dictionary: Option<Dictionary>,
    /// Where the batches start (after the header and any dictionary).
    pub(super) data_start: u64,
    /// Blocks that gets decompressed lately (compressed files only).
    pub(super) block_cache: Mutex<BlockCache>,
    /// What a checkpoint of this file names, and what became of one.
    pub(super) facts: FileFacts,
    /// Records in memory that make closing write a checkpoint.
    pub(super) checkpoint_records: usize,
    /// The checkpoint slot of the `_id` looked up last: an update reads
    /// the record and then writes it, and the second lookup is free.
    pub(super) base_memo: std::cell::RefCell<Option<(Box<str>, u32)>>,
}

/// How many decompressed blocks a collection keeps for its gets: a get of a
/// neighbour of a recent record, or an index query over a few blocks,
/// decompresses nothing.
pub(super) const CACHED_BLOCKS: usize = 8;

/// The most recently read decompressed blocks, newest first.
#[derive(Debug, Default)]
pub(super) struct BlockCache {
    pub(super) blocks: Vec<(u64, Arc<Vec<u8>>)>,
    pub(super) framed: Vec<u8>,
    pub(super) decompressor: Option<BlockDecompressor>,
}

impl NativeCollection {
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
        // The first batch (the Meta entry every file starts with) stays.
        let meta = self.facts.first.map_or(0, |first| first.len);
        self.end
            .saturating_sub(self.data_start + meta + on_disk_live)
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
    pub(super) fn block_decompressor(&self) -> BlockDecompressor {
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

    pub(super) fn pending_live_bytes(&self) -> u64 {
        self.pending_slots
            .iter()
            .filter_map(|&s| self.records.loc(s).ok().flatten())
            .filter_map(|loc| match loc {
                Loc::Pending { len, .. } => Some(u64::from(len)),
                Loc::File { .. } | Loc::Block { .. } => None,
            })
            .sum()
    }

    pub fn contains(&self, id: &str) -> Result<bool> {
        Ok(self.find_slot(id)?.is_some())
    }

    pub fn codec_name(&self) -> &str {
        self.codec.name()
    }
}
