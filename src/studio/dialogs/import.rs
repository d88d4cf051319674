//! The Import dialog: a file (typed, browsed or dropped), its format, a
//! preview of its first records read on the worker (CSV column types shown
//! and changeable), the target collection, append or replace, skip bad
//! lines, then progress with Cancel and a summary with each skipped line.

use egui::{RichText, Ui};

use super::file_picker::{FilePicker, PickFor, PickRequest};
use super::job_ui::{error_colour, job_ui};
use crate::interchange::ColumnType;
use crate::studio::state::dialogs::{ImportDialog, JobState, PreviewState};
use crate::studio::state::{State, columns_of};
use crate::studio::widgets::value_cell::cell_text;
use crate::studio::worker::jobs::{FileFormat, ImportMode, ManageRequest, PreviewColumn};

pub fn window_ui(ctx: &egui::Context, state: &mut State, picker: &mut FilePicker) {
    let Some(mut dialog) = state.dialogs.import.take() else {
        return;
    };
    if let Some(request) = dialog.preview_request() {
        let file = match &request {
            ManageRequest::Preview { path, .. } => path
                .is_file()
                .then_some(())
                .ok_or_else(|| format!("{}: no such file", path.display())),
            _ => Ok(()),
        };
        dialog.preview = match file {
            Ok(()) => PreviewState::Loading(state.send_manage(request)),
            Err(why) => PreviewState::Failed(why),
        };
    }
    let mut open = true;
    let mut close = false;
    crate::studio::widgets::dialog_window(ctx, "Import records")
        .open(&mut open)
        .default_width(640.0)
        .collapsible(false)
        .show(ctx, |ui| {
            close = dialog_ui(ui, state, &mut dialog, picker);
        });
    if !open || close {
        // Closing stops a running import; nothing of it is kept.
        dialog.job.cancel();
    } else {
        state.dialogs.import = Some(dialog);
    }
}

/// Whether the target is (or will be) a Python 0.1 collection.
fn target_is_legacy(state: &State, target: &str) -> bool {
    match state.collections.iter().find(|c| c.name == target) {
        Some(entry) => entry.summary.as_ref().is_some_and(|s| s.legacy),
        // New collections take the folder's format when all of it is Python's.
        None => {
            !state.collections.is_empty()
                && state
                    .collections
                    .iter()
                    .all(|c| c.summary.as_ref().is_some_and(|s| s.legacy))
        }
    }
}

/// Returns true when the user closed the dialog.
fn dialog_ui(
    ui: &mut Ui,
    state: &mut State,
    dialog: &mut ImportDialog,
    picker: &mut FilePicker,
) -> bool {
    let running = dialog.job.is_running();
    let names: Vec<String> = state.collections.iter().map(|c| c.name.clone()).collect();
    ui.add_enabled_ui(!running, |ui| {
        let mut path = dialog.path.clone();
        let suggested = None;
        if picker.path_ui(ui, &mut path, "/path/to/records.jsonl", || PickRequest {
            target: PickFor::Import,
            save: false,
            title: "Import a file",
            filters: vec![
                ("FluxDB, JSON, JSON Lines, CSV", vec!["fdb", "json", "jsonl", "ndjson", "csv"]),
                ("All files", vec!["*"]),
            ],
            suggested,
        }) {
            dialog.set_path(path);
        }
        ui.horizontal(|ui| {
            let label = ui.label("Format");
            let selected = dialog.format.map_or("choose…", FileFormat::label);
            egui::ComboBox::from_id_salt("import-format")
                .selected_text(selected)
                .width(220.0)
                .show_ui(ui, |ui| {
                    for format in FileFormat::ALL {
                        if ui
                            .selectable_label(dialog.format == Some(format), format.label())
                            .clicked()
                        {
                            dialog.set_format(format);
                        }
                    }
                })
                .response
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let label = ui.label("Into collection");
            ui.add(
                egui::TextEdit::singleline(&mut dialog.target)
                    .hint_text("collection name")
                    .desired_width(200.0),
            )
            .labelled_by(label.id);
            egui::ComboBox::from_id_salt("import-existing")
                .selected_text("existing…")
                .show_ui(ui, |ui| {
                    for name in &names {
                        if ui.selectable_label(&dialog.target == name, name).clicked() {
                            dialog.target = name.clone();
                        }
                    }
                })
                .response
                .widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Existing collections")
                });
            if !dialog.target.trim().is_empty() && !names.contains(&dialog.target) {
                ui.label(RichText::new("(a new collection)").weak());
            }
        });
        let legacy = target_is_legacy(state, dialog.target.trim());
        if dialog.format == Some(FileFormat::Backup) {
            ui.label(
                "A FluxDB backup replaces the collection's records and indexes; it is checked whole first.",
            );
        } else {
            ui.horizontal(|ui| {
                ui.radio_value(&mut dialog.mode, ImportMode::Append, "Append");
                ui.add_enabled_ui(!legacy, |ui| {
                    ui.radio_value(&mut dialog.mode, ImportMode::Replace, "Replace")
                        .on_hover_text("The records are replaced only once the whole file imported")
                        .on_disabled_hover_text(
                            "A Python 0.1 collection can only be appended to",
                        );
                });
            });
            ui.checkbox(&mut dialog.skip_bad, "Skip bad lines (each is listed in the summary)");
            if !dialog.skip_bad {
                ui.label(
                    RichText::new("All or nothing: a bad line stops the import and nothing is imported.")
                        .small()
                        .weak(),
                );
            }
        }
        if legacy {
            ui.label(
                RichText::new(
                    "Python 0.1 collection: its values are text only; numbers, booleans and nested values are stored as their text.",
                )
                .color(ui.visuals().warn_fg_color),
            );
        }
    });
    ui.separator();
    let close = actions_ui(ui, state, dialog, &names);
    job_ui(ui, &mut dialog.job);
    ui.separator();
    preview_ui(ui, dialog, running);
    close
}

/// Import and Close, with why Import is off; true when the user closed.
fn actions_ui(ui: &mut Ui, state: &mut State, dialog: &mut ImportDialog, names: &[String]) -> bool {
    let mut close = false;
    ui.horizontal(|ui| {
        let problem = dialog.start(names, target_is_legacy(state, dialog.target.trim()));
        let read_only = state.read_only_reason();
        let enabled = !dialog.job.is_running() && problem.is_ok() && read_only.is_none();
        let button = ui.add_enabled(enabled, egui::Button::new("Import"));
        let button = match (&problem, read_only) {
            (_, Some(why)) => button.on_disabled_hover_text(why),
            (Err(why), None) => button.on_disabled_hover_text(why.as_str()),
            _ => button,
        };
        if button.clicked()
            && let Ok((request, cancel)) = problem.clone()
        {
            let id = state.send_manage(request);
            dialog.job = JobState::running(id, Some(cancel));
        }
        if ui.button("Close").clicked() {
            close = true;
        }
        if let (Err(why), false) = (&problem, dialog.path.trim().is_empty()) {
            ui.label(RichText::new(why).small().color(error_colour(ui)));
        }
    });
    close
}

fn preview_ui(ui: &mut Ui, dialog: &mut ImportDialog, running: bool) {
    ui.label(RichText::new("Preview").strong());
    let preview = match &dialog.preview {
        PreviewState::Empty => {
            ui.label(RichText::new("Choose a file to see its first records.").weak());
            return;
        }
        PreviewState::Loading(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("reading the first records…");
            });
            return;
        }
        PreviewState::Failed(why) => {
            ui.label(
                RichText::new(format!("⚠ Cannot read the file: {why}")).color(error_colour(ui)),
            );
            return;
        }
        PreviewState::Ready(preview) => preview.clone(),
    };
    if let Some(note) = &preview.note {
        ui.label(RichText::new(note).weak());
    }
    if !preview.csv_columns.is_empty() {
        ui.add_enabled_ui(!running, |ui| {
            csv_columns_ui(ui, dialog, &preview.csv_columns)
        });
    }
    for error in &preview.errors {
        ui.label(
            RichText::new(format!("⚠ {error}"))
                .small()
                .color(error_colour(ui)),
        );
    }
    let docs: Vec<_> = preview.documents.iter().map(|(_, d)| d.clone()).collect();
    if docs.is_empty() {
        ui.label(RichText::new("No records in the first part of the file.").weak());
        return;
    }
    let columns = columns_of(&docs);
    egui::ScrollArea::both()
        .id_salt("import-preview")
        .max_height(200.0)
        .show(ui, |ui| {
            egui::Grid::new("import-preview-grid")
                .striped(true)
                .show(ui, |ui| {
                    ui.label(RichText::new("line").weak());
                    for column in &columns {
                        ui.label(RichText::new(column).strong());
                    }
                    ui.end_row();
                    for (line, doc) in &preview.documents {
                        ui.label(RichText::new(line.to_string()).weak().monospace());
                        for column in &columns {
                            let text = doc.get(column).map(cell_text).unwrap_or_default();
                            ui.label(RichText::new(shorten(&text, 40)).monospace());
                        }
                        ui.end_row();
                    }
                });
        });
    ui.label(
        RichText::new(format!("The first {} records", preview.documents.len()))
            .small()
            .weak(),
    );
}

/// Each CSV column with its type: inferred, or chosen here.
fn csv_columns_ui(ui: &mut Ui, dialog: &mut ImportDialog, columns: &[PreviewColumn]) {
    ui.label("Column types (inferred from the first rows; change any):");
    ui.horizontal_wrapped(|ui| {
        for column in columns {
            ui.label(RichText::new(&column.name).monospace());
            let chosen = dialog.csv_types.get(&column.name).copied();
            let shown = chosen.unwrap_or(column.column_type);
            let text = if column.inferred && chosen.is_none() {
                format!("{} (inferred)", shown.name())
            } else {
                shown.name().to_owned()
            };
            egui::ComboBox::from_id_salt(("csv-type", &column.name))
                .selected_text(text)
                .show_ui(ui, |ui| {
                    for column_type in ColumnType::ALL {
                        if ui
                            .selectable_label(shown == column_type, column_type.name())
                            .clicked()
                        {
                            dialog.csv_types.insert(column.name.clone(), column_type);
                        }
                    }
                })
                .response
                .widget_info(|| {
                    egui::WidgetInfo::labeled(
                        egui::Role::ComboBox,
                        true,
                        format!("Type of {}", column.name),
                    )
                });
            ui.add_space(8.0);
        }
    });
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max_chars - 1).collect();
    short.push('…');
    short
}
