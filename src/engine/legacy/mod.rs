//! The Python FluxDB 0.1 folder format (its bytes: `FORMAT.md` here):
//! pure format code to read and write what the original Python library wrote.
//!
//! - [`record`]: `.fdb` collection files, read by the library's exact rules and
//!   written byte for byte as it writes them.
//! - [`pyrepr`]: Python's `str()`/`repr()` of JSON values, the stored text.
//! - [`pickle_index`]: `indexes/<collection>.idx`, the pickled index.
//! - [`infer`]: the typed value a stored text most likely was (`migrate --infer-types`).
//!
//! And the engine's use of it:
//!
//! - `collection`: a legacy collection behind the engine's collection trait,
//!   read, queried and written in place (crash safety: `README.md` here).
//! - [`migrate`]: turning legacy collections into native ones.

pub(crate) mod collection;
mod files;
pub mod infer;
pub mod migrate;
pub mod pickle_index;
pub mod pyrepr;
pub mod record;
mod table;
mod unicode_printable;

pub use infer::infer_type;
pub use migrate::{MigrateOptions, MigrateReport, MigratedCollection};
pub use pickle_index::{
    IndexEntry, LegacyIndexFile, parse_index_file, parse_index_file_at, read_index_file,
    read_index_file_at, write_index_file, write_index_file_for,
};
pub use pyrepr::{py_float_repr, py_repr, py_repr_str, py_str};
pub use record::{
    LegacyReadReport, LegacyRecord, SkippedRecord, TornTail, document_to_record, encode_record,
    encode_rewritten_file, read_collection, record_to_document,
};

/// Access to the read-only fixtures written by the Python library.
#[cfg(test)]
pub(crate) mod test_fixtures {
    use std::path::PathBuf;

    /// Where the fixtures sit: `tests/fixtures/legacy-v0.1` in the repo.
    pub fn fixture_dir() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/legacy-v0.1"
        ))
    }

    /// The bytes of `<folder>/<file>` (e.g. `basic`, `indexes/users.idx`).
    pub fn fixture_bytes(folder: &str, file: &str) -> Vec<u8> {
        let path = fixture_dir().join(folder).join(file);
        std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
    }

    /// `<folder>.expected.json`: what the Python library reads from the folder.
    pub fn expected_json(folder: &str) -> serde_json::Value {
        let path = fixture_dir().join(format!("{folder}.expected.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
    }
}
