//! The native collection file: header, batches of entries, recovery.
//!
//! The byte layout and the invariants are in `storage/FORMAT.md`;
//! every constant here is named there. In short: the file is append-only;
//! a batch is visible only if its header, payload and trailer checksums
//! hold; a group of batches (a large write) only if its last batch is there;
//! a batch of a multi-collection transaction only if the database's
//! transaction log has its commit record.
//!
//! - `header.rs`: the file header and the dictionary section after it.
//! - `entry.rs`: entries, each checksummed.
//! - `batch.rs`: batches, groups of them, compressed blocks, [`GroupWriter`].
//! - `scan.rs`: reading a file through, recovery's view of it.

mod batch;
mod entry;
mod header;
mod scan;

pub use batch::{
    BATCH_END_MAGIC, BATCH_HEADER_LEN, BATCH_MAGIC, BATCH_TRAILER_LEN, BatchSeal, FLAG_CONTINUES,
    GroupWriter, Place, TARGET_BATCH_PAYLOAD, frame_batch,
};
pub(crate) use entry::u32_at;
pub use entry::{
    ENTRY_HEADER_LEN, EntryKind, EntryRef, parse_entry, parse_entry_covered, push_entry, read_entry,
};
pub use header::{
    COMPRESSED_FORMAT_VERSION, DICTIONARY_FORMAT_VERSION, DICTIONARY_HEADER_LEN, DICTIONARY_MAGIC,
    FILE_MAGIC, FORMAT_VERSION, FileHeader, FileKind, HEADER_LEN, has_native_magic,
    read_dictionary,
};
pub use scan::{
    DroppedTail, FileStart, FirstGroup, ScanEvent, ScanOutcome, first_group, group_end, read_block,
    read_start, scan, scan_between, scan_from,
};
