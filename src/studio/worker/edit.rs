//! The worker's editing requests: write the pending changes in one
//! transaction (refusing records changed underneath), or one by one with
//! how each went where the database has no transactions (a standalone
//! MongoDB server); preview and run bulk updates and deletes, and run
//! aggregation pipelines.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::database::Database;
use crate::Document;
use crate::engine::aggregate::PipelineExplain;
use crate::engine::diff::{FieldChange, diff_documents};
use crate::engine::query::Update;
use crate::studio::edit::pending::{ChangeKind, PendingChange};
use crate::studio::query::ParsedQuery;

/// How many records a bulk preview shows.
pub const PREVIEW_RECORDS: usize = 10;

/// An editing request; one variant group of the worker's requests.
#[derive(Clone, Debug, PartialEq)]
pub enum EditRequest {
    /// Writes every change in one transaction (one by one, each reported,
    /// where the database has none). Unless `overwrite`, a record that is
    /// no longer as it was read stops the write and is reported.
    Write {
        changes: Vec<PendingChange>,
        overwrite: bool,
    },
    /// Counts the matches and shows the first records before and after.
    BulkPreview(BulkJob),
    BulkApply(BulkJob),
    Aggregate {
        collection: String,
        pipeline: Value,
    },
}

/// An update (or, with `update: None`, a delete) of every record a filter matches.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkJob {
    pub collection: String,
    pub filter: Value,
    pub update: Option<Value>,
}

/// The slot of an editing request: a newer one supersedes an older one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EditSlot {
    Write,
    BulkPreview,
    Bulk,
    Aggregate,
}

impl EditRequest {
    pub fn slot(&self) -> EditSlot {
        match self {
            EditRequest::Write { .. } => EditSlot::Write,
            EditRequest::BulkPreview(_) => EditSlot::BulkPreview,
            EditRequest::BulkApply(_) => EditSlot::Bulk,
            EditRequest::Aggregate { .. } => EditSlot::Aggregate,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            EditRequest::Write { changes, .. } => format!("writing {} changes", changes.len()),
            EditRequest::BulkPreview(job) => {
                format!("previewing the bulk change of {}", job.collection)
            }
            EditRequest::BulkApply(job) if job.update.is_some() => {
                format!("updating the matching records of {}", job.collection)
            }
            EditRequest::BulkApply(job) => {
                format!("deleting the matching records of {}", job.collection)
            }
            EditRequest::Aggregate { collection, .. } => {
                format!("running the pipeline on {collection}")
            }
        }
    }
}

/// A record that changed on disk after it was read: its three versions.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub collection: String,
    pub id: String,
    /// The record as it was read, the version the change started from
    /// (`None`: a new record).
    pub read: Option<Document>,
    /// The record as the pending change would write it (`None`: deleted).
    pub yours: Option<Document>,
    /// The record as it is now (`None`: it was deleted).
    pub now: Option<Document>,
    /// The field changes from `read` to `yours` and from `read` to `now`,
    /// made here so the dialog does not diff big records every frame.
    pub changes: [Vec<FieldChange>; 2],
}

impl Conflict {
    pub fn new(
        collection: String,
        id: String,
        read: Option<Document>,
        yours: Option<Document>,
        now: Option<Document>,
    ) -> Conflict {
        let changes = [
            diff_documents(read.as_ref(), yours.as_ref()),
            diff_documents(read.as_ref(), now.as_ref()),
        ];
        Conflict {
            collection,
            id,
            read,
            yours,
            now,
            changes,
        }
    }
}

/// How one staged change went when the changes were written one by one.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeOutcome {
    pub collection: String,
    pub id: String,
    pub kind: ChangeKind,
    pub outcome: Outcome,
}

/// What became of one change written on its own.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Written,
    /// Refused or failed: why.
    Failed(String),
    /// Not tried: the server could not be reached for a change before it.
    NotTried,
}

/// A bulk change as it would be: the matches and the first few before/after.
#[derive(Clone, Debug, PartialEq)]
pub struct BulkPreview {
    pub job: BulkJob,
    pub matched: usize,
    /// The first matches, and each as it would become (`None`: deleted).
    pub samples: Vec<(Document, Option<Document>)>,
    /// Each sample's field changes (made here, not every frame).
    pub changes: Vec<Vec<FieldChange>>,
}

/// What an editing request produced.
#[derive(Clone, Debug, PartialEq)]
pub enum EditEvent {
    /// Every change written, in one transaction.
    Written {
        records: usize,
    },
    /// The changes written one by one (no transactions there): how each
    /// went, in order; those that failed stay staged.
    WrittenOneByOne(Vec<ChangeOutcome>),
    /// Nothing was written: these records changed underneath.
    Conflicts(Vec<Conflict>),
    Preview(BulkPreview),
    BulkDone {
        collection: String,
        records: usize,
        deleted: bool,
    },
    Aggregated {
        docs: Vec<Document>,
        elapsed: Duration,
        /// Each stage's records in and out, when the engine says.
        explain: Option<Box<PipelineExplain>>,
    },
}

/// Runs one editing request against the open folder.
pub fn run(db: &mut dyn Database, request: &EditRequest) -> crate::Result<EditEvent> {
    match request {
        EditRequest::Write { changes, overwrite } => write(db, changes, *overwrite),
        EditRequest::BulkPreview(job) => preview(db, job).map(EditEvent::Preview),
        EditRequest::BulkApply(job) => {
            let records = match &job.update {
                Some(update) => db.update_matching(&job.collection, &job.filter, update)?,
                None => db.delete_matching(&job.collection, &job.filter)?,
            };
            db.flush()?;
            Ok(EditEvent::BulkDone {
                collection: job.collection.clone(),
                records,
                deleted: job.update.is_none(),
            })
        }
        EditRequest::Aggregate {
            collection,
            pipeline,
        } => {
            let started = Instant::now();
            let (docs, explain) = db.run_pipeline_explained(collection, pipeline)?;
            Ok(EditEvent::Aggregated {
                docs,
                elapsed: started.elapsed(),
                explain: explain.map(Box::new),
            })
        }
    }
}

/// The records that are no longer as they were read.
fn conflicts(db: &dyn Database, changes: &[PendingChange]) -> crate::Result<Vec<Conflict>> {
    let mut found = Vec::new();
    for change in changes {
        let now = db.get_record(&change.collection, &change.id)?;
        if now != change.before {
            found.push(Conflict::new(
                change.collection.clone(),
                change.id.clone(),
                change.before.clone(),
                change.after.clone(),
                now,
            ));
        }
    }
    Ok(found)
}

fn apply(db: &mut dyn Database, changes: &[PendingChange]) -> crate::Result<()> {
    for change in changes {
        apply_one(db, change)?;
    }
    Ok(())
}

/// Writes one change as it stands now: a record that is gone is inserted
/// again, a delete of one that is gone does nothing.
fn apply_one(db: &mut dyn Database, change: &PendingChange) -> crate::Result<()> {
    let (collection, id) = (&change.collection, &change.id);
    let exists = db.get_record(collection, id)?.is_some();
    match (&change.after, exists) {
        (Some(after), true) => {
            db.replace_record(collection, id, after)?;
        }
        (Some(after), false) => db.insert_record(collection, after.clone())?,
        (None, true) => {
            db.delete_record(collection, id)?;
        }
        // Deleted underneath and overwritten with a delete: nothing to do.
        (None, false) => {}
    }
    Ok(())
}

/// Where there are no transactions: checks every record first (a change
/// to a record changed underneath writes nothing, as with a transaction,
/// though another program may still write between the check and the
/// writes), then writes each change on its own and says how each went. A
/// change that fails does not stop the others, but a server that cannot
/// be reached does: the changes after it are not tried.
fn write_one_by_one(
    db: &mut dyn Database,
    changes: &[PendingChange],
    overwrite: bool,
) -> crate::Result<EditEvent> {
    if !overwrite {
        let found = conflicts(db, changes)?;
        if !found.is_empty() {
            return Ok(EditEvent::Conflicts(found));
        }
    }
    let mut outcomes = Vec::with_capacity(changes.len());
    let mut unreachable = false;
    for change in changes {
        let outcome = if unreachable {
            Outcome::NotTried
        } else {
            match apply_one(db, change) {
                Ok(()) => Outcome::Written,
                Err(error) => {
                    unreachable = error.is_unreachable();
                    Outcome::Failed(error.to_string())
                }
            }
        };
        outcomes.push(ChangeOutcome {
            collection: change.collection.clone(),
            id: change.id.clone(),
            kind: change.kind(),
            outcome,
        });
    }
    // A folder's buffered writes (none on a server) reach the disk.
    if outcomes.iter().any(|o| o.outcome == Outcome::Written) {
        db.flush()?;
    }
    Ok(EditEvent::WrittenOneByOne(outcomes))
}

/// Checks and writes inside one transaction: the conflict check sees the
/// same state the writes go to, and a failure writes nothing.
fn write(
    db: &mut dyn Database,
    changes: &[PendingChange],
    overwrite: bool,
) -> crate::Result<EditEvent> {
    if !db.writes_in_transactions()? {
        return write_one_by_one(db, changes, overwrite);
    }
    db.begin()?;
    let outcome = (|| -> crate::Result<Option<Vec<Conflict>>> {
        if !overwrite {
            let found = conflicts(db, changes)?;
            if !found.is_empty() {
                return Ok(Some(found));
            }
        }
        apply(db, changes)?;
        Ok(None)
    })();
    match outcome {
        Ok(None) => {
            db.commit_changes()?;
            Ok(EditEvent::Written {
                records: changes.len(),
            })
        }
        Ok(Some(found)) => {
            db.rollback_changes()?;
            Ok(EditEvent::Conflicts(found))
        }
        Err(error) => match db.rollback_changes() {
            Ok(()) => Err(error),
            Err(rollback) => Err(crate::Error::Transaction(format!(
                "{error}; the rollback failed too: {rollback}"
            ))),
        },
    }
}

fn preview(db: &dyn Database, job: &BulkJob) -> crate::Result<BulkPreview> {
    let update = job.update.as_ref().map(Update::parse).transpose()?;
    let matched = db.count(&job.collection, &job.filter)?;
    let query = ParsedQuery::matching(job.filter.clone());
    let (docs, _) = db.find_page(&job.collection, &query, 0, PREVIEW_RECORDS)?;
    let mut samples = Vec::with_capacity(docs.len());
    for doc in docs {
        let after = match &update {
            Some(update) => {
                let mut changed = doc.clone();
                update.apply(&mut changed)?;
                Some(changed)
            }
            None => None,
        };
        samples.push((doc, after));
    }
    let changes = samples
        .iter()
        .map(|(before, after)| match after {
            Some(after) => diff_documents(Some(before), Some(after)),
            None => Vec::new(),
        })
        .collect();
    Ok(BulkPreview {
        job: job.clone(),
        matched,
        samples,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::studio::worker::database::{OpenMode, Opener};
    use crate::studio::worker::memory::MemoryOpener;

    fn record(value: Value) -> Option<Document> {
        value.as_object().cloned()
    }

    /// An update of `id0`, an insert the engine refuses, a delete of `id1`.
    fn changes() -> Vec<PendingChange> {
        let change = |collection: &str, id: &str, before: Value, after: Value| PendingChange {
            collection: collection.to_owned(),
            id: id.to_owned(),
            before: record(before),
            after: record(after),
        };
        vec![
            change(
                "people",
                "id0",
                json!({"_id": "id0", "n": 0}),
                json!({"_id": "id0", "n": 10}),
            ),
            change(
                "people",
                "new",
                Value::Null,
                json!({"_id": "new", "refuse": true}),
            ),
            change("people", "id1", json!({"_id": "id1", "n": 1}), Value::Null),
        ]
    }

    fn opened(one_by_one: bool) -> Box<dyn Database> {
        let mut opener = MemoryOpener::with_records("people", 3);
        opener.one_by_one = one_by_one;
        opener
            .open(Path::new("/db"), OpenMode::ReadWrite)
            .expect("the memory engine")
    }

    fn stored(db: &dyn Database) -> Vec<Option<Document>> {
        ["id0", "id1", "id2"]
            .iter()
            .map(|id| db.get_record("people", id).ok().flatten())
            .collect()
    }

    #[test]
    fn a_write_in_one_transaction_that_fails_writes_nothing() {
        let mut db = opened(false);
        let before = stored(db.as_ref());
        assert!(before.iter().all(Option::is_some));
        let request = EditRequest::Write {
            changes: changes(),
            overwrite: false,
        };
        let outcome = run(db.as_mut(), &request).map_err(|e| e.to_string());
        let error = outcome.err().unwrap_or_default();
        assert!(error.contains("refused by the test engine"), "{error}");
        assert_eq!(stored(db.as_ref()), before);
    }

    #[test]
    fn without_transactions_each_change_is_written_on_its_own_and_reported() {
        let mut db = opened(true);
        let request = EditRequest::Write {
            changes: changes(),
            overwrite: false,
        };
        let outcomes = match run(db.as_mut(), &request) {
            Ok(EditEvent::WrittenOneByOne(outcomes)) => outcomes,
            other => panic!("expected outcomes, got {other:?}"),
        };
        let summary: Vec<(&str, ChangeKind, bool)> = outcomes
            .iter()
            .map(|o| (o.id.as_str(), o.kind, o.outcome == Outcome::Written))
            .collect();
        assert_eq!(
            summary,
            [
                ("id0", ChangeKind::Update, true),
                ("new", ChangeKind::Insert, false),
                ("id1", ChangeKind::Delete, true),
            ]
        );
        match &outcomes[1].outcome {
            Outcome::Failed(why) => assert!(why.contains("refused by the test engine"), "{why}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        assert_eq!(
            stored(db.as_ref()),
            [
                record(json!({"_id": "id0", "n": 10})),
                None,
                record(json!({"_id": "id2", "n": 2}))
            ]
        );
    }
}
