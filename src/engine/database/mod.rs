//! [`FluxDB`]: a database folder, its collections, buffering and transactions.
//!
//! - `fluxdb.rs`: the [`FluxDB`] type and the lookups every operation
//!   starts with; `options.rs` and `open.rs`: opening (and closing) it;
//!   `reports.rs`: what it reports about collections.
//! - `catalogue.rs`: creating, dropping, clearing and rewriting collections;
//!   `rename.rs`: renaming one; `indexes.rs`: their indexes.
//! - `crud.rs`: records one by one and by filter; `queries.rs`: find,
//!   count, explain and aggregate.
//! - `transactions.rs`: flush, transactions and [`Transaction`];
//!   `shared.rs`: the write spans of a handle that shares the folder with
//!   other writers; `follow.rs`: following what other processes commit.
//! - `collection_backup.rs`: one-collection export and import;
//!   `database_backup.rs` and `restore.rs`: backing up and restoring the
//!   whole folder (`backup_read.rs` reads a database backup through,
//!   checked); `compare_backup.rs`: the folder beside a backup, record by
//!   record; `export.rs` and `import.rs`: JSON and CSV interchange;
//!   `verify.rs`: checking every file.
//! - `legacy.rs`: Python FluxDB 0.1 collections in a folder, and migration.

mod backup_read;
mod catalogue;
mod chart;
mod collection_backup;
mod compare_backup;
mod crud;
mod database_backup;
mod export;
mod fluxdb;
mod follow;
mod import;
mod indexes;
mod legacy;
mod matching;
mod open;
mod options;
mod queries;
mod refreshed;
mod rename;
mod reports;
mod restore;
mod schema;
mod shared;
mod transactions;
mod verify;

pub use compare_backup::{
    BackupComparison, BackupKind, CollectionComparison, DiffStatus, RecordDiff,
};
pub use crud::MAX_ID_BYTES;
pub use database_backup::BackupReport;
pub use export::ExportOptions;
pub use fluxdb::FluxDB;
pub use import::{ImportOptions, ImportReport, MAX_LISTED_SKIPS};
pub use options::{DEFAULT_BUSY_TIMEOUT, OpenOptions};
pub use refreshed::Refreshed;
pub use reports::{CollectionInfo, CompactReport, RecoveryNote};
pub use restore::{RESTORE_JOURNAL, RestoreReport};
pub use transactions::Transaction;
pub use verify::VerifyReport;
