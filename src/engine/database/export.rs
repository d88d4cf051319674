//! Export of a collection (or a query's result) to JSON, JSON Lines or CSV.
//!
//! Export streams: records are read from the collection file in insertion
//! order and written one at a time to `<file>.tmp`, which is fsynced and
//! renamed over the target, so a failed or cancelled export leaves the old
//! file (or none). CSV needs its header (the union of every document's
//! fields, in first-seen order) before the first row: a first pass reads
//! the records and keeps only their field names.

use std::path::Path;

use super::fluxdb::FluxDB;
use super::import::format_of;
use crate::engine::Document;
use crate::engine::cancel::CancelToken;
use crate::engine::collection::CollectionStore;
use crate::engine::find::Find;
use crate::engine::interchange::{CsvHeader, DocumentWriter, Format};
use crate::engine::query::{Filter, Projection};
use crate::engine::storage::{BinaryCodec, durable};
use crate::error::{Error, Result};

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

impl FluxDB {
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
        self.check_export_target(file)?;
        // A query's JSON text comes from its plan (indexes, tests on the
        // filter's fields only), a record at a time, sorted or not.
        let text_query = options.query.as_ref().filter(|_| format != Format::Csv);
        let source = match text_query {
            Some(_) => None,
            None => Some(ExportSource::new(
                self,
                collection,
                store,
                options.query.as_ref(),
            )?),
        };
        let fields = match (&options.csv_fields, &source, format) {
            (Some(fields), _, Format::Csv) => Some(fields.clone()),
            (None, Some(source), Format::Csv) => Some(source.csv_fields(options.cancel.as_ref())?),
            _ => None,
        }
        // No columns (no records): an empty file, not a header of one empty name.
        .filter(|fields| !fields.is_empty());
        let total = source
            .as_ref()
            .map_or(store.len() as u64, ExportSource::total);
        durable::replace_file(file, |out| {
            let mut writer = DocumentWriter::new(out, format, fields)?.with_path(file);
            if let Some(cancel) = &options.cancel {
                writer = writer.with_cancel(cancel.clone());
            }
            let mut written = 0u64;
            let mut count = || {
                written += 1;
                if written.is_multiple_of(4096) {
                    progress(written, total);
                }
            };
            if let Some(query) = text_query {
                let cancel = options.cancel.as_ref();
                self.find_json_each_with(collection, query, cancel, &mut |text| {
                    writer.write_json_text(text)?;
                    count();
                    Ok(())
                })?;
            } else if let Some(store) = source.as_ref().and_then(ExportSource::binary_records) {
                // The records' JSON text straight from their encoding.
                store.for_each_encoded(&BinaryCodec, &mut |id, data| {
                    if !writer.write_binary_record(id, data)? {
                        let doc = store.get(id)?.ok_or_else(|| {
                            Error::RecordEncoding(format!("record {id:?} vanished while exporting"))
                        })?;
                        writer.write(&doc)?;
                    }
                    count();
                    Ok(())
                })?;
            } else if let Some(source) = &source {
                source.for_each(&mut |doc| {
                    writer.write(&doc)?;
                    count();
                    Ok(())
                })?;
            }
            writer.finish()?;
            progress(written, total.max(written));
            Ok(written)
        })
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

    /// The store, when every record is exported as it is stored by
    /// [`BinaryCodec`]: the writer then turns the stored bytes into text
    /// without decoding documents.
    fn binary_records(&self) -> Option<&'a dyn CollectionStore> {
        match self {
            ExportSource::Scan {
                store,
                filter: None,
                projection: None,
            } if store.stores_encoded_by(&BinaryCodec) => Some(*store),
            _ => None,
        }
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
        if let ExportSource::Scan {
            store,
            filter: None,
            projection: None,
        } = self
        {
            // Every record as it is: the names alone, without decoding values.
            store.for_each_field_name(&mut |name| {
                if name == "_id" {
                    seen += 1;
                    if seen.is_multiple_of(4096) && cancel.is_some_and(CancelToken::is_cancelled) {
                        return Err(Error::Cancelled);
                    }
                }
                header.add_field(name);
                Ok(())
            })?;
            return Ok(header.into_fields());
        }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::IoContext;

    #[test]
    fn the_names_only_first_pass_finds_the_header_the_documents_give() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut db = FluxDB::open(dir.path())?;
        db.insert_many(
            "t",
            vec![
                json!({"b": 1, "a": {"x": [1, "y"]}}),
                json!({"c": null, "b": "two", "_id": "given"}),
                json!({"d": [], "e": 1.5, "a": true}),
            ],
        )?;
        db.flush()?;
        db.insert("t", json!({"pending": "not flushed yet"}))?;
        let store = db.store("t")?;
        let names_only = ExportSource::new(&db, "t", store, None)?.csv_fields(None)?;
        // A filter every record passes takes the path that reads documents.
        let every = Find::new(json!({"_id": {"$exists": true}}));
        let from_documents = ExportSource::new(&db, "t", store, Some(&every))?.csv_fields(None)?;
        assert_eq!(names_only, ["_id", "b", "a", "c", "d", "e", "pending"]);
        assert_eq!(names_only, from_documents);
        Ok(())
    }

    #[test]
    fn exporting_from_the_stored_bytes_writes_what_the_documents_give() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut db = FluxDB::open(dir.path().join("db"))?;
        db.insert_many(
            "t",
            vec![
                json!({"b": 1, "_id": "x", "a": {"x": [1, "y\n\u{0}é"]}}),
                json!({"f": [0.1, -0.0, 1e300, 3.0], "big": u64::MAX, "neg": i64::MIN}),
                json!({"nested": [[[{"k": null, "t": true, "u": false}]]], "": ""}),
                // Out of the CSV columns' order: written from its document.
                json!({"a": "a,\"b\"", "b": 2.5}),
            ],
        )?;
        db.flush()?;
        db.insert("t", json!({"pending": "not flushed yet"}))?;
        // A filter every record passes takes the path that decodes documents.
        let every = ExportOptions::new().query(Find::new(json!({"_id": {"$exists": true}})));
        for name in ["t.json", "t.jsonl", "t.csv"] {
            let (fast, decoded) = (dir.path().join(name), dir.path().join(format!("d.{name}")));
            assert!(
                ExportSource::new(&db, "t", db.store("t")?, None)?
                    .binary_records()
                    .is_some()
            );
            let n = db.export_documents("t", &fast, &ExportOptions::new(), &mut |_, _| {})?;
            db.export_documents("t", &decoded, &every, &mut |_, _| {})?;
            assert_eq!(n, 5);
            assert_eq!(
                std::fs::read_to_string(&fast).at(&fast)?,
                std::fs::read_to_string(&decoded).at(&decoded)?,
                "{name}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_user_codec_exports_through_its_documents_with_the_same_text() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let docs = vec![
            json!({"_id": "a", "f": 1.0, "s": "é\""}),
            json!({"n": [1, {}]}),
        ];
        let mut texts = Vec::new();
        for (name, options) in [
            ("binary", crate::engine::OpenOptions::new()),
            (
                "json",
                crate::engine::OpenOptions::new()
                    .codec(std::sync::Arc::new(crate::engine::storage::JsonCodec)),
            ),
        ] {
            let mut db = options.open(dir.path().join(name))?;
            db.insert_many("t", docs.clone())?;
            let store = db.store("t")?;
            let direct = ExportSource::new(&db, "t", store, None)?.binary_records();
            assert_eq!(direct.is_some(), name == "binary");
            let file = dir.path().join(format!("{name}.jsonl"));
            db.export_documents("t", &file, &ExportOptions::new(), &mut |_, _| {})?;
            // Generated ids differ between the databases: compare the rest.
            let text = std::fs::read_to_string(&file).at(&file)?;
            texts.push(
                text.lines()
                    .map(|l| l[l.find(',').unwrap_or(0)..].to_owned())
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(texts[0], texts[1]);
        assert_eq!(texts[0][0], ",\"f\":1.0,\"s\":\"é\\\"\"}");
        Ok(())
    }

    #[test]
    fn an_empty_collection_exports_an_empty_file_in_every_format() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut db = FluxDB::open(dir.path().join("db"))?;
        db.create_collection::<&str>("empty", &[])?;
        for (name, expected) in [("e.json", "[\n]\n"), ("e.jsonl", ""), ("e.csv", "")] {
            let file = dir.path().join(name);
            let n = db.export_documents("empty", &file, &ExportOptions::new(), &mut |_, _| {})?;
            assert_eq!(n, 0);
            assert_eq!(
                std::fs::read_to_string(&file).at(&file)?,
                expected,
                "{name}"
            );
        }
        Ok(())
    }
}
