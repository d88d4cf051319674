//! The import side: [`DocumentReader`] over any `Read`, and [`preview`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::csv_columns::{CsvColumn, CsvTypes, EmptyCells};
use super::csv_reader::{CsvReader, CsvRecord, CsvSettings};
use super::format::Format;
use super::json_array::JsonArrayReader;
use super::json_lines::JsonLinesReader;
use super::progress::Progress;
use super::record::Step;
use super::source::ByteSource;
use crate::engine::CancelToken;
use crate::engine::Document;
use crate::error::{Error, IoContext, Result};

/// How an import reads its input.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The name errors give the input (`ImportLine` and I/O errors).
    pub path_for_errors: PathBuf,
    /// When false (the default) the first bad record ends the read, so the
    /// import is all-or-nothing. When true, a bad record (`Error::ImportLine`)
    /// is reported and the next call goes on after it.
    pub skip_bad: bool,
    /// CSV only: which columns get which types.
    pub csv_types: CsvTypes,
    /// CSV only: what an empty cell becomes.
    pub csv_empty_cells: EmptyCells,
    /// CSV only: how many first rows the type inference looks at (at most
    /// 1 MiB of them).
    pub csv_sample_rows: usize,
    /// The largest record (a JSON Lines line, an array element, a CSV row)
    /// kept in memory; a bigger one is a bad record. With the 64 KiB read
    /// buffer, this bounds the reader's memory whatever the file's size.
    pub max_record_bytes: usize,
    /// The input's size, for [`Progress::total_bytes`]; [`DocumentReader::open`] fills it in.
    pub total_bytes: Option<u64>,
    /// Stops the read: the next call returns `Error::Cancelled`.
    pub cancel: Option<CancelToken>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            path_for_errors: PathBuf::from("input"),
            skip_bad: false,
            csv_types: CsvTypes::default(),
            csv_empty_cells: EmptyCells::default(),
            csv_sample_rows: 1000,
            // MongoDB's document size limit; a record bigger than this could
            // not be stored there either.
            max_record_bytes: 16 * 1024 * 1024,
            total_bytes: None,
            cancel: None,
        }
    }
}

/// Reads documents one at a time from JSON, JSON Lines or CSV.
///
/// ```no_run
/// # use fluxdb::interchange::{DocumentReader, Format, ReadOptions};
/// # fn main() -> fluxdb::Result<()> {
/// let mut reader = DocumentReader::open("people.jsonl".as_ref(), Format::JsonLines, ReadOptions::default())?;
/// while let Some(next) = reader.next_document() {
///     let (line, doc) = next?;
///     println!("line {line}: {doc:?}");
/// }
/// # Ok(()) }
/// ```
pub struct DocumentReader<R> {
    records: Records<R>,
    skip_bad: bool,
    cancel: Option<CancelToken>,
    total_bytes: Option<u64>,
    documents: u64,
    bad_records: u64,
    finished: bool,
}

enum Records<R> {
    Json(JsonArrayReader<R>),
    JsonLines(JsonLinesReader<R>),
    // Boxed: csv-core's parser tables make it much bigger than the others.
    Csv(Box<CsvReader<R>>),
}

impl DocumentReader<File> {
    /// Opens a file; errors and progress use its path and size.
    pub fn open(
        path: &Path,
        format: Format,
        mut options: ReadOptions,
    ) -> Result<DocumentReader<File>> {
        let file = File::open(path).at(path)?;
        if options.total_bytes.is_none() {
            options.total_bytes = file.metadata().ok().map(|meta| meta.len());
        }
        options.path_for_errors = path.to_path_buf();
        DocumentReader::new(file, format, options)
    }
}

impl<R: Read> DocumentReader<R> {
    /// Starts reading. For CSV this reads the header and the rows of the type
    /// sample, so header errors show here.
    pub fn new(input: R, format: Format, options: ReadOptions) -> Result<DocumentReader<R>> {
        let source = ByteSource::new(input, options.path_for_errors.clone());
        let max_record_bytes = options.max_record_bytes.max(1);
        let records = match format {
            Format::Json => {
                let mut source = source;
                source.skip_byte_order_mark()?;
                Records::Json(JsonArrayReader::new(source, max_record_bytes))
            }
            Format::JsonLines => {
                let mut source = source;
                source.skip_byte_order_mark()?;
                Records::JsonLines(JsonLinesReader::new(source, max_record_bytes))
            }
            Format::Csv => Records::Csv(Box::new(CsvReader::new(
                source,
                CsvSettings {
                    types: &options.csv_types,
                    empty_cells: options.csv_empty_cells,
                    sample_rows: options.csv_sample_rows,
                    max_record_bytes,
                },
            )?)),
        };
        Ok(DocumentReader {
            records,
            skip_bad: options.skip_bad,
            cancel: options.cancel,
            total_bytes: options.total_bytes,
            documents: 0,
            bad_records: 0,
            finished: false,
        })
    }

    /// The next document with its 1-based line (a CSV row's first line, the
    /// line a JSON element starts on), or `None` at the end.
    ///
    /// A bad record is `Err(Error::ImportLine { .. })`. Without `skip_bad`,
    /// or on any other error (I/O, cancellation, JSON whose structure is
    /// broken so no next record can be found), the read ends there: later
    /// calls return `None`.
    pub fn next_document(&mut self) -> Option<Result<(u64, Document)>> {
        self.next_document_or(&mut |_| false)
            .map(|next| next.map(|(line, doc)| (line, doc.unwrap_or_default())))
    }

    /// [`next_document`](Self::next_document), first offering the record
    /// (a JSON Lines line's bytes, a CSV row's typed cells) to `take`, which
    /// may handle it its own way (an import encodes it without building a
    /// document): `(line, None)` when it did. When it declines, the record
    /// is parsed as usual, so errors and results do not change.
    pub(crate) fn next_document_or(
        &mut self,
        take: &mut dyn FnMut(RawRecord<'_, '_>) -> bool,
    ) -> Option<Result<(u64, Option<Document>)>> {
        if self.finished {
            return None;
        }
        if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            self.finished = true;
            return Some(Err(Error::Cancelled));
        }
        let some = |step: Step| step.map(|r| r.map(|(line, doc)| (line, Some(doc))));
        let step = match &mut self.records {
            Records::Json(reader) => some(reader.next_record()),
            Records::JsonLines(reader) => {
                reader.next_record_or(&mut |json| take(RawRecord::JsonText(json)))
            }
            Records::Csv(reader) => reader.next_record_or(&mut |row| take(RawRecord::CsvRow(row))),
        };
        match step {
            None => {
                self.finished = true;
                None
            }
            Some(Ok(record)) => {
                self.documents += 1;
                Some(Ok(record))
            }
            Some(Err(failure)) => {
                self.bad_records += u64::from(matches!(failure.error, Error::ImportLine { .. }));
                if !(self.skip_bad && failure.recoverable) {
                    self.finished = true;
                }
                Some(Err(failure.error))
            }
        }
    }

    pub fn progress(&self) -> Progress {
        Progress {
            bytes_read: match &self.records {
                Records::Json(reader) => reader.bytes_read(),
                Records::JsonLines(reader) => reader.bytes_read(),
                Records::Csv(reader) => reader.bytes_read(),
            },
            total_bytes: self.total_bytes,
            records: self.documents,
            bad_records: self.bad_records,
        }
    }

    /// The CSV columns with their types (chosen or inferred); `None` for JSON.
    pub fn csv_columns(&self) -> Option<&[CsvColumn]> {
        match &self.records {
            Records::Csv(reader) => Some(reader.columns()),
            Records::Json(_) | Records::JsonLines(_) => None,
        }
    }

    /// Bytes the reader holds in buffers now: the read buffer, the current
    /// record, and (CSV) the rows of the type sample not handed out yet. It
    /// stays near 64 KiB plus the largest record, whatever the input's size.
    pub fn buffer_capacity(&self) -> usize {
        match &self.records {
            Records::Json(reader) => reader.buffer_capacity(),
            Records::JsonLines(reader) => reader.buffer_capacity(),
            Records::Csv(reader) => reader.buffer_capacity(),
        }
    }
}

/// A record as [`DocumentReader::next_document_or`] offers it, before a
/// document is built from it.
pub(crate) enum RawRecord<'r, 'a> {
    /// A JSON Lines line's bytes.
    JsonText(&'r [u8]),
    /// A CSV row of the header's width.
    CsvRow(&'r CsvRecord<'a>),
}

impl<R: Read> Iterator for DocumentReader<R> {
    type Item = Result<(u64, Document)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_document()
    }
}

/// The first documents of a file, for the import dialog.
#[derive(Debug)]
pub struct Preview {
    /// Up to `n` documents with their lines.
    pub documents: Vec<(u64, Document)>,
    /// Bad records met on the way (at most `n`), each an `Error::ImportLine`.
    pub errors: Vec<Error>,
    /// CSV: the columns and the types an import with these options would use.
    pub csv_columns: Option<Vec<CsvColumn>>,
    pub total_bytes: Option<u64>,
}

/// Reads the first `n` documents of `path`, skipping past bad records (they
/// are listed in `errors`) so the dialog can show both. I/O errors and a
/// broken CSV header are errors of the whole preview.
pub fn preview(path: &Path, format: Format, n: usize, options: &ReadOptions) -> Result<Preview> {
    let options = ReadOptions {
        skip_bad: true,
        ..options.clone()
    };
    let mut reader = DocumentReader::open(path, format, options)?;
    let csv_columns = reader.csv_columns().map(<[CsvColumn]>::to_vec);
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    while documents.len() < n && errors.len() < n.max(1) {
        match reader.next_document() {
            None => break,
            Some(Ok(record)) => documents.push(record),
            Some(Err(error @ Error::ImportLine { .. })) => errors.push(error),
            Some(Err(error)) => return Err(error),
        }
    }
    Ok(Preview {
        documents,
        errors,
        csv_columns,
        total_bytes: reader.progress().total_bytes,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::io::Write;
    use std::rc::Rc;

    use serde_json::json;

    use super::super::source::READ_BUFFER_BYTES;
    use super::super::test_support::{doc, skipping};
    use super::super::{ColumnType, DocumentWriter};
    use super::*;

    /// Generates a JSON array (or JSON Lines, or CSV) of `count` small
    /// documents on the fly, so the test itself holds no file, and counts the
    /// bytes the reader has taken.
    struct Generated {
        format: Format,
        next: u64,
        count: u64,
        chunk: Vec<u8>,
        at: usize,
        finished: bool,
        handed_out: Rc<Cell<u64>>,
    }

    impl Generated {
        fn new(format: Format, count: u64) -> (Generated, Rc<Cell<u64>>) {
            let handed_out = Rc::new(Cell::new(0));
            let opening: &[u8] = match format {
                Format::Json => b"[\n",
                Format::JsonLines => b"",
                Format::Csv => b"_id,n,name\n",
            };
            let generated = Generated {
                format,
                next: 0,
                count,
                chunk: opening.to_vec(),
                at: 0,
                finished: false,
                handed_out: handed_out.clone(),
            };
            (generated, handed_out)
        }

        fn refill(&mut self) {
            self.chunk.clear();
            self.at = 0;
            if self.next == self.count {
                if self.format == Format::Json {
                    self.chunk.extend_from_slice(b"\n]\n");
                }
                self.finished = true;
                return;
            }
            let n = self.next;
            self.next += 1;
            let separator = if self.format == Format::Json && n > 0 {
                ",\n"
            } else {
                ""
            };
            let record = match self.format {
                Format::Json | Format::JsonLines => {
                    format!("{separator}{{\"_id\":\"id{n}\",\"n\":{n},\"name\":\"doc {n}\"}}")
                }
                Format::Csv => format!("id{n},{n},doc {n}"),
            };
            self.chunk.extend_from_slice(record.as_bytes());
            if self.format != Format::Json {
                self.chunk.push(b'\n');
            }
        }
    }

    impl Read for Generated {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let mut written = 0;
            while written < out.len() {
                if self.at == self.chunk.len() {
                    if self.finished {
                        break;
                    }
                    self.refill();
                    continue;
                }
                let n = (self.chunk.len() - self.at).min(out.len() - written);
                out[written..written + n].copy_from_slice(&self.chunk[self.at..self.at + n]);
                self.at += n;
                written += n;
            }
            self.handed_out.set(self.handed_out.get() + written as u64);
            Ok(written)
        }
    }

    #[test]
    fn a_json_array_of_200000_documents_is_read_in_bounded_memory() -> Result<()> {
        let count = 200_000;
        let (input, handed_out) = Generated::new(Format::Json, count);
        let mut reader = DocumentReader::new(input, Format::Json, ReadOptions::default())?;
        let mut read = 0;
        let mut largest_buffer = 0;
        while let Some(next) = reader.next_document() {
            let (_, doc) = next?;
            assert_eq!(doc.get("n"), Some(&json!(read)));
            read += 1;
            largest_buffer = largest_buffer.max(reader.buffer_capacity());
            let read_ahead = handed_out.get() - reader.progress().bytes_read;
            assert!(
                read_ahead <= READ_BUFFER_BYTES as u64,
                "read {read_ahead} bytes ahead"
            );
        }
        assert_eq!(read, count);
        assert!(
            largest_buffer <= READ_BUFFER_BYTES + 4096,
            "buffers grew to {largest_buffer} bytes"
        );
        assert_eq!(reader.progress().bytes_read, handed_out.get());
        assert!(
            handed_out.get() > 8_000_000,
            "the input was {} bytes",
            handed_out.get()
        );
        Ok(())
    }

    #[test]
    fn json_lines_and_csv_are_read_in_bounded_memory_too() -> Result<()> {
        for format in [Format::JsonLines, Format::Csv] {
            let (input, handed_out) = Generated::new(format, 50_000);
            let mut reader = DocumentReader::new(input, format, ReadOptions::default())?;
            let mut read = 0;
            let mut largest_buffer = 0;
            while let Some(next) = reader.next_document() {
                next?;
                read += 1;
                largest_buffer = largest_buffer.max(reader.buffer_capacity());
            }
            assert_eq!(read, 50_000, "{format}");
            // CSV holds its type sample (1000 short rows) until handed out.
            assert!(
                largest_buffer <= 2 * READ_BUFFER_BYTES,
                "{format}: buffers grew to {largest_buffer} bytes"
            );
            assert_eq!(reader.progress().bytes_read, handed_out.get(), "{format}");
        }
        Ok(())
    }

    #[test]
    fn cancellation_stops_a_read_at_the_next_document() -> Result<()> {
        let (input, handed_out) = Generated::new(Format::JsonLines, 10_000_000);
        let cancel = CancelToken::new();
        let options = ReadOptions {
            cancel: Some(cancel.clone()),
            ..ReadOptions::default()
        };
        let mut reader = DocumentReader::new(input, Format::JsonLines, options)?;
        for _ in 0..5 {
            assert!(matches!(reader.next_document(), Some(Ok(_))));
        }
        cancel.cancel();
        assert!(matches!(
            reader.next_document(),
            Some(Err(Error::Cancelled))
        ));
        assert!(reader.next_document().is_none());
        assert_eq!(reader.progress().records, 5);
        assert!(handed_out.get() <= READ_BUFFER_BYTES as u64);
        Ok(())
    }

    #[test]
    fn open_reports_progress_against_the_file_size() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("people.jsonl");
        let content = "{\"a\": 1}\nnot json\n{\"a\": 3}\n";
        std::fs::write(&path, content).at(&path)?;
        let size = content.len() as u64;
        let mut reader = DocumentReader::open(&path, Format::JsonLines, skipping("ignored"))?;
        let results: Vec<_> = reader.by_ref().collect();
        assert_eq!(results.len(), 3);
        assert!(
            matches!(&results[1], Err(Error::ImportLine { path: p, line: 2, .. }) if p == &path),
            "{results:?}"
        );
        let progress = reader.progress();
        assert_eq!(
            progress,
            Progress {
                bytes_read: size,
                total_bytes: Some(size),
                records: 2,
                bad_records: 1
            }
        );
        assert_eq!(progress.fraction(), Some(1.0));
        Ok(())
    }

    #[test]
    fn opening_a_missing_file_names_it() {
        let error = DocumentReader::open(
            Path::new("/nonexistent/x.csv"),
            Format::Csv,
            ReadOptions::default(),
        )
        .err();
        assert!(
            matches!(&error, Some(Error::Io { path, .. }) if path == Path::new("/nonexistent/x.csv")),
            "{error:?}"
        );
    }

    #[test]
    fn preview_shows_the_first_documents_the_bad_rows_and_the_column_types() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("p.csv");
        let mut file = File::create(&path).at(&path)?;
        let content = b"name,age\nann,31\nbob\ncid,27\ndee,40\n";
        file.write_all(content).at(&path)?;
        drop(file);
        let preview = preview(&path, Format::Csv, 2, &ReadOptions::default())?;
        assert_eq!(
            preview.documents,
            [
                (2, doc(json!({"name": "ann", "age": 31}))),
                (4, doc(json!({"name": "cid", "age": 27})))
            ]
        );
        let errors: Vec<String> = preview.errors.iter().map(Error::to_string).collect();
        assert_eq!(
            errors,
            [format!(
                "{}: line 3: the row has 1 fields, the header has 2",
                path.display()
            )]
        );
        let types: Vec<_> = preview
            .csv_columns
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.column_type)
            .collect();
        assert_eq!(types, [ColumnType::String, ColumnType::Integer]);
        assert_eq!(preview.total_bytes, Some(content.len() as u64));
        Ok(())
    }

    #[test]
    fn files_written_by_the_writer_read_back_through_open() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let docs = [
            doc(json!({"_id": "a", "n": 1})),
            doc(json!({"_id": "b", "n": 2})),
        ];
        for format in Format::ALL {
            let path = dir.path().join(format!("out.{}", format.name()));
            let mut writer = DocumentWriter::create(&path, format, None)?;
            for doc in &docs {
                writer.write(doc)?;
            }
            writer.finish()?.sync_all().at(&path)?;
            let detected = Format::from_path(&path).unwrap_or(Format::Csv);
            let read: Vec<Document> =
                DocumentReader::open(&path, detected, ReadOptions::default())?
                    .map(|next| next.map(|(_, doc)| doc))
                    .collect::<Result<_>>()?;
            assert_eq!(read, docs, "{format}");
        }
        Ok(())
    }
}
