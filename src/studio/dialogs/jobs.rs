//! The dialogs' work on the worker thread: import (with its preview),
//! export, database backup and restore, and the collection and index
//! operations. The UI sends one [`ManageRequest`]; the worker answers with
//! [`ManageEvent::Progress`] while it runs and one finishing event.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::Document;
use crate::engine::names::validate_collection_name;
use crate::engine::{Compression, ExportOptions, Find, FluxDB, ImportOptions};
use crate::error::{Error, Result};
use crate::interchange::{CancelToken, ColumnType, Format, ReadOptions};
use crate::studio::backend::Database;
use crate::studio::format::{format_bytes, format_count};
use crate::studio::query::ParsedQuery;

/// The file formats the dialogs read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// A FluxDB backup of one collection (`export_collection`).
    Backup,
    Json,
    JsonLines,
    Csv,
}

impl FileFormat {
    pub const ALL: [FileFormat; 4] = [
        FileFormat::Backup,
        FileFormat::Json,
        FileFormat::JsonLines,
        FileFormat::Csv,
    ];

    /// The format a file's extension names.
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        if extension == "fdb" {
            return Some(FileFormat::Backup);
        }
        Format::from_path(path).map(FileFormat::from)
    }

    pub fn label(self) -> &'static str {
        match self {
            FileFormat::Backup => "FluxDB backup (.fdb)",
            FileFormat::Json => "JSON array (.json)",
            FileFormat::JsonLines => "JSON Lines (.jsonl)",
            FileFormat::Csv => "CSV (.csv), lossy",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Backup => "fdb",
            FileFormat::Json => "json",
            FileFormat::JsonLines => "jsonl",
            FileFormat::Csv => "csv",
        }
    }

    /// The document format, for all but the backup.
    pub fn documents(self) -> Option<Format> {
        match self {
            FileFormat::Backup => None,
            FileFormat::Json => Some(Format::Json),
            FileFormat::JsonLines => Some(Format::JsonLines),
            FileFormat::Csv => Some(Format::Csv),
        }
    }
}

impl From<Format> for FileFormat {
    fn from(format: Format) -> FileFormat {
        match format {
            Format::Json => FileFormat::Json,
            Format::JsonLines => FileFormat::JsonLines,
            Format::Csv => FileFormat::Csv,
        }
    }
}

/// A cancel token inside a request. Requests compare equal whatever their
/// tokens (a token has no value of its own to compare).
#[derive(Clone, Debug, Default)]
pub struct CancelHandle(pub CancelToken);

impl PartialEq for CancelHandle {
    fn eq(&self, _other: &CancelHandle) -> bool {
        true
    }
}

/// Whether an import adds to the collection or takes its place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImportMode {
    #[default]
    Append,
    Replace,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportJob {
    pub path: PathBuf,
    pub format: FileFormat,
    pub collection: String,
    pub mode: ImportMode,
    pub skip_bad: bool,
    /// CSV columns whose type the user chose.
    pub csv_types: Vec<(String, ColumnType)>,
    pub cancel: CancelHandle,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExportJob {
    pub collection: String,
    pub path: PathBuf,
    pub format: FileFormat,
    /// `None`: the whole collection.
    pub query: Option<ParsedQuery>,
    pub cancel: CancelHandle,
}

/// What a dialog asks of the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum ManageRequest {
    Preview {
        path: PathBuf,
        format: FileFormat,
        csv_types: Vec<(String, ColumnType)>,
    },
    Import(Box<ImportJob>),
    Export(Box<ExportJob>),
    Backup {
        path: PathBuf,
    },
    Restore {
        path: PathBuf,
        cancel: CancelHandle,
    },
    CreateCollection {
        name: String,
        indexed_fields: Vec<String>,
        compression: Compression,
    },
    Rename {
        from: String,
        to: String,
    },
    Clear {
        name: String,
    },
    Drop {
        name: String,
    },
    Compact {
        name: String,
    },
    /// Rewrites the collection's file with another codec.
    SetCompression {
        name: String,
        compression: Compression,
    },
    CreateIndex {
        collection: String,
        field: String,
    },
    DropIndex {
        collection: String,
        field: String,
    },
}

impl ManageRequest {
    /// What the worker is doing, for the status bar and error messages.
    pub fn describe(&self) -> String {
        match self {
            ManageRequest::Preview { path, .. } => format!("reading {}", path.display()),
            ManageRequest::Import(job) => {
                format!("importing {} into {}", job.path.display(), job.collection)
            }
            ManageRequest::Export(job) => {
                format!("exporting {} to {}", job.collection, job.path.display())
            }
            ManageRequest::Backup { path } => {
                format!("backing up the database to {}", path.display())
            }
            ManageRequest::Restore { path, .. } => format!("restoring {}", path.display()),
            ManageRequest::CreateCollection { name, .. } => format!("creating collection {name}"),
            ManageRequest::Rename { from, to } => format!("renaming {from} to {to}"),
            ManageRequest::Clear { name } => format!("clearing {name}"),
            ManageRequest::Drop { name } => format!("dropping {name}"),
            ManageRequest::Compact { name } => format!("compacting {name}"),
            ManageRequest::SetCompression { name, compression } => {
                format!("rewriting {name} as {compression}")
            }
            ManageRequest::CreateIndex { collection, field } => {
                format!("indexing {field} of {collection}")
            }
            ManageRequest::DropIndex { collection, field } => {
                format!("dropping the index on {field} of {collection}")
            }
        }
    }
}

/// How far a job has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobProgress {
    pub done: u64,
    pub total: Option<u64>,
    /// What `done` counts: "bytes" or "records".
    pub unit: &'static str,
}

impl JobProgress {
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total?;
        if total == 0 {
            return Some(1.0);
        }
        Some((self.done as f64 / total as f64).min(1.0) as f32)
    }
}

/// A CSV column of a preview.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewColumn {
    pub name: String,
    pub column_type: ColumnType,
    /// Inferred (true) or chosen in the dialog.
    pub inferred: bool,
}

/// The first records of a file, as an import would read them.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPreview {
    pub path: PathBuf,
    pub format: FileFormat,
    /// Records with the line they start on (0 for a backup).
    pub documents: Vec<(u64, Document)>,
    /// Bad records met on the way, each naming its line.
    pub errors: Vec<String>,
    pub csv_columns: Vec<PreviewColumn>,
    /// Something to know about the file (a backup's size, a cap).
    pub note: Option<String>,
}

/// How a job ended well: what to tell the user and what changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub message: String,
    /// Lines skipped by an import, each with its line number and why.
    pub problems: Vec<String>,
    /// The folder's collections afterwards, when they may have changed.
    pub collections: Option<Vec<String>>,
    /// A collection whose records changed (its page is read again).
    pub changed: Option<String>,
    /// A collection to show (a renamed or new one).
    pub select: Option<String>,
}

impl Outcome {
    fn new(message: String) -> Outcome {
        Outcome {
            message,
            problems: Vec::new(),
            collections: None,
            changed: None,
            select: None,
        }
    }
}

/// What the worker tells a dialog.
#[derive(Clone, Debug, PartialEq)]
pub enum ManageEvent {
    Progress(JobProgress),
    Preview(Box<ImportPreview>),
    Finished(Box<Outcome>),
}

/// Records a preview shows.
pub const PREVIEW_RECORDS: usize = 20;

/// Backups larger than this are not opened for a preview (it reads all of it).
const PREVIEW_BACKUP_BYTES: u64 = 64 << 20;

/// Progress events at most this often, so a fast import does not flood the UI.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// Runs one request. `db` is the open folder (`None`: none is open, which
/// only a preview can do without).
pub fn run(
    db: Option<&mut (dyn Database + 'static)>,
    request: &ManageRequest,
    report: &mut dyn FnMut(JobProgress),
) -> Result<ManageEvent> {
    let mut last = Instant::now() - PROGRESS_EVERY;
    let mut progress = |p: JobProgress| {
        let finished = p.total.is_some_and(|t| p.done >= t);
        if finished || last.elapsed() >= PROGRESS_EVERY {
            last = Instant::now();
            report(p);
        }
    };
    let outcome = match request {
        ManageRequest::Preview {
            path,
            format,
            csv_types,
        } => {
            return preview(path, *format, csv_types).map(|p| ManageEvent::Preview(Box::new(p)));
        }
        ManageRequest::Import(job) => import(need(db)?, job, &mut progress)?,
        ManageRequest::Export(job) => export(need(db)?, job, &mut progress)?,
        ManageRequest::Backup { path } => {
            let db = need(db)?;
            let report = db.backup_database(path, &mut |done, total| {
                progress(JobProgress {
                    done,
                    total: Some(total),
                    unit: "records",
                })
            })?;
            Outcome::new(format!(
                "Backed up {} collection(s), {} records ({}) to {}",
                report.collections.len(),
                format_count(report.records as usize),
                format_bytes(report.bytes),
                path.display()
            ))
        }
        ManageRequest::Restore { path, cancel } => {
            let db = need(db)?;
            let report = db.restore_database(path, &cancel.0)?;
            let mut outcome = Outcome::new(format!(
                "Restored {} collection(s), {} records from {}",
                report.collections.len(),
                format_count(report.records as usize),
                path.display()
            ));
            if !report.untouched.is_empty() {
                outcome.problems.push(format!(
                    "Not in the backup, left as they were: {}",
                    report.untouched.join(", ")
                ));
            }
            outcome.select = report.collections.first().cloned();
            with_collections(db, outcome)
        }
        ManageRequest::CreateCollection {
            name,
            indexed_fields,
            compression,
        } => {
            let db = need(db)?;
            let fields: Vec<&str> = indexed_fields.iter().map(String::as_str).collect();
            if !db.create_collection_with(name, &fields, *compression)? {
                return Err(Error::CollectionExists(name.clone()));
            }
            let mut outcome = Outcome::new(format!("Created collection {name}"));
            outcome.select = Some(name.clone());
            with_collections(db, outcome)
        }
        ManageRequest::Rename { from, to } => {
            let db = need(db)?;
            db.rename_collection(from, to)?;
            let mut outcome = Outcome::new(format!("Renamed {from} to {to}"));
            outcome.select = Some(to.clone());
            with_collections(db, outcome)
        }
        ManageRequest::Clear { name } => {
            let db = need(db)?;
            if !db.clear_collection(name)? {
                return Err(Error::CollectionNotFound(name.clone()));
            }
            let mut outcome = Outcome::new(format!("Cleared {name}: it has no records now"));
            outcome.changed = Some(name.clone());
            with_collections(db, outcome)
        }
        ManageRequest::Drop { name } => {
            let db = need(db)?;
            if !db.drop_collection(name)? {
                return Err(Error::CollectionNotFound(name.clone()));
            }
            with_collections(db, Outcome::new(format!("Dropped collection {name}")))
        }
        ManageRequest::Compact { name } => {
            let db = need(db)?;
            let report = db.compact(name)?;
            let reclaimed = report.bytes_before.saturating_sub(report.bytes_after);
            let mut outcome = Outcome::new(format!(
                "Compacted {name}: reclaimed {} ({} before, {} after)",
                format_bytes(reclaimed),
                format_bytes(report.bytes_before),
                format_bytes(report.bytes_after)
            ));
            outcome.collections = Some(db.list_collections());
            outcome
        }
        ManageRequest::SetCompression { name, compression } => {
            let db = need(db)?;
            let report = db.set_compression(name, *compression)?;
            // The sidebar reads every summary again, so the new ratio shows.
            with_collections(
                db,
                Outcome::new(format!(
                    "Rewrote {name} as {compression}: {} before, {} after",
                    format_bytes(report.bytes_before),
                    format_bytes(report.bytes_after)
                )),
            )
        }
        ManageRequest::CreateIndex { collection, field } => {
            let db = need(db)?;
            let created = db.create_index(collection, field, &mut |done, total| {
                progress(JobProgress {
                    done: done as u64,
                    total: Some(total as u64),
                    unit: "records",
                })
            })?;
            let message = if created {
                format!("Indexed {field} of {collection}")
            } else {
                format!("{field} of {collection} was indexed already")
            };
            with_collections(db, Outcome::new(message))
        }
        ManageRequest::DropIndex { collection, field } => {
            let db = need(db)?;
            let message = if db.drop_index(collection, field)? {
                format!("Dropped the index on {field} of {collection}")
            } else {
                format!("{field} of {collection} was not indexed")
            };
            with_collections(db, Outcome::new(message))
        }
    };
    Ok(ManageEvent::Finished(Box::new(outcome)))
}

fn need<'a>(
    db: Option<&'a mut (dyn Database + 'static)>,
) -> Result<&'a mut (dyn Database + 'static)> {
    db.ok_or_else(|| Error::Transaction("no folder is open; open one from the start screen".into()))
}

fn with_collections(db: &mut dyn Database, mut outcome: Outcome) -> Outcome {
    outcome.collections = Some(db.list_collections());
    outcome
}

fn csv_options(csv_types: &[(String, ColumnType)]) -> ImportOptions {
    csv_types
        .iter()
        .fold(ImportOptions::new(), |options, (field, column_type)| {
            options.csv_type(field, *column_type)
        })
}

fn preview(
    path: &Path,
    format: FileFormat,
    csv_types: &[(String, ColumnType)],
) -> Result<ImportPreview> {
    let Some(documents_format) = format.documents() else {
        return preview_backup(path);
    };
    let options = ReadOptions {
        csv_types: csv_options(csv_types).csv_types,
        ..ReadOptions::default()
    };
    let found = crate::interchange::preview(path, documents_format, PREVIEW_RECORDS, &options)?;
    Ok(ImportPreview {
        path: path.to_path_buf(),
        format,
        documents: found.documents,
        errors: found.errors.iter().map(ToString::to_string).collect(),
        csv_columns: found
            .csv_columns
            .unwrap_or_default()
            .into_iter()
            .map(|c| PreviewColumn {
                name: c.name,
                column_type: c.column_type,
                inferred: c.inferred,
            })
            .collect(),
        note: found
            .total_bytes
            .map(|bytes| format!("{} file", format_bytes(bytes))),
    })
}

/// A backup is checked whole by the engine before it is read, so the
/// preview imports it into a throwaway database in the temporary folder.
fn preview_backup(path: &Path) -> Result<ImportPreview> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let mut preview = ImportPreview {
        path: path.to_path_buf(),
        format: FileFormat::Backup,
        documents: Vec::new(),
        errors: Vec::new(),
        csv_columns: Vec::new(),
        note: None,
    };
    if bytes > PREVIEW_BACKUP_BYTES {
        preview.note = Some(format!(
            "FluxDB backup of {}: too large to preview; the import checks it whole before replacing anything",
            format_bytes(bytes)
        ));
        return Ok(preview);
    }
    let scratch = std::env::temp_dir().join(format!("fluxdb-preview-{}", uuid::Uuid::new_v4()));
    let read = (|| {
        let mut db = FluxDB::open(&scratch)?;
        db.import_collection("preview", path)?;
        let info = db.collection_info("preview")?;
        let docs = db.find(
            "preview",
            &Find::new(serde_json::json!({})).limit(PREVIEW_RECORDS),
        )?;
        Ok::<_, Error>((info, docs))
    })();
    // The scratch copy is ours alone; a leftover is only temporary space.
    let _ = std::fs::remove_dir_all(&scratch);
    let (info, docs) = read?;
    preview.documents = docs.into_iter().map(|doc| (0, doc)).collect();
    let indexes = if info.indexed_fields.is_empty() {
        "no indexes".to_owned()
    } else {
        format!("indexed: {}", info.indexed_fields.join(", "))
    };
    preview.note = Some(format!(
        "FluxDB backup: {} records, {indexes} ({})",
        format_count(info.records),
        format_bytes(bytes)
    ));
    Ok(preview)
}

/// Imports all or nothing: when the import fails or is cancelled, the
/// folder is as before, without the collection it would have created or
/// the scratch collection a replacing import fills.
fn import(
    db: &mut dyn Database,
    job: &ImportJob,
    progress: &mut dyn FnMut(JobProgress),
) -> Result<Outcome> {
    validate_collection_name(&job.collection)?;
    let existed = db.list_collections().contains(&job.collection);
    let staging = match (job.format.documents(), job.mode) {
        (Some(_), ImportMode::Replace) if existed => Some(staging_for(db, &job.collection)?),
        _ => None,
    };
    let imported = import_into(db, job, staging.as_deref(), existed, progress);
    match imported {
        Ok(outcome) => Ok(outcome),
        Err(error) => {
            let left = db.list_collections();
            let original_kept = left.contains(&job.collection);
            // Once the original is gone, the filled scratch collection is
            // all there is: it stays, under its own name.
            let mut scratch: Vec<&str> = staging
                .iter()
                .filter(|_| original_kept)
                .map(String::as_str)
                .collect();
            if !existed {
                scratch.push(&job.collection);
            }
            for name in scratch {
                if left.iter().any(|c| c == name) {
                    // A drop that fails too leaves the name in the sidebar,
                    // where the user can drop it; the import's own error is
                    // what to report.
                    let _ = db.drop_collection(name);
                }
            }
            Err(error)
        }
    }
}

fn import_into(
    db: &mut dyn Database,
    job: &ImportJob,
    staging: Option<&str>,
    existed: bool,
    progress: &mut dyn FnMut(JobProgress),
) -> Result<Outcome> {
    let mut outcome = match job.format.documents() {
        None => {
            if !db.import_collection(&job.collection, &job.path, &job.cancel.0)? {
                return Err(Error::io(
                    &job.path,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
                ));
            }
            Outcome::new(format!(
                "Replaced {} with the backup {}",
                job.collection,
                job.path.display()
            ))
        }
        Some(format) => {
            let mut options = csv_options(&job.csv_types)
                .format(format)
                .skip_bad(job.skip_bad)
                .cancel(job.cancel.0.clone());
            options.csv_types.infer = true;
            let target = staging.unwrap_or(&job.collection);
            let mut on_progress = |p: crate::interchange::Progress| {
                progress(JobProgress {
                    done: p.bytes_read,
                    total: p.total_bytes,
                    unit: "bytes",
                })
            };
            let report = db.import_documents(target, &job.path, options, &mut on_progress)?;
            if let Some(staging) = staging {
                db.drop_collection(&job.collection)?;
                db.rename_collection(staging, &job.collection)?;
            }
            let verb = match (job.mode, existed) {
                (ImportMode::Replace, true) => "Replaced the records of",
                (_, false) => "Created",
                (ImportMode::Append, true) => "Appended to",
            };
            let mut outcome = Outcome::new(format!(
                "{verb} {}: {} records imported{}",
                job.collection,
                format_count(report.imported as usize),
                if report.skipped > 0 {
                    format!(
                        ", {} bad records skipped",
                        format_count(report.skipped as usize)
                    )
                } else {
                    String::new()
                }
            ));
            outcome.problems = report
                .skipped_records
                .iter()
                .map(ToString::to_string)
                .collect();
            outcome
        }
    };
    outcome.changed = Some(job.collection.clone());
    if !existed {
        outcome.select = Some(job.collection.clone());
    }
    Ok(with_collections(db, outcome))
}

/// A new collection beside `collection`, with its indexes, that a replacing
/// import fills before it takes the name: a failed import leaves the
/// collection as it was.
fn staging_for(db: &mut dyn Database, collection: &str) -> Result<String> {
    let summary = db.collection_summary(collection)?;
    if summary.legacy {
        return Err(Error::UnsupportedFormat {
            collection: collection.to_owned(),
            format: summary.format,
            reason: "a Python 0.1 collection cannot be replaced by an import; append to it, or clear it first".to_owned(),
        });
    }
    let staging = format!("{collection}.importing");
    validate_collection_name(&staging)?;
    if db.list_collections().contains(&staging) {
        return Err(Error::CollectionExists(format!(
            "{staging} (left by an earlier import: drop it, then import again)"
        )));
    }
    let fields: Vec<&str> = summary.indexed_fields.iter().map(String::as_str).collect();
    db.create_collection(&staging, &fields)?;
    Ok(staging)
}

fn export(
    db: &mut dyn Database,
    job: &ExportJob,
    progress: &mut dyn FnMut(JobProgress),
) -> Result<Outcome> {
    let Some(format) = job.format.documents() else {
        if !db.export_collection(&job.collection, &job.path)? {
            return Err(Error::CollectionNotFound(job.collection.clone()));
        }
        return Ok(Outcome::new(format!(
            "Backed up {} to {}",
            job.collection,
            job.path.display()
        )));
    };
    let mut options = ExportOptions::new()
        .format(format)
        .cancel(job.cancel.0.clone());
    if let Some(query) = &job.query {
        let mut find = Find::new(query.filter.clone());
        if let Some(sort) = &query.sort {
            find = find.sort(sort.clone());
        }
        if let Some(projection) = &query.projection {
            find = find.projection(projection.clone());
        }
        options = options.query(find);
    }
    let written =
        db.export_documents(&job.collection, &job.path, &options, &mut |done, total| {
            progress(JobProgress {
                done,
                total: Some(total),
                unit: "records",
            })
        })?;
    let lossy = if format.is_lossy() {
        " (CSV keeps no types: numbers, booleans and null come back as inferred)"
    } else {
        ""
    };
    Ok(Outcome::new(format!(
        "Exported {} records of {} to {}{lossy}",
        format_count(written as usize),
        job.collection,
        job.path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_extensions_in_any_case() {
        for (name, format) in [
            ("a.fdb", Some(FileFormat::Backup)),
            ("a.JSON", Some(FileFormat::Json)),
            ("a.jsonl", Some(FileFormat::JsonLines)),
            ("a.ndjson", Some(FileFormat::JsonLines)),
            ("a.csv", Some(FileFormat::Csv)),
            ("a.txt", None),
            ("noext", None),
        ] {
            assert_eq!(FileFormat::from_path(Path::new(name)), format, "{name}");
        }
    }

    fn memory_db(legacy: bool) -> Box<dyn Database> {
        use crate::studio::backend::tests::MemoryOpener;
        use crate::studio::backend::{OpenMode, Opener};
        let mut opener = MemoryOpener::with_records("people", 3);
        opener.legacy = legacy;
        opener
            .open(Path::new("/memory"), OpenMode::ReadWrite)
            .expect("the memory engine opens")
    }

    fn set_lz4() -> ManageRequest {
        ManageRequest::SetCompression {
            name: "people".into(),
            compression: Compression::Lz4,
        }
    }

    #[test]
    fn set_compression_reports_the_sizes_and_refreshes_the_sidebar() {
        let mut db = memory_db(false);
        let event = run(Some(db.as_mut()), &set_lz4(), &mut |_| {}).expect("rewrite");
        let ManageEvent::Finished(outcome) = event else {
            panic!("expected a finished job, got {event:?}");
        };
        assert_eq!(
            outcome.message,
            "Rewrote people as lz4: 1.0 KB before, 400 B after"
        );
        assert_eq!(outcome.collections, Some(vec!["people".to_owned()]));
        let summary = db.collection_summary("people").expect("summary");
        assert_eq!(summary.compression, "lz4");
    }

    #[test]
    fn set_compression_on_a_python_collection_fails_and_says_why() {
        let mut db = memory_db(true);
        let error = run(Some(db.as_mut()), &set_lz4(), &mut |_| {}).expect_err("refused");
        assert!(error.to_string().contains("never compressed"), "{error}");
    }

    #[test]
    fn progress_is_a_fraction_of_the_total_when_known() {
        let half = JobProgress {
            done: 5,
            total: Some(10),
            unit: "bytes",
        };
        assert_eq!(half.fraction(), Some(0.5));
        let unknown = JobProgress {
            total: None,
            ..half
        };
        assert_eq!(unknown.fraction(), None);
    }
}
