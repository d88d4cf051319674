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
#[cfg(test)]
mod test_support;
mod writer;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, Result};

pub use crate::engine::CancelToken;
pub(crate) use csv_columns::CellValue;
pub use csv_columns::{ColumnType, CsvColumn, CsvTypes, EmptyCells};
pub(crate) use csv_reader::CsvRecord;
pub(crate) use reader::RawRecord;
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::test_support::{doc, key_orders, read_all, strict};
    use super::*;
    use crate::engine::Document;

    fn write_all(format: Format, docs: &[Document]) -> Result<Vec<u8>> {
        let fields = (format == Format::Csv).then(|| csv_header(docs));
        let mut writer = DocumentWriter::new(Vec::new(), format, fields)?;
        for doc in docs {
            writer.write(doc)?;
        }
        writer.finish()
    }

    fn round_trip(format: Format, docs: &[Document]) -> Result<Vec<Document>> {
        let bytes = write_all(format, docs)?;
        let read = read_all(&bytes, format, strict("round.trip"));
        assert_eq!(read.errors, Vec::<String>::new(), "{format}");
        Ok(read.docs())
    }

    /// Every JSON value kind, unicode, escapes, integers next to floats with
    /// the same value, and documents with different fields in different orders.
    fn varied_documents() -> Vec<Document> {
        vec![
            doc(json!({
                "_id": "a1", "name": "Zoë 🚀 日本語 \u{301}", "age": 30, "score": 2.0, "ratio": 0.1,
                "neg": -5, "big": i64::MAX, "bigger": u64::MAX, "tiny": 1e-300, "huge": f64::MAX,
                "active": true, "nothing": null, "empty": "", "quote": "say \"hi\",\nthen\tleave\\",
                "tags": ["a", 1, 2.5, null, {"x": []}], "address": {"city": "Zürich", "geo": [47.37, 8.54]},
                "emptyobj": {}
            })),
            doc(json!({"_id": "a2", "b": 1, "a": 1.0})),
            doc(json!({"_id": "a3"})),
        ]
    }

    #[test]
    fn json_and_json_lines_round_trips_equal_the_original() -> Result<()> {
        let docs = varied_documents();
        for format in [Format::Json, Format::JsonLines] {
            let back = round_trip(format, &docs)?;
            assert_eq!(back, docs, "{format}");
            assert_eq!(key_orders(&back), key_orders(&docs), "{format}");
            assert!(
                back[0]["score"].is_f64() && back[0]["age"].is_i64(),
                "{format}"
            );
            assert!(back[1]["a"].is_f64() && back[1]["b"].is_u64(), "{format}");
        }
        Ok(())
    }

    #[test]
    fn csv_round_trip_equals_the_original_when_every_document_has_every_field() -> Result<()> {
        let docs = vec![
            doc(
                json!({"_id": "1", "name": "Zoë 🚀", "text": "a,b \"q\"\nnext line", "age": 30, "score": 2.0,
                       "amount": 1, "active": true, "tags": ["x", 1], "address": {"city": "Zürich"},
                       "maybe": null, "zip": "007", "mixed": {"a": 1}}),
            ),
            doc(
                json!({"_id": "2", "name": "  spaced  ", "text": "[not json", "age": -4, "score": 3.25,
                       "amount": 2.5, "active": false, "tags": [], "address": {}, "maybe": null,
                       "zip": "01234", "mixed": 7}),
            ),
            doc(
                json!({"_id": "3", "name": "日本語", "text": "", "age": 0, "score": -0.5,
                       "amount": 10, "active": null, "tags": [[1], {"k": "v"}], "address": null,
                       "maybe": null, "zip": "x", "mixed": [true]}),
            ),
        ];
        // An empty string comes back as null (CSV cannot tell them apart).
        let mut expected = docs.clone();
        expected[2].insert("text".to_owned(), Value::Null);
        let back = round_trip(Format::Csv, &docs)?;
        assert_eq!(back, expected);
        assert_eq!(key_orders(&back), key_orders(&docs));
        assert!(
            back[0]["score"].is_f64() && back[0]["amount"].is_u64() && back[1]["amount"].is_f64()
        );
        Ok(())
    }

    #[test]
    fn csv_round_trip_is_lossy_where_the_docs_say() -> Result<()> {
        let docs = vec![
            doc(json!({"_id": "1", "a": "12", "b": "x"})),
            doc(json!({"_id": "2", "a": "13"})),
        ];
        let back = round_trip(Format::Csv, &docs)?;
        // A numeric string comes back a number; a missing field comes back null.
        assert_eq!(
            back,
            [
                doc(json!({"_id": "1", "a": 12, "b": "x"})),
                doc(json!({"_id": "2", "a": 13, "b": null}))
            ]
        );
        Ok(())
    }

    #[test]
    fn readers_and_writers_can_move_to_the_worker_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<DocumentReader<std::fs::File>>();
        assert_send::<DocumentWriter<std::fs::File>>();
        assert_send::<ReadOptions>();
    }

    #[test]
    fn a_bad_line_in_each_format_is_reported_with_its_line_number() {
        let cases: [(Format, &[u8], &str); 3] = [
            (
                Format::Json,
                b"[\n{\"a\": 1},\n{\"a\" 2}\n]",
                "in: line 3: column 6: expected `:`",
            ),
            (
                Format::JsonLines,
                b"{\"a\": 1}\n\n{\"a\": 2,}\n",
                "in: line 3: column 9: trailing comma",
            ),
            (
                Format::Csv,
                b"a,b\n1,2\n3\n",
                "in: line 3: the row has 1 fields, the header has 2",
            ),
        ];
        for (format, input, expected) in cases {
            let read = read_all(input, format, strict("in"));
            assert_eq!(read.errors, [expected], "{format}");
            assert_eq!(read.documents.len(), 1, "{format}");
        }
    }

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
