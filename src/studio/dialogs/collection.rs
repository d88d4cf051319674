//! The sidebar's context menu and the dialogs it opens for one collection:
//! New collection (name and indexed fields), Rename, Clear (confirm), Drop
//! (type the name to confirm); Compact runs at once and reports what it
//! reclaimed in the status line.

use egui::{RichText, Ui};

use super::jobs::ManageRequest;
use super::model::{ExportDialog, ImportDialog, JobState, NameDialog};
use super::{error_colour, job_ui};
use crate::studio::state::State;

/// What the context menu asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CollectionAction {
    New,
    Rename(String),
    Clear(String),
    Drop(String),
    Export(String),
    Import(String),
    Indexes(String),
    Compact(String),
}

/// The menu of a sidebar row (`name`), or of the list (`None`).
pub fn context_menu_ui(
    ui: &mut Ui,
    read_only: Option<&'static str>,
    name: Option<&str>,
) -> Option<CollectionAction> {
    let mut action = None;
    let mut item = |ui: &mut Ui, text: &str, writes: bool, chosen: CollectionAction| {
        let enabled = !writes || read_only.is_none();
        let response = ui.add_enabled(enabled, egui::Button::new(text));
        let response = match read_only {
            Some(why) => response.on_disabled_hover_text(why),
            None => response,
        };
        if response.clicked() {
            action = Some(chosen);
            ui.close();
        }
    };
    item(ui, "New collection…", true, CollectionAction::New);
    if let Some(name) = name {
        let name = name.to_owned();
        item(ui, "Rename…", true, CollectionAction::Rename(name.clone()));
        item(ui, "Clear…", true, CollectionAction::Clear(name.clone()));
        item(ui, "Drop…", true, CollectionAction::Drop(name.clone()));
        ui.separator();
        item(ui, "Export…", false, CollectionAction::Export(name.clone()));
        item(ui, "Import…", true, CollectionAction::Import(name.clone()));
        item(
            ui,
            "Indexes…",
            false,
            CollectionAction::Indexes(name.clone()),
        );
        item(ui, "Compact", true, CollectionAction::Compact(name));
    }
    action
}

/// Opens the dialog an action asks for (Compact starts at once).
pub fn apply_action(state: &mut State, action: CollectionAction) {
    let dialogs = &mut state.dialogs;
    match action {
        CollectionAction::New => dialogs.new_collection = Some(NameDialog::default()),
        CollectionAction::Rename(name) => {
            dialogs.rename = Some(NameDialog {
                text: name.clone(),
                ..NameDialog::on(&name)
            });
        }
        CollectionAction::Clear(name) => dialogs.clear = Some(NameDialog::on(&name)),
        CollectionAction::Drop(name) => dialogs.drop = Some(NameDialog::on(&name)),
        CollectionAction::Import(name) => dialogs.import = Some(ImportDialog::new(&name, None)),
        CollectionAction::Indexes(name) => super::indexes::open(state, &name),
        CollectionAction::Export(name) => {
            let query = state
                .current
                .as_ref()
                .filter(|v| v.name == name)
                .and_then(|v| v.applied.clone());
            let folder = state.folder.as_ref().map(|f| f.path.clone());
            state.dialogs.export = Some(ExportDialog::new(&name, folder.as_deref(), query));
        }
        CollectionAction::Compact(name) => {
            if !state.dialogs.compact.is_running() {
                let id = state.send_manage(ManageRequest::Compact { name });
                state.dialogs.compact = JobState::running(id, None);
            }
        }
    }
}

pub fn windows_ui(ctx: &egui::Context, state: &mut State) {
    new_collection_ui(ctx, state);
    rename_ui(ctx, state);
    clear_ui(ctx, state);
    drop_ui(ctx, state);
}

fn names(state: &State) -> Vec<String> {
    state.collections.iter().map(|c| c.name.clone()).collect()
}

/// A small dialog around `contents`; it goes back to its slot unless closed.
fn small_window(
    ctx: &egui::Context,
    title: &str,
    dialog: &mut NameDialog,
    contents: impl FnOnce(&mut Ui, &mut NameDialog) -> bool,
) -> bool {
    let mut open = true;
    let mut close = false;
    crate::studio::widgets::dialog_window(ctx, title)
        .id(egui::Id::unique(("collection-dialog", title)))
        .open(&mut open)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            close = contents(ui, dialog);
            job_ui(ui, &mut dialog.job);
        });
    open && !close
}

fn problem_ui(ui: &mut Ui, problem: &Option<String>) {
    if let Some(problem) = problem {
        ui.label(RichText::new(problem).small().color(error_colour(ui)));
    }
}

fn new_collection_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.dialogs.new_collection.take() else {
        return;
    };
    let existing = names(state);
    let keep = small_window(ctx, "New collection", &mut dialog, |ui, dialog| {
        let mut close = false;
        egui::Grid::new("new-collection").show(ui, |ui| {
            let label = ui.label("Name");
            ui.add(egui::TextEdit::singleline(&mut dialog.text).hint_text("orders"))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Indexed fields");
            ui.add(egui::TextEdit::singleline(&mut dialog.fields).hint_text("age, address.city"))
                .labelled_by(label.id);
            ui.end_row();
        });
        let problem = dialog.name_problem(&existing);
        problem_ui(ui, &problem);
        ui.horizontal(|ui| {
            let enabled = problem.is_none() && !dialog.job.is_running();
            if ui
                .add_enabled(enabled, egui::Button::new("Create"))
                .clicked()
            {
                let id = state.send_manage(ManageRequest::CreateCollection {
                    name: dialog.text.trim().to_owned(),
                    indexed_fields: dialog.indexed_fields(),
                });
                dialog.job = JobState::running(id, None);
            }
            close = ui.button("Cancel").clicked();
        });
        close
    });
    if keep {
        state.dialogs.new_collection = Some(dialog);
    }
}

fn rename_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.dialogs.rename.take() else {
        return;
    };
    let existing = names(state);
    let title = format!("Rename {}", dialog.collection);
    let keep = small_window(ctx, &title, &mut dialog, |ui, dialog| {
        let mut close = false;
        ui.horizontal(|ui| {
            let label = ui.label("New name");
            ui.add(egui::TextEdit::singleline(&mut dialog.text).hint_text("new name"))
                .labelled_by(label.id);
        });
        let problem = dialog.name_problem(&existing);
        problem_ui(ui, &problem);
        ui.horizontal(|ui| {
            let enabled = problem.is_none() && !dialog.job.is_running();
            if ui
                .add_enabled(enabled, egui::Button::new("Rename"))
                .clicked()
            {
                let id = state.send_manage(ManageRequest::Rename {
                    from: dialog.collection.clone(),
                    to: dialog.text.trim().to_owned(),
                });
                dialog.job = JobState::running(id, None);
            }
            close = ui.button("Cancel").clicked();
        });
        close
    });
    if keep {
        state.dialogs.rename = Some(dialog);
    }
}

fn clear_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.dialogs.clear.take() else {
        return;
    };
    let title = format!("Clear {}", dialog.collection);
    let keep = small_window(ctx, &title, &mut dialog, |ui, dialog| {
        let mut close = false;
        ui.label(format!(
            "Remove every record of {}? Its indexes stay. This cannot be undone.",
            dialog.collection
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!dialog.job.is_running(), egui::Button::new("Clear"))
                .clicked()
            {
                let id = state.send_manage(ManageRequest::Clear {
                    name: dialog.collection.clone(),
                });
                dialog.job = JobState::running(id, None);
            }
            close = ui.button("Cancel").clicked();
        });
        close
    });
    if keep {
        state.dialogs.clear = Some(dialog);
    }
}

fn drop_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.dialogs.drop.take() else {
        return;
    };
    let title = format!("Drop {}", dialog.collection);
    let keep = small_window(ctx, &title, &mut dialog, |ui, dialog| {
        let mut close = false;
        ui.label(format!(
            "Drop {} with all its records and indexes? This cannot be undone.",
            dialog.collection
        ));
        ui.horizontal(|ui| {
            let label = ui.label("Type the collection's name to confirm");
            ui.add(
                egui::TextEdit::singleline(&mut dialog.text)
                    .hint_text(dialog.collection.as_str())
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let enabled = dialog.confirmed() && !dialog.job.is_running();
            let button = ui
                .add_enabled(enabled, egui::Button::new("Drop"))
                .on_disabled_hover_text("Type the name first");
            if button.clicked() {
                let id = state.send_manage(ManageRequest::Drop {
                    name: dialog.collection.clone(),
                });
                dialog.job = JobState::running(id, None);
            }
            close = ui.button("Cancel").clicked();
        });
        close
    });
    if keep {
        state.dialogs.drop = Some(dialog);
    }
}
