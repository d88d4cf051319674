//! Reading a file through once, as opening (recovery), verify and restore
//! do: every batch checked, each group reported whole or discarded, a torn
//! tail told apart from damage in the middle.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use super::batch::{
    BATCH_END_MAGIC, BATCH_HEADER_LEN, BATCH_MAGIC, BATCH_TRAILER_LEN, BatchSeal, FLAG_CONTINUES,
    Place,
};
use super::entry::{EntryKind, EntryRef, parse_entry_covered, u32_at};
use super::header::{FileHeader, HEADER_LEN, read_dictionary};
use crate::engine::storage::compress::{
    BLOCK_HEADER_LEN, BlockBytes, BlockDecompressor, BlockHeader, Dictionary,
    MAX_ENTRY_START_IN_BLOCK,
};
use crate::engine::storage::durable::{read_at_most, read_exact_at};
use crate::error::{Error, Result};

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
    /// Where the groups at the very end that did not count begin, if the
    /// file ends with such groups: a transaction whose commit record may
    /// still be on its way, for a reader following a live file (a group
    /// followed by a counted one was abandoned for good).
    pub trailing_uncommitted: Option<u64>,
    /// The counted blocks of a compressed file, before and after compression.
    pub blocks: BlockBytes,
    /// The file's dictionary (a version 3 file).
    pub dictionary: Option<Dictionary>,
    /// Where the batches start: after the header and any dictionary.
    pub data_start: u64,
    /// The file's first batch, when the scan started there and it is whole.
    pub first_batch: Option<BatchSeal>,
    /// The batch that ends at `end` (`None`: the scan read no whole group).
    pub last_batch: Option<BatchSeal>,
    /// The header's bytes as stored (magic to checksum).
    pub header_bytes: [u8; HEADER_LEN as usize],
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
    visit: impl FnMut(ScanEvent<'_>) -> Result<()>,
) -> Result<ScanOutcome> {
    scan_from(file, path, committed_txns, None, visit)
}

/// Like [`scan`], starting at `start` instead of the first batch: the end
/// of a batch the caller already knows (a checkpoint's covered position),
/// so only the log after it is read.
pub fn scan_from(
    file: &File,
    path: &Path,
    committed_txns: &HashSet<u64>,
    start: Option<u64>,
    visit: impl FnMut(ScanEvent<'_>) -> Result<()>,
) -> Result<ScanOutcome> {
    scan_between(file, path, committed_txns, start, None, visit)
}

/// Like [`scan_from`], reading nothing at or after `limit` (a position
/// the caller knows to end a batch): what a follower already knows the
/// state at, when more was appended since.
pub fn scan_between(
    file: &File,
    path: &Path,
    committed_txns: &HashSet<u64>,
    start: Option<u64>,
    limit: Option<u64>,
    mut visit: impl FnMut(ScanEvent<'_>) -> Result<()>,
) -> Result<ScanOutcome> {
    let FileStart {
        header,
        header_bytes,
        dictionary,
        data_start,
        file_len,
    } = read_start(file, path)?;
    let file_len = limit.map_or(file_len, |limit| limit.min(file_len));

    let mut pos = start.unwrap_or(data_start).max(data_start);
    let mut first_batch = None;
    let mut last_batch = None;
    let mut seal_before_group = None;
    let mut payload = Vec::new();
    let mut decompressor = (!header.compression.is_none())
        .then(|| BlockDecompressor::with_dictionary(header.compression, dictionary.clone()));
    let mut raw = Vec::new();
    let mut blocks = BlockBytes::default();
    let mut in_group = false;
    let mut group_start = pos;
    let mut uncommitted_bytes = 0;
    let mut trailing_uncommitted = None;
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
            seal_before_group = last_batch;
            visit(ScanEvent::GroupStart)?;
        }
        if pos == data_start {
            first_batch = Some(batch.seal);
        }
        last_batch = Some(batch.seal);
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
            if counts {
                trailing_uncommitted = None;
            } else {
                uncommitted_bytes += pos - group_start;
                trailing_uncommitted = trailing_uncommitted.or(Some(group_start));
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
        last_batch = seal_before_group;
    } else if let Some(d) = &dropped {
        end = d.offset;
    }
    Ok(ScanOutcome {
        header,
        end,
        dropped,
        uncommitted_bytes,
        trailing_uncommitted,
        blocks,
        dictionary,
        data_start,
        first_batch,
        last_batch,
        header_bytes,
    })
}

/// What precedes a file's batches.
pub struct FileStart {
    pub header: FileHeader,
    /// The header as stored (magic to checksum).
    pub header_bytes: [u8; HEADER_LEN as usize],
    pub dictionary: Option<Dictionary>,
    /// Where the batches start.
    pub data_start: u64,
    pub file_len: u64,
}

/// Reads and checks a file's header and any dictionary.
pub fn read_start(file: &File, path: &Path) -> Result<FileStart> {
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
    Ok(FileStart {
        header,
        header_bytes: head,
        dictionary,
        data_start,
        file_len,
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
    framed.resize(BLOCK_HEADER_LEN, 0);
    read_exact_at(file, framed, offset).map_err(|e| Error::io(path, e))?;
    let header = BlockHeader::parse(framed).map_err(corrupt)?;
    if offset.saturating_add(header.total_len() as u64) > end {
        return Err(corrupt("block runs past the end of the file".to_owned()));
    }
    framed.resize(header.total_len(), 0);
    read_exact_at(
        file,
        &mut framed[BLOCK_HEADER_LEN..],
        offset + BLOCK_HEADER_LEN as u64,
    )
    .map_err(|e| Error::io(path, e))?;
    Ok(header)
}

struct BatchInfo {
    flags: u32,
    entry_count: u32,
    txn: u64,
    total_len: u64,
    seal: BatchSeal,
}

/// The first group of a collection file, as a follower that finds the
/// file replaced needs it: whether the new file continues the old one
/// (its first Meta entry says so) and where that snapshot ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstGroup {
    /// The data of the group's first entry, if it is a Meta entry.
    pub meta: Option<Vec<u8>>,
    /// Whether the group holds entries besides that first one.
    pub more_entries: bool,
    /// Where the group ends (`None`: its last batch is not in the file).
    pub end: Option<u64>,
}

/// Reads a file's first group: its first batch whole (checked), then only
/// the headers of the batches that continue it.
pub fn first_group(file: &File, path: &Path) -> Result<FirstGroup> {
    let start = read_start(file, path)?;
    let corrupt = |offset: u64, reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let mut payload = Vec::new();
    let batch = read_batch(file, start.data_start, start.file_len, &mut payload)
        .map_err(|reason| corrupt(start.data_start, reason))?;
    let entries_at = start.data_start + BATCH_HEADER_LEN as u64;
    let mut raw = Vec::new();
    let entries = match start.header.compression.is_none() {
        true => &payload[..],
        false => {
            let mut decompressor =
                BlockDecompressor::with_dictionary(start.header.compression, start.dictionary);
            decompressor
                .decode(&payload, &mut raw)
                .map_err(|reason| corrupt(entries_at, reason))?;
            &raw[..]
        }
    };
    let meta = match entries.is_empty() {
        true => None,
        false => {
            let entry =
                parse_entry_covered(entries).map_err(|reason| corrupt(entries_at, reason))?;
            (entry.kind == EntryKind::Meta).then(|| entry.data.to_vec())
        }
    };
    let more_entries = batch.entry_count > 1;
    let after = start.data_start + batch.total_len;
    let end = match batch.flags & FLAG_CONTINUES {
        0 => Some(after),
        _ => group_end(file, path, after)?,
    };
    Ok(FirstGroup {
        meta,
        more_entries: more_entries || end.is_some_and(|end| end > after),
        end,
    })
}

/// Where the group whose batches go on at `at` ends, from batch headers
/// alone (`None`: its last batch is not in the file yet).
pub fn group_end(file: &File, path: &Path, mut at: u64) -> Result<Option<u64>> {
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut head = [0u8; BATCH_HEADER_LEN];
    loop {
        if file_len.saturating_sub(at) < BATCH_HEADER_LEN as u64 {
            return Ok(None);
        }
        read_exact_at(file, &mut head, at).map_err(|e| Error::io(path, e))?;
        if u32_at(&head, 0) != BATCH_MAGIC || crc32fast::hash(&head[0..24]) != u32_at(&head, 24) {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                offset: at,
                reason: "no whole batch header where a group goes on".to_owned(),
            });
        }
        at += (BATCH_HEADER_LEN + BATCH_TRAILER_LEN) as u64 + u64::from(u32_at(&head, 12));
        if u32_at(&head, 4) & FLAG_CONTINUES == 0 {
            return Ok((at <= file_len).then_some(at));
        }
    }
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
        entry_count: u32_at(&head, 8),
        txn,
        total_len,
        seal: BatchSeal {
            offset: pos,
            len: total_len,
            header_crc: u32_at(&head, 24),
            payload_crc: u32_at(&trailer, 0),
        },
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
