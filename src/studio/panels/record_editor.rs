//! The record editor side panel: the selected record as pretty JSON,
//! editable, checked as typed; Save stages it. New, Duplicate and Delete.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use egui::{Galley, RichText, TextBuffer, Ui};

use super::json_view::folds_ui;
use crate::studio::state::RowMark;
use crate::studio::state::State;
use crate::studio::state::folding::{FoldedText, ValuePath};
use crate::studio::widgets::json_highlight::{layout_job, offset_of};

#[derive(Default)]
pub struct RecordEditorPanel {
    /// The layout of a big record's folded text, with what it was made from.
    folded_layout: Option<(u64, Arc<Galley>)>,
}

impl RecordEditorPanel {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        state.sync_record_editor();
        let blocked = state.edit_blocked();
        let can_edit = state.can_edit();
        let why = blocked.unwrap_or("Pick a collection first");
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.heading("Record");
            if state.current_is_legacy() {
                crate::studio::panels::top_bar::badge_ui(
                    ui,
                    "text only",
                    egui::Color32::from_rgb(0xc0, 0x80, 0x20),
                )
                .on_hover_text(
                    "A Python 0.1 collection: numbers, bools and objects are stored as their text",
                );
            }
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(can_edit, egui::Button::new("New record"))
                .on_hover_text("Stage a new record with a fresh _id")
                .on_disabled_hover_text(why)
                .clicked()
            {
                state.new_record();
            }
            let selected = state.editor_row().is_some();
            if ui
                .add_enabled(can_edit && selected, egui::Button::new("Duplicate"))
                .on_hover_text("Stage a copy of the selected records with new _ids")
                .on_disabled_hover_text(why)
                .clicked()
            {
                state.duplicate_selected();
            }
            if ui
                .add_enabled(can_edit && selected, egui::Button::new("Delete"))
                .on_hover_text("Stage the deletion of the selected records")
                .on_disabled_hover_text(why)
                .clicked()
            {
                state.delete_selected();
            }
        });
        ui.separator();
        let Some(id) = state.edit.record.id.clone() else {
            ui.label(RichText::new("Select a record to edit it here").weak());
            return;
        };
        let mark = state
            .editor_row()
            .and_then(|row| state.row_record(row))
            .map(|(_, mark)| mark);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&id).monospace().strong());
            match mark {
                Some(RowMark::Changed) => {
                    ui.label(RichText::new("changed (pending)").italics());
                }
                Some(RowMark::New) => {
                    ui.label(RichText::new("new (pending)").italics());
                }
                _ => {}
            }
        });
        let folded =
            (state.edit.record.folded.as_ref()).map(|folded| self.folded_ui(ui, folded, can_edit));
        if let Some(show) = folded {
            if let (Some(path), Some(row)) = (show, state.editor_row()) {
                state.open_value_viewer(row, &path);
            }
            return;
        }
        let problem = state.edit.record.problem.clone();
        let error_at = problem
            .as_ref()
            .map(|p| offset_of(&state.edit.record.text, p.line, p.column));
        let dark = ui.visuals().dark_mode;
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        let mut layouter = |ui: &Ui, buffer: &dyn TextBuffer, _wrap_width: f32| {
            let mut job = layout_job(buffer.as_str(), font.clone(), dark, error_at);
            // As code editors do: a long value stays on its key's line and
            // the editor scrolls sideways, rather than wrapping mid-JSON.
            job.wrap.max_width = f32::INFINITY;
            ui.fonts_mut(|fonts| fonts.layout_job(job))
        };
        let buttons_height = 70.0;
        let mut changed = false;
        let label = ui.label(RichText::new("Record JSON").small().weak());
        egui::ScrollArea::both()
            .max_height((ui.available_height() - buttons_height).max(80.0))
            .show(ui, |ui| {
                let response = ui
                    .add_enabled(
                        can_edit,
                        egui::TextEdit::multiline(&mut state.edit.record.text)
                            .id_salt("record-editor")
                            .code_editor()
                            .hint_text("the record as JSON")
                            .desired_width(f32::INFINITY)
                            .desired_rows(12)
                            .layouter(&mut layouter),
                    )
                    .labelled_by(label.id);
                changed = response.changed();
            });
        if changed {
            state.edit.record_text_changed();
        }
        match &state.edit.record.problem {
            Some(problem) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {problem}"));
            }
            None if state.edit.record.dirty => {
                ui.label(
                    RichText::new("Valid JSON · Save stages the change")
                        .small()
                        .weak(),
                );
            }
            None => {}
        }
        ui.horizontal(|ui| {
            let dirty = state.edit.record.dirty;
            let valid = state.edit.record.problem.is_none();
            if ui
                .add_enabled(can_edit && dirty && valid, egui::Button::new("Save"))
                .on_hover_text("Stage this record (Write changes writes it)")
                .on_disabled_hover_text(if can_edit {
                    "Fix the JSON or change something first"
                } else {
                    why
                })
                .clicked()
            {
                state.save_record_text();
            }
            if ui
                .add_enabled(dirty, egui::Button::new("Discard"))
                .on_hover_text("Drop the edits in this editor")
                .clicked()
            {
                state.discard_record_text();
            }
        });
    }

    /// A big record: its folded text, read only, laid out once; "show all"
    /// for each folded value and for the whole record open the viewer,
    /// whose editor stages the change. Returns the path to open.
    fn folded_ui(&mut self, ui: &mut Ui, folded: &FoldedText, can_edit: bool) -> Option<ValuePath> {
        let mut open = None;
        ui.label(
            RichText::new(
                "A big record: long values are folded. Show all opens one in the viewer, \
                 to read, search and edit it.",
            )
            .small(),
        );
        let dark = ui.visuals().dark_mode;
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        // Wrapped at the panel's width, so a folded value's length is seen.
        let width = ui.available_width().floor();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&folded.text, dark, font.size.to_bits(), width.to_bits()).hash(&mut hasher);
        let key = hasher.finish();
        if self.folded_layout.as_ref().is_none_or(|(k, _)| *k != key) {
            let mut job = layout_job(&folded.text, font, dark, None);
            job.wrap.max_width = width;
            let galley = ui.fonts_mut(|fonts| fonts.layout_job(job));
            self.folded_layout = Some((key, galley));
        }
        let buttons_height = 40.0 + 24.0 * folded.folds.len().min(9) as f32;
        egui::ScrollArea::vertical()
            .id_salt("record-folded")
            .max_height((ui.available_height() - buttons_height).max(80.0))
            .show(ui, |ui| {
                if let Some((_, galley)) = &self.folded_layout {
                    ui.add(egui::Label::new(galley.clone()).selectable(true));
                }
            });
        ui.separator();
        if let Some(path) = folds_ui(ui, usize::MAX, folded) {
            open = Some(path);
        }
        let label = if can_edit {
            "Edit the whole record"
        } else {
            "Show the whole record"
        };
        if ui
            .button(label)
            .on_hover_text("The record as JSON in the viewer, edited a page at a time")
            .clicked()
        {
            open = Some(ValuePath::default());
        }
        open
    }
}
