//! Import and export of JSON, JSON Lines and CSV files: the engine side of
//! `crate::interchange`, so the app and the CLI share one implementation.
//!
//! **Import** streams: a reader thread parses the file (one fixed read
//! buffer) while this thread stages documents into the collection. Staged
//! writes are written out whenever they reach the write buffer's size, as
//! batches tagged with a transaction id that count only once
//! `transactions.log` holds that id. The id is logged after the last batch,
//! so an import of any size is atomic (a crash, an error or a cancel leaves
//! nothing of it) while its memory stays at the write buffer plus the read
//! buffer: beyond what the collection itself keeps per record (its `_id`
//! table), it does not grow with the file.
//!
//! **Export** streams too: records are read from the collection file in
//! insertion order and written one at a time to `<file>.tmp`, which is
//! fsynced and renamed over the target, so a failed export leaves no half
//! file. CSV needs its header (the union of every document's fields, in
//! first-seen order) before the first row: a first pass reads the records
//! for their field names only.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

use serde_json::Value;

use super::{Collection, FluxDB, new_transaction_id, with_id};
use crate::engine::Document;
use crate::engine::collection::CollectionStore;
use crate::engine::find::Find;
use crate::engine::names::validate_collection_name;
use crate::engine::query::{Filter, Projection};
use crate::engine::storage::durable;
use crate::error::{Error, Result};
use crate::interchange::{
    CancelToken, CsvHeader, CsvTypes, DocumentReader, DocumentWriter, EmptyCells, Format, Progress,
    ReadOptions,
};

/// Skipped records listed in an [`ImportReport`]; beyond this they are only
/// counted, so a file of garbage cannot fill memory with error messages.
pub const MAX_LISTED_SKIPS: usize = 1000;

/// Documents the reader thread hands over at a time.
const CHUNK_DOCUMENTS: usize = 512;

/// The smallest write buffer an import uses, whatever the database's flush
/// size: every write of it costs an fsync.
const MIN_WRITE_BUFFER: usize = 1 << 20;

/// How to import a file.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The file's format; `None`: from its extension (`.json`, `.jsonl` or
    /// `.ndjson`, `.csv`).
    pub format: Option<Format>,
    /// Skip bad records (each is listed in the report with its line)
    /// instead of importing nothing. The import stays atomic either way.
    pub skip_bad: bool,
    /// CSV: column types, inferred per column unless overridden here.
    pub csv_types: CsvTypes,
    /// CSV: what an empty cell becomes.
    pub csv_empty_cells: EmptyCells,
    /// Stops the import (nothing of it is kept): `Error::Cancelled`.
    pub cancel: Option<CancelToken>,
    /// Bytes of staged documents written out at a time (default: the
    /// database's flush size, at least 1 MiB). The import's memory beyond
    /// the collection's own is this plus the reader's 64 KiB buffer.
    pub write_buffer_bytes: Option<usize>,
}

impl ImportOptions {
    pub fn new() -> ImportOptions {
        ImportOptions::default()
    }

    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    pub fn skip_bad(mut self, skip_bad: bool) -> Self {
        self.skip_bad = skip_bad;
        self
    }

    /// Reads CSV column `field` as `column_type` (strictly: a cell that does
    /// not fit is a bad record).
    pub fn csv_type(mut self, field: &str, column_type: crate::interchange::ColumnType) -> Self {
        self.csv_types
            .overrides
            .insert(field.to_owned(), column_type);
        self
    }

    pub fn cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = Some(cancel);
        self
    }
}

/// What an import did.
#[derive(Debug)]
pub struct ImportReport {
    pub collection: String,
    /// Whether the import created the collection.
    pub created: bool,
    pub imported: u64,
    /// Bad records skipped (only with `skip_bad`).
    pub skipped: u64,
    /// The first [`MAX_LISTED_SKIPS`] skipped records, each an
    /// `Error::ImportLine` naming the file and line.
    pub skipped_records: Vec<Error>,
    pub bytes_read: u64,
    /// The largest the write buffer grew, in bytes.
    pub peak_buffer_bytes: usize,
    /// Groups of batches written before the commit (1 for a small import).
    pub groups_written: u32,
}

/// What to export and how.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// `None`: from the file's extension.
    pub format: Option<Format>,
    /// `None`: every record in insertion order. A filter and a projection
    /// stream; a sort, skip or limit runs the query first and holds its
    /// result in memory.
    pub query: Option<Find>,
    /// CSV: the columns, in order. `None`: the union of the exported
    /// documents' fields in first-seen order (`_id` first), found by a first
    /// pass over the records.
    pub csv_fields: Option<Vec<String>>,
    /// Stops the export (the target is left as it was): `Error::Cancelled`.
    pub cancel: Option<CancelToken>,
}

impl ExportOptions {
    pub fn new() -> ExportOptions {
        ExportOptions::default()
    }

    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    pub fn query(mut self, query: Find) -> Self {
        self.query = Some(query);
        self
    }

    pub fn cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = Some(cancel);
        self
    }
}

/// The format a file's extension names, or an error naming the file.
fn format_of(path: &Path, given: Option<Format>) -> Result<Format> {
    if let Some(format) = given {
        return Ok(format);
    }
    Format::from_path(path).ok_or_else(|| Error::UnknownName {
        what: format!("format of {}", path.display()),
        name: path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default(),
        expected: "json, jsonl (or ndjson), csv (as the extension, or chosen)".to_owned(),
    })
}

/// A slice of the input handed from the reader thread.
struct Chunk {
    items: Vec<Result<(u64, Document)>>,
    progress: Progress,
}

/// The import in progress: counts and the skipped-record list.
struct Tally {
    path: PathBuf,
    skip_bad: bool,
    imported: u64,
    skipped: u64,
    skipped_records: Vec<Error>,
    peak_buffer_bytes: usize,
    groups_written: u32,
    bytes_read: u64,
}

impl Tally {
    /// A bad record: skipped and listed, or the end of the import.
    fn bad(&mut self, error: Error) -> Result<()> {
        if !self.skip_bad {
            return Err(error);
        }
        self.skipped += 1;
        if self.skipped_records.len() < MAX_LISTED_SKIPS {
            self.skipped_records.push(error);
        }
        Ok(())
    }

    fn line_error(&self, line: u64, message: String) -> Error {
        Error::ImportLine {
            path: self.path.clone(),
            line,
            message,
        }
    }
}

impl FluxDB {
    /// Imports a JSON, JSON Lines or CSV file into a collection (created if
    /// missing), appending to its records. All or nothing: a bad record
    /// (reported with its line) imports nothing unless `skip_bad` is set; a
    /// crash, an I/O error or a cancel leaves nothing either way. Progress
    /// is reported every few hundred documents and at the end.
    ///
    /// A document's string `_id` is kept; without one it gets a UUID. An
    /// `_id` the collection (or an earlier line) has is a bad record.
    ///
    /// Memory: the reader's 64 KiB buffer plus the write buffer
    /// ([`ImportOptions::write_buffer_bytes`]), beyond the collection's
    /// usual per-record `_id` table; not the file's size.
    pub fn import_documents(
        &mut self,
        collection: &str,
        file: impl AsRef<Path>,
        options: ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        let file = file.as_ref();
        let format = format_of(file, options.format)?;
        validate_collection_name(collection)?;
        self.ensure_writable("importing")?;
        self.refuse_in_transaction("importing")?;
        let read = ReadOptions {
            skip_bad: options.skip_bad,
            csv_types: options.csv_types.clone(),
            csv_empty_cells: options.csv_empty_cells,
            cancel: options.cancel.clone(),
            ..ReadOptions::default()
        };
        let reader = DocumentReader::open(file, format, read)?;
        self.import_from_reader(collection, reader, file, &options, progress)
    }

    /// [`import_documents`](Self::import_documents) from a reader already
    /// opened on any input (a pipe, a socket); `source` names it in errors.
    pub fn import_from_reader<R: Read + Send>(
        &mut self,
        collection: &str,
        reader: DocumentReader<R>,
        source: &Path,
        options: &ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        validate_collection_name(collection)?;
        self.ensure_writable("importing")?;
        self.refuse_in_transaction("importing")?;
        if let Some(Collection::Legacy { .. }) = self.collections.get(collection) {
            return Err(super::legacy_refused(collection));
        }
        // Earlier buffered writes go first: a failed import must not take
        // them with it.
        self.flush()?;
        let created = !self.collections.contains_key(collection);
        self.ensure_collection(collection)?;
        let mut tally = Tally {
            path: source.to_path_buf(),
            skip_bad: options.skip_bad,
            imported: 0,
            skipped: 0,
            skipped_records: Vec::new(),
            peak_buffer_bytes: 0,
            groups_written: 0,
            bytes_read: 0,
        };
        let buffer_bytes = options.write_buffer_bytes.unwrap_or(self.flush_size).max(
            if options.write_buffer_bytes.is_some() {
                1
            } else {
                MIN_WRITE_BUFFER
            },
        );
        let txn = new_transaction_id();
        let staged = std::thread::scope(|scope| {
            let (sender, chunks) = sync_channel::<Chunk>(4);
            let mut reader = reader;
            scope.spawn(move || {
                loop {
                    let mut items = Vec::with_capacity(CHUNK_DOCUMENTS);
                    let mut finished = false;
                    while items.len() < CHUNK_DOCUMENTS {
                        match reader.next_document() {
                            Some(item) => items.push(item),
                            None => {
                                finished = true;
                                break;
                            }
                        }
                    }
                    let chunk = Chunk {
                        items,
                        progress: reader.progress(),
                    };
                    // A closed channel: the import stopped, stop reading.
                    if sender.send(chunk).is_err() || finished {
                        break;
                    }
                }
            });
            self.stage_import(collection, chunks, txn, buffer_bytes, &mut tally, progress)
        });
        let result = staged.and_then(|()| self.commit_import(collection, txn, &mut tally));
        match result {
            Ok(()) => {
                let c = self.store_mut(collection)?;
                c.release_savepoint();
                Ok(ImportReport {
                    collection: collection.to_owned(),
                    created,
                    imported: tally.imported,
                    skipped: tally.skipped,
                    skipped_records: tally.skipped_records,
                    bytes_read: tally.bytes_read,
                    peak_buffer_bytes: tally.peak_buffer_bytes,
                    groups_written: tally.groups_written,
                })
            }
            Err(error) => {
                if let Some(Collection::Open(c)) = self.collections.get_mut(collection) {
                    // Prepared batches never got their commit record; cut
                    // them off anyway so the file does not keep their bytes.
                    let _ = c.abort_commit();
                    c.rollback_savepoint();
                }
                if created {
                    let _ = self.drop_collection(collection);
                }
                Err(error)
            }
        }
    }

    /// Stages every document under a savepoint, writing staged batches
    /// (prepared under `txn`) whenever they fill the write buffer.
    fn stage_import(
        &mut self,
        collection: &str,
        chunks: Receiver<Chunk>,
        txn: u64,
        buffer_bytes: usize,
        tally: &mut Tally,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        let c = self.store_mut(collection)?;
        c.savepoint();
        for chunk in chunks {
            for item in chunk.items {
                match item {
                    Ok((line, doc)) => stage_document(c, collection, line, doc, tally)?,
                    Err(error @ Error::ImportLine { .. }) => tally.bad(error)?,
                    Err(other) => return Err(other),
                }
                tally.peak_buffer_bytes = tally.peak_buffer_bytes.max(c.pending_bytes());
                if c.pending_bytes() >= buffer_bytes {
                    c.flush(txn)?;
                    tally.groups_written += 1;
                }
            }
            tally.bytes_read = chunk.progress.bytes_read;
            progress(Progress {
                records: tally.imported,
                bad_records: tally.skipped,
                ..chunk.progress
            });
        }
        Ok(())
    }

    /// Makes the staged import durable: one group of its own when nothing
    /// was written yet, else the last prepared group and the commit record.
    fn commit_import(&mut self, collection: &str, txn: u64, tally: &mut Tally) -> Result<()> {
        let c = self.store_mut(collection)?;
        if tally.groups_written == 0 {
            c.flush(0)?;
            tally.groups_written = u32::from(tally.imported > 0);
            return Ok(());
        }
        c.flush(txn)?;
        tally.groups_written += 1;
        self.txlog_mut()?.commit(txn)?;
        self.store_mut(collection)?.finish_commit()
    }

    /// Writes the records of a collection (or of a query) to a JSON, JSON
    /// Lines or CSV file; returns how many. JSON and JSON Lines write one
    /// compact object a line with `_id` first, which `mongoimport` reads
    /// (`--jsonArray` for JSON). The file is replaced atomically.
    ///
    /// `progress(done, total)` is called every few thousand records; the
    /// total is the collection's record count (an upper bound when a filter
    /// is given).
    pub fn export_documents(
        &self,
        collection: &str,
        file: impl AsRef<Path>,
        options: &ExportOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let file = file.as_ref();
        let format = format_of(file, options.format)?;
        let store = self.store(collection)?;
        let source = ExportSource::new(self, collection, store, options.query.as_ref())?;
        let fields = match (&options.csv_fields, format) {
            (Some(fields), Format::Csv) => Some(fields.clone()),
            (None, Format::Csv) => Some(source.csv_fields(options.cancel.as_ref())?),
            (_, Format::Json | Format::JsonLines) => None,
        };
        let total = source.total();
        durable::replace_file(file, |out| {
            let mut writer = DocumentWriter::new(out, format, fields)?.with_path(file);
            if let Some(cancel) = &options.cancel {
                writer = writer.with_cancel(cancel.clone());
            }
            let mut written = 0u64;
            source.for_each(&mut |doc| {
                writer.write(&doc)?;
                written += 1;
                if written.is_multiple_of(4096) {
                    progress(written, total);
                }
                Ok(())
            })?;
            writer.finish()?;
            progress(written, total.max(written));
            Ok(written)
        })
    }
}

/// Checks one document and stages it; a bad one goes to the tally.
fn stage_document(
    c: &mut dyn CollectionStore,
    collection: &str,
    line: u64,
    doc: Document,
    tally: &mut Tally,
) -> Result<()> {
    let (id, doc) = match with_id(Value::Object(doc)) {
        Ok(checked) => checked,
        Err(e) => return tally.bad(tally.line_error(line, bare_message(e))),
    };
    match c.insert(&id, &doc) {
        Ok(true) => {
            tally.imported += 1;
            Ok(())
        }
        Ok(false) => tally.bad(tally.line_error(
            line,
            format!("duplicate _id {id:?} (collection {collection:?} or an earlier record has it)"),
        )),
        // A document the codec cannot store (too deep, too big) is this
        // record's fault; anything else (a poisoned file) ends the import.
        Err(
            e
            @ (Error::RecordEncoding(_) | Error::LimitExceeded { .. } | Error::InvalidDocument(_)),
        ) => tally.bad(tally.line_error(line, bare_message(e))),
        Err(other) => Err(other),
    }
}

/// An error's message without its variant's prefix ("invalid document: "),
/// for a line report that says it already.
fn bare_message(error: Error) -> String {
    match error {
        Error::InvalidDocument(m) | Error::RecordEncoding(m) => m,
        other => other.to_string(),
    }
}

/// Where an export's documents come from.
enum ExportSource<'a> {
    /// Streamed from the collection: every record, or those a filter keeps.
    Scan {
        store: &'a dyn CollectionStore,
        filter: Option<Filter>,
        projection: Option<Projection>,
    },
    /// A query with a sort, skip or limit, run up front.
    Found(Vec<Document>),
}

impl<'a> ExportSource<'a> {
    fn new(
        db: &FluxDB,
        collection: &str,
        store: &'a dyn CollectionStore,
        query: Option<&Find>,
    ) -> Result<ExportSource<'a>> {
        let Some(query) = query else {
            return Ok(ExportSource::Scan {
                store,
                filter: None,
                projection: None,
            });
        };
        if query.sort.is_some() || query.skip > 0 || query.limit.is_some_and(|l| l > 0) {
            return Ok(ExportSource::Found(db.find(collection, query)?));
        }
        let filter = Filter::parse(&query.filter)?;
        Ok(ExportSource::Scan {
            store,
            filter: (!filter.is_match_all()).then_some(filter),
            projection: query
                .projection
                .as_ref()
                .map(Projection::parse)
                .transpose()?,
        })
    }

    fn total(&self) -> u64 {
        match self {
            ExportSource::Scan { store, .. } => store.len() as u64,
            ExportSource::Found(docs) => docs.len() as u64,
        }
    }

    /// Calls `f` with each document, in order.
    fn for_each(&self, f: &mut dyn FnMut(Document) -> Result<()>) -> Result<()> {
        match self {
            ExportSource::Scan {
                store,
                filter,
                projection,
            } => {
                let mode = store.value_mode();
                for doc in store.scan() {
                    let doc = doc?;
                    if filter.as_ref().is_some_and(|f| !f.matches_in(&doc, mode)) {
                        continue;
                    }
                    match projection {
                        Some(p) => f(p.apply(&doc))?,
                        None => f(doc)?,
                    }
                }
                Ok(())
            }
            ExportSource::Found(docs) => docs.iter().try_for_each(|doc| f(doc.clone())),
        }
    }

    /// The CSV header: every exported document's fields in first-seen
    /// order, `_id` first. Only field names are kept from the first pass.
    fn csv_fields(&self, cancel: Option<&CancelToken>) -> Result<Vec<String>> {
        let mut header = CsvHeader::new();
        let mut seen = 0u64;
        self.for_each(&mut |doc| {
            seen += 1;
            if seen.is_multiple_of(4096) && cancel.is_some_and(CancelToken::is_cancelled) {
                return Err(Error::Cancelled);
            }
            header.add(&doc);
            Ok(())
        })?;
        Ok(header.into_fields())
    }
}
