//! The Indexes dialog: the collection's indexed fields, each with Drop, and
//! a field to index (built on the worker with progress).

use egui::RichText;

use super::job_ui::job_ui;
use crate::studio::state::State;
use crate::studio::state::dialogs::{IndexesDialog, JobState};
use crate::studio::worker::jobs::ManageRequest;

pub fn open(state: &mut State, collection: &str) {
    state.dialogs.indexes = Some(IndexesDialog {
        collection: collection.to_owned(),
        ..IndexesDialog::default()
    });
}

pub fn window_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.dialogs.indexes.take() else {
        return;
    };
    let fields = state
        .collections
        .iter()
        .find(|c| c.name == dialog.collection)
        .and_then(|c| c.summary.as_ref())
        .map(|s| s.indexed_fields.clone());
    let read_only = state.read_only_reason();
    let mut open = true;
    crate::studio::widgets::dialog_window(ctx, format!("Indexes of {}", dialog.collection))
        .id(egui::Id::unique("indexes-dialog"))
        .open(&mut open)
        .default_width(420.0)
        .collapsible(false)
        .show(ctx, |ui| {
            let busy = dialog.job.is_running();
            match &fields {
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("reading the indexes…");
                    });
                }
                Some(fields) if fields.is_empty() => {
                    ui.label(RichText::new("No indexed fields: every query scans.").weak());
                }
                Some(fields) => {
                    egui::Grid::new("indexes").striped(true).show(ui, |ui| {
                        for field in fields {
                            ui.label(RichText::new(field).monospace());
                            let drop = ui
                                .add_enabled(
                                    !busy && read_only.is_none(),
                                    egui::Button::new(format!("Drop index on {field}")),
                                )
                                .on_disabled_hover_text(read_only.unwrap_or("Wait for the job"));
                            if drop.clicked() {
                                let id = state.send_manage(ManageRequest::DropIndex {
                                    collection: dialog.collection.clone(),
                                    field: field.clone(),
                                });
                                dialog.job = JobState::running(id, None);
                            }
                            ui.end_row();
                        }
                    });
                }
            }
            ui.separator();
            ui.horizontal(|ui| {
                let label = ui.label("Field to index");
                ui.add(
                    egui::TextEdit::singleline(&mut dialog.new_field)
                        .hint_text("age or address.city")
                        .desired_width(180.0),
                )
                .labelled_by(label.id);
                let field = dialog.new_field.trim().to_owned();
                let create = ui
                    .add_enabled(
                        !busy && !field.is_empty() && read_only.is_none(),
                        egui::Button::new("Create index"),
                    )
                    .on_disabled_hover_text(read_only.unwrap_or("Type a field (a dot path)"));
                if create.clicked() {
                    let id = state.send_manage(ManageRequest::CreateIndex {
                        collection: dialog.collection.clone(),
                        field,
                    });
                    dialog.job = JobState::running(id, None);
                    dialog.new_field.clear();
                }
            });
            job_ui(ui, &mut dialog.job);
        });
    if open {
        state.dialogs.indexes = Some(dialog);
    }
}
