//! The embedded database engine: storage, query, index, aggregation, transactions.
//!
//! Start at [`FluxDB`]: a database is a folder, each collection one `.fdb`
//! file in it (format: `storage/FORMAT.md`).

pub mod aggregate;
mod backup;
mod collection;
mod database;
mod find;
pub mod index;
pub mod legacy;
mod memory;
pub mod names;
mod nesting;
pub mod query;
pub mod storage;

pub use collection::MAX_RECORDS;
pub use database::{
    CollectionInfo, CompactReport, FluxDB, MAX_ID_BYTES, OpenOptions, RecoveryNote, StorageFormat,
    Transaction,
};
pub use find::{Explain, Find};
pub use legacy::{MigrateOptions, MigrateReport};
pub use nesting::{MAX_INPUT_DEPTH, drop_deep};

pub use collection::{CollectionCheck, MAX_LISTED_PROBLEMS, VerifyProblem};
pub use database::{
    BackupReport, ExportOptions, ImportOptions, ImportReport, MAX_LISTED_SKIPS, RESTORE_JOURNAL,
    RestoreReport, VerifyReport,
};

/// A stored record: a JSON object whose fields keep their order and types.
pub type Document = serde_json::Map<String, serde_json::Value>;

/// "a string", "an array"…: a value's JSON type, for error messages.
pub(crate) fn json_type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
