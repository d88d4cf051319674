//! Rewriting a collection file whole: compaction (only the live records),
//! a change of compression, and the zstd dictionary trained for the new
//! file. The new file is complete and synced before one rename replaces
//! the old.

use std::cell::OnceCell;
use std::io::Write;

use super::meta::{Continuation, MAX_CONTINUED, NewFile, initial_file_with_dictionary};
use super::native::NativeCollection;
use super::records::Loc;
use crate::engine::storage::compress::{
    BLOCK_TARGET, Compression, Dictionary, DictionaryTrainer, MIN_DICTIONARY_RECORDS,
};
use crate::engine::storage::durable;
use crate::engine::storage::native::{self, BatchSeal, FileKind, GroupWriter, HEADER_LEN};
use crate::error::{IoContext, Result};

impl NativeCollection {
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

    pub(super) fn rewrite(&mut self, compression: Compression) -> Result<()> {
        self.flush(0)?;
        // Everything is in the old file now: the new one's snapshot is the
        // state where the old one ends, and says so for followers.
        self.rewrite_continuing(compression, false)
    }

    /// True for the first flush of a zstd collection without a dictionary
    /// that brings enough records to train one: the file holds less than a
    /// block of entries, so writing it whole (with the dictionary, as
    /// compaction does) costs about what appending would. Not inside a
    /// transaction (its group must stay tagged and undoable).
    pub(super) fn trains_on_this_flush(&self, txn: u64) -> bool {
        txn == 0
            && self.savepoints.is_empty()
            && matches!(self.compression, Compression::Zstd { .. })
            && self.dictionary.is_none()
            && self.blocks.raw < BLOCK_TARGET as u64
            && self.pending_slots.len() >= MIN_DICTIONARY_RECORDS
    }

    /// Writes the live records, pending or stored, as a new file stored
    /// with `compression` (with a trained dictionary for zstd) and
    /// switches to it; nothing is pending afterwards. Records still pending
    /// were never in the old file: the new one says its snapshot holds
    /// more than the state where the old one ends.
    pub(super) fn rewrite_with_pending(&mut self, compression: Compression) -> Result<()> {
        let has_writes = !self.pending_slots.is_empty() || self.meta_pending;
        self.rewrite_continuing(compression, has_writes)
    }

    /// The rewrite, its first Meta entry naming the position in the old
    /// file that its snapshot continues (FORMAT.md, "Following a live
    /// file"); `has_writes`: the snapshot holds pending writes too.
    fn rewrite_continuing(&mut self, compression: Compression, has_writes: bool) -> Result<()> {
        let continues = match self.log_position() {
            None => None,
            Some(here) => {
                // A file rewritten again with no write since its snapshot
                // is still the state at the positions it continued.
                let mut at = vec![here];
                if let Ok(origin) = self.file_origin()
                    && origin.snapshot_end == self.end
                    && !origin.snapshot_has_writes
                {
                    at.extend(origin.continues.into_iter().take(MAX_CONTINUED - 1));
                }
                Some(Continuation {
                    at,
                    has_writes,
                    records: self.records.len() as u64,
                })
            }
        };
        // Slots are renumbered below: nothing may point into a checkpoint.
        self.materialize()?;
        let dictionary = self.train_dictionary(compression)?;
        let header = initial_file_with_dictionary(
            self.codec.name(),
            FileKind::Collection,
            &self.indexed_fields,
            compression,
            dictionary.as_ref(),
            continues.map_or(NewFile::Empty, NewFile::Rewritten),
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
            for record in self.records.iter() {
                let (slot, record) = record?;
                let entry = scan.entry_bytes(record.loc)?;
                let place = group.push(entry).at(&self.path)?;
                relocated.push((slot, Loc::stored(place, record.loc.len())));
            }
            group.finish_in_place().at(&self.path)?;
            let last = group.last_seal();
            let (_, end, blocks) = group.finish_counting().at(&self.path)?;
            Ok((relocated, end, blocks, last))
        });
        let (relocated, end, blocks, last) = match replaced {
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
        self.facts
            .header
            .copy_from_slice(&header[..HEADER_LEN as usize]);
        self.facts.first = BatchSeal::read(&self.file, self.data_start, end)
            .ok()
            .flatten();
        self.facts.last = last.or(self.facts.first);
        // The old checkpoint describes the old file: write the new one.
        if self.savepoints.is_empty() && self.records.len() >= self.checkpoint_records.max(1) {
            self.facts.write_error = self.write_checkpoint().err().map(|e| e.to_string());
        } else {
            self.remove_checkpoint();
        }
        Ok(())
    }

    /// A dictionary trained from an even sample of the live records, for a
    /// rewrite stored with zstd; `None` for another codec, too few records,
    /// or a trainer that fails (the file is then written without one).
    pub(super) fn train_dictionary(&self, compression: Compression) -> Result<Option<Dictionary>> {
        if !matches!(compression, Compression::Zstd { .. }) {
            return Ok(None);
        }
        let Some(mut trainer) = DictionaryTrainer::for_records(self.records.len(), self.live_bytes)
        else {
            return Ok(None);
        };
        let mut scan = self.scan();
        for record in self.records.iter() {
            let (_, record) = record?;
            trainer.offer(scan.entry_bytes(record.loc)?);
        }
        Ok(trainer.train())
    }
}
