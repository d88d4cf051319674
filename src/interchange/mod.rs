//! Data interchange: JSON arrays, JSON Lines and CSV, streamed both ways.
//!
//! Import is a pull API: [`DocumentReader`] hands out one document at a time
//! with the line it came from, so the engine can insert in batches inside one
//! transaction, report [`Progress`] between batches and stop on a
//! [`CancelToken`]. Nothing here reads a whole file: the reader keeps one
//! fixed read buffer and the bytes of the current record (at most
//! [`ReadOptions::max_record_bytes`]), so a file larger than memory goes
//! through in bounded memory. Export is [`DocumentWriter`], one document per
//! `write`.
//!
//! The formats:
//! - **JSON**: an array of objects, written one document per line inside
//!   `[` `]` so `mongoimport --jsonArray` reads it. On import, objects one
//!   after another without an array (what `mongoexport` writes by default, or a
//!   single object) are accepted too.
//! - **JSON Lines** (`.jsonl`, `.ndjson`): one object a line; what
//!   `mongoimport` reads by default. Blank lines are skipped.
//! - **CSV**: a header row, then one row a document. **CSV is lossy**: it has
//!   no types, so an import infers them per column (see [`ColumnType`]); null,
//!   a missing field and an empty string are all an empty cell; nested values
//!   are JSON text. JSON and JSON Lines keep every value, including integers
//!   versus floats (`1` stays an integer, `1.0` a float).
//!
//! Errors name the file and the line (`Error::ImportLine`). An import is
//! all-or-nothing unless [`ReadOptions::skip_bad`] asks to skip bad records and
//! report each one.

mod csv_columns;
mod csv_reader;
mod json_array;
mod json_lines;
mod json_text;
mod reader;
mod record;
mod source;
mod writer;

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

pub use csv_columns::{ColumnType, CsvColumn, CsvTypes, EmptyCells};
pub use reader::{DocumentReader, Preview, ReadOptions, preview};
pub use writer::{CsvHeader, DocumentWriter, csv_header};

/// A file format for import and export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JSON array of objects (or objects one after another, on import).
    Json,
    /// One JSON object a line.
    JsonLines,
    /// Comma-separated values with a header row; lossy (see the module docs).
    Csv,
}

impl Format {
    /// Every format, in the order a menu shows them.
    pub const ALL: [Format; 3] = [Format::Json, Format::JsonLines, Format::Csv];

    /// The format a file's extension names (case-insensitive), if any:
    /// `.json`, `.jsonl` or `.ndjson`, `.csv`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// Parses a format name as a user types it (`--format jsonl`):
    /// `json`, `jsonl` or `ndjson`, `csv`, in any case.
    pub fn parse(name: &str) -> Result<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "csv" => Ok(Format::Csv),
            _ => Err(Error::UnknownName {
                what: "format".to_owned(),
                name: name.to_owned(),
                expected: "json, jsonl (or ndjson), csv".to_owned(),
            }),
        }
    }

    /// The short name [`Format::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// Whether a round trip through this format can change documents
    /// (types, null versus missing); the app marks such exports.
    pub fn is_lossy(self) -> bool {
        self == Format::Csv
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(name: &str) -> Result<Format> {
        Format::parse(name)
    }
}

/// How far an import has come; the engine reads it between batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of input parsed so far.
    pub bytes_read: u64,
    /// The input's size, when known (a file; not a pipe).
    pub total_bytes: Option<u64>,
    /// Documents handed out so far.
    pub records: u64,
    /// Bad records reported so far (skipped when `skip_bad` is on).
    pub bad_records: u64,
}

impl Progress {
    /// The share done, from 0.0 to 1.0, when the total size is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total_bytes?;
        if total == 0 {
            return Some(1.0);
        }
        Some((self.bytes_read as f64 / total as f64).min(1.0))
    }
}

/// A shared flag that stops a long import or export: the UI keeps one clone
/// and cancels, the worker's reader or writer sees it at its next record and
/// fails with `Error::Cancelled`.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every holder of a clone to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_the_extension_in_any_case() {
        let cases = [
            ("a.json", Some(Format::Json)),
            ("dir/a.JSON", Some(Format::Json)),
            ("a.jsonl", Some(Format::JsonLines)),
            ("a.ndjson", Some(Format::JsonLines)),
            ("a.Csv", Some(Format::Csv)),
            ("a.fdb", None),
            ("a", None),
        ];
        for (path, expected) in cases {
            assert_eq!(Format::from_path(Path::new(path)), expected, "{path}");
        }
    }

    #[test]
    fn format_names_parse_back_and_unknown_names_are_errors() {
        for format in Format::ALL {
            assert_eq!(Format::parse(format.name()).ok(), Some(format));
        }
        assert_eq!(Format::parse("NDJSON").ok(), Some(Format::JsonLines));
        let error = Format::parse("xml").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("unknown format \"xml\": expected one of json, jsonl (or ndjson), csv")
        );
    }

    #[test]
    fn only_csv_is_lossy() {
        assert!(Format::Csv.is_lossy());
        assert!(!Format::Json.is_lossy());
        assert!(!Format::JsonLines.is_lossy());
    }

    #[test]
    fn cancel_is_seen_by_every_clone() {
        let token = CancelToken::new();
        let seen_by_worker = token.clone();
        assert!(!seen_by_worker.is_cancelled());
        token.cancel();
        assert!(seen_by_worker.is_cancelled());
    }

    #[test]
    fn progress_fraction_needs_a_total() {
        let mut progress = Progress {
            bytes_read: 50,
            ..Progress::default()
        };
        assert_eq!(progress.fraction(), None);
        progress.total_bytes = Some(200);
        assert_eq!(progress.fraction(), Some(0.25));
    }
}
