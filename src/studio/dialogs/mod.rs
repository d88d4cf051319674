//! The dialogs: Import, Export, Backup database, Restore, New collection,
//! Rename, Clear, Drop, Compression and Indexes, plus the sidebar's context menu.
//!
//! `model` is their plain data (in [`State::dialogs`]), `jobs` their work on
//! the worker; the other modules draw one dialog each. A dialog is taken out
//! of the state while it draws, so it can send its job through the state.

pub mod backup;
pub mod collection;
pub mod export;
pub mod file_picker;
pub mod import;
pub mod indexes;
pub mod model;

use std::path::Path;

use egui::{Color32, RichText, Ui};

use self::file_picker::{FilePicker, PickFor};
use crate::studio::worker::jobs::{FileFormat, JobProgress};
use self::model::{ImportDialog, JobState};
use crate::studio::format::{format_bytes, format_count};
use crate::studio::report::ErrorReport;
use crate::studio::state::State;

/// Draws the open dialogs; owns what is not plain data (the file picker).
#[derive(Default)]
pub struct DialogsUi {
    picker: FilePicker,
}

impl DialogsUi {
    pub fn ui(&mut self, ctx: &egui::Context, state: &mut State) {
        if let Some((target, path)) = self.picker.poll() {
            let text = path.display().to_string();
            let dialogs = &mut state.dialogs;
            match target {
                PickFor::Import => {
                    if let Some(d) = &mut dialogs.import {
                        d.set_path(text);
                    }
                }
                PickFor::Export => {
                    if let Some(d) = &mut dialogs.export {
                        d.path = text;
                    }
                }
                PickFor::Backup => {
                    if let Some(d) = &mut dialogs.backup {
                        d.path = text;
                    }
                }
                PickFor::Restore => {
                    if let Some(d) = &mut dialogs.restore {
                        d.path = text;
                    }
                }
            }
        }
        import::window_ui(ctx, state, &mut self.picker);
        export::window_ui(ctx, state, &mut self.picker);
        backup::backup_window_ui(ctx, state, &mut self.picker);
        backup::restore_window_ui(ctx, state, &mut self.picker);
        collection::windows_ui(ctx, state);
        indexes::window_ui(ctx, state);
    }
}

/// A file dropped on the window: the import dialog opens with it, for the
/// collection on screen. Returns false for files it does not import.
pub fn open_dropped_file(state: &mut State, path: &Path) -> bool {
    if FileFormat::from_path(path).is_none() {
        return false;
    }
    if state.folder.is_none() {
        state.status.last_error = Some(ErrorReport {
            what: format!("importing {}", path.display()),
            why: "no database folder is open; open one first, then drop the file again".to_owned(),
        });
        return true;
    }
    let target = state
        .current
        .as_ref()
        .map(|v| v.name.clone())
        .unwrap_or_default();
    state.dialogs.import = Some(ImportDialog::new(&target, Some(path)));
    true
}

/// Why write actions are off in this folder, if they are.
pub fn read_only_reason(state: &State) -> Option<&'static str> {
    state
        .folder
        .as_ref()
        .filter(|f| f.read_only)
        .map(|_| "The folder is open read-only (another program holds its writer lock): nothing can be changed")
}

pub fn error_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0xff, 0x70, 0x70)
    } else {
        Color32::from_rgb(0xb0, 0x00, 0x00)
    }
}

pub fn success_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x70, 0xd0, 0x70)
    } else {
        Color32::from_rgb(0x10, 0x70, 0x10)
    }
}

/// "1.2 MB of 40.0 MB" or "1,200 of 5,000 records".
fn progress_text(p: &JobProgress) -> String {
    let amount = |n: u64| {
        if p.unit == "bytes" {
            format_bytes(n)
        } else {
            format_count(n as usize)
        }
    };
    match p.total {
        Some(total) if p.unit == "bytes" => format!("{} of {}", amount(p.done), amount(total)),
        Some(total) => format!("{} of {} records", amount(p.done), amount(total)),
        None => format!("{} {}", amount(p.done), p.unit),
    }
}

/// A job's state: progress with Cancel, or its outcome, or what failed and why.
pub fn job_ui(ui: &mut Ui, job: &mut JobState) {
    let mut stop = false;
    match job {
        JobState::Idle => {}
        JobState::Running {
            progress,
            cancel,
            cancelling,
            ..
        } => {
            ui.horizontal(|ui| {
                let fraction = progress.as_ref().and_then(JobProgress::fraction);
                let text = progress
                    .as_ref()
                    .map_or_else(|| "working…".to_owned(), progress_text);
                let bar = egui::ProgressBar::new(fraction.unwrap_or(0.0))
                    .desired_width(300.0)
                    .text(text)
                    .animate(fraction.is_none());
                ui.add(bar);
                if cancel.is_some() {
                    let label = if *cancelling {
                        "Cancelling…"
                    } else {
                        "Cancel this job"
                    };
                    if ui
                        .add_enabled(!*cancelling, egui::Button::new(label))
                        .clicked()
                    {
                        stop = true;
                    }
                } else {
                    ui.label(RichText::new("(cannot be stopped half-way)").small().weak());
                }
            });
        }
        JobState::Done(outcome) => {
            ui.label(RichText::new(format!("✔ {}", outcome.message)).color(success_colour(ui)));
            if !outcome.problems.is_empty() {
                egui::ScrollArea::vertical()
                    .id_salt("problems")
                    .max_height(140.0)
                    .show(ui, |ui| {
                        for problem in &outcome.problems {
                            ui.label(RichText::new(problem).small().color(error_colour(ui)));
                        }
                    });
            }
        }
        JobState::Failed(error) => {
            ui.label(RichText::new(format!("⚠ {error}")).color(error_colour(ui)));
        }
    }
    if stop {
        job.cancel();
    }
}
