//! Files and copies on a server: export to JSON, JSON Lines or CSV,
//! import from them, index definitions, and writing a copied collection.
//!
//! Each batch of [`INSERT_BATCH`] documents is one transaction where the
//! deployment runs them, so a batch is stored whole or not at all; across
//! batches there is none (a transaction has time and size limits an import
//! of millions would pass). So an import that fails part-way deletes what
//! it inserted, and drops the collection if it created it: the end state
//! is the folder's, though another client may see the documents meanwhile.

use std::path::Path;

use mongodb::bson::{Bson, Document as BsonDocument};

use super::convert::json_map_to_document;
use super::server::MongoServer;
use crate::engine::storage::durable::replace_file;
use crate::engine::{Document, ExportOptions, Find, ImportOptions, ImportReport, MAX_LISTED_SKIPS};
use crate::error::{Error, Result};
use crate::interchange::{CsvHeader, DocumentReader, DocumentWriter, Format, ReadOptions};

/// Documents sent to the server in one insert.
pub const INSERT_BATCH: usize = 1000;

/// One index of a server collection.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerIndex {
    pub name: String,
    /// The key pattern, as `{"field": 1}` or `{"a": 1, "b": -1}`.
    pub keys: BsonDocument,
    pub unique: bool,
}

impl ServerIndex {
    /// The field of an ascending or descending index on one field other
    /// than `_id`: the kind a folder has.
    pub fn single_field(&self) -> Option<&str> {
        if self.keys.len() != 1 {
            return None;
        }
        let (field, direction) = self.keys.iter().next()?;
        let plain = matches!(direction, Bson::Int32(1 | -1) | Bson::Int64(1 | -1))
            || matches!(direction, Bson::Double(d) if d.abs() == 1.0);
        (plain && field != "_id").then_some(field.as_str())
    }
}

impl MongoServer {
    /// The collection's indexes but the one on `_id`.
    pub fn indexes(&self, collection: &str) -> Result<Vec<ServerIndex>> {
        let coll = self.collection(collection)?;
        let mut cursor = self.block_on(coll.list_indexes())?;
        let mut out = Vec::new();
        while self.block_on(cursor.advance())? {
            let model = cursor.deserialize_current().map_err(|e| {
                self.place_error(format!("an index definition cannot be read: {}", e.kind))
            })?;
            let options = model.options.unwrap_or_default();
            let name = options.name.unwrap_or_default();
            let is_id = model.keys.len() == 1 && model.keys.contains_key("_id");
            if !is_id {
                out.push(ServerIndex {
                    name,
                    keys: model.keys,
                    unique: options.unique.unwrap_or(false),
                });
            }
        }
        Ok(out)
    }

    /// Writes the documents of a collection (or of a query) to a JSON, JSON
    /// Lines or CSV file, replaced atomically; returns how many.
    pub fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
    ) -> Result<u64> {
        let format = format_of(file, options.format)?;
        let query = options.query.clone().unwrap_or_default();
        let fields = match (format, &options.csv_fields) {
            (Format::Csv, Some(fields)) => Some(fields.clone()),
            (Format::Csv, None) => {
                let mut header = CsvHeader::new();
                self.find_each(collection, &query, &mut |doc| {
                    header.add(&doc);
                    Ok(())
                })?;
                Some(header.into_fields()).filter(|fields| !fields.is_empty())
            }
            _ => None,
        };
        self.require_collection(collection)?;
        replace_file(file, |out| {
            let mut writer = DocumentWriter::new(out, format, fields)?.with_path(file);
            if let Some(cancel) = &options.cancel {
                writer = writer.with_cancel(cancel.clone());
            }
            self.find_each(collection, &query, &mut |doc| writer.write(&doc))?;
            let written = writer.records_written();
            writer.finish()?;
            Ok(written)
        })
    }

    /// Imports a JSON, JSON Lines or CSV file into a collection (created
    /// if missing), in batches. A bad record imports nothing (what was
    /// inserted is deleted again) unless `skip_bad`.
    pub fn import_documents(
        &self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        let format = format_of(file, options.format)?;
        let read = ReadOptions {
            skip_bad: options.skip_bad,
            csv_types: options.csv_types.clone(),
            csv_empty_cells: options.csv_empty_cells,
            cancel: options.cancel.clone(),
            ..ReadOptions::default()
        };
        let mut reader = DocumentReader::open(file, format, read)?;
        let mut report = ImportReport {
            collection: collection.to_owned(),
            created: !self.has_collection(collection)?,
            imported: 0,
            skipped: 0,
            skipped_records: Vec::new(),
            bytes_read: 0,
            peak_buffer_bytes: 0,
            groups_written: 0,
        };
        let mut next = || -> Result<Option<Vec<Document>>> {
            let mut batch = Vec::with_capacity(INSERT_BATCH);
            while batch.len() < INSERT_BATCH {
                match reader.next_document() {
                    None => break,
                    Some(Ok((_, doc))) => batch.push(doc),
                    Some(Err(error @ Error::ImportLine { .. })) if options.skip_bad => {
                        report.skipped += 1;
                        if report.skipped_records.len() < MAX_LISTED_SKIPS {
                            report.skipped_records.push(error);
                        }
                    }
                    Some(Err(error)) => return Err(error),
                }
            }
            Ok((!batch.is_empty()).then_some(batch))
        };
        let imported = self.write_batches(collection, true, &mut next, &mut |_| {})?;
        report.imported = imported;
        report.bytes_read = reader.progress().bytes_read;
        Ok(report)
    }

    /// Inserts every batch `next` gives into `collection`, each as one
    /// transaction where the deployment runs them; `written(n)` hears the
    /// total stored after each batch (and, without transactions, after the
    /// part of a batch stored before a failure). On a failure, what this
    /// call inserted is deleted again when `undo` (the collection dropped
    /// if it did not exist) and the error returned.
    pub fn write_batches(
        &self,
        collection: &str,
        undo: bool,
        next: &mut dyn FnMut() -> Result<Option<Vec<Document>>>,
        written: &mut dyn FnMut(u64),
    ) -> Result<u64> {
        let existed = self.has_collection(collection)?;
        let mut inserted: Vec<Bson> = Vec::new();
        let mut count = 0u64;
        let result = (|| -> Result<u64> {
            while let Some(batch) = next()? {
                let docs = batch
                    .iter()
                    .map(|doc| json_map_to_document(doc, "a document"))
                    .collect::<Result<Vec<_>>>()?;
                let mut failure = None;
                let stored = self.transactionally(|| {
                    self.insert_documents(collection, docs).map_err(|failed| {
                        failure = Some(failed.stored);
                        failed.error
                    })
                });
                let ids = match stored {
                    Ok((ids, _)) => ids,
                    Err(error) => {
                        // Stored before the failure (none in a transaction).
                        let stored = failure.unwrap_or_default();
                        if !stored.is_empty() {
                            count += stored.len() as u64;
                            written(count);
                            if undo {
                                inserted.extend(stored);
                            }
                        }
                        return Err(error);
                    }
                };
                count += ids.len() as u64;
                if undo {
                    inserted.extend(ids);
                }
                written(count);
            }
            Ok(count)
        })();
        if result.is_err() && undo {
            // The insert's own error is the one to report; a failure to
            // undo (the server went away) leaves what the message says.
            if existed {
                let _ = self.delete_ids(collection, &inserted);
            } else {
                let _ = self.drop_collection(collection);
            }
        }
        result
    }

    /// Every document of `collection` as a FluxDB document (for tests and
    /// small collections).
    pub fn find_all(&self, collection: &str) -> Result<Vec<Document>> {
        let mut docs = Vec::new();
        self.find_each(collection, &Find::default(), &mut |doc| {
            docs.push(doc);
            Ok(())
        })?;
        Ok(docs)
    }
}

/// The format a file's extension names, as the folder's import says it.
fn format_of(file: &Path, given: Option<Format>) -> Result<Format> {
    given
        .or_else(|| Format::from_path(file))
        .ok_or_else(|| Error::UnknownName {
            what: "file format of".to_owned(),
            name: file.display().to_string(),
            expected: "the extensions .json, .jsonl, .ndjson, .csv (or choose the format)"
                .to_owned(),
        })
}
