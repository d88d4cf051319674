//! The export side: [`DocumentWriter`] to any `Write`, and the CSV header helpers.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::{CancelToken, Format};
use crate::engine::Document;
use crate::error::{Error, IoContext, Result};

const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// Writes documents one at a time as JSON, JSON Lines or CSV.
///
/// JSON and JSON Lines write each document as one compact line with `_id`
/// first, the form `mongoimport` reads (`--jsonArray` for JSON). Every value
/// survives: integers stay integers, floats keep their fraction (`2.0`).
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
}

enum Sink<W: Write> {
    Json { out: BufWriter<W>, first: bool },
    JsonLines { out: BufWriter<W> },
    Csv(CsvSink<W>),
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
            Format::Csv => Sink::Csv(CsvSink::new(out, csv_fields, &path)?),
        };
        Ok(DocumentWriter {
            sink,
            path,
            cancel: None,
            records: 0,
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
        if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Err(Error::Cancelled);
        }
        let path = &self.path;
        match &mut self.sink {
            Sink::Json { out, first } => {
                if !*first {
                    out.write_all(b",\n").at(path)?;
                }
                *first = false;
                write_json(out, doc, path)?;
            }
            Sink::JsonLines { out } => {
                write_json(out, doc, path)?;
                out.write_all(b"\n").at(path)?;
            }
            Sink::Csv(sink) => sink.write(doc, path)?,
        }
        self.records += 1;
        Ok(())
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

fn write_json<W: Write>(out: &mut W, doc: &Document, path: &Path) -> Result<()> {
    serde_json::to_writer(out, &IdFirst(doc)).map_err(|error| {
        if error.is_io() {
            Error::io(path, error.into())
        } else {
            Error::RecordEncoding(error.to_string())
        }
    })
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
        let CsvSink { out, fields, cell } = self;
        let fields = fields.as_deref().unwrap_or_default();
        let mut present = 0;
        let values: Vec<Option<&Value>> = fields
            .iter()
            .map(|field| {
                let value = doc.get(field);
                present += usize::from(value.is_some());
                value
            })
            .collect();
        if present < doc.len() {
            let unknown = doc.keys().find(|key| !fields.contains(key));
            return Err(Error::InvalidDocument(format!(
                "field {:?} of document {} is not among the CSV columns; take the columns from csv_header over all documents",
                unknown.map_or("", String::as_str),
                doc.get("_id")
                    .map_or_else(|| "without _id".to_owned(), Value::to_string)
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
    seen: HashSet<String>,
    fields: Vec<String>,
}

impl CsvHeader {
    pub fn new() -> CsvHeader {
        CsvHeader::default()
    }

    pub fn add(&mut self, doc: &Document) {
        for key in doc.keys() {
            if !self.seen.contains(key.as_str()) {
                self.seen.insert(key.clone());
                self.fields.push(key.clone());
            }
        }
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
