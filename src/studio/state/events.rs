//! How the state takes the worker's answers: [`State::apply`] drops those
//! to superseded requests and updates the folder, the sidebar, the page,
//! the total, the dialogs and the status line from the rest. A dialog's job
//! is sent here too, and its outcome refreshes what it changed.

use std::time::Duration;

use super::model::State;
use super::view::{CollectionEntry, FolderView, LiveStatus, Page, Total, keep_column};
use crate::Document;
use crate::studio::report::ErrorReport;
use crate::studio::worker::jobs::{ManageRequest, Outcome};
use crate::studio::worker::{
    Event, EventKind, ExplainSummary, OpenedFolder, RequestId, RequestKind, Slot,
};

impl State {
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
            EventKind::Live(update) => self.on_live(update),
            EventKind::SchemaProgress { read, total } => self.on_schema_progress(id, read, total),
            EventKind::Schema { schema, elapsed } => self.on_schema(id, schema, elapsed),
            EventKind::ChartProgress { read, total } => self.on_chart_progress(id, read, total),
            EventKind::Chart(answer) => self.on_chart(id, *answer),
            EventKind::Following { live } => {
                if let Some(status) = self.status.live.as_mut() {
                    status.following = live;
                }
            }
            EventKind::Databases { uri, names } => {
                if self.is_latest(&Slot::Connect, id) {
                    self.on_databases(&uri, names);
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
            shared: opened.shared,
            legacy: opened.legacy,
        });
        self.current = None;
        self.status.last_error = None;
        if opened.read_only {
            // The status bar's Live part says it from now on.
            self.status.notice = None;
        }
        self.status.live = (opened.read_only || opened.shared).then(|| LiveStatus {
            following: true,
            ..LiveStatus::default()
        });
        for name in &opened.collections {
            self.send(RequestKind::Info {
                collection: name.clone(),
            });
        }
        let again = self
            .reselect
            .take()
            .filter(|name| opened.collections.contains(name));
        if let Some(shown) = again.as_ref().or(opened.collections.first()) {
            self.select_collection(shown);
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
        let previous_columns = match view.page.take() {
            Some(mut old) => {
                let columns = std::mem::take(&mut old.columns);
                self.outbox.discard(old);
                columns
            }
            None => Vec::new(),
        };
        let mut page = Page::new(skip, docs);
        if let Some(sort) = &sort_field {
            keep_column(&mut page.columns, sort, &previous_columns);
        }
        view.selection.clear();
        view.expanded = None;
        if let Some(kept) = view.kept.take() {
            // A live refresh: the same records stay selected where they
            // still are, and the value open in the expand view stays open.
            for (row, doc) in page.docs.iter().enumerate() {
                let id = doc.get("_id").and_then(|id| id.as_str());
                if id.is_some_and(|id| kept.selected.iter().any(|k| k == id)) {
                    view.selection.rows.insert(row);
                }
                if let (Some(id), Some((open_id, field))) = (id, &kept.expanded)
                    && id == open_id
                {
                    view.expanded = Some((row, field.clone()));
                }
            }
        }
        view.page = Some(page);
        view.page_error = None;
        view.loading = false;
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
        let Some(slot) = self.outbox.slot_of(id) else {
            // The answer to a request that was superseded or cancelled, or
            // (id 0) a failure of the worker's own, such as a live look.
            if id == 0 {
                self.status.last_error = Some(ErrorReport { what, why });
            }
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
            Slot::Info(_) | Slot::Manage | Slot::Live => {}
            Slot::Schema => {
                // Shown in the tab; a cancelled analysis says so there.
                self.on_schema_failed(id, &why);
                return;
            }
            Slot::Chart => {
                self.on_chart_failed(id, &why);
                return;
            }
            Slot::Connect => {
                if let Some(dialog) = self.connect.as_mut() {
                    dialog.testing = false;
                }
            }
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::studio::settings::Settings;
    use serde_json::json;
    use std::path::PathBuf;

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
                shared: false,
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
}
