//! Flushing: the staged entries become one group of batches appended to
//! the file and synced, and each record's location moves from `pending`
//! to its place in the file.

use std::cell::OnceCell;

use super::meta::encode_meta;
use super::native::NativeCollection;
use super::records::Loc;
use crate::engine::storage::durable::{self, write_all_at};
use crate::engine::storage::native::{self, EntryKind, GroupWriter, Place};
use crate::error::{Error, IoContext, Result};

/// Bytes a flush gathers before each write to the file.
const APPEND_BUFFER: usize = 1 << 20;

/// Writes a flush's batches to the file from `at` on, a buffer at a time:
/// a flush of 75 MB framed whole grew 75 MB of fresh memory, page fault
/// by page fault, on every flush.
struct FileAppender<'f> {
    file: &'f std::fs::File,
    at: u64,
    buffer: Vec<u8>,
}

impl FileAppender<'_> {
    fn write_rest(&mut self) -> std::io::Result<()> {
        write_all_at(self.file, &self.buffer, self.at)?;
        self.at += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }
}

impl std::io::Write for FileAppender<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buffer.len() + data.len() > APPEND_BUFFER {
            self.write_rest()?;
        }
        if data.len() >= APPEND_BUFFER {
            write_all_at(self.file, data, self.at)?;
            self.at += data.len() as u64;
        } else {
            self.buffer.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.write_rest()
    }
}

impl NativeCollection {
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
        } else if txn == 0 {
            self.checkpoint_if_due();
        }
        result
    }

    pub(super) fn write_pending(&mut self, txn: u64) -> Result<()> {
        // Within one batch an entry's file offset is its pending offset plus
        // a constant: (first pending offset of the batch, that constant).
        let mut shifts: Vec<(usize, u64)> = Vec::new();
        let mut buffer = std::mem::take(&mut self.framed);
        buffer.clear();
        let out = FileAppender {
            file: &self.file,
            at: self.end,
            buffer,
        };
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
        // The batches reach the file as they are framed: any error (the
        // disk's, or a pending entry that does not parse) cuts it back.
        let pending = &self.pending;
        let finished = (|| -> std::io::Result<_> {
            writer.push_all(pending, |at, place| match place {
                Place::File(file_offset) => {
                    let shift = file_offset - at as u64;
                    if shifts.last().is_none_or(|&(_, s)| s != shift) {
                        shifts.push((at, shift));
                    }
                }
                Place::Block { .. } => in_blocks.push((at, place)),
            })?;
            writer.finish_in_place()?;
            let last_batch = writer.last_seal();
            let (mut out, end, written, batch) = writer.finish_reusable()?;
            out.write_rest()?;
            Ok((last_batch, out.buffer, end, written, batch))
        })();
        let (last_batch, bytes, new_end, written, batch_buffer) = match finished {
            Ok(finished) => finished,
            Err(e) => {
                // Windows refuses to cut a file that has a mapped view.
                self.mapped = OnceCell::new();
                let _ = self.file.set_len(self.end);
                return Err(Error::io(&self.path, e));
            }
        };
        if batch_buffer.capacity() <= 2 * native::TARGET_BATCH_PAYLOAD {
            self.batch_buffer = batch_buffer;
        }
        if let Err(e) = durable::sync_data(&self.file) {
            self.poisoned = true;
            return Err(Error::io(&self.path, e));
        }
        self.framed = bytes;
        for &slot in &self.pending_slots {
            let Some(Loc::Pending { offset, len }) = self.records.loc(slot).ok().flatten() else {
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
        if last_batch.is_some() {
            self.facts.last = last_batch;
        }
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
}
