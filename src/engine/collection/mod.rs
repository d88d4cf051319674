//! One native collection in memory: where each live record is, in insertion
//! order, plus the writes not yet on disk.
//!
//! Documents themselves stay in the file and are read when needed, so memory
//! grows with the number of records, not their size. Writes go to `pending`
//! (entries laid out exactly as in a batch payload) and reach the file on
//! flush or commit, as one group of batches.
//!
//! - `native.rs`: the [`NativeCollection`] type and its small accessors;
//!   `open.rs`, `writes.rs`, `flush.rs`, `rewrite.rs`, `reads.rs`,
//!   `scan.rs` and `indexes.rs` hold what it does, `meta.rs` the Meta
//!   entry and the start of a new file, `records.rs` its record table.
//! - `store.rs`: [`CollectionStore`], what the database needs of any
//!   collection (the Python 0.1 one in `engine::legacy` too);
//!   `native_store.rs` implements it for the native collection.
//! - `check.rs` and `verify.rs`: what verify reports, and the check itself.
//! - `backup.rs`: one-collection backup files (export and import).
//! - `follow.rs`: a read-only collection following its writer, and what it
//!   tells of each change; `position.rs` the [`LogPosition`] it is at.

pub(crate) mod backup;
mod check;
mod checkpoint;
mod file_facts;
mod flush;
mod follow;
mod history;
mod indexes;
mod meta;
mod native;
mod native_store;
mod open;
mod position;
mod reads;
mod records;
mod rewrite;
mod scan;
mod store;
mod verify;
mod writes;

pub use check::{CollectionCheck, MAX_LISTED_PROBLEMS, VerifyProblem};
pub(crate) use checkpoint::{CLOSE_MIN_RECORDS, checkpoint_path};
pub use file_facts::{CheckpointUse, PersistedInfo};
pub use follow::{ChangeVisitor, Followed, LogChange};
pub(crate) use meta::initial_restored_file;
pub(crate) use native::NativeCollection;
pub use position::LogPosition;
pub(crate) use store::{BatchStop, CollectionStore, NewRecord, StoredRecord};
pub use writes::MAX_RECORDS;
