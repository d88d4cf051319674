//! The state's side of editing: whether the view on screen may be edited,
//! the editing panels' actions (each hands the shown view to
//! [`EditState`](super::editing::EditState) and sends the request it
//! returns), what is read again after a write, the actions held back for
//! pending changes, and the editing answers of the worker.

use std::borrow::Cow;

use super::edit_forms::{GuardChoice, Guarded, RowMark};
use super::editing::EditState;
use super::model::State;
use super::view::Total;
use crate::Document;
use crate::studio::worker::edit::{EditEvent, EditRequest, EditSlot};
use crate::studio::worker::{RequestId, RequestKind, Slot};

impl State {
    /// Why the current view cannot be edited, or None when it can.
    pub fn edit_blocked(&self) -> Option<&'static str> {
        self.folder.as_ref()?;
        if let Some(why) = self.read_only_reason() {
            return Some(why);
        }
        let view = self.current.as_ref()?;
        if view
            .applied
            .as_ref()
            .is_some_and(|q| q.projection.is_some())
        {
            return Some("A projection shows records in part: clear it to edit them");
        }
        if self.edit.writing {
            return Some("The pending changes are being written");
        }
        None
    }

    pub fn can_edit(&self) -> bool {
        self.current.is_some() && self.edit_blocked().is_none()
    }

    /// Whether the current collection keeps text only (Python 0.1).
    pub fn current_is_legacy(&self) -> bool {
        let Some(view) = &self.current else {
            return false;
        };
        self.collections
            .iter()
            .find(|entry| entry.name == view.name)
            .and_then(|entry| entry.summary.as_ref())
            .map_or_else(
                || self.folder.as_ref().is_some_and(|f| f.legacy),
                |summary| summary.legacy,
            )
    }

    /// Rows the grid draws: the page, then the new records.
    pub fn grid_rows(&self) -> usize {
        self.current
            .as_ref()
            .map_or(0, |view| self.edit.grid_rows(view))
    }

    /// A grid row as it will be written, and how it differs from disk.
    pub fn row_record(&self, row: usize) -> Option<(Cow<'_, Document>, RowMark)> {
        self.edit.row_record(self.current.as_ref()?, row)
    }

    // ----- the cell editor -----

    /// Starts editing one cell, with the value's own type.
    pub fn start_cell_edit(&mut self, row: usize, field: &str) {
        if !self.can_edit() {
            return;
        }
        let legacy = self.current_is_legacy();
        if let Some(view) = &self.current {
            self.edit.start_cell_edit(view, row, field, legacy);
        }
    }

    /// F2: edits the cell last clicked, or the first field of the selected row.
    pub fn start_cell_edit_at_focus(&mut self) {
        if let Some((row, field)) = self.edit.focus_target(self.current.as_ref()) {
            self.start_cell_edit(row, &field);
        }
    }

    /// Enter: stages the cell's value, or keeps the editor open with why not.
    pub fn commit_cell_edit(&mut self) -> bool {
        self.edit.commit_cell_edit(self.current.as_ref())
    }

    // ----- the record editor -----

    /// The row the record editor follows: the first selected one.
    pub fn editor_row(&self) -> Option<usize> {
        self.current.as_ref()?.selection.rows.iter().next().copied()
    }

    /// Loads the selected record into the editor, unless the editor holds
    /// unsaved edits (those are never thrown away by a click).
    pub fn sync_record_editor(&mut self) {
        self.edit.sync_record_editor(self.current.as_ref());
    }

    /// Drops the editor's unsaved edits.
    pub fn discard_record_text(&mut self) {
        self.edit.discard_record_text(self.current.as_ref());
    }

    /// Save: stages the editor's record. Bad JSON is refused with its place.
    pub fn save_record_text(&mut self) -> bool {
        if !self.can_edit() {
            return false;
        }
        match &self.current {
            Some(view) => self.edit.save_record_text(view),
            None => false,
        }
    }

    // ----- new, duplicate, delete -----

    /// Stages a new record with a fresh `_id` and selects it.
    pub fn new_record(&mut self) {
        if !self.can_edit() {
            return;
        }
        if let Some(view) = self.current.as_mut() {
            self.edit.new_record(view);
        }
    }

    /// Stages a copy of each selected record, each with a new `_id`.
    pub fn duplicate_selected(&mut self) {
        if !self.can_edit() {
            return;
        }
        if let Some(view) = self.current.as_mut() {
            self.edit.duplicate_selected(view);
        }
    }

    /// Stages the deletion of each selected record (a new one just goes).
    pub fn delete_selected(&mut self) {
        if !self.can_edit() {
            return;
        }
        if let Some(view) = self.current.as_mut() {
            self.edit.delete_selected(view);
        }
    }

    // ----- revert, write -----

    /// Revert: drops every pending change.
    pub fn revert_all(&mut self) {
        self.edit.revert_all(self.current.as_ref());
    }

    /// Write changes (Ctrl+S): all of them in one engine transaction.
    pub fn write_changes(&mut self) {
        self.write(false);
    }

    fn write(&mut self, overwrite: bool) {
        let read_only = self.folder.as_ref().is_none_or(|f| f.read_only);
        if let Some(request) = self.edit.write(overwrite, read_only) {
            self.send(RequestKind::Edit(request));
        }
    }

    /// After a conflict: write anyway, over what is on disk now.
    pub fn overwrite_conflicts(&mut self) {
        self.write(true);
    }

    /// After a conflict: drop the changes to the records that changed on
    /// disk and show them as they are now.
    pub fn reload_conflicts(&mut self) {
        self.edit.reload_conflicts();
        self.refresh_after_write();
    }

    /// Re-reads the page, the count and the sidebar's details after a write.
    fn refresh_after_write(&mut self) {
        let names: Vec<String> = self.collections.iter().map(|e| e.name.clone()).collect();
        for name in names {
            self.send(RequestKind::Info { collection: name });
        }
        let Some(view) = self.current.as_mut() else {
            return;
        };
        view.total = Total::Counting;
        let name = view.name.clone();
        let filter = view.applied.as_ref().map(|q| q.filter.clone());
        self.schema_outdated();
        self.request_page();
        if let Some(filter) = filter {
            self.send(RequestKind::Count {
                collection: name,
                filter,
            });
        }
        self.edit.reload_record();
    }

    // ----- leaving pending changes behind -----

    /// The window is closing: true if it may (nothing pending or approved).
    pub fn may_close(&mut self) -> bool {
        self.edit.quit_approved || !self.edit.hold(Guarded::Quit)
    }

    pub fn resolve_guard(&mut self, choice: GuardChoice) {
        let Some(action) = self.edit.guard.take() else {
            return;
        };
        match choice {
            GuardChoice::Cancel => {}
            GuardChoice::Discard => {
                self.revert_all();
                self.carry_out(action);
            }
            GuardChoice::Write => {
                self.edit.after_write(action);
                self.write_changes();
            }
        }
    }

    fn carry_out(&mut self, action: Guarded) {
        match action {
            Guarded::SelectCollection(name) => self.select_collection(&name),
            Guarded::OpenFolder { path, create } => self.open_folder(path, create),
            Guarded::OpenSample(folder) => self.open_sample(folder),
            Guarded::CloseFolder => self.close_folder(),
            Guarded::Quit => self.edit.quit_approved = true,
        }
    }

    // ----- bulk changes and aggregation -----

    /// Opens the bulk window on the current query's filter.
    pub fn open_bulk(&mut self, delete: bool) {
        if !self.can_edit() {
            return;
        }
        if let Some(view) = &self.current {
            self.edit.open_bulk(view, delete);
        }
    }

    /// Asks for the match count and the first records before and after.
    pub fn preview_bulk(&mut self) {
        self.send_edit(EditState::preview_bulk);
    }

    /// Runs the previewed bulk change; an empty filter needs the tick.
    pub fn apply_bulk(&mut self) {
        self.send_edit(EditState::apply_bulk);
    }

    pub fn run_pipeline(&mut self) {
        let collection = self.current.as_ref().map(|view| view.name.clone());
        if let Some(request) = self.edit.run_pipeline(collection.as_deref()) {
            self.send(RequestKind::Edit(request));
        }
    }

    fn send_edit(&mut self, request: impl FnOnce(&mut EditState) -> Option<EditRequest>) {
        if let Some(request) = request(&mut self.edit) {
            self.send(RequestKind::Edit(request));
        }
    }

    // ----- worker events -----

    pub(crate) fn on_edit_event(&mut self, id: RequestId, event: EditEvent) {
        if !self.is_latest(&Slot::Edit(EditState::slot_of(&event)), id) {
            return;
        }
        if let Some(after) = self.edit.on_event(event) {
            self.status.notice = Some(after.notice);
            self.refresh_after_write();
            if let Some(action) = after.then {
                self.carry_out(action);
            }
        }
    }

    /// A failed editing request; the status line shows it too.
    pub(crate) fn on_edit_failed(&mut self, slot: EditSlot, why: &str) {
        self.edit.on_failed(slot, why);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{self, page_event, requests as sent};
    use super::*;
    use crate::studio::edit::value_type::ValueType;
    use crate::studio::worker::Event;
    use crate::studio::worker::EventKind;
    use crate::studio::worker::edit::Conflict;
    use serde_json::json;

    /// `/db` open on `people` with records r0..r2 on the page.
    fn opened() -> State {
        let (mut state, page, _) = test_support::opened();
        state.apply(page_event(page, 0, 3));
        state
    }

    fn delete_row(state: &mut State, row: usize) {
        if let Some(view) = state.current.as_mut() {
            view.selection.click(row, Default::default());
        }
        state.delete_selected();
    }

    fn write_id(state: &mut State) -> RequestId {
        state.write_changes();
        sent(state)
            .into_iter()
            .find(|r| matches!(r.kind, RequestKind::Edit(EditRequest::Write { .. })))
            .map_or(0, |r| r.id)
    }

    #[test]
    fn a_failed_write_keeps_every_change_staged() {
        let mut state = opened();
        delete_row(&mut state, 0);
        delete_row(&mut state, 1);
        let id = write_id(&mut state);
        assert!(state.edit.writing);
        assert!(state.edit_blocked().is_some(), "no edits while writing");
        state.apply(Event {
            id,
            kind: EventKind::Failed {
                what: "writing 2 changes".into(),
                why: "disk full".into(),
            },
        });
        assert!(!state.edit.writing);
        assert_eq!(state.edit.pending.len(), 2);
        assert!(state.status.last_error.is_some());
    }

    #[test]
    fn a_successful_write_clears_the_changes_and_rereads_the_page() {
        let mut state = opened();
        delete_row(&mut state, 0);
        let id = write_id(&mut state);
        state.apply(Event {
            id,
            kind: EventKind::Edit(EditEvent::Written { records: 1 }),
        });
        assert!(state.edit.pending.is_empty());
        let slots: Vec<Slot> = sent(&mut state).iter().map(|r| r.kind.slot()).collect();
        assert!(slots.contains(&Slot::Page) && slots.contains(&Slot::Count));
    }

    #[test]
    fn a_write_one_by_one_keeps_the_failed_changes_and_says_how_each_went() {
        use crate::studio::edit::pending::ChangeKind;
        use crate::studio::worker::edit::{ChangeOutcome, Outcome};

        let mut state = opened();
        for row in 0..3 {
            delete_row(&mut state, row);
        }
        let id = write_id(&mut state);
        let outcome = |id: &str, outcome: Outcome| ChangeOutcome {
            collection: "people".into(),
            id: id.into(),
            kind: ChangeKind::Delete,
            outcome,
        };
        state.apply(Event {
            id,
            kind: EventKind::Edit(EditEvent::WrittenOneByOne(vec![
                outcome("r0", Outcome::Written),
                outcome("r1", Outcome::Failed("refused".into())),
                outcome("r2", Outcome::NotTried),
            ])),
        });
        assert!(!state.edit.writing);
        assert_eq!(
            state.status.notice.as_deref(),
            Some("Written one by one: 1 written, 1 failed, 1 not tried")
        );
        let left: Vec<&str> = state.edit.pending.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(left, vec!["r1", "r2"]);
        assert_eq!(state.edit.outcomes.len(), 3, "shown until dismissed");
        let slots: Vec<Slot> = sent(&mut state).iter().map(|r| r.kind.slot()).collect();
        assert!(
            slots.contains(&Slot::Page),
            "what was written is read again"
        );
        state.edit.dismiss_outcomes();
        assert!(state.edit.outcomes.is_empty());
    }

    #[test]
    fn reloading_after_a_conflict_drops_only_the_conflicting_changes() {
        let mut state = opened();
        delete_row(&mut state, 0);
        delete_row(&mut state, 1);
        let id = write_id(&mut state);
        state.apply(Event {
            id,
            kind: EventKind::Edit(EditEvent::Conflicts(vec![Conflict::new(
                "people".into(),
                "r0".into(),
                None,
                None,
                None,
            )])),
        });
        assert_eq!(
            state.edit.pending.len(),
            2,
            "nothing dropped before the answer"
        );
        state.reload_conflicts();
        let left: Vec<&str> = state.edit.pending.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(left, vec!["r1"]);
    }

    #[test]
    fn switching_collection_with_pending_changes_waits_for_the_answer() {
        let mut state = opened();
        delete_row(&mut state, 2);
        state.select_collection("places");
        assert_eq!(
            state.edit.guard,
            Some(Guarded::SelectCollection("places".into()))
        );
        assert_eq!(
            state.current.as_ref().map(|v| v.name.as_str()),
            Some("people")
        );
        state.resolve_guard(GuardChoice::Discard);
        assert!(state.edit.pending.is_empty());
        assert_eq!(
            state.current.as_ref().map(|v| v.name.as_str()),
            Some("places")
        );
    }

    #[test]
    fn a_cell_edit_keeps_the_number_type_and_marks_the_row() {
        let mut state = opened();
        state.start_cell_edit(1, "n");
        assert_eq!(
            state.edit.cell.as_ref().map(|c| c.ty),
            Some(ValueType::Number)
        );
        if let Some(cell) = state.edit.cell.as_mut() {
            cell.text = "7".into();
        }
        assert!(state.commit_cell_edit());
        let row = state
            .row_record(1)
            .map(|(doc, mark)| (doc.get("n").cloned(), mark));
        assert_eq!(row, Some((Some(json!(7)), RowMark::Changed)));
    }
}
