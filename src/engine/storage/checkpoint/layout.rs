//! The byte layout of a checkpoint: its constants, section kinds, and the
//! encodings of a slot, an id hash and a posting list (FORMAT.md,
//! "Checkpoints", says the same in prose).

use crate::engine::storage::native::{BatchSeal, Place};

/// The first eight bytes and the last eight bytes of a checkpoint file.
pub const MAGIC: [u8; 8] = *b"FLUXDB\0I";
/// Bumped whenever the layout changes: a checkpoint of another version is
/// ignored (and rebuilt by the next writer), never misread. Version 2
/// checks the chunk table a page at a time (a checksum per page in the
/// footer), so opening no longer reads the whole table.
pub const VERSION: u32 = 2;
/// Bytes covered by one checksum of the chunk table; also the bytes of the
/// chunk table covered by one checksum of the footer (a table page).
pub const CHUNK_LEN: u64 = 4 * 1024;
/// Bytes before the first section: magic and version.
pub const PREAMBLE_LEN: u64 = 16;
/// Bytes after the footer: its length, its checksum and the magic.
pub const TRAILER_LEN: u64 = 16;
/// One slot of the slot table.
pub const SLOT_LEN: usize = 16;
/// Keys per group of an index section's sparse directory.
pub const INDEX_GROUP: u64 = 16;
/// One `(hash, slot)` pair of the id table.
pub const ID_ENTRY_LEN: usize = 8;

/// What a section holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// The indexed fields, a JSON array of strings.
    Definitions = 1,
    /// A [`SLOT_LEN`]-byte location per slot, in slot order.
    Slots = 2,
    /// Where each hash bucket starts in the id entries.
    IdDirectory = 3,
    /// `(hash u32, slot u32)` per live record, sorted.
    IdEntries = 4,
    /// One index: its keys in order, each with its slots.
    Index = 5,
}

impl SectionKind {
    pub fn from_u32(kind: u32) -> Option<SectionKind> {
        Some(match kind {
            1 => SectionKind::Definitions,
            2 => SectionKind::Slots,
            3 => SectionKind::IdDirectory,
            4 => SectionKind::IdEntries,
            5 => SectionKind::Index,
            _ => return None,
        })
    }
}

/// Where a section lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionEntry {
    pub kind: SectionKind,
    /// Which index, for [`SectionKind::Index`]; 0 otherwise.
    pub index: u32,
    pub offset: u64,
    pub len: u64,
}

/// Which collection file, and how far into its log, a checkpoint describes.
///
/// A collection file is append-only and replaced only whole, so a file
/// whose header and first batch are these, and which holds this last batch
/// at this offset, has exactly the content the checkpoint was made from up
/// to `last.end()`: every new file starts with a Meta entry holding a random
/// `file_id` (its first batch differs from any other file's), and the last
/// batch's checksums tell apart two copies of one file that grew apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileIdentity {
    /// The collection file's header bytes (magic to header checksum).
    pub header: [u8; 32],
    pub first: BatchSeal,
    pub last: BatchSeal,
}

/// Totals of the records a checkpoint covers, so that opening needs no scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Slots ever used (deleted ones included: slot numbers stay until a
    /// compaction).
    pub slots: u64,
    pub live: u64,
    /// Bytes of the entries of live records.
    pub live_bytes: u64,
    /// Bytes of the file's blocks before and after compression.
    pub blocks_raw: u64,
    pub blocks_stored: u64,
}

/// A slot's location as the checkpoint stores it (`None`: a deleted record).
pub type StoredSlot = Option<(Place, u32)>;

/// Encodes one slot of the slot table.
pub fn encode_slot(slot: StoredSlot) -> [u8; SLOT_LEN] {
    let mut out = [0u8; SLOT_LEN];
    if let Some((place, len)) = slot {
        let (kind, offset, at) = match place {
            Place::File(offset) => (1u8, offset, 0u16),
            Place::Block { block, at } => (2u8, block, at),
        };
        out[0] = kind;
        out[2..4].copy_from_slice(&at.to_le_bytes());
        out[4..8].copy_from_slice(&len.to_le_bytes());
        out[8..16].copy_from_slice(&offset.to_le_bytes());
    }
    out
}

/// Decodes one slot; `Err` for a kind byte that is none of the three.
pub fn decode_slot(bytes: &[u8; SLOT_LEN]) -> Result<StoredSlot, String> {
    let at = u16::from_le_bytes([bytes[2], bytes[3]]);
    let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&bytes[8..16]);
    let offset = u64::from_le_bytes(offset);
    match bytes[0] {
        0 => Ok(None),
        1 => Ok(Some((Place::File(offset), len))),
        2 => Ok(Some((Place::Block { block: offset, at }, len))),
        kind => Err(format!("slot kind {kind} is none of 0, 1, 2")),
    }
}

/// The 32-bit hash of an `_id` filed in the id table: xxh3 (a specified,
/// stable function) seeded per checkpoint, its high half.
pub fn id_hash(seed: u64, id: &str) -> u32 {
    (xxhash_rust::xxh3::xxh3_64_with_seed(id.as_bytes(), seed) >> 32) as u32
}

/// How many high hash bits pick a bucket of the id directory for `live`
/// records: about four entries a bucket.
pub fn directory_bits(live: u64) -> u32 {
    let buckets = (live / 4).max(1).next_power_of_two();
    buckets.trailing_zeros().min(26)
}

/// The bucket of `hash` in a directory of `bits` bits.
pub fn bucket(hash: u32, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (hash >> (32 - bits)) as usize
    }
}

/// A posting list as an index section stores it: one slot as its four
/// bytes, more as a roaring bitmap in its portable serialization (never
/// four bytes long).
pub fn encode_postings(slots: &roaring::RoaringBitmap, out: &mut Vec<u8>) {
    if slots.len() == 1
        && let Some(slot) = slots.min()
    {
        out.extend_from_slice(&slot.to_le_bytes());
    } else {
        // Writing into a Vec cannot fail.
        let _ = slots.serialize_into(&mut *out);
    }
}

/// [`encode_postings`] of sorted, distinct slots (one slot needs no bitmap).
pub fn encode_sorted_postings(slots: &[u32], out: &mut Vec<u8>) {
    if let [slot] = slots {
        out.extend_from_slice(&slot.to_le_bytes());
        return;
    }
    let set = roaring::RoaringBitmap::from_sorted_iter(slots.iter().copied())
        .unwrap_or_else(|_| slots.iter().copied().collect());
    encode_postings(&set, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_and_unknown_kinds_are_refused() {
        for slot in [
            None,
            Some((Place::File(123_456_789_012), 77)),
            Some((
                Place::Block {
                    block: 42,
                    at: 65_000,
                },
                1,
            )),
        ] {
            assert_eq!(decode_slot(&encode_slot(slot)), Ok(slot));
        }
        let mut bad = encode_slot(None);
        bad[0] = 9;
        assert!(decode_slot(&bad).is_err());
    }

    #[test]
    fn buckets_split_the_hash_space_in_order() {
        assert_eq!(directory_bits(0), 0);
        assert_eq!(directory_bits(4_000_000), 20);
        assert_eq!(bucket(u32::MAX, 0), 0);
        assert_eq!(bucket(u32::MAX, 20), (1 << 20) - 1);
        assert!(bucket(5 << 28, 4) < bucket(6 << 28, 4));
        assert_ne!(id_hash(1, "a"), id_hash(2, "a"));
    }
}
