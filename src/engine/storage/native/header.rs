//! The file header (magic, version, kind, compression, codec) and the
//! zstd dictionary section that follows it in a version 3 file
//! (FORMAT.md, "A collection file" and "A zstd dictionary (version 3)").

use std::fs::File;
use std::path::Path;

use super::entry::u32_at;
use crate::engine::storage::compress::{Compression, Dictionary, MAX_DICTIONARY_LEN};
use crate::engine::storage::durable::read_exact_at;
use crate::error::{Error, Result};

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
