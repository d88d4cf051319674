//! Staging writes: a put or delete goes to the collection's `pending`
//! buffer (laid out as a batch payload) and to its record table, with what
//! a rollback needs while a savepoint is open. `flush.rs` writes them out.

use std::cell::OnceCell;

use super::native::{Mark, NativeCollection, Undo};
use super::records::Loc;
use crate::engine::Document;
use crate::engine::storage::native::{self, EntryKind};
use crate::error::{Error, IoContext, Result};

/// Most records a collection holds: a record's slot (its place in insertion
/// order, what indexes store) is a `u32`, and `u32::MAX` means "none".
/// Deleted records keep their slot until compaction.
pub const MAX_RECORDS: usize = u32::MAX as usize;

/// Refuses a new record when every slot is taken.
pub(super) fn check_room(collection: &str, slots_used: usize) -> Result<()> {
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

impl NativeCollection {
    /// Points `id` at `loc`, keeping live-byte accounting right.
    pub(super) fn set(&mut self, id: &str, loc: Loc) -> Result<(u32, Option<Loc>)> {
        let (slot, old) = match self.find_slot_loc(id)? {
            Some((slot, old)) => {
                self.records.set_loc(slot, loc);
                (slot, Some(old))
            }
            None => {
                let slot = self.records.insert_new(id, || Some(loc));
                (slot.unwrap_or(u32::MAX), None)
            }
        };
        if let Some(old) = old {
            self.live_bytes = self.live_bytes.saturating_sub(u64::from(old.len()));
        }
        self.live_bytes += u64::from(loc.len());
        Ok((slot, old))
    }

    pub(super) fn ensure_writable(&self) -> Result<()> {
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
        if self.records.slot_count() >= MAX_RECORDS && !self.contains(id)? {
            check_room(&self.name(), self.records.slot_count())?;
        }
        let offset = native::push_entry(&mut self.pending, EntryKind::Put, id, data)?;
        let len = (self.pending.len() - offset) as u32;
        let (slot, old) = match self.set(id, Loc::Pending { offset, len }) {
            Ok(done) => done,
            Err(e) => {
                self.pending.truncate(offset);
                return Err(e);
            }
        };
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
        self.put_new_checked(id, data, true)
    }

    /// [`put_new`](Self::put_new), looking the id up in the checkpoint
    /// only if `in_checkpoint` (false for an id just generated).
    pub(super) fn put_new_checked(
        &mut self,
        id: &str,
        data: &[u8],
        in_checkpoint: bool,
    ) -> Result<Option<u32>> {
        self.ensure_writable()?;
        if self.records.slot_count() >= MAX_RECORDS && !self.contains(id)? {
            check_room(&self.name(), self.records.slot_count())?;
        }
        if in_checkpoint && self.records.base().is_some() && self.find_in_base(id)?.is_some() {
            return Ok(None);
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
        if let Some(loc) = self.records.loc(slot)? {
            self.live_bytes += u64::from(loc.len());
        }
        self.pending_slots.push(slot);
        self.record_undo(Undo::Inserted(1));
        Ok(Some(slot))
    }

    pub(super) fn record_undo(&mut self, undo: Undo) {
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

    /// Stages the deletion of `id`; false if there is no such record.
    pub fn delete(&mut self, id: &str) -> Result<bool> {
        self.ensure_writable()?;
        let Some((slot, loc)) = self.find_slot_loc(id)? else {
            return Ok(false);
        };
        native::push_entry(&mut self.pending, EntryKind::Delete, id, &[])?;
        let old = self.records.remove_at(slot, loc);
        {
            self.live_bytes = self.live_bytes.saturating_sub(u64::from(old.loc.len()));
            self.record_undo(Undo::Deleted { slot, old });
        }
        Ok(true)
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
            last_batch: self.facts.last,
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
        if let Some((end, blocks, last_batch)) = self
            .savepoints
            .last()
            .map(|m| (m.end, m.blocks, m.last_batch))
            && end < self.end
        {
            self.facts.last = last_batch;
            self.mapped = OnceCell::new();
            self.forget_blocks();
            self.file.set_len(end).at(&self.path)?;
            self.end = end;
            self.blocks = blocks;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
