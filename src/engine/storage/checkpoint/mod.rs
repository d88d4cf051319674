//! The persisted `_id` table and indexes of a collection: a checkpoint file
//! beside it (`indexes/<collection>.checkpoint`) that says, for the log up to
//! one position, where every record is and which records hold each index
//! key. Opening maps it and reads only the log after that position.
//!
//! The collection file stays the one source of truth: a checkpoint is used
//! only when it proves it describes that very file ([`FileIdentity`]: the
//! file's header and the checksums of its first batch and of the batch that
//! ends where the checkpoint stops), and every byte of it is checked against
//! a CRC-32 before it is used (the chunk table, checked lazily, so opening
//! touches only what it reads). The byte layout is in `../FORMAT.md`,
//! "Checkpoints".
//!
//! - `write.rs`: [`CheckpointWriter`], streaming sections into a new file.
//! - `read.rs`: [`Checkpoint`], the checked reader, through a bounded cache of chunks.

mod layout;
mod read;
mod write;

pub use layout::*;

pub use read::IndexRecord;
pub use read::{Checkpoint, IndexSection, Rejected, StoredRecordVisitor};
pub use write::{CheckpointWriter, IdTableWriter, IndexSectionWriter};

pub use crate::engine::storage::native::BatchSeal;
