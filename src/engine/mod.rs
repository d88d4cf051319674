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
pub use storage::Compression;

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

/// Longest message a query, update or pipeline error keeps: values quoted
/// in one are cut, so a 16 MiB operand gives a short, one-line error.
const MAX_MESSAGE_BYTES: usize = 300;

/// Cuts the message of a query, update or pipeline error to
/// [`MAX_MESSAGE_BYTES`].
pub(crate) fn shortened(error: crate::Error) -> crate::Error {
    use crate::Error;
    let cut = |mut message: String| {
        if message.len() > MAX_MESSAGE_BYTES {
            let mut end = MAX_MESSAGE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push_str("… (cut)");
        }
        message
    };
    match error {
        Error::InvalidQuery(m) => Error::InvalidQuery(cut(m)),
        Error::InvalidUpdate(m) => Error::InvalidUpdate(cut(m)),
        Error::InvalidPipeline(m) => Error::InvalidPipeline(cut(m)),
        other => other,
    }
}

/// The document a test writes as a JSON object literal (anything else is
/// a mistake in the test, so it fails loudly).
#[cfg(test)]
pub(crate) fn test_doc(value: serde_json::Value) -> Document {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("a test document must be an object, not {other}"),
    }
}
