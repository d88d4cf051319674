//! The value viewer "show all" opens: one big value (a long string, a
//! large array or object, a whole big record) as text cut into short rows,
//! so the window lays out only the rows on screen; search; and edits made
//! a page of rows at a time, so no frame lays out more than a page.
//!
//! A string is shown as its characters, anything else as pretty JSON. The
//! text is written over several frames ([`ValueViewer::prepare_step`]), a
//! few megabytes a frame, so opening a 16 MiB value never stalls one.

use serde_json::Value;

use super::folding::{ValuePath, length_words};
use crate::Document;
use crate::studio::format::format_count;

/// The longest row, in bytes: longer lines are cut into rows of this size.
pub const ROW_BYTES: usize = 120;
/// Rows edited at once.
pub const PAGE_ROWS: usize = 200;
/// Text written per frame while the viewer opens.
pub const PREPARE_STEP_BYTES: usize = 2 * 1024 * 1024;
/// Matches a search finds at most.
pub const MAX_MATCHES: usize = 10_000;

/// How the value is written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewerKind {
    /// A string's own characters, unescaped.
    Text,
    /// Pretty JSON, as the record editor writes it.
    Json,
}

/// Where the value lives, so Save can stage it back.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewerTarget {
    pub collection: String,
    pub id: String,
    /// Empty: the whole record.
    pub path: ValuePath,
}

/// What the viewer is written from, one step at a time.
pub enum Viewed<'a> {
    Value(&'a Value),
    Record(&'a Document),
}

/// A page of rows open in the page editor.
#[derive(Clone, Debug, PartialEq)]
pub struct PageEdit {
    pub first_row: usize,
    start: usize,
    end: usize,
    pub text: String,
}

impl PageEdit {
    /// The page's number, from 0.
    pub fn number(&self) -> usize {
        self.first_row / PAGE_ROWS
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueViewer {
    pub title: String,
    /// "8,388,608 bytes", "1,000,000 items".
    pub length: String,
    pub kind: Option<ViewerKind>,
    /// Where Save stages the value; `None`: read only (a diff, a backup).
    pub target: Option<ViewerTarget>,
    /// A value from outside the page (a diff's side), kept until written out.
    pub(super) detached: Option<Value>,
    text: String,
    rows: Vec<usize>,
    /// The next entry of the value to write; `None` once written out.
    next_entry: Option<usize>,
    entries: usize,
    pub search: String,
    matches: Vec<usize>,
    current_match: Option<usize>,
    /// The row to bring into view on the next frame.
    pub scroll_to_row: Option<usize>,
    pub page: Option<PageEdit>,
    /// The text has edits not staged yet.
    pub dirty: bool,
    pub problem: Option<String>,
    /// Shown once Save staged the value.
    pub saved: bool,
}

impl ValueViewer {
    /// A viewer of `value`, titled `title`, not written out yet.
    pub fn new(title: String, value: Viewed<'_>, target: Option<ViewerTarget>) -> ValueViewer {
        let (kind, length, entries) = match value {
            Viewed::Value(value) => (
                if value.is_string() {
                    ViewerKind::Text
                } else {
                    ViewerKind::Json
                },
                length_words(value).unwrap_or_default(),
                match value {
                    Value::Array(items) => items.len(),
                    Value::Object(map) => map.len(),
                    _ => 1,
                },
            ),
            Viewed::Record(doc) => (
                ViewerKind::Json,
                format!("{} fields", format_count(doc.len())),
                doc.len(),
            ),
        };
        ValueViewer {
            title,
            length,
            kind: Some(kind),
            target,
            next_entry: Some(0),
            entries,
            ..ValueViewer::default()
        }
    }

    pub fn is_ready(&self) -> bool {
        self.next_entry.is_none()
    }

    /// How much is written, 0 to 1, while the viewer opens.
    pub fn progress(&self) -> f32 {
        match self.next_entry {
            None => 1.0,
            Some(next) => next as f32 / self.entries.max(1) as f32,
        }
    }

    pub fn editable(&self) -> bool {
        self.target.is_some() && self.is_ready()
    }

    /// Writes about [`PREPARE_STEP_BYTES`] more of `value` into the text.
    pub fn prepare_step(&mut self, value: Viewed<'_>) {
        let Some(mut next) = self.next_entry else {
            return;
        };
        let reindex_from = self.rows.pop().unwrap_or(0);
        let budget = self.text.len() + PREPARE_STEP_BYTES;
        match value {
            Viewed::Value(Value::String(s)) => {
                let end = floor_boundary(s, (next + PREPARE_STEP_BYTES).min(s.len()));
                self.text.push_str(&s[next..end]);
                self.entries = s.len();
                next = end;
            }
            Viewed::Value(Value::Array(items)) => {
                if next == 0 {
                    self.text.push('[');
                }
                while next < items.len() && self.text.len() < budget {
                    self.entry(None, &items[next], next + 1 == items.len());
                    next += 1;
                }
                if next == items.len() {
                    self.close(items.is_empty(), ']');
                }
            }
            Viewed::Value(Value::Object(map)) => next = self.object_step(map, next, budget),
            Viewed::Record(doc) => next = self.object_step(doc, next, budget),
            Viewed::Value(scalar) => {
                self.text = serde_json::to_string_pretty(scalar).unwrap_or_default();
                next = 1;
                self.entries = 1;
            }
        }
        self.next_entry = (next < self.entries).then_some(next);
        index_rows(&self.text, reindex_from, &mut self.rows);
    }

    fn object_step(&mut self, map: &Document, mut next: usize, budget: usize) -> usize {
        if next == 0 {
            self.text.push('{');
        }
        for (key, child) in map.iter().skip(next) {
            if self.text.len() >= budget {
                break;
            }
            self.entry(Some(key), child, next + 1 == map.len());
            next += 1;
        }
        if next == map.len() {
            self.close(map.is_empty(), '}');
        }
        next
    }

    /// One entry of the top container, indented as serde_json's pretty printer does.
    fn entry(&mut self, key: Option<&str>, value: &Value, last: bool) {
        self.text.push_str("\n  ");
        if let Some(key) = key {
            self.text
                .push_str(&serde_json::to_string(key).unwrap_or_default());
            self.text.push_str(": ");
        }
        let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
        self.text.push_str(&pretty.replace('\n', "\n  "));
        if !last {
            self.text.push(',');
        }
    }

    fn close(&mut self, empty: bool, bracket: char) {
        if !empty {
            self.text.push('\n');
        }
        self.text.push(bracket);
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// A row's text, without its line break.
    pub fn row(&self, index: usize) -> &str {
        let Some(&start) = self.rows.get(index) else {
            return "";
        };
        let end = self.rows.get(index + 1).copied().unwrap_or(self.text.len());
        let row = &self.text[start..end];
        row.strip_suffix('\n').unwrap_or(row)
    }

    /// The byte range of a row in the text.
    pub fn row_start(&self, index: usize) -> usize {
        self.rows.get(index).copied().unwrap_or(self.text.len())
    }

    /// The row a byte offset of the text falls in.
    pub fn row_of(&self, offset: usize) -> usize {
        self.rows
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    // ----- search -----

    /// Finds every place the search text occurs (up to [`MAX_MATCHES`]) and
    /// goes to the first.
    pub fn find(&mut self) {
        self.matches.clear();
        self.current_match = None;
        if self.search.is_empty() {
            return;
        }
        self.matches = self
            .text
            .match_indices(self.search.as_str())
            .map(|(at, _)| at)
            .take(MAX_MATCHES)
            .collect();
        self.go_to_match(0);
    }

    /// Moves to the next (`1`) or previous (`-1`) match, round the end.
    pub fn next_match(&mut self, step: isize) {
        if self.matches.is_empty() {
            return;
        }
        let len = self.matches.len() as isize;
        let at = self.current_match.map_or(0, |at| at as isize);
        self.go_to_match((at + step).rem_euclid(len) as usize);
    }

    fn go_to_match(&mut self, index: usize) {
        if let Some(&offset) = self.matches.get(index) {
            self.current_match = Some(index);
            self.scroll_to_row = Some(self.row_of(offset));
        }
    }

    /// "3 of 120", "no match", or nothing before a search.
    pub fn match_label(&self) -> Option<String> {
        if self.search.is_empty() {
            return None;
        }
        Some(match self.current_match {
            None => "no match".to_owned(),
            Some(at) => {
                let more = if self.matches.len() == MAX_MATCHES {
                    "+"
                } else {
                    ""
                };
                format!("{} of {}{more}", at + 1, self.matches.len())
            }
        })
    }

    /// The matches that start in a row, as byte ranges within the row.
    pub fn matches_in_row(&self, row: usize) -> Vec<std::ops::Range<usize>> {
        let start = self.row_start(row);
        let end = start + self.row(row).len();
        let first = self.matches.partition_point(|&at| at < start);
        self.matches[first..]
            .iter()
            .take_while(|&&at| at < end)
            .map(|&at| at - start..(at - start + self.search.len()).min(end - start))
            .collect()
    }

    /// The match the search is on, as (row, range within the row).
    pub fn current_match(&self) -> Option<usize> {
        self.current_match
            .and_then(|i| self.matches.get(i))
            .copied()
    }

    // ----- editing a page at a time -----

    /// Opens the page holding `row` in the page editor.
    pub fn edit_page_at(&mut self, row: usize) {
        if !self.editable() {
            return;
        }
        self.apply_page();
        let first_row = row.min(self.rows.len().saturating_sub(1)) / PAGE_ROWS * PAGE_ROWS;
        let start = self.row_start(first_row);
        let end = self.row_start(first_row + PAGE_ROWS);
        self.page = Some(PageEdit {
            first_row,
            start,
            end,
            text: self.text[start..end].to_owned(),
        });
        self.scroll_to_row = Some(first_row);
    }

    /// The pages the text has.
    pub fn page_count(&self) -> usize {
        self.rows.len().div_ceil(PAGE_ROWS).max(1)
    }

    /// Puts the page editor's text back into the whole text.
    pub fn apply_page(&mut self) {
        let Some(page) = self.page.take() else {
            return;
        };
        if self.text[page.start..page.end] == *page.text {
            return;
        }
        self.text.replace_range(page.start..page.end, &page.text);
        self.rows.truncate(page.first_row);
        index_rows(&self.text, page.start, &mut self.rows);
        self.dirty = true;
        self.saved = false;
        self.problem = None;
        self.matches.clear();
        self.current_match = None;
    }

    /// Drops the page editor's edits.
    pub fn cancel_page(&mut self) {
        self.page = None;
    }

    /// Applies the page and opens the next (`1`) or previous (`-1`) one.
    pub fn turn_page(&mut self, step: isize) {
        let Some(first) = self.page.as_ref().map(|p| p.first_row) else {
            return;
        };
        let target = first as isize + step * PAGE_ROWS as isize;
        if target < 0 || target as usize >= self.rows.len() {
            return;
        }
        self.apply_page();
        self.edit_page_at(target as usize);
    }

    /// The edited value: the text itself for a string, else the JSON it
    /// reads as (the error with its line and column if it does not).
    pub fn edited_value(&self) -> Result<Value, String> {
        match self.kind {
            Some(ViewerKind::Text) => Ok(Value::String(self.text.clone())),
            _ => serde_json::from_str(&self.text).map_err(|e| e.to_string()),
        }
    }
}

/// The largest character boundary of `s` at or before `at`.
fn floor_boundary(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Appends the starts of the rows of `text` from `start` (itself a row
/// start): a row ends after a line break or after [`ROW_BYTES`] bytes
/// (on a character boundary).
fn index_rows(text: &str, mut start: usize, rows: &mut Vec<usize>) {
    let bytes = text.as_bytes();
    loop {
        rows.push(start);
        let limit = (start + ROW_BYTES).min(bytes.len());
        if let Some(at) = bytes[start..limit].iter().position(|&b| b == b'\n') {
            start += at + 1;
            continue;
        }
        if limit == bytes.len() {
            return;
        }
        start = floor_boundary(text, limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opened(value: &Value, editable: bool) -> ValueViewer {
        let target = editable.then(|| ViewerTarget {
            collection: "c".to_owned(),
            id: "a".to_owned(),
            path: ValuePath::field("v"),
        });
        let mut viewer = ValueViewer::new("v of a".to_owned(), Viewed::Value(value), target);
        let mut steps = 0;
        while !viewer.is_ready() {
            viewer.prepare_step(Viewed::Value(value));
            steps += 1;
        }
        assert!(steps >= 1);
        viewer
    }

    #[test]
    fn a_json_value_is_written_as_the_pretty_printer_writes_it_over_several_steps() {
        let value = json!((0..150_000).map(|i| json!({"i": i})).collect::<Vec<_>>());
        let mut viewer = ValueViewer::new("v".to_owned(), Viewed::Value(&value), None);
        viewer.prepare_step(Viewed::Value(&value));
        assert!(!viewer.is_ready() && viewer.progress() > 0.0 && viewer.progress() < 1.0);
        while !viewer.is_ready() {
            viewer.prepare_step(Viewed::Value(&value));
        }
        assert_eq!(
            viewer.text(),
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        assert_eq!(viewer.row(1), "  {");
        for empty in [json!([]), json!({}), json!(3)] {
            let viewer = opened(&empty, false);
            assert_eq!(viewer.text(), empty.to_string());
        }
    }

    #[test]
    fn a_string_is_shown_unescaped_in_rows_no_longer_than_a_row() {
        let text = format!("first line\n{}é{}", "a".repeat(500), "b".repeat(10));
        let viewer = opened(&json!(text), false);
        assert_eq!(viewer.text(), text);
        assert_eq!(viewer.row(0), "first line");
        assert!((1..viewer.row_count()).all(|r| viewer.row(r).len() <= ROW_BYTES));
        let joined: String = (1..viewer.row_count()).map(|r| viewer.row(r)).collect();
        assert_eq!(joined, text["first line\n".len()..]);
        assert_eq!(viewer.kind, Some(ViewerKind::Text));
        assert_eq!(viewer.length, format!("{} bytes", text.len()));
    }

    #[test]
    fn a_whole_record_reads_back_as_the_record() {
        let doc = match json!({"_id": "a", "list": [1, 2], "o": {"k": "v"}}) {
            Value::Object(map) => map,
            _ => Document::new(),
        };
        let mut viewer = ValueViewer::new("a".to_owned(), Viewed::Record(&doc), None);
        viewer.prepare_step(Viewed::Record(&doc));
        assert!(viewer.is_ready());
        assert_eq!(viewer.edited_value(), Ok(Value::Object(doc)));
    }

    #[test]
    fn search_finds_every_match_and_goes_round() {
        let text = format!("{}needle{}needle", "x".repeat(1000), "y".repeat(1000));
        let mut viewer = opened(&json!(text), false);
        viewer.search = "needle".to_owned();
        viewer.find();
        assert_eq!(viewer.match_label().as_deref(), Some("1 of 2"));
        let first_row = viewer.scroll_to_row;
        assert_eq!(first_row, Some(1000 / ROW_BYTES));
        assert_eq!(viewer.matches_in_row(1000 / ROW_BYTES), vec![40..46]);
        viewer.next_match(1);
        assert_eq!(viewer.match_label().as_deref(), Some("2 of 2"));
        viewer.next_match(1);
        assert_eq!(viewer.match_label().as_deref(), Some("1 of 2"));
        viewer.next_match(-1);
        assert_eq!(viewer.match_label().as_deref(), Some("2 of 2"));
        viewer.search = "absent".to_owned();
        viewer.find();
        assert_eq!(viewer.match_label().as_deref(), Some("no match"));
    }

    #[test]
    fn a_page_edit_changes_only_its_rows_and_reads_back() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let mut viewer = opened(&json!(text), true);
        viewer.edit_page_at(250);
        let page = viewer.page.clone();
        assert_eq!(page.as_ref().map(PageEdit::number), Some(1));
        assert_eq!(
            page.as_ref().map(|p| p.text.lines().next()),
            Some(Some("line 200"))
        );
        if let Some(page) = viewer.page.as_mut() {
            page.text = page.text.replacen("line 200\n", "changed\nand added\n", 1);
        }
        viewer.turn_page(1);
        assert!(viewer.dirty);
        assert_eq!(viewer.page.as_ref().map(PageEdit::number), Some(2));
        viewer.cancel_page();
        let expected = text.replacen("line 200\n", "changed\nand added\n", 1);
        assert_eq!(viewer.edited_value(), Ok(json!(expected)));
        assert_eq!(viewer.row(201), "and added");
        assert_eq!(viewer.row_count(), 1002);
    }

    #[test]
    fn a_read_only_viewer_opens_no_page_and_bad_json_is_refused() {
        let mut viewer = opened(&json!([1, 2]), false);
        viewer.edit_page_at(0);
        assert!(viewer.page.is_none());
        let mut viewer = opened(&json!([1, 2]), true);
        viewer.edit_page_at(0);
        if let Some(page) = viewer.page.as_mut() {
            page.text = "[1, oops]".to_owned();
        }
        viewer.apply_page();
        assert!(viewer.edited_value().is_err());
    }
}
