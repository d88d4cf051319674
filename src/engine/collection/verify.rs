//! Checking a collection against its file: every entry's checksum (dead
//! versions, deletions and metadata included), every live record, every
//! index key by key.
//!
//! Opening already refuses a file damaged in the middle, so what verify
//! finds is damage since the file was opened (a disk, another program), or
//! a bug. It reports every problem it can locate instead of stopping at the
//! first, each with the byte offset and the record's `_id` where known.

use std::fs::File;
use std::path::Path;

use super::check::CollectionCheck;
use super::meta::CollectionMeta;
use super::native::NativeCollection;
use crate::engine::index::{FieldIndex, IndexSet};
use crate::engine::storage::StorageFormat;
use crate::engine::storage::compress::BlockHeader;
use crate::engine::storage::durable;
use crate::engine::storage::native::{self, EntryKind, ScanEvent};
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, IoContext, Result};

use super::records::Loc;

/// The `_id` of an entry whose checksum failed, if its bytes still spell one
/// (the damage may be elsewhere in the entry): to name the record hit.
fn unchecked_id(entry: &[u8]) -> Option<&str> {
    let body = entry.get(native::ENTRY_HEADER_LEN..)?;
    let id_len = u16::from_le_bytes([*body.first()?, *body.get(1)?]) as usize;
    std::str::from_utf8(body.get(2..2 + id_len)?).ok()
}

impl NativeCollection {
    /// Checks the file entry by entry, then every live record, then every
    /// index against the records. `Err` only when the file cannot be read
    /// at all; damage is reported in the result.
    pub(crate) fn verify_file(&self, name: &str) -> Result<CollectionCheck> {
        let mut check = CollectionCheck::new(name, StorageFormat::Native);
        self.verify_entries(&mut check)?;
        self.verify_checkpoint(&mut check)?;
        let fresh = self.verify_records(&mut check)?;
        self.verify_indexes(&fresh, &mut check);
        Ok(check)
    }

    /// Every batch and entry in the file, as recovery reads them, plus each
    /// entry's own checksum and each document's decoding.
    fn verify_entries(&self, check: &mut CollectionCheck) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let committed = match TxLog::read_committed(dir) {
            Ok(committed) => committed,
            Err(e) => {
                check.add(None, None, format!("transaction log: {e}"));
                Default::default()
            }
        };
        let file = File::open(&self.path).at(&self.path)?;
        let outcome = native::scan(&file, &self.path, &committed, |event| {
            if let ScanEvent::Entry(entry, place) = event {
                let offset = place.offset();
                check.entries += 1;
                let id = Some(entry.id);
                if let Err(reason) = native::parse_entry(entry.raw) {
                    check.add(Some(offset), id, reason);
                    return Ok(());
                }
                match entry.kind {
                    EntryKind::Put => {
                        if let Err(e) = self.codec.decode(entry.id, entry.data) {
                            check.add(
                                Some(offset),
                                id,
                                format!("the document does not decode: {e}"),
                            );
                        }
                    }
                    EntryKind::Meta => {
                        if let Err(e) = serde_json::from_slice::<CollectionMeta>(entry.data) {
                            check.add(
                                Some(offset),
                                None,
                                format!("collection metadata is not valid: {e}"),
                            );
                        }
                    }
                    EntryKind::Delete => {}
                }
            }
            Ok(())
        });
        match outcome {
            Ok(outcome) => {
                if let Some(tail) = outcome.dropped {
                    let reason = format!(
                        "the last {} bytes do not form a whole group of batches ({}): an unfinished write, which the next writer to open the database drops, or damage",
                        tail.bytes, tail.reason
                    );
                    self.locate_damage(&file, tail.offset, reason, check)?;
                }
            }
            // Damage in the middle: the scan cannot go past it; the record
            // check below still reads every live record where it is.
            Err(Error::Corrupt { offset, reason, .. }) => {
                self.locate_damage(&file, offset, reason, check)?;
            }
            Err(other) => return Err(other),
        }
        Ok(())
    }

    /// Reports a batch that failed its checks and, when its header and
    /// length still hold, each entry in it whose own checksum fails: the
    /// record that was hit, not just the batch around it.
    fn locate_damage(
        &self,
        file: &File,
        offset: u64,
        reason: String,
        check: &mut CollectionCheck,
    ) -> Result<()> {
        check.add(Some(offset), None, reason);
        let mut head = [0u8; native::BATCH_HEADER_LEN];
        let n = durable::read_at_most(file, &mut head, offset).at(&self.path)?;
        if n < head.len()
            || native::u32_at(&head, 0) != native::BATCH_MAGIC
            || crc32fast::hash(&head[0..24]) != native::u32_at(&head, 24)
        {
            return Ok(());
        }
        let payload_len = native::u32_at(&head, 12) as usize;
        let payload_at = offset + native::BATCH_HEADER_LEN as u64;
        let mut payload = vec![0u8; payload_len.min(64 << 20)];
        let n = durable::read_at_most(file, &mut payload, payload_at).at(&self.path)?;
        payload.truncate(n);
        if !self.compression().is_none() {
            self.locate_damaged_blocks(&payload, payload_at, check);
            return Ok(());
        }
        let mut at = 0;
        while at + native::ENTRY_HEADER_LEN <= payload.len() {
            let bytes = &payload[at..];
            if let Err(reason) = native::parse_entry(bytes) {
                check.add(Some(payload_at + at as u64), unchecked_id(bytes), reason);
            }
            at = at.saturating_add(native::ENTRY_HEADER_LEN + native::u32_at(bytes, 1) as usize);
        }
        Ok(())
    }

    /// Reports each block of a damaged batch payload that fails its own
    /// checks, as far as the block lengths still lead.
    fn locate_damaged_blocks(&self, payload: &[u8], payload_at: u64, check: &mut CollectionCheck) {
        let mut decompressor = self.block_decompressor();
        let mut raw = Vec::new();
        let mut at = 0;
        while at < payload.len() {
            let Ok(header) = BlockHeader::parse(&payload[at..]) else {
                return;
            };
            if let Err(reason) = decompressor.decode(&payload[at..], &mut raw) {
                check.add(
                    Some(payload_at + at as u64),
                    None,
                    format!("block: {reason}"),
                );
            }
            at = at.saturating_add(header.total_len());
        }
    }

    /// Reads every live record where the table says it is: the entry's
    /// checksum, that it holds this `_id`, that it decodes. Returns the
    /// indexes built afresh from the records read.
    fn verify_records(&self, check: &mut CollectionCheck) -> Result<IndexSet> {
        let mut fresh = IndexSet::new(&self.indexed_fields);
        let mut scan = self.scan();
        for record in self.records.iter() {
            let (slot, record) = match record {
                Ok(record) => record,
                Err(Error::Corrupt {
                    path,
                    offset,
                    reason,
                }) => {
                    check.add(Some(offset), None, format!("{}: {reason}", path.display()));
                    continue;
                }
                Err(other) => return Err(other),
            };
            let mut buf = [0u8; 36];
            let known_id = record.id.map(|id| id.as_str(&mut buf));
            let id = known_id.unwrap_or("?");
            let (offset, bytes) = match record.loc {
                Loc::Pending { offset, len } => {
                    (None, Ok(&self.pending[offset..offset + len as usize]))
                }
                Loc::File { offset, len } => (
                    Some(offset),
                    scan.load(offset, len)
                        .map(|at| &scan.window[at..at + len as usize]),
                ),
                Loc::Block { block, .. } => (Some(block), scan.raw_entry(record.loc)),
            };
            let bytes = match bytes {
                Ok(bytes) => bytes,
                Err(Error::Corrupt { reason, .. }) => {
                    check.add(offset, Some(id), reason);
                    continue;
                }
                Err(other) => return Err(other),
            };
            let entry = match native::parse_entry(bytes) {
                Ok(entry) => entry,
                Err(reason) => {
                    check.add(offset, Some(id), reason);
                    continue;
                }
            };
            let id = known_id.unwrap_or(entry.id);
            if entry.kind != EntryKind::Put || entry.id != id {
                check.add(
                    offset,
                    Some(id),
                    format!(
                        "the record points at a {:?} entry of _id {:?}",
                        entry.kind, entry.id
                    ),
                );
                continue;
            }
            match self.codec.decode(id, entry.data) {
                Ok(doc) => {
                    check.records += 1;
                    fresh.add(slot, &doc);
                }
                Err(e) => check.add(
                    offset,
                    Some(id),
                    format!("the document does not decode: {e}"),
                ),
            }
        }
        Ok(fresh)
    }

    /// Compares the indexes queries use with indexes built from the records
    /// just read: a key missing or extra in either is a problem.
    fn verify_indexes(&self, fresh: &IndexSet, check: &mut CollectionCheck) {
        if self.indexed_fields.is_empty() {
            return;
        }
        let live = match self.indexes() {
            Ok(live) => live,
            Err(e) => {
                check.add(None, None, format!("the indexes cannot be built: {e}"));
                return;
            }
        };
        for field in &self.indexed_fields {
            match (live.get(field), fresh.get(field)) {
                (Some(live), Some(fresh)) => {
                    self.compare_index(field, live, fresh, check);
                    check.indexes += 1;
                }
                _ => check.add(
                    None,
                    None,
                    format!("index {field:?} is defined but missing"),
                ),
            }
        }
    }

    fn compare_index(
        &self,
        field: &str,
        live: &FieldIndex,
        fresh: &FieldIndex,
        check: &mut CollectionCheck,
    ) {
        let mut live = live.entries().peekable();
        let mut fresh = fresh.entries().filter_map(Result::ok).peekable();
        loop {
            if let Some(Err(_)) = live.peek() {
                if let Some(Err(e)) = live.next() {
                    check.add(None, None, format!("index {field:?} cannot be read: {e}"));
                }
                return;
            }
            let order = match (live.peek(), fresh.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(Ok(a)), Some(b)) => a.cmp(b),
                (Some(Err(_)), _) => std::cmp::Ordering::Less,
            };
            match order {
                std::cmp::Ordering::Equal => {
                    live.next();
                    fresh.next();
                }
                std::cmp::Ordering::Less => {
                    if let Some(Ok((_, slot))) = live.next() {
                        let (offset, id) = self.slot_location(slot);
                        check.add(
                            offset,
                            id.as_deref(),
                            format!("index {field:?} holds a key (slot {slot}) that the record does not have"),
                        );
                    }
                }
                std::cmp::Ordering::Greater => {
                    if let Some((_, slot)) = fresh.next() {
                        let (offset, id) = self.slot_location(slot);
                        check.add(
                            offset,
                            id.as_deref(),
                            format!("index {field:?} lacks a key of this record"),
                        );
                    }
                }
            }
        }
    }

    /// Where a slot's record is, for a problem report.
    fn slot_location(&self, slot: u32) -> (Option<u64>, Option<String>) {
        match self.records.slot(slot) {
            Ok(Some(record)) => {
                let mut buf = [0u8; 36];
                let offset = match record.loc {
                    Loc::File { offset, .. } | Loc::Block { block: offset, .. } => Some(offset),
                    Loc::Pending { .. } => None,
                };
                (offset, record.id.map(|id| id.as_str(&mut buf).to_owned()))
            }
            _ => (None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::engine::Document;
    use crate::engine::storage::durable::write_all_at;
    use crate::engine::storage::{BinaryCodec, Compression};

    fn doc(v: serde_json::Value) -> Document {
        match v {
            serde_json::Value::Object(m) => m,
            _ => Document::new(),
        }
    }

    fn collection_with(dir: &Path, docs: &[(&str, serde_json::Value)]) -> Result<NativeCollection> {
        let path = dir.join("c.fdb");
        let mut c = NativeCollection::create(
            &path,
            Arc::new(BinaryCodec),
            vec!["age".to_owned()],
            Compression::None,
        )?;
        for (id, value) in docs {
            c.put(id, &doc(value.clone()))?;
        }
        c.flush(0)?;
        Ok(c)
    }

    fn offset_of(c: &NativeCollection, id: &str) -> u64 {
        let slot = c.find_slot(id).ok().flatten().unwrap_or(u32::MAX);
        match c.records.loc(slot).ok().flatten() {
            Some(Loc::File { offset, .. }) => offset,
            _ => u64::MAX,
        }
    }

    #[test]
    fn a_sound_collection_has_no_problems_and_counts_what_it_checked() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut c = collection_with(
            dir.path(),
            &[("a", json!({"age": 1})), ("b", json!({"age": 2}))],
        )?;
        c.put("a", &doc(json!({"age": 3})))?;
        c.delete("b")?;
        c.flush(0)?;
        let check = c.verify_file("c")?;
        assert_eq!(check.problems, []);
        // Two metas (create), two puts, then a put and a delete.
        assert_eq!((check.entries, check.records, check.indexes), (5, 1, 1));
        Ok(())
    }

    #[test]
    fn a_flipped_byte_in_a_record_is_reported_with_its_offset_and_id() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let c = collection_with(
            dir.path(),
            &[("a", json!({"age": 1})), ("b", json!({"age": 2}))],
        )?;
        let offset = offset_of(&c, "b");
        // The last byte of b's document: its checksum and its batch's fail.
        let len = c.records.loc(1).ok().flatten().map_or(0, |loc| loc.len()) as u64;
        write_all_at(&c.file, &[0xEE], offset + len - 1).at(&c.path)?;
        let check = c.verify_file("c")?;
        let located: Vec<(Option<u64>, Option<&str>)> = check
            .problems
            .iter()
            .map(|p| (p.offset, p.record_id.as_deref()))
            .collect();
        assert!(
            located.contains(&(Some(offset), Some("b"))),
            "{:?}",
            check.problems
        );
        assert!(
            check
                .problems
                .iter()
                .any(|p| p.message.contains("checksum")),
            "{:?}",
            check.problems
        );
        assert_eq!(check.records, 1, "a is still read");
        Ok(())
    }

    #[test]
    fn an_index_out_of_step_with_the_records_is_reported() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut c = collection_with(
            dir.path(),
            &[("a", json!({"age": 1})), ("b", json!({"age": 2}))],
        )?;
        c.indexes()?;
        // Break the built index behind the collection's back.
        if let Some(indexes) = c.indexes.get_mut() {
            indexes.remove(1, &doc(json!({"age": 2})));
            indexes.add(0, &doc(json!({"age": 7})));
        }
        let check = c.verify_file("c")?;
        let messages: Vec<String> = check.problems.iter().map(ToString::to_string).collect();
        let offset_a = offset_of(&c, "a");
        let offset_b = offset_of(&c, "b");
        assert_eq!(
            messages,
            [
                format!(
                    "collection \"c\", offset {offset_b}, record \"b\": index \"age\" lacks a key of this record"
                ),
                format!(
                    "collection \"c\", offset {offset_a}, record \"a\": index \"age\" holds a key (slot 0) that the record does not have"
                ),
            ]
        );
        Ok(())
    }

    #[test]
    fn uncommitted_transaction_batches_are_not_problems() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut c = collection_with(dir.path(), &[("a", json!({"age": 1}))])?;
        c.savepoint();
        c.put("z", &doc(json!({"age": 9})))?;
        // Prepared for transaction 42, which never commits: the batch stays
        // in the file and recovery skips it.
        c.flush(42)?;
        c.rollback_savepoint();
        let reopened =
            NativeCollection::open(&c.path, Arc::new(BinaryCodec), &HashSet::new(), true)?;
        let check = reopened.collection.verify_file("c")?;
        assert_eq!(check.problems, []);
        assert_eq!(check.records, 1);
        Ok(())
    }
}
