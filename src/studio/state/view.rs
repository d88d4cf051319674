//! What the grid, the sidebar and the status bar show, as plain data: the
//! open folder, its collections, the collection on screen with its applied
//! query, page, total and selection, and the status line.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::Document;
use crate::studio::query::ParsedQuery;
use crate::studio::report::ErrorReport;
use crate::studio::worker::{CollectionSummary, ExplainSummary, RequestId};

/// The open folder.
#[derive(Clone, Debug, PartialEq)]
pub struct FolderView {
    pub path: PathBuf,
    pub read_only: bool,
    /// Other programs may write it between Studio's writes.
    pub shared: bool,
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
pub(super) fn keep_column(columns: &mut Vec<String>, field: &str, previous: &[String]) {
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
    /// Set while a live refresh reads the page again: what to keep.
    pub kept: Option<KeptView>,
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
    /// A folder another program writes, followed live.
    pub live: Option<LiveStatus>,
}

/// What the status bar says of a folder another program writes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveStatus {
    /// Following its commits (false: held still by Pause).
    pub following: bool,
    /// Records inserted, updated or deleted since the folder opened.
    pub changes: usize,
    /// The other program closed the folder: it can be opened for writing.
    pub writer_gone: bool,
}

/// What a live refresh of the page keeps: the rows selected and the value
/// open in the expand view, by `_id`, and whether the total was known.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeptView {
    pub selected: Vec<String>,
    pub expanded: Option<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_doc as doc;
    use serde_json::json;

    #[test]
    fn columns_put_id_first_then_first_seen_order() {
        let docs = vec![
            doc(json!({"b": 1, "_id": "x"})),
            doc(json!({"a": 1, "b": 2, "c": 3})),
        ];
        assert_eq!(columns_of(&docs), vec!["_id", "b", "a", "c"]);
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
}
