//! Entries, the records of the file: put, delete or meta, each with its
//! own checksum (FORMAT.md, `entry` in "A collection file").

use std::fs::File;
use std::path::Path;

use crate::engine::storage::durable::read_exact_at;
use crate::error::{Error, Result};

pub const ENTRY_HEADER_LEN: usize = 9;

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
