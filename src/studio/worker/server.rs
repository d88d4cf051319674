//! A MongoDB server behind the worker's seam: [`ServerDatabase`] is a
//! [`MongoServer`] as a [`Database`] and [`EditDatabase`], so the sidebar,
//! grid, paging, sorting, editing, bulk changes, aggregation, indexes,
//! import and export work on it as on a folder. What only a folder has
//! (backups, compaction, compression, fdb files) is an error that says so.
//!
//! Staged changes are written in one transaction where the deployment runs
//! them (a replica set, a sharded cluster): a failure writes nothing. A
//! standalone server has none: then [`EditDatabase::writes_in_transactions`]
//! says so and the Write goes change by change, saying how each went.
//!
//! Reads (pages, counts, the sidebar's details, schema and chart) run under
//! their cancel token ([`MongoServer::cancellable`]): Cancel, a newer query
//! or leaving the server stops the wait for its answer at once. A page
//! comes with the server's plan for it ([`ExplainSummary`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::database::{
    CollectionSummary, Database, EditDatabase, ExplainSummary, FoundPage, ServerExplain,
};
use crate::engine::Find;
use crate::engine::chart::{Chart, ChartBuilder, ChartSpec};
use crate::engine::schema::{Schema, SchemaBuilder};
use crate::engine::{
    BackupComparison, BackupReport, CompactReport, Compression, ExportOptions, ImportOptions,
    ImportReport, RecordDiff, RestoreReport,
};
use crate::interchange::{CancelToken, Progress};
use crate::mongo::{MongoServer, ServerPlan, nothing_written};
use crate::studio::query::ParsedQuery;
use crate::{Document, Error, Result};

/// A page that took longer than this is not run again for the server's
/// counts: its plan comes without them (`queryPlanner`).
const EXPLAIN_RERUN_LIMIT: Duration = Duration::from_secs(1);

/// A server database opened by Studio.
pub struct ServerDatabase {
    server: MongoServer,
    /// The URI as given: what the worker reopens. Shown only redacted.
    uri: PathBuf,
}

impl ServerDatabase {
    pub fn connect(uri: &Path) -> Result<ServerDatabase> {
        let text = uri.to_str().ok_or_else(|| Error::InvalidUri {
            uri: uri.display().to_string(),
            reason: "it is not UTF-8 text".to_owned(),
        })?;
        let server = MongoServer::connect(text)?;
        if server.database_name().is_none() {
            return Err(Error::InvalidUri {
                uri: server.shown_uri().to_owned(),
                reason: "it names no database: choose one".to_owned(),
            });
        }
        Ok(ServerDatabase {
            server,
            uri: uri.to_path_buf(),
        })
    }

    /// Writes staged changes one by one, as on a server without
    /// transactions, even where the server has them: how the tests run
    /// that path on a server that has transactions.
    pub fn without_transactions(self) -> ServerDatabase {
        ServerDatabase {
            server: self.server.without_transactions(),
            uri: self.uri,
        }
    }

    /// Hands each document `filter` matches to `each`, saying how far it
    /// got against the server's count; stops between two documents once
    /// `cancel` fires.
    fn each_matching(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
        each: &mut dyn FnMut(&Document),
    ) -> Result<()> {
        self.server.cancellable(cancel, |server| {
            let total = usize::try_from(server.count(collection, filter)?).unwrap_or(usize::MAX);
            let mut read = 0;
            server.find_each(collection, &Find::new(filter.clone()), &mut |doc| {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                each(&doc);
                read += 1;
                if read % 4096 == 0 {
                    progress(read, total);
                }
                Ok(())
            })?;
            progress(read, read.max(total));
            Ok(())
        })
    }

    fn unsupported(what: &str) -> Error {
        Error::Unsupported {
            what: what.to_owned(),
            place: "a MongoDB server (it works on a folder)".to_owned(),
        }
    }

    /// A write's outcome; in a transaction, its error says that nothing
    /// was written (the Write aborts it next).
    fn in_write<T>(&self, result: Result<T>) -> Result<T> {
        match result {
            Err(error) if self.server.in_transaction() => Err(nothing_written(error)),
            other => other,
        }
    }
}

/// A server's plan as the status bar and the Explain tab show it. A server
/// that says it returned nothing while a page came back did not count
/// (nx-27017): its counts are left out and the page's length is what was
/// returned.
fn summary_of(plan: ServerPlan, page_len: usize) -> ExplainSummary {
    let ServerPlan {
        summary,
        counted,
        stages,
    } = plan;
    let counted = counted && (summary.returned > 0 || page_len == 0);
    ExplainSummary {
        index: summary.index,
        examined: if counted { summary.examined } else { 0 },
        returned: if counted { summary.returned } else { page_len },
        total: summary.total,
        lookups: summary.lookups,
        candidates: summary.candidates,
        sort: summary.sort,
        server: Some(ServerExplain {
            counted,
            time: counted.then_some(summary.time),
            stages,
        }),
    }
}

impl Database for ServerDatabase {
    fn path(&self) -> &Path {
        &self.uri
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn list_collections(&self) -> Vec<String> {
        self.server.list_collections().unwrap_or_default()
    }

    fn collection_summary(&self, name: &str) -> Result<CollectionSummary> {
        let records = self.server.estimated_count(name)?;
        let indexed_fields = self
            .server
            .indexes(name)?
            .iter()
            .filter_map(|index| index.single_field().map(str::to_owned))
            .collect();
        Ok(CollectionSummary {
            name: name.to_owned(),
            format: "mongodb".to_owned(),
            legacy: false,
            records: usize::try_from(records).unwrap_or(usize::MAX),
            file_bytes: 0,
            indexed_fields,
            compression: "none".to_owned(),
            compression_ratio: None,
        })
    }

    fn collection_summary_cancellable(
        &self,
        name: &str,
        cancel: &CancelToken,
    ) -> Result<CollectionSummary> {
        self.server
            .cancellable(cancel, |_| self.collection_summary(name))
    }

    fn find_page(
        &self,
        collection: &str,
        query: &ParsedQuery,
        skip: usize,
        limit: usize,
    ) -> Result<FoundPage> {
        self.find_page_cancellable(collection, query, skip, limit, &CancelToken::new())
    }

    /// The page, then the server's plan for it (run again for its counts
    /// unless the page took over [`EXPLAIN_RERUN_LIMIT`]). Cancel (or a
    /// newer query) stops the wait for the server at once; the server may
    /// go on with the query on its side. A plan the server will not give
    /// leaves the page without one.
    fn find_page_cancellable(
        &self,
        collection: &str,
        query: &ParsedQuery,
        skip: usize,
        limit: usize,
        cancel: &CancelToken,
    ) -> Result<FoundPage> {
        let find = query.to_find().skip(skip).limit(limit);
        self.server.cancellable(cancel, |server| {
            let started = Instant::now();
            let mut docs = Vec::with_capacity(limit);
            server.find_each(collection, &find, &mut |doc| {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                docs.push(doc);
                Ok(())
            })?;
            let rerun = started.elapsed() <= EXPLAIN_RERUN_LIMIT;
            let explain = match server.explain_plan(collection, &find, rerun) {
                Ok(plan) => Some(summary_of(plan, docs.len())),
                Err(Error::Cancelled) => return Err(Error::Cancelled),
                Err(_) => None,
            };
            Ok((docs, explain))
        })
    }

    fn count(&self, collection: &str, filter: &Value) -> Result<usize> {
        self.count_cancellable(collection, filter, &CancelToken::new())
    }

    fn count_cancellable(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
    ) -> Result<usize> {
        let n = self
            .server
            .cancellable(cancel, |server| server.count(collection, filter))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Every matching document, streamed from the server through the
    /// engine's analysis; Cancel stops it between two documents.
    fn schema(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Schema> {
        let mut builder = SchemaBuilder::new();
        self.each_matching(collection, filter, cancel, progress, &mut |doc| {
            builder.add(doc)
        })?;
        Ok(builder.finish(collection))
    }

    fn chart(
        &self,
        collection: &str,
        filter: &Value,
        spec: &ChartSpec,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Chart> {
        let mut builder = ChartBuilder::new(spec);
        self.each_matching(collection, filter, cancel, progress, &mut |doc| {
            builder.add(doc)
        })?;
        Ok(builder.finish())
    }

    fn create_collection(&mut self, name: &str, indexed_fields: &[&str]) -> Result<bool> {
        let fields: Vec<String> = indexed_fields.iter().map(|f| (*f).to_owned()).collect();
        self.server.create_collection(name, &fields)
    }

    fn create_collection_with(
        &mut self,
        name: &str,
        indexed_fields: &[&str],
        compression: Compression,
    ) -> Result<bool> {
        if compression != Compression::None {
            return Err(Self::unsupported("a compressed collection"));
        }
        self.create_collection(name, indexed_fields)
    }

    fn insert_many(&mut self, collection: &str, records: Vec<Value>) -> Result<usize> {
        Ok(self.server.insert_many(collection, records)?.len())
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    fn import_documents(
        &mut self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
        _progress: &mut dyn FnMut(Progress),
    ) -> Result<ImportReport> {
        self.server.import_documents(collection, file, options)
    }

    fn import_collection(
        &mut self,
        _collection: &str,
        _file: &Path,
        _cancel: &CancelToken,
    ) -> Result<bool> {
        Err(Self::unsupported("importing a collection backup (fdb)"))
    }

    fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
        _progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        self.server.export_documents(collection, file, options)
    }

    fn export_collection(&self, _collection: &str, _file: &Path) -> Result<bool> {
        Err(Self::unsupported("a collection backup (fdb)"))
    }

    fn backup_database(
        &self,
        _file: &Path,
        _progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupReport> {
        Err(Self::unsupported("a database backup"))
    }

    fn restore_database(&mut self, _file: &Path, _cancel: &CancelToken) -> Result<RestoreReport> {
        Err(Self::unsupported("restoring a backup"))
    }

    fn compare_with_backup(
        &self,
        _file: &Path,
        _collection: Option<&str>,
        _cancel: &CancelToken,
        _progress: &mut dyn FnMut(u64, u64),
        _each: &mut dyn FnMut(RecordDiff) -> Result<()>,
    ) -> Result<BackupComparison> {
        Err(Self::unsupported("comparing with a backup"))
    }

    fn rename_collection(&mut self, from: &str, to: &str) -> Result<()> {
        self.server.rename_collection(from, to)
    }

    fn clear_collection(&mut self, name: &str) -> Result<bool> {
        self.server.clear_collection(name)
    }

    fn drop_collection(&mut self, name: &str) -> Result<bool> {
        self.server.drop_collection(name)
    }

    fn compact(&mut self, _name: &str) -> Result<CompactReport> {
        Err(Self::unsupported("compaction"))
    }

    fn set_compression(&mut self, _name: &str, _compression: Compression) -> Result<CompactReport> {
        Err(Self::unsupported("compression"))
    }

    fn create_index(
        &mut self,
        collection: &str,
        field: &str,
        _progress: &mut dyn FnMut(usize, usize),
    ) -> Result<bool> {
        let exists = self
            .server
            .indexes(collection)?
            .iter()
            .any(|index| index.single_field() == Some(field));
        if exists {
            return Ok(false);
        }
        self.server.create_index(collection, field)?;
        Ok(true)
    }

    fn drop_index(&mut self, collection: &str, field: &str) -> Result<bool> {
        self.server.drop_index(collection, field)
    }
}

impl EditDatabase for ServerDatabase {
    /// In the open transaction, if any: the record its writes go over.
    fn get_record(&self, collection: &str, id: &str) -> Result<Option<Document>> {
        let found = match self.server.has_collection(collection) {
            Ok(false) => Ok(None),
            Ok(true) => self.server.get(collection, id),
            Err(error) => Err(error),
        };
        self.in_write(found)
    }

    fn writes_in_transactions(&mut self) -> Result<bool> {
        self.server.supports_transactions()
    }

    fn begin(&mut self) -> Result<()> {
        self.server.begin_transaction()
    }

    fn commit_changes(&mut self) -> Result<()> {
        self.server.commit_transaction()
    }

    fn rollback_changes(&mut self) -> Result<()> {
        self.server.abort_transaction()
    }

    fn insert_record(&mut self, collection: &str, record: Document) -> Result<()> {
        let inserted = self
            .server
            .insert_many(collection, vec![Value::Object(record)])
            .map(drop);
        self.in_write(inserted)
    }

    fn replace_record(&mut self, collection: &str, id: &str, record: &Document) -> Result<bool> {
        let replaced = self.server.replace(collection, id, record);
        self.in_write(replaced)
    }

    fn delete_record(&mut self, collection: &str, id: &str) -> Result<bool> {
        let deleted = self.server.delete(collection, id);
        self.in_write(deleted)
    }

    fn update_matching(
        &mut self,
        collection: &str,
        filter: &Value,
        update: &Value,
    ) -> Result<usize> {
        let n = self.server.update_many(collection, filter, update)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn delete_matching(&mut self, collection: &str, filter: &Value) -> Result<usize> {
        let n = self.server.delete_many(collection, filter)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn run_pipeline(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>> {
        self.server.aggregate(collection, pipeline)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::{Explain, SortMethod};

    fn plan(counted: bool, examined: usize, returned: usize) -> ServerPlan {
        ServerPlan {
            summary: Explain {
                index: Some("age".to_owned()),
                index_ordered: false,
                examined,
                returned,
                total: 120,
                lookups: Vec::new(),
                candidates: None,
                sort: SortMethod::None,
                time: Duration::from_millis(3),
            },
            counted,
            stages: vec!["FETCH".to_owned(), "IXSCAN age_1".to_owned()],
        }
    }

    #[test]
    fn a_server_that_counted_gives_its_counts_and_time() {
        let summary = summary_of(plan(true, 12, 10), 10);
        assert_eq!((summary.examined, summary.returned), (12, 10));
        let server = summary.server.expect("the server's plan");
        assert!(server.counted);
        assert_eq!(server.time, Some(Duration::from_millis(3)));
        assert_eq!(server.stages, ["FETCH", "IXSCAN age_1"]);
    }

    #[test]
    fn zero_counts_beside_a_page_are_no_counts() {
        // nx-27017: executionStats with every count 0, while 10 came back.
        let summary = summary_of(plan(true, 0, 0), 10);
        assert_eq!((summary.examined, summary.returned), (0, 10));
        let server = summary.server.expect("the server's plan");
        assert!(!server.counted);
        assert_eq!(server.time, None);
        // An empty page with zero counts is a count of zero.
        assert!(
            summary_of(plan(true, 0, 0), 0)
                .server
                .is_some_and(|s| s.counted)
        );
        // Planned only: no counts at all.
        assert_eq!(summary_of(plan(false, 0, 0), 7).returned, 7);
    }
}
