//! The embedded database engine: storage, query, index, aggregation,
//! transactions, and the import and export formats ([`interchange`]).
//!
//! Start at [`FluxDB`]: a database is a folder, each collection one `.fdb`
//! file in it (format: `storage/FORMAT.md`).

pub mod aggregate;
mod cancel;
pub mod chart;
mod collection;
mod database;
pub mod diff;
mod document;
mod error_message;
mod find;
pub mod index;
pub mod interchange;
pub mod legacy;
mod memory;
pub mod names;
mod nesting;
pub mod query;
pub mod schema;
pub mod storage;
mod timing;

pub use collection::MAX_RECORDS;
pub use database::{
    CollectionInfo, CompactReport, DEFAULT_BUSY_TIMEOUT, FluxDB, MAX_ID_BYTES, OpenOptions,
    RecoveryNote, Transaction,
};
pub use find::{Explain, Find, IndexLookup, SortMethod};
pub use legacy::{MigrateOptions, MigrateReport};
pub use nesting::{MAX_INPUT_DEPTH, drop_deep};
pub use storage::{Compression, StorageFormat};

pub use collection::{
    CheckpointUse, CollectionCheck, LogChange, LogPosition, MAX_LISTED_PROBLEMS, PersistedInfo,
    VerifyProblem,
};
pub use database::{BackupComparison, BackupKind, CollectionComparison, DiffStatus, RecordDiff};
pub use database::{
    BackupReport, ExportOptions, ImportOptions, ImportReport, MAX_LISTED_SKIPS, RESTORE_JOURNAL,
    Refreshed, RestoreReport, VerifyReport,
};

pub use cancel::CancelToken;
pub use document::Document;
pub(crate) use document::json_type_name;
#[cfg(test)]
pub(crate) use document::test_doc;
pub(crate) use error_message::shortened;
