//! The native collection file: header, batches of entries, recovery.
//!
//! The byte layout and the invariants are in `FORMAT.md` beside this file;
//! every constant here is named there. In short: the file is append-only;
//! a batch is visible only if its header, payload and trailer checksums
//! hold; a group of batches (a large write) only if its last batch is there;
//! a batch of a multi-collection transaction only if the database's
//! transaction log has its commit record.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

use super::compress::{
    BLOCK_TARGET, BlockBytes, BlockCompressor, BlockDecompressor, BlockHeader, Compression,
    Dictionary, MAX_DICTIONARY_LEN, MAX_ENTRY_START_IN_BLOCK,
};
use super::durable::{read_at_most, read_exact_at};

pub const FILE_MAGIC: [u8; 8] = *b"FLUXDB\0C";
/// The version of uncompressed files (unchanged since the first release).
pub const FORMAT_VERSION: u16 = 1;
/// The version of compressed files: a build that knows only version 1
/// refuses them by their version instead of misreading their blocks.
pub const COMPRESSED_FORMAT_VERSION: u16 = 2;
/// The version of zstd files whose blocks use a dictionary stored right
/// after the header: older builds refuse them by their version.
pub const DICTIONARY_FORMAT_VERSION: u16 = 3;
pub const HEADER_LEN: u64 = 32;
/// Marks the dictionary section of a version 3 file.
pub const DICTIONARY_MAGIC: u32 = 0xD1C7_F1D8;
/// `DICTIONARY_MAGIC u32 | dict_len u32 | crc32(dict_len | dict) u32`.
pub const DICTIONARY_HEADER_LEN: usize = 12;

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

pub const ENTRY_HEADER_LEN: usize = 9;

/// What a file holds: a live collection, a one-collection backup, or a
/// backup of a whole database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Collection = 1,
    Backup = 2,
    DatabaseBackup = 3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    pub kind: FileKind,
    pub compression: Compression,
    pub codec: String,
}

impl FileHeader {
    pub fn encode(&self) -> [u8; HEADER_LEN as usize] {
        self.encode_version(if self.compression.is_none() {
            FORMAT_VERSION
        } else {
            COMPRESSED_FORMAT_VERSION
        })
    }

    /// The header followed by the dictionary section (FORMAT.md, B4): a
    /// version 3 file. Without a dictionary, or for a codec other than
    /// zstd, just [`encode`](Self::encode).
    pub fn encode_with_dictionary(&self, dictionary: Option<&Dictionary>) -> Vec<u8> {
        let Some(dictionary) = dictionary.filter(|_| self.supports_dictionary()) else {
            return self.encode().to_vec();
        };
        let dict = dictionary.bytes();
        let mut out = self.encode_version(DICTIONARY_FORMAT_VERSION).to_vec();
        out.reserve(DICTIONARY_HEADER_LEN + dict.len());
        out.extend_from_slice(&DICTIONARY_MAGIC.to_le_bytes());
        let len = (dict.len() as u32).to_le_bytes();
        out.extend_from_slice(&len);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&len);
        crc.update(dict);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(dict);
        out
    }

    /// Only zstd collection files carry a dictionary.
    fn supports_dictionary(&self) -> bool {
        matches!(self.compression, Compression::Zstd { .. }) && self.kind == FileKind::Collection
    }

    fn encode_version(&self, version: u16) -> [u8; HEADER_LEN as usize] {
        let mut h = [0u8; HEADER_LEN as usize];
        h[0..8].copy_from_slice(&FILE_MAGIC);
        h[8..10].copy_from_slice(&version.to_le_bytes());
        h[10] = self.kind as u8;
        h[11] = self.compression.header_byte();
        let name = self.codec.as_bytes();
        let n = name.len().min(16);
        h[12..12 + n].copy_from_slice(&name[..n]);
        let crc = crc32fast::hash(&h[0..28]);
        h[28..32].copy_from_slice(&crc.to_le_bytes());
        h
    }

    pub fn decode(bytes: &[u8], path: &Path) -> Result<FileHeader> {
        Self::decode_versioned(bytes, path).map(|(header, _)| header)
    }

    /// Like [`decode`](Self::decode), also saying whether a dictionary
    /// section follows the header (a version 3 file).
    pub fn decode_versioned(bytes: &[u8], path: &Path) -> Result<(FileHeader, bool)> {
        let corrupt = |reason: &str| Error::Corrupt {
            path: path.to_path_buf(),
            offset: 0,
            reason: reason.to_owned(),
        };
        if bytes.len() < HEADER_LEN as usize {
            return Err(corrupt("file shorter than its 32-byte header"));
        }
        if bytes[0..8] != FILE_MAGIC {
            return Err(corrupt("not a FluxDB native file (no magic)"));
        }
        if crc32fast::hash(&bytes[0..28]) != u32_at(bytes, 28) {
            return Err(corrupt("header checksum mismatch"));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if !(FORMAT_VERSION..=DICTIONARY_FORMAT_VERSION).contains(&version) {
            return Err(corrupt(&format!(
                "format version {version}; this build reads versions {FORMAT_VERSION} to {DICTIONARY_FORMAT_VERSION}"
            )));
        }
        let compression = Compression::from_header_byte(bytes[11])
            .filter(|c| c.is_none() == (version == FORMAT_VERSION))
            .ok_or_else(|| {
                corrupt(&format!(
                    "unknown compression {:#04x} for format version {version}",
                    bytes[11]
                ))
            })?;
        let kind = match bytes[10] {
            1 => FileKind::Collection,
            2 => FileKind::Backup,
            3 => FileKind::DatabaseBackup,
            k => return Err(corrupt(&format!("unknown file kind {k}"))),
        };
        let codec_bytes = &bytes[12..28];
        let end = codec_bytes.iter().position(|&b| b == 0).unwrap_or(16);
        let codec = std::str::from_utf8(&codec_bytes[..end])
            .map_err(|_| corrupt("codec name is not UTF-8"))?
            .to_owned();
        let header = FileHeader {
            kind,
            compression,
            codec,
        };
        let has_dictionary = version == DICTIONARY_FORMAT_VERSION;
        if has_dictionary && !header.supports_dictionary() {
            return Err(corrupt(&format!(
                "format version {version} (a dictionary) for a {:?} file stored with {}",
                header.kind, header.compression
            )));
        }
        Ok((header, has_dictionary))
    }
}

/// Reads and checks the dictionary section at [`HEADER_LEN`]; returns the
/// dictionary and where the batches start. A damaged or cut section is
/// corruption (the file was written whole, by one rename), never a torn
/// tail to drop.
pub fn read_dictionary(file: &File, path: &Path, file_len: u64) -> Result<(Dictionary, u64)> {
    let corrupt = |reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        offset: HEADER_LEN,
        reason: format!("dictionary section: {reason}"),
    };
    let mut head = [0u8; DICTIONARY_HEADER_LEN];
    if file_len < HEADER_LEN + DICTIONARY_HEADER_LEN as u64 {
        return Err(corrupt("cut short".to_owned()));
    }
    read_exact_at(file, &mut head, HEADER_LEN).map_err(|e| Error::io(path, e))?;
    if u32_at(&head, 0) != DICTIONARY_MAGIC {
        return Err(corrupt("no dictionary marker".to_owned()));
    }
    let len = u32_at(&head, 4) as usize;
    if len == 0 || len > MAX_DICTIONARY_LEN {
        return Err(corrupt(format!(
            "says it holds {len} bytes (1 to {MAX_DICTIONARY_LEN})"
        )));
    }
    let data_start = HEADER_LEN + (DICTIONARY_HEADER_LEN + len) as u64;
    if data_start > file_len {
        return Err(corrupt("cut short".to_owned()));
    }
    let mut dict = vec![0u8; len];
    read_exact_at(file, &mut dict, HEADER_LEN + DICTIONARY_HEADER_LEN as u64)
        .map_err(|e| Error::io(path, e))?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&head[4..8]);
    crc.update(&dict);
    if crc.finalize() != u32_at(&head, 8) {
        return Err(corrupt("checksum mismatch".to_owned()));
    }
    let dictionary = Dictionary::from_stored(&dict).map_err(corrupt)?;
    Ok((dictionary, data_start))
}

/// True if the bytes start with the native magic (anything else in a `.fdb`
/// is the Python 0.1 format, which has no header at all).
pub fn has_native_magic(first_bytes: &[u8]) -> bool {
    first_bytes.len() >= 8 && first_bytes[0..8] == FILE_MAGIC
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A whole document (insert or new version).
    Put = 1,
    /// The record with this id is gone.
    Delete = 2,
    /// Collection metadata as JSON (index definitions); the last one wins.
    Meta = 3,
}

impl EntryKind {
    fn from_byte(b: u8) -> Option<EntryKind> {
        match b {
            1 => Some(EntryKind::Put),
            2 => Some(EntryKind::Delete),
            3 => Some(EntryKind::Meta),
            _ => None,
        }
    }
}

/// Appends one entry to a payload buffer and returns its offset in it.
pub fn push_entry(payload: &mut Vec<u8>, kind: EntryKind, id: &str, data: &[u8]) -> Result<usize> {
    let id_len = u16::try_from(id.len()).map_err(|_| Error::LimitExceeded {
        what: format!("an _id of {} bytes", id.len()),
        limit: "65535 bytes".to_owned(),
    })?;
    let body_len = 2 + id.len() + data.len();
    let body_len = u32::try_from(body_len).map_err(|_| Error::LimitExceeded {
        what: format!("an entry of {body_len} bytes"),
        limit: "4 GiB".to_owned(),
    })?;
    let start = payload.len();
    payload.push(kind as u8);
    payload.extend_from_slice(&body_len.to_le_bytes());
    payload.extend_from_slice(&[0; 4]);
    let body_start = payload.len();
    payload.extend_from_slice(&id_len.to_le_bytes());
    payload.extend_from_slice(id.as_bytes());
    payload.extend_from_slice(data);
    let crc = crc32fast::hash(&payload[body_start..]);
    payload[start + 5..start + 9].copy_from_slice(&crc.to_le_bytes());
    Ok(start)
}

/// One entry parsed from bytes whose checksum held.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    pub kind: EntryKind,
    pub id: &'a str,
    pub data: &'a [u8],
    /// Header plus body.
    pub len: usize,
    /// The whole entry as stored (header and body): to copy it unchanged,
    /// or to check its own checksum with [`parse_entry`].
    pub raw: &'a [u8],
}

/// Parses and checks the entry at the start of `bytes`.
pub fn parse_entry(bytes: &[u8]) -> std::result::Result<EntryRef<'_>, String> {
    parse_entry_inner(bytes, true)
}

/// Parses an entry whose bytes a checksum that just held already covers:
/// its batch's (opening a file), or its block's (FORMAT.md, B2: the block
/// checksum covers the stored bytes, and decompression to exactly
/// `raw_len` bytes determines the entries from them). Its own checksum is
/// not computed again; `verify` and [`parse_entry`] still check it.
pub fn parse_entry_covered(bytes: &[u8]) -> std::result::Result<EntryRef<'_>, String> {
    parse_entry_inner(bytes, false)
}

fn parse_entry_inner(bytes: &[u8], verify: bool) -> std::result::Result<EntryRef<'_>, String> {
    if bytes.len() < ENTRY_HEADER_LEN {
        return Err("entry header cut short".to_owned());
    }
    let kind =
        EntryKind::from_byte(bytes[0]).ok_or_else(|| format!("unknown entry kind {}", bytes[0]))?;
    let body_len = u32_at(bytes, 1) as usize;
    let crc = u32_at(bytes, 5);
    let body = bytes
        .get(ENTRY_HEADER_LEN..ENTRY_HEADER_LEN + body_len)
        .ok_or("entry body runs past its batch")?;
    if verify && crc32fast::hash(body) != crc {
        return Err("entry checksum mismatch".to_owned());
    }
    if body.len() < 2 {
        return Err("entry body shorter than its id length".to_owned());
    }
    let id_len = u16::from_le_bytes([body[0], body[1]]) as usize;
    let id_bytes = body
        .get(2..2 + id_len)
        .ok_or("entry id runs past its body")?;
    let id = std::str::from_utf8(id_bytes).map_err(|_| "entry id is not UTF-8")?;
    Ok(EntryRef {
        kind,
        id,
        data: &body[2 + id_len..],
        len: ENTRY_HEADER_LEN + body_len,
        raw: &bytes[..ENTRY_HEADER_LEN + body_len],
    })
}

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

    /// Adds one whole entry (as made by [`push_entry`]); returns where it goes.
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
        self.out.write_all(&header)?;
        self.out.write_all(&self.payload)?;
        self.out.write_all(&batch_trailer(&self.payload))?;
        self.batch_at += (BATCH_HEADER_LEN + self.payload.len() + BATCH_TRAILER_LEN) as u64;
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

/// The part of a file recovery dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedTail {
    pub offset: u64,
    pub bytes: u64,
    pub reason: String,
}

#[derive(Debug)]
pub struct ScanOutcome {
    pub header: FileHeader,
    /// Where the committed data ends; appends go here.
    pub end: u64,
    pub dropped: Option<DroppedTail>,
    /// Bytes of batches skipped because their transaction never committed.
    pub uncommitted_bytes: u64,
    /// The counted blocks of a compressed file, before and after compression.
    pub blocks: BlockBytes,
    /// The file's dictionary (a version 3 file).
    pub dictionary: Option<Dictionary>,
    /// Where the batches start: after the header and any dictionary.
    pub data_start: u64,
}

/// What [`scan`] reports, in file order.
#[derive(Debug, Clone, Copy)]
pub enum ScanEvent<'a> {
    /// A group of batches begins; its entries follow.
    GroupStart,
    /// An entry of the current group, with where it is in the file.
    Entry(EntryRef<'a>, Place),
    /// The current group does not count after all (its transaction never
    /// committed, or the file ends before its last batch): forget its entries.
    GroupDiscarded,
}

/// Reads a whole file once, reporting each batch group and its entries. A
/// torn or corrupt tail is reported in the outcome; a corrupt batch followed
/// by valid ones is an error naming its offset.
///
/// Entries are reported as soon as their batch's checksums hold, so memory
/// stays at one batch whatever the size of a group; the visitor undoes a
/// group on [`ScanEvent::GroupDiscarded`]. Entries are not checksummed again
/// (the batch checksum covers them). In a compressed file each block is
/// checked and decompressed, and its entries are reported in turn.
pub fn scan(
    file: &File,
    path: &Path,
    committed_txns: &HashSet<u64>,
    mut visit: impl FnMut(ScanEvent<'_>) -> Result<()>,
) -> Result<ScanOutcome> {
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut head = [0u8; HEADER_LEN as usize];
    let n = read_at_most(file, &mut head, 0).map_err(|e| Error::io(path, e))?;
    let (header, has_dictionary) = FileHeader::decode_versioned(&head[..n], path)?;
    let (dictionary, data_start) = if has_dictionary {
        let (dictionary, data_start) = read_dictionary(file, path, file_len)?;
        (Some(dictionary), data_start)
    } else {
        (None, HEADER_LEN)
    };

    let mut pos = data_start;
    let mut payload = Vec::new();
    let mut decompressor = (!header.compression.is_none())
        .then(|| BlockDecompressor::with_dictionary(header.compression, dictionary.clone()));
    let mut raw = Vec::new();
    let mut blocks = BlockBytes::default();
    let mut in_group = false;
    let mut group_start = pos;
    let mut uncommitted_bytes = 0;
    let mut dropped = None;
    while pos < file_len {
        let batch = match read_batch(file, pos, file_len, &mut payload) {
            Ok(batch) => batch,
            Err(reason) => {
                if let Some(valid_at) = find_valid_batch_after(file, pos, file_len) {
                    return Err(Error::Corrupt {
                        path: path.to_path_buf(),
                        offset: pos,
                        reason: format!("{reason} (valid data follows at offset {valid_at})"),
                    });
                }
                dropped = Some(DroppedTail {
                    offset: pos,
                    bytes: file_len - pos,
                    reason,
                });
                break;
            }
        };
        if !in_group {
            in_group = true;
            group_start = pos;
            visit(ScanEvent::GroupStart)?;
        }
        let counts = batch.txn == 0 || committed_txns.contains(&batch.txn);
        if counts && let Some(decompressor) = decompressor.as_mut() {
            let payload_offset = pos + BATCH_HEADER_LEN as u64;
            let read = visit_blocks(&payload, payload_offset, decompressor, &mut raw, &mut visit);
            blocks.add(read.map_err(|(offset, reason)| match reason {
                BlockFailure::Corrupt(reason) => Error::Corrupt {
                    path: path.to_path_buf(),
                    offset,
                    reason,
                },
                BlockFailure::Visitor(e) => e,
            })?);
        } else if counts {
            let payload_offset = pos + BATCH_HEADER_LEN as u64;
            let mut at = 0;
            while at < payload.len() {
                let offset = payload_offset + at as u64;
                let entry =
                    parse_entry_covered(&payload[at..]).map_err(|reason| Error::Corrupt {
                        path: path.to_path_buf(),
                        offset,
                        reason,
                    })?;
                visit(ScanEvent::Entry(entry, Place::File(offset)))?;
                at += entry.len;
            }
        }
        pos += batch.total_len;
        if batch.flags & FLAG_CONTINUES == 0 {
            in_group = false;
            if !counts {
                uncommitted_bytes += pos - group_start;
                visit(ScanEvent::GroupDiscarded)?;
            }
        }
    }
    let mut end = pos.min(file_len);
    if in_group {
        // A group whose last batch never arrived: the write did not finish.
        visit(ScanEvent::GroupDiscarded)?;
        let reason = "a multi-batch write without its final batch".to_owned();
        dropped = Some(DroppedTail {
            offset: group_start,
            bytes: file_len - group_start,
            reason: match dropped {
                Some(d) => format!("{reason}; then {}", d.reason),
                None => reason,
            },
        });
        end = group_start;
    } else if let Some(d) = &dropped {
        end = d.offset;
    }
    Ok(ScanOutcome {
        header,
        end,
        dropped,
        uncommitted_bytes,
        blocks,
        dictionary,
        data_start,
    })
}

/// Why reading the blocks of a batch stopped.
enum BlockFailure {
    /// A block (at the offset beside it) is damaged.
    Corrupt(String),
    /// The visitor failed.
    Visitor(Error),
}

/// Checks, decompresses and reports every block of a batch payload that
/// starts at file offset `payload_offset`.
fn visit_blocks(
    payload: &[u8],
    payload_offset: u64,
    decompressor: &mut BlockDecompressor,
    raw: &mut Vec<u8>,
    visit: &mut dyn FnMut(ScanEvent<'_>) -> Result<()>,
) -> std::result::Result<BlockBytes, (u64, BlockFailure)> {
    let mut bytes = BlockBytes::default();
    let mut at = 0;
    while at < payload.len() {
        let block = payload_offset + at as u64;
        let corrupt = |reason: String| (block, BlockFailure::Corrupt(reason));
        let header = decompressor.decode(&payload[at..], raw).map_err(corrupt)?;
        bytes.add(BlockBytes {
            raw: raw.len() as u64,
            stored: header.total_len() as u64,
        });
        let mut in_block = 0;
        while in_block < raw.len() {
            if in_block > MAX_ENTRY_START_IN_BLOCK {
                return Err(corrupt(format!(
                    "an entry starts {in_block} bytes into its block (at most {MAX_ENTRY_START_IN_BLOCK})"
                )));
            }
            let entry = parse_entry_covered(&raw[in_block..])
                .map_err(|reason| corrupt(format!("in a block: {reason}")))?;
            let place = Place::Block {
                block,
                at: in_block as u16,
            };
            visit(ScanEvent::Entry(entry, place)).map_err(|e| (block, BlockFailure::Visitor(e)))?;
            in_block += entry.len;
        }
        at += header.total_len();
    }
    Ok(bytes)
}

/// Reads the framed block at `offset` (header and stored bytes) into
/// `framed`; `end` is where the file's committed data ends, so a damaged
/// length never makes it allocate more than the file holds.
pub fn read_block(
    file: &File,
    path: &Path,
    offset: u64,
    end: u64,
    framed: &mut Vec<u8>,
) -> Result<BlockHeader> {
    let corrupt = |reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    framed.resize(super::compress::BLOCK_HEADER_LEN, 0);
    read_exact_at(file, framed, offset).map_err(|e| Error::io(path, e))?;
    let header = BlockHeader::parse(framed).map_err(corrupt)?;
    if offset.saturating_add(header.total_len() as u64) > end {
        return Err(corrupt("block runs past the end of the file".to_owned()));
    }
    framed.resize(header.total_len(), 0);
    read_exact_at(
        file,
        &mut framed[super::compress::BLOCK_HEADER_LEN..],
        offset + super::compress::BLOCK_HEADER_LEN as u64,
    )
    .map_err(|e| Error::io(path, e))?;
    Ok(header)
}

struct BatchInfo {
    flags: u32,
    txn: u64,
    total_len: u64,
}

/// Reads and checks the batch at `pos` into `payload`.
fn read_batch(
    file: &File,
    pos: u64,
    file_len: u64,
    payload: &mut Vec<u8>,
) -> std::result::Result<BatchInfo, String> {
    let mut head = [0u8; BATCH_HEADER_LEN];
    if file_len - pos < BATCH_HEADER_LEN as u64 {
        return Err("batch header cut short".to_owned());
    }
    read_exact_at(file, &mut head, pos).map_err(|e| e.to_string())?;
    if u32_at(&head, 0) != BATCH_MAGIC {
        return Err("no batch marker".to_owned());
    }
    if crc32fast::hash(&head[0..24]) != u32_at(&head, 24) {
        return Err("batch header checksum mismatch".to_owned());
    }
    let flags = u32_at(&head, 4);
    let payload_len = u32_at(&head, 12) as u64;
    let txn = u64::from_le_bytes(head[16..24].try_into().map_err(|_| "short header")?);
    let total_len = BATCH_HEADER_LEN as u64 + payload_len + BATCH_TRAILER_LEN as u64;
    if file_len - pos < total_len {
        return Err("batch cut short".to_owned());
    }
    payload.resize(payload_len as usize + BATCH_TRAILER_LEN, 0);
    read_exact_at(file, payload, pos + BATCH_HEADER_LEN as u64).map_err(|e| e.to_string())?;
    let trailer = payload.split_off(payload_len as usize);
    if u32_at(&trailer, 4) != BATCH_END_MAGIC {
        return Err("no batch end marker".to_owned());
    }
    if crc32fast::hash(payload) != u32_at(&trailer, 0) {
        return Err("batch checksum mismatch".to_owned());
    }
    Ok(BatchInfo {
        flags,
        txn,
        total_len,
    })
}

/// Looks for a whole, valid batch anywhere after a bad one: if there is one,
/// the damage is in the middle (corruption), not a torn tail.
fn find_valid_batch_after(file: &File, bad_at: u64, file_len: u64) -> Option<u64> {
    let magic = BATCH_MAGIC.to_le_bytes();
    let mut chunk = vec![0u8; 1 << 20];
    let mut payload = Vec::new();
    let mut base = bad_at + 1;
    while base < file_len {
        let n = read_at_most(file, &mut chunk, base).ok()?;
        if n < 4 {
            return None;
        }
        for i in 0..=n - 4 {
            if chunk[i..i + 4] == magic
                && read_batch(file, base + i as u64, file_len, &mut payload).is_ok()
            {
                return Some(base + i as u64);
            }
        }
        base += (n - 3) as u64;
    }
    None
}

/// Reads one entry at `offset`, checking its checksum.
pub fn read_entry(
    file: &File,
    path: &Path,
    offset: u64,
    len: u32,
    buf: &mut Vec<u8>,
) -> Result<()> {
    buf.resize(len as usize, 0);
    read_exact_at(file, buf, offset).map_err(|e| Error::io(path, e))
}

pub(crate) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_zstd_collection_header_says_a_dictionary_follows() {
        let path = Path::new("t.fdb");
        let dictionary = Dictionary::from_stored(b"some raw dictionary content").ok();
        let cases = [
            (FileKind::Collection, Compression::ZSTD, true),
            (FileKind::Collection, Compression::Lz4, false),
            (FileKind::Backup, Compression::ZSTD, false),
            (FileKind::Collection, Compression::None, false),
        ];
        for (kind, compression, has_dictionary) in cases {
            let header = FileHeader {
                kind,
                compression,
                codec: "binary".to_owned(),
            };
            let bytes = header.encode_with_dictionary(dictionary.as_ref());
            let decoded = FileHeader::decode_versioned(&bytes, path).map_err(|e| e.to_string());
            assert_eq!(
                decoded,
                Ok((header.clone(), has_dictionary)),
                "{kind:?} {compression}"
            );
            let expected_len = if has_dictionary {
                HEADER_LEN as usize + DICTIONARY_HEADER_LEN + 27
            } else {
                HEADER_LEN as usize
            };
            assert_eq!(bytes.len(), expected_len, "{kind:?} {compression}");
            // Version 3 with another codec is refused, not misread.
            let mut forged = header.encode();
            forged[8..10].copy_from_slice(&DICTIONARY_FORMAT_VERSION.to_le_bytes());
            let crc = crc32fast::hash(&forged[0..28]);
            forged[28..32].copy_from_slice(&crc.to_le_bytes());
            assert_eq!(
                FileHeader::decode_versioned(&forged, path).is_ok(),
                has_dictionary,
                "{kind:?} {compression}"
            );
        }
    }
}
