//! A record's `_id` as the table stores it, and where its current version is.

use crate::engine::storage::native::Place;

/// Where the current version of a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    /// An entry in the collection file.
    File { offset: u64, len: u32 },
    /// An entry in the pending buffer, not yet written.
    Pending { offset: usize, len: u32 },
    /// An entry `at` bytes into the decompressed compressed block at file
    /// offset `block` (a compressed file); `len` is its uncompressed length.
    Block { block: u64, at: u16, len: u32 },
}

// A location per record: compressed files must not make the table larger.
const _: () = assert!(std::mem::size_of::<Loc>() == 16);

impl Loc {
    pub fn len(self) -> u32 {
        match self {
            Loc::File { len, .. } | Loc::Pending { len, .. } | Loc::Block { len, .. } => len,
        }
    }

    /// The offset errors about this entry name: in the file, in the pending
    /// buffer, or of its compressed block.
    pub fn error_offset(self) -> u64 {
        match self {
            Loc::File { offset, .. } => offset,
            Loc::Pending { offset, .. } => offset as u64,
            Loc::Block { block, .. } => block,
        }
    }

    /// Where a stored entry is (`None` while it is pending).
    pub fn place(self) -> Option<Place> {
        match self {
            Loc::File { offset, .. } => Some(Place::File(offset)),
            Loc::Block { block, at, .. } => Some(Place::Block { block, at }),
            Loc::Pending { .. } => None,
        }
    }

    /// The location of a stored entry of `len` bytes at `place`.
    pub fn stored(place: Place, len: u32) -> Loc {
        match place {
            Place::File(offset) => Loc::File { offset, len },
            Place::Block { block, at } => Loc::Block { block, at, len },
        }
    }
}

/// An `_id` as stored: canonical lowercase UUIDs in 16 bytes, anything else
/// as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredId {
    Uuid([u8; 16]),
    Text(Box<str>),
}

/// An `_id` being looked up, classified the same way without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKey<'a> {
    Uuid([u8; 16]),
    Text(&'a str),
}

impl<'a> IdKey<'a> {
    pub(crate) fn new(id: &'a str) -> IdKey<'a> {
        match canonical_uuid(id.as_bytes()) {
            Some(bytes) => IdKey::Uuid(bytes),
            None => IdKey::Text(id),
        }
    }

    pub(crate) fn matches(self, stored: &StoredId) -> bool {
        match (self, stored) {
            (IdKey::Uuid(a), StoredId::Uuid(b)) => a == *b,
            (IdKey::Text(a), StoredId::Text(b)) => a == &**b,
            _ => false,
        }
    }

    pub(crate) fn to_stored(self) -> StoredId {
        match self {
            IdKey::Uuid(b) => StoredId::Uuid(b),
            IdKey::Text(t) => StoredId::Text(t.into()),
        }
    }
}

/// The 16 bytes of a UUID written exactly as `uuid` writes it (lowercase,
/// hyphenated), so that storing the bytes loses nothing. "ABC…" stays text.
fn canonical_uuid(text: &[u8]) -> Option<[u8; 16]> {
    // 36 bytes can only be the hyphenated form; uuid's parser checks the rest.
    if text.len() != 36 || text.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    uuid::Uuid::try_parse_ascii(text)
        .ok()
        .map(uuid::Uuid::into_bytes)
}

impl StoredId {
    pub(crate) fn key(&self) -> IdKey<'_> {
        match self {
            StoredId::Uuid(b) => IdKey::Uuid(*b),
            StoredId::Text(t) => IdKey::Text(t),
        }
    }

    /// The id as text, written into `buf` when it is a UUID.
    pub fn as_str<'a>(&'a self, buf: &'a mut [u8; 36]) -> &'a str {
        match self {
            StoredId::Uuid(b) => uuid::Uuid::from_bytes(*b).hyphenated().encode_lower(buf),
            StoredId::Text(t) => t,
        }
    }
}
