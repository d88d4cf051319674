//! Opening a native collection file: creating a new one durably, and
//! reading an existing one once to rebuild where each record is (recovery:
//! a torn tail is dropped, a discarded group undone).

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::meta::{initial_file, parse_meta};
use super::native::{BlockCache, NativeCollection};
use super::records::{Loc, RecordLoader, RecordTable};
use crate::engine::storage::RecordCodec;
use crate::engine::storage::compress::{BlockBytes, Compression};
use crate::engine::storage::durable::{self, ReplaceFailure};
use crate::engine::storage::native::{
    self, DroppedTail, EntryKind, FileKind, HEADER_LEN, ScanEvent,
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
}
