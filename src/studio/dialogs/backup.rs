//! File menu: Backup database… (every collection and its index definitions
//! into one file) and Restore… (the file checked whole before anything is
//! replaced, after the user confirms).

use egui::{RichText, Ui};

use super::file_picker::{FilePicker, PickFor, PickRequest};
use super::job_ui::{error_colour, job_ui};
use crate::interchange::CancelToken;
use crate::studio::state::State;
use crate::studio::state::dialogs::{FileDialog, JobState};
use crate::studio::worker::jobs::{CancelHandle, ManageRequest};

/// Opens Backup database…, suggesting a file beside the folder.
pub fn open_backup(state: &mut State) {
    let path = state
        .folder
        .as_ref()
        .and_then(|f| {
            let name = f.path.file_name()?.to_string_lossy().into_owned();
            Some(f.path.parent()?.join(format!("{name}-backup.fdb")))
        })
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    state.dialogs.backup = Some(FileDialog {
        path,
        ..FileDialog::default()
    });
}

pub fn open_restore(state: &mut State) {
    state.dialogs.restore = Some(FileDialog::default());
}

pub fn backup_window_ui(ctx: &egui::Context, state: &mut State, picker: &mut FilePicker) {
    let Some(mut dialog) = state.dialogs.backup.take() else {
        return;
    };
    let mut open = true;
    let mut close = false;
    crate::studio::widgets::dialog_window(ctx, "Back up the database")
        .open(&mut open)
        .default_width(560.0)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label("Every collection, with its index definitions, into one file.");
            path_ui(ui, &mut dialog, picker, PickFor::Backup);
            ui.separator();
            job_ui(ui, &mut dialog.job);
            ui.horizontal(|ui| {
                let path = dialog.path();
                let enabled = !dialog.job.is_running() && path.is_ok();
                if ui
                    .add_enabled(enabled, egui::Button::new("Back up"))
                    .clicked()
                    && let Ok(path) = path
                {
                    let id = state.send_manage(ManageRequest::Backup { path });
                    dialog.job = JobState::running(id, None);
                }
                close = ui.button("Close").clicked();
            });
        });
    if open && !close {
        state.dialogs.backup = Some(dialog);
    }
}

pub fn restore_window_ui(ctx: &egui::Context, state: &mut State, picker: &mut FilePicker) {
    let Some(mut dialog) = state.dialogs.restore.take() else {
        return;
    };
    let mut open = true;
    let mut close = false;
    crate::studio::widgets::dialog_window(ctx, "Restore a backup")
        .open(&mut open)
        .default_width(560.0)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label("Replaces the collections a database backup holds with its content.");
            ui.add_enabled_ui(!dialog.confirming && !dialog.job.is_running(), |ui| {
                path_ui(ui, &mut dialog, picker, PickFor::Restore);
            });
            ui.separator();
            job_ui(ui, &mut dialog.job);
            close = buttons_ui(ui, state, &mut dialog);
        });
    if open && !close {
        state.dialogs.restore = Some(dialog);
    }
}

/// Restore…, then the confirmation; true when the user closed the dialog.
fn buttons_ui(ui: &mut Ui, state: &mut State, dialog: &mut FileDialog) -> bool {
    let mut close = false;
    if dialog.confirming {
        ui.label(
            RichText::new(
                "Every collection in the backup replaces the one of the same name, records and indexes. \
                 Collections the backup does not hold stay as they are. \
                 The whole file is checked before anything is replaced.",
            )
            .color(ui.visuals().warn_fg_color),
        );
        ui.horizontal(|ui| {
            if ui.button("Yes, restore").clicked()
                && let Ok(path) = dialog.path()
            {
                // Cancel stops it while the backup is checked and staged.
                let cancel = CancelToken::new();
                let id = state.send_manage(ManageRequest::Restore {
                    path,
                    cancel: CancelHandle(cancel.clone()),
                });
                dialog.job = JobState::running(id, Some(cancel));
                dialog.confirming = false;
            }
            if ui.button("Don't restore").clicked() {
                dialog.confirming = false;
            }
        });
        return false;
    }
    ui.horizontal(|ui| {
        let path = dialog.path();
        let read_only = state.read_only_reason();
        let enabled = !dialog.job.is_running() && path.is_ok() && read_only.is_none();
        let button = ui.add_enabled(enabled, egui::Button::new("Restore…"));
        let button = match (read_only, &path) {
            (Some(why), _) => button.on_disabled_hover_text(why),
            (None, Err(why)) => button.on_disabled_hover_text(why.as_str()),
            _ => button,
        };
        if button.clicked() {
            dialog.confirming = true;
        }
        close = ui.button("Close").clicked();
        if let (Err(why), false) = (&path, dialog.path.is_empty()) {
            ui.label(RichText::new(why).small().color(error_colour(ui)));
        }
    });
    close
}

fn path_ui(ui: &mut Ui, dialog: &mut FileDialog, picker: &mut FilePicker, target: PickFor) {
    let save = target == PickFor::Backup;
    let suggested = Some(std::path::PathBuf::from(dialog.path.trim())).filter(|_| save);
    picker.path_ui(ui, &mut dialog.path, "/path/to/backup.fdb", || {
        PickRequest {
            target,
            save,
            title: if save {
                "Back up the database to"
            } else {
                "Restore from"
            },
            filters: vec![("FluxDB backup", vec!["fdb"])],
            suggested,
        }
    });
}
