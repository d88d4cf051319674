//! Import of JSON, JSON Lines and CSV files into a collection: the engine
//! side of `engine::interchange`, so the app and the CLI share one
//! implementation.
//!
//! Import streams through two threads: a reader thread parses the file
//! (one fixed read buffer), checks each document's `_id` and encodes it;
//! this thread stages the encoded documents into the collection. Staged
//! writes go to the file whenever they fill the write buffer, as batches
//! tagged with a transaction id that count only once `transactions.log`
//! holds that id, and the id is logged after the last batch. So an import
//! of any size is atomic (a crash, an error or a cancel leaves nothing of
//! it), and its memory is the write buffer and a few chunks of documents in
//! flight, beyond what the collection keeps per record (its `_id` table):
//! it does not grow with the file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use serde_json::Value;

use super::crud::{MAX_ID_BYTES, with_id};
use super::fluxdb::FluxDB;
use super::transactions::new_transaction_id;
use crate::engine::Document;
use crate::engine::cancel::CancelToken;
use crate::engine::collection::CollectionStore;
use crate::engine::interchange::{
    CellValue, CsvRecord, CsvTypes, DocumentReader, EmptyCells, Format, Progress, RawRecord,
    ReadOptions,
};
use crate::engine::names::validate_collection_name;
use crate::engine::storage::StorageFormat;
use crate::engine::storage::codec::MAX_DOCUMENT_BYTES;
use crate::engine::storage::transcode::{TranscodedId, pieces, transcode_object, transcode_value};
use crate::engine::storage::{BinaryCodec, RecordCodec};
use crate::error::{Error, Result};

/// Skipped records listed in an [`ImportReport`]; beyond this they are only
/// counted, so a file of garbage cannot fill memory with error messages.
pub const MAX_LISTED_SKIPS: usize = 1000;

/// Documents the reader thread hands over at a time.
const CHUNK_DOCUMENTS: usize = 1024;

/// Chunks in flight between the threads (each way).
const CHUNKS_IN_FLIGHT: usize = 4;

/// The default write buffer: large enough that its fsync is cheap per
/// document, small enough to be the "fixed buffer" the memory bound means.
const DEFAULT_WRITE_BUFFER: usize = 8 << 20;

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
    /// Bytes of staged documents written out at a time (default 8 MiB).
    /// The import's memory beyond the collection's own is about twice this
    /// (the buffer and its framed copy being written) plus the reader's.
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
    pub fn csv_type(
        mut self,
        field: &str,
        column_type: crate::engine::interchange::ColumnType,
    ) -> Self {
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

/// The format a file's extension names, or an error naming the file.
pub(super) fn format_of(path: &Path, given: Option<Format>) -> Result<Format> {
    if let Some(format) = given {
        return Ok(format);
    }
    Format::from_path(path).ok_or_else(|| Error::UnknownName {
        what: "file format of".to_owned(),
        name: path.display().to_string(),
        expected: "the extensions .json, .jsonl, .ndjson, .csv (or choose the format)".to_owned(),
    })
}

/// Documents the reader thread parsed, checked and encoded. Encoding on
/// the reader thread halves this thread's work, and every document is freed
/// by the thread that built it (the allocator's cheap path).
struct Chunk {
    records: Vec<Parsed>,
    /// The `_id`s, one after another.
    ids: String,
    /// The encoded documents, one after another.
    data: Vec<u8>,
    progress: Progress,
}

enum Parsed {
    /// A document to stage: its line, and where its `_id` and its encoding
    /// end in the chunk's buffers (each starts where the previous ended).
    Ready {
        line: u64,
        id_end: usize,
        data_end: usize,
    },
    /// A bad record (`Error::ImportLine`), or an error that ends the import.
    Failed(Error),
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            records: Vec::with_capacity(CHUNK_DOCUMENTS),
            ids: String::new(),
            data: Vec::new(),
            progress: Progress::default(),
        }
    }

    fn clear(&mut self) {
        self.records.clear();
        self.ids.clear();
        self.data.clear();
    }

    /// Encodes a JSON object's text directly (see `storage::transcode`),
    /// giving it a new UUID if it has no `_id`; returns where its `_id` and
    /// its encoding end, or `None` (nothing added) to parse it as usual.
    fn transcode(&mut self, json: &[u8]) -> Option<(usize, usize)> {
        let start = self.data.len();
        let id = transcode_object(json, &mut self.data, MAX_ID_BYTES)?;
        match id {
            TranscodedId::Given(range) => match std::str::from_utf8(&json[range]) {
                Ok(id) => self.ids.push_str(id),
                Err(_) => {
                    self.data.truncate(start);
                    return None;
                }
            },
            TranscodedId::Missing => self.push_new_id(),
        }
        Some((self.ids.len(), self.data.len()))
    }

    /// Encodes a CSV row straight from its typed cells, the bytes
    /// `BinaryCodec` writes for the row's document (which is never built),
    /// giving it a new UUID if it has no `_id`; returns where its `_id` and
    /// its encoding end, or `None` (nothing added) to build the document
    /// as usual: for a bad cell or `_id`, or JSON text the fast path does
    /// not take exactly, so errors and results do not change.
    fn encode_csv_row(&mut self, row: &CsvRecord<'_>) -> Option<(usize, usize)> {
        let out = &mut self.data;
        let start = pieces::start_document(out);
        let mut count = 0u64;
        let mut id = None;
        let mut exact = true;
        let complete = row.for_each_field(|name, value| {
            if !exact {
                return;
            }
            if name == "_id" {
                // The document path's `with_id` rejects any other `_id`.
                match value {
                    CellValue::Text(text) if !text.is_empty() && text.len() <= MAX_ID_BYTES => {
                        id = Some(text);
                    }
                    _ => exact = false,
                }
                return;
            }
            pieces::field_name(out, name);
            match value {
                CellValue::Null => pieces::null(out),
                CellValue::Bool(b) => pieces::boolean(out, b),
                CellValue::Number(n) => pieces::number(out, &n),
                CellValue::Text(text) => pieces::string(out, text),
                CellValue::Json { text, .. } => exact = transcode_value(text.as_bytes(), out),
            }
            count += 1;
        });
        // The size limit `BinaryCodec::encode` enforces.
        if !(complete && exact) || pieces::end_document(out, start, count) > MAX_DOCUMENT_BYTES {
            out.truncate(start);
            return None;
        }
        match id {
            Some(id) => self.ids.push_str(id),
            None => self.push_new_id(),
        }
        Some((self.ids.len(), self.data.len()))
    }

    fn push_new_id(&mut self) {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = uuid::Uuid::new_v4().hyphenated();
        self.ids.push_str(id.encode_lower(&mut text));
    }

    /// Gives a document its `_id` (a new UUID if it has none) and encodes it.
    fn push(&mut self, line: u64, doc: Document, codec: &dyn RecordCodec, source: &Path) {
        let bad = |error: Error| {
            Parsed::Failed(Error::ImportLine {
                path: source.to_path_buf(),
                line,
                message: bare_message(error),
            })
        };
        let parsed = match with_id(Value::Object(doc)) {
            Err(error) => bad(error),
            Ok((id, doc)) => {
                let start = self.data.len();
                match codec.encode(&doc, &mut self.data) {
                    Ok(()) => {
                        self.ids.push_str(&id);
                        Parsed::Ready {
                            line,
                            id_end: self.ids.len(),
                            data_end: self.data.len(),
                        }
                    }
                    Err(error) => {
                        self.data.truncate(start);
                        bad(error)
                    }
                }
            }
        };
        self.records.push(parsed);
    }
}

/// The reader thread: fills chunks (reusing the ones handed back) until the
/// input ends or the import stops listening.
fn read_chunks<R: Read>(
    mut reader: DocumentReader<R>,
    codec: &dyn RecordCodec,
    source: &Path,
    chunks: SyncSender<Chunk>,
    returned: Receiver<Chunk>,
) {
    loop {
        let mut chunk = returned.try_recv().unwrap_or_else(|_| Chunk::new());
        chunk.clear();
        let mut finished = false;
        while chunk.records.len() < CHUNK_DOCUMENTS {
            // JSON Lines and CSV in the binary codec: straight from the
            // text or the typed cells to the encoding where that is exact
            // (the document is never built).
            let mut taken = None;
            let fast = codec.name() == BinaryCodec.name();
            let next = reader.next_document_or(&mut |record| {
                taken = match record {
                    _ if !fast => None,
                    RawRecord::JsonText(json) => chunk.transcode(json),
                    RawRecord::CsvRow(row) => chunk.encode_csv_row(row),
                };
                taken.is_some()
            });
            match next {
                Some(Ok((line, None))) => {
                    if let Some((id_end, data_end)) = taken {
                        chunk.records.push(Parsed::Ready {
                            line,
                            id_end,
                            data_end,
                        });
                    }
                }
                Some(Ok((line, Some(doc)))) => chunk.push(line, doc, codec, source),
                Some(Err(error)) => chunk.records.push(Parsed::Failed(error)),
                None => {
                    finished = true;
                    break;
                }
            }
        }
        chunk.progress = reader.progress();
        if chunks.send(chunk).is_err() || finished {
            return;
        }
    }
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
    /// is reported every thousand documents or so, and at the end.
    ///
    /// A document's string `_id` is kept; without one it gets a UUID. An
    /// `_id` the collection (or an earlier line) has is a bad record.
    ///
    /// Memory: about twice the write buffer
    /// ([`ImportOptions::write_buffer_bytes`]) plus a few thousand
    /// documents in flight, beyond the collection's usual per-record `_id`
    /// table; not the file's size.
    pub fn import_documents(
        &mut self,
        collection: &str,
        file: impl AsRef<Path>,
        options: ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        self.write_span(|db| {
            let file = file.as_ref();
            let format = format_of(file, options.format)?;
            validate_collection_name(collection)?;
            db.ensure_writable("importing")?;
            db.refuse_in_transaction("importing")?;
            let read = ReadOptions {
                skip_bad: options.skip_bad,
                csv_types: options.csv_types.clone(),
                csv_empty_cells: options.csv_empty_cells,
                cancel: options.cancel.clone(),
                ..ReadOptions::default()
            };
            let reader = DocumentReader::open(file, format, read)?;
            db.import_from_reader(collection, reader, file, &options, progress)
        })
    }

    /// [`import_documents`](Self::import_documents) from a reader already
    /// opened on any input (a pipe, a socket); `source` names it in errors.
    /// The reader's own options (skip_bad, cancel) rule the reading.
    pub fn import_from_reader<R: Read + Send>(
        &mut self,
        collection: &str,
        reader: DocumentReader<R>,
        source: &Path,
        options: &ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        self.write_span(|db| {
            validate_collection_name(collection)?;
            db.ensure_writable("importing")?;
            db.refuse_in_transaction("importing")?;
            // Earlier buffered writes go first: a failed import must not take
            // them with it.
            db.flush()?;
            let created = !db.collections.contains_key(collection);
            db.ensure_collection(collection)?;
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
            // A Python FluxDB 0.1 collection rewrites its whole file on each
            // write (its records live in memory anyway): it is written once, at
            // the end.
            let rewrites_whole_file = db.store(collection)?.format() == StorageFormat::Legacy;
            let buffer_bytes = match options.write_buffer_bytes {
                _ if rewrites_whole_file => usize::MAX,
                Some(bytes) => bytes.max(1),
                None => DEFAULT_WRITE_BUFFER,
            };
            let txn = new_transaction_id();
            let codec = db.codec.clone();
            let staged = std::thread::scope(|scope| {
                let (to_stage, chunks) = sync_channel::<Chunk>(CHUNKS_IN_FLIGHT);
                let (to_reuse, returned) = sync_channel::<Chunk>(CHUNKS_IN_FLIGHT);
                let reader_codec = codec.clone();
                std::thread::Builder::new()
                    .name("fluxdb-import-reader".to_owned())
                    .spawn_scoped(scope, move || {
                        read_chunks(reader, reader_codec.as_ref(), source, to_stage, returned)
                    })
                    .map_err(|e| Error::io(source, e))?;
                let staging = Staging {
                    collection,
                    codec: codec.as_ref(),
                    txn,
                    buffer_bytes,
                };
                // Returning drops `chunks`: a reader still running stops at its
                // next send.
                db.stage_import(&staging, chunks, &to_reuse, &mut tally, progress)
            });
            let result = staged.and_then(|()| db.commit_import(collection, txn, &mut tally));
            match result {
                Ok(()) => {
                    db.store_mut(collection)?.release_savepoint();
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
                    if let Some(c) = db.collections.get_mut(collection) {
                        // Prepared batches never got their commit record, so
                        // they never count; cut them off so their bytes go too.
                        let _ = c.abort_commit();
                        c.rollback_savepoint();
                    }
                    if created {
                        let _ = db.drop_collection(collection);
                    }
                    Err(error)
                }
            }
        })
    }

    /// Stages every document under a savepoint, writing staged batches
    /// (prepared under the import's transaction id) whenever they fill the
    /// write buffer.
    fn stage_import(
        &mut self,
        staging: &Staging<'_>,
        chunks: Receiver<Chunk>,
        to_reuse: &SyncSender<Chunk>,
        tally: &mut Tally,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        let c = self.store_mut(staging.collection)?;
        c.savepoint();
        c.defer_index_additions(true);
        let staged = Self::stage_chunks(c, staging, chunks, to_reuse, tally, progress);
        c.defer_index_additions(false);
        staged
    }

    fn stage_chunks(
        c: &mut dyn CollectionStore,
        staging: &Staging<'_>,
        chunks: Receiver<Chunk>,
        to_reuse: &SyncSender<Chunk>,
        tally: &mut Tally,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        for mut chunk in chunks {
            let (mut id_at, mut data_at) = (0, 0);
            for parsed in chunk.records.drain(..) {
                match parsed {
                    Parsed::Ready {
                        line,
                        id_end,
                        data_end,
                    } => {
                        let id = &chunk.ids[id_at..id_end];
                        let data = &chunk.data[data_at..data_end];
                        (id_at, data_at) = (id_end, data_end);
                        staging.stage(c, line, id, data, tally)?;
                    }
                    Parsed::Failed(error @ Error::ImportLine { .. }) => tally.bad(error)?,
                    Parsed::Failed(other) => return Err(other),
                }
                let pending = c.pending_bytes();
                tally.peak_buffer_bytes = tally.peak_buffer_bytes.max(pending);
                if pending >= staging.buffer_bytes {
                    c.flush(staging.txn)?;
                    tally.groups_written += 1;
                }
            }
            tally.bytes_read = chunk.progress.bytes_read;
            progress(Progress {
                records: tally.imported,
                bad_records: tally.skipped,
                ..chunk.progress
            });
            // The reader reuses it if it has not finished; never wait for that.
            let _ = to_reuse.try_send(chunk);
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
}

/// What staging an import needs besides the collection.
struct Staging<'a> {
    collection: &'a str,
    codec: &'a dyn RecordCodec,
    txn: u64,
    buffer_bytes: usize,
}

impl Staging<'_> {
    /// Stages one encoded document; a bad one goes to the tally.
    fn stage(
        &self,
        c: &mut dyn CollectionStore,
        line: u64,
        id: &str,
        data: &[u8],
        tally: &mut Tally,
    ) -> Result<()> {
        match c.insert_encoded(id, data, self.codec) {
            Ok(true) => {
                tally.imported += 1;
                Ok(())
            }
            Ok(false) => tally.bad(tally.line_error(
                line,
                format!(
                    "duplicate _id {id:?} (collection {:?} or an earlier record has it)",
                    self.collection
                ),
            )),
            // A document the store cannot take (too big) is this record's
            // fault; anything else (a poisoned file) ends the import.
            Err(
                e @ (Error::RecordEncoding(_)
                | Error::LimitExceeded { .. }
                | Error::InvalidDocument(_)),
            ) => tally.bad(tally.line_error(line, bare_message(e))),
            Err(other) => Err(other),
        }
    }
}

/// An error's message without its variant's prefix ("invalid document: "),
/// for a line report that says what it is already.
fn bare_message(error: Error) -> String {
    match error {
        Error::InvalidDocument(m) | Error::RecordEncoding(m) => m,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::storage::BinaryCodec;

    use crate::engine::test_doc as doc;

    #[test]
    fn chunks_keep_ids_and_encodings_back_to_back_and_name_bad_lines() {
        let mut chunk = Chunk::new();
        let source = Path::new("in.jsonl");
        chunk.push(1, doc(json!({"_id": "a", "n": 1})), &BinaryCodec, source);
        chunk.push(2, doc(json!({"_id": 7})), &BinaryCodec, source);
        chunk.push(3, doc(json!({"n": 2})), &BinaryCodec, source);
        let mut id_at = 0;
        let mut ids = Vec::new();
        let mut failures = Vec::new();
        for parsed in &chunk.records {
            match parsed {
                Parsed::Ready { line, id_end, .. } => {
                    ids.push((*line, chunk.ids[id_at..*id_end].to_owned()));
                    id_at = *id_end;
                }
                Parsed::Failed(error) => failures.push(error.to_string()),
            }
        }
        assert_eq!(ids[0], (1, "a".to_owned()));
        assert_eq!((ids[1].0, ids[1].1.len()), (3, 36), "a new UUID");
        assert_eq!(
            failures,
            ["in.jsonl: line 2: _id must be a string, not a number"]
        );
    }

    #[test]
    fn the_format_comes_from_the_extension_or_is_an_error_naming_the_file() {
        assert_eq!(format_of(Path::new("a.CSV"), None).ok(), Some(Format::Csv));
        assert_eq!(
            format_of(Path::new("a.txt"), Some(Format::JsonLines)).ok(),
            Some(Format::JsonLines)
        );
        let error = format_of(Path::new("dir/a.xml"), None).map_err(|e| e.to_string());
        assert_eq!(
            error,
            Err("unknown file format of \"dir/a.xml\": expected one of the extensions .json, .jsonl, .ndjson, .csv (or choose the format)".to_owned())
        );
    }

    #[test]
    fn skips_beyond_the_list_are_counted_and_without_skip_bad_a_bad_record_ends_the_import() {
        let mut tally = Tally {
            path: PathBuf::from("f"),
            skip_bad: true,
            imported: 0,
            skipped: 0,
            skipped_records: Vec::new(),
            peak_buffer_bytes: 0,
            groups_written: 0,
            bytes_read: 0,
        };
        for line in 0..MAX_LISTED_SKIPS as u64 + 3 {
            let error = tally.line_error(line, "bad".to_owned());
            assert!(tally.bad(error).is_ok());
        }
        assert_eq!(tally.skipped, MAX_LISTED_SKIPS as u64 + 3);
        assert_eq!(tally.skipped_records.len(), MAX_LISTED_SKIPS);
        tally.skip_bad = false;
        let error = tally.line_error(9, "bad".to_owned());
        assert!(tally.bad(error).is_err());
    }
}

#[cfg(test)]
mod csv_fast_path_tests {
    use std::collections::HashMap;

    use super::*;
    use crate::engine::interchange::ColumnType;

    /// What each path made of one row: the fast path's `_id` (`None`: a
    /// new UUID) and bytes, or `None` where it declined; the document path's
    /// `_id` and bytes, or its error.
    struct BothPaths {
        fast: Option<(Option<String>, Vec<u8>)>,
        usual: std::result::Result<(Option<String>, Vec<u8>), String>,
    }

    /// Reads `input` offering every row to the fast path and, declining,
    /// building its document too; a header error is the `Err`.
    fn both_paths(
        input: &str,
        options: ReadOptions,
    ) -> std::result::Result<Vec<BothPaths>, String> {
        let mut reader = DocumentReader::new(input.as_bytes(), Format::Csv, options)
            .map_err(|e| e.to_string())?;
        let mut rows = Vec::new();
        loop {
            let mut fast = None;
            let next = reader.next_document_or(&mut |record| {
                if let RawRecord::CsvRow(row) = record {
                    let mut chunk = Chunk::new();
                    fast = chunk.encode_csv_row(row).map(|(id_end, data_end)| {
                        let generated = chunk.ids.len() == 36 && !row_has_id(row);
                        let id = (!generated).then(|| chunk.ids[..id_end].to_owned());
                        (id, chunk.data[..data_end].to_vec())
                    });
                }
                false
            });
            let usual = match next {
                None => break,
                Some(Err(error)) => Err(error.to_string()),
                Some(Ok((_, doc))) => {
                    let doc = doc.unwrap_or_default();
                    let given = doc.get("_id").map(|_| ());
                    match with_id(Value::Object(doc)) {
                        Err(error) => Err(error.to_string()),
                        Ok((id, doc)) => {
                            let mut bytes = Vec::new();
                            BinaryCodec
                                .encode(&doc, &mut bytes)
                                .map_err(|e| e.to_string())
                                .map(|()| (given.map(|()| id), bytes))
                        }
                    }
                }
            };
            rows.push(BothPaths { fast, usual });
        }
        Ok(rows)
    }

    fn row_has_id(row: &CsvRecord<'_>) -> bool {
        let mut has = false;
        row.for_each_field(|name, _| has |= name == "_id");
        has
    }

    /// Column types chosen by name.
    type ChosenTypes<'a> = &'a [(&'a str, ColumnType)];

    fn options(types: ChosenTypes<'_>, empty_cells: EmptyCells) -> ReadOptions {
        ReadOptions {
            skip_bad: true,
            csv_types: CsvTypes {
                infer: true,
                overrides: types
                    .iter()
                    .map(|(name, t)| ((*name).to_owned(), *t))
                    .collect::<HashMap<_, _>>(),
            },
            csv_empty_cells: empty_cells,
            // Cells after the sample may not fit their inferred type.
            csv_sample_rows: 4,
            ..ReadOptions::default()
        }
    }

    #[test]
    fn csv_rows_encode_to_the_same_bytes_as_their_documents() {
        use ColumnType::{Bool, Float, Integer, Json, String as Text};
        let null = EmptyCells::Null;
        // (input, chosen types, empty cells, rows the fast path must take)
        let cases: [(&str, ChosenTypes, EmptyCells, usize); 12] = [
            (
                "a,b,c,d\n1,-2.5,true,x\n18446744073709551615,1e3,false,\n-9223372036854775808,0,,y\n",
                &[],
                null,
                3,
            ),
            ("a,b\n1,\n,2\n", &[], EmptyCells::Omit, 2),
            ("a,b\n,\n,\n", &[], null, 2),
            (
                "name,text\n\"Lee, \"\"Jr\"\"\",\"two\nlines, and \"\"quotes\"\"\"\nZoë 🚀,\"\"\n",
                &[],
                null,
                2,
            ),
            (
                "tags,obj\n\"[\"\"t1\"\",1,2.5,null,true]\",\"{\"\"k\"\":{\"\"n\"\":[{}]},\"\"s\"\":\"\"\\u00e9\\n\"\"}\"\n[],{}\n",
                &[],
                null,
                2,
            ),
            // An inferred JSON column, then text that is not JSON (kept as text).
            ("j\n[1]\n7\n-1.5\ntrue\n\"q\"\n[draft\n", &[], null, 5),
            (
                "n,f,b,s,j\n 7 ,3,TRUE,,\"\"\"q\"\"\"\n-4,2.5,0,007,\"{\"\"a\"\":1}\"\n",
                &[
                    ("n", Integer),
                    ("f", Float),
                    ("b", Bool),
                    ("s", Text),
                    ("j", Json),
                ],
                null,
                2,
            ),
            // Chosen types that do not fit: the document path reports them.
            ("n,j\nx,1\n1,{\n", &[("n", Integer), ("j", Json)], null, 0),
            ("_id,n\nabc,1\n007,2\n", &[], null, 2),
            // An `_id` that is empty, null or not text goes the usual way.
            ("_id,n\n,1\nok,2\n", &[], null, 1),
            ("_id,n\n,1\n", &[], EmptyCells::Omit, 1),
            ("_id,n\n5,1\n", &[("_id", Integer)], null, 0),
        ];
        for (input, types, empty_cells, taken) in cases {
            let rows = both_paths(input, options(types, empty_cells))
                .unwrap_or_else(|error| panic!("{input:?}: {error}"));
            for (index, row) in rows.iter().enumerate() {
                if let Some(fast) = &row.fast {
                    assert_eq!(Ok(fast), row.usual.as_ref(), "{input:?} row {index}");
                }
            }
            let fast_rows = rows.iter().filter(|row| row.fast.is_some()).count();
            assert_eq!(fast_rows, taken, "{input:?}");
        }
    }

    #[test]
    fn a_row_of_more_than_127_fields_encodes_its_longer_field_count_the_same() {
        let header: Vec<String> = (0..130).map(|i| format!("c{i}")).collect();
        let cells: Vec<String> = (0..130).map(|i| i.to_string()).collect();
        let input = format!("{}\n{}\n", header.join(","), cells.join(","));
        let rows = both_paths(&input, options(&[], EmptyCells::Null)).unwrap_or_default();
        assert_eq!(rows.len(), 1);
        let fast = rows[0].fast.as_ref();
        assert!(fast.is_some_and(|(_, bytes)| bytes[..2] == [130, 1]));
        assert_eq!(fast, rows[0].usual.as_ref().ok());
    }

    #[test]
    fn rows_the_fast_path_declines_still_give_the_usual_errors() {
        let rows = both_paths(
            "_id,n,j\n,1,[1]\nx,oops,[2]\ny,3,[3\n",
            options(
                &[("n", ColumnType::Integer), ("j", ColumnType::Json)],
                EmptyCells::Null,
            ),
        );
        let rows = rows.unwrap_or_default();
        let usual: Vec<_> = rows.iter().map(|row| row.usual.clone().err()).collect();
        assert!(rows.iter().all(|row| row.fast.is_none()));
        assert_eq!(
            usual,
            [
                Some("invalid document: _id must be a string, not null".to_owned()),
                Some("input: line 3: column \"n\": \"oops\" is not an integer".to_owned()),
                Some(
                    "input: line 4: column \"j\": \"[3\" is not JSON: EOF while parsing a list at line 1 column 2"
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn a_duplicate_header_name_fails_before_any_row() {
        let error = both_paths("a,b,a\n1,2,3\n", options(&[], EmptyCells::Null)).err();
        assert_eq!(
            error.as_deref(),
            Some("input: line 1: the header names column \"a\" twice")
        );
    }
}
