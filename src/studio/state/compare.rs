//! File > Compare with backup…, as plain data: the backup file, the
//! collection to compare (all by default), the job, its result and the
//! differences the user ticked to take back from the backup.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::job_state::JobState;
use crate::engine::RecordDiff;
use crate::engine::names::validate_collection_name;
use crate::interchange::CancelToken;
use crate::studio::worker::jobs::{CancelHandle, Comparison, ManageRequest, Outcome};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareDialog {
    pub path: String,
    /// Empty: every collection the backup holds (or, for a collection
    /// backup, the one it was made from).
    pub collection: String,
    pub job: JobState,
    pub result: Option<Box<Comparison>>,
    /// Positions in the result's differences, ticked to restore.
    pub selected: BTreeSet<usize>,
}

impl CompareDialog {
    /// The comparison to run, or why it cannot start.
    pub fn start(&mut self) -> Result<(ManageRequest, CancelToken), String> {
        let path = self.path.trim();
        if path.is_empty() {
            return Err("type the path of the backup file".to_owned());
        }
        let collection = match self.collection.trim() {
            "" => None,
            name => {
                validate_collection_name(name).map_err(|e| e.to_string())?;
                Some(name.to_owned())
            }
        };
        let cancel = CancelToken::new();
        self.result = None;
        self.selected.clear();
        let request = ManageRequest::Compare {
            path: PathBuf::from(path),
            collection,
            cancel: CancelHandle(cancel.clone()),
        };
        Ok((request, cancel))
    }

    /// The worker's answer: the job is done, its differences listed.
    pub fn finish(&mut self, comparison: Box<Comparison>) -> Outcome {
        let outcome = Outcome {
            message: comparison.message.clone(),
            problems: Vec::new(),
            collections: None,
            changed: None,
            select: None,
        };
        self.job = JobState::Done(Box::new(outcome.clone()));
        self.selected.clear();
        self.result = Some(comparison);
        outcome
    }

    pub fn diffs(&self) -> &[RecordDiff] {
        self.result.as_ref().map_or(&[], |r| r.diffs.as_slice())
    }

    pub fn toggle(&mut self, at: usize) {
        if !self.selected.remove(&at) && at < self.diffs().len() {
            self.selected.insert(at);
        }
    }

    pub fn select_all(&mut self) {
        self.selected = (0..self.diffs().len()).collect();
    }

    pub fn select_none(&mut self) {
        self.selected.clear();
    }

    /// The ticked differences, in list order.
    pub fn chosen(&self) -> Vec<&RecordDiff> {
        let diffs = self.diffs();
        self.selected
            .iter()
            .filter_map(|&at| diffs.get(at))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::{BackupComparison, BackupKind, DiffStatus};
    use crate::studio::state::dialogs::Dialogs;
    use crate::studio::worker::jobs::ManageEvent;

    fn comparison(ids: &[&str]) -> Box<Comparison> {
        let diffs = ids
            .iter()
            .map(|id| RecordDiff {
                collection: "people".into(),
                id: (*id).into(),
                status: DiffStatus::OnlyInFolder,
                changes: Vec::new(),
                folder: None,
                backup: None,
            })
            .collect();
        Box::new(Comparison {
            path: Path::new("/tmp/b.fdb").to_path_buf(),
            report: BackupComparison {
                kind: BackupKind::Database,
                collections: Vec::new(),
            },
            diffs,
            unlisted: 0,
            message: "2 records differ".into(),
        })
    }

    #[test]
    fn a_comparison_needs_a_path_and_a_valid_collection_name() {
        let mut dialog = CompareDialog::default();
        assert!(dialog.start().is_err_and(|e| e.contains("path")));
        dialog.path = " /tmp/b.fdb ".into();
        dialog.collection = "../x".into();
        assert!(
            dialog
                .start()
                .is_err_and(|e| e.contains("invalid collection name"))
        );
        dialog.collection = String::new();
        match dialog.start() {
            Ok((
                ManageRequest::Compare {
                    path, collection, ..
                },
                _,
            )) => {
                assert_eq!(path, Path::new("/tmp/b.fdb"));
                assert_eq!(collection, None, "empty: every collection");
            }
            other => panic!("expected a comparison, got {other:?}"),
        }
    }

    #[test]
    fn the_answer_lists_the_differences_and_ticks_follow_the_user() {
        let mut dialogs = Dialogs {
            compare: Some(CompareDialog::default()),
            ..Dialogs::default()
        };
        if let Some(dialog) = dialogs.compare.as_mut() {
            dialog.job = JobState::running(4, None);
        }
        let stale = dialogs.apply(3, ManageEvent::Compared(comparison(&["x"])));
        assert!(stale.is_none(), "an answer to another request is dropped");
        let outcome = dialogs.apply(4, ManageEvent::Compared(comparison(&["a", "b"])));
        assert_eq!(outcome.map(|o| o.message), Some("2 records differ".into()));
        let dialog = dialogs.compare.as_mut().expect("still open");
        assert!(matches!(dialog.job, JobState::Done(_)));
        dialog.toggle(1);
        dialog.toggle(7);
        let chosen: Vec<&str> = dialog.chosen().iter().map(|d| d.id.as_str()).collect();
        assert_eq!(chosen, ["b"], "a position past the list is ignored");
        dialog.select_all();
        assert_eq!(dialog.chosen().len(), 2);
        dialog.toggle(0);
        assert_eq!(dialog.chosen().len(), 1);
        dialog.select_none();
        assert!(dialog.chosen().is_empty());
    }
}
