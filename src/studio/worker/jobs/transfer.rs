//! Records in and out of files, on the worker thread: the import preview
//! (the first records of a JSON, JSON Lines or CSV file, or of a FluxDB
//! backup read in a scratch folder), the all-or-nothing import and the
//! export of a collection or of the query bar's result.

use std::path::Path;

use super::request::{
    ExportJob, FileFormat, ImportJob, ImportMode, ImportPreview, JobProgress, Outcome,
    PreviewColumn,
};
use crate::engine::names::validate_collection_name;
use crate::engine::{ExportOptions, ImportOptions};
use crate::error::{Error, Result};
use crate::interchange::{CancelToken, ColumnType, ReadOptions};
use crate::studio::format::{format_bytes, format_count};
use crate::studio::query::ParsedQuery;
use crate::studio::worker::database::{Database, OpenMode, Opener};

/// Records a preview shows.
pub const PREVIEW_RECORDS: usize = 20;

/// Backups larger than this are not opened for a preview (it reads all of it).
const PREVIEW_BACKUP_BYTES: u64 = 64 << 20;

fn csv_options(csv_types: &[(String, ColumnType)]) -> ImportOptions {
    csv_types
        .iter()
        .fold(ImportOptions::new(), |options, (field, column_type)| {
            options.csv_type(field, *column_type)
        })
}

/// The first records of a file, as an import would read them.
pub(super) fn preview(
    opener: &dyn Opener,
    path: &Path,
    format: FileFormat,
    csv_types: &[(String, ColumnType)],
) -> Result<ImportPreview> {
    let Some(documents_format) = format.documents() else {
        return preview_backup(opener, path);
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
/// preview imports it into a throwaway database in the temporary folder,
/// opened through the worker's own `opener`.
fn preview_backup(opener: &dyn Opener, path: &Path) -> Result<ImportPreview> {
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
        let mut db = opener.open(&scratch, OpenMode::ReadWrite)?;
        db.import_collection("preview", path, &CancelToken::new())?;
        let info = db.collection_summary("preview")?;
        let everything = ParsedQuery::matching(serde_json::json!({}));
        let (docs, _) = db.find_page("preview", &everything, 0, PREVIEW_RECORDS)?;
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
pub(super) fn import(
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
    Ok(outcome.with_collections(db))
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

pub(super) fn export(
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
        options = options.query(query.to_find());
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
