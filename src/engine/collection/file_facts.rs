//! What a checkpoint of a collection file names about it (kept current by
//! every write), and what became of the checkpoint when the file opened.

use crate::engine::storage::native::BatchSeal;

/// What became of the checkpoint when the collection opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CheckpointUse {
    /// There is none: every record was read.
    #[default]
    None,
    /// Opened from it; the log after `covered` was replayed.
    Used { covered: u64 },
    /// One is there but was not used, for this reason; `damaged` when its
    /// bytes are (rather than describing another file or format version).
    Ignored { reason: String, damaged: bool },
}

/// What `info` says about a collection's persisted `_id` table and
/// indexes (its checkpoint, FORMAT.md "Checkpoints").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersistedInfo {
    /// The checkpoint in use (`None`: every record was read at open).
    pub checkpoint: Option<std::path::PathBuf>,
    pub checkpoint_bytes: u64,
    /// Records and log bytes the checkpoint covers.
    pub covered_records: u64,
    pub covered_log_bytes: u64,
    /// Log bytes after it, replayed at open into memory.
    pub uncovered_log_bytes: u64,
    /// Records held on the heap: changed or added since the checkpoint
    /// (all of them without one).
    pub records_in_memory: usize,
    /// Indexed fields read from the checkpoint.
    pub persisted_indexes: Vec<String>,
    /// Why a checkpoint beside the file was not used.
    pub ignored: Option<String>,
    /// Why the last attempt to write one failed.
    pub write_error: Option<String>,
}

/// The file facts a checkpoint names, kept current by every write.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileFacts {
    pub header: [u8; 32],
    pub first: Option<BatchSeal>,
    pub last: Option<BatchSeal>,
    pub opened: CheckpointUse,
    /// Why the last attempt to write a checkpoint failed.
    pub write_error: Option<String>,
}
