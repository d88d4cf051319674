//! Batches and groups: entries framed as checksummed batches, a large
//! write as a group of them that counts only once its last batch is whole,
//! and in a compressed file the entries gathered into blocks first
//! (FORMAT.md, `batch` in "A collection file", and "Compressed files").

use super::entry::{parse_entry_covered, u32_at};
use crate::engine::storage::compress::{
    BLOCK_TARGET, BlockBytes, BlockCompressor, Compression, Dictionary,
};
use crate::engine::storage::durable::read_exact_at;

pub const BATCH_MAGIC: u32 = 0xF1D8_BA7C;
pub const BATCH_END_MAGIC: u32 = 0x7CBA_D8F1;
pub const BATCH_HEADER_LEN: usize = 28;
pub const BATCH_TRAILER_LEN: usize = 8;
/// Flag: more batches of the same group follow; the group counts only when
/// its last batch (flag clear) is whole.
pub const FLAG_CONTINUES: u32 = 1;
/// A batch's payload is cut at entry boundaries near this size, so recovery
/// reads bounded chunks whatever the size of one write.
pub const TARGET_BATCH_PAYLOAD: usize = 8 * 1024 * 1024;

/// Frames a payload of whole entries as one batch.
pub fn frame_batch(payload: &[u8], entry_count: u32, flags: u32, txn: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(&batch_header(payload.len(), entry_count, flags, txn));
    out.extend_from_slice(payload);
    out.extend_from_slice(&batch_trailer(payload));
}

/// A batch's header: magic, flags, entry count, payload length, txn and
/// the checksum of those 24 bytes.
fn batch_header(
    payload_len: usize,
    entry_count: u32,
    flags: u32,
    txn: u64,
) -> [u8; BATCH_HEADER_LEN] {
    let mut header = [0u8; BATCH_HEADER_LEN];
    header[0..4].copy_from_slice(&BATCH_MAGIC.to_le_bytes());
    header[4..8].copy_from_slice(&flags.to_le_bytes());
    header[8..12].copy_from_slice(&entry_count.to_le_bytes());
    header[12..16].copy_from_slice(&(payload_len as u32).to_le_bytes());
    header[16..24].copy_from_slice(&txn.to_le_bytes());
    let crc = crc32fast::hash(&header[..24]);
    header[24..28].copy_from_slice(&crc.to_le_bytes());
    header
}

/// A batch's trailer: the payload's checksum and the end magic.
fn batch_trailer(payload: &[u8]) -> [u8; BATCH_TRAILER_LEN] {
    let mut trailer = [0u8; BATCH_TRAILER_LEN];
    trailer[0..4].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    trailer[4..8].copy_from_slice(&BATCH_END_MAGIC.to_le_bytes());
    trailer
}

/// One whole batch of a collection file, as its own checksums name it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct BatchSeal {
    pub offset: u64,
    /// Bytes of the batch, framing included: it ends at `offset + len`.
    pub len: u64,
    /// The batch header's stored checksum.
    pub header_crc: u32,
    /// The batch payload's stored checksum.
    pub payload_crc: u32,
}

impl BatchSeal {
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }

    fn of(offset: u64, len: u64, header: &[u8], trailer: &[u8]) -> BatchSeal {
        BatchSeal {
            offset,
            len,
            header_crc: u32_at(header, 24),
            payload_crc: u32_at(trailer, 0),
        }
    }

    /// Reads the seal of the batch at `offset` from its header and trailer
    /// alone (no payload is read): `None` unless a batch with a valid header
    /// checksum and end marker lies there, whole before `file_len`.
    pub fn read(
        file: &std::fs::File,
        offset: u64,
        file_len: u64,
    ) -> std::io::Result<Option<BatchSeal>> {
        let mut header = [0u8; BATCH_HEADER_LEN];
        if offset.saturating_add(BATCH_HEADER_LEN as u64) > file_len {
            return Ok(None);
        }
        read_exact_at(file, &mut header, offset)?;
        if u32_at(&header, 0) != BATCH_MAGIC
            || crc32fast::hash(&header[..24]) != u32_at(&header, 24)
        {
            return Ok(None);
        }
        let len = (BATCH_HEADER_LEN + BATCH_TRAILER_LEN) as u64 + u64::from(u32_at(&header, 12));
        if offset.saturating_add(len) > file_len {
            return Ok(None);
        }
        let mut trailer = [0u8; BATCH_TRAILER_LEN];
        read_exact_at(file, &mut trailer, offset + len - BATCH_TRAILER_LEN as u64)?;
        if u32_at(&trailer, 4) != BATCH_END_MAGIC {
            return Ok(None);
        }
        Ok(Some(BatchSeal::of(offset, len, &header, &trailer)))
    }
}

/// Where an entry is stored.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// At this file offset (an uncompressed file).
    File(u64),
    /// In the compressed block at file offset `block`, starting `at` bytes
    /// into the block's decompressed bytes.
    Block { block: u64, at: u16 },
}

impl Place {
    /// The file offset errors name: the entry's, or its block's.
    pub fn offset(self) -> u64 {
        match self {
            Place::File(offset) | Place::Block { block: offset, .. } => offset,
        }
    }
}

/// Writes one group of batches: entries go in, batches of about
/// [`TARGET_BATCH_PAYLOAD`] come out, every one but the last flagged
/// CONTINUES, so the group counts only once it is whole. In a compressed
/// file the entries are first gathered into blocks of about
/// [`BLOCK_TARGET`] bytes, and a batch is only cut between blocks.
pub struct GroupWriter<W: std::io::Write> {
    out: W,
    /// File offset where the current batch starts.
    batch_at: u64,
    payload: Vec<u8>,
    count: u32,
    txn: u64,
    /// Set for a compressed file.
    blocks: Option<BlockWriter>,
    /// The last batch written, as its checksums name it.
    last: Option<BatchSeal>,
}

/// The block being filled, and how to seal it.
struct BlockWriter {
    compressor: BlockCompressor,
    /// The codec's [`Compression::block_target`].
    target: usize,
    raw: Vec<u8>,
    /// File offset of the block being filled.
    at: u64,
    written: BlockBytes,
}

impl<W: std::io::Write> GroupWriter<W> {
    /// A group written at file offset `at`, tagged with `txn` (0: none),
    /// into an uncompressed file.
    pub fn new(out: W, at: u64, txn: u64) -> Self {
        GroupWriter {
            out,
            batch_at: at,
            payload: Vec::new(),
            count: 0,
            txn,
            blocks: None,
            last: None,
        }
    }

    /// Like [`new`](Self::new), for a file stored with `compression`.
    pub fn with_compression(
        out: W,
        at: u64,
        txn: u64,
        compression: Compression,
    ) -> std::io::Result<Self> {
        Self::with_dictionary(out, at, txn, compression, None)
    }

    /// Like [`with_compression`](Self::with_compression), its blocks
    /// compressed with the file's dictionary.
    pub fn with_dictionary(
        out: W,
        at: u64,
        txn: u64,
        compression: Compression,
        dictionary: Option<&Dictionary>,
    ) -> std::io::Result<Self> {
        let mut writer = Self::new(out, at, txn);
        if !compression.is_none() {
            writer.blocks = Some(BlockWriter {
                compressor: BlockCompressor::with_dictionary(compression, dictionary)?,
                target: compression.block_target(),
                raw: Vec::with_capacity(BLOCK_TARGET + 4096),
                at: 0,
                written: BlockBytes::default(),
            });
        }
        Ok(writer)
    }

    /// Adds one whole entry (as made by [`push_entry`](super::entry::push_entry)); returns where it goes.
    pub fn push(&mut self, entry: &[u8]) -> std::io::Result<Place> {
        if self.blocks.is_some() {
            return self.push_to_block(entry);
        }
        if !self.payload.is_empty() && self.payload.len() + entry.len() > TARGET_BATCH_PAYLOAD {
            self.write_batch(FLAG_CONTINUES)?;
        }
        let offset = self.batch_at + (BATCH_HEADER_LEN + self.payload.len()) as u64;
        self.payload.extend_from_slice(entry);
        self.count += 1;
        Ok(Place::File(offset))
    }

    fn push_to_block(&mut self, entry: &[u8]) -> std::io::Result<Place> {
        let starts_block = self.blocks.as_ref().is_some_and(|b| b.raw.is_empty());
        if starts_block && self.payload.len() >= TARGET_BATCH_PAYLOAD {
            self.write_batch(FLAG_CONTINUES)?;
        }
        let block_at = self.batch_at + (BATCH_HEADER_LEN + self.payload.len()) as u64;
        let Some(blocks) = self.blocks.as_mut() else {
            return Err(std::io::Error::other("not a compressed group"));
        };
        if starts_block {
            blocks.at = block_at;
        }
        // Holds: a block is sealed once it reaches its target (<= BLOCK_TARGET < u16::MAX).
        let at = u16::try_from(blocks.raw.len())
            .map_err(|_| std::io::Error::other("entry past the end of its block"))?;
        blocks.raw.extend_from_slice(entry);
        self.count += 1;
        let place = Place::Block {
            block: blocks.at,
            at,
        };
        if blocks.raw.len() >= blocks.target {
            self.seal_block()?;
        }
        Ok(place)
    }

    /// Compresses the block being filled into the batch payload.
    fn seal_block(&mut self) -> std::io::Result<()> {
        if let Some(blocks) = self.blocks.as_mut()
            && !blocks.raw.is_empty()
        {
            let bytes = blocks
                .compressor
                .push_block(&blocks.raw, &mut self.payload)?;
            blocks.written.add(bytes);
            blocks.raw.clear();
        }
        Ok(())
    }

    /// Adds every entry of a payload buffer, calling `placed(offset in
    /// payload, where it goes)` for each.
    pub fn push_all(
        &mut self,
        payload: &[u8],
        mut placed: impl FnMut(usize, Place),
    ) -> std::io::Result<()> {
        let mut at = 0;
        while at < payload.len() {
            let len = parse_entry_covered(&payload[at..])
                .map_err(std::io::Error::other)?
                .len;
            placed(at, self.push(&payload[at..at + len])?);
            at += len;
        }
        Ok(())
    }

    fn write_batch(&mut self, flags: u32) -> std::io::Result<()> {
        // Straight to the output: no framed copy of the payload.
        let header = batch_header(self.payload.len(), self.count, flags, self.txn);
        let trailer = batch_trailer(&self.payload);
        self.out.write_all(&header)?;
        self.out.write_all(&self.payload)?;
        self.out.write_all(&trailer)?;
        let len = (BATCH_HEADER_LEN + self.payload.len() + BATCH_TRAILER_LEN) as u64;
        self.last = Some(BatchSeal::of(self.batch_at, len, &header, &trailer));
        self.batch_at += len;
        self.payload.clear();
        self.count = 0;
        Ok(())
    }

    /// Writes the last batch; returns the output and the offset after the group.
    pub fn finish(self) -> std::io::Result<(W, u64)> {
        self.finish_counting().map(|(out, end, _)| (out, end))
    }

    /// Like [`finish`](Self::finish), also returning the bytes its blocks
    /// took before and after compression (zero for an uncompressed file).
    pub fn finish_counting(self) -> std::io::Result<(W, u64, BlockBytes)> {
        self.finish_reusable()
            .map(|(out, end, written, _)| (out, end, written))
    }

    /// Gives the writer `buffer` (emptied) to build its batches in: a
    /// store that writes a group on every flush hands back the one the
    /// last group grew ([`finish_reusable`](Self::finish_reusable)) instead
    /// of growing a fresh one, page fault by page fault, each time.
    /// The last batch written so far (after a finish: the group's last).
    pub fn last_seal(&self) -> Option<BatchSeal> {
        self.last
    }

    /// Writes what is left, keeping the writer (to ask for its
    /// [`last_seal`](Self::last_seal)); returns where the group ends.
    pub fn finish_in_place(&mut self) -> std::io::Result<u64> {
        self.seal_block()?;
        if self.count > 0 {
            self.write_batch(0)?;
        }
        Ok(self.batch_at)
    }

    pub fn with_payload_buffer(mut self, mut buffer: Vec<u8>) -> Self {
        buffer.clear();
        self.payload = buffer;
        self
    }

    /// [`finish_counting`](Self::finish_counting), also handing back the
    /// payload buffer for the next group.
    pub fn finish_reusable(mut self) -> std::io::Result<(W, u64, BlockBytes, Vec<u8>)> {
        self.seal_block()?;
        if self.count > 0 {
            self.write_batch(0)?;
        }
        let written = self.blocks.map(|b| b.written).unwrap_or_default();
        Ok((self.out, self.batch_at, written, self.payload))
    }
}
