//! Pending changes: edits staged in the UI, not yet written to the engine.
//!
//! Each record has at most one entry, holding the record as it was read
//! (`before`) and as it is to be written (`after`), so the list shows one
//! before/after per record however often it was edited, and a change that
//! comes back to what was read disappears. Every action is undoable.

use std::collections::BTreeSet;

use crate::Document;

/// What writing a change does to the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update,
    Delete,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Insert => "new",
            ChangeKind::Update => "changed",
            ChangeKind::Delete => "deleted",
        }
    }
}

/// One staged change to one record.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingChange {
    pub collection: String,
    pub id: String,
    /// The record as read from the engine; `None` for a new record.
    pub before: Option<Document>,
    /// The record to write; `None` deletes it.
    pub after: Option<Document>,
}

impl PendingChange {
    pub fn kind(&self) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, _) => ChangeKind::Insert,
            (Some(_), Some(_)) => ChangeKind::Update,
            (Some(_), None) => ChangeKind::Delete,
        }
    }

    fn is(&self, collection: &str, id: &str) -> bool {
        self.collection == collection && self.id == id
    }
}

/// How to put one entry back as it was before an action.
#[derive(Clone, Debug, PartialEq)]
struct UndoStep {
    collection: String,
    id: String,
    /// The entry before the action (`None`: there was none).
    previous: Option<PendingChange>,
    /// Where it was in the list, so undo restores the order too.
    position: usize,
}

/// The staged changes, in the order they were first made, with the undo history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PendingChanges {
    changes: Vec<PendingChange>,
    undo: Vec<UndoStep>,
    /// Counts every change to the list, so views can keep what they made
    /// of it (a diff, an editor's text) until it changes.
    revision: u64,
}

impl PendingChanges {
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Changes with every stage, revert, undo, clear and forget.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &PendingChange> {
        self.changes.iter()
    }

    pub fn get(&self, collection: &str, id: &str) -> Option<&PendingChange> {
        self.changes.iter().find(|c| c.is(collection, id))
    }

    /// The changes to one collection, in staging order.
    pub fn in_collection<'a>(
        &'a self,
        collection: &'a str,
    ) -> impl Iterator<Item = &'a PendingChange> + 'a {
        self.changes
            .iter()
            .filter(move |c| c.collection == collection)
    }

    /// The collections that have staged changes.
    pub fn collections(&self) -> BTreeSet<&str> {
        self.changes.iter().map(|c| c.collection.as_str()).collect()
    }

    /// Whether anything outside `collection` is staged.
    pub fn has_changes_outside(&self, collection: &str) -> bool {
        self.changes.iter().any(|c| c.collection != collection)
    }

    /// Stages `after` (`None`: delete) for a record read as `before`
    /// (`None`: a new record). A record already staged keeps its first
    /// `before`; a change back to what was read removes the entry.
    pub fn stage(
        &mut self,
        collection: &str,
        id: &str,
        before: Option<Document>,
        after: Option<Document>,
    ) {
        let position = self.changes.iter().position(|c| c.is(collection, id));
        let previous = position.map(|at| self.changes.remove(at));
        self.revision += 1;
        let before = match &previous {
            Some(change) => change.before.clone(),
            None => before,
        };
        let changed = before != after;
        self.undo.push(UndoStep {
            collection: collection.to_owned(),
            id: id.to_owned(),
            previous,
            position: position.unwrap_or(self.changes.len()),
        });
        if changed {
            let change = PendingChange {
                collection: collection.to_owned(),
                id: id.to_owned(),
                before,
                after,
            };
            let at = position.unwrap_or(self.changes.len());
            self.changes.insert(at, change);
        }
    }

    /// Drops one record's change (undoable). False if it had none.
    pub fn revert(&mut self, collection: &str, id: &str) -> bool {
        let Some(position) = self.changes.iter().position(|c| c.is(collection, id)) else {
            return false;
        };
        let previous = self.changes.remove(position);
        self.revision += 1;
        self.undo.push(UndoStep {
            collection: collection.to_owned(),
            id: id.to_owned(),
            previous: Some(previous),
            position,
        });
        true
    }

    /// Undoes the last action; returns the record it touched.
    pub fn undo(&mut self) -> Option<(String, String)> {
        let step = self.undo.pop()?;
        self.revision += 1;
        self.changes.retain(|c| !c.is(&step.collection, &step.id));
        if let Some(previous) = step.previous {
            let at = step.position.min(self.changes.len());
            self.changes.insert(at, previous);
        }
        Some((step.collection, step.id))
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Drops everything (after a write, or Revert all); nothing to undo after.
    pub fn clear(&mut self) {
        self.revision += 1;
        self.changes.clear();
        self.undo.clear();
    }

    /// Drops the changes to these records (they were reloaded from disk);
    /// the undo history goes too, since it may point at them.
    pub fn forget(&mut self, records: &[(String, String)]) {
        self.revision += 1;
        self.changes
            .retain(|c| !records.iter().any(|(coll, id)| c.is(coll, id)));
        self.undo.clear();
    }

    /// The changes, for writing.
    pub fn to_vec(&self) -> Vec<PendingChange> {
        self.changes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    fn ids(pending: &PendingChanges) -> Vec<&str> {
        pending.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn a_second_edit_of_a_record_keeps_the_record_as_first_read() {
        let mut pending = PendingChanges::default();
        let read = doc(json!({"_id": "a", "n": 1}));
        pending.stage(
            "c",
            "a",
            Some(read.clone()),
            Some(doc(json!({"_id": "a", "n": 2}))),
        );
        pending.stage(
            "c",
            "a",
            Some(doc(json!({"_id": "a", "n": 2}))),
            Some(doc(json!({"_id": "a", "n": 3}))),
        );
        assert_eq!(pending.len(), 1);
        let change = pending.get("c", "a");
        assert_eq!(change.and_then(|c| c.before.clone()), Some(read));
        assert_eq!(
            change.and_then(|c| c.after.clone()),
            Some(doc(json!({"_id": "a", "n": 3})))
        );
    }

    #[test]
    fn an_edit_back_to_what_was_read_leaves_nothing_pending() {
        let mut pending = PendingChanges::default();
        let read = doc(json!({"_id": "a", "n": 1}));
        pending.stage(
            "c",
            "a",
            Some(read.clone()),
            Some(doc(json!({"_id": "a", "n": 2}))),
        );
        pending.stage("c", "a", None, Some(read));
        assert!(pending.is_empty());
    }

    #[test]
    fn deleting_a_new_record_leaves_nothing_pending() {
        let mut pending = PendingChanges::default();
        pending.stage("c", "n1", None, Some(doc(json!({"_id": "n1"}))));
        pending.stage("c", "n1", None, None);
        assert!(pending.is_empty());
    }

    #[test]
    fn kinds_follow_before_and_after() {
        let mut pending = PendingChanges::default();
        let read = doc(json!({"_id": "a"}));
        pending.stage("c", "new", None, Some(doc(json!({"_id": "new"}))));
        pending.stage(
            "c",
            "a",
            Some(read.clone()),
            Some(doc(json!({"_id": "a", "x": 1}))),
        );
        pending.stage("c", "b", Some(doc(json!({"_id": "b"}))), None);
        let kinds: Vec<_> = pending.iter().map(PendingChange::kind).collect();
        assert_eq!(
            kinds,
            vec![ChangeKind::Insert, ChangeKind::Update, ChangeKind::Delete]
        );
    }

    #[test]
    fn undo_steps_back_one_action_at_a_time_in_place() {
        let mut pending = PendingChanges::default();
        let a = doc(json!({"_id": "a", "n": 1}));
        let b = doc(json!({"_id": "b", "n": 1}));
        pending.stage(
            "c",
            "a",
            Some(a.clone()),
            Some(doc(json!({"_id": "a", "n": 2}))),
        );
        pending.stage("c", "b", Some(b), None);
        pending.stage("c", "a", Some(a), Some(doc(json!({"_id": "a", "n": 3}))));
        assert_eq!(pending.undo(), Some(("c".into(), "a".into())));
        assert_eq!(ids(&pending), vec!["a", "b"], "a keeps its place");
        assert_eq!(
            pending.get("c", "a").and_then(|c| c.after.clone()),
            Some(doc(json!({"_id": "a", "n": 2})))
        );
        pending.undo();
        assert_eq!(ids(&pending), vec!["a"]);
        pending.undo();
        assert!(pending.is_empty());
        assert_eq!(pending.undo(), None);
    }

    #[test]
    fn a_reverted_change_comes_back_with_undo() {
        let mut pending = PendingChanges::default();
        pending.stage("c", "a", Some(doc(json!({"_id": "a"}))), None);
        pending.stage("c", "b", Some(doc(json!({"_id": "b"}))), None);
        assert!(pending.revert("c", "a"));
        assert!(!pending.revert("c", "a"));
        assert_eq!(ids(&pending), vec!["b"]);
        pending.undo();
        assert_eq!(ids(&pending), vec!["a", "b"]);
    }

    #[test]
    fn forgetting_reloaded_records_keeps_the_others() {
        let mut pending = PendingChanges::default();
        pending.stage("c", "a", Some(doc(json!({"_id": "a"}))), None);
        pending.stage("c", "b", Some(doc(json!({"_id": "b"}))), None);
        pending.forget(&[("c".into(), "a".into())]);
        assert_eq!(ids(&pending), vec!["b"]);
        assert!(!pending.can_undo());
    }

    #[test]
    fn changes_are_grouped_by_collection() {
        let mut pending = PendingChanges::default();
        pending.stage("c", "a", Some(doc(json!({"_id": "a"}))), None);
        pending.stage("d", "a", Some(doc(json!({"_id": "a"}))), None);
        assert_eq!(pending.in_collection("c").count(), 1);
        assert!(pending.has_changes_outside("c"));
        assert_eq!(pending.collections().len(), 2);
    }
}
