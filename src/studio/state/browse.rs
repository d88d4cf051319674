//! The user's actions on the folder and the grid: open, close and the
//! sidebar filter; select a collection, run, reset and page a query, sort
//! by a column header, cancel; copy the selection and keep column widths.
//! Each changes the state at once and queues what the worker must do.

use std::path::PathBuf;

use serde_json::Value;

use super::chart_tab::ChartTab;
use super::edit_forms::Guarded;
use super::model::State;
use super::schema_tab::SchemaTab;
use super::view::{CollectionEntry, CollectionView, Selection, Status, Total};
use crate::Document;
use crate::studio::format::format_count;
use crate::studio::query::QueryForm;
use crate::studio::settings::{ColumnSort, SortDirection};
use crate::studio::worker::RequestKind;

impl State {
    // ----- folder actions -----

    pub fn open_folder(&mut self, path: PathBuf, create: bool) {
        if self.edit.hold(Guarded::OpenFolder {
            path: path.clone(),
            create,
        }) {
            return;
        }
        self.opening = Some(path.display().to_string());
        self.send(RequestKind::Open { path, create });
    }

    pub fn open_sample(&mut self, folder: PathBuf) {
        if self.edit.hold(Guarded::OpenSample(folder.clone())) {
            return;
        }
        self.opening = Some("the sample database".to_owned());
        self.send(RequestKind::OpenSample { folder });
    }

    pub fn close_folder(&mut self) {
        if self.edit.hold(Guarded::CloseFolder) {
            return;
        }
        self.send(RequestKind::Close);
        self.forget_folder();
    }

    pub(super) fn forget_folder(&mut self) {
        self.edit.leave_folder();
        self.folder = None;
        self.collections.clear();
        self.current = None;
        self.status = Status::default();
        self.schema = SchemaTab::default();
        self.chart = ChartTab::default();
        self.outbox.forget_all_but_folder();
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
            && self.edit.hold(Guarded::SelectCollection(name.to_owned()))
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
            kept: None,
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

    /// Stops waiting: queued work is dropped and late answers ignored. The
    /// status line says what was cancelled.
    pub fn cancel(&mut self) {
        self.dialogs.cancel_all();
        self.cancel_schema();
        self.cancel_chart();
        self.outbox.cancel();
        if let Some(busy) = self.status.busy.take() {
            self.status.notice = Some(format!("Cancelled {busy}"));
        }
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
}

/// `{"field": 1}` or `{"field": -1}` as the sort box shows it.
pub fn sort_text(sort: &ColumnSort) -> String {
    let mut object = serde_json::Map::new();
    object.insert(sort.field.clone(), Value::from(sort.direction.as_number()));
    Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::super::outbox::Outgoing;
    use super::super::test_support::*;
    use super::super::view::ClickModifiers;
    use super::*;
    use crate::studio::query::QueryField;
    use crate::studio::settings::Settings;
    use crate::studio::worker::{Event, EventKind, Slot};
    use serde_json::json;
    use std::time::Duration;

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
    fn cancel_says_what_it_cancelled_and_a_cancelled_detail_is_no_error() {
        let (mut state, _, _) = opened();
        let info = state.send(RequestKind::Info {
            collection: "people".into(),
        });
        state.apply(Event {
            id: info,
            kind: EventKind::Started {
                what: "counting people".into(),
            },
        });
        state.cancel();
        assert_eq!(
            state.status.notice.as_deref(),
            Some("Cancelled counting people")
        );
        assert_eq!(state.status.busy, None);
        // The sidebar's details stopped by the cancel answer late: dropped.
        state.apply(Event {
            id: info,
            kind: EventKind::Failed {
                what: "reading people's details".into(),
                why: "cancelled".into(),
            },
        });
        assert_eq!(state.status.last_error, None);
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
