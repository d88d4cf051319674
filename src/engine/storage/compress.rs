//! Compressed blocks of a collection file (FORMAT.md, "Compressed files").
//!
//! A compressed file keeps the batches of an uncompressed one, but a batch's
//! payload is a run of blocks, each holding whole entries compressed
//! together. Blocks are small (about [`BLOCK_TARGET`] bytes before
//! compression), so reading one record decompresses one block, not the file.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A block is sealed once its entries reach this many bytes: small enough
/// that a get decompresses little, large enough that field names repeat.
/// (The largest of the codecs' [`Compression::block_target`]s.)
pub const BLOCK_TARGET: usize = 16 * 1024;
/// `raw_len u32 | stored_len u32 | crc32 u32` before each block's bytes.
pub const BLOCK_HEADER_LEN: usize = 12;
/// An entry's place in a block is a `u16`: entries only start below
/// [`BLOCK_TARGET`], so this holds by construction; a file saying otherwise
/// is corrupt.
pub const MAX_ENTRY_START_IN_BLOCK: usize = u16::MAX as usize;
/// Largest block a reader accepts: one entry may be as large as a batch.
pub const MAX_BLOCK_RAW_LEN: usize = 1 << 30;

/// Largest dictionary a rewrite trains: blocks are 8 KiB, so a larger one
/// mostly holds strings no block uses.
pub const DICTIONARY_CAPACITY: usize = 64 * 1024;
/// A dictionary takes at most this share of the records it is trained for
/// (1/`DICTIONARY_SHARE`), so it never costs a small file more than it saves.
pub const DICTIONARY_SHARE: u64 = 100;
/// zstd's trainer refuses to make a smaller dictionary.
const MIN_DICTIONARY_CAPACITY: usize = 1024;
/// Largest dictionary a reader accepts (a damaged length must not make it
/// allocate much).
pub const MAX_DICTIONARY_LEN: usize = 1 << 20;
/// A rewrite trains a dictionary only from at least this many records:
/// fewer are too few samples for zstd's trainer, and too little data to
/// pay for the dictionary's own bytes in the file.
pub const MIN_DICTIONARY_RECORDS: usize = 1_000;
/// At most this many bytes of records are sampled (evenly over the
/// collection) to train a dictionary: zstd advises about 100 times the
/// dictionary's size, and training time grows with it.
pub const MAX_DICTIONARY_SAMPLE_BYTES: usize = 4 * 1024 * 1024;

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
    /// The zstd level a new compressed collection gets when none is chosen.
    pub const ZSTD_DEFAULT_LEVEL: i32 = ZSTD_DEFAULT_LEVEL;
    /// The levels zstd accepts: 1 (fastest) to this (smallest).
    pub const ZSTD_LEVELS: std::ops::RangeInclusive<i32> = 1..=ZSTD_MAX_LEVEL;

    /// Where this codec seals a block. zstd's blocks are half LZ4's: with
    /// the file's dictionary holding what blocks share, 8 KiB compress about
    /// as well as 16 KiB did without one (3.15x against 2.79x on the
    /// benchmark's records), and a get decompresses half as much (21 µs
    /// against 34 µs). LZ4 has no dictionary and needs the context.
    /// Readers take any block size: each block records its own length.
    pub fn block_target(self) -> usize {
        match self {
            Compression::Zstd { .. } => BLOCK_TARGET / 2,
            Compression::None | Compression::Lz4 => BLOCK_TARGET,
        }
    }

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

/// A zstd dictionary trained from a collection's records and stored in its
/// file (FORMAT.md, invariant B4): cheap to clone, shared by every reader
/// of the open collection.
#[derive(Clone, PartialEq, Eq)]
pub struct Dictionary(Arc<[u8]>);

impl fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dictionary({} bytes)", self.0.len())
    }
}

impl Dictionary {
    /// Dictionary bytes read from a file; the error says why zstd refuses
    /// them (so a damaged one is reported when the file opens, not at the
    /// first read of a block).
    pub fn from_stored(bytes: &[u8]) -> std::result::Result<Dictionary, String> {
        if bytes.is_empty() || bytes.len() > MAX_DICTIONARY_LEN {
            return Err(format!(
                "a dictionary of {} bytes (1 to {MAX_DICTIONARY_LEN})",
                bytes.len()
            ));
        }
        zstd::bulk::Decompressor::with_dictionary(bytes)
            .map_err(|e| format!("zstd refuses the dictionary: {e}"))?;
        Ok(Dictionary(bytes.into()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Gathers an even sample of a collection's entries and trains a dictionary
/// from them. Training is an optimisation: too few samples, or a trainer
/// that fails, give no dictionary, and the file is written without one.
#[derive(Debug)]
pub struct DictionaryTrainer {
    /// Take one record in `every`.
    every: usize,
    /// Largest dictionary to train.
    capacity: usize,
    seen: usize,
    data: Vec<u8>,
    sizes: Vec<usize>,
}

impl DictionaryTrainer {
    /// A trainer for `records` records of `bytes` bytes in all; `None` when
    /// they are too few to train from.
    pub fn for_records(records: usize, bytes: u64) -> Option<DictionaryTrainer> {
        if records < MIN_DICTIONARY_RECORDS {
            return None;
        }
        let every = bytes.div_ceil(MAX_DICTIONARY_SAMPLE_BYTES as u64).max(1) as usize;
        let capacity = (bytes / DICTIONARY_SHARE) as usize;
        if capacity < MIN_DICTIONARY_CAPACITY {
            return None;
        }
        Some(DictionaryTrainer {
            every,
            capacity: capacity.min(DICTIONARY_CAPACITY),
            seen: 0,
            data: Vec::with_capacity(MAX_DICTIONARY_SAMPLE_BYTES.min(bytes as usize) + 4096),
            sizes: Vec::new(),
        })
    }

    /// Offers the next record's entry; keeps one in `every`.
    pub fn offer(&mut self, entry: &[u8]) {
        let take = self.seen.is_multiple_of(self.every);
        self.seen += 1;
        if take && self.data.len() + entry.len() <= MAX_DICTIONARY_SAMPLE_BYTES {
            self.data.extend_from_slice(entry);
            self.sizes.push(entry.len());
        }
    }

    /// The trained dictionary, or `None` if zstd could not train one.
    pub fn train(self) -> Option<Dictionary> {
        if self.sizes.len() < MIN_DICTIONARY_RECORDS / 2 {
            return None;
        }
        let trained = zstd::dict::from_continuous(&self.data, &self.sizes, self.capacity).ok()?;
        Dictionary::from_stored(&trained).ok()
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
        Self::with_dictionary(compression, None)
    }

    /// A compressor for a file with a dictionary (zstd only; another codec
    /// ignores it).
    pub fn with_dictionary(
        compression: Compression,
        dictionary: Option<&Dictionary>,
    ) -> std::io::Result<BlockCompressor> {
        let zstd = match (compression, dictionary) {
            (Compression::Zstd { level }, None) => Some(zstd::bulk::Compressor::new(level)?),
            (Compression::Zstd { level }, Some(dictionary)) => {
                let mut zstd = zstd::bulk::Compressor::with_dictionary(level, dictionary.bytes())?;
                // The file holds one dictionary: its id in every frame
                // would be 4 bytes a block for nothing.
                zstd.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false))?;
                Some(zstd)
            }
            (Compression::None | Compression::Lz4, _) => None,
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
    dictionary: Option<Dictionary>,
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
        Self::with_dictionary(compression, None)
    }

    /// A decompressor for a file with a dictionary: zstd digests it once,
    /// when the first block is decompressed.
    pub fn with_dictionary(
        compression: Compression,
        dictionary: Option<Dictionary>,
    ) -> BlockDecompressor {
        BlockDecompressor {
            compression,
            dictionary,
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
        match self.compression {
            Compression::None => {
                raw.clear();
                raw.extend_from_slice(stored);
            }
            Compression::Lz4 => {
                // Not cleared first: resizing the previous block's buffer
                // zero-fills only what it grows by (blocks are about the
                // same size), and the decoder overwrites all of it. Zeroing
                // every block cost about a tenth of an LZ4 scan.
                raw.resize(header.raw_len, 0);
                let n = lz4_flex::block::decompress_into(stored, raw)
                    .map_err(|e| format!("LZ4 block does not decompress: {e}"))?;
                raw.truncate(n);
            }
            Compression::Zstd { .. } => {
                let zstd = match &mut self.zstd {
                    Some(zstd) => zstd,
                    None => {
                        let started = match &self.dictionary {
                            Some(dictionary) => {
                                zstd::bulk::Decompressor::with_dictionary(dictionary.bytes())
                            }
                            None => zstd::bulk::Decompressor::new(),
                        };
                        self.zstd
                            .insert(started.map_err(|e| format!("zstd cannot start: {e}"))?)
                    }
                };
                raw.clear();
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

    /// Entries like a collection's: the same field names, a few words,
    /// numbers that vary.
    fn sample_entries(n: usize) -> Vec<Vec<u8>> {
        let words = [
            "order", "shipped", "late", "refund", "thanks", "box", "today", "please",
        ];
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as usize
        };
        (0..n)
            .map(|i| {
                format!(
                    "{{\"name\":\"customer-{i:06}\",\"status\":\"{}\",\"note\":\"{} {} {} {}\",\"zip\":\"{:05}\",\"balance\":{}}}",
                    ["active", "closed", "pending"][next() % 3],
                    words[next() % 8],
                    words[next() % 8],
                    words[next() % 8],
                    words[next() % 8],
                    next() % 100_000,
                    next() % 1_000_000
                )
                .into_bytes()
            })
            .collect()
    }

    fn trained(entries: &[Vec<u8>]) -> Option<Dictionary> {
        let bytes = entries.iter().map(|e| e.len() as u64).sum();
        let mut trainer = DictionaryTrainer::for_records(entries.len(), bytes)?;
        for entry in entries {
            trainer.offer(entry);
        }
        trainer.train()
    }

    #[test]
    fn a_trained_dictionary_shrinks_a_block_and_only_it_decodes_the_block() {
        let entries = sample_entries(5_000);
        let dictionary = trained(&entries).expect("enough samples to train");
        assert!(dictionary.bytes().len() <= DICTIONARY_CAPACITY);
        let raw: Vec<u8> = entries[100..300].concat();
        let mut plain = Vec::new();
        let mut with_dict = Vec::new();
        let c = Compression::ZSTD;
        let pushed = BlockCompressor::new(c)
            .and_then(|mut w| w.push_block(&raw, &mut plain))
            .and_then(|_| BlockCompressor::with_dictionary(c, Some(&dictionary)))
            .and_then(|mut w| w.push_block(&raw, &mut with_dict));
        assert!(pushed.is_ok());
        assert!(
            with_dict.len() < plain.len(),
            "{} bytes with the dictionary, {} without",
            with_dict.len(),
            plain.len()
        );
        let mut out = Vec::new();
        let decoded = BlockDecompressor::with_dictionary(c, Some(dictionary.clone()))
            .decode(&with_dict, &mut out);
        assert!(decoded.is_ok(), "{decoded:?}");
        assert_eq!(out, raw);
        assert!(
            BlockDecompressor::new(c)
                .decode(&with_dict, &mut out)
                .is_err(),
            "a block needs its dictionary"
        );
        // LZ4 has no dictionary: the setting is ignored.
        let mut lz4 = Vec::new();
        let pushed = BlockCompressor::with_dictionary(Compression::Lz4, Some(&dictionary))
            .and_then(|mut w| w.push_block(&raw, &mut lz4));
        assert!(pushed.is_ok());
        assert!(
            BlockDecompressor::new(Compression::Lz4)
                .decode(&lz4, &mut out)
                .is_ok()
        );
    }

    #[test]
    fn too_few_records_train_no_dictionary() {
        let entries = sample_entries(MIN_DICTIONARY_RECORDS - 1);
        assert!(trained(&entries).is_none());
        assert!(DictionaryTrainer::for_records(10, 1 << 30).is_none());
    }

    #[test]
    fn a_trainer_samples_evenly_and_at_most_its_budget() {
        let bytes = 10 * MAX_DICTIONARY_SAMPLE_BYTES as u64;
        let mut trainer = DictionaryTrainer::for_records(100_000, bytes).expect("trainer");
        let entry = vec![7u8; (bytes / 100_000) as usize];
        for _ in 0..100_000 {
            trainer.offer(&entry);
        }
        assert_eq!(trainer.every, 10);
        assert_eq!(trainer.sizes.len(), 10_000);
        assert!(trainer.data.len() <= MAX_DICTIONARY_SAMPLE_BYTES);
    }

    #[test]
    fn stored_dictionaries_outside_the_limits_are_refused() {
        assert!(Dictionary::from_stored(&[]).is_err());
        assert!(Dictionary::from_stored(&vec![1u8; MAX_DICTIONARY_LEN + 1]).is_err());
    }
}
