//! Compressed blocks of a collection file (FORMAT.md, "Compressed files").
//!
//! A compressed file keeps the batches of an uncompressed one, but a batch's
//! payload is a run of blocks, each holding whole entries compressed
//! together. Blocks are small (about [`BLOCK_TARGET`] bytes before
//! compression), so reading one record decompresses one block, not the file.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A block is sealed once its entries reach this many bytes: small enough
/// that a get decompresses little, large enough that field names repeat.
pub const BLOCK_TARGET: usize = 16 * 1024;
/// `raw_len u32 | stored_len u32 | crc32 u32` before each block's bytes.
pub const BLOCK_HEADER_LEN: usize = 12;
/// An entry's place in a block is a `u16`: entries only start below
/// [`BLOCK_TARGET`], so this holds by construction; a file saying otherwise
/// is corrupt.
pub const MAX_ENTRY_START_IN_BLOCK: usize = u16::MAX as usize;
/// Largest block a reader accepts: one entry may be as large as a batch.
pub const MAX_BLOCK_RAW_LEN: usize = 1 << 30;

pub const ZSTD_DEFAULT_LEVEL: i32 = 3;
pub const ZSTD_MAX_LEVEL: i32 = 22;

/// How a collection's file is stored: chosen at create time, changed by a
/// rewrite ([`crate::engine::FluxDB::set_compression`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// Entries as they are (the format every FluxDB file had before).
    #[default]
    None,
    /// LZ4 blocks: fast to write and read, smaller files.
    Lz4,
    /// zstd blocks at a level from 1 (fast) to 22 (smallest).
    Zstd { level: i32 },
}

impl Compression {
    /// zstd at its default level.
    pub const ZSTD: Compression = Compression::Zstd {
        level: ZSTD_DEFAULT_LEVEL,
    };

    pub fn is_none(&self) -> bool {
        *self == Compression::None
    }

    /// The header byte: bits 7–6 the algorithm (0 none, 1 LZ4, 2 zstd),
    /// bits 5–0 the level (zstd) or 0.
    pub fn header_byte(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Lz4 => 0x40,
            Compression::Zstd { level } => 0x80 | (level.clamp(1, ZSTD_MAX_LEVEL) as u8),
        }
    }

    /// Reads a header byte; `None` for a value this build does not know.
    pub fn from_header_byte(byte: u8) -> Option<Compression> {
        let level = i32::from(byte & 0x3F);
        match byte >> 6 {
            0 if byte == 0 => Some(Compression::None),
            1 if level == 0 => Some(Compression::Lz4),
            2 if (1..=ZSTD_MAX_LEVEL).contains(&level) => Some(Compression::Zstd { level }),
            _ => None,
        }
    }

    /// Checks a level given by a caller (zstd: 1 to 22).
    pub fn validated(self) -> Result<Compression> {
        match self {
            Compression::Zstd { level } if !(1..=ZSTD_MAX_LEVEL).contains(&level) => {
                Err(Error::LimitExceeded {
                    what: format!("zstd level {level}"),
                    limit: format!("levels 1 to {ZSTD_MAX_LEVEL}"),
                })
            }
            other => Ok(other),
        }
    }
}

/// `none`, `lz4`, `zstd:3`: what the CLI takes and `info` prints.
impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::None => f.write_str("none"),
            Compression::Lz4 => f.write_str("lz4"),
            Compression::Zstd { level } => write!(f, "zstd:{level}"),
        }
    }
}

impl FromStr for Compression {
    type Err = Error;

    /// `none`, `lz4`, `zstd` (level 3) or `zstd:LEVEL` (1 to 22).
    fn from_str(text: &str) -> Result<Compression> {
        let unknown = || Error::UnknownName {
            what: "compression".to_owned(),
            name: text.to_owned(),
            expected: "none, lz4, zstd or zstd:LEVEL (1 to 22)".to_owned(),
        };
        let (name, level) = match text.split_once(':') {
            Some((name, level)) => (name, Some(level)),
            None => (text, None),
        };
        match (name.trim().to_ascii_lowercase().as_str(), level) {
            ("none", None) => Ok(Compression::None),
            ("lz4", None) => Ok(Compression::Lz4),
            ("zstd", None) => Ok(Compression::ZSTD),
            ("zstd", Some(level)) => {
                let level: i32 = level.trim().parse().map_err(|_| unknown())?;
                Compression::Zstd { level }.validated()
            }
            _ => Err(unknown()),
        }
    }
}

impl serde::Serialize for Compression {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Compression {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Bytes before and after compression, summed over blocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockBytes {
    pub raw: u64,
    pub stored: u64,
}

impl BlockBytes {
    pub fn add(&mut self, other: BlockBytes) {
        self.raw += other.raw;
        self.stored += other.stored;
    }

    /// Raw bytes per stored byte (`None` before any block).
    pub fn ratio(self) -> Option<f64> {
        (self.stored > 0).then(|| self.raw as f64 / self.stored as f64)
    }
}

/// Compresses blocks, keeping the codec's context between them.
pub struct BlockCompressor {
    compression: Compression,
    zstd: Option<zstd::bulk::Compressor<'static>>,
    scratch: Vec<u8>,
}

impl fmt::Debug for BlockCompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockCompressor")
            .field("compression", &self.compression)
            .finish()
    }
}

impl BlockCompressor {
    pub fn new(compression: Compression) -> std::io::Result<BlockCompressor> {
        let zstd = match compression {
            Compression::Zstd { level } => Some(zstd::bulk::Compressor::new(level)?),
            Compression::None | Compression::Lz4 => None,
        };
        Ok(BlockCompressor {
            compression,
            zstd,
            scratch: Vec::new(),
        })
    }

    /// Appends `raw` as one framed block (header, compressed bytes) to `out`;
    /// returns the bytes it stored.
    pub fn push_block(&mut self, raw: &[u8], out: &mut Vec<u8>) -> std::io::Result<BlockBytes> {
        let raw_len = u32::try_from(raw.len())
            .ok()
            .filter(|&n| n as usize <= MAX_BLOCK_RAW_LEN)
            .ok_or_else(|| std::io::Error::other(format!("a block of {} bytes", raw.len())))?;
        self.scratch.clear();
        match (self.compression, &mut self.zstd) {
            (Compression::Zstd { .. }, Some(zstd)) => {
                self.scratch
                    .reserve(zstd::zstd_safe::compress_bound(raw.len()));
                zstd.compress_to_buffer(raw, &mut self.scratch)?;
            }
            (Compression::Lz4, _) => {
                self.scratch
                    .resize(lz4_flex::block::get_maximum_output_size(raw.len()), 0);
                let n = lz4_flex::block::compress_into(raw, &mut self.scratch)
                    .map_err(std::io::Error::other)?;
                self.scratch.truncate(n);
            }
            _ => self.scratch.extend_from_slice(raw),
        }
        let stored_len = self.scratch.len() as u32;
        let start = out.len();
        out.extend_from_slice(&raw_len.to_le_bytes());
        out.extend_from_slice(&stored_len.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.scratch);
        let crc = block_crc(&out[start..start + 8], &self.scratch);
        out[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
        Ok(BlockBytes {
            raw: u64::from(raw_len),
            stored: (BLOCK_HEADER_LEN + self.scratch.len()) as u64,
        })
    }
}

/// The checksum of a block covers its two lengths and its stored bytes, so
/// a single block read alone (a get) is checked whole.
fn block_crc(lengths: &[u8], stored: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(lengths);
    hasher.update(stored);
    hasher.finalize()
}

/// A block header as read, before its bytes.
#[derive(Debug, Clone, Copy)]
pub struct BlockHeader {
    pub raw_len: usize,
    pub stored_len: usize,
    crc: u32,
}

impl BlockHeader {
    pub fn parse(bytes: &[u8]) -> std::result::Result<BlockHeader, String> {
        let field = |at: usize| -> std::result::Result<u32, String> {
            let b = bytes
                .get(at..at + 4)
                .ok_or("block header cut short")?
                .try_into()
                .map_err(|_| "block header cut short")?;
            Ok(u32::from_le_bytes(b))
        };
        let header = BlockHeader {
            raw_len: field(0)? as usize,
            stored_len: field(4)? as usize,
            crc: field(8)?,
        };
        if header.raw_len > MAX_BLOCK_RAW_LEN {
            return Err(format!(
                "block says it holds {} bytes (at most {MAX_BLOCK_RAW_LEN})",
                header.raw_len
            ));
        }
        Ok(header)
    }

    /// Header plus stored bytes.
    pub fn total_len(&self) -> usize {
        BLOCK_HEADER_LEN + self.stored_len
    }
}

/// Decompresses blocks, keeping the codec's context between them.
pub struct BlockDecompressor {
    compression: Compression,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

impl fmt::Debug for BlockDecompressor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockDecompressor")
            .field("compression", &self.compression)
            .finish()
    }
}

impl BlockDecompressor {
    pub fn new(compression: Compression) -> BlockDecompressor {
        BlockDecompressor {
            compression,
            zstd: None,
        }
    }

    /// Checks the framed block at the start of `framed` (header and stored
    /// bytes) and decompresses it into `raw`; the error says what is wrong.
    /// Returns the block's header (its length in the file).
    pub fn decode(
        &mut self,
        framed: &[u8],
        raw: &mut Vec<u8>,
    ) -> std::result::Result<BlockHeader, String> {
        let header = BlockHeader::parse(framed)?;
        let stored = framed
            .get(BLOCK_HEADER_LEN..header.total_len())
            .ok_or("block runs past its batch")?;
        if block_crc(&framed[..8], stored) != header.crc {
            return Err("block checksum mismatch".to_owned());
        }
        raw.clear();
        match self.compression {
            Compression::None => raw.extend_from_slice(stored),
            Compression::Lz4 => {
                raw.resize(header.raw_len, 0);
                let n = lz4_flex::block::decompress_into(stored, raw)
                    .map_err(|e| format!("LZ4 block does not decompress: {e}"))?;
                raw.truncate(n);
            }
            Compression::Zstd { .. } => {
                let zstd = match &mut self.zstd {
                    Some(zstd) => zstd,
                    None => self.zstd.insert(
                        zstd::bulk::Decompressor::new()
                            .map_err(|e| format!("zstd cannot start: {e}"))?,
                    ),
                };
                raw.reserve(header.raw_len);
                zstd.decompress_to_buffer(stored, raw)
                    .map_err(|e| format!("zstd block does not decompress: {e}"))?;
            }
        }
        if raw.len() != header.raw_len {
            return Err(format!(
                "block decompresses to {} bytes, its header says {}",
                raw.len(),
                header.raw_len
            ));
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_byte_round_trips_every_setting_and_refuses_unknown_values() {
        let mut settings = vec![Compression::None, Compression::Lz4];
        settings.extend((1..=ZSTD_MAX_LEVEL).map(|level| Compression::Zstd { level }));
        for c in settings {
            assert_eq!(
                Compression::from_header_byte(c.header_byte()),
                Some(c),
                "{c}"
            );
        }
        for bad in [0x01, 0x41, 0x80, 0x80 | 23, 0xC0, 0xFF] {
            assert_eq!(Compression::from_header_byte(bad), None, "{bad:#x}");
        }
    }

    #[test]
    fn names_parse_as_the_cli_writes_them() {
        let cases = [
            ("none", Some(Compression::None)),
            ("lz4", Some(Compression::Lz4)),
            ("LZ4", Some(Compression::Lz4)),
            ("zstd", Some(Compression::ZSTD)),
            ("zstd:19", Some(Compression::Zstd { level: 19 })),
            ("zstd:0", None),
            ("zstd:23", None),
            ("zstd:x", None),
            ("lz4:3", None),
            ("gzip", None),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Compression>().ok(), expected, "{text}");
            if let Some(c) = expected {
                assert_eq!(c.to_string().parse::<Compression>().ok(), Some(c));
            }
        }
    }

    #[test]
    fn a_block_decodes_to_its_bytes_with_each_codec() {
        let raw: Vec<u8> = (0..40_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for c in [Compression::None, Compression::Lz4, Compression::ZSTD] {
            let mut framed = Vec::new();
            let bytes = BlockCompressor::new(c)
                .and_then(|mut w| w.push_block(&raw, &mut framed))
                .map_err(|e| e.to_string());
            assert_eq!(bytes.map(|b| b.stored), Ok(framed.len() as u64), "{c}");
            let mut out = Vec::new();
            let header = BlockDecompressor::new(c)
                .decode(&framed, &mut out)
                .unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(header.total_len(), framed.len(), "{c}");
            assert_eq!(out, raw, "{c}");
        }
    }

    #[test]
    fn every_flipped_byte_of_a_block_is_an_error_not_a_panic() {
        let raw = b"{\"name\": \"a name that repeats\"} ".repeat(40);
        for c in [Compression::Lz4, Compression::Zstd { level: 1 }] {
            let mut framed = Vec::new();
            let pushed = BlockCompressor::new(c).and_then(|mut w| w.push_block(&raw, &mut framed));
            assert!(pushed.is_ok(), "{c}");
            let mut out = Vec::new();
            for i in 0..framed.len() {
                let mut bad = framed.clone();
                bad[i] ^= 0x5A;
                assert!(
                    BlockDecompressor::new(c).decode(&bad, &mut out).is_err(),
                    "{c}: flip at {i}"
                );
            }
            for cut in 0..framed.len() {
                assert!(
                    BlockDecompressor::new(c)
                        .decode(&framed[..cut], &mut out)
                        .is_err()
                );
            }
        }
    }
}
