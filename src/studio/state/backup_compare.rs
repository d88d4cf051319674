//! The state's side of Compare with backup…: records chosen among the
//! differences are staged as pending changes that bring back the backup's
//! version, to review in the pending list and write like any edit.

use super::model::State;
use crate::engine::{DiffStatus, RecordDiff};
use crate::studio::format::format_count;

impl State {
    /// Stages each chosen difference: a record only in the backup is
    /// inserted, a changed one goes back to the backup's version, a record
    /// only in the folder is deleted. Each keeps the folder's version as
    /// read, so a write that finds it changed since says so. Opens the
    /// pending list; returns how many were staged (none in a read-only
    /// folder).
    pub fn stage_from_backup(&mut self, chosen: &[&RecordDiff]) -> usize {
        if self.read_only_reason().is_some() {
            return 0;
        }
        let mut staged = 0;
        for diff in chosen {
            let after = match diff.status {
                DiffStatus::OnlyInBackup | DiffStatus::Changed => diff.backup.clone(),
                DiffStatus::OnlyInFolder => None,
            };
            self.edit
                .pending
                .stage(&diff.collection, &diff.id, diff.folder.clone(), after);
            staged += 1;
        }
        if staged > 0 {
            self.edit.show_pending = true;
            self.status.notice = Some(format!(
                "Staged {} {} from the backup: review and write them (Ctrl+S)",
                format_count(staged),
                if staged == 1 { "change" } else { "changes" }
            ));
        }
        staged
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::diff::diff_documents;
    use crate::engine::test_doc as doc;
    use crate::studio::edit::pending::ChangeKind;

    fn diff(id: &str, status: DiffStatus) -> RecordDiff {
        let folder = doc(json!({"_id": id, "n": 1}));
        let backup = doc(json!({"_id": id, "n": "1"}));
        let (folder, backup) = match status {
            DiffStatus::OnlyInFolder => (Some(folder), None),
            DiffStatus::OnlyInBackup => (None, Some(backup)),
            DiffStatus::Changed => (Some(folder), Some(backup)),
        };
        RecordDiff {
            collection: "people".into(),
            id: id.into(),
            status,
            changes: diff_documents(folder.as_ref(), backup.as_ref()),
            folder,
            backup,
        }
    }

    #[test]
    fn each_kind_of_difference_stages_the_change_that_restores_it() {
        let mut state = State::default();
        let diffs = [
            diff("a", DiffStatus::OnlyInBackup),
            diff("b", DiffStatus::Changed),
            diff("c", DiffStatus::OnlyInFolder),
        ];
        let chosen: Vec<&RecordDiff> = diffs.iter().collect();
        assert_eq!(state.stage_from_backup(&chosen), 3);
        let kinds: Vec<_> = state.edit.pending.iter().map(|c| c.kind()).collect();
        assert_eq!(
            kinds,
            [ChangeKind::Insert, ChangeKind::Update, ChangeKind::Delete]
        );
        let changed = state.edit.pending.get("people", "b");
        assert_eq!(
            changed.and_then(|c| c.after.clone()),
            Some(doc(json!({"_id": "b", "n": "1"})))
        );
        assert_eq!(
            changed.and_then(|c| c.before.clone()),
            Some(doc(json!({"_id": "b", "n": 1}))),
            "the folder's version is what the write checks against"
        );
        assert!(state.edit.show_pending);
    }
}
