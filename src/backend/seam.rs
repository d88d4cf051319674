//! [`Backend`]: what a command of the CLI, or a copy, needs of a
//! database, whichever kind it is.

use std::path::Path;

use serde_json::Value;

use crate::engine::aggregate::PipelineExplain;
use crate::engine::schema::Schema;
use crate::engine::{Document, Explain, ExportOptions, Find, ImportOptions, ImportReport};
use crate::error::Result;

/// The index definitions a copy carries over: single fields (what a
/// folder has), and what the destination cannot hold, said in words.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexDefinitions {
    /// Fields with an ascending (or descending) index of their own.
    pub fields: Vec<String>,
    /// Indexes a folder has no kind for (compound, text, unique…), each as
    /// `name {keys}` with why it is not copied.
    pub not_copied: Vec<String>,
}

/// A database the CLI's commands and copy run on: a folder (the embedded
/// engine) or a MongoDB server. Documents are FluxDB's JSON documents on
/// both (`docs/mongodb.md` says how a server's BSON becomes JSON).
///
/// Reads take `&self`, writes `&mut self`; every method answers for one
/// call, and errors say where (the collection, the server).
pub trait Backend: Send {
    /// Where it is, for messages: `folder data` or `MongoDB server h:p/db`.
    fn place(&self) -> String;
    /// Whether a failed [`write_collection`](Self::write_collection)
    /// leaves nothing behind.
    fn writes_atomically(&self) -> bool;

    fn list_collections(&self) -> Result<Vec<String>>;
    fn has_collection(&self, name: &str) -> Result<bool>;
    /// Creates a collection with an index on each field; `false` if it existed.
    fn create_collection(&mut self, name: &str, indexed_fields: &[String]) -> Result<bool>;
    fn drop_collection(&mut self, name: &str) -> Result<bool>;
    /// Removes every record, keeping the index definitions.
    fn clear_collection(&mut self, name: &str) -> Result<bool>;

    /// Inserts documents (a folder: all or nothing); returns their `_id`s.
    fn insert_many(&mut self, collection: &str, documents: Vec<Value>) -> Result<Vec<String>>;
    /// Each found document as compact JSON text, `_id` first, in order.
    fn find_json_each(
        &self,
        collection: &str,
        query: &Find,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()>;
    fn count(&self, collection: &str, filter: &Value) -> Result<u64>;
    fn get(&self, collection: &str, id: &str) -> Result<Option<Document>>;
    /// Whether a document has this `_id`; an error if the collection does not exist.
    fn exists(&self, collection: &str, id: &str) -> Result<bool>;
    /// A plain object merges its fields; update operators apply.
    fn update(&mut self, collection: &str, id: &str, update: &Value) -> Result<bool>;
    /// Returns how many documents matched (and were updated).
    fn update_many(&mut self, collection: &str, filter: &Value, update: &Value) -> Result<u64>;
    fn delete(&mut self, collection: &str, id: &str) -> Result<bool>;
    fn delete_many(&mut self, collection: &str, filter: &Value) -> Result<u64>;
    fn aggregate(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>>;
    /// How the query would be answered: the index, records examined.
    fn explain(&self, collection: &str, query: &Find) -> Result<Explain>;
    /// How a pipeline is answered: each stage's records in and out and time.
    fn explain_pipeline(&self, collection: &str, pipeline: &Value) -> Result<PipelineExplain>;
    fn schema(&self, collection: &str, filter: &Value) -> Result<Schema>;
    /// JSON, JSON Lines or CSV; the file is replaced atomically.
    fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
    ) -> Result<u64>;
    /// JSON, JSON Lines or CSV, appended to the collection (created if
    /// missing); a bad record imports nothing unless `skip_bad`.
    fn import_documents(
        &mut self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
    ) -> Result<ImportReport>;

    /// The collection's index definitions, as a copy carries them.
    fn index_definitions(&self, collection: &str) -> Result<IndexDefinitions>;
    /// Every document of a collection, `batch` at a time.
    fn read_batches(
        &self,
        collection: &str,
        batch: usize,
        each: &mut dyn FnMut(Vec<Document>) -> Result<()>,
    ) -> Result<()>;
    /// Writes the batches `next` gives (until `None`) into `collection`
    /// (created if missing), then indexes `indexed_fields`; `written(n)`
    /// hears how many are stored so far. A folder keeps all or nothing.
    fn write_collection(
        &mut self,
        collection: &str,
        indexed_fields: &[String],
        next: &mut (dyn FnMut() -> Result<Option<Vec<Document>>> + Send),
        written: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64>;
}
