//! The query bar: a JSON filter editor with colours and live validation,
//! sort and projection, page size, Run, Reset and per-collection history.

use egui::{RichText, TextBuffer, Ui};

use crate::studio::copy_as::CodeForm;
use crate::studio::query::{JsonProblem, QueryField};
use crate::studio::settings::PAGE_SIZES;
use crate::studio::state::State;
use crate::studio::widgets::json_highlight::{layout_job, offset_of};

#[derive(Default)]
pub struct QueryBar;

impl QueryBar {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        let problem = state.query_problem.clone();
        let mut changed = false;
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new("Filter").strong());
            let width = (ui.available_width() - 8.0).max(100.0);
            changed |= json_editor_ui(
                ui,
                &mut state.query.filter,
                QueryField::Filter,
                problem.as_ref(),
                label.id,
                width,
                true,
            );
        });
        ui.horizontal(|ui| {
            let label = ui.label("Sort");
            changed |= json_editor_ui(
                ui,
                &mut state.query.sort,
                QueryField::Sort,
                problem.as_ref(),
                label.id,
                170.0,
                false,
            );
            let label = ui.label("Projection");
            changed |= json_editor_ui(
                ui,
                &mut state.query.projection,
                QueryField::Projection,
                problem.as_ref(),
                label.id,
                170.0,
                false,
            );
            let mut page_size = state.page_size();
            egui::ComboBox::from_label("per page")
                .selected_text(page_size.to_string())
                .width(60.0)
                .show_ui(ui, |ui| {
                    for size in PAGE_SIZES {
                        ui.selectable_value(&mut page_size, size, size.to_string());
                    }
                });
            if page_size != state.page_size() {
                state.set_page_size(page_size);
            }
            let can_run = problem.is_none() && state.current.is_some();
            if ui
                .add_enabled(can_run, egui::Button::new("▶ Run"))
                .on_hover_text("Run the query (Ctrl+Enter)")
                .clicked()
            {
                state.run_query();
            }
            if ui
                .add_enabled(state.current.is_some(), egui::Button::new("Reset"))
                .on_hover_text("Clear the filter, sort and projection")
                .clicked()
            {
                state.reset_query();
            }
            let history = state.history().to_vec();
            ui.add_enabled_ui(!history.is_empty(), |ui| {
                ui.menu_button("History", |ui| {
                    for filter in history {
                        let label = RichText::new(&filter).monospace();
                        if ui.button(label).clicked() {
                            state.use_history(filter);
                            ui.close();
                        }
                    }
                });
            });
            copy_as_ui(ui, state);
        });
        if changed {
            state.validate_query();
        }
        match &state.query_problem {
            Some(problem) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {problem}"));
            }
            None => {
                ui.label(
                    RichText::new("Valid JSON · Ctrl+Enter runs the query")
                        .small()
                        .weak(),
                );
            }
        }
        ui.add_space(2.0);
    }
}

/// A JSON text field with syntax colours; the character a problem in this
/// field points at is marked. Returns whether the text changed.
fn json_editor_ui(
    ui: &mut Ui,
    text: &mut String,
    field: QueryField,
    problem: Option<&JsonProblem>,
    label: egui::Id,
    width: f32,
    multiline: bool,
) -> bool {
    let error_at = problem
        .filter(|p| p.field == field)
        .map(|p| offset_of(text, p.line, p.column));
    let dark = ui.visuals().dark_mode;
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let mut layouter = |ui: &Ui, buffer: &dyn TextBuffer, wrap_width: f32| {
        let mut job = layout_job(buffer.as_str(), font.clone(), dark, error_at);
        job.wrap.max_width = wrap_width;
        ui.fonts_mut(|fonts| fonts.layout_job(job))
    };
    let hint = match field {
        QueryField::Filter => r#"{"age": {"$gt": 30}}"#,
        QueryField::Sort => r#"{"age": -1}"#,
        QueryField::Projection => r#"{"name": 1}"#,
    };
    let edit = if multiline {
        egui::TextEdit::multiline(text).desired_rows(2)
    } else {
        egui::TextEdit::singleline(text)
    };
    let response = ui
        .add(
            edit.id_salt(field.name())
                .code_editor()
                .hint_text(hint)
                .desired_width(width)
                .layouter(&mut layouter),
        )
        .labelled_by(label);
    response.changed()
}

/// "Copy as ▸": the query on screen (or the pipeline, on its tab) as a
/// command line, Rust, Python or MongoDB shell code, to the clipboard.
fn copy_as_ui(ui: &mut Ui, state: &mut State) {
    let can_copy = state.copied_query().is_some();
    ui.add_enabled_ui(can_copy, |ui| {
        ui.menu_button("Copy as", |ui| {
            for form in CodeForm::ALL {
                let Some(code) = state.query_as(form) else {
                    continue;
                };
                let button = ui.button(form.label());
                if button.clicked() {
                    ui.ctx().copy_text(code);
                    state.status.notice = Some(format!("Copied the query as {}", form.label()));
                    ui.close();
                } else {
                    // What would be copied, before it is.
                    button.on_hover_text(RichText::new(code).monospace());
                }
            }
        })
        .response
        .on_hover_text("Copy the filter, sort, projection and page (or the pipeline) as code");
    });
}
