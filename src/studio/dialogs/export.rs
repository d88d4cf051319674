//! The Export dialog: a collection (or the query on screen) to a FluxDB
//! backup, JSON, JSON Lines or CSV (marked lossy), with progress and Cancel.

use egui::{RichText, Ui};

use super::file_picker::{FilePicker, PickFor, PickRequest};
use super::job_ui::{error_colour, job_ui};
use crate::studio::state::State;
use crate::studio::state::dialogs::{ExportDialog, ExportScope, JobState};
use crate::studio::worker::jobs::FileFormat;

pub fn window_ui(ctx: &egui::Context, state: &mut State, picker: &mut FilePicker) {
    let Some(mut dialog) = state.dialogs.export.take() else {
        return;
    };
    let mut open = true;
    let mut close = false;
    crate::studio::widgets::dialog_window(ctx, format!("Export {}", dialog.collection))
        .id(egui::Id::unique("export-dialog"))
        .open(&mut open)
        .default_width(560.0)
        .collapsible(false)
        .show(ctx, |ui| {
            close = dialog_ui(ui, state, &mut dialog, picker);
        });
    if !open || close {
        dialog.job.cancel();
    } else {
        state.dialogs.export = Some(dialog);
    }
}

fn dialog_ui(
    ui: &mut Ui,
    state: &mut State,
    dialog: &mut ExportDialog,
    picker: &mut FilePicker,
) -> bool {
    let running = dialog.job.is_running();
    ui.add_enabled_ui(!running, |ui| {
        ui.label(RichText::new("Format").strong());
        for format in FileFormat::ALL {
            if ui.radio(dialog.format == format, format.label()).clicked() {
                dialog.set_format(format);
            }
        }
        if dialog.format.documents().is_some_and(|f| f.is_lossy()) {
            ui.label(
                RichText::new(
                    "CSV is lossy: it keeps no types (numbers and booleans come back inferred), null and a missing field are both an empty cell, nested values become JSON text.",
                )
                .color(ui.visuals().warn_fg_color),
            );
        }
        ui.add_space(4.0);
        ui.label(RichText::new("Records").strong());
        ui.radio_value(&mut dialog.scope, ExportScope::Whole, "The whole collection");
        let query_text = dialog.query.as_ref().map(|q| {
            let mut text = format!("filter {}", q.filter);
            if let Some(sort) = &q.sort {
                text.push_str(&format!(", sort {sort}"));
            }
            if let Some(projection) = &q.projection {
                text.push_str(&format!(", projection {projection}"));
            }
            text
        });
        let can_query = query_text.is_some() && dialog.format != FileFormat::Backup;
        ui.add_enabled_ui(can_query, |ui| {
            let label = match &query_text {
                Some(text) => format!("The current query ({text})"),
                None => "The current query".to_owned(),
            };
            ui.radio_value(&mut dialog.scope, ExportScope::Query, label)
                .on_disabled_hover_text(if query_text.is_none() {
                    "No filter, sort or projection is applied in the query bar"
                } else {
                    "A FluxDB backup holds the whole collection"
                });
        });
        ui.add_space(4.0);
        let suggested = Some(std::path::PathBuf::from(dialog.path.trim()));
        let extension = dialog.format.extension();
        let mut path = dialog.path.clone();
        if picker.path_ui(ui, &mut path, "/path/to/export.jsonl", || PickRequest {
            target: PickFor::Export,
            save: true,
            title: "Export to",
            filters: vec![(extension, vec![extension])],
            suggested,
        }) {
            dialog.path = path;
        }
    });
    ui.separator();
    job_ui(ui, &mut dialog.job);
    let mut close = false;
    ui.horizontal(|ui| {
        let problem = dialog.start();
        let enabled = !dialog.job.is_running() && problem.is_ok();
        let button = ui.add_enabled(enabled, egui::Button::new("Export"));
        let button = match &problem {
            Err(why) => button.on_disabled_hover_text(why.as_str()),
            Ok(_) => button,
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
        if let Err(why) = &problem {
            ui.label(RichText::new(why).small().color(error_colour(ui)));
        }
    });
    close
}
