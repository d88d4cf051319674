//! Data interchange: JSON arrays, JSON Lines and CSV, streamed both ways.
//!
//! Part of the engine (also reachable as `fluxdb::interchange`): it sits
//! beside the database, which imports and exports through it
//! (`database/import.rs`, `database/export.rs`), and it uses only the
//! engine's lower parts (the [`Document`](crate::engine::Document) type,
//! the cancel token, and `storage::to_json` to write stored records).
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
mod format;
mod json_array;
mod json_lines;
mod json_text;
mod progress;
mod reader;
mod record;
mod source;
#[cfg(test)]
mod test_support;
mod writer;

pub use crate::engine::CancelToken;
pub(crate) use csv_columns::CellValue;
pub use csv_columns::{ColumnType, CsvColumn, CsvTypes, EmptyCells};
pub(crate) use csv_reader::CsvRecord;
pub use format::Format;
pub use progress::Progress;
pub(crate) use reader::RawRecord;
pub use reader::{DocumentReader, Preview, ReadOptions, preview};
pub use writer::{CsvHeader, DocumentWriter, csv_header};

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::test_support::{doc, key_orders, read_all, strict};
    use super::*;
    use crate::engine::Document;
    use crate::error::Result;

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
}
