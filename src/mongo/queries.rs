//! Reads on a server: find (streamed), count, get, exists, aggregate,
//! schema, and the documents of a collection in batches (for copy).

use mongodb::Cursor;
use mongodb::action::Action;
use mongodb::bson::Document as BsonDocument;
use serde_json::Value;

use super::convert::{document_to_json, filter_to_bson, id_filter, json_to_document};
use super::server::MongoServer;
use crate::engine::schema::{Schema, SchemaBuilder};
use crate::engine::{Document, Find};
use crate::error::{Error, Result};

/// Documents a cursor asks the server for at a time.
pub const CURSOR_BATCH: u32 = 1000;

impl MongoServer {
    /// The documents `query` finds, each handed to `each` as compact JSON
    /// (`_id` first) as the cursor brings it: memory of one batch.
    pub fn find_json_each(
        &self,
        collection: &str,
        query: &Find,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        self.find_each(collection, query, &mut |doc| {
            let text = serde_json::to_string(&doc)
                .map_err(|e| Error::RecordEncoding(format!("a document as JSON: {e}")))?;
            each(&text)
        })
    }

    /// The documents `query` finds, one at a time.
    pub fn find_each(
        &self,
        collection: &str,
        query: &Find,
        each: &mut dyn FnMut(Document) -> Result<()>,
    ) -> Result<()> {
        self.require_collection(collection)?;
        let coll = self.collection(collection)?;
        let filter = filter_to_bson(&query.filter)?;
        let sort = query
            .sort
            .as_ref()
            .map(|s| json_to_document(s, "the sort"))
            .transpose()?;
        let projection = query
            .projection
            .as_ref()
            .map(|p| json_to_document(p, "the projection"))
            .transpose()?;
        let limit = query.limit.filter(|&l| l > 0).map(clamp_i64);
        let mut find = coll.find(filter).batch_size(CURSOR_BATCH);
        if query.skip > 0 {
            find = find.skip(query.skip as u64);
        }
        if let Some(limit) = limit {
            find = find.limit(limit);
        }
        if let Some(sort) = sort {
            find = find.sort(sort);
        }
        if let Some(projection) = projection {
            find = find.projection(projection);
        }
        let mut cursor = self.block_on(find)?;
        self.drain(&mut cursor, each)
    }

    /// Hands every document of `cursor` to `each` (an error from `each`
    /// stops it and is returned).
    pub(super) fn drain(
        &self,
        cursor: &mut Cursor<BsonDocument>,
        each: &mut dyn FnMut(Document) -> Result<()>,
    ) -> Result<()> {
        loop {
            let more = self.block_on(cursor.advance())?;
            if !more {
                return Ok(());
            }
            let doc = cursor.deserialize_current().map_err(|e| {
                self.place_error(format!(
                    "a document the server sent cannot be read: {}",
                    e.kind
                ))
            })?;
            each(document_to_json(doc))?;
        }
    }

    pub fn count(&self, collection: &str, filter: &Value) -> Result<u64> {
        self.require_collection(collection)?;
        let coll = self.collection(collection)?;
        self.block_on(coll.count_documents(filter_to_bson(filter)?))
    }

    /// The document whose `_id` is `id` (a 24-digit hex `id` also finds
    /// the ObjectId it is the text of).
    pub fn get(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        self.require_collection(collection)?;
        let coll = self.collection(collection)?;
        // In the open transaction, if any: what it will write over.
        let mut transactions = self.transactions();
        let find = coll
            .find_one(id_filter(id))
            .optional(transactions.session(), |a, s| a.session(s));
        let found = self.block_on(find)?;
        Ok(found.map(document_to_json))
    }

    pub fn exists(&self, collection: &str, id: &str) -> Result<bool> {
        self.require_collection(collection)?;
        let coll = self.collection(collection)?;
        Ok(self.block_on(coll.count_documents(id_filter(id)).limit(1))? > 0)
    }

    /// The result documents of an aggregation pipeline (a JSON array of
    /// stages), run by the server.
    pub fn aggregate(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>> {
        self.require_collection(collection)?;
        let stages = match pipeline {
            Value::Array(stages) => stages,
            _ => {
                return Err(Error::InvalidPipeline(
                    "the pipeline must be a JSON array of stages".to_owned(),
                ));
            }
        };
        let mut bson_stages = Vec::with_capacity(stages.len());
        for (at, stage) in stages.iter().enumerate() {
            bson_stages.push(json_to_document(stage, &format!("stage {}", at + 1))?);
        }
        let coll = self.collection(collection)?;
        let mut cursor = self.block_on(coll.aggregate(bson_stages).batch_size(CURSOR_BATCH))?;
        let mut out = Vec::new();
        self.drain(&mut cursor, &mut |doc| {
            out.push(doc);
            Ok(())
        })?;
        Ok(out)
    }

    /// The exact schema of the documents `filter` matches, built here from
    /// the documents as the server sends them.
    pub fn schema(&self, collection: &str, filter: &Value) -> Result<Schema> {
        let mut builder = SchemaBuilder::new();
        self.find_each(collection, &Find::new(filter.clone()), &mut |doc| {
            builder.add(&doc);
            Ok(())
        })?;
        Ok(builder.finish(collection))
    }

    /// Every document of `collection`, in the order the server keeps them,
    /// `batch` at a time.
    pub fn read_batches(
        &self,
        collection: &str,
        batch: usize,
        each: &mut dyn FnMut(Vec<Document>) -> Result<()>,
    ) -> Result<()> {
        let mut pending = Vec::with_capacity(batch);
        self.find_each(
            collection,
            &Find::new(Value::Object(Default::default())),
            &mut |doc| {
                pending.push(doc);
                if pending.len() >= batch {
                    each(std::mem::replace(&mut pending, Vec::with_capacity(batch)))?;
                }
                Ok(())
            },
        )?;
        if !pending.is_empty() {
            each(pending)?;
        }
        Ok(())
    }

    /// The server's count of a collection's documents from its metadata
    /// (fast; exact on MongoDB without orphans).
    pub fn estimated_count(&self, collection: &str) -> Result<u64> {
        let coll = self.collection(collection)?;
        self.block_on(coll.estimated_document_count())
    }
}

/// A `usize` count as the driver's `i64` (counts beyond it are unlimited).
fn clamp_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
