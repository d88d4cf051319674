//! The editing half of the UI model: the pending changes, the cell and
//! record editors, the write with its conflicts, the question asked before
//! leaving unwritten changes, bulk changes and the aggregation tab.
//!
//! Plain data like the rest of [`State`]; the methods here are the actions
//! the editing panels call and the worker events they react to.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::pending::{ChangeKind, PendingChanges};
use super::record_text::{TextProblem, parse_record, record_text};
use super::value_type::{ValueType, edit_text, parse_as, type_of};
use crate::studio::worker::edit::{BulkJob, BulkPreview, Conflict, EditEvent, EditRequest, EditSlot};
use crate::Document;
use crate::studio::format::format_count;
use crate::studio::report::{ErrorReport, line_column};
use crate::studio::state::{State, Total, columns_of};
use crate::studio::worker::{RequestId, RequestKind};

/// The two views of a collection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Documents,
    Aggregation,
}

/// An action held back until the pending changes are written or discarded.
#[derive(Clone, Debug, PartialEq)]
pub enum Guarded {
    SelectCollection(String),
    OpenFolder { path: PathBuf, create: bool },
    OpenSample(PathBuf),
    CloseFolder,
    Quit,
}

impl Guarded {
    /// What the question says the user is about to do.
    pub fn describe(&self) -> String {
        match self {
            Guarded::SelectCollection(name) => format!("switching to {name}"),
            Guarded::OpenFolder { path, .. } => format!("opening {}", path.display()),
            Guarded::OpenSample(_) => "opening the sample database".to_owned(),
            Guarded::CloseFolder => "closing the folder".to_owned(),
            Guarded::Quit => "closing the window".to_owned(),
        }
    }
}

/// The user's answer to "write the pending changes first?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardChoice {
    Write,
    Discard,
    Cancel,
}

/// How a grid row differs from the record as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowMark {
    Read,
    Changed,
    Deleted,
    New,
}

/// A grid cell being edited in place.
#[derive(Clone, Debug, PartialEq)]
pub struct CellEdit {
    pub row: usize,
    pub id: String,
    pub field: String,
    pub text: String,
    pub ty: ValueType,
    pub problem: Option<String>,
    /// The editor still has to take the keyboard focus.
    pub wants_focus: bool,
}

/// The record editor's side panel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordEditor {
    pub open: bool,
    /// The record shown (its `_id`).
    pub id: Option<String>,
    /// The record as last loaded into the text, to notice staged changes.
    shown: Option<Document>,
    pub text: String,
    pub problem: Option<TextProblem>,
    /// The text has edits not yet saved (staged).
    pub dirty: bool,
}

/// The bulk update/delete window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BulkForm {
    pub delete: bool,
    pub collection: String,
    pub filter: Value,
    pub update_text: String,
    pub problem: Option<String>,
    pub preview: Option<BulkPreview>,
    /// Ticked to allow a change of every record (an empty filter).
    pub confirm_all: bool,
    pub running: bool,
}

impl BulkForm {
    pub fn filter_is_empty(&self) -> bool {
        self.filter.as_object().is_none_or(|f| f.is_empty())
    }
}

/// The aggregation tab.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateForm {
    pub pipeline: String,
    pub problem: Option<TextProblem>,
    pub result: Option<AggregateResult>,
    pub error: Option<ErrorReport>,
    pub running: bool,
}

impl Default for AggregateForm {
    fn default() -> Self {
        AggregateForm {
            pipeline: "[\n  {\"$match\": {}},\n  {\"$limit\": 50}\n]".to_owned(),
            problem: None,
            result: None,
            error: None,
            running: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AggregateResult {
    pub docs: Vec<Document>,
    pub columns: Vec<String>,
    pub elapsed: Duration,
}

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
    /// The question asked before leaving pending changes behind.
    pub guard: Option<Guarded>,
    /// The guarded action to carry out once the write succeeds.
    after_write: Option<Guarded>,
    /// Set when the window may close now (the app closes it).
    pub quit_approved: bool,
    pub bulk: Option<BulkForm>,
    pub tab: Tab,
    pub aggregate: AggregateForm,
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
        self.bulk = None;
        self.aggregate.result = None;
        self.aggregate.error = None;
        self.aggregate.running = false;
        self.writing = false;
    }
}

/// The `_id` of a record as text (FluxDB ids are strings).
pub fn record_id(doc: &Document) -> Option<&str> {
    doc.get("_id").and_then(Value::as_str)
}

impl State {
    /// Why the current view cannot be edited, or None when it can.
    pub fn edit_blocked(&self) -> Option<&'static str> {
        self.folder.as_ref()?;
        if let Some(why) = crate::studio::dialogs::read_only_reason(self) {
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

    /// New records of the current collection, shown after the page's rows.
    fn staged_inserts(&self) -> Vec<&Document> {
        let Some(view) = &self.current else {
            return Vec::new();
        };
        self.edit
            .pending
            .in_collection(&view.name)
            .filter(|c| c.kind() == ChangeKind::Insert)
            .filter_map(|c| c.after.as_ref())
            .collect()
    }

    /// Rows the grid draws: the page, then the new records.
    pub fn grid_rows(&self) -> usize {
        let page = self
            .current
            .as_ref()
            .and_then(|v| v.page.as_ref())
            .map_or(0, |p| p.docs.len());
        page + self.staged_inserts().len()
    }

    /// A grid row as it will be written, and how it differs from disk.
    pub fn row_record(&self, row: usize) -> Option<(Cow<'_, Document>, RowMark)> {
        let view = self.current.as_ref()?;
        let docs = view.page.as_ref().map_or(&[][..], |p| p.docs.as_slice());
        let Some(read) = docs.get(row) else {
            let new = self.staged_inserts().get(row - docs.len()).copied()?;
            return Some((Cow::Borrowed(new), RowMark::New));
        };
        let staged = record_id(read).and_then(|id| self.edit.pending.get(&view.name, id));
        Some(match staged {
            None => (Cow::Borrowed(read), RowMark::Read),
            Some(change) => match &change.after {
                Some(after) => (Cow::Borrowed(after), RowMark::Changed),
                None => (Cow::Borrowed(read), RowMark::Deleted),
            },
        })
    }

    /// The record as read for a row (None for a new record).
    fn row_as_read(&self, row: usize) -> Option<Document> {
        self.current.as_ref()?.page.as_ref()?.docs.get(row).cloned()
    }

    /// Stages the record of `row` as `after` (None: delete).
    fn stage_row(&mut self, row: usize, after: Option<Document>) {
        let Some(name) = self.current.as_ref().map(|v| v.name.clone()) else {
            return;
        };
        let Some(id) = self
            .row_record(row)
            .and_then(|(doc, _)| record_id(&doc).map(str::to_owned))
        else {
            return;
        };
        let before = self.row_as_read(row);
        self.edit.pending.stage(&name, &id, before, after);
    }

    // ----- the cell editor -----

    /// Starts editing one cell, with the value's own type.
    pub fn start_cell_edit(&mut self, row: usize, field: &str) {
        if !self.can_edit() || field == "_id" {
            return;
        }
        let Some((doc, mark)) = self.row_record(row) else {
            return;
        };
        if mark == RowMark::Deleted {
            return;
        }
        let Some(id) = record_id(&doc).map(str::to_owned) else {
            return;
        };
        let value = doc.get(field);
        let ty = if self.current_is_legacy() {
            ValueType::String
        } else {
            type_of(value)
        };
        let text = edit_text(value);
        self.edit.cell = Some(CellEdit {
            row,
            id,
            field: field.to_owned(),
            text,
            ty,
            problem: None,
            wants_focus: true,
        });
    }

    /// F2: edits the cell last clicked, or the first field of the selected row.
    pub fn start_cell_edit_at_focus(&mut self) {
        let target = self.edit.focus.clone().or_else(|| {
            let view = self.current.as_ref()?;
            let row = *view.selection.rows.iter().next()?;
            let field = view.page.as_ref()?.columns.iter().find(|c| *c != "_id")?;
            Some((row, field.clone()))
        });
        if let Some((row, field)) = target {
            self.start_cell_edit(row, &field);
        }
    }

    pub fn cancel_cell_edit(&mut self) {
        self.edit.cell = None;
    }

    /// Enter: stages the cell's value, or keeps the editor open with why not.
    pub fn commit_cell_edit(&mut self) -> bool {
        let Some(cell) = self.edit.cell.clone() else {
            return false;
        };
        let value = match parse_as(&cell.text, cell.ty) {
            Ok(value) => value,
            Err(problem) => {
                if let Some(open) = self.edit.cell.as_mut() {
                    open.problem = Some(problem);
                }
                return false;
            }
        };
        let Some((doc, _)) = self.row_record(cell.row) else {
            self.edit.cell = None;
            return false;
        };
        if record_id(&doc) != Some(cell.id.as_str()) {
            // The page changed under the editor: its row is another record.
            self.edit.cell = None;
            return false;
        }
        let mut after = doc.into_owned();
        after.insert(cell.field.clone(), value);
        self.stage_row(cell.row, Some(after));
        self.edit.cell = None;
        true
    }

    // ----- the record editor -----

    /// The row the record editor follows: the first selected one.
    pub fn editor_row(&self) -> Option<usize> {
        self.current.as_ref()?.selection.rows.iter().next().copied()
    }

    /// Loads the selected record into the editor, unless the editor holds
    /// unsaved edits (those are never thrown away by a click).
    pub fn sync_record_editor(&mut self) {
        if self.edit.record.dirty {
            return;
        }
        let shown = self.editor_row().and_then(|row| {
            let (doc, mark) = self.row_record(row)?;
            (mark != RowMark::Deleted).then(|| doc.into_owned())
        });
        if shown == self.edit.record.shown {
            return;
        }
        let editor = &mut self.edit.record;
        editor.id = shown.as_ref().and_then(|d| record_id(d).map(str::to_owned));
        editor.text = shown.as_ref().map(record_text).unwrap_or_default();
        editor.problem = None;
        editor.shown = shown;
    }

    /// The editor's text changed: re-check it.
    pub fn record_text_changed(&mut self) {
        let editor = &mut self.edit.record;
        editor.dirty = true;
        editor.problem = editor
            .id
            .as_deref()
            .and_then(|id| parse_record(&editor.text, id).err());
    }

    /// Drops the editor's unsaved edits.
    pub fn discard_record_text(&mut self) {
        self.edit.record.dirty = false;
        self.edit.record.shown = None;
        self.sync_record_editor();
    }

    /// Save: stages the editor's record. Bad JSON is refused with its place.
    pub fn save_record_text(&mut self) -> bool {
        if !self.can_edit() {
            return false;
        }
        let Some(id) = self.edit.record.id.clone() else {
            return false;
        };
        let doc = match parse_record(&self.edit.record.text, &id) {
            Ok(doc) => doc,
            Err(problem) => {
                self.edit.record.problem = Some(problem);
                return false;
            }
        };
        let Some(row) = (0..self.grid_rows()).find(|&row| {
            self.row_record(row)
                .is_some_and(|(d, _)| record_id(&d) == Some(id.as_str()))
        }) else {
            self.edit.record.problem = Some(TextProblem {
                line: 1,
                column: 1,
                message: format!("record {id:?} is no longer on this page; nothing was staged"),
            });
            return false;
        };
        self.stage_row(row, Some(doc));
        self.edit.record.dirty = false;
        self.edit.record.problem = None;
        self.edit.record.shown = None;
        self.sync_record_editor();
        true
    }

    // ----- new, duplicate, delete -----

    /// Stages a new record with a fresh `_id` and selects it.
    pub fn new_record(&mut self) {
        let mut doc = Document::new();
        doc.insert(
            "_id".to_owned(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        self.stage_new(doc);
    }

    fn stage_new(&mut self, doc: Document) {
        if !self.can_edit() {
            return;
        }
        let (Some(name), Some(id)) = (
            self.current.as_ref().map(|v| v.name.clone()),
            record_id(&doc).map(str::to_owned),
        ) else {
            return;
        };
        self.edit.pending.stage(&name, &id, None, Some(doc));
        let row = self.grid_rows().saturating_sub(1);
        self.select_only(row);
        self.edit.record.open = true;
    }

    fn select_only(&mut self, row: usize) {
        if let Some(view) = self.current.as_mut() {
            view.selection.click(row, Default::default());
        }
        self.edit.record.dirty = false;
        self.sync_record_editor();
    }

    /// Stages a copy of each selected record, each with a new `_id`.
    pub fn duplicate_selected(&mut self) {
        let rows = self.selected_rows();
        for row in rows {
            let Some((doc, _)) = self.row_record(row) else {
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
            self.stage_new(copy);
        }
    }

    /// Stages the deletion of each selected record (a new one just goes).
    pub fn delete_selected(&mut self) {
        if !self.can_edit() {
            return;
        }
        // From the last: dropping a new record shifts the rows after it.
        for row in self.selected_rows().into_iter().rev() {
            self.stage_row(row, None);
        }
        if let Some(view) = self.current.as_mut() {
            view.selection.clear();
        }
        self.edit.record.dirty = false;
        self.sync_record_editor();
    }

    fn selected_rows(&self) -> Vec<usize> {
        self.current
            .as_ref()
            .map(|v| v.selection.rows.iter().copied().collect())
            .unwrap_or_default()
    }

    // ----- undo, revert, write -----

    pub fn undo_edit(&mut self) {
        self.edit.pending.undo();
        self.edit.cell = None;
    }

    pub fn revert_change(&mut self, collection: &str, id: &str) {
        self.edit.pending.revert(collection, id);
    }

    /// Revert: drops every pending change.
    pub fn revert_all(&mut self) {
        self.edit.pending.clear();
        self.edit.cell = None;
        self.edit.record.dirty = false;
        self.edit.record.shown = None;
        self.sync_record_editor();
    }

    /// Write changes (Ctrl+S): all of them in one engine transaction.
    pub fn write_changes(&mut self) {
        self.write(false);
    }

    fn write(&mut self, overwrite: bool) {
        let read_only = self.folder.as_ref().is_none_or(|f| f.read_only);
        if self.edit.pending.is_empty() || self.edit.writing || read_only {
            return;
        }
        self.edit.writing = true;
        self.edit.conflicts.clear();
        self.send(RequestKind::Edit(EditRequest::Write {
            changes: self.edit.pending.to_vec(),
            overwrite,
        }));
    }

    /// After a conflict: write anyway, over what is on disk now.
    pub fn overwrite_conflicts(&mut self) {
        self.write(true);
    }

    /// After a conflict: drop the changes to the records that changed on
    /// disk and show them as they are now.
    pub fn reload_conflicts(&mut self) {
        let records: Vec<(String, String)> = self
            .edit
            .conflicts
            .drain(..)
            .map(|c| (c.collection, c.id))
            .collect();
        self.edit.pending.forget(&records);
        self.refresh_after_write();
    }

    pub fn dismiss_conflicts(&mut self) {
        self.edit.conflicts.clear();
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
        self.request_page();
        if let Some(filter) = filter {
            self.send(RequestKind::Count {
                collection: name,
                filter,
            });
        }
        self.edit.record.shown = None;
    }

    // ----- leaving pending changes behind -----

    /// Holds `action` back to ask first when changes are pending; true if held.
    pub(crate) fn hold_for_pending(&mut self, action: Guarded) -> bool {
        if self.edit.pending.is_empty() {
            return false;
        }
        self.edit.guard = Some(action);
        true
    }

    /// The window is closing: true if it may (nothing pending or approved).
    pub fn may_close(&mut self) -> bool {
        self.edit.quit_approved || !self.hold_for_pending(Guarded::Quit)
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
                self.edit.after_write = Some(action);
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

    // ----- bulk changes -----

    /// Opens the bulk window on the current query's filter.
    pub fn open_bulk(&mut self, delete: bool) {
        if !self.can_edit() {
            return;
        }
        let Some(view) = &self.current else {
            return;
        };
        let filter = view
            .applied
            .as_ref()
            .map(|q| q.filter.clone())
            .unwrap_or_else(|| Value::Object(Default::default()));
        self.edit.bulk = Some(BulkForm {
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

    fn bulk_job(&mut self) -> Option<BulkJob> {
        let form = self.edit.bulk.as_mut()?;
        let update = if form.delete {
            None
        } else {
            match serde_json::from_str::<Value>(&form.update_text) {
                Ok(update @ Value::Object(_)) => Some(update),
                Ok(_) => {
                    form.problem = Some("the update must be a JSON object ({…})".to_owned());
                    return None;
                }
                Err(e) => {
                    form.problem = Some(format!(
                        "update {}:{}: {}",
                        e.line(),
                        e.column(),
                        e.to_string().split(" at line ").next().unwrap_or_default()
                    ));
                    return None;
                }
            }
        };
        form.problem = None;
        Some(BulkJob {
            collection: form.collection.clone(),
            filter: form.filter.clone(),
            update,
        })
    }

    /// Asks for the match count and the first records before and after.
    pub fn preview_bulk(&mut self) {
        if let Some(job) = self.bulk_job() {
            if let Some(form) = self.edit.bulk.as_mut() {
                form.preview = None;
                form.running = true;
            }
            self.send(RequestKind::Edit(EditRequest::BulkPreview(job)));
        }
    }

    /// Runs the previewed bulk change; an empty filter needs the tick.
    pub fn apply_bulk(&mut self) {
        let Some(form) = &self.edit.bulk else {
            return;
        };
        let Some(preview) = &form.preview else {
            return;
        };
        if form.filter_is_empty() && !form.confirm_all {
            return;
        }
        let job = preview.job.clone();
        if let Some(form) = self.edit.bulk.as_mut() {
            form.running = true;
        }
        self.send(RequestKind::Edit(EditRequest::BulkApply(job)));
    }

    // ----- aggregation -----

    pub fn validate_pipeline(&mut self) {
        self.edit.aggregate.problem = parse_pipeline(&self.edit.aggregate.pipeline).err();
    }

    pub fn run_pipeline(&mut self) {
        let pipeline = match parse_pipeline(&self.edit.aggregate.pipeline) {
            Ok(pipeline) => pipeline,
            Err(problem) => {
                self.edit.aggregate.problem = Some(problem);
                return;
            }
        };
        let Some(view) = &self.current else {
            return;
        };
        let collection = view.name.clone();
        self.edit.aggregate.problem = None;
        self.edit.aggregate.error = None;
        self.edit.aggregate.running = true;
        self.send(RequestKind::Edit(EditRequest::Aggregate {
            collection,
            pipeline,
        }));
    }

    // ----- worker events -----

    pub(crate) fn on_edit_event(&mut self, id: RequestId, event: EditEvent) {
        let slot = match &event {
            EditEvent::Written { .. } | EditEvent::Conflicts(_) => EditSlot::Write,
            EditEvent::Preview(_) => EditSlot::BulkPreview,
            EditEvent::BulkDone { .. } => EditSlot::Bulk,
            EditEvent::Aggregated { .. } => EditSlot::Aggregate,
        };
        if !self.is_latest(&crate::studio::worker::Slot::Edit(slot), id) {
            return;
        }
        match event {
            EditEvent::Written { records } => {
                self.edit.writing = false;
                self.edit.pending.clear();
                self.edit.record.dirty = false;
                self.status.notice = Some(format!(
                    "Wrote {} {} in one transaction",
                    format_count(records),
                    if records == 1 { "change" } else { "changes" }
                ));
                self.refresh_after_write();
                if let Some(action) = self.edit.after_write.take() {
                    self.carry_out(action);
                }
            }
            EditEvent::Conflicts(conflicts) => {
                self.edit.writing = false;
                self.edit.after_write = None;
                self.edit.conflicts = conflicts;
            }
            EditEvent::Preview(preview) => {
                if let Some(form) = self.edit.bulk.as_mut() {
                    form.running = false;
                    form.preview = Some(preview);
                }
            }
            EditEvent::BulkDone {
                collection,
                records,
                deleted,
            } => {
                self.edit.bulk = None;
                self.status.notice = Some(format!(
                    "{} {} records of {collection}",
                    if deleted { "Deleted" } else { "Updated" },
                    format_count(records)
                ));
                self.refresh_after_write();
            }
            EditEvent::Aggregated { docs, elapsed } => {
                let columns = columns_of(&docs);
                let form = &mut self.edit.aggregate;
                form.running = false;
                form.result = Some(AggregateResult {
                    docs,
                    columns,
                    elapsed,
                });
            }
        }
    }

    /// A failed editing request; the status line shows it too.
    pub(crate) fn on_edit_failed(&mut self, slot: EditSlot, why: &str) {
        match slot {
            EditSlot::Write => {
                // The transaction was rolled back: the changes stay staged.
                self.edit.writing = false;
                self.edit.after_write = None;
            }
            EditSlot::BulkPreview | EditSlot::Bulk => {
                if let Some(form) = self.edit.bulk.as_mut() {
                    form.running = false;
                    form.problem = Some(why.to_owned());
                }
            }
            EditSlot::Aggregate => {
                let form = &mut self.edit.aggregate;
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

/// The pipeline editor's text: a JSON array of stages.
pub fn parse_pipeline(text: &str) -> Result<Value, TextProblem> {
    match serde_json::from_str::<Value>(text) {
        Ok(pipeline @ Value::Array(_)) => Ok(pipeline),
        Ok(_) => {
            let start = text.len() - text.trim_start().len();
            let (line, column) = line_column(text, start);
            Err(TextProblem {
                line,
                column,
                message: "a pipeline is a JSON array of stages ([{…}, …])".to_owned(),
            })
        }
        Err(e) => Err(TextProblem {
            line: e.line().max(1),
            column: e.column().max(1),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::studio::worker::{Event, EventKind, Slot};
    use serde_json::json;

    use crate::studio::state::test_support::{page_event, requests as sent};

    /// `/db` open on `people` with records r0..r2 on the page.
    fn opened() -> State {
        let (mut state, page, _) = crate::studio::state::test_support::opened();
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
    fn reloading_after_a_conflict_drops_only_the_conflicting_changes() {
        let mut state = opened();
        delete_row(&mut state, 0);
        delete_row(&mut state, 1);
        let id = write_id(&mut state);
        state.apply(Event {
            id,
            kind: EventKind::Edit(EditEvent::Conflicts(vec![Conflict {
                collection: "people".into(),
                id: "r0".into(),
                now: None,
            }])),
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
