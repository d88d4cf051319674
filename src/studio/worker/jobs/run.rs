//! Runs a dialog's job on the worker thread: [`run`] takes one
//! [`ManageRequest`], reports [`JobProgress`] (at most every 50 ms) while
//! it works, and answers with one finishing [`ManageEvent`]. Backup,
//! restore, collection and index operations are here; reading and writing
//! record files is in `transfer.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use super::request::{JobProgress, ManageEvent, ManageRequest, Outcome};
use super::{compare, transfer};
use crate::backend::{Location, copy_collection, redact};
use crate::connect::{Role, open_backend};
use crate::error::{Error, Result};
use crate::studio::format::{format_bytes, format_count};
use crate::studio::worker::database::{Database, Opener};

/// Progress events at most this often, so a fast import does not flood the UI.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// Runs one request. `db` is the open folder (`None`: none is open, which
/// only a preview can do without); `opener` opens the scratch folder a
/// backup's preview is read in.
pub fn run(
    db: Option<&mut (dyn Database + 'static)>,
    opener: &dyn Opener,
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
            return transfer::preview(opener, path, *format, csv_types)
                .map(|p| ManageEvent::Preview(Box::new(p)));
        }
        ManageRequest::Import(job) => transfer::import(need(db)?, job, &mut progress)?,
        ManageRequest::Export(job) => transfer::export(need(db)?, job, &mut progress)?,
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
            outcome.with_collections(db)
        }
        ManageRequest::Compare {
            path,
            collection,
            cancel,
        } => {
            let db = need(db)?;
            let compared = compare::compare(
                db,
                path,
                collection.as_deref(),
                &cancel.0,
                &mut |done, total| {
                    progress(JobProgress {
                        done,
                        total: Some(total),
                        unit: "bytes",
                    })
                },
            )?;
            return Ok(ManageEvent::Compared(Box::new(compared)));
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
            outcome.with_collections(db)
        }
        ManageRequest::Rename { from, to } => {
            let db = need(db)?;
            db.rename_collection(from, to)?;
            let mut outcome = Outcome::new(format!("Renamed {from} to {to}"));
            outcome.select = Some(to.clone());
            outcome.with_collections(db)
        }
        ManageRequest::Clear { name } => {
            let db = need(db)?;
            if !db.clear_collection(name)? {
                return Err(Error::CollectionNotFound(name.clone()));
            }
            let mut outcome = Outcome::new(format!("Cleared {name}: it has no records now"));
            outcome.changed = Some(name.clone());
            outcome.with_collections(db)
        }
        ManageRequest::Drop { name } => {
            let db = need(db)?;
            if !db.drop_collection(name)? {
                return Err(Error::CollectionNotFound(name.clone()));
            }
            Outcome::new(format!("Dropped collection {name}")).with_collections(db)
        }
        ManageRequest::Compact { name } => {
            let db = need(db)?;
            let report = db.compact(name)?;
            let reclaimed = report.bytes_before.saturating_sub(report.bytes_after);
            Outcome::new(format!(
                "Compacted {name}: reclaimed {} ({} before, {} after)",
                format_bytes(reclaimed),
                format_bytes(report.bytes_before),
                format_bytes(report.bytes_after)
            ))
            .with_collections(db)
        }
        ManageRequest::SetCompression { name, compression } => {
            let db = need(db)?;
            let report = db.set_compression(name, *compression)?;
            // The sidebar reads every summary again, so the new ratio shows.
            Outcome::new(format!(
                "Rewrote {name} as {compression}: {} before, {} after",
                format_bytes(report.bytes_before),
                format_bytes(report.bytes_after)
            ))
            .with_collections(db)
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
            Outcome::new(message).with_collections(db)
        }
        ManageRequest::DropIndex { collection, field } => {
            let db = need(db)?;
            let message = if db.drop_index(collection, field)? {
                format!("Dropped the index on {field} of {collection}")
            } else {
                format!("{field} of {collection} was not indexed")
            };
            Outcome::new(message).with_collections(db)
        }
        ManageRequest::CopyTo {
            collection,
            destination,
        } => copy_to(need(db)?, collection, destination, &mut progress)?,
    };
    Ok(ManageEvent::Finished(Box::new(outcome)))
}

/// Copies `collection` of the open database to `destination`, each side
/// opened on its own (the open one read-only) so the copy never holds the
/// worker's handle in two places.
fn copy_to(
    db: &mut (dyn Database + 'static),
    collection: &str,
    destination: &Path,
    progress: &mut dyn FnMut(JobProgress),
) -> Result<Outcome> {
    let (from, to) = (Location::parse(db.path()), Location::parse(destination));
    if from == to {
        return Err(Error::Unsupported {
            what: "copying a collection onto itself".to_owned(),
            place: "the database it is in".to_owned(),
        });
    }
    db.flush()?;
    let source = open_backend(&from, Role::Source)?;
    let mut target = open_backend(&to, Role::Destination)?;
    let report = copy_collection(
        source.as_ref(),
        target.as_mut(),
        collection,
        &mut |done, total| {
            progress(JobProgress {
                done,
                total: Some(total),
                unit: "records",
            })
        },
    )?;
    let mut message = format!(
        "Copied {} records of {collection} to {}",
        format_count(report.records as usize),
        redact(&destination.display().to_string())
    );
    if !report.indexes.is_empty() {
        message.push_str(&format!(" (indexes: {})", report.indexes.join(", ")));
    }
    let mut outcome = Outcome::new(message);
    outcome.problems = report
        .not_copied
        .iter()
        .map(|note| format!("Index {note}"))
        .collect();
    Ok(outcome)
}

fn need<'a>(
    db: Option<&'a mut (dyn Database + 'static)>,
) -> Result<&'a mut (dyn Database + 'static)> {
    db.ok_or_else(|| Error::Transaction("no folder is open; open one from the start screen".into()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::Compression;
    use crate::studio::worker::database::OpenMode;
    use crate::studio::worker::memory::MemoryOpener;

    fn memory_db(legacy: bool) -> Box<dyn Database> {
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
        let event = run(
            Some(db.as_mut()),
            &MemoryOpener::with_records("people", 0),
            &set_lz4(),
            &mut |_| {},
        )
        .expect("rewrite");
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
        let error = run(
            Some(db.as_mut()),
            &MemoryOpener::with_records("people", 0),
            &set_lz4(),
            &mut |_| {},
        )
        .expect_err("refused");
        assert!(error.to_string().contains("never compressed"), "{error}");
    }
}
