//! The editing half of the UI model, as its own type: [`EditState`] holds
//! the pending changes, the cell and record editors, the write with its
//! conflicts, the question asked before leaving unwritten changes, bulk
//! changes and the aggregation tab.
//!
//! Its methods are the editing logic. They read the collection on screen
//! from the [`CollectionView`] they are given and return the request to
//! send instead of sending it, so they need nothing else of the state;
//! `edit_actions.rs` is the state's side (may this folder be edited, which
//! view is shown, what to read again after a write).

use std::borrow::Cow;

use serde_json::Value;

use super::edit_forms::{
    AggregateForm, AggregateResult, BulkForm, CellEdit, Guarded, RecordEditor, RowMark, SyncKey,
    Tab, record_id,
};
use super::folding::{PREFIX_CHARS, fold_record, folded_line, is_big, record_needs_folding};
use super::value_viewer::ValueViewer;
use super::view::{CollectionView, columns_of};
use crate::Document;
use crate::studio::edit::pending::{ChangeKind, PendingChanges};
use crate::studio::edit::record_text::{TextProblem, parse_record, record_text};
use crate::studio::edit::value_type::{ValueType, edit_text, parse_as, type_of};
use crate::studio::format::format_count;
use crate::studio::report::ErrorReport;
use crate::studio::worker::edit::{
    ChangeOutcome, Conflict, EditEvent, EditRequest, EditSlot, Outcome,
};

/// Everything editing adds to the UI model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EditState {
    pub pending: PendingChanges,
    pub cell: Option<CellEdit>,
    /// The cell last clicked, which F2 edits.
    pub focus: Option<(usize, String)>,
    pub record: RecordEditor,
    pub show_pending: bool,
    pub writing: bool,
    /// Records changed on disk since they were read; nothing was written.
    pub conflicts: Vec<Conflict>,
    /// How each change went, after a write one by one (a server without
    /// transactions) in which some failed; shown until dismissed.
    pub outcomes: Vec<ChangeOutcome>,
    /// The question asked before leaving pending changes behind.
    pub guard: Option<Guarded>,
    /// The guarded action to carry out once the write succeeds.
    after_write: Option<Guarded>,
    /// Set when the window may close now (the app closes it).
    pub quit_approved: bool,
    pub bulk: Option<BulkForm>,
    pub tab: Tab,
    pub aggregate: AggregateForm,
    /// The value viewer "show all" opened (`viewer_actions`).
    pub viewer: Option<ValueViewer>,
}

/// What the state does after a write or a bulk change succeeded: tell the
/// user, read again what changed, then carry out the action that waited.
#[derive(Clone, Debug, PartialEq)]
pub struct AfterWrite {
    pub notice: String,
    pub then: Option<Guarded>,
}

impl EditState {
    /// A folder was left or (re)opened: the editors close; pending changes
    /// stay until written or discarded.
    pub fn leave_folder(&mut self) {
        self.cell = None;
        self.focus = None;
        self.record = RecordEditor {
            open: self.record.open,
            ..RecordEditor::default()
        };
        self.conflicts.clear();
        self.outcomes.clear();
        self.bulk = None;
        self.aggregate.result = None;
        self.aggregate.error = None;
        self.aggregate.running = false;
        self.writing = false;
        self.viewer = None;
    }

    // ----- the rows of the grid -----

    /// New records of the collection, shown after the page's rows.
    fn staged_inserts<'a>(&'a self, collection: &'a str) -> Vec<&'a Document> {
        self.pending
            .in_collection(collection)
            .filter(|c| c.kind() == ChangeKind::Insert)
            .filter_map(|c| c.after.as_ref())
            .collect()
    }

    /// Rows the grid draws: the page, then the new records.
    pub fn grid_rows(&self, view: &CollectionView) -> usize {
        let page = view.page.as_ref().map_or(0, |p| p.docs.len());
        page + self.staged_inserts(&view.name).len()
    }

    /// A grid row as it will be written, and how it differs from disk.
    pub fn row_record<'a>(
        &'a self,
        view: &'a CollectionView,
        row: usize,
    ) -> Option<(Cow<'a, Document>, RowMark)> {
        let docs = view.page.as_ref().map_or(&[][..], |p| p.docs.as_slice());
        let Some(read) = docs.get(row) else {
            let new = self
                .staged_inserts(&view.name)
                .get(row - docs.len())
                .copied()?;
            return Some((Cow::Borrowed(new), RowMark::New));
        };
        let staged = record_id(read).and_then(|id| self.pending.get(&view.name, id));
        Some(match staged {
            None => (Cow::Borrowed(read), RowMark::Read),
            Some(change) => match &change.after {
                Some(after) => (Cow::Borrowed(after), RowMark::Changed),
                None => (Cow::Borrowed(read), RowMark::Deleted),
            },
        })
    }

    /// Stages the record of `row` as `after` (None: delete).
    pub(super) fn stage_row(&mut self, view: &CollectionView, row: usize, after: Option<Document>) {
        let Some(id) = self
            .row_record(view, row)
            .and_then(|(doc, _)| record_id(&doc).map(str::to_owned))
        else {
            return;
        };
        // The record as read (None for a new record).
        let before = view.page.as_ref().and_then(|p| p.docs.get(row)).cloned();
        self.pending.stage(&view.name, &id, before, after);
    }

    // ----- the cell editor -----

    /// Starts editing one cell, with the value's own type (text only in a
    /// Python 0.1 collection, `legacy`).
    pub fn start_cell_edit(
        &mut self,
        view: &CollectionView,
        row: usize,
        field: &str,
        legacy: bool,
    ) {
        if field == "_id" {
            return;
        }
        let Some((doc, mark)) = self.row_record(view, row) else {
            return;
        };
        if mark == RowMark::Deleted {
            return;
        }
        let Some(id) = record_id(&doc).map(str::to_owned) else {
            return;
        };
        let value = doc.get(field);
        let ty = if legacy {
            ValueType::String
        } else {
            type_of(value)
        };
        // A big value is not copied into a text field: its editor is the viewer.
        let folded = value
            .filter(|v| is_big(v))
            .map(|v| folded_line(v, PREFIX_CHARS));
        let text = if folded.is_some() {
            String::new()
        } else {
            edit_text(value)
        };
        self.cell = Some(CellEdit {
            row,
            id,
            field: field.to_owned(),
            text,
            ty,
            problem: None,
            wants_focus: true,
            folded,
        });
    }

    /// The cell F2 edits: the one last clicked, or the first field of the
    /// selected row.
    pub fn focus_target(&self, view: Option<&CollectionView>) -> Option<(usize, String)> {
        self.focus.clone().or_else(|| {
            let view = view?;
            let row = *view.selection.rows.iter().next()?;
            let field = view.page.as_ref()?.columns.iter().find(|c| *c != "_id")?;
            Some((row, field.clone()))
        })
    }

    pub fn cancel_cell_edit(&mut self) {
        self.cell = None;
    }

    /// Enter: stages the cell's value, or keeps the editor open with why not.
    pub fn commit_cell_edit(&mut self, view: Option<&CollectionView>) -> bool {
        let Some(cell) = self.cell.clone() else {
            return false;
        };
        if cell.folded.is_some() {
            return false;
        }
        let value = match parse_as(&cell.text, cell.ty) {
            Ok(value) => value,
            Err(problem) => {
                if let Some(open) = self.cell.as_mut() {
                    open.problem = Some(problem);
                }
                return false;
            }
        };
        let Some((view, (doc, _))) =
            view.and_then(|view| Some((view, self.row_record(view, cell.row)?)))
        else {
            self.cell = None;
            return false;
        };
        if record_id(&doc) != Some(cell.id.as_str()) {
            // The page changed under the editor: its row is another record.
            self.cell = None;
            return false;
        }
        let mut after = doc.into_owned();
        after.insert(cell.field.clone(), value);
        self.stage_row(view, cell.row, Some(after));
        self.cell = None;
        true
    }

    // ----- the record editor -----

    /// Loads the selected record into the editor, unless the editor holds
    /// unsaved edits (those are never thrown away by a click).
    pub fn sync_record_editor(&mut self, view: Option<&CollectionView>) {
        if self.record.dirty {
            return;
        }
        let key = view.map(|view| SyncKey {
            collection: view.name.clone(),
            page: view
                .page
                .as_ref()
                .map(|p| (p.request_id, p.docs.as_ptr() as usize, p.docs.len())),
            row: view.selection.rows.iter().next().copied(),
            pending: self.pending.revision(),
        });
        if key.is_some() && key == self.record.synced {
            return;
        }
        self.record.synced = key;
        // Made from the record where it is: a 16 MiB record is not copied.
        let (id, folded, text) = view
            .and_then(|view| {
                let row = view.selection.rows.iter().next().copied()?;
                let (doc, mark) = self.row_record(view, row)?;
                (mark != RowMark::Deleted).then(|| {
                    let id = record_id(&doc).map(str::to_owned);
                    if record_needs_folding(&doc) {
                        (id, Some(fold_record(&doc)), String::new())
                    } else {
                        (id, None, record_text(&doc))
                    }
                })
            })
            .unwrap_or_default();
        let editor = &mut self.record;
        // The same record as shown keeps its text (and the cursor in it).
        if id == editor.id && folded == editor.folded && text == editor.text {
            return;
        }
        editor.id = id;
        editor.folded = folded;
        editor.text = text;
        editor.problem = None;
    }

    /// The editor's text changed: re-check it.
    pub fn record_text_changed(&mut self) {
        let editor = &mut self.record;
        if editor.folded.is_some() {
            return;
        }
        editor.dirty = true;
        editor.problem = editor
            .id
            .as_deref()
            .and_then(|id| parse_record(&editor.text, id).err());
    }

    /// Drops the editor's unsaved edits.
    pub fn discard_record_text(&mut self, view: Option<&CollectionView>) {
        self.record.dirty = false;
        self.record.synced = None;
        self.sync_record_editor(view);
    }

    /// Save: stages the editor's record. Bad JSON is refused with its place.
    pub fn save_record_text(&mut self, view: &CollectionView) -> bool {
        let Some(id) = self.record.id.clone() else {
            return false;
        };
        let doc = match parse_record(&self.record.text, &id) {
            Ok(doc) => doc,
            Err(problem) => {
                self.record.problem = Some(problem);
                return false;
            }
        };
        let Some(row) = (0..self.grid_rows(view)).find(|&row| {
            self.row_record(view, row)
                .is_some_and(|(d, _)| record_id(&d) == Some(id.as_str()))
        }) else {
            self.record.problem = Some(TextProblem {
                line: 1,
                column: 1,
                message: format!("record {id:?} is no longer on this page; nothing was staged"),
            });
            return false;
        };
        self.stage_row(view, row, Some(doc));
        self.record.dirty = false;
        self.record.problem = None;
        self.record.synced = None;
        self.sync_record_editor(Some(view));
        true
    }

    // ----- new, duplicate, delete -----

    /// Stages a new record with a fresh `_id` and selects it.
    pub fn new_record(&mut self, view: &mut CollectionView) {
        let mut doc = Document::new();
        doc.insert(
            "_id".to_owned(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        self.stage_new(view, doc);
    }

    fn stage_new(&mut self, view: &mut CollectionView, doc: Document) {
        let Some(id) = record_id(&doc).map(str::to_owned) else {
            return;
        };
        self.pending.stage(&view.name, &id, None, Some(doc));
        let row = self.grid_rows(view).saturating_sub(1);
        self.select_only(view, row);
        self.record.open = true;
    }

    fn select_only(&mut self, view: &mut CollectionView, row: usize) {
        view.selection.click(row, Default::default());
        self.record.dirty = false;
        self.sync_record_editor(Some(view));
    }

    /// Stages a copy of each selected record, each with a new `_id`.
    pub fn duplicate_selected(&mut self, view: &mut CollectionView) {
        let rows: Vec<usize> = view.selection.rows.iter().copied().collect();
        for row in rows {
            let Some((doc, _)) = self.row_record(view, row) else {
                continue;
            };
            let mut copy = Document::new();
            copy.insert(
                "_id".to_owned(),
                Value::String(uuid::Uuid::new_v4().to_string()),
            );
            for (key, value) in doc.iter().filter(|(k, _)| k.as_str() != "_id") {
                copy.insert(key.clone(), value.clone());
            }
            self.stage_new(view, copy);
        }
    }

    /// Stages the deletion of each selected record (a new one just goes).
    pub fn delete_selected(&mut self, view: &mut CollectionView) {
        let rows: Vec<usize> = view.selection.rows.iter().copied().collect();
        // From the last: dropping a new record shifts the rows after it.
        for row in rows.into_iter().rev() {
            self.stage_row(view, row, None);
        }
        view.selection.clear();
        self.record.dirty = false;
        self.sync_record_editor(Some(view));
    }

    // ----- undo, revert, write -----

    pub fn undo_edit(&mut self) {
        self.pending.undo();
        self.cell = None;
    }

    pub fn revert_change(&mut self, collection: &str, id: &str) {
        self.pending.revert(collection, id);
    }

    /// Revert: drops every pending change.
    pub fn revert_all(&mut self, view: Option<&CollectionView>) {
        self.pending.clear();
        self.cell = None;
        self.record.dirty = false;
        self.record.synced = None;
        self.sync_record_editor(view);
    }

    /// The write of every pending change, in one engine transaction; with
    /// `overwrite`, over records that changed on disk since they were read.
    /// None when there is nothing to write, a write runs, or the folder is
    /// `read_only`.
    pub fn write(&mut self, overwrite: bool, read_only: bool) -> Option<EditRequest> {
        if self.pending.is_empty() || self.writing || read_only {
            return None;
        }
        self.writing = true;
        self.conflicts.clear();
        self.outcomes.clear();
        Some(EditRequest::Write {
            changes: self.pending.to_vec(),
            overwrite,
        })
    }

    /// After a conflict: drops the changes to the records that changed on
    /// disk (the state reads them again).
    pub fn reload_conflicts(&mut self) {
        let records: Vec<(String, String)> = self
            .conflicts
            .drain(..)
            .map(|c| (c.collection, c.id))
            .collect();
        self.pending.forget(&records);
    }

    pub fn dismiss_conflicts(&mut self) {
        self.conflicts.clear();
    }

    /// The record editor reads its record again at the next sync.
    pub fn reload_record(&mut self) {
        self.record.synced = None;
    }

    // ----- leaving pending changes behind -----

    /// Holds `action` back to ask first when changes are pending; true if held.
    pub fn hold(&mut self, action: Guarded) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        self.guard = Some(action);
        true
    }

    /// `action` is carried out once the write now starting succeeds.
    pub fn after_write(&mut self, action: Guarded) {
        self.after_write = Some(action);
    }

    // ----- bulk changes -----

    /// Opens the bulk window on the view's applied filter.
    pub fn open_bulk(&mut self, view: &CollectionView, delete: bool) {
        let filter = view
            .applied
            .as_ref()
            .map(|q| q.filter.clone())
            .unwrap_or_else(|| Value::Object(Default::default()));
        self.bulk = Some(BulkForm {
            delete,
            collection: view.name.clone(),
            filter,
            update_text: if delete {
                String::new()
            } else {
                "{\"$set\": {}}".to_owned()
            },
            ..BulkForm::default()
        });
    }

    /// The request for the match count and the first records before and after.
    pub fn preview_bulk(&mut self) -> Option<EditRequest> {
        self.bulk.as_mut()?.preview_request()
    }

    /// The previewed bulk change; an empty filter needs the tick.
    pub fn apply_bulk(&mut self) -> Option<EditRequest> {
        self.bulk.as_mut()?.apply_request()
    }

    // ----- aggregation -----

    pub fn validate_pipeline(&mut self) {
        self.aggregate.validate();
    }

    /// The request that runs the pipeline on `collection`, or None with the
    /// pipeline's problem shown.
    pub fn run_pipeline(&mut self, collection: Option<&str>) -> Option<EditRequest> {
        self.aggregate.run_request(collection)
    }

    // ----- worker events -----

    /// The slot of the request an editing event answers.
    pub fn slot_of(event: &EditEvent) -> EditSlot {
        match event {
            EditEvent::Written { .. } | EditEvent::WrittenOneByOne(_) | EditEvent::Conflicts(_) => {
                EditSlot::Write
            }
            EditEvent::Preview(_) => EditSlot::BulkPreview,
            EditEvent::BulkDone { .. } => EditSlot::Bulk,
            EditEvent::Aggregated { .. } => EditSlot::Aggregate,
        }
    }

    /// The answer to the newest editing request; after a write or a bulk
    /// change, what the state does next.
    pub fn on_event(&mut self, event: EditEvent) -> Option<AfterWrite> {
        match event {
            EditEvent::Written { records } => {
                self.writing = false;
                self.pending.clear();
                self.record.dirty = false;
                Some(AfterWrite {
                    notice: format!(
                        "Wrote {} {} in one transaction",
                        format_count(records),
                        if records == 1 { "change" } else { "changes" }
                    ),
                    then: self.after_write.take(),
                })
            }
            EditEvent::WrittenOneByOne(outcomes) => Some(self.written_one_by_one(outcomes)),
            EditEvent::Conflicts(conflicts) => {
                self.writing = false;
                self.after_write = None;
                self.conflicts = conflicts;
                None
            }
            EditEvent::Preview(preview) => {
                if let Some(form) = self.bulk.as_mut() {
                    form.running = false;
                    form.preview = Some(preview);
                }
                None
            }
            EditEvent::BulkDone {
                collection,
                records,
                deleted,
            } => {
                self.bulk = None;
                Some(AfterWrite {
                    notice: format!(
                        "{} {} records of {collection}",
                        if deleted { "Deleted" } else { "Updated" },
                        format_count(records)
                    ),
                    then: None,
                })
            }
            EditEvent::Aggregated {
                docs,
                elapsed,
                explain,
            } => {
                let columns = columns_of(&docs);
                let form = &mut self.aggregate;
                form.running = false;
                form.result = Some(AggregateResult {
                    collection: form.running_on.take().unwrap_or_default(),
                    docs,
                    columns,
                    elapsed,
                    explain,
                });
                None
            }
        }
    }

    /// After a write one by one: the written changes leave the pending
    /// list, the others stay staged and how each went is shown; the action
    /// that waited runs only if all were written.
    fn written_one_by_one(&mut self, outcomes: Vec<ChangeOutcome>) -> AfterWrite {
        self.writing = false;
        let count =
            |wanted: fn(&Outcome) -> bool| outcomes.iter().filter(|o| wanted(&o.outcome)).count();
        let written = count(|o| *o == Outcome::Written);
        let failed = count(|o| matches!(o, Outcome::Failed(_)));
        let not_tried = count(|o| *o == Outcome::NotTried);
        let mut notice = format!(
            "Written one by one: {} written, {} failed",
            format_count(written),
            format_count(failed)
        );
        if not_tried > 0 {
            notice.push_str(&format!(", {} not tried", format_count(not_tried)));
        }
        let then = if written == outcomes.len() {
            self.pending.clear();
            self.record.dirty = false;
            self.after_write.take()
        } else {
            let stored: Vec<(String, String)> = outcomes
                .iter()
                .filter(|o| o.outcome == Outcome::Written)
                .map(|o| (o.collection.clone(), o.id.clone()))
                .collect();
            self.pending.forget(&stored);
            self.after_write = None;
            self.outcomes = outcomes;
            None
        };
        AfterWrite { notice, then }
    }

    pub fn dismiss_outcomes(&mut self) {
        self.outcomes.clear();
    }

    /// A failed editing request; the status line shows it too.
    pub fn on_failed(&mut self, slot: EditSlot, why: &str) {
        match slot {
            EditSlot::Write => {
                // The transaction was rolled back: the changes stay staged.
                self.writing = false;
                self.after_write = None;
            }
            EditSlot::BulkPreview | EditSlot::Bulk => {
                if let Some(form) = self.bulk.as_mut() {
                    form.running = false;
                    form.problem = Some(why.to_owned());
                }
            }
            EditSlot::Aggregate => {
                let form = &mut self.aggregate;
                form.running = false;
                form.result = None;
                form.error = Some(ErrorReport {
                    what: "running the pipeline".to_owned(),
                    why: why.to_owned(),
                });
            }
        }
    }
}
