//! Reading single records: by `_id` or slot, from wherever the record is
//! (staged, in the file, in a compressed block through a small
//! cache of decompressed blocks), checked before it is decoded.

use std::fmt;
use std::sync::Arc;

use super::native::{CACHED_BLOCKS, NativeCollection};
use super::records::Loc;
use super::store::StoredRecord;
use crate::engine::Document;
use crate::engine::storage::durable::read_exact_at;
use crate::engine::storage::mapped::MappedFile;
use crate::engine::storage::native::{self, EntryRef};
use crate::error::{Error, IoContext, Result};

impl NativeCollection {
    /// The record in `slot`, if it is live.
    pub fn read_slot(&self, slot: u32) -> Result<Option<Document>> {
        self.with_slot_entry(slot, |id, bytes, offset| {
            self.decode_entry(id, bytes, offset)
        })
    }

    /// The slot of the live record `id`: from memory, or among the
    /// checkpoint slots filed under its hash, told apart by reading the id
    /// in each one's entry.
    pub(super) fn find_slot(&self, id: &str) -> Result<Option<u32>> {
        Ok(self.find_slot_loc(id)?.map(|(slot, _)| slot))
    }

    /// Like [`find_slot`](Self::find_slot), with where the record is.
    pub(super) fn find_slot_loc(&self, id: &str) -> Result<Option<(u32, Loc)>> {
        if let Some(slot) = self.records.find_recent(id) {
            return Ok(self.records.loc(slot)?.map(|loc| (slot, loc)));
        }
        self.find_in_base(id)
    }

    /// The checkpoint slot of the live record `id` and where it is, if the
    /// checkpoint has it: the slot found last, or the candidates filed
    /// under its hash, told apart by the id in each one's entry.
    pub(super) fn find_in_base(&self, id: &str) -> Result<Option<(u32, Loc)>> {
        if let Some((memo, slot)) = &*self.base_memo.borrow()
            && **memo == *id
            && slot < &self.records.base_slots()
        {
            return Ok(self.records.loc(*slot)?.map(|loc| (*slot, loc)));
        }
        let mut found = None;
        self.records.base_candidates(id, &mut |slot, loc| {
            let same = self.with_entry(id, loc, |bytes, offset| {
                let entry = native::parse_entry(bytes)
                    .map_err(|reason| self.corrupt_record(id, offset, reason))?;
                Ok(entry.id == id)
            })?;
            if same {
                found = Some((slot, loc));
            }
            Ok(!same)
        })?;
        if let Some((slot, _)) = found {
            self.remember_base_slot(id, slot);
        }
        Ok(found)
    }

    fn remember_base_slot(&self, id: &str, slot: u32) {
        *self.base_memo.borrow_mut() = Some((id.into(), slot));
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
                        id: entry.id,
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
    pub(super) fn with_slot_entry<T>(
        &self,
        slot: u32,
        read: impl FnOnce(Option<&str>, &[u8], u64) -> Result<T>,
    ) -> Result<Option<T>> {
        let Some(s) = self.records.slot(slot)? else {
            return Ok(None);
        };
        let mut buf = [0u8; 36];
        let id = s.id.map(|id| id.as_str(&mut buf));
        self.with_entry(id.unwrap_or(""), s.loc, |bytes, offset| {
            read(id, bytes, offset)
        })
        .map(Some)
    }

    /// Reads the current version of `id`.
    pub fn get(&self, id: &str) -> Result<Option<Document>> {
        if let Some(slot) = self.records.find_recent(id) {
            return match self.records.loc(slot)? {
                Some(loc) => self
                    .with_entry(id, loc, |bytes, offset| {
                        self.decode_entry(Some(id), bytes, offset)
                    })
                    .map(Some),
                None => Ok(None),
            };
        }
        // A checkpoint slot: the entry read to check the id is the one
        // decoded.
        let mut found = None;
        self.records.base_candidates(id, &mut |slot, loc| {
            self.with_entry(id, loc, |bytes, offset| {
                let entry = native::parse_entry(bytes)
                    .map_err(|reason| self.corrupt_record(id, offset, reason))?;
                if entry.id != id {
                    return Ok(true);
                }
                let doc = self.codec.decode(id, entry.data);
                found = Some(doc.map_err(|e| self.corrupt_record(id, offset, e))?);
                self.remember_base_slot(id, slot);
                Ok(false)
            })
        })?;
        Ok(found)
    }

    /// Calls `read` with the stored entry of `id` at `loc` and the file
    /// offset errors should name: where a single read finds the bytes of
    /// each kind of location (staged, in the file, in a block).
    pub(super) fn with_entry<T>(
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
                // The writer, a long-lived process whose gets and updates
                // are the hot path, reads through a memory map (no system
                // call). A reader, often a process that answers one query,
                // reads with one pread: through a map the kernel maps large
                // folios of page cache around each read, and an index query
                // of a hundred records held a hundred megabytes.
                if !self.read_only {
                    let mapped = self
                        .mapped
                        .get_or_init(|| MappedFile::new(&self.file, self.end));
                    if let Some(bytes) = mapped.get(offset, len) {
                        return read(bytes, offset);
                    }
                }
                let mut small = [0u8; 512];
                let mut large = Vec::new();
                let buf = match small.get_mut(..len as usize) {
                    Some(buf) => buf,
                    None => {
                        large.resize(len as usize, 0);
                        &mut large[..]
                    }
                };
                read_exact_at(&self.file, buf, offset).at(&self.path)?;
                read(buf, offset)
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
    pub(super) fn cached_block(&self, block: u64) -> Result<Arc<Vec<u8>>> {
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
    pub(super) fn forget_blocks(&mut self) {
        let cache = self
            .block_cache
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.blocks.clear();
        cache.decompressor = None;
    }

    pub(super) fn decode_entry(
        &self,
        id: Option<&str>,
        bytes: &[u8],
        offset: u64,
    ) -> Result<Document> {
        let entry = self.checked_entry(id, bytes, offset)?;
        self.codec
            .decode(entry.id, entry.data)
            .map_err(|e| self.corrupt_record(entry.id, offset, e))
    }

    /// The entry in `bytes`, checked (checksum, and that it holds `id`
    /// where the table knows it; otherwise that it is a put).
    pub(super) fn checked_entry<'b>(
        &self,
        id: Option<&str>,
        bytes: &'b [u8],
        offset: u64,
    ) -> Result<EntryRef<'b>> {
        self.parse_checked_entry(id, bytes, offset, false)
    }

    /// The entry of `id` in `bytes`, checked to hold `id` and, unless
    /// `covered` (inside a block whose checksum was just verified, see
    /// [`Scan::checked_entry`](super::scan::Scan::checked_entry)), by its own
    /// checksum.
    pub(super) fn parse_checked_entry<'b>(
        &self,
        id: Option<&str>,
        bytes: &'b [u8],
        offset: u64,
        covered: bool,
    ) -> Result<EntryRef<'b>> {
        let entry = match covered {
            true => native::parse_entry_covered(bytes),
            false => native::parse_entry(bytes),
        }
        .map_err(|reason| self.corrupt_record(id.unwrap_or("?"), offset, reason))?;
        match id {
            Some(id) if entry.id != id => {
                let reason = format!("entry holds id {:?}", entry.id);
                Err(self.corrupt_record(id, offset, reason))
            }
            None if entry.kind != native::EntryKind::Put => {
                let reason = format!("a checkpoint slot points at a {:?} entry", entry.kind);
                Err(self.corrupt_record(entry.id, offset, reason))
            }
            _ => Ok(entry),
        }
    }

    /// The error for a record whose entry is damaged (its offset: see
    /// [`Loc::error_offset`]).
    pub(super) fn corrupt_record(&self, id: &str, offset: u64, reason: impl fmt::Display) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            offset,
            reason: format!("record {id:?}: {reason}"),
        }
    }
}

/// The bytes of the entry `at` bytes into a decompressed block.
pub(super) fn entry_in_block(raw: &[u8], at: u16, len: u32) -> Option<&[u8]> {
    let start = usize::from(at);
    raw.get(start..start.checked_add(len as usize)?)
}
