//! Errors reach the UI: the engine's own, and a worker that fails outright.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use fluxdb::Document;
use fluxdb::engine::chart::{Chart, ChartSpec};
use fluxdb::engine::schema::Schema;
use fluxdb::engine::{
    BackupComparison, BackupReport, CompactReport, Compression, ExportOptions, ImportOptions,
    ImportReport, RecordDiff, RestoreReport,
};
use fluxdb::interchange::{CancelToken, Progress};
use fluxdb::studio::query::ParsedQuery;
use fluxdb::studio::worker::{
    CollectionSummary, Database, EditDatabase, EngineOpener, FoundPage, OpenMode, Opener,
};
use serde_json::Value;

use crate::support::{
    config, harness, harness_with, page_ids, step_until, temp_db, wait_for_label, wait_idle,
};

#[test]
fn an_engine_error_is_shown_with_what_failed_and_why() {
    let db = temp_db();
    let mut harness = harness(config(Some(&db.path()), db.dir.path()));
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_steps(1);
    harness
        .get_by_label("Filter")
        .type_text(r#"{"age": {"$bogus": 1}}"#);
    harness.run_steps(1);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    // Shown in the grid (the query) and the status bar (the last error).
    wait_for_label(&mut harness, "Querying people");
    let shown = harness
        .query_all_by_label_contains("unknown operator $bogus")
        .count();
    assert!(shown >= 1);
    assert!(
        page_ids(&harness).is_empty(),
        "no stale page under the error"
    );
    // The app carries on: Reset runs the empty filter again.
    harness.get_by_label("Reset").click();
    wait_for_label(&mut harness, "1–50 of 120");
}

/// The real engine, except that reading `visits` panics like an engine bug
/// and counting takes `slow_count` longer.
struct HookedOpener {
    slow_count: Duration,
}

struct Panicky(Box<dyn Database>, Duration);

impl Opener for HookedOpener {
    fn open(&self, path: &Path, mode: OpenMode) -> fluxdb::Result<Box<dyn Database>> {
        Ok(Box::new(Panicky(
            EngineOpener.open(path, mode)?,
            self.slow_count,
        )))
    }
}

impl Database for Panicky {
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn is_read_only(&self) -> bool {
        self.0.is_read_only()
    }
    fn list_collections(&self) -> Vec<String> {
        self.0.list_collections()
    }
    fn collection_summary(&self, name: &str) -> fluxdb::Result<CollectionSummary> {
        self.0.collection_summary(name)
    }
    fn find_page(
        &self,
        collection: &str,
        query: &ParsedQuery,
        skip: usize,
        limit: usize,
    ) -> fluxdb::Result<FoundPage> {
        if collection == "visits" {
            panic!("simulated engine bug");
        }
        self.0.find_page(collection, query, skip, limit)
    }
    fn count(&self, collection: &str, filter: &Value) -> fluxdb::Result<usize> {
        std::thread::sleep(self.1);
        self.0.count(collection, filter)
    }
    fn schema(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> fluxdb::Result<Schema> {
        self.0.schema(collection, filter, cancel, progress)
    }
    fn chart(
        &self,
        collection: &str,
        filter: &Value,
        spec: &ChartSpec,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(usize, usize),
    ) -> fluxdb::Result<Chart> {
        self.0.chart(collection, filter, spec, cancel, progress)
    }
    fn create_collection(&mut self, name: &str, indexed: &[&str]) -> fluxdb::Result<bool> {
        self.0.create_collection(name, indexed)
    }
    fn create_collection_with(
        &mut self,
        name: &str,
        indexed: &[&str],
        compression: Compression,
    ) -> fluxdb::Result<bool> {
        self.0.create_collection_with(name, indexed, compression)
    }
    fn insert_many(&mut self, collection: &str, records: Vec<Value>) -> fluxdb::Result<usize> {
        self.0.insert_many(collection, records)
    }
    fn flush(&mut self) -> fluxdb::Result<()> {
        self.0.flush()
    }
    fn import_documents(
        &mut self,
        collection: &str,
        file: &Path,
        options: ImportOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> fluxdb::Result<ImportReport> {
        self.0.import_documents(collection, file, options, progress)
    }
    fn import_collection(
        &mut self,
        collection: &str,
        file: &Path,
        cancel: &CancelToken,
    ) -> fluxdb::Result<bool> {
        self.0.import_collection(collection, file, cancel)
    }
    fn export_documents(
        &self,
        collection: &str,
        file: &Path,
        options: &ExportOptions,
        progress: &mut dyn FnMut(u64, u64),
    ) -> fluxdb::Result<u64> {
        self.0.export_documents(collection, file, options, progress)
    }
    fn export_collection(&self, collection: &str, file: &Path) -> fluxdb::Result<bool> {
        self.0.export_collection(collection, file)
    }
    fn backup_database(
        &self,
        file: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> fluxdb::Result<BackupReport> {
        self.0.backup_database(file, progress)
    }
    fn restore_database(
        &mut self,
        file: &Path,
        cancel: &CancelToken,
    ) -> fluxdb::Result<RestoreReport> {
        self.0.restore_database(file, cancel)
    }
    fn compare_with_backup(
        &self,
        file: &Path,
        collection: Option<&str>,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(u64, u64),
        each: &mut dyn FnMut(RecordDiff) -> fluxdb::Result<()>,
    ) -> fluxdb::Result<BackupComparison> {
        self.0
            .compare_with_backup(file, collection, cancel, progress, each)
    }
    fn rename_collection(&mut self, from: &str, to: &str) -> fluxdb::Result<()> {
        self.0.rename_collection(from, to)
    }
    fn clear_collection(&mut self, name: &str) -> fluxdb::Result<bool> {
        self.0.clear_collection(name)
    }
    fn drop_collection(&mut self, name: &str) -> fluxdb::Result<bool> {
        self.0.drop_collection(name)
    }
    fn compact(&mut self, name: &str) -> fluxdb::Result<CompactReport> {
        self.0.compact(name)
    }
    fn set_compression(
        &mut self,
        name: &str,
        compression: Compression,
    ) -> fluxdb::Result<CompactReport> {
        self.0.set_compression(name, compression)
    }
    fn create_index(
        &mut self,
        collection: &str,
        field: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> fluxdb::Result<bool> {
        self.0.create_index(collection, field, progress)
    }
    fn drop_index(&mut self, collection: &str, field: &str) -> fluxdb::Result<bool> {
        self.0.drop_index(collection, field)
    }
}

impl EditDatabase for Panicky {
    fn get_record(&self, collection: &str, id: &str) -> fluxdb::Result<Option<Document>> {
        self.0.get_record(collection, id)
    }
    fn begin(&mut self) -> fluxdb::Result<()> {
        self.0.begin()
    }
    fn commit_changes(&mut self) -> fluxdb::Result<()> {
        self.0.commit_changes()
    }
    fn rollback_changes(&mut self) -> fluxdb::Result<()> {
        self.0.rollback_changes()
    }
    fn insert_record(&mut self, collection: &str, record: Document) -> fluxdb::Result<()> {
        self.0.insert_record(collection, record)
    }
    fn replace_record(
        &mut self,
        collection: &str,
        id: &str,
        record: &Document,
    ) -> fluxdb::Result<bool> {
        self.0.replace_record(collection, id, record)
    }
    fn delete_record(&mut self, collection: &str, id: &str) -> fluxdb::Result<bool> {
        self.0.delete_record(collection, id)
    }
    fn update_matching(
        &mut self,
        collection: &str,
        filter: &Value,
        update: &Value,
    ) -> fluxdb::Result<usize> {
        self.0.update_matching(collection, filter, update)
    }
    fn delete_matching(&mut self, collection: &str, filter: &Value) -> fluxdb::Result<usize> {
        self.0.delete_matching(collection, filter)
    }
    fn run_pipeline(&self, collection: &str, pipeline: &Value) -> fluxdb::Result<Vec<Document>> {
        self.0.run_pipeline(collection, pipeline)
    }
}

#[test]
fn a_worker_failure_is_reported_and_the_app_keeps_running() {
    let db = temp_db();
    let mut harness = harness_with(
        config(Some(&db.path()), db.dir.path()),
        Arc::new(HookedOpener {
            slow_count: Duration::ZERO,
        }),
    );
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    harness.get_by_label("visits").click();
    wait_for_label(&mut harness, "internal error");
    assert!(
        harness
            .query_all_by_label_contains("simulated engine bug")
            .next()
            .is_some()
    );
    wait_idle(&mut harness);
    harness.get_by_label("people").click();
    wait_for_label(&mut harness, "1–50 of 120");
    assert_eq!(page_ids(&harness).first().map(String::as_str), Some("p000"));
}

#[test]
fn a_slow_count_shows_the_worker_busy_and_cancel_stops_waiting_for_it() {
    let db = temp_db();
    let mut harness = harness_with(
        config(Some(&db.path()), db.dir.path()),
        Arc::new(HookedOpener {
            slow_count: Duration::from_secs(3),
        }),
    );
    // The first page shows while the count still runs.
    wait_for_label(&mut harness, "counting people");
    wait_for_label(&mut harness, "1–50 of counting…");
    harness.get_by_label("Cancel").click();
    step_until(&mut harness, "the cancel", |h| {
        h.state().state().status.busy.is_none()
    });
    wait_for_label(&mut harness, "1–50 of ?");
    // The app carries on: the next page comes once the count is done.
    harness.get_by_label("Next ›").click();
    wait_for_label(&mut harness, "51–100 of ?");
}
