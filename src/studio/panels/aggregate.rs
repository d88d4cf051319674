//! The Aggregation tab: a pipeline editor with syntax colours and live
//! validation, Run, and the result as a grid of the same cells.

use egui::{Align, Layout, RichText, TextBuffer, Ui};
use egui_extras::{Column, TableBuilder};

use crate::studio::format::{format_count, format_duration};
use crate::studio::state::State;
use crate::studio::widgets::json_highlight::{layout_job, offset_of};
use crate::studio::widgets::value_cell::value_cell_ui;

#[derive(Default)]
pub struct AggregatePanel;

impl AggregatePanel {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        let problem = state.edit.aggregate.problem.clone();
        let error_at = problem
            .as_ref()
            .map(|p| offset_of(&state.edit.aggregate.pipeline, p.line, p.column));
        let dark = ui.visuals().dark_mode;
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        let mut layouter = |ui: &Ui, buffer: &dyn TextBuffer, wrap_width: f32| {
            let mut job = layout_job(buffer.as_str(), font.clone(), dark, error_at);
            job.wrap.max_width = wrap_width;
            ui.fonts_mut(|fonts| fonts.layout_job(job))
        };
        let label = ui.label(RichText::new("Pipeline").strong());
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut state.edit.aggregate.pipeline)
                    .id_salt("pipeline")
                    .code_editor()
                    .hint_text(r#"[{"$group": {"_id": "$city", "n": {"$sum": 1}}}]"#)
                    .desired_rows(6)
                    .desired_width(f32::INFINITY)
                    .layouter(&mut layouter),
            )
            .labelled_by(label.id);
        if response.changed() {
            state.edit.validate_pipeline();
        }
        ui.horizontal(|ui| {
            let can_run = state.edit.aggregate.problem.is_none() && state.current.is_some();
            if ui
                .add_enabled(can_run, egui::Button::new("▶ Run pipeline"))
                .on_hover_text("Run the pipeline on the whole collection")
                .clicked()
            {
                state.run_pipeline();
            }
            if state.edit.aggregate.running {
                ui.spinner();
            }
            match &state.edit.aggregate.problem {
                Some(problem) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {problem}"));
                }
                None => {
                    ui.label(RichText::new("Valid JSON").small().weak());
                }
            }
        });
        if let Some(error) = &state.edit.aggregate.error {
            ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {error}"));
        }
        ui.separator();
        let Some(result) = &state.edit.aggregate.result else {
            ui.label(RichText::new("Run the pipeline to see its result").weak());
            return;
        };
        ui.label(format!(
            "{} result documents in {}",
            format_count(result.docs.len()),
            format_duration(result.elapsed)
        ));
        if result.docs.is_empty() {
            return;
        }
        let columns = &result.columns;
        let mut table = TableBuilder::new(ui)
            .id_salt(("pipeline-result", columns))
            .striped(true)
            .resizable(true)
            .cell_layout(Layout::left_to_right(Align::Center))
            .auto_shrink([false, false])
            .min_scrolled_height(0.0);
        for _ in columns {
            table = table.column(Column::initial(160.0).at_least(40.0).clip(true));
        }
        // An empty last column takes the spare width, so a narrow result's
        // numbers stay beside their names instead of at the far edge.
        table = table.column(Column::remainder());
        table
            .header(24.0, |mut header| {
                for field in columns {
                    header.col(|ui| {
                        ui.label(RichText::new(field).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, result.docs.len(), |mut row| {
                    let Some(doc) = result.docs.get(row.index()) else {
                        return;
                    };
                    for field in columns {
                        row.col(|ui| value_cell_ui(ui, doc.get(field)));
                    }
                });
            });
    }
}
