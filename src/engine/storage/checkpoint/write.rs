//! Writing a checkpoint front to back in one pass: sections as they come,
//! a checksum per [`CHUNK_LEN`] bytes computed on the way, then the chunk
//! table and the footer (identity, totals, section table, a checksum per
//! page of the chunk table) last, so nothing is held in memory but the
//! chunk checksums and what a section's caller buffers.

use std::io::{self, Write};

use super::layout::{CHUNK_LEN, FileIdentity, MAGIC, SectionEntry, SectionKind, Totals, VERSION};
use crate::engine::storage::native::BatchSeal;

/// Streams one checkpoint file. Call [`begin`](Self::begin), [`write`](Self::write)
/// and [`end`](Self::end) per section, then [`finish`](Self::finish).
pub struct CheckpointWriter<'a, W: Write> {
    out: &'a mut W,
    pos: u64,
    chunk: crc32fast::Hasher,
    chunk_crcs: Vec<u32>,
    sections: Vec<SectionEntry>,
    open: Option<(SectionKind, u32, u64)>,
}

impl<'a, W: Write> CheckpointWriter<'a, W> {
    pub fn new(out: &'a mut W) -> io::Result<CheckpointWriter<'a, W>> {
        let mut writer = CheckpointWriter {
            out,
            pos: 0,
            chunk: crc32fast::Hasher::new(),
            chunk_crcs: Vec::new(),
            sections: Vec::new(),
            open: None,
        };
        let mut preamble = [0u8; 16];
        preamble[..8].copy_from_slice(&MAGIC);
        preamble[8..12].copy_from_slice(&VERSION.to_le_bytes());
        writer.write(&preamble)?;
        Ok(writer)
    }

    /// Starts a section (8-byte aligned, so its integers are too).
    pub fn begin(&mut self, kind: SectionKind, index: u32) -> io::Result<()> {
        let pad = (8 - self.pos % 8) % 8;
        self.write(&[0u8; 8][..pad as usize])?;
        self.open = Some((kind, index, self.pos));
        Ok(())
    }

    /// Where the next byte goes, from the start of the open section.
    pub fn section_pos(&self) -> u64 {
        self.open.map_or(0, |(_, _, start)| self.pos - start)
    }

    pub fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        while !bytes.is_empty() {
            let room = (CHUNK_LEN - self.pos % CHUNK_LEN) as usize;
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.chunk.update(now);
            self.pos += now.len() as u64;
            if self.pos.is_multiple_of(CHUNK_LEN) {
                let done = std::mem::replace(&mut self.chunk, crc32fast::Hasher::new());
                self.chunk_crcs.push(done.finalize());
            }
            bytes = rest;
        }
        Ok(())
    }

    pub fn end(&mut self) {
        if let Some((kind, index, offset)) = self.open.take() {
            self.sections.push(SectionEntry {
                kind,
                index,
                offset,
                len: self.pos - offset,
            });
        }
    }

    /// Writes the chunk table, the footer and the trailer.
    pub fn finish(mut self, identity: &FileIdentity, totals: &Totals, seed: u64) -> io::Result<()> {
        self.end();
        let sections_end = self.pos;
        if !self.pos.is_multiple_of(CHUNK_LEN) {
            let last = std::mem::replace(&mut self.chunk, crc32fast::Hasher::new());
            self.chunk_crcs.push(last.finalize());
        }
        let table: Vec<u8> = self
            .chunk_crcs
            .iter()
            .flat_map(|crc| crc.to_le_bytes())
            .collect();
        self.out.write_all(&table)?;

        let mut footer = Vec::with_capacity(256 + self.sections.len() * 24);
        footer.extend_from_slice(&identity.header);
        for seal in [identity.first, identity.last] {
            put_seal(&mut footer, seal);
        }
        for value in [
            totals.slots,
            totals.live,
            totals.live_bytes,
            totals.blocks_raw,
            totals.blocks_stored,
            seed,
            sections_end,
            self.chunk_crcs.len() as u64,
        ] {
            footer.extend_from_slice(&value.to_le_bytes());
        }
        let pages = table.chunks(CHUNK_LEN as usize);
        footer.extend_from_slice(&(pages.len() as u32).to_le_bytes());
        footer.extend_from_slice(&(self.sections.len() as u32).to_le_bytes());
        for s in &self.sections {
            footer.extend_from_slice(&(s.kind as u32).to_le_bytes());
            footer.extend_from_slice(&s.index.to_le_bytes());
            footer.extend_from_slice(&s.offset.to_le_bytes());
            footer.extend_from_slice(&s.len.to_le_bytes());
        }
        for page in pages {
            footer.extend_from_slice(&crc32fast::hash(page).to_le_bytes());
        }
        self.out.write_all(&footer)?;
        let mut trailer = [0u8; 16];
        trailer[..4].copy_from_slice(&(footer.len() as u32).to_le_bytes());
        trailer[4..8].copy_from_slice(&crc32fast::hash(&footer).to_le_bytes());
        trailer[8..].copy_from_slice(&MAGIC);
        self.out.write_all(&trailer)
    }
}

fn put_seal(out: &mut Vec<u8>, seal: BatchSeal) {
    out.extend_from_slice(&seal.offset.to_le_bytes());
    out.extend_from_slice(&seal.len.to_le_bytes());
    out.extend_from_slice(&seal.header_crc.to_le_bytes());
    out.extend_from_slice(&seal.payload_crc.to_le_bytes());
}

/// Writes the id table: entries `(hash, slot)` pushed in ascending order
/// (section [`SectionKind::IdEntries`]), then the directory of where each
/// hash bucket starts (section [`SectionKind::IdDirectory`]).
pub struct IdTableWriter {
    bits: u32,
    starts: Vec<u32>,
    next_bucket: usize,
    entries: u32,
    last: Option<(u32, u32)>,
}

impl IdTableWriter {
    /// Opens the entries section for `live` records.
    pub fn begin<W: Write>(
        w: &mut CheckpointWriter<'_, W>,
        live: u64,
    ) -> io::Result<IdTableWriter> {
        let bits = super::layout::directory_bits(live);
        w.begin(SectionKind::IdEntries, 0)?;
        Ok(IdTableWriter {
            bits,
            starts: vec![0; (1usize << bits) + 1],
            next_bucket: 0,
            entries: 0,
            last: None,
        })
    }

    pub fn push<W: Write>(
        &mut self,
        w: &mut CheckpointWriter<'_, W>,
        hash: u32,
        slot: u32,
    ) -> io::Result<()> {
        if self.last.is_some_and(|last| last >= (hash, slot)) {
            return Err(io::Error::other("id table entries out of order"));
        }
        self.last = Some((hash, slot));
        let b = super::layout::bucket(hash, self.bits);
        while self.next_bucket <= b {
            self.starts[self.next_bucket] = self.entries;
            self.next_bucket += 1;
        }
        let mut pair = [0u8; 8];
        pair[..4].copy_from_slice(&hash.to_le_bytes());
        pair[4..].copy_from_slice(&slot.to_le_bytes());
        w.write(&pair)?;
        self.entries += 1;
        Ok(())
    }

    /// Closes the entries and writes the directory; returns how many entries.
    pub fn finish<W: Write>(mut self, w: &mut CheckpointWriter<'_, W>) -> io::Result<u64> {
        while self.next_bucket < self.starts.len() {
            self.starts[self.next_bucket] = self.entries;
            self.next_bucket += 1;
        }
        w.end();
        w.begin(SectionKind::IdDirectory, 0)?;
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&self.bits.to_le_bytes());
        w.write(&head)?;
        let starts: Vec<u8> = self.starts.iter().flat_map(|s| s.to_le_bytes()).collect();
        w.write(&starts)?;
        w.end();
        Ok(u64::from(self.entries))
    }
}

/// Writes one index section: `(key, postings)` records pushed in ascending
/// key order, then the sparse directory and the key count.
pub struct IndexSectionWriter {
    keys: u64,
    group_starts: Vec<u64>,
    last_key: Vec<u8>,
}

impl IndexSectionWriter {
    pub fn begin<W: Write>(
        w: &mut CheckpointWriter<'_, W>,
        index: u32,
    ) -> io::Result<IndexSectionWriter> {
        w.begin(SectionKind::Index, index)?;
        Ok(IndexSectionWriter {
            keys: 0,
            group_starts: Vec::new(),
            last_key: Vec::new(),
        })
    }

    pub fn push<W: Write>(
        &mut self,
        w: &mut CheckpointWriter<'_, W>,
        key: &[u8],
        postings: &[u8],
    ) -> io::Result<()> {
        if self.keys > 0 && key <= self.last_key.as_slice() {
            return Err(io::Error::other("index keys out of order"));
        }
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        if self.keys.is_multiple_of(super::layout::INDEX_GROUP) {
            self.group_starts.push(w.section_pos());
        }
        let (Ok(key_len), Ok(post_len)) = (u32::try_from(key.len()), u32::try_from(postings.len()))
        else {
            return Err(io::Error::other("an index key or posting list over 4 GiB"));
        };
        let mut lens = [0u8; 8];
        lens[..4].copy_from_slice(&key_len.to_le_bytes());
        lens[4..].copy_from_slice(&post_len.to_le_bytes());
        w.write(&lens)?;
        w.write(key)?;
        w.write(postings)?;
        self.keys += 1;
        Ok(())
    }

    pub fn finish<W: Write>(self, w: &mut CheckpointWriter<'_, W>) -> io::Result<()> {
        let dir: Vec<u8> = self
            .group_starts
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        w.write(&dir)?;
        w.write(&self.keys.to_le_bytes())?;
        w.write(&super::layout::INDEX_GROUP.to_le_bytes())?;
        w.end();
        Ok(())
    }
}
