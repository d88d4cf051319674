//! The plain data every panel draws from, changed only by user actions (the
//! methods here) and worker events ([`State::apply`]). No egui, no threads:
//! tests drive it directly.
//!
//! Actions that need the engine put [`Outgoing`] messages in an outbox the app
//! hands to the worker; answers to anything but the newest request of each
//! [`Slot`] are dropped on arrival.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::dialogs::model::Dialogs;
use super::worker::jobs::{ManageRequest, Outcome};
use super::edit::state::Guarded;
use super::format::format_count;
use super::query::{JsonProblem, ParsedQuery, QueryForm};
use super::report::ErrorReport;
use super::settings::{ColumnSort, Settings, SortDirection};
use super::worker::{
    CollectionSummary, Event, EventKind, ExplainSummary, OpenedFolder, Request, RequestId,
    RequestKind, Slot,
};
use crate::Document;

/// A message for the worker, produced by an action.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    Request(Request),
    Cancel,
}

/// The open folder.
#[derive(Clone, Debug, PartialEq)]
pub struct FolderView {
    pub path: PathBuf,
    pub read_only: bool,
    /// Written by the Python 0.1 library.
    pub legacy: bool,
}

/// A sidebar row: the details arrive after the name.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionEntry {
    pub name: String,
    pub summary: Option<CollectionSummary>,
}

/// Table or JSON view of the result page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ViewMode {
    #[default]
    Table,
    Json,
}

/// The number of records the current query matches.
#[derive(Clone, Debug, PartialEq)]
pub enum Total {
    Counting,
    Known(usize),
    /// The count was cancelled or failed; paging still works forward.
    Unknown,
}

/// One page of records as the grid shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// The request this page answered: tells one page from the next.
    pub request_id: RequestId,
    pub skip: usize,
    pub docs: Vec<Document>,
    /// The union of the page's fields: `_id` first, then in first-seen order.
    pub columns: Vec<String>,
}

impl Page {
    pub fn new(skip: usize, docs: Vec<Document>) -> Page {
        let columns = columns_of(&docs);
        Page {
            request_id: 0,
            skip,
            docs,
            columns,
        }
    }
}

/// The union of the fields of `docs`: `_id` first, then in first-seen order.
pub fn columns_of(docs: &[Document]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut columns = Vec::new();
    let has_id = docs.iter().any(|doc| doc.contains_key("_id"));
    if has_id {
        seen.insert("_id".to_owned());
        columns.push("_id".to_owned());
    }
    for doc in docs {
        for key in doc.keys() {
            if seen.insert(key.clone()) {
                columns.push(key.clone());
            }
        }
    }
    columns
}

/// Keeps the sorted column in the grid even when no record on the page has
/// the field (records without it sort first), at the place it had before, so
/// the header the user clicks does not move away under the pointer.
fn keep_column(columns: &mut Vec<String>, field: &str, previous: &[String]) {
    if columns.is_empty() || columns.iter().any(|c| c == field) {
        return;
    }
    let at = previous
        .iter()
        .position(|c| c == field)
        .unwrap_or(1)
        .min(columns.len());
    columns.insert(at, field.to_owned());
}

/// Selected rows of the page (indices into `Page::docs`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    pub rows: BTreeSet<usize>,
    anchor: Option<usize>,
}

/// How a row was clicked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClickModifiers {
    /// Extend from the last clicked row.
    pub shift: bool,
    /// Toggle this row, keeping the others.
    pub toggle: bool,
}

impl Selection {
    pub fn click(&mut self, row: usize, how: ClickModifiers) {
        match (how.shift, self.anchor) {
            (true, Some(anchor)) => {
                if !how.toggle {
                    self.rows.clear();
                }
                let (from, to) = if anchor <= row {
                    (anchor, row)
                } else {
                    (row, anchor)
                };
                self.rows.extend(from..=to);
            }
            _ if how.toggle => {
                if !self.rows.remove(&row) {
                    self.rows.insert(row);
                }
                self.anchor = Some(row);
            }
            _ => {
                self.rows.clear();
                self.rows.insert(row);
                self.anchor = Some(row);
            }
        }
    }

    pub fn select_all(&mut self, rows: usize) {
        self.rows = (0..rows).collect();
    }

    pub fn clear(&mut self) {
        self.rows.clear();
        self.anchor = None;
    }
}

/// The collection the grid shows and its current query.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionView {
    pub name: String,
    pub applied: Option<ParsedQuery>,
    pub page: Option<Page>,
    /// The page asked for (0-based); the shown page may still be the old one.
    pub page_index: usize,
    pub total: Total,
    pub loading: bool,
    pub selection: Selection,
    /// The record whose nested value is open in the expand view.
    pub expanded: Option<(usize, String)>,
    /// Why the page asked for could not be read (shown instead of a stale one).
    pub page_error: Option<ErrorReport>,
}

/// What the status bar shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    /// What the worker is doing now.
    pub busy: Option<String>,
    pub query_time: Option<Duration>,
    pub count_time: Option<Duration>,
    pub explain: Option<ExplainSummary>,
    pub last_error: Option<ErrorReport>,
    pub notice: Option<String>,
}

/// Everything the UI draws.
#[derive(Debug, Default)]
pub struct State {
    pub settings: Settings,
    pub folder: Option<FolderView>,
    /// The folder being opened, until the worker answers.
    pub opening: Option<String>,
    pub collections: Vec<CollectionEntry>,
    pub collection_filter: String,
    pub current: Option<CollectionView>,
    pub query: QueryForm,
    /// The query bar's JSON problem, refreshed as the user types.
    pub query_problem: Option<JsonProblem>,
    pub view_mode: ViewMode,
    pub status: Status,
    /// Pending changes and the editors (studio::edit).
    pub edit: super::edit::state::EditState,
    /// Import, export, backup and collection dialogs (dialogs::model).
    pub dialogs: Dialogs,
    outbox: Vec<Outgoing>,
    next_id: RequestId,
    latest: BTreeMap<Slot, RequestId>,
}

impl State {
    pub fn new(settings: Settings) -> State {
        State {
            settings,
            ..State::default()
        }
    }

    /// The messages the actions since the last call produced, for the worker.
    pub fn take_outgoing(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.outbox)
    }

    pub(crate) fn send(&mut self, kind: RequestKind) -> RequestId {
        self.next_id += 1;
        let id = self.next_id;
        self.latest.insert(kind.slot(), id);
        self.outbox.push(Outgoing::Request(Request { id, kind }));
        id
    }

    pub(crate) fn is_latest(&self, slot: &Slot, id: RequestId) -> bool {
        self.latest.get(slot) == Some(&id)
    }

    pub fn page_size(&self) -> usize {
        self.settings.valid_page_size()
    }

    // ----- folder actions -----

    pub fn open_folder(&mut self, path: PathBuf, create: bool) {
        if self.hold_for_pending(Guarded::OpenFolder {
            path: path.clone(),
            create,
        }) {
            return;
        }
        self.opening = Some(path.display().to_string());
        self.send(RequestKind::Open { path, create });
    }

    pub fn open_sample(&mut self, folder: PathBuf) {
        if self.hold_for_pending(Guarded::OpenSample(folder.clone())) {
            return;
        }
        self.opening = Some("the sample database".to_owned());
        self.send(RequestKind::OpenSample { folder });
    }

    pub fn close_folder(&mut self) {
        if self.hold_for_pending(Guarded::CloseFolder) {
            return;
        }
        self.send(RequestKind::Close);
        self.forget_folder();
    }

    fn forget_folder(&mut self) {
        self.edit.leave_folder();
        self.folder = None;
        self.collections.clear();
        self.current = None;
        self.status = Status::default();
        let folder_request = self.latest.get(&Slot::Folder).copied();
        self.latest.clear();
        if let Some(id) = folder_request {
            self.latest.insert(Slot::Folder, id);
        }
    }

    /// Sidebar rows that match the filter box (case-insensitive).
    pub fn visible_collections(&self) -> impl Iterator<Item = &CollectionEntry> {
        let needle = self.collection_filter.trim().to_lowercase();
        self.collections
            .iter()
            .filter(move |entry| needle.is_empty() || entry.name.to_lowercase().contains(&needle))
    }

    // ----- query actions -----

    /// Shows a collection: its remembered sort, an empty filter, page one.
    pub fn select_collection(&mut self, name: &str) {
        if self.edit.pending.has_changes_outside(name)
            && self.hold_for_pending(Guarded::SelectCollection(name.to_owned()))
        {
            return;
        }
        let sort = self
            .folder
            .as_ref()
            .and_then(|folder| self.settings.prefs(&folder.path, name))
            .and_then(|prefs| prefs.sort.clone());
        self.query = QueryForm {
            sort: sort.map(|s| sort_text(&s)).unwrap_or_default(),
            ..QueryForm::default()
        };
        self.current = Some(CollectionView {
            name: name.to_owned(),
            applied: None,
            page: None,
            page_index: 0,
            total: Total::Counting,
            loading: false,
            selection: Selection::default(),
            expanded: None,
            page_error: None,
        });
        self.run_query();
        // Queued behind the page and the count (lowest priority).
        self.send(RequestKind::WarmIndexes {
            collection: name.to_owned(),
        });
    }

    /// Re-checks the query bar as the user types.
    pub fn validate_query(&mut self) {
        self.query_problem = self.query.parse().err();
    }

    /// Runs the query bar's query from page one. Invalid JSON is shown and
    /// never sent.
    pub fn run_query(&mut self) {
        let parsed = match self.query.parse() {
            Ok(parsed) => parsed,
            Err(problem) => {
                self.query_problem = Some(problem);
                return;
            }
        };
        self.query_problem = None;
        let (Some(folder), Some(view)) = (self.folder.as_ref(), self.current.as_mut()) else {
            return;
        };
        let same_filter = view.applied.as_ref().map(|a| &a.filter) == Some(&parsed.filter);
        let keep_total = same_filter && matches!(view.total, Total::Known(_));
        let name = view.name.clone();
        let filter_text = self.query.filter.trim().to_owned();
        let folder_path = folder.path.clone();
        view.applied = Some(parsed.clone());
        view.page_index = 0;
        if !keep_total {
            view.total = Total::Counting;
        }
        // The empty filter is where every query starts: not worth a history entry.
        if filter_text != "{}" && !filter_text.is_empty() {
            self.settings
                .remember_filter(&folder_path, &name, &filter_text);
        }
        self.request_page();
        if !keep_total {
            self.send(RequestKind::Count {
                collection: name,
                filter: parsed.filter,
            });
        }
    }

    /// Empties the query bar and the header sort, and runs.
    pub fn reset_query(&mut self) {
        self.query = QueryForm::default();
        if let (Some(folder), Some(view)) = (&self.folder, &self.current) {
            self.settings.prefs_mut(&folder.path, &view.name).sort = None;
        }
        self.run_query();
    }

    /// Puts a filter from the history back in the query bar.
    pub fn use_history(&mut self, filter: String) {
        self.query.filter = filter;
        self.validate_query();
    }

    pub fn history(&self) -> &[String] {
        match (&self.folder, &self.current) {
            (Some(folder), Some(view)) => self
                .settings
                .prefs(&folder.path, &view.name)
                .map_or(&[], |prefs| prefs.history.as_slice()),
            _ => &[],
        }
    }

    pub(crate) fn request_page(&mut self) {
        let page_size = self.page_size();
        let Some(view) = self.current.as_mut() else {
            return;
        };
        let Some(applied) = view.applied.clone() else {
            return;
        };
        view.loading = true;
        let kind = RequestKind::Page {
            collection: view.name.clone(),
            query: Box::new(applied),
            skip: view.page_index * page_size,
            limit: page_size,
        };
        self.send(kind);
    }

    /// The header sort of the current collection, if one is on.
    pub fn column_sort(&self) -> Option<ColumnSort> {
        let parsed = self.current.as_ref()?.applied.as_ref()?;
        let sort = parsed.sort.as_ref()?.as_object()?;
        if sort.len() != 1 {
            return None;
        }
        let (field, direction) = sort.iter().next()?;
        let direction = match direction.as_i64()? {
            1 => SortDirection::Ascending,
            -1 => SortDirection::Descending,
            _ => return None,
        };
        Some(ColumnSort {
            field: field.clone(),
            direction,
        })
    }

    /// A header click: ascending, then descending, then off. The engine sorts
    /// the whole result; the count does not change.
    pub fn sort_by_column(&mut self, field: &str) {
        let next = match self.column_sort() {
            Some(sort) if sort.field == field => match sort.direction {
                SortDirection::Ascending => Some(ColumnSort {
                    field: field.to_owned(),
                    direction: SortDirection::Descending,
                }),
                SortDirection::Descending => None,
            },
            _ => Some(ColumnSort {
                field: field.to_owned(),
                direction: SortDirection::Ascending,
            }),
        };
        self.query.sort = next.as_ref().map(sort_text).unwrap_or_default();
        if let (Some(folder), Some(view)) = (&self.folder, &self.current) {
            self.settings.prefs_mut(&folder.path, &view.name).sort = next;
        }
        self.run_query();
    }

    /// The last page's index, once the count is known.
    pub fn last_page_index(&self) -> Option<usize> {
        match self.current.as_ref()?.total {
            Total::Known(total) => Some(total.saturating_sub(1) / self.page_size()),
            Total::Counting | Total::Unknown => None,
        }
    }

    /// Whether a next page may exist: with the count unknown, a full page
    /// says there may be more.
    pub fn has_next_page(&self) -> bool {
        let Some(view) = &self.current else {
            return false;
        };
        match self.last_page_index() {
            Some(last) => view.page_index < last,
            None => view
                .page
                .as_ref()
                .is_some_and(|page| page.docs.len() >= self.page_size()),
        }
    }

    /// Asks for page `index` (0-based), clamped to the last known page.
    pub fn go_to_page(&mut self, index: usize) {
        let index = match self.last_page_index() {
            Some(last) => index.min(last),
            None => index,
        };
        let Some(view) = self.current.as_mut() else {
            return;
        };
        view.page_index = index;
        self.request_page();
    }

    /// A page size from the query bar; the first record shown stays on screen.
    pub fn set_page_size(&mut self, page_size: usize) {
        let first = self
            .current
            .as_ref()
            .map_or(0, |view| view.page_index * self.page_size());
        self.settings.page_size = page_size;
        let page_size = self.page_size();
        if let Some(view) = self.current.as_mut() {
            view.page_index = first / page_size;
        }
        self.request_page();
    }

    /// Stops waiting: queued work is dropped and late answers ignored.
    pub fn cancel(&mut self) {
        self.dialogs.cancel_all();
        self.outbox.push(Outgoing::Cancel);
        self.latest.remove(&Slot::Page);
        self.latest.remove(&Slot::Count);
        self.status.busy = None;
        if let Some(view) = self.current.as_mut() {
            view.loading = false;
            if view.total == Total::Counting {
                view.total = Total::Unknown;
            }
        }
    }

    /// "1–50 of 12,345", "1–50 of counting…", or "No records".
    pub fn range_label(&self) -> String {
        let Some(view) = &self.current else {
            return String::new();
        };
        let shown = view.page.as_ref().map_or(0, |page| page.docs.len());
        let total = match view.total {
            Total::Known(total) => format_count(total),
            Total::Counting => "counting…".to_owned(),
            Total::Unknown => "?".to_owned(),
        };
        if shown == 0 {
            return match view.total {
                Total::Known(0) => "No records".to_owned(),
                _ => format!("0 of {total}"),
            };
        }
        let first = view.page.as_ref().map_or(0, |page| page.skip) + 1;
        format!(
            "{}–{} of {total}",
            format_count(first),
            format_count(first + shown - 1)
        )
    }

    /// The selected records as JSON: one object, or an array of several.
    pub fn selection_json(&self) -> Option<String> {
        let view = self.current.as_ref()?;
        let page = view.page.as_ref()?;
        let selected: Vec<&Document> = view
            .selection
            .rows
            .iter()
            .filter_map(|&row| page.docs.get(row))
            .collect();
        match selected.as_slice() {
            [] => None,
            [one] => serde_json::to_string_pretty(one).ok(),
            many => serde_json::to_string_pretty(many).ok(),
        }
    }

    /// Remembers a grid column width for this collection.
    pub fn set_column_width(&mut self, field: &str, width: f32) {
        if let (Some(folder), Some(view)) = (&self.folder, &self.current) {
            let widths = &mut self
                .settings
                .prefs_mut(&folder.path, &view.name)
                .column_widths;
            if widths.get(field).is_none_or(|w| (w - width).abs() > 0.5) {
                widths.insert(field.to_owned(), width);
            }
        }
    }

    pub fn column_width(&self, field: &str) -> Option<f32> {
        let folder = self.folder.as_ref()?;
        let view = self.current.as_ref()?;
        self.settings
            .prefs(&folder.path, &view.name)?
            .column_widths
            .get(field)
            .copied()
    }

    pub fn dismiss_error(&mut self) {
        self.status.last_error = None;
    }

    // ----- worker events -----

    pub fn apply(&mut self, event: Event) {
        let Event { id, kind } = event;
        match kind {
            EventKind::Started { what } => self.status.busy = Some(what),
            EventKind::Idle => self.status.busy = None,
            EventKind::Notice(text) => self.status.notice = Some(text),
            EventKind::IndexesWarm { .. } => {}
            EventKind::Opened(opened) => {
                if self.is_latest(&Slot::Folder, id) {
                    self.on_opened(opened);
                }
            }
            EventKind::Closed => {
                if self.is_latest(&Slot::Folder, id) {
                    self.forget_folder();
                }
            }
            EventKind::Info(summary) => {
                let slot = Slot::Info(summary.name.clone());
                if self.is_latest(&slot, id)
                    && let Some(entry) =
                        self.collections.iter_mut().find(|e| e.name == summary.name)
                {
                    entry.summary = Some(summary);
                }
            }
            EventKind::Page {
                collection,
                skip,
                docs,
                elapsed,
                explain,
            } => {
                if self.is_latest(&Slot::Page, id) {
                    self.on_page(&collection, skip, docs, elapsed, explain);
                    if let Some(page) = self.current.as_mut().and_then(|v| v.page.as_mut()) {
                        page.request_id = id;
                    }
                }
            }
            EventKind::Count {
                collection,
                total,
                elapsed,
                ..
            } => {
                let is_current = self.current.as_ref().is_some_and(|v| v.name == collection);
                if self.is_latest(&Slot::Count, id) && is_current {
                    if let Some(view) = self.current.as_mut() {
                        view.total = Total::Known(total);
                    }
                    self.status.count_time = Some(elapsed);
                }
            }
            EventKind::Edit(event) => self.on_edit_event(id, event),
            EventKind::Manage(event) => {
                if let Some(outcome) = self.dialogs.apply(id, event) {
                    self.after_job(outcome);
                }
            }
            EventKind::Failed { what, why } => self.on_failed(id, what, why),
            EventKind::Stopped { why } => self.on_worker_stopped(why),
        }
    }

    fn on_opened(&mut self, opened: OpenedFolder) {
        self.opening = None;
        self.edit.leave_folder();
        self.settings.remember_folder(&opened.path);
        self.collections = opened
            .collections
            .iter()
            .map(|name| CollectionEntry {
                name: name.clone(),
                summary: None,
            })
            .collect();
        self.folder = Some(FolderView {
            path: opened.path,
            read_only: opened.read_only,
            legacy: opened.legacy,
        });
        self.current = None;
        self.status.last_error = None;
        for name in &opened.collections {
            self.send(RequestKind::Info {
                collection: name.clone(),
            });
        }
        if let Some(first) = opened.collections.first() {
            self.select_collection(first);
        }
    }

    fn on_page(
        &mut self,
        collection: &str,
        skip: usize,
        docs: Vec<Document>,
        elapsed: Duration,
        explain: Option<ExplainSummary>,
    ) {
        let page_size = self.page_size();
        let sort_field = self.column_sort().map(|sort| sort.field);
        let Some(view) = self.current.as_mut().filter(|v| v.name == collection) else {
            return;
        };
        // A short page ends the result: the total is known without a count.
        if docs.len() < page_size
            && (view.total == Total::Counting || view.total == Total::Unknown)
            && (!docs.is_empty() || skip == 0)
        {
            view.total = Total::Known(skip + docs.len());
        }
        let previous_columns = view
            .page
            .take()
            .map(|page| page.columns)
            .unwrap_or_default();
        let mut page = Page::new(skip, docs);
        if let Some(sort) = &sort_field {
            keep_column(&mut page.columns, sort, &previous_columns);
        }
        view.page = Some(page);
        view.page_error = None;
        view.loading = false;
        view.selection.clear();
        view.expanded = None;
        self.status.query_time = Some(elapsed);
        self.status.explain = explain;
    }

    fn on_failed(&mut self, id: RequestId, what: String, why: String) {
        let report = ErrorReport { what, why };
        if self.dialogs.fail(id, &report) {
            self.status.last_error = Some(report);
            return;
        }
        let ErrorReport { what, why } = report;
        let slot = self
            .latest
            .iter()
            .find(|(_, latest)| **latest == id)
            .map(|(slot, _)| slot.clone());
        let Some(slot) = slot else {
            // The answer to a request that was superseded or cancelled.
            return;
        };
        match slot {
            Slot::Folder => self.opening = None,
            Slot::Page => {
                if let Some(view) = self.current.as_mut() {
                    view.loading = false;
                    view.page = None;
                    view.selection.clear();
                    view.page_error = Some(ErrorReport {
                        what: what.clone(),
                        why: why.clone(),
                    });
                }
            }
            Slot::Count => {
                if let Some(view) = self.current.as_mut() {
                    view.total = Total::Unknown;
                }
            }
            Slot::Info(_) | Slot::Manage => {}
            // Stopped by a newer request (or failed): the indexes are built
            // by the query that needs them instead. Nothing to report.
            Slot::Warm => return,
            Slot::Edit(slot) => self.on_edit_failed(slot, &why),
        }
        self.status.last_error = Some(ErrorReport { what, why });
    }

    // ----- dialog jobs -----

    /// Sends a dialog's job to the worker; the dialog keeps the id.
    pub fn send_manage(&mut self, request: ManageRequest) -> RequestId {
        self.send(RequestKind::Manage(request))
    }

    /// A dialog's job finished: its message goes to the status line, the
    /// sidebar is read again if collections changed, and the grid if the
    /// records it shows did.
    fn after_job(&mut self, outcome: Outcome) {
        self.status.notice = Some(outcome.message.clone());
        let mut rerun = outcome.changed.is_some()
            && self.current.as_ref().map(|v| &v.name) == outcome.changed.as_ref();
        if let Some(names) = outcome.collections {
            let current = self.current.as_ref().map(|v| v.name.clone());
            self.collections = names
                .iter()
                .map(|name| CollectionEntry {
                    name: name.clone(),
                    summary: None,
                })
                .collect();
            for name in &names {
                self.send(RequestKind::Info {
                    collection: name.clone(),
                });
            }
            let shown = outcome
                .select
                .filter(|name| names.contains(name))
                .or(current.filter(|name| names.contains(name)))
                .or_else(|| names.first().cloned());
            match shown {
                Some(name) if self.current.as_ref().map(|v| &v.name) != Some(&name) => {
                    self.select_collection(&name);
                    rerun = false;
                }
                Some(_) => {}
                None => self.current = None,
            }
        }
        if rerun {
            // Its records changed: the count is read again too.
            if let Some(view) = self.current.as_mut() {
                view.applied = None;
            }
            self.run_query();
        }
    }

    /// The worker thread ended: report it, and reopen the folder (which
    /// restarts the worker) so the user can carry on.
    fn on_worker_stopped(&mut self, why: String) {
        self.status.busy = None;
        self.status.last_error = Some(ErrorReport {
            what: "the background worker".to_owned(),
            why,
        });
        if let Some(view) = self.current.as_mut() {
            view.loading = false;
        }
        if let Some(folder) = &self.folder {
            let path = folder.path.clone();
            self.send(RequestKind::Open {
                path,
                create: false,
            });
        }
    }
}

/// `{"field": 1}` or `{"field": -1}` as the sort box shows it.
pub fn sort_text(sort: &ColumnSort) -> String {
    let mut object = serde_json::Map::new();
    object.insert(sort.field.clone(), Value::from(sort.direction.as_number()));
    Value::Object(object).to_string()
}

/// The folder the sample database lives in, under the app's data folder.
pub fn sample_folder(data_dir: &Path) -> PathBuf {
    data_dir.join("sample-db")
}

/// Set-ups the state's tests and the edit state's tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use serde_json::json;

    pub(crate) use crate::engine::test_doc as doc;

    pub fn requests(state: &mut State) -> Vec<Request> {
        state
            .take_outgoing()
            .into_iter()
            .filter_map(|out| match out {
                Outgoing::Request(request) => Some(request),
                Outgoing::Cancel => None,
            })
            .collect()
    }

    pub fn find(requests: &[Request], slot: Slot) -> Option<Request> {
        requests
            .iter()
            .rev()
            .find(|r| r.kind.slot() == slot)
            .cloned()
    }

    /// A state with `/db` open and `people` selected; returns the page and count ids.
    pub fn opened() -> (State, RequestId, RequestId) {
        let mut state = State::new(Settings::default());
        state.open_folder(PathBuf::from("/db"), false);
        let open = requests(&mut state);
        state.apply(Event {
            id: open[0].id,
            kind: EventKind::Opened(OpenedFolder {
                path: PathBuf::from("/db"),
                read_only: false,
                legacy: false,
                collections: vec!["people".into(), "places".into()],
            }),
        });
        let sent = requests(&mut state);
        let page = find(&sent, Slot::Page).map_or(0, |r| r.id);
        let count = find(&sent, Slot::Count).map_or(0, |r| r.id);
        (state, page, count)
    }

    pub fn page_event(id: RequestId, skip: usize, n: usize) -> Event {
        Event {
            id,
            kind: EventKind::Page {
                collection: "people".into(),
                skip,
                docs: (0..n)
                    .map(|i| doc(json!({"_id": format!("r{}", skip + i), "n": i})))
                    .collect(),
                elapsed: Duration::from_millis(3),
                explain: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::studio::query::QueryField;
    use serde_json::json;

    #[test]
    fn opening_asks_for_every_collection_then_shows_the_first() {
        let mut state = State::new(Settings::default());
        state.open_folder(PathBuf::from("/db"), false);
        let open = requests(&mut state);
        state.apply(Event {
            id: open[0].id,
            kind: EventKind::Opened(OpenedFolder {
                path: PathBuf::from("/db"),
                read_only: false,
                legacy: false,
                collections: vec!["a".into(), "b".into()],
            }),
        });
        let sent = requests(&mut state);
        assert!(find(&sent, Slot::Info("a".into())).is_some());
        assert!(find(&sent, Slot::Info("b".into())).is_some());
        assert!(find(&sent, Slot::Page).is_some());
        assert_eq!(state.current.as_ref().map(|v| v.name.as_str()), Some("a"));
        assert_eq!(state.settings.recent_folders, vec![PathBuf::from("/db")]);
    }

    #[test]
    fn the_first_page_shows_while_the_count_is_still_running() {
        let (mut state, page, _) = opened();
        state.apply(page_event(page, 0, 50));
        assert_eq!(state.range_label(), "1–50 of counting…");
    }

    #[test]
    fn the_count_fills_in_the_total() {
        let (mut state, page, count) = opened();
        state.apply(page_event(page, 0, 50));
        state.apply(Event {
            id: count,
            kind: EventKind::Count {
                collection: "people".into(),
                filter: json!({}),
                total: 12345,
                elapsed: Duration::ZERO,
            },
        });
        assert_eq!(state.range_label(), "1–50 of 12,345");
        assert_eq!(state.last_page_index(), Some(246));
    }

    #[test]
    fn a_short_first_page_gives_the_total_without_waiting_for_the_count() {
        let (mut state, page, _) = opened();
        state.apply(page_event(page, 0, 7));
        assert_eq!(state.range_label(), "1–7 of 7");
    }

    #[test]
    fn a_superseded_page_answer_is_dropped() {
        let (mut state, old_page, _) = opened();
        state.go_to_page(3);
        let newer = find(&requests(&mut state), Slot::Page).map_or(0, |r| r.id);
        state.apply(page_event(old_page, 0, 50));
        assert!(state.current.as_ref().is_some_and(|v| v.page.is_none()));
        state.apply(page_event(newer, 150, 50));
        assert_eq!(
            state
                .current
                .as_ref()
                .and_then(|v| v.page.as_ref())
                .map(|p| p.skip),
            Some(150)
        );
    }

    #[test]
    fn invalid_json_is_marked_with_line_and_column_and_never_sent() {
        let (mut state, _, _) = opened();
        state.query.filter = "{\n  \"age\": }".into();
        state.run_query();
        assert!(requests(&mut state).is_empty());
        let problem = state.query_problem.clone();
        assert_eq!(
            problem.as_ref().map(|p| (p.field, p.line, p.column)),
            Some((QueryField::Filter, 2, 10))
        );
    }

    #[test]
    fn running_a_query_sends_a_page_and_a_count_and_remembers_the_filter() {
        let (mut state, _, _) = opened();
        state.query.filter = r#"{"age": {"$gt": 30}}"#.into();
        state.run_query();
        let sent = requests(&mut state);
        match find(&sent, Slot::Page).map(|r| r.kind) {
            Some(RequestKind::Page {
                query, skip, limit, ..
            }) => {
                assert_eq!(query.filter, json!({"age": {"$gt": 30}}));
                assert_eq!((skip, limit), (0, 50));
            }
            other => panic!("expected a page request, got {other:?}"),
        }
        assert!(find(&sent, Slot::Count).is_some());
        assert_eq!(
            state.history().first().map(String::as_str),
            Some(r#"{"age": {"$gt": 30}}"#)
        );
    }

    #[test]
    fn header_clicks_cycle_ascending_descending_off_without_recounting() {
        let (mut state, page, count) = opened();
        state.apply(page_event(page, 0, 50));
        state.apply(Event {
            id: count,
            kind: EventKind::Count {
                collection: "people".into(),
                filter: json!({}),
                total: 500,
                elapsed: Duration::ZERO,
            },
        });
        let mut sorts = Vec::new();
        for _ in 0..3 {
            state.sort_by_column("age");
            let sent = requests(&mut state);
            assert!(
                find(&sent, Slot::Count).is_none(),
                "a sort must not recount"
            );
            match find(&sent, Slot::Page).map(|r| r.kind) {
                Some(RequestKind::Page { query, .. }) => sorts.push(query.sort),
                other => panic!("expected a page request, got {other:?}"),
            }
        }
        assert_eq!(
            sorts,
            vec![Some(json!({"age": 1})), Some(json!({"age": -1})), None]
        );
    }

    #[test]
    fn the_header_sort_is_remembered_per_collection() {
        let (mut state, _, _) = opened();
        state.sort_by_column("age");
        state.select_collection("places");
        assert_eq!(state.query.sort, "");
        state.select_collection("people");
        assert_eq!(state.query.sort, r#"{"age":1}"#);
    }

    #[test]
    fn go_to_page_is_clamped_to_the_last_page() {
        let (mut state, _, count) = opened();
        state.apply(Event {
            id: count,
            kind: EventKind::Count {
                collection: "people".into(),
                filter: json!({}),
                total: 120,
                elapsed: Duration::ZERO,
            },
        });
        state.go_to_page(99);
        match find(&requests(&mut state), Slot::Page).map(|r| r.kind) {
            Some(RequestKind::Page { skip, .. }) => assert_eq!(skip, 100),
            other => panic!("expected a page request, got {other:?}"),
        }
    }

    #[test]
    fn changing_the_page_size_keeps_the_first_record_on_screen() {
        let (mut state, _, _) = opened();
        state.go_to_page(4); // records 201..250 with 50 a page
        state.set_page_size(100);
        assert_eq!(state.current.as_ref().map(|v| v.page_index), Some(2));
    }

    #[test]
    fn a_failed_page_shows_what_and_why() {
        let (mut state, page, _) = opened();
        state.apply(Event {
            id: page,
            kind: EventKind::Failed {
                what: "querying people".into(),
                why: "invalid query: unknown operator $foo".into(),
            },
        });
        let error = state.status.last_error.as_ref().map(ToString::to_string);
        assert_eq!(
            error.as_deref(),
            Some("Querying people failed: invalid query: unknown operator $foo")
        );
        assert!(
            state
                .current
                .as_ref()
                .is_some_and(|v| !v.loading && v.page.is_none())
        );
        assert!(
            state
                .current
                .as_ref()
                .is_some_and(|v| v.page_error.is_some())
        );
    }

    #[test]
    fn cancel_drops_late_answers_and_leaves_the_total_unknown() {
        let (mut state, page, _) = opened();
        state.cancel();
        assert!(state.take_outgoing().contains(&Outgoing::Cancel));
        state.apply(page_event(page, 0, 50));
        assert!(
            state
                .current
                .as_ref()
                .is_some_and(|v| v.page.is_none() && v.total == Total::Unknown)
        );
    }

    #[test]
    fn a_stopped_worker_is_reported_and_the_folder_reopened() {
        let (mut state, _, _) = opened();
        state.apply(Event {
            id: 0,
            kind: EventKind::Stopped { why: "gone".into() },
        });
        assert!(state.status.last_error.is_some());
        let reopen = find(&requests(&mut state), Slot::Folder).map(|r| r.kind);
        assert_eq!(
            reopen,
            Some(RequestKind::Open {
                path: PathBuf::from("/db"),
                create: false
            })
        );
    }

    #[test]
    fn columns_put_id_first_then_first_seen_order() {
        let docs = vec![
            doc(json!({"b": 1, "_id": "x"})),
            doc(json!({"a": 1, "b": 2, "c": 3})),
        ];
        assert_eq!(columns_of(&docs), vec!["_id", "b", "a", "c"]);
    }

    #[test]
    fn the_sorted_column_stays_when_the_page_lacks_its_field() {
        let (mut state, page, _) = opened();
        state.apply(Event {
            id: page,
            kind: EventKind::Page {
                collection: "people".into(),
                skip: 0,
                docs: vec![doc(json!({"_id": "a", "name": "x", "age": 3, "city": "y"}))],
                elapsed: Duration::ZERO,
                explain: None,
            },
        });
        state.sort_by_column("age");
        let sorted = find(&requests(&mut state), Slot::Page).map_or(0, |r| r.id);
        state.apply(Event {
            id: sorted,
            kind: EventKind::Page {
                collection: "people".into(),
                skip: 0,
                docs: vec![doc(json!({"_id": "b", "name": "x", "city": "y"}))],
                elapsed: Duration::ZERO,
                explain: None,
            },
        });
        let columns = state
            .current
            .as_ref()
            .and_then(|v| v.page.as_ref())
            .map(|p| p.columns.clone());
        assert_eq!(
            columns,
            Some(vec![
                "_id".into(),
                "name".into(),
                "age".into(),
                "city".into()
            ])
        );
    }

    #[test]
    fn selection_clicks_follow_shift_and_ctrl() {
        let mut selection = Selection::default();
        selection.click(2, ClickModifiers::default());
        selection.click(
            5,
            ClickModifiers {
                shift: true,
                toggle: false,
            },
        );
        assert_eq!(
            selection.rows.iter().copied().collect::<Vec<_>>(),
            vec![2, 3, 4, 5]
        );
        selection.click(
            3,
            ClickModifiers {
                shift: false,
                toggle: true,
            },
        );
        assert_eq!(
            selection.rows.iter().copied().collect::<Vec<_>>(),
            vec![2, 4, 5]
        );
        selection.click(1, ClickModifiers::default());
        assert_eq!(selection.rows.iter().copied().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn copying_one_record_gives_an_object_and_several_an_array() {
        let (mut state, page, _) = opened();
        state.apply(page_event(page, 0, 3));
        if let Some(view) = state.current.as_mut() {
            view.selection.click(0, ClickModifiers::default());
        }
        let one = state.selection_json().unwrap_or_default();
        assert!(one.trim_start().starts_with('{'), "{one}");
        if let Some(view) = state.current.as_mut() {
            view.selection.select_all(3);
        }
        let many: Value = serde_json::from_str(&state.selection_json().unwrap_or_default())
            .unwrap_or(Value::Null);
        assert_eq!(many.as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn column_widths_are_remembered_per_collection_and_survive_a_save() {
        let (mut state, _, _) = opened();
        state.set_column_width("name", 210.0);
        state.select_collection("places");
        assert_eq!(state.column_width("name"), None);
        state.select_collection("people");
        assert_eq!(state.column_width("name"), Some(210.0));
        let saved = serde_json::to_string(&state.settings).unwrap_or_default();
        let loaded: Settings = serde_json::from_str(&saved).unwrap_or_default();
        assert_eq!(loaded, state.settings);
    }

    #[test]
    fn the_sidebar_filter_is_case_insensitive() {
        let (mut state, _, _) = opened();
        state.collection_filter = "PLA".into();
        let names: Vec<_> = state
            .visible_collections()
            .map(|e| e.name.clone())
            .collect();
        assert_eq!(names, vec!["places"]);
    }
}
