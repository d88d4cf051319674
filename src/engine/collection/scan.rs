//! Scanning: every live record in insertion order, read through a large
//! window (a few big reads, not one per record) and, in a compressed
//! file, one decompression per block.

use super::native::NativeCollection;
use super::reads::entry_in_block;
use super::records::{Loc, SlotRef};
use super::store::StoredRecord;
use crate::engine::Document;
use crate::engine::storage::compress::{BLOCK_HEADER_LEN, BlockDecompressor, BlockHeader};
use crate::engine::storage::durable;
use crate::engine::storage::native::{self, EntryRef, Place};
use crate::error::{Error, IoContext, Result};

impl NativeCollection {
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
            locs: Vec::new(),
            locs_start: 0,
        }
    }

    /// Calls `f` with the checked bytes of each live record's entry, in
    /// insertion order (export copies them without decoding).
    pub fn for_each_entry(&self, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let mut scan = self.scan();
        for slot in self.records.iter() {
            f(scan.entry_bytes(slot?.1.loc)?)?;
        }
        Ok(())
    }
}

/// Iterates live records in insertion order (see [`NativeCollection::scan`]).
pub(crate) struct Scan<'a> {
    collection: &'a NativeCollection,
    next_slot: usize,
    pub(super) window: Vec<u8>,
    window_start: u64,
    /// The decompressed block last read (a compressed file), and its offset.
    block: Vec<u8>,
    block_at: Option<u64>,
    decompressor: Option<BlockDecompressor>,
    /// Locations of checkpoint slots read ahead, from slot `locs_start`.
    locs: Vec<Option<Loc>>,
    locs_start: usize,
}

const SCAN_WINDOW: usize = 1 << 20;

impl Scan<'_> {
    /// The bytes of the entry at `loc`, its checksum checked.
    pub(super) fn entry_bytes(&mut self, loc: Loc) -> Result<&[u8]> {
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
    pub(super) fn raw_entry(&mut self, loc: Loc) -> Result<&[u8]> {
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
    pub(super) fn load(&mut self, offset: u64, len: u32) -> Result<usize> {
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
    fn checked_entry(&mut self, id: Option<&str>, loc: Loc) -> Result<EntryRef<'_>> {
        let c = self.collection;
        let offset = loc.error_offset();
        let in_checked_block = matches!(loc, Loc::Block { .. });
        let bytes = self.raw_entry(loc)?;
        c.parse_checked_entry(id, bytes, offset, in_checked_block)
    }

    /// Calls `visit` with each remaining live record as stored, in file
    /// order, until it returns `Ok(false)`.
    pub(super) fn visit_rest(
        &mut self,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        let c = self.collection;
        let base_slots = c.records.base_slots() as usize;
        while self.next_slot < c.records.slot_count() {
            let i = self.next_slot as u32;
            self.next_slot += 1;
            let slot = if self.next_slot <= base_slots {
                // Checkpoint slots are read a batch at a time.
                let at = i as usize;
                if !(self.locs_start..self.locs_start + self.locs.len()).contains(&at) {
                    self.locs = c.records.locs(i, 1024)?;
                    self.locs_start = at;
                }
                match self.locs[at - self.locs_start] {
                    Some(loc) => SlotRef { id: None, loc },
                    None => continue,
                }
            } else {
                match c.records.slot(i)? {
                    Some(slot) => slot,
                    None => continue,
                }
            };
            let mut buf = [0u8; 36];
            let id = slot.id.map(|id| id.as_str(&mut buf));
            let offset = slot.loc.error_offset();
            let entry = self.checked_entry(id, slot.loc)?;
            let record = StoredRecord {
                id: entry.id,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::engine::collection::store::CollectionStore;
    use crate::engine::storage::BinaryCodec;
    use crate::engine::storage::compress::Compression;
    use crate::engine::storage::durable::{read_exact_at, write_all_at};

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
        let slot = c.find_slot(&id(i)).ok().flatten()?;
        c.records.loc(slot).ok().flatten()
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
}
