//! Update-many and delete-many by the current filter: the update is typed,
//! a preview shows the match count and the first records before and after,
//! and nothing is written until Apply (an empty filter also needs a tick).

use egui::{RichText, Ui};
use serde_json::Value;

use crate::studio::format::format_count;
use crate::studio::state::State;
use crate::studio::state::diff_rows::rows_of;
use crate::studio::widgets::diff_view::{diff_view_ui, removed_colour};
use crate::studio::widgets::value_cell::compact_json;

pub fn bulk_window_ui(ctx: &egui::Context, state: &mut State) {
    let Some(form) = state.edit.bulk.as_ref() else {
        return;
    };
    let title = if form.delete {
        "Delete matching records"
    } else {
        "Update matching records"
    };
    let mut open = true;
    let mut preview = false;
    let mut apply = false;
    let mut show_all = None;
    crate::studio::widgets::dialog_window(ctx, title)
        .open(&mut open)
        .default_width(620.0)
        .resizable([true, false])
        .show(ctx, |ui| {
            // An inner scroll area that shrinks to its content: the window is as tall as
            // what it shows (up to a cap), with no empty space below.
            egui::ScrollArea::vertical()
                .id_salt("bulk-scroll")
                .max_height(560.0)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    let Some(form) = state.edit.bulk.as_mut() else {
                        return;
                    };
                    ui.label(format!("Collection: {}", form.collection));
                    ui.horizontal_wrapped(|ui| {
                        ui.label("Filter (from the query bar):");
                        // Cut, as every value drawn each frame: a filter may be long.
                        let filter = compact_json(&form.filter, 300);
                        ui.label(RichText::new(filter).monospace());
                    });
                    if !form.delete {
                        let label = ui.label("Update");
                        let response = ui
                            .add(
                                egui::TextEdit::multiline(&mut form.update_text)
                                    .id_salt("bulk-update")
                                    .code_editor()
                                    .hint_text(r#"{"$set": {"field": "value"}}"#)
                                    .desired_rows(3)
                                    .desired_width(f32::INFINITY),
                            )
                            .labelled_by(label.id);
                        if response.changed() {
                            form.preview = None;
                            form.problem = None;
                        }
                    }
                    if let Some(problem) = &form.problem {
                        ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {problem}"));
                    }
                    if form.filter_is_empty() {
                        ui.checkbox(
                            &mut form.confirm_all,
                            format!(
                                "The filter is empty: change every record of {}",
                                form.collection
                            ),
                        );
                    }
                    ui.horizontal(|ui| {
                        preview = ui
                            .add_enabled(!form.running, egui::Button::new("Preview"))
                            .on_hover_text(
                                "Count the matches and show the first changes; nothing is written",
                            )
                            .clicked();
                        if form.running {
                            ui.spinner();
                        }
                        let confirmed = !form.filter_is_empty() || form.confirm_all;
                        let label = match &form.preview {
                            Some(p) if form.delete => {
                                format!("Delete {} records", format_count(p.matched))
                            }
                            Some(p) => format!("Update {} records", format_count(p.matched)),
                            None => "Apply".to_owned(),
                        };
                        apply = ui
                            .add_enabled(
                                form.preview.is_some() && confirmed && !form.running,
                                egui::Button::new(label),
                            )
                            .on_disabled_hover_text(if form.preview.is_none() {
                                "Preview first"
                            } else {
                                "Tick the box to change every record"
                            })
                            .clicked();
                    });
                    if let Some(p) = &form.preview {
                        show_all = preview_ui(ui, p);
                    }
                });
        });
    if let Some((title, value)) = show_all {
        state.open_detached_viewer(title, value);
    }
    if !open {
        state.edit.bulk = None;
    } else if preview {
        state.preview_bulk();
    } else if apply {
        state.apply_bulk();
    }
}

/// Rows of one sample's diff before "… and N more fields".
const SHOWN_FIELDS: usize = 8;

/// The preview's records and their diffs; a big value's "show all" clicked.
fn preview_ui(
    ui: &mut Ui,
    preview: &crate::studio::worker::edit::BulkPreview,
) -> Option<(String, Value)> {
    let mut shown = None;
    ui.separator();
    ui.label(
        RichText::new(format!(
            "{} records match; the first {}:",
            format_count(preview.matched),
            preview.samples.len()
        ))
        .strong(),
    );
    for ((before, after), changes) in preview.samples.iter().zip(&preview.changes) {
        let id = before
            .get("_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        ui.group(|ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(id).monospace().strong());
                if after.is_none() {
                    ui.label(RichText::new("deleted").color(removed_colour()));
                }
            });
            if after.is_some() {
                if changes.is_empty() {
                    ui.label(RichText::new("unchanged").weak());
                } else {
                    let rows = rows_of(changes, SHOWN_FIELDS);
                    if let Some(click) = diff_view_ui(ui, &rows)
                        && let Some(value) = click.value(&rows, changes)
                    {
                        shown = Some((format!("{} of {id}", click.title(&rows)), value.clone()));
                    }
                }
            }
        });
    }
    shown
}
