//! The dialogs: Import, Export, Backup database, Restore, Compare with
//! backup, New collection, Rename, Clear, Drop, Compression, Indexes and
//! Export chart data,
//! Connect to MongoDB,
//! plus the sidebar's context menu.
//!
//! Their plain data is in the state ([`State::dialogs`], `state::dialogs`),
//! their work on the worker (`worker::jobs`); here each module draws one
//! dialog, `job_ui` the progress and outcome they all show, `file_picker`
//! the native file dialog. A dialog is taken out of the state while it
//! draws, so it can send its job through the state.

pub mod backup;
pub mod chart_export;
pub mod collection;
pub mod compare;
pub mod connect;
pub mod export;
pub mod file_picker;
pub mod import;
pub mod indexes;
pub mod job_ui;

use std::path::Path;

use self::chart_export::ChartWriter;
use self::file_picker::{FilePicker, PickFor};
use crate::studio::report::ErrorReport;
use crate::studio::state::State;
use crate::studio::state::dialogs::ImportDialog;
use crate::studio::worker::jobs::FileFormat;

/// Draws the open dialogs; owns what is not plain data (the file picker).
#[derive(Default)]
pub struct DialogsUi {
    picker: FilePicker,
    chart_writer: ChartWriter,
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
                PickFor::Compare => {
                    if let Some(d) = &mut dialogs.compare {
                        d.path = text;
                    }
                }
                PickFor::ChartData => {
                    if let Some(export) = &mut state.chart.export {
                        export.path = text;
                        export.outcome = None;
                    }
                }
            }
        }
        import::window_ui(ctx, state, &mut self.picker);
        export::window_ui(ctx, state, &mut self.picker);
        backup::backup_window_ui(ctx, state, &mut self.picker);
        backup::restore_window_ui(ctx, state, &mut self.picker);
        compare::window_ui(ctx, state, &mut self.picker);
        collection::windows_ui(ctx, state);
        indexes::window_ui(ctx, state);
        chart_export::window_ui(ctx, state, &mut self.picker, &mut self.chart_writer);
        connect::window_ui(ctx, state);
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
