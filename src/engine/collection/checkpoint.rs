//! The collection's side of checkpoints (`storage/checkpoint`): which
//! checkpoint file belongs to it, proving one current before opening from
//! it, writing a new one, and when.
//!
//! When one is written (FORMAT.md, "Checkpoints", says why these):
//! - when the writer closes the collection, if it holds at least
//!   [`CLOSE_MIN_RECORDS`] records in memory (changed or added since the
//!   last checkpoint, or all of them when there is none);
//! - after a commit, once the records in memory pass [`RUNNING_FACTOR`]
//!   times the closing bound (1,000,000) and the checkpoint's own count,
//!   so the heap stays bounded while a bulk load rewrites the checkpoint
//!   once per doubling: at most about twice what was written in all;
//! - after a compaction or a change of compression (the file is new).
//!
//! A checkpoint that cannot be written (a full disk) costs nothing but
//! speed: the commit that triggered it has already succeeded, the error is
//! kept for `info`, and the next open replays the log.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::check::CollectionCheck;
use super::file_facts::{CheckpointUse, PersistedInfo};
use super::native::NativeCollection;
use super::records::RecordLoader;
use super::records::{Loc, RecordTable};
use crate::engine::index::{IndexSet, Postings};
use crate::engine::storage::checkpoint::{
    self, BatchSeal, Checkpoint, CheckpointWriter, FileIdentity, IdTableWriter, IndexSectionWriter,
    SectionKind, Totals,
};
use crate::engine::storage::durable;
use crate::engine::storage::native::{self, EntryKind, FileStart, ScanEvent};
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, IoContext, Result};

/// Records in memory that make closing write a checkpoint.
pub const CLOSE_MIN_RECORDS: usize = 1_000;
/// How many times the closing bound of records in memory makes a commit
/// write one (with as many as the checkpoint holds, too): 1,000,000 by
/// default, so a bulk load writes a checkpoint per doubling rather than
/// per commit. (Half the checkpoint's, until 2026-12-06: half again as many
/// rewrites, for a delta a third smaller.)
pub const RUNNING_FACTOR: usize = 1_000;

/// `<dir>/indexes/<collection>.checkpoint`.
pub(crate) fn checkpoint_path(collection_file: &Path) -> PathBuf {
    let dir = collection_file.parent().unwrap_or(Path::new("."));
    let name = collection_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join("indexes").join(format!("{name}.checkpoint"))
}

/// Why `checkpoint` does not describe the file that `start` opened.
pub(super) fn identity_mismatch(
    file: &std::fs::File,
    start: &FileStart,
    checkpoint: &Checkpoint,
) -> Option<String> {
    let identity = &checkpoint.identity;
    if identity.header != start.header_bytes {
        return Some("it belongs to another file (the header differs)".to_owned());
    }
    let first = BatchSeal::read(file, start.data_start, start.file_len)
        .ok()
        .flatten();
    if identity.first.offset != start.data_start || first != Some(identity.first) {
        return Some("it belongs to another file (the first batch differs)".to_owned());
    }
    let last = identity.last;
    if last.end() > start.file_len {
        return Some(format!(
            "it covers {} bytes of log but the file holds {} (an older copy of the file?)",
            last.end(),
            start.file_len
        ));
    }
    if BatchSeal::read(file, last.offset, start.file_len)
        .ok()
        .flatten()
        != Some(last)
    {
        return Some("the file differs where the checkpoint ends (another copy of it?)".to_owned());
    }
    None
}

impl NativeCollection {
    /// What is persisted, what is not, and why.
    pub fn persisted_info(&self) -> PersistedInfo {
        let base = self.records.base();
        let covered = base.map_or(self.data_start, |b| b.identity.last.end());
        PersistedInfo {
            checkpoint: base.map(|b| b.path().to_path_buf()),
            checkpoint_bytes: base.map_or(0, |b| b.file_len()),
            covered_records: base.map_or(0, |b| b.totals.live),
            covered_log_bytes: base.map_or(0, |_| covered),
            uncovered_log_bytes: self.end.saturating_sub(covered),
            records_in_memory: self.records.in_memory_count(),
            persisted_indexes: self
                .indexes
                .get()
                .map(|set| {
                    set.iter()
                        .filter(|i| i.is_persisted())
                        .map(|i| i.path().to_owned())
                        .collect()
                })
                .unwrap_or_else(|| match base {
                    Some(b) => b
                        .definitions
                        .iter()
                        .filter(|d| self.indexed_fields.contains(d))
                        .cloned()
                        .collect(),
                    None => Vec::new(),
                }),
            ignored: match &self.facts.opened {
                CheckpointUse::Ignored { reason, .. } => Some(reason.clone()),
                CheckpointUse::None | CheckpointUse::Used { .. } => None,
            },
            write_error: self.facts.write_error.clone(),
        }
    }

    /// Records held on the heap: changed or added since the checkpoint.
    pub fn records_in_memory(&self) -> usize {
        self.records.in_memory_count()
    }

    /// Whether the indexed fields differ from the checkpoint's.
    pub fn definitions_changed(&self) -> bool {
        self.records
            .base()
            .is_some_and(|b| b.definitions != self.indexed_fields)
    }

    /// Whether a commit or a close should write a checkpoint now.
    fn checkpoint_due(&self, closing: bool) -> bool {
        if self.read_only || self.poisoned || !self.savepoints.is_empty() || self.has_pending() {
            return false;
        }
        // An index the checkpoint lacks would be built from every record
        // at each open.
        if self.definitions_changed() {
            return true;
        }
        let in_memory = self.records.in_memory_count();
        if in_memory == 0 || in_memory < self.checkpoint_records {
            return false;
        }
        closing
            || (in_memory >= self.checkpoint_records.saturating_mul(RUNNING_FACTOR)
                && in_memory >= self.records.base_slots() as usize)
    }

    /// After a commit: writes a checkpoint if enough is in memory.
    pub(super) fn checkpoint_if_due(&mut self) {
        self.repair_checkpoint();
        if self.checkpoint_due(false) {
            let added = self.records.recent_slots();
            self.write_checkpoint_noting_failure();
            // A writer that added this many since its last checkpoint is
            // likely loading: room for as many again spares the table the
            // rehash of every doubling on the way (a third of a second at
            // a few million records).
            if self.facts.write_error.is_none() {
                self.records.reserve_recent(added);
            }
        }
    }

    /// When the writer closes the collection.
    pub fn close(&mut self) {
        self.repair_checkpoint();
        if self.checkpoint_due(true) {
            self.write_checkpoint_noting_failure();
        }
    }

    /// A writer whose checkpoint proved damaged (a read found a chunk that
    /// fails its checksum) reads every record again, without it, and
    /// writes a sound one. Only with nothing staged and no savepoint open.
    fn repair_checkpoint(&mut self) {
        let damaged = self.records.base().is_some_and(|b| b.is_damaged());
        if !damaged || self.read_only || self.has_pending() || !self.savepoints.is_empty() {
            return;
        }
        let reason = "a chunk failed its checksum when read".to_owned();
        let repaired = self.reopen_without_checkpoint().and_then(|()| {
            self.facts.opened = CheckpointUse::Ignored {
                reason,
                damaged: true,
            };
            self.write_checkpoint()
        });
        self.facts.write_error = repaired.err().map(|e| e.to_string());
    }

    /// Reads the file again from its first batch, ignoring the checkpoint.
    fn reopen_without_checkpoint(&mut self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let committed = TxLog::read_committed(dir)?;
        let opened = NativeCollection::open_with(
            &self.path,
            self.codec.clone(),
            &committed,
            self.read_only,
            false,
        )?;
        let (checkpoint_records, shared) = (self.checkpoint_records, self.shared);
        *self = opened.collection;
        self.checkpoint_records = checkpoint_records;
        self.shared = shared;
        Ok(())
    }

    fn write_checkpoint_noting_failure(&mut self) {
        self.facts.write_error = self.write_checkpoint().err().map(|e| e.to_string());
    }

    /// Writes a checkpoint of the current state (nothing pending, no
    /// savepoint open) and reads from it from now on.
    pub fn write_checkpoint(&mut self) -> Result<()> {
        self.ensure_writable()?;
        let (Some(first), Some(last), false, true) = (
            self.facts.first,
            self.facts.last,
            self.has_pending(),
            self.savepoints.is_empty(),
        ) else {
            return Err(Error::InvalidQuery(
                "internal: a checkpoint needs a committed file with nothing pending".to_owned(),
            ));
        };
        let identity = FileIdentity {
            header: self.facts.header,
            first,
            last,
        };
        let path = checkpoint_path(&self.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        self.indexes()?;
        let seed = match self.records.base() {
            Some(base) => base.seed,
            None => uuid::Uuid::new_v4().as_u64_pair().0,
        };
        durable::replace_file(&path, |out| {
            self.write_checkpoint_to(out, &path, &identity, seed)
        })?;
        let opened = Checkpoint::open(&path)
            // No reader should meet it either.
            .inspect_err(|_| self.remove_checkpoint())
            .map_err(|rejected| Error::Corrupt {
                path: path.clone(),
                offset: 0,
                reason: format!(
                    "the checkpoint just written does not read back: {}",
                    rejected.reason
                ),
            })?
            .ok_or_else(|| Error::io(&path, std::io::Error::other("vanished after writing")))?;
        let opened = Arc::new(opened);
        let indexes = IndexSet::with_checkpoint(&self.indexed_fields, &opened)?;
        self.records = RecordTable::with_base(opened);
        self.base_memo.take();
        self.indexes = std::cell::OnceCell::from(indexes);
        self.facts.write_error = None;
        Ok(())
    }

    fn write_checkpoint_to(
        &self,
        out: &mut durable::ReplaceWriter,
        path: &Path,
        identity: &FileIdentity,
        seed: u64,
    ) -> Result<()> {
        let mut w = CheckpointWriter::new(out).at(path)?;
        w.begin(SectionKind::Definitions, 0).at(path)?;
        let definitions = serde_json::to_vec(&self.indexed_fields)
            .map_err(|e| Error::RecordEncoding(e.to_string()))?;
        w.write(&definitions).at(path)?;
        w.end();

        w.begin(SectionKind::Slots, 0).at(path)?;
        let slots = self.records.slot_count() as u32;
        self.write_slots(&mut w, path)?;
        w.end();

        let live = self.records.len() as u64;
        let mut ids = IdTableWriter::begin(&mut w, live).at(path)?;
        let mut recent: Vec<(u32, u32)> = self
            .records
            .recent()
            .map(|(slot, s)| {
                let mut text = [0u8; 36];
                let id = s.id.map_or("", |id| id.as_str(&mut text));
                (checkpoint::id_hash(seed, id), slot)
            })
            .collect();
        recent.sort_unstable();
        let mut recent = recent.into_iter().peekable();
        let mut base_entries: Box<dyn Iterator<Item = Result<(u32, u32)>>> =
            match self.records.base() {
                Some(base) => Box::new(base.id_entries()),
                None => Box::new(std::iter::empty()),
            };
        let deleted: roaring::RoaringBitmap = self
            .records
            .changed()
            .filter_map(|(slot, loc)| loc.is_none().then_some(slot))
            .collect();
        let mut next_base = || -> Result<Option<(u32, u32)>> {
            for entry in base_entries.by_ref() {
                let (hash, slot) = entry?;
                if deleted.is_empty() || !deleted.contains(slot) {
                    return Ok(Some((hash, slot)));
                }
            }
            Ok(None)
        };
        let mut base_head = next_base()?;
        loop {
            let take_base = match (base_head, recent.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(b), Some(r)) => b < *r,
            };
            let (hash, slot) = if take_base {
                let entry = base_head.unwrap_or_default();
                base_head = next_base()?;
                entry
            } else {
                recent.next().unwrap_or_default()
            };
            ids.push(&mut w, hash, slot).at(path)?;
        }
        let written = ids.finish(&mut w).at(path)?;
        if written != live {
            return Err(Error::InvalidQuery(format!(
                "internal: {written} ids for {live} records in a checkpoint"
            )));
        }

        let indexes = self.indexes()?;
        for (position, field) in self.indexed_fields.iter().enumerate() {
            let Some(index) = indexes.get(field) else {
                continue;
            };
            let mut section = IndexSectionWriter::begin(&mut w, position as u32).at(path)?;
            let mut encoded = Vec::new();
            index.for_each_key(&mut |key, postings| {
                let postings = match postings {
                    Postings::Stored(stored) => stored,
                    Postings::Slots(slots) => {
                        encoded.clear();
                        checkpoint::encode_postings(slots, &mut encoded);
                        &encoded
                    }
                    Postings::List(slots) => {
                        encoded.clear();
                        checkpoint::encode_sorted_postings(slots, &mut encoded);
                        &encoded
                    }
                };
                section.push(&mut w, key, postings).at(path)
            })?;
            section.finish(&mut w).at(path)?;
        }

        let totals = Totals {
            slots: u64::from(slots),
            live,
            live_bytes: self.live_bytes,
            blocks_raw: self.blocks.raw,
            blocks_stored: self.blocks.stored,
        };
        w.finish(identity, &totals, seed).at(path)?;
        out.flush().at(path)?;
        Ok(())
    }

    /// The slot table: the checkpoint's slots copied as stored, those
    /// changed since patched, then the recent table's.
    fn write_slots(
        &self,
        w: &mut CheckpointWriter<'_, durable::ReplaceWriter>,
        path: &Path,
    ) -> Result<()> {
        const WINDOW: u32 = 4096;
        let stored = |loc: Option<Loc>| match loc {
            Some(Loc::Pending { .. }) => Err(Error::InvalidQuery(
                "internal: a checkpoint of a pending record".to_owned(),
            )),
            loc => Ok(checkpoint::encode_slot(
                loc.and_then(|loc| Some((loc.place()?, loc.len()))),
            )),
        };
        let mut buf = Vec::with_capacity(WINDOW as usize * checkpoint::SLOT_LEN);
        let base_slots = self.records.base_slots();
        if let Some(base) = self.records.base() {
            let mut changed: Vec<(u32, Option<Loc>)> = self.records.changed().collect();
            changed.sort_unstable_by_key(|&(slot, _)| slot);
            let mut changed = changed.into_iter().peekable();
            for first in (0..base_slots).step_by(WINDOW as usize) {
                buf.clear();
                base.slot_bytes(first, WINDOW, &mut buf)?;
                let end = first + (buf.len() / checkpoint::SLOT_LEN) as u32;
                while let Some((slot, loc)) = changed.next_if(|&(slot, _)| slot < end) {
                    let at = (slot - first) as usize * checkpoint::SLOT_LEN;
                    buf[at..at + checkpoint::SLOT_LEN].copy_from_slice(&stored(loc)?);
                }
                w.write(&buf).at(path)?;
            }
        }
        let slots = self.records.slot_count() as u32;
        for first in (base_slots..slots).step_by(WINDOW as usize) {
            buf.clear();
            for loc in self.records.locs(first, WINDOW)? {
                buf.extend_from_slice(&stored(loc)?);
            }
            w.write(&buf).at(path)?;
        }
        Ok(())
    }

    /// Brings the records and indexes a checkpoint holds into memory and
    /// stops reading it (before a rewrite renumbers slots and replaces the
    /// file).
    pub(super) fn materialize(&mut self) -> Result<()> {
        if self.records.base().is_none() {
            return Ok(());
        }
        if let Some(indexes) = self.indexes.get_mut() {
            indexes.materialize()?;
        }
        let mut records = std::mem::take(&mut self.records);
        let done = records.materialize(&mut |loc| {
            self.with_entry("", loc, |bytes, offset| {
                let entry = crate::engine::storage::native::parse_entry(bytes)
                    .map_err(|reason| self.corrupt_record("?", offset, reason))?;
                Ok(entry.id.to_owned())
            })
        });
        self.records = records;
        self.base_memo.take();
        done
    }

    /// Verify's part: a checkpoint that was not used is reported; one in
    /// use has every byte checked, and its record table is compared with
    /// one read from the whole file (same records, same places, every `_id`
    /// found through the id table). The indexes are compared by
    /// `verify_indexes` with indexes built from the records.
    pub(super) fn verify_checkpoint(&self, check: &mut CollectionCheck) -> Result<()> {
        let path = checkpoint_path(&self.path);
        if let CheckpointUse::Ignored { reason, damaged } = &self.facts.opened {
            let message = format!(
                "persisted index {} is not used: {reason}; it is rebuilt when the folder is next opened for writing",
                path.display()
            );
            if *damaged {
                check.add(None, None, message);
            } else {
                // Stale (a crash between a rewrite and its checkpoint, a
                // file put back by hand): nothing is wrong with the data.
                check.note = Some(message);
            }
        }
        let Some(base) = self.records.base() else {
            return Ok(());
        };
        if let Err(e) = base.check_all() {
            check.add(None, None, e.to_string());
            return Ok(());
        }
        if self.has_pending() {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let committed = TxLog::read_committed(dir).unwrap_or_default();
        let file = std::fs::File::open(&self.path).at(&self.path)?;
        let mut loader = RecordLoader::default();
        native::scan(&file, &self.path, &committed, |event| {
            match event {
                ScanEvent::GroupStart => loader.start_group(),
                ScanEvent::GroupDiscarded => loader.discard_group(),
                ScanEvent::Entry(entry, place) => match entry.kind {
                    EntryKind::Put => loader.put(entry.id, Loc::stored(place, entry.len as u32)),
                    EntryKind::Delete => loader.delete(entry.id),
                    EntryKind::Meta => {}
                },
            }
            Ok(())
        })?;
        let fresh = loader.finish();
        let mut live = self.records.iter();
        let mismatch = |check: &mut CollectionCheck, id: &str, what: String| {
            check.add(
                None,
                Some(id),
                format!("persisted record table {}: {what}", path.display()),
            );
        };
        for (_, record) in fresh.iter() {
            let mut text = [0u8; 36];
            let id = record.id.as_str(&mut text);
            match live.next() {
                Some(Ok((_, slot))) if slot.loc == record.loc => {}
                Some(Err(e)) => {
                    check.add(None, None, e.to_string());
                    return Ok(());
                }
                _ => {
                    mismatch(
                        check,
                        id,
                        "its records differ from the file's here".to_owned(),
                    );
                    return Ok(());
                }
            }
            let found = match self.find_slot(id) {
                Ok(found) => found,
                Err(e) => {
                    check.add(None, Some(id), e.to_string());
                    return Ok(());
                }
            };
            if found.and_then(|slot| self.records.loc(slot).ok().flatten()) != Some(record.loc) {
                mismatch(
                    check,
                    id,
                    "its id table does not find this record".to_owned(),
                );
            }
        }
        if live.next().is_some() {
            mismatch(check, "", "it holds records the file does not".to_owned());
        }
        Ok(())
    }

    /// Removes the checkpoint file (the collection file was replaced, and
    /// none was written for the new one).
    pub(super) fn remove_checkpoint(&self) {
        let _ = durable::durable_remove(&checkpoint_path(&self.path));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::engine::storage::BinaryCodec;
    use crate::engine::storage::compress::Compression;
    use crate::engine::test_doc as doc;

    fn open(path: &Path) -> NativeCollection {
        let opened = NativeCollection::open(path, Arc::new(BinaryCodec), &HashSet::new(), false);
        opened.expect("opens").collection
    }

    #[test]
    fn a_writer_that_meets_a_damaged_chunk_rebuilds_the_checkpoint_when_it_closes() {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let path = tmp.path().join("c.fdb");
        let fields = vec!["k".to_owned()];
        let mut c =
            NativeCollection::create(&path, Arc::new(BinaryCodec), fields, Compression::None)
                .expect("created");
        for i in 0..3_000 {
            c.put(
                &format!("r{i:04}"),
                &doc(json!({"k": i % 10, "pad": "x".repeat(40)})),
            )
            .expect("staged");
        }
        c.flush(0).expect("flushed");
        c.write_checkpoint().expect("checkpoint written");
        drop(c);
        let checkpoint = checkpoint_path(&path);
        let mut bytes = std::fs::read(&checkpoint).expect("read");
        bytes[20_000] ^= 0x40; // in the slot table
        std::fs::write(&checkpoint, &bytes).expect("damaged");

        let mut c = open(&path);
        assert!(matches!(c.facts.opened, CheckpointUse::Used { .. }));
        let failed = (0..3_000).find_map(|i| c.get(&format!("r{i:04}")).err());
        let failed = failed.expect("some read meets the damaged chunk");
        assert!(
            failed.to_string().contains("persisted index damaged"),
            "{failed}"
        );
        c.close();
        assert!(c.facts.write_error.is_none(), "{:?}", c.facts.write_error);
        drop(c);

        let c = open(&path);
        assert!(
            matches!(c.facts.opened, CheckpointUse::Used { .. }),
            "{:?}",
            c.facts.opened
        );
        for i in 0..3_000 {
            let found = c.get(&format!("r{i:04}")).expect("reads").expect("found");
            assert_eq!(found["k"], json!(i % 10));
        }
        assert!(!c.records.base().is_some_and(|b| b.is_damaged()));
    }
}
