//! The export side: [`DocumentWriter`] to any `Write`, and the CSV header helpers.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::format::Format;
use crate::engine::CancelToken;
use crate::engine::Document;
use crate::engine::storage::to_json;
use crate::error::{Error, IoContext, Result};

const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// Writes documents one at a time as JSON, JSON Lines or CSV.
///
/// JSON and JSON Lines write each document as one compact line with `_id`
/// first, the form `mongoimport` reads (`--jsonArray` for JSON). Every value
/// survives: integers stay integers, floats keep their fraction (`2.0`).
/// What MongoDB reads differently: `mongoimport` takes objects with a `$` key
/// (`{"$date": …}`) as Extended JSON, and an integer above 2^63 - 1 as a double.
///
/// CSV writes a header, then one row a document: strings as they are (a
/// string `"12"` is written `12` and may come back as a number), numbers and
/// booleans as JSON spells them, nested objects and arrays as compact JSON
/// text, null and missing fields as an empty cell. That is lossy; see the
/// module docs.
pub struct DocumentWriter<W: Write> {
    sink: Sink<W>,
    path: PathBuf,
    cancel: Option<CancelToken>,
    records: u64,
    /// Reused for the text of records written from their encoding.
    line: Vec<u8>,
}

enum Sink<W: Write> {
    Json { out: BufWriter<W>, first: bool },
    JsonLines { out: BufWriter<W> },
    // Boxed: csv's writer state is much bigger than a BufWriter.
    Csv(Box<CsvSink<W>>),
}

impl DocumentWriter<File> {
    /// Creates (or truncates) a file; errors name it. Call `sync_all` on the
    /// file `finish` returns when the export must survive a crash.
    pub fn create(
        path: &Path,
        format: Format,
        csv_fields: Option<Vec<String>>,
    ) -> Result<DocumentWriter<File>> {
        let file = File::create(path).at(path)?;
        Ok(DocumentWriter::new(file, format, csv_fields)?.with_path(path))
    }
}

impl<W: Write> DocumentWriter<W> {
    /// Starts writing. For CSV, `csv_fields` is the header: every field of
    /// every document must be in it (see [`csv_header`] and [`CsvHeader`] to
    /// collect them in a first pass). Without it the header is the first
    /// document's fields. Ignored for JSON.
    pub fn new(
        out: W,
        format: Format,
        csv_fields: Option<Vec<String>>,
    ) -> Result<DocumentWriter<W>> {
        let path = PathBuf::from("output");
        let sink = match format {
            Format::Json => {
                let mut out = BufWriter::with_capacity(WRITE_BUFFER_BYTES, out);
                out.write_all(b"[\n").at(&path)?;
                Sink::Json { out, first: true }
            }
            Format::JsonLines => Sink::JsonLines {
                out: BufWriter::with_capacity(WRITE_BUFFER_BYTES, out),
            },
            Format::Csv => Sink::Csv(Box::new(CsvSink::new(out, csv_fields, &path)?)),
        };
        Ok(DocumentWriter {
            sink,
            path,
            cancel: None,
            records: 0,
            line: Vec::new(),
        })
    }

    /// The name I/O errors give the output.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> DocumentWriter<W> {
        self.path = path.into();
        self
    }

    /// Makes `write` fail with `Error::Cancelled` once the token is cancelled.
    pub fn with_cancel(mut self, cancel: CancelToken) -> DocumentWriter<W> {
        self.cancel = Some(cancel);
        self
    }

    pub fn write(&mut self, doc: &Document) -> Result<()> {
        self.check_cancel()?;
        if let Sink::Csv(sink) = &mut self.sink {
            sink.write(doc, &self.path)?;
            self.records += 1;
            return Ok(());
        }
        self.write_json_line(|line| {
            serde_json::to_writer(line, &IdFirst(doc))
                .map(|()| true)
                .map_err(|error| Error::RecordEncoding(error.to_string()))
        })?;
        Ok(())
    }

    /// Writes a document given as its compact JSON text with `_id` first
    /// (what [`FluxDB::find_json_each`](crate::engine::FluxDB::find_json_each)
    /// hands over) as [`write`](Self::write) writes it. `Ok(false)`, with
    /// nothing written, for CSV, which needs the document.
    pub fn write_json_text(&mut self, text: &str) -> Result<bool> {
        self.check_cancel()?;
        let written = self.write_json_line(|line| {
            line.extend_from_slice(text.as_bytes());
            Ok(true)
        })?;
        Ok(written == Some(true))
    }

    /// Writes a record stored with [`BinaryCodec`](crate::engine::storage::BinaryCodec)
    /// (`data`, without its `_id`) as [`write`](Self::write) writes its
    /// decoded document, straight from the bytes. `Ok(false)`, with nothing
    /// written, when that needs the document: a CSV without its header yet,
    /// a CSV record whose fields are out of the columns' order, or a record
    /// the fast path declines (then `write` its decoded document, which
    /// gives the same text or the usual error).
    pub fn write_binary_record(&mut self, id: &str, data: &[u8]) -> Result<bool> {
        self.check_cancel()?;
        if let Sink::Csv(sink) = &mut self.sink {
            let written = sink.write_binary(id, data, &self.path)?;
            self.records += u64::from(written);
            return Ok(written);
        }
        let written = self.write_json_line(|line| Ok(to_json::record_to_json(id, data, line)))?;
        Ok(written == Some(true))
    }

    fn check_cancel(&self) -> Result<()> {
        match self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            true => Err(Error::Cancelled),
            false => Ok(()),
        }
    }

    /// Writes one JSON or JSON Lines record, its text appended to the line
    /// by `render` between the separator and the line's end, in one write.
    /// `Some(false)`, with nothing written, when `render` declines; `None`
    /// for CSV.
    fn write_json_line(
        &mut self,
        render: impl FnOnce(&mut Vec<u8>) -> Result<bool>,
    ) -> Result<Option<bool>> {
        let (out, separator, terminator): (_, &[u8], &[u8]) = match &mut self.sink {
            Sink::Json { out, first } => (out, if *first { &b""[..] } else { b",\n" }, b""),
            Sink::JsonLines { out } => (out, &b""[..], b"\n"),
            Sink::Csv(_) => return Ok(None),
        };
        self.line.clear();
        self.line.extend_from_slice(separator);
        if !render(&mut self.line)? {
            return Ok(Some(false));
        }
        self.line.extend_from_slice(terminator);
        out.write_all(&self.line).at(&self.path)?;
        if let Sink::Json { first, .. } = &mut self.sink {
            *first = false;
        }
        self.records += 1;
        Ok(Some(true))
    }

    /// Documents written so far.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Closes the JSON array, flushes, and hands back the output.
    pub fn finish(self) -> Result<W> {
        let path = &self.path;
        match self.sink {
            Sink::Json { mut out, first } => {
                out.write_all(if first { b"]\n" } else { b"\n]\n" })
                    .at(path)?;
                out.into_inner()
                    .map_err(|e| Error::io(path, e.into_error()))
            }
            Sink::JsonLines { out } => out
                .into_inner()
                .map_err(|e| Error::io(path, e.into_error())),
            Sink::Csv(sink) => sink.finish(path),
        }
    }
}

/// A document serialized with `_id` first, as MongoDB tools expect and the
/// CLI prints.
struct IdFirst<'a>(&'a Document);

impl Serialize for IdFirst<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let id = self.0.get("_id");
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        if let Some(id) = id {
            map.serialize_entry("_id", id)?;
        }
        for (key, value) in self.0 {
            if id.is_none() || key != "_id" {
                map.serialize_entry(key, value)?;
            }
        }
        map.end()
    }
}

struct CsvSink<W: Write> {
    out: csv::Writer<W>,
    /// The header; `None` until the first document when none was given.
    fields: Option<Vec<String>>,
    /// Reused for cells written as JSON text.
    cell: Vec<u8>,
    /// Where each cell of a record written from its encoding ends in `cell`.
    cell_ends: Vec<usize>,
}

impl<W: Write> CsvSink<W> {
    fn new(out: W, fields: Option<Vec<String>>, path: &Path) -> Result<CsvSink<W>> {
        let out = csv::WriterBuilder::new()
            .buffer_capacity(WRITE_BUFFER_BYTES)
            .from_writer(out);
        let mut sink = CsvSink {
            out,
            fields: None,
            cell: Vec::new(),
            cell_ends: Vec::new(),
        };
        if let Some(fields) = fields {
            sink.start(fields, path)?;
        }
        Ok(sink)
    }

    fn start(&mut self, fields: Vec<String>, path: &Path) -> Result<()> {
        self.out
            .write_record(&fields)
            .map_err(|e| csv_error(e, path))?;
        self.fields = Some(fields);
        Ok(())
    }

    fn write(&mut self, doc: &Document, path: &Path) -> Result<()> {
        if self.fields.is_none() {
            self.start(csv_header([doc]), path)?;
        }
        let CsvSink {
            out, fields, cell, ..
        } = self;
        let fields = fields.as_deref().unwrap_or_default();
        // Documents usually have the header's fields in the header's order:
        // walk both together and hash-look-up only the fields out of step.
        let mut in_order = doc.iter().peekable();
        let mut present = 0;
        let values: Vec<Option<&Value>> = fields
            .iter()
            .map(|field| {
                let value = match in_order.next_if(|(key, _)| *key == field) {
                    Some((_, value)) => Some(value),
                    None => doc.get(field),
                };
                present += usize::from(value.is_some());
                value
            })
            .collect();
        if present < doc.len() {
            let unknown: Vec<String> = doc
                .keys()
                .filter(|key| !fields.contains(key))
                .map(|key| format!("{key:?}"))
                .collect();
            return Err(Error::InvalidDocument(format!(
                "document {} has fields that are not CSV columns: {}; take the columns from csv_header over all documents",
                doc.get("_id")
                    .map_or_else(|| "without _id".to_owned(), Value::to_string),
                unknown.join(", ")
            )));
        }
        for value in values {
            let written = match value {
                None | Some(Value::Null) => out.write_field(b""),
                Some(Value::String(text)) => out.write_field(text),
                Some(Value::Bool(true)) => out.write_field(b"true"),
                Some(Value::Bool(false)) => out.write_field(b"false"),
                Some(other) => {
                    cell.clear();
                    serde_json::to_writer(&mut *cell, other)
                        .map_err(|e| Error::RecordEncoding(e.to_string()))?;
                    out.write_field(&*cell)
                }
            };
            written.map_err(|e| csv_error(e, path))?;
        }
        out.write_record(None::<&[u8]>)
            .map_err(|e| csv_error(e, path))
    }

    /// A record from its `BinaryCodec` encoding: see
    /// [`DocumentWriter::write_binary_record`].
    fn write_binary(&mut self, id: &str, data: &[u8], path: &Path) -> Result<bool> {
        let Some(fields) = &self.fields else {
            return Ok(false);
        };
        self.cell.clear();
        self.cell_ends.clear();
        if !to_json::record_cells(id, data, fields, &mut self.cell, &mut self.cell_ends) {
            return Ok(false);
        }
        let mut start = 0;
        for &end in &self.cell_ends {
            self.out
                .write_field(&self.cell[start..end])
                .map_err(|e| csv_error(e, path))?;
            start = end;
        }
        self.out
            .write_record(None::<&[u8]>)
            .map_err(|e| csv_error(e, path))?;
        Ok(true)
    }

    fn finish(mut self, path: &Path) -> Result<W> {
        self.out.flush().at(path)?;
        self.out
            .into_inner()
            .map_err(|e| Error::io(path, e.into_error()))
    }
}

fn csv_error(error: csv::Error, path: &Path) -> Error {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::io(path, std::io::Error::other(format!("{other:?}"))),
    }
}

/// Collects the CSV header over documents that arrive one at a time (the
/// first pass of an export): the union of their fields in first-seen order,
/// `_id` first when any document has one.
#[derive(Clone, Debug, Default)]
pub struct CsvHeader {
    /// Each field's place in `fields`.
    seen: HashMap<String, usize>,
    fields: Vec<String>,
    /// The place of the field that followed the last one added: documents
    /// usually repeat the same fields in the same order, and a field found
    /// there needs no hashing.
    next: usize,
}

impl CsvHeader {
    pub fn new() -> CsvHeader {
        CsvHeader::default()
    }

    pub fn add(&mut self, doc: &Document) {
        for key in doc.keys() {
            self.add_field(key);
        }
    }

    /// Adds one field name: for a first pass that reads only the names.
    pub fn add_field(&mut self, field: &str) {
        if self.fields.get(self.next).is_some_and(|next| next == field) {
            self.next += 1;
            return;
        }
        self.next = match self.seen.get(field) {
            Some(&at) => at + 1,
            None => {
                self.seen.insert(field.to_owned(), self.fields.len());
                self.fields.push(field.to_owned());
                self.fields.len()
            }
        };
    }

    pub fn into_fields(mut self) -> Vec<String> {
        if let Some(at) = self.fields.iter().position(|field| field == "_id") {
            let id = self.fields.remove(at);
            self.fields.insert(0, id);
        }
        self.fields
    }
}

/// The CSV header for these documents: see [`CsvHeader`].
pub fn csv_header<'a>(docs: impl IntoIterator<Item = &'a Document>) -> Vec<String> {
    let mut header = CsvHeader::new();
    for doc in docs {
        header.add(doc);
    }
    header.into_fields()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::interchange::test_support::doc;

    fn written(format: Format, fields: Option<Vec<String>>, docs: &[Document]) -> Result<String> {
        let mut writer = DocumentWriter::new(Vec::new(), format, fields)?;
        for doc in docs {
            writer.write(doc)?;
        }
        let bytes = writer.finish()?;
        String::from_utf8(bytes).map_err(|e| Error::RecordEncoding(e.to_string()))
    }

    #[test]
    fn json_is_an_array_with_one_document_a_line_and_id_first() -> Result<()> {
        let docs = [
            doc(json!({"n": 1, "_id": "a"})),
            doc(json!({"_id": "b", "x": 2.0})),
        ];
        assert_eq!(
            written(Format::Json, None, &docs)?,
            "[\n{\"_id\":\"a\",\"n\":1},\n{\"_id\":\"b\",\"x\":2.0}\n]\n"
        );
        assert_eq!(written(Format::Json, None, &[])?, "[\n]\n");
        Ok(())
    }

    #[test]
    fn json_lines_is_one_compact_object_a_line() -> Result<()> {
        let docs = [
            doc(json!({"a": "é\n", "b": [1, {"c": null}]})),
            doc(json!({})),
        ];
        assert_eq!(
            written(Format::JsonLines, None, &docs)?,
            "{\"a\":\"é\\n\",\"b\":[1,{\"c\":null}]}\n{}\n"
        );
        Ok(())
    }

    #[test]
    fn csv_cells_follow_the_header_with_nested_values_as_json() -> Result<()> {
        let docs = [
            doc(json!({"_id": "1", "s": "a,b \"q\"", "n": 2.5, "t": true, "o": {"k": [1]}})),
            doc(json!({"_id": "2", "n": 3, "s": null})),
        ];
        let header = csv_header(&docs);
        assert_eq!(header, ["_id", "s", "n", "t", "o"]);
        assert_eq!(
            written(Format::Csv, Some(header), &docs)?,
            "_id,s,n,t,o\n1,\"a,b \"\"q\"\"\",2.5,true,\"{\"\"k\"\":[1]}\"\n2,,3,,\n"
        );
        Ok(())
    }

    #[test]
    fn csv_header_puts_id_first_and_keeps_first_seen_order() {
        let docs = [
            doc(json!({"b": 1, "a": 2})),
            doc(json!({"c": 3, "_id": "x", "a": 4})),
        ];
        assert_eq!(csv_header(&docs), ["_id", "b", "a", "c"]);
    }

    #[test]
    fn csv_header_finds_new_fields_whatever_order_the_documents_repeat() {
        let mut header = CsvHeader::new();
        for names in [
            &["a", "b", "c"][..],
            &["b", "a", "d"],
            &["a", "b", "c", "e"],
            &["c", "c"],
        ] {
            names.iter().for_each(|name| header.add_field(name));
        }
        assert_eq!(header.into_fields(), ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn csv_without_fields_takes_the_first_documents_and_rejects_others() -> Result<()> {
        assert_eq!(
            written(Format::Csv, None, &[doc(json!({"a": 1}))])?,
            "a\n1\n"
        );
        let error = written(
            Format::Csv,
            None,
            &[doc(json!({"a": 1})), doc(json!({"_id": "z", "b": 2}))],
        )
        .err();
        assert_eq!(
            error.map(|e| e.to_string()).as_deref(),
            Some(
                "invalid document: document \"z\" has fields that are not CSV columns: \"_id\", \"b\"; \
                 take the columns from csv_header over all documents"
            )
        );
        Ok(())
    }

    #[test]
    fn csv_with_given_fields_writes_the_header_even_without_documents() -> Result<()> {
        assert_eq!(
            written(Format::Csv, Some(vec!["a".into(), "b".into()]), &[])?,
            "a,b\n"
        );
        Ok(())
    }

    #[test]
    fn a_single_empty_cell_is_quoted_so_the_row_is_not_a_blank_line() -> Result<()> {
        assert_eq!(
            written(
                Format::Csv,
                Some(vec!["a".into()]),
                &[doc(json!({"a": null}))]
            )?,
            "a\n\"\"\n"
        );
        Ok(())
    }

    #[test]
    fn binary_records_are_written_as_their_documents_are() -> Result<()> {
        use crate::engine::storage::{BinaryCodec, RecordCodec};
        let docs = [
            doc(json!({"_id": "a", "n": 1, "f": 2.0, "s": "é\n\"", "o": {"k": [1, null]}})),
            doc(json!({"_id": "b"})),
            doc(json!({"_id": "c\u{1}", "big": u64::MAX, "neg": -0.0, "tiny": 1e-300})),
        ];
        for format in [Format::Json, Format::JsonLines] {
            let mut writer = DocumentWriter::new(Vec::new(), format, None)?;
            for doc in &docs {
                let id = doc.get("_id").and_then(Value::as_str).unwrap_or_default();
                let mut data = Vec::new();
                BinaryCodec.encode(doc, &mut data)?;
                assert!(writer.write_binary_record(id, &data)?, "{format}");
            }
            assert_eq!(writer.records_written(), 3);
            let from_bytes = String::from_utf8_lossy(&writer.finish()?).into_owned();
            assert_eq!(from_bytes, written(format, None, &docs)?, "{format}");
        }
        // CSV needs the document, and so does a record the fast path declines.
        let mut csv = DocumentWriter::new(Vec::new(), Format::Csv, None)?;
        assert!(!csv.write_binary_record("a", &[0])?);
        let mut lines = DocumentWriter::new(Vec::new(), Format::JsonLines, None)?;
        assert!(!lines.write_binary_record("a", &[1, 1, b'a', 99])?);
        assert_eq!(lines.records_written(), 0);
        assert!(lines.finish()?.is_empty());
        Ok(())
    }

    #[test]
    fn cancelled_writes_fail() -> Result<()> {
        let cancel = CancelToken::new();
        let mut writer =
            DocumentWriter::new(Vec::new(), Format::JsonLines, None)?.with_cancel(cancel.clone());
        writer.write(&doc(json!({"a": 1})))?;
        cancel.cancel();
        assert!(matches!(
            writer.write(&doc(json!({"a": 2}))),
            Err(Error::Cancelled)
        ));
        assert_eq!(writer.records_written(), 1);
        Ok(())
    }

    #[test]
    fn write_errors_name_the_output() -> Result<()> {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        for format in Format::ALL {
            let mut writer = DocumentWriter::new(Full, format, None)?.with_path("out.x");
            writer.write(&doc(json!({"a": 1})))?;
            let error = writer.finish().err().map(|e| e.to_string());
            assert_eq!(error.as_deref(), Some("out.x: disk full"), "{format}");
        }
        Ok(())
    }
}
