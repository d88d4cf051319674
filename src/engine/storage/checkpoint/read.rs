//! Reading a checkpoint: its trailer and footer are read and checked when
//! it opens; every other byte is read a [`CHUNK_LEN`] chunk at a time,
//! checked against the chunk's checksum (itself read a page of the chunk
//! table at a time, checked against the footer), and kept in a small cache
//! of chunks. So opening a checkpoint of any size reads a few kilobytes
//! (the whole chunk table was 560 KB at 10M records), a query
//! holds the few chunks it reads (not the file: through a memory map the
//! kernel maps large folios of page cache around each access, measured at
//! about a megabyte of resident memory per record read), and a damaged byte
//! is never believed.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::layout::{
    CHUNK_LEN, FileIdentity, ID_ENTRY_LEN, INDEX_GROUP, MAGIC, PREAMBLE_LEN, SLOT_LEN,
    SectionEntry, SectionKind, StoredSlot, TRAILER_LEN, Totals, VERSION, bucket, decode_slot,
    id_hash,
};
use crate::engine::storage::durable::read_exact_at;
use crate::engine::storage::native::BatchSeal;
use crate::error::{Error, Result};

/// Why a checkpoint file was not used (it is then ignored and rebuilt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub reason: String,
    /// Whole but not for this build (another format version), rather than
    /// damaged.
    pub stale: bool,
}

impl Rejected {
    fn damaged(reason: impl Into<String>) -> Rejected {
        Rejected {
            reason: reason.into(),
            stale: false,
        }
    }
}

/// Chunks a checkpoint keeps read and checked: 8 MiB at most. A process
/// that answers one query fills only what it reads; one that runs long
/// (Studio, a server) keeps the hot part of the id table and the indexes.
/// Past the bound each new chunk is read into the oldest one's buffer: a
/// walk over the slot table of a million records (16 MiB) then costs no
/// fresh memory (page faults and zeroing were a fifth of a 1% range query).
#[cfg(not(test))]
const CACHED_CHUNKS: usize = 2 * 1024;
/// A few, so that unit tests evict.
#[cfg(test)]
const CACHED_CHUNKS: usize = 4;

/// Recently read chunks, checked, by chunk number; the oldest goes first.
/// And the pages of the chunk table read so far, checked (a page holds the
/// checksums of 1,024 chunks: 4 MiB of sections).
#[derive(Debug, Default)]
struct ChunkCache {
    chunks: HashMap<u64, Box<[u8]>>,
    order: VecDeque<u64>,
    table_pages: Vec<Option<Box<[u8]>>>,
    /// The chunk after the last one read from the file: a miss there is
    /// a walk going forward, and its reads grow (see [`READ_AHEAD_CHUNKS`]).
    next: u64,
    /// Chunks the next read takes if it is a walk's.
    window: u64,
    /// Where a read of several chunks lands before they are checked.
    span: Vec<u8>,
    /// The last chunks a walk read, oldest first, apart from `chunks`: a
    /// walk's chunks are seldom read twice, so a walk over a large section
    /// reuses these few buffers rather than filling the cache with fresh
    /// memory and pushing out the hot chunks of lookups.
    walked: VecDeque<(u64, Box<[u8]>)>,
    /// Reads of chunks from the file so far (tests count them).
    file_reads: u64,
}

/// Chunks a walk keeps: the last two reads' worth.
const WALKED_CHUNKS: usize = 2 * READ_AHEAD_CHUNKS as usize;

impl ChunkCache {
    fn get(&self, chunk: u64) -> Option<&[u8]> {
        match self.chunks.get(&chunk) {
            Some(bytes) => Some(bytes),
            None => self
                .walked
                .iter()
                .find(|(c, _)| *c == chunk)
                .map(|(_, bytes)| &bytes[..]),
        }
    }

    fn holds(&self, chunk: u64) -> bool {
        self.get(chunk).is_some()
    }

    /// Keeps a copy of `bytes` as chunk `chunk`, in the walk's buffers or
    /// the cache. Past its bound the oldest chunk outside `keep` goes and
    /// its buffer is reused (a read longer than the bound grows it for a
    /// moment: the caller needs all of its chunks).
    fn keep(&mut self, chunk: u64, bytes: &[u8], walking: bool, keep: &RangeInclusive<u64>) {
        let buffer = match walking {
            true => (self.walked.len() >= WALKED_CHUNKS)
                .then(|| self.walked.iter().position(|(c, _)| !keep.contains(c)))
                .flatten()
                .and_then(|position| self.walked.remove(position))
                .map(|(_, buffer)| buffer),
            false => (self.order.len() >= CACHED_CHUNKS)
                .then(|| self.order.iter().position(|c| !keep.contains(c)))
                .flatten()
                .and_then(|position| self.order.remove(position))
                .and_then(|old| self.chunks.remove(&old)),
        };
        let mut copy = match buffer {
            Some(buffer) if buffer.len() == bytes.len() => buffer,
            _ => vec![0u8; bytes.len()].into_boxed_slice(),
        };
        copy.copy_from_slice(bytes);
        match walking {
            true => self.walked.push_back((chunk, copy)),
            false => {
                self.order.push_back(chunk);
                self.chunks.insert(chunk, copy);
            }
        }
    }
}

/// Chunks read at most in one system call by a walk forward (a slot table
/// read in slot order, an index section in key order): 64 KiB. A 1% range
/// query over a million records read 3,600 chunks one call at a time, a
/// sixth of its time. The window starts at one chunk and doubles on each
/// miss that continues the last read, so a lone lookup still reads 4 KiB.
const READ_AHEAD_CHUNKS: u64 = 16;

/// An open checkpoint whose frame checked out.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    file: File,
    len: u64,
    pub identity: FileIdentity,
    pub totals: Totals,
    pub seed: u64,
    pub definitions: Vec<String>,
    sections: Vec<SectionEntry>,
    sections_end: u64,
    chunk_count: u64,
    /// The checksum of each page of the chunk table.
    table_page_crcs: Vec<u32>,
    cache: Mutex<ChunkCache>,
    /// Set once a chunk failed its checksum: a writer then rebuilds.
    damaged: AtomicBool,
    /// The sections every lookup reads, found once: the slot table, and
    /// the id table with its directory and the directory's bits.
    slots_section: Option<SectionEntry>,
    id_table: Option<(SectionEntry, SectionEntry, u32)>,
}

/// Called with an index record's key and its posting list as stored.
pub type StoredRecordVisitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<()> + 'a;

/// Called with an index record's key, its posting list as stored and where
/// it ends in the window read.
type WindowRecordVisitor<'a> = dyn FnMut(&[u8], &[u8], usize) -> Result<()> + 'a;

/// Footer bytes before the section table.
const FOOTER_FIXED: usize = 32 + 2 * 24 + 8 * 8 + 4 + 4;

/// One index section: a heap of `(key, postings)` records in key order and
/// the heap offset of every [`INDEX_GROUP`]th record.
#[derive(Debug, Clone, Copy)]
pub struct IndexSection {
    entry: SectionEntry,
    pub keys: u64,
    heap_len: u64,
    groups: u64,
}

/// One record of an index section.
#[derive(Debug, Clone)]
pub struct IndexRecord {
    pub key: Vec<u8>,
    pub postings: Vec<u8>,
    /// The heap offset of the next record.
    pub next: u64,
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

fn seal_at(bytes: &[u8], at: usize) -> BatchSeal {
    BatchSeal {
        offset: u64_at(bytes, at),
        len: u64_at(bytes, at + 8),
        header_crc: u32_at(bytes, at + 16),
        payload_crc: u32_at(bytes, at + 20),
    }
}

impl Checkpoint {
    /// Opens and checks the frame of the checkpoint at `path`: `Ok(None)`
    /// when there is none, `Err` with the reason when it cannot be used.
    pub fn open(path: &Path) -> std::result::Result<Option<Checkpoint>, Rejected> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Rejected::damaged(format!("cannot be opened: {e}"))),
        };
        Checkpoint::from_file(path, file).map(Some)
    }

    fn from_file(path: &Path, file: File) -> std::result::Result<Checkpoint, Rejected> {
        let reject = |reason: &str| Err(Rejected::damaged(reason.to_owned()));
        let unreadable = |e: std::io::Error| Rejected::damaged(format!("cannot be read: {e}"));
        let len = file.metadata().map_err(unreadable)?.len();
        if len < PREAMBLE_LEN + TRAILER_LEN {
            return reject("not a checkpoint file (too short)");
        }
        let mut preamble = [0u8; PREAMBLE_LEN as usize];
        read_exact_at(&file, &mut preamble, 0).map_err(unreadable)?;
        if preamble[..8] != MAGIC {
            return reject("not a checkpoint file (no magic)");
        }
        let version = u32_at(&preamble, 8);
        if version != VERSION {
            return Err(Rejected {
                reason: format!(
                    "written by another version of FluxDB (checkpoint version {version}, this build reads {VERSION})"
                ),
                stale: true,
            });
        }
        let mut trailer = [0u8; TRAILER_LEN as usize];
        read_exact_at(&file, &mut trailer, len - TRAILER_LEN).map_err(unreadable)?;
        if trailer[8..] != MAGIC {
            return reject("cut short (no end marker)");
        }
        let footer_len = u64::from(u32_at(&trailer, 0));
        if footer_len < FOOTER_FIXED as u64 || footer_len + TRAILER_LEN + PREAMBLE_LEN > len {
            return reject("cut short (footer length out of range)");
        }
        let footer_start = len - TRAILER_LEN - footer_len;
        let mut footer = vec![0u8; footer_len as usize];
        read_exact_at(&file, &mut footer, footer_start).map_err(unreadable)?;
        let footer = footer.as_slice();
        if crc32fast::hash(footer) != u32_at(&trailer, 4) {
            return reject("footer checksum mismatch");
        }
        let mut header = [0u8; 32];
        header.copy_from_slice(&footer[..32]);
        let identity = FileIdentity {
            header,
            first: seal_at(footer, 32),
            last: seal_at(footer, 56),
        };
        let at = 80;
        let totals = Totals {
            slots: u64_at(footer, at),
            live: u64_at(footer, at + 8),
            live_bytes: u64_at(footer, at + 16),
            blocks_raw: u64_at(footer, at + 24),
            blocks_stored: u64_at(footer, at + 32),
        };
        let seed = u64_at(footer, at + 40);
        let sections_end = u64_at(footer, at + 48);
        let chunk_count = u64_at(footer, at + 56);
        let table_pages = u32_at(footer, at + 64) as usize;
        let section_count = u32_at(footer, at + 68) as usize;
        if footer.len() != FOOTER_FIXED + section_count * 24 + table_pages * 4 {
            return reject("footer length does not match its section and page counts");
        }
        if chunk_count != sections_end.div_ceil(CHUNK_LEN)
            || sections_end.checked_add(chunk_count * 4) != Some(footer_start)
            || table_pages as u64 != (chunk_count * 4).div_ceil(CHUNK_LEN)
        {
            return reject("chunk table does not match the file's length");
        }
        let pages_at = FOOTER_FIXED + section_count * 24;
        let table_page_crcs: Vec<u32> = (0..table_pages)
            .map(|i| u32_at(footer, pages_at + i * 4))
            .collect();
        let mut sections = Vec::with_capacity(section_count);
        for i in 0..section_count {
            let s = FOOTER_FIXED + i * 24;
            let Some(kind) = SectionKind::from_u32(u32_at(footer, s)) else {
                return reject("unknown section kind");
            };
            let entry = SectionEntry {
                kind,
                index: u32_at(footer, s + 4),
                offset: u64_at(footer, s + 8),
                len: u64_at(footer, s + 16),
            };
            if entry.offset < PREAMBLE_LEN
                || entry
                    .offset
                    .checked_add(entry.len)
                    .is_none_or(|e| e > sections_end)
            {
                return reject("a section lies outside the file");
            }
            sections.push(entry);
        }
        if totals.live > totals.slots || totals.slots > u64::from(u32::MAX) {
            return reject("record totals out of range");
        }
        let mut checkpoint = Checkpoint {
            path: path.to_path_buf(),
            file,
            len,
            identity,
            totals,
            seed,
            definitions: Vec::new(),
            sections,
            sections_end,
            chunk_count,
            cache: Mutex::new(ChunkCache {
                table_pages: vec![None; table_page_crcs.len()],
                ..ChunkCache::default()
            }),
            table_page_crcs,
            damaged: AtomicBool::new(false),
            slots_section: None,
            id_table: None,
        };
        let definitions = checkpoint
            .whole_section(SectionKind::Definitions, 0)
            .map_err(|e| Rejected::damaged(e.to_string()))?;
        checkpoint.definitions = serde_json::from_slice(&definitions).map_err(|e| {
            Rejected::damaged(format!("index definitions are not a JSON list: {e}"))
        })?;
        let slots_len = checkpoint
            .section(SectionKind::Slots, 0)
            .map_or(0, |s| s.len);
        let ids_len = checkpoint
            .section(SectionKind::IdEntries, 0)
            .map_or(0, |s| s.len);
        if slots_len != totals.slots * SLOT_LEN as u64
            || ids_len != totals.live * ID_ENTRY_LEN as u64
        {
            return reject("slot or id table does not match the record totals");
        }
        checkpoint.slots_section = checkpoint.section(SectionKind::Slots, 0);
        if let (Some(dir), Some(entries)) = (
            checkpoint.section(SectionKind::IdDirectory, 0),
            checkpoint.section(SectionKind::IdEntries, 0),
        ) {
            let bits = checkpoint
                .section_int::<4>(&dir, 0)
                .map_err(|e| Rejected::damaged(e.to_string()))? as u32;
            if bits > 26 || dir.len != 8 + ((1u64 << bits) + 1) * 4 {
                return reject("id directory size does not match its bits");
            }
            checkpoint.id_table = Some((dir, entries, bits));
        }
        for (i, _) in checkpoint.definitions.iter().enumerate() {
            checkpoint
                .index_section(i)
                .map_err(|e| Rejected::damaged(e.to_string()))?;
        }
        Ok(checkpoint)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a chunk was found damaged (by a read or [`check_all`](Self::check_all)).
    pub fn is_damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// Bytes of the file.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Checks every chunk now (a writer does, before it builds on the
    /// file), without keeping them.
    pub fn check_all(&self) -> Result<()> {
        let mut cache = self.lock_cache();
        let mut chunk = 0;
        while chunk < self.chunk_count {
            let end = (chunk + READ_AHEAD_CHUNKS).min(self.chunk_count);
            self.read_span(&mut cache, chunk..end, end, &mut |_, _, _| {})?;
            chunk = end;
        }
        Ok(())
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, ChunkCache> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn corrupt(&self, offset: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            offset,
            reason: format!(
                "persisted index damaged: {}; it is ignored and rebuilt the next time the folder is opened for writing",
                reason.into()
            ),
        }
    }

    /// The checksum of chunk `chunk`, from its page of the chunk table
    /// (read and checked against the footer the first time).
    fn chunk_crc(&self, cache: &mut ChunkCache, chunk: u64) -> Result<u32> {
        let per_page = CHUNK_LEN / 4;
        let page = (chunk / per_page) as usize;
        if cache.table_pages.get(page).is_some_and(Option::is_none) {
            let table_len = self.chunk_count * 4;
            let start = page as u64 * CHUNK_LEN;
            let mut bytes = vec![0u8; (CHUNK_LEN.min(table_len - start)) as usize];
            read_exact_at(&self.file, &mut bytes, self.sections_end + start)
                .map_err(|e| Error::io(&self.path, e))?;
            if crc32fast::hash(&bytes) != self.table_page_crcs[page] {
                self.damaged.store(true, Ordering::Relaxed);
                return Err(
                    self.corrupt(self.sections_end + start, "chunk table checksum mismatch")
                );
            }
            cache.table_pages[page] = Some(bytes.into_boxed_slice());
        }
        let at = ((chunk % per_page) * 4) as usize;
        cache
            .table_pages
            .get(page)
            .and_then(Option::as_deref)
            .and_then(|bytes| bytes.get(at..at + 4))
            .map(|crc| u32_at(crc, 0))
            .ok_or_else(|| self.corrupt(self.sections_end, "a chunk past the chunk table"))
    }

    /// Reads chunks `span` from the file in one call and hands each to
    /// `keep`, checked. A chunk up to `required_to` that fails its checksum
    /// is an error (and marks the checkpoint damaged); one after it, read
    /// only ahead of need, ends the span quietly: the read that needs it
    /// will report it.
    fn read_span(
        &self,
        cache: &mut ChunkCache,
        span: std::ops::Range<u64>,
        required_to: u64,
        keep: &mut dyn FnMut(&mut ChunkCache, u64, &[u8]),
    ) -> Result<()> {
        let start = span.start * CHUNK_LEN;
        let end = (span.end * CHUNK_LEN).min(self.sections_end);
        cache.file_reads += 1;
        let mut bytes = std::mem::take(&mut cache.span);
        bytes.resize((end - start) as usize, 0);
        let read =
            read_exact_at(&self.file, &mut bytes, start).map_err(|e| Error::io(&self.path, e));
        let checked = read.and_then(|()| {
            for (chunk, piece) in span.zip(bytes.chunks(CHUNK_LEN as usize)) {
                let matches = self
                    .chunk_crc(cache, chunk)
                    .map(|crc| crc == crc32fast::hash(piece));
                match matches {
                    Ok(true) => keep(cache, chunk, piece),
                    _ if chunk > required_to => break,
                    Ok(false) => {
                        self.damaged.store(true, Ordering::Relaxed);
                        return Err(self.corrupt(chunk * CHUNK_LEN, "checksum mismatch"));
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        });
        cache.span = bytes;
        checked
    }

    /// Reads chunk `chunk` into the cache, with the chunks after it that the
    /// caller's read needs (to the end of `protected`, which stay cached)
    /// and, on a walk forward, those it will want next.
    fn load(
        &self,
        cache: &mut ChunkCache,
        chunk: u64,
        protected: RangeInclusive<u64>,
    ) -> Result<()> {
        let walking = chunk == cache.next && chunk > 0;
        cache.window = match walking {
            true => (cache.window * 2).clamp(1, READ_AHEAD_CHUNKS),
            false => 1,
        };
        let wanted_end = (chunk + cache.window)
            .max(protected.end() + 1)
            .min(self.chunk_count);
        let end = (chunk + 1..wanted_end)
            .find(|&c| cache.holds(c))
            .unwrap_or(wanted_end);
        let keep = *protected.start()..=(*protected.end()).max(end - 1);
        self.read_span(
            cache,
            chunk..end,
            *protected.end(),
            &mut |cache, c, piece| {
                cache.keep(c, piece, walking, &keep);
            },
        )?;
        cache.next = end;
        Ok(())
    }

    /// Calls `read` with `[offset, offset + len)` of the sections, every
    /// chunk it touches checked (read from the cache, or from the file and
    /// kept). `read` runs under the cache's lock: it must not read more.
    fn with_bytes<T>(&self, offset: u64, len: u64, read: impl FnOnce(&[u8]) -> T) -> Result<T> {
        let end = offset
            .checked_add(len)
            .filter(|&end| end <= self.sections_end)
            .ok_or_else(|| self.corrupt(offset, "a read past its sections"))?;
        if len == 0 {
            return Ok(read(&[]));
        }
        let (first, last) = (offset / CHUNK_LEN, (end - 1) / CHUNK_LEN);
        let mut cache = self.lock_cache();
        let cache = &mut *cache;
        for chunk in first..=last {
            if !cache.holds(chunk) {
                self.load(cache, chunk, first..=last)?;
            }
        }
        // Every chunk of the span is in the cache now (eviction spares
        // them); a missing one would be a bug, and is an error, never a
        // shorter answer.
        let piece = |c: u64| -> Result<&[u8]> {
            let from = (offset.max(c * CHUNK_LEN) - c * CHUNK_LEN) as usize;
            let to = (end.min((c + 1) * CHUNK_LEN) - c * CHUNK_LEN) as usize;
            cache
                .get(c)
                .and_then(|bytes| bytes.get(from..to))
                .ok_or_else(|| {
                    self.corrupt(c * CHUNK_LEN, "internal: a chunk left the cache mid-read")
                })
        };
        if first == last {
            return Ok(read(piece(first)?));
        }
        let mut joined = Vec::with_capacity(len as usize);
        for c in first..=last {
            joined.extend_from_slice(piece(c)?);
        }
        Ok(read(&joined))
    }

    fn section(&self, kind: SectionKind, index: u32) -> Option<SectionEntry> {
        self.sections
            .iter()
            .find(|s| s.kind == kind && s.index == index)
            .copied()
    }

    fn whole_section(&self, kind: SectionKind, index: u32) -> Result<Vec<u8>> {
        let s = self
            .section(kind, index)
            .ok_or_else(|| self.corrupt(0, format!("no {kind:?} section")))?;
        self.section_bytes(&s, 0, s.len)
    }

    fn in_section(&self, s: &SectionEntry, at: u64, len: u64) -> Result<()> {
        if at.checked_add(len).is_none_or(|end| end > s.len) {
            return Err(self.corrupt(
                s.offset,
                format!("a read past the end of its {:?} section", s.kind),
            ));
        }
        Ok(())
    }

    /// `len` bytes at `at` in section `s`, checked, as a copy.
    fn section_bytes(&self, s: &SectionEntry, at: u64, len: u64) -> Result<Vec<u8>> {
        self.in_section(s, at, len)?;
        self.with_bytes(s.offset + at, len, <[u8]>::to_vec)
    }

    /// The little-endian integer of `N` bytes at `at` in section `s`.
    fn section_int<const N: usize>(&self, s: &SectionEntry, at: u64) -> Result<u64> {
        self.in_section(s, at, N as u64)?;
        self.with_bytes(s.offset + at, N as u64, |bytes| {
            let mut b = [0u8; 8];
            b[..N].copy_from_slice(bytes);
            u64::from_le_bytes(b)
        })
    }

    /// Where the record in `slot` is (`None`: deleted, or past the table).
    pub fn slot(&self, slot: u32) -> Result<StoredSlot> {
        if u64::from(slot) >= self.totals.slots {
            return Ok(None);
        }
        let Some(s) = self.slots_section else {
            return Ok(None);
        };
        let at = u64::from(slot) * SLOT_LEN as u64;
        self.in_section(&s, at, SLOT_LEN as u64)?;
        let mut raw = [0u8; SLOT_LEN];
        self.with_bytes(s.offset + at, SLOT_LEN as u64, |b| raw.copy_from_slice(b))?;
        decode_slot(&raw).map_err(|reason| self.corrupt(s.offset + at, reason))
    }

    /// The slots `[first, first + count)` that the table holds, in order
    /// (`count` is cut at its end).
    pub fn slots(&self, first: u32, count: u32) -> Result<Vec<StoredSlot>> {
        let mut raw = Vec::new();
        self.slot_bytes(first, count, &mut raw)?;
        let table_at = self.slots_section.map_or(0, |s| s.offset);
        raw.chunks_exact(SLOT_LEN)
            .enumerate()
            .map(|(i, bytes)| {
                let mut slot = [0u8; SLOT_LEN];
                slot.copy_from_slice(bytes);
                decode_slot(&slot).map_err(|reason| {
                    let at = (u64::from(first) + i as u64) * SLOT_LEN as u64;
                    self.corrupt(table_at + at, reason)
                })
            })
            .collect()
    }

    /// Appends the stored bytes of slots `[first, first + count)` to `out`
    /// (cut at the table's end): a new checkpoint copies the slots that did
    /// not change rather than decode and encode each.
    pub fn slot_bytes(&self, first: u32, count: u32, out: &mut Vec<u8>) -> Result<()> {
        let end = (u64::from(first) + u64::from(count)).min(self.totals.slots);
        let Some(s) = self.slots_section else {
            return Ok(());
        };
        if u64::from(first) >= end {
            return Ok(());
        }
        let at = u64::from(first) * SLOT_LEN as u64;
        let len = (end - u64::from(first)) * SLOT_LEN as u64;
        self.in_section(&s, at, len)?;
        self.with_bytes(s.offset + at, len, |bytes| out.extend_from_slice(bytes))
    }

    /// Calls `visit` with each slot whose id hashes as `id` does (the
    /// caller tells the real one by reading it), until it returns false.
    pub fn id_candidates(
        &self,
        id: &str,
        visit: &mut dyn FnMut(u32) -> Result<bool>,
    ) -> Result<()> {
        let Some((dir, entries, bits)) = self.id_table else {
            return Ok(());
        };
        let hash = id_hash(self.seed, id);
        let b = bucket(hash, bits) as u64;
        let range = self.section_int::<8>(&dir, 8 + b * 4)?;
        let (start, end) = (range & 0xFFFF_FFFF, range >> 32);
        if start > end || end > self.totals.live {
            return Err(self.corrupt(dir.offset, "id directory out of order"));
        }
        let len = ID_ENTRY_LEN as u64;
        self.in_section(&entries, start * len, (end - start) * len)?;
        // Matches are gathered first: `visit` reads the checkpoint too.
        let mut matches = Vec::new();
        self.with_bytes(entries.offset + start * len, (end - start) * len, |bytes| {
            for pair in bytes.chunks_exact(ID_ENTRY_LEN) {
                match u32_at(pair, 0).cmp(&hash) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => matches.push(u32_at(pair, 4)),
                    std::cmp::Ordering::Greater => break,
                }
            }
        })?;
        for slot in matches {
            if !visit(slot)? {
                break;
            }
        }
        Ok(())
    }

    /// Every `(hash, slot)` of the id table in order (to merge into the next
    /// checkpoint), read sixteen chunks' worth at a time.
    pub fn id_entries(&self) -> impl Iterator<Item = Result<(u32, u32)>> + '_ {
        let section = self.section(SectionKind::IdEntries, 0);
        let total = section.map_or(0, |s| s.len / ID_ENTRY_LEN as u64);
        let mut next = 0u64;
        let mut buffer: Vec<u8> = Vec::new();
        let mut at = 0usize;
        std::iter::from_fn(move || {
            let s = section?;
            if at >= buffer.len() {
                if next >= total {
                    return None;
                }
                let len = ID_ENTRY_LEN as u64;
                let count = (total - next).min(16 * CHUNK_LEN / len);
                match self.section_bytes(&s, next * len, count * len) {
                    Ok(bytes) => buffer = bytes,
                    Err(e) => {
                        next = total;
                        buffer.clear();
                        return Some(Err(e));
                    }
                }
                next += count;
                at = 0;
            }
            let pair = &buffer[at..at + ID_ENTRY_LEN];
            at += ID_ENTRY_LEN;
            Some(Ok((u32_at(pair, 0), u32_at(pair, 4))))
        })
    }

    /// The section of the `i`th indexed field.
    pub fn index_section(&self, i: usize) -> Result<IndexSection> {
        let entry = self
            .section(SectionKind::Index, i as u32)
            .ok_or_else(|| self.corrupt(0, format!("no section for index {i}")))?;
        if entry.len < 16 {
            return Err(self.corrupt(entry.offset, "index section too short"));
        }
        let keys = self.section_int::<8>(&entry, entry.len - 16)?;
        let group = self.section_int::<8>(&entry, entry.len - 8)?;
        let groups = keys.div_ceil(INDEX_GROUP);
        let dir_len = groups.checked_mul(8).filter(|&d| d + 16 <= entry.len);
        let (Some(dir_len), INDEX_GROUP) = (dir_len, group) else {
            return Err(self.corrupt(entry.offset, "index directory does not fit its section"));
        };
        Ok(IndexSection {
            entry,
            keys,
            heap_len: entry.len - 16 - dir_len,
            groups,
        })
    }

    /// The heap offset where group `g` starts.
    fn group_start(&self, ix: &IndexSection, g: u64) -> Result<u64> {
        let offset = self.section_int::<8>(&ix.entry, ix.heap_len + g * 8)?;
        if offset >= ix.heap_len {
            return Err(self.corrupt(ix.entry.offset, "index directory points past its keys"));
        }
        Ok(offset)
    }

    /// The index record at heap offset `at`, `None` at the end.
    pub fn index_record(&self, ix: &IndexSection, at: u64) -> Result<Option<IndexRecord>> {
        if at >= ix.heap_len {
            return Ok(None);
        }
        let lens = self.section_int::<8>(&ix.entry, at)?;
        let (key_len, post_len) = (lens & 0xFFFF_FFFF, lens >> 32);
        let body_end = at + 8 + key_len + post_len;
        if body_end > ix.heap_len {
            return Err(self.corrupt(ix.entry.offset + at, "index record runs past its keys"));
        }
        let mut key = self.section_bytes(&ix.entry, at + 8, key_len + post_len)?;
        let postings = key.split_off(key_len as usize);
        Ok(Some(IndexRecord {
            key,
            postings,
            next: body_end,
        }))
    }

    /// The records from heap offset `at` on that lie within about `window`
    /// bytes (at least one, unless at the end), read in one go: a walk over
    /// many keys takes a lock and a copy per window, not per key.
    pub fn index_records(
        &self,
        ix: &IndexSection,
        at: u64,
        window: u64,
    ) -> Result<Vec<IndexRecord>> {
        if at >= ix.heap_len {
            return Ok(Vec::new());
        }
        let len = window.min(ix.heap_len - at);
        let bytes = self.section_bytes(&ix.entry, at, len)?;
        let mut records = Vec::new();
        whole_index_records(&bytes, &mut |key, postings, end| {
            records.push(IndexRecord {
                key: key.to_vec(),
                postings: postings.to_vec(),
                next: at + end as u64,
            });
            Ok(())
        })?;
        if records.is_empty() {
            // One record larger than the window.
            return Ok(self.index_record(ix, at)?.into_iter().collect());
        }
        Ok(records)
    }

    /// Calls `visit` with the key and the encoded postings of every record
    /// of the index in key order, read a window at a time and handed out
    /// in place (a new checkpoint copies most of them as they are).
    pub fn for_each_index_record(
        &self,
        ix: &IndexSection,
        visit: &mut StoredRecordVisitor<'_>,
    ) -> Result<()> {
        const WINDOW: u64 = 64 * 1024;
        let mut at = 0u64;
        while at < ix.heap_len {
            let bytes = self.section_bytes(&ix.entry, at, WINDOW.min(ix.heap_len - at))?;
            let taken = whole_index_records(&bytes, &mut |key, postings, _| visit(key, postings))?;
            if taken > 0 {
                at += taken as u64;
                continue;
            }
            // One record longer than the window.
            let Some(record) = self.index_record(ix, at)? else {
                break;
            };
            visit(&record.key, &record.postings)?;
            at = record.next;
        }
        Ok(())
    }

    /// The heap offset of the first record whose key is at least `key`
    /// (the heap's length when there is none).
    pub fn index_seek(&self, ix: &IndexSection, key: &[u8]) -> Result<u64> {
        if ix.groups == 0 {
            return Ok(ix.heap_len);
        }
        // The last group whose first key is below `key`: the answer is in it
        // or is the next group's first record.
        let (mut lo, mut hi) = (0u64, ix.groups);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let first = self.group_start(ix, mid)?;
            match self.index_record(ix, first)? {
                Some(record) if record.key.as_slice() < key => lo = mid + 1,
                _ => hi = mid,
            }
        }
        let mut at = match lo {
            0 => return self.group_start(ix, 0),
            g => self.group_start(ix, g - 1)?,
        };
        while let Some(record) = self.index_record(ix, at)? {
            if record.key.as_slice() >= key {
                return Ok(at);
            }
            at = record.next;
        }
        Ok(ix.heap_len)
    }

    /// The records of group `g` (for walking an index backwards).
    pub fn index_group(&self, ix: &IndexSection, g: u64) -> Result<Vec<IndexRecord>> {
        let end = if g + 1 < ix.groups {
            self.group_start(ix, g + 1)?
        } else {
            ix.heap_len
        };
        let mut at = self.group_start(ix, g)?;
        let mut records = Vec::with_capacity(INDEX_GROUP as usize);
        while at < end {
            let Some(record) = self.index_record(ix, at)? else {
                break;
            };
            at = record.next;
            records.push(record);
        }
        Ok(records)
    }

    /// The group holding heap offset `at` (for starting a backwards walk).
    pub fn index_group_of(&self, ix: &IndexSection, at: u64) -> Result<u64> {
        let (mut lo, mut hi) = (0u64, ix.groups);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.group_start(ix, mid)? <= at {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo.saturating_sub(1))
    }
}

/// Calls `visit` with the key, the postings as stored and the end (in
/// `bytes`) of each whole index record from the start of `bytes`, a window
/// of a heap; returns the bytes they take (0: the first record is longer
/// than the window). A record is `key_len u32, post_len u32, key, postings`.
fn whole_index_records(bytes: &[u8], visit: &mut WindowRecordVisitor<'_>) -> Result<usize> {
    let mut pos = 0usize;
    while pos + 8 <= bytes.len() {
        let key_end = pos + 8 + u32_at(bytes, pos) as usize;
        let end = key_end + u32_at(bytes, pos + 4) as usize;
        if end > bytes.len() {
            break;
        }
        visit(&bytes[pos + 8..key_end], &bytes[key_end..end], end)?;
        pos = end;
    }
    Ok(pos)
}

impl IndexSection {
    pub fn groups(&self) -> u64 {
        self.groups
    }

    pub fn heap_len(&self) -> u64 {
        self.heap_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::storage::checkpoint::{
        BatchSeal, CheckpointWriter, FileIdentity, SectionKind, Totals, encode_slot,
    };
    use crate::engine::storage::native::Place;

    /// A checkpoint whose slot table spans many chunks (slot `i` at offset
    /// `i`), with no records otherwise.
    fn checkpoint_of(slots: u32, dir: &Path) -> Checkpoint {
        let path = dir.join("c.checkpoint");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut w = CheckpointWriter::new(&mut out).unwrap();
        w.begin(SectionKind::Definitions, 0).unwrap();
        w.write(b"[]").unwrap();
        w.end();
        w.begin(SectionKind::Slots, 0).unwrap();
        for i in 0..slots {
            w.write(&encode_slot(Some((Place::File(u64::from(i)), 7))))
                .unwrap();
        }
        w.end();
        let seal = BatchSeal {
            offset: 32,
            len: 64,
            header_crc: 1,
            payload_crc: 2,
        };
        let identity = FileIdentity {
            header: [0; 32],
            first: seal,
            last: seal,
        };
        let totals = Totals {
            slots: u64::from(slots),
            ..Totals::default()
        };
        let ids = crate::engine::storage::checkpoint::IdTableWriter::begin(&mut w, 0).unwrap();
        ids.finish(&mut w).unwrap();
        w.finish(&identity, &totals, 9).unwrap();
        drop(out);
        Checkpoint::open(&path).unwrap().unwrap()
    }

    #[test]
    fn the_chunk_table_is_read_a_page_at_a_time_and_a_damaged_page_fails_its_reads() {
        let dir = tempfile::tempdir().unwrap();
        // 16 bytes a slot: 600,000 slots are 2,344 chunks, three table
        // pages; opening reads the first and the last (the definitions and
        // the id table's sections are there), the middle one only checks
        // slots.
        let checkpoint = checkpoint_of(600_000, dir.path());
        let table_start = checkpoint.sections_end;
        assert_eq!(checkpoint.table_page_crcs.len(), 3);
        let slot_of_page = |page: u32| page * 1024 * 256 + 10;
        drop(checkpoint);
        // A byte of the middle page changed: opening succeeds, slots checked
        // by the first page read, those of the middle one fail, however
        // often they are asked for.
        let path = dir.path().join("c.checkpoint");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[(table_start + CHUNK_LEN + 8) as usize] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
        let checkpoint = Checkpoint::open(&path).unwrap().unwrap();
        let expect = |slot: u32| Some((Place::File(u64::from(slot)), 7));
        assert_eq!(
            checkpoint.slot(slot_of_page(0)).unwrap(),
            expect(slot_of_page(0))
        );
        for _ in 0..2 {
            let error = checkpoint.slot(slot_of_page(1)).unwrap_err().to_string();
            assert!(error.contains("chunk table checksum mismatch"), "{error}");
        }
        assert!(checkpoint.is_damaged());
        assert!(checkpoint.check_all().is_err());
    }

    #[test]
    fn reads_longer_than_the_cache_and_reads_after_evictions_see_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        // 16 bytes a slot: 256 a chunk, 40 chunks.
        let checkpoint = checkpoint_of(10_240, dir.path());
        let expect = |first: u32, count: u32| -> Vec<StoredSlot> {
            (first..first + count)
                .map(|i| Some((Place::File(u64::from(i)), 7)))
                .collect()
        };
        // Warm a chunk, then read a span starting in it that needs more
        // chunks than the cache holds: the warm one must not be evicted
        // for the others.
        assert_eq!(checkpoint.slot(300).unwrap(), expect(300, 1)[0]);
        for (first, count) in [(290, 2_000), (0, 10_240), (5_000, 700), (10_000, 240)] {
            assert_eq!(
                checkpoint.slots(first, count).unwrap(),
                expect(first, count)
            );
        }
        for i in (0..10_240).step_by(97) {
            assert_eq!(checkpoint.slot(i).unwrap(), expect(i, 1)[0]);
        }
    }

    #[test]
    fn a_walk_forward_reads_growing_spans_into_a_few_buffers_and_a_bad_chunk_ahead_fails_only_its_reads()
     {
        let dir = tempfile::tempdir().unwrap();
        // 256 slots a chunk: 64 chunks of slots.
        let slots = 64 * 256;
        let checkpoint = checkpoint_of(slots, dir.path());
        let table_at = checkpoint.slots_section.unwrap().offset;
        // A slot may straddle two chunks: the chunk of its last byte.
        let chunk_of =
            |slot: u32| (table_at + u64::from(slot + 1) * SLOT_LEN as u64 - 1) / CHUNK_LEN;
        let touches = |slot: u32, chunk: u64| {
            (table_at + u64::from(slot) * SLOT_LEN as u64) / CHUNK_LEN == chunk
                || chunk_of(slot) == chunk
        };
        let expect = |slot: u32| Some((Place::File(u64::from(slot)), 7));
        let reads_before = checkpoint.lock_cache().file_reads;
        for slot in 0..slots {
            assert_eq!(checkpoint.slot(slot).unwrap(), expect(slot));
        }
        let cache = checkpoint.lock_cache();
        // Spans of 1, 2, 4, 8, then 16 chunks: far fewer reads than chunks.
        let reads = cache.file_reads - reads_before;
        assert!(reads <= 2 + 64 / READ_AHEAD_CHUNKS + 4, "{reads} reads");
        assert!(cache.walked.len() <= WALKED_CHUNKS);
        assert!(cache.chunks.len() <= CACHED_CHUNKS + 1);
        drop(cache);
        drop(checkpoint);

        // A damaged chunk in the middle: a walk reads it ahead of need, but
        // only the slots in it fail, and the checkpoint is marked damaged
        // only when one of them is asked for.
        let bad = 30 * 256 + 5;
        let path = dir.path().join("c.checkpoint");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[(table_at + u64::from(bad) * SLOT_LEN as u64) as usize] ^= 0x01;
        std::fs::write(&path, bytes).unwrap();
        let checkpoint = Checkpoint::open(&path).unwrap().unwrap();
        for slot in 0..slots {
            match touches(slot, chunk_of(bad)) {
                true => {
                    let error = checkpoint.slot(slot).unwrap_err().to_string();
                    assert!(error.contains("checksum mismatch"), "{error}");
                }
                false => {
                    assert_eq!(checkpoint.slot(slot).unwrap(), expect(slot), "slot {slot}");
                    if chunk_of(slot) < chunk_of(bad) {
                        assert!(!checkpoint.is_damaged(), "slot {slot}");
                    }
                }
            }
        }
        assert!(checkpoint.is_damaged());
    }
}
