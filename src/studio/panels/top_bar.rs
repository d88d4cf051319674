//! The menu bar, the open folder's path and its badges.

use egui::{Color32, RichText, Ui};

use super::action::AppAction;
use crate::studio::settings::ThemeChoice;
use crate::studio::state::{State, ViewMode};

#[derive(Default)]
pub struct TopBar;

impl TopBar {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) -> Option<AppAction> {
        let mut action = None;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open folder…  (Ctrl+O)").clicked() {
                    action = Some(AppAction::PickFolder { create: false });
                }
                ui.menu_button("Open recent", |ui| {
                    if state.settings.recent_folders.is_empty() {
                        ui.label(RichText::new("No recent folders").weak());
                    }
                    for folder in state.settings.recent_folders.clone() {
                        if ui.button(folder.display().to_string()).clicked() {
                            open_recent(state, folder);
                            ui.close();
                        }
                    }
                });
                if ui.button("New database…").clicked() {
                    action = Some(AppAction::PickFolder { create: true });
                }
                if ui.button("Open sample database").clicked() {
                    action = Some(AppAction::OpenSample);
                }
                if ui.button("Connect to MongoDB…").clicked() {
                    state.open_connect_dialog(None);
                    ui.close();
                }
                ui.separator();
                file_dialogs_ui(ui, state);
                ui.separator();
                if ui
                    .add_enabled(state.folder.is_some(), egui::Button::new("Close folder"))
                    .clicked()
                {
                    state.close_folder();
                }
                if ui.button("Quit").clicked() {
                    action = Some(AppAction::Quit);
                }
            });
            super::edit_menu::edit_menu_ui(ui, state);
            ui.menu_button("View", |ui| {
                let theme = state.settings.theme;
                if ui.radio(theme == ThemeChoice::Dark, "Dark theme").clicked() {
                    action = Some(AppAction::SetTheme(ThemeChoice::Dark));
                }
                if ui
                    .radio(theme == ThemeChoice::Light, "Light theme")
                    .clicked()
                {
                    action = Some(AppAction::SetTheme(ThemeChoice::Light));
                }
                ui.separator();
                ui.radio_value(&mut state.view_mode, ViewMode::Table, "Table view");
                ui.radio_value(&mut state.view_mode, ViewMode::Json, "JSON view");
            });
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts").clicked() {
                    action = Some(AppAction::ShowShortcuts);
                }
                if ui.button("About FluxDB Studio").clicked() {
                    action = Some(AppAction::ShowAbout);
                }
            });
            if let Some(folder) = &state.folder {
                ui.separator();
                ui.label(RichText::new(folder.path.display().to_string()).monospace());
                if folder.legacy {
                    badge_ui(ui, "Python 0.1", Color32::from_rgb(0xc0, 0x80, 0x20))
                        .on_hover_text("Written by the Python FluxDB 0.1 library: values are text");
                }
                if folder.read_only {
                    badge_ui(ui, "read-only · live", Color32::from_rgb(0xa0, 0x40, 0x40))
                        .on_hover_text(
                            "Another program holds the folder's writer lock: Studio shows its \
                             commits as they come and changes nothing",
                        );
                } else if folder.shared {
                    badge_ui(ui, "shared · live", Color32::from_rgb(0x30, 0x80, 0x60))
                        .on_hover_text(
                            "Other programs may write this folder too: Studio takes the writer \
                             lock only while it writes, shows their commits as they come, and \
                             refuses to write over a record they changed since you read it",
                        );
                }
            }
            super::edit_menu::pending_count_ui(ui, state);
        });
        action
    }
}

/// Import…, Backup database…, Restore… and Compare with backup… (dialogs/).
fn file_dialogs_ui(ui: &mut Ui, state: &mut State) {
    let open = state.folder.is_some();
    let read_only = state.read_only_reason();
    let why = read_only.unwrap_or("Open a database folder first");
    let import = ui
        .add_enabled(open && read_only.is_none(), egui::Button::new("Import…"))
        .on_disabled_hover_text(why);
    if import.clicked() {
        let target = state
            .current
            .as_ref()
            .map(|v| v.name.clone())
            .unwrap_or_default();
        state.dialogs.import = Some(crate::studio::state::dialogs::ImportDialog::new(
            &target, None,
        ));
        ui.close();
    }
    let backup = ui
        .add_enabled(open, egui::Button::new("Backup database…"))
        .on_disabled_hover_text("Open a database folder first");
    if backup.clicked() {
        crate::studio::dialogs::backup::open_backup(state);
        ui.close();
    }
    let restore = ui
        .add_enabled(open && read_only.is_none(), egui::Button::new("Restore…"))
        .on_disabled_hover_text(why);
    if restore.clicked() {
        crate::studio::dialogs::backup::open_restore(state);
        ui.close();
    }
    // A comparison only reads; restoring its records is what needs writes.
    let compare = ui
        .add_enabled(open, egui::Button::new("Compare with backup…"))
        .on_disabled_hover_text("Open a database folder first");
    if compare.clicked() {
        crate::studio::dialogs::compare::open_compare(state);
        ui.close();
    }
}

/// A small coloured tag.
pub fn badge_ui(ui: &mut Ui, text: &str, colour: Color32) -> egui::Response {
    egui::Frame::new()
        .fill(colour.gamma_multiply(0.25))
        .stroke(egui::Stroke::new(1.0, colour))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| ui.label(RichText::new(text).small().color(colour)))
        .response
}

/// A recent folder opens; a recent server connection kept without its
/// password opens the Connect dialog, to type it in place of `****`.
pub fn open_recent(state: &mut State, folder: std::path::PathBuf) {
    match folder.to_str() {
        Some(uri) if uri.contains(":****@") => state.open_connect_dialog(Some(uri)),
        _ => state.open_folder(folder, false),
    }
}
