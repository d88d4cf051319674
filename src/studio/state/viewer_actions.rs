//! The state's side of the value viewer: "show all" on a value of the page
//! (editable, staged back by Save like any edit) or on a value from
//! elsewhere (a diff's side: read only), and the frame-by-frame writing
//! of its text.

use serde_json::Value;

use super::edit_forms::{RowMark, record_id};
use super::folding::ValuePath;
use super::model::State;
use super::value_viewer::{ValueViewer, Viewed, ViewerTarget};
use crate::studio::edit::record_text::parse_record;

impl State {
    /// Opens the viewer on the value at `path` of a grid row (the whole
    /// record for an empty path); editable when the collection is.
    pub fn open_value_viewer(&mut self, row: usize, path: &ValuePath) {
        let can_edit = self.can_edit();
        let Some(view) = self.current.as_ref() else {
            return;
        };
        let Some((doc, mark)) = self.edit.row_record(view, row) else {
            return;
        };
        let Some(id) = record_id(&doc).map(str::to_owned) else {
            return;
        };
        let target = (can_edit && mark != RowMark::Deleted).then(|| ViewerTarget {
            collection: view.name.clone(),
            id: id.clone(),
            path: path.clone(),
        });
        let viewer = if path.is_root() {
            ValueViewer::new(format!("record {id}"), Viewed::Record(&doc), target)
        } else {
            let Some(value) = path.get_in(&doc) else {
                return;
            };
            let title = format!("{} of {id}", path.dotted());
            ValueViewer::new(title, Viewed::Value(value), target)
        };
        self.edit.cell = None;
        self.edit.viewer = Some(viewer);
        self.step_value_viewer();
    }

    /// Opens a read-only viewer on a value that is not on the page.
    pub fn open_detached_viewer(&mut self, title: String, value: Value) {
        let mut viewer = ValueViewer::new(title, Viewed::Value(&value), None);
        viewer.detached = Some(value);
        self.edit.viewer = Some(viewer);
        self.step_value_viewer();
    }

    /// Writes the next part of the viewer's text (called once a frame while
    /// it opens). A record that left the page ends it with why.
    pub fn step_value_viewer(&mut self) {
        let Some(mut viewer) = self.edit.viewer.take() else {
            return;
        };
        if !viewer.is_ready() {
            if let Some(value) = viewer.detached.take() {
                viewer.prepare_step(Viewed::Value(&value));
                if !viewer.is_ready() {
                    viewer.detached = Some(value);
                }
            } else if let Some(target) = viewer.target.clone() {
                match self.target_row(&target) {
                    Some(row) => self.prepare_from_row(&mut viewer, row, &target.path),
                    None => {
                        viewer.problem =
                            Some(format!("record {:?} is no longer on this page", target.id));
                        viewer.target = None;
                    }
                }
            }
        }
        self.edit.viewer = Some(viewer);
    }

    fn prepare_from_row(&self, viewer: &mut ValueViewer, row: usize, path: &ValuePath) {
        let Some((doc, _)) = self.row_record(row) else {
            return;
        };
        if path.is_root() {
            viewer.prepare_step(Viewed::Record(&doc));
        } else if let Some(value) = path.get_in(&doc) {
            viewer.prepare_step(Viewed::Value(value));
        }
    }

    /// The grid row of the viewer's record.
    fn target_row(&self, target: &ViewerTarget) -> Option<usize> {
        let view = self
            .current
            .as_ref()
            .filter(|v| v.name == target.collection)?;
        (0..self.edit.grid_rows(view)).find(|&row| {
            self.edit
                .row_record(view, row)
                .is_some_and(|(doc, _)| record_id(&doc) == Some(target.id.as_str()))
        })
    }

    /// Save: stages the record with the viewer's value in it. Bad JSON (or
    /// a changed `_id` of a whole record) is refused with why.
    pub fn save_value_viewer(&mut self) -> bool {
        let Some(mut viewer) = self.edit.viewer.take() else {
            return false;
        };
        let staged = self.stage_viewer(&mut viewer);
        self.edit.viewer = Some(viewer);
        staged
    }

    fn stage_viewer(&mut self, viewer: &mut ValueViewer) -> bool {
        viewer.apply_page();
        let Some(target) = viewer.target.clone() else {
            return false;
        };
        if !self.can_edit() {
            return false;
        }
        let Some(row) = self.target_row(&target) else {
            viewer.problem = Some(format!(
                "record {:?} is no longer on this page; nothing was staged",
                target.id
            ));
            return false;
        };
        let after = {
            let Some((doc, _)) = self.row_record(row) else {
                return false;
            };
            if target.path.is_root() {
                match parse_record(viewer.text(), &target.id) {
                    Ok(doc) => doc,
                    Err(problem) => {
                        viewer.problem = Some(problem.to_string());
                        return false;
                    }
                }
            } else {
                let value = match viewer.edited_value() {
                    Ok(value) => value,
                    Err(problem) => {
                        viewer.problem = Some(problem);
                        return false;
                    }
                };
                let mut after = doc.into_owned();
                if !target.path.set_in(&mut after, value) {
                    viewer.problem = Some(format!(
                        "{} is no longer in the record",
                        target.path.dotted()
                    ));
                    return false;
                }
                after
            }
        };
        let Some(view) = self.current.as_ref() else {
            return false;
        };
        self.edit.stage_row(view, row, Some(after));
        viewer.dirty = false;
        viewer.problem = None;
        viewer.saved = true;
        true
    }

    pub fn close_value_viewer(&mut self) {
        self.edit.viewer = None;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::super::folding::PathStep;
    use super::super::test_support::{doc, opened};
    use super::*;
    use crate::studio::worker::{Event, EventKind};

    /// `people` with a 50,000-byte text in r0 and small records after it.
    fn with_big_record() -> State {
        let (mut state, page, _) = opened();
        let big = "word ".repeat(10_000);
        let docs = vec![
            doc(json!({"_id": "r0", "text": big, "list": (0..500).collect::<Vec<_>>()})),
            doc(json!({"_id": "r1", "text": "small"})),
        ];
        state.apply(Event {
            id: page,
            kind: EventKind::Page {
                collection: "people".into(),
                skip: 0,
                docs,
                elapsed: Duration::from_millis(1),
                explain: None,
            },
        });
        state
    }

    fn ready(state: &mut State) {
        while state.edit.viewer.as_ref().is_some_and(|v| !v.is_ready()) {
            state.step_value_viewer();
        }
    }

    #[test]
    fn a_big_record_is_folded_in_the_record_editor_and_the_cell_editor() {
        let mut state = with_big_record();
        if let Some(view) = state.current.as_mut() {
            view.selection.click(0, Default::default());
        }
        state.sync_record_editor();
        let editor = &state.edit.record;
        assert_eq!(
            editor.text, "",
            "no copy of the big record as editable text"
        );
        let folded = editor
            .folded
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default();
        assert!(folded.contains("\"word word") && folded.contains("<50,000 bytes>"));
        assert!(folded.contains("<500 items>"));
        state.start_cell_edit(0, "text");
        let cell = state.edit.cell.clone();
        assert_eq!(cell.as_ref().map(|c| c.text.as_str()), Some(""));
        assert!(
            cell.and_then(|c| c.folded)
                .is_some_and(|f| f.ends_with("<50,000 bytes>"))
        );
        assert!(!state.commit_cell_edit(), "a folded cell stages nothing");
        // A small record stays editable as text.
        if let Some(view) = state.current.as_mut() {
            view.selection.click(1, Default::default());
        }
        state.sync_record_editor();
        assert!(state.edit.record.folded.is_none());
        assert!(state.edit.record.text.contains("\"small\""));
    }

    #[test]
    fn show_all_opens_the_value_and_save_stages_the_edited_record() {
        let mut state = with_big_record();
        state.open_value_viewer(0, &ValuePath::field("text"));
        ready(&mut state);
        let viewer = state.edit.viewer.as_mut().expect("the viewer is open");
        assert_eq!(viewer.title, "text of r0");
        assert!(viewer.editable());
        viewer.edit_page_at(0);
        if let Some(page) = viewer.page.as_mut() {
            page.text.replace_range(0..4, "WORD");
        }
        assert!(state.save_value_viewer());
        let staged = state
            .edit
            .pending
            .get("people", "r0")
            .and_then(|c| c.after.clone());
        let text = staged
            .as_ref()
            .and_then(|d| d["text"].as_str())
            .unwrap_or_default();
        assert!(text.starts_with("WORD word") && text.len() == 50_000);
        assert_eq!(
            staged.map(|d| d["list"].clone()),
            Some(json!((0..500).collect::<Vec<_>>()))
        );
        assert!(
            state
                .edit
                .viewer
                .as_ref()
                .is_some_and(|v| v.saved && !v.dirty)
        );
    }

    #[test]
    fn an_element_of_an_array_and_the_whole_record_are_saved_in_place() {
        let mut state = with_big_record();
        let path = ValuePath::field("list").child(PathStep::Index(3));
        state.open_value_viewer(0, &path);
        ready(&mut state);
        if let Some(viewer) = state.edit.viewer.as_mut() {
            viewer.edit_page_at(0);
            if let Some(page) = viewer.page.as_mut() {
                page.text = "{\"x\": 1}".to_owned();
            }
        }
        assert!(state.save_value_viewer());
        let staged = state
            .edit
            .pending
            .get("people", "r0")
            .and_then(|c| c.after.clone());
        assert_eq!(staged.map(|d| d["list"][3].clone()), Some(json!({"x": 1})));

        // The whole record: a changed _id is refused, with why.
        state.open_value_viewer(0, &ValuePath::default());
        ready(&mut state);
        if let Some(viewer) = state.edit.viewer.as_mut() {
            viewer.edit_page_at(0);
            if let Some(page) = viewer.page.as_mut() {
                page.text = page.text.replacen("\"r0\"", "\"other\"", 1);
            }
        }
        assert!(!state.save_value_viewer());
        let problem = state.edit.viewer.as_ref().and_then(|v| v.problem.clone());
        assert!(problem.is_some_and(|p| p.contains("_id cannot be changed")));
    }

    #[test]
    fn a_detached_value_is_read_only() {
        let mut state = with_big_record();
        state.open_detached_viewer("text (before)".to_owned(), json!("x".repeat(5000)));
        ready(&mut state);
        let viewer = state.edit.viewer.as_ref().expect("open");
        assert!(!viewer.editable());
        assert_eq!(viewer.text().len(), 5000);
        assert!(!state.save_value_viewer());
    }
}
