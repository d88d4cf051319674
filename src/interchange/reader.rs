//! The import side: [`DocumentReader`] over any `Read`, and [`preview`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::csv_columns::{CsvColumn, CsvTypes, EmptyCells};
use super::csv_reader::{CsvReader, CsvSettings};
use super::json_array::JsonArrayReader;
use super::json_lines::JsonLinesReader;
use super::record::Step;
use super::source::ByteSource;
use super::{CancelToken, Format, Progress};
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
    Csv(CsvReader<R>),
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
            Format::Csv => Records::Csv(CsvReader::new(
                source,
                CsvSettings {
                    types: &options.csv_types,
                    empty_cells: options.csv_empty_cells,
                    sample_rows: options.csv_sample_rows,
                    max_record_bytes,
                },
            )?),
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
        if self.finished {
            return None;
        }
        if self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            self.finished = true;
            return Some(Err(Error::Cancelled));
        }
        let step: Step = match &mut self.records {
            Records::Json(reader) => reader.next_record(),
            Records::JsonLines(reader) => reader.next_record(),
            Records::Csv(reader) => reader.next_record(),
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
