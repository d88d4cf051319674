//! A server as a [`Backend`], so the CLI's commands and copy run on it as
//! on a folder.

use std::path::Path;

use serde_json::Value;

use super::convert::document_to_json;
use super::server::MongoServer;
use crate::backend::{Backend, IndexDefinitions};
use crate::engine::aggregate::PipelineExplain;
use crate::engine::schema::Schema;
use crate::engine::{Document, Explain, ExportOptions, Find, ImportOptions, ImportReport};
use crate::error::{Error, Result};

impl Backend for MongoServer {
    fn place(&self) -> String {
        format!("MongoDB server {}", self.place())
    }

    fn writes_atomically(&self) -> bool {
        false
    }

    fn list_collections(&self) -> Result<Vec<String>> {
        MongoServer::list_collections(self)
    }

    fn has_collection(&self, name: &str) -> Result<bool> {
        MongoServer::has_collection(self, name)
    }

    fn create_collection(&mut self, name: &str, indexed_fields: &[String]) -> Result<bool> {
        MongoServer::create_collection(self, name, indexed_fields)
    }

    fn drop_collection(&mut self, name: &str) -> Result<bool> {
        MongoServer::drop_collection(self, name)
    }

    fn clear_collection(&mut self, name: &str) -> Result<bool> {
        MongoServer::clear_collection(self, name)
    }

    fn insert_many(&mut self, collection: &str, documents: Vec<Value>) -> Result<Vec<String>> {
        MongoServer::insert_many(self, collection, documents)
    }

    fn find_json_each(
        &self,
        collection: &str,
        query: &Find,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        MongoServer::find_json_each(self, collection, query, each)
    }

    fn count(&self, collection: &str, filter: &Value) -> Result<u64> {
        MongoServer::count(self, collection, filter)
    }

    fn get(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        MongoServer::get(self, collection, id)
    }

    fn exists(&self, collection: &str, id: &str) -> Result<bool> {
        MongoServer::exists(self, collection, id)
    }

    fn update(&mut self, collection: &str, id: &str, update: &Value) -> Result<bool> {
        MongoServer::update(self, collection, id, update)
    }

    fn update_many(&mut self, collection: &str, filter: &Value, update: &Value) -> Result<u64> {
        MongoServer::update_many(self, collection, filter, update)
    }

    fn delete(&mut self, collection: &str, id: &str) -> Result<bool> {
        MongoServer::delete(self, collection, id)
    }

    fn delete_many(&mut self, collection: &str, filter: &Value) -> Result<u64> {
        MongoServer::delete_many(self, collection, filter)
    }

    fn aggregate(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>> {
        MongoServer::aggregate(self, collection, pipeline)
    }

    fn explain(&self, collection: &str, query: &Find) -> Result<Explain> {
        MongoServer::explain(self, collection, query)
    }

    /// The server plans a pipeline its own way and keeps no per-stage
    /// account this summary could be made from.
    fn explain_pipeline(&self, _collection: &str, _pipeline: &Value) -> Result<PipelineExplain> {
        Err(Error::Unsupported {
            what: "explain --pipeline".to_owned(),
            place: "a MongoDB server (it works on a folder)".to_owned(),
        })
    }

    fn schema(&self, collection: &str, filter: &Value) -> Result<Schema> {
        MongoServer::schema(self, collection, filter)
    }

    fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
    ) -> Result<u64> {
        MongoServer::export_documents(self, collection, file, options)
    }

    fn import_documents(
        &mut self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
    ) -> Result<ImportReport> {
        MongoServer::import_documents(self, collection, file, options)
    }

    fn index_definitions(&self, collection: &str) -> Result<IndexDefinitions> {
        let mut definitions = IndexDefinitions::default();
        for index in self.indexes(collection)? {
            let keys = Value::Object(document_to_json(index.keys.clone()));
            match index.single_field() {
                Some(field) => {
                    if index.unique {
                        definitions.not_copied.push(format!(
                            "{} {keys}: copied without its uniqueness (a folder's indexes are not unique)",
                            index.name
                        ));
                    }
                    definitions.fields.push(field.to_owned());
                }
                None => definitions.not_copied.push(format!(
                    "{} {keys}: not copied (a folder indexes single fields only)",
                    index.name
                )),
            }
        }
        Ok(definitions)
    }

    fn read_batches(
        &self,
        collection: &str,
        batch: usize,
        each: &mut dyn FnMut(Vec<Document>) -> Result<()>,
    ) -> Result<()> {
        MongoServer::read_batches(self, collection, batch, each)
    }

    fn write_collection(
        &mut self,
        collection: &str,
        indexed_fields: &[String],
        next: &mut (dyn FnMut() -> Result<Option<Vec<Document>>> + Send),
        written: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        // Indexes after the documents: one build each, not one update per insert.
        MongoServer::create_collection(self, collection, &[])?;
        let copied = self.write_batches(collection, false, next, written)?;
        for field in indexed_fields {
            self.create_index(collection, field)?;
        }
        Ok(copied)
    }
}
