//! A folder as a [`Backend`]: each method is the engine call the CLI made
//! before the seam existed, so a folder's output is what it was.
//!
//! Writing a copied collection goes through the engine's import
//! ([`FluxDB::import_from_reader`]): the batches are fed to it as JSON
//! Lines, so the copy is atomic as an import is (a failure, even of the
//! source part-way, leaves nothing of it), in bounded memory.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::seam::{Backend, IndexDefinitions};
use crate::engine::aggregate::PipelineExplain;
use crate::engine::schema::Schema;
use crate::engine::{Document, Explain, ExportOptions, Find, FluxDB, ImportOptions, ImportReport};
use crate::error::{Error, Result};
use crate::interchange::{DocumentReader, Format, ReadOptions};

impl Backend for FluxDB {
    fn place(&self) -> String {
        format!("folder {}", self.path().display())
    }

    fn writes_atomically(&self) -> bool {
        true
    }

    fn list_collections(&self) -> Result<Vec<String>> {
        Ok(FluxDB::list_collections(self))
    }

    fn has_collection(&self, name: &str) -> Result<bool> {
        Ok(FluxDB::has_collection(self, name))
    }

    fn create_collection(&mut self, name: &str, indexed_fields: &[String]) -> Result<bool> {
        FluxDB::create_collection(self, name, indexed_fields)
    }

    fn drop_collection(&mut self, name: &str) -> Result<bool> {
        FluxDB::drop_collection(self, name)
    }

    fn clear_collection(&mut self, name: &str) -> Result<bool> {
        FluxDB::clear_collection(self, name)
    }

    fn insert_many(&mut self, collection: &str, documents: Vec<Value>) -> Result<Vec<String>> {
        let ids = FluxDB::insert_many(self, collection, documents)?;
        self.flush()?;
        Ok(ids)
    }

    fn find_json_each(
        &self,
        collection: &str,
        query: &Find,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        FluxDB::find_json_each(self, collection, query, each)
    }

    fn count(&self, collection: &str, filter: &Value) -> Result<u64> {
        FluxDB::count(self, collection, filter).map(|n| n as u64)
    }

    fn get(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        FluxDB::get(self, collection, id)
    }

    fn exists(&self, collection: &str, id: &str) -> Result<bool> {
        if !FluxDB::has_collection(self, collection) {
            return Err(Error::CollectionNotFound(collection.to_owned()));
        }
        FluxDB::exists(self, collection, id)
    }

    fn update(&mut self, collection: &str, id: &str, update: &Value) -> Result<bool> {
        FluxDB::update(self, collection, id, update)
    }

    fn update_many(&mut self, collection: &str, filter: &Value, update: &Value) -> Result<u64> {
        FluxDB::update_many(self, collection, filter, update).map(|n| n as u64)
    }

    fn delete(&mut self, collection: &str, id: &str) -> Result<bool> {
        FluxDB::delete(self, collection, id)
    }

    fn delete_many(&mut self, collection: &str, filter: &Value) -> Result<u64> {
        FluxDB::delete_many(self, collection, filter).map(|n| n as u64)
    }

    fn aggregate(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>> {
        FluxDB::aggregate(self, collection, pipeline)
    }

    fn explain(&self, collection: &str, query: &Find) -> Result<Explain> {
        FluxDB::explain(self, collection, query)
    }

    fn explain_pipeline(&self, collection: &str, pipeline: &Value) -> Result<PipelineExplain> {
        FluxDB::aggregate_explained(self, collection, pipeline, None).map(|(_, explain)| explain)
    }

    fn schema(&self, collection: &str, filter: &Value) -> Result<Schema> {
        FluxDB::schema(self, collection, filter, None, &mut |_, _| {})
    }

    fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
    ) -> Result<u64> {
        FluxDB::export_documents(self, collection, file, options, &mut |_, _| {})
    }

    fn import_documents(
        &mut self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        FluxDB::import_documents(self, collection, file, options, &mut |_| {})
    }

    fn index_definitions(&self, collection: &str) -> Result<IndexDefinitions> {
        Ok(IndexDefinitions {
            fields: self.list_indexes(collection)?,
            not_copied: Vec::new(),
        })
    }

    fn read_batches(
        &self,
        collection: &str,
        batch: usize,
        each: &mut dyn FnMut(Vec<Document>) -> Result<()>,
    ) -> Result<()> {
        let mut pending = Vec::with_capacity(batch);
        FluxDB::find_json_each(self, collection, &Find::default(), &mut |text| {
            let doc: Document = serde_json::from_str(text).map_err(|e| {
                Error::RecordEncoding(format!("a record of {collection:?} read back: {e}"))
            })?;
            pending.push(doc);
            if pending.len() >= batch {
                each(std::mem::replace(&mut pending, Vec::with_capacity(batch)))?;
            }
            Ok(())
        })?;
        if !pending.is_empty() {
            each(pending)?;
        }
        Ok(())
    }

    fn write_collection(
        &mut self,
        collection: &str,
        indexed_fields: &[String],
        next: &mut (dyn FnMut() -> Result<Option<Vec<Document>>> + Send),
        written: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let source = format!("copy of {collection}");
        let read = ReadOptions {
            path_for_errors: source.clone().into(),
            ..ReadOptions::default()
        };
        let reader = DocumentReader::new(BatchLines::new(next), Format::JsonLines, read)?;
        let report = self.import_from_reader(
            collection,
            reader,
            Path::new(&source),
            &ImportOptions::new(),
            &mut |progress| written(progress.records),
        )?;
        for field in indexed_fields {
            self.create_index(collection, field)?;
        }
        self.flush()?;
        Ok(report.imported)
    }
}

/// Batches of documents read as JSON Lines, one batch at a time.
struct BatchLines<'a> {
    next: &'a mut (dyn FnMut() -> Result<Option<Vec<Document>>> + Send),
    lines: Vec<u8>,
    at: usize,
}

impl<'a> BatchLines<'a> {
    fn new(next: &'a mut (dyn FnMut() -> Result<Option<Vec<Document>>> + Send)) -> Self {
        BatchLines {
            next,
            lines: Vec::new(),
            at: 0,
        }
    }

    /// The next batch as lines; `false` at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        let batch = (self.next)().map_err(std::io::Error::other)?;
        let Some(batch) = batch else {
            return Ok(false);
        };
        self.lines.clear();
        self.at = 0;
        for doc in batch {
            serde_json::to_writer(&mut self.lines, &folder_document(doc))?;
            self.lines.push(b'\n');
        }
        Ok(true)
    }
}

impl Read for BatchLines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.lines.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.lines.len() - self.at);
        buf[..n].copy_from_slice(&self.lines[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A document a folder can keep: a folder's `_id` is a string, so any
/// other `_id` (a server's number, say) becomes its JSON text: `7` → `"7"`.
fn folder_document(mut doc: Document) -> Document {
    match doc.get("_id") {
        Some(Value::String(_)) | None => doc,
        Some(other) => {
            let text = other.to_string();
            doc.insert("_id".to_owned(), Value::String(text));
            doc
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn batches_read_as_json_lines_with_string_ids() {
        let mut batches = vec![
            Some(vec![crate::engine::test_doc(
                json!({"_id": 7, "a": [1, {"b": 2.5}]}),
            )]),
            Some(Vec::new()),
            Some(vec![crate::engine::test_doc(json!({"_id": "x"}))]),
            None,
        ]
        .into_iter();
        let mut next = move || Ok(batches.next().flatten());
        let mut text = String::new();
        let read = BatchLines::new(&mut next).read_to_string(&mut text);
        assert!(read.is_ok());
        assert_eq!(
            text,
            "{\"_id\":\"7\",\"a\":[1,{\"b\":2.5}]}\n{\"_id\":\"x\"}\n"
        );
    }
}
