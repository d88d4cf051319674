//! What the database reports about its collections: their description,
//! what recovery did on open, and what a compaction reclaimed.

use crate::engine::collection::{LogPosition, PersistedInfo};
use crate::engine::storage::native::DroppedTail;
use crate::engine::storage::{Compression, StorageFormat};

/// What `collection_info` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CollectionInfo {
    pub name: String,
    pub format: StorageFormat,
    pub records: usize,
    pub file_bytes: u64,
    pub dead_bytes: u64,
    pub indexed_fields: Vec<String>,
    /// How the file is stored (Python 0.1 files: always none).
    pub compression: Compression,
    /// Bytes of records before compression per byte stored, over the
    /// file's blocks (`None` when uncompressed or still empty).
    pub compression_ratio: Option<f64>,
    /// Bytes of the zstd dictionary trained for the file by its last
    /// rewrite (`None`: its blocks use none).
    pub dictionary_bytes: Option<usize>,
    /// The persisted `_id` table and indexes (native collections).
    pub persisted: Option<PersistedInfo>,
    /// Where the collection's state is in its log (native collections):
    /// keep its token to ask later what changed since
    /// ([`FluxDB::changes_since`](super::FluxDB::changes_since), `fluxdb
    /// watch --since`).
    pub log_position: Option<LogPosition>,
}

/// Something recovery did while opening: a torn tail it dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryNote {
    pub collection: String,
    pub dropped: DroppedTail,
}

impl std::fmt::Display for RecoveryNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "collection {:?}: dropped {} bytes at offset {} ({}): an unfinished write from a crash",
            self.collection, self.dropped.bytes, self.dropped.offset, self.dropped.reason
        )
    }
}

/// What compaction reclaimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CompactReport {
    pub bytes_before: u64,
    pub bytes_after: u64,
}
