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
