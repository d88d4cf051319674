//! The start screen: Open folder, New database, Open sample database, recent
//! folders. A typed path works where no native dialog is available.

use std::path::PathBuf;

use egui::{RichText, Ui};

use super::action::AppAction;
use crate::studio::state::State;

#[derive(Default)]
pub struct StartScreen {
    /// The typed folder path.
    pub path_text: String,
}

impl StartScreen {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) -> Option<AppAction> {
        let mut action = None;
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() * 0.08);
            ui.heading(RichText::new("FluxDB Studio").size(30.0).strong());
            ui.label(RichText::new("Browse and query FluxDB database folders").weak());
            ui.add_space(24.0);
        });
        // One centred column of a fixed width: rows in it stay left-aligned.
        let width = 600.0_f32.min(ui.available_width());
        let margin = ((ui.available_width() - width) / 2.0).max(0.0);
        ui.horizontal_top(|ui| {
            ui.add_space(margin);
            ui.vertical(|ui| {
                ui.set_width(width);
                ui.horizontal(|ui| {
                    if ui
                        .button(RichText::new("📂 Open folder…").size(16.0))
                        .clicked()
                    {
                        action = Some(AppAction::PickFolder { create: false });
                    }
                    if ui
                        .button(RichText::new("➕ New database…").size(16.0))
                        .clicked()
                    {
                        action = Some(AppAction::PickFolder { create: true });
                    }
                    if ui
                        .button(RichText::new("🌐 Connect to MongoDB…").size(16.0))
                        .clicked()
                    {
                        state.open_connect_dialog(None);
                    }
                    if ui
                        .button(RichText::new("✨ Open sample database").size(16.0))
                        .clicked()
                    {
                        action = Some(AppAction::OpenSample);
                    }
                });
                ui.add_space(12.0);
                ui.horizontal(|ui| {
                    let label = ui.label("Folder path");
                    let edit = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.path_text)
                                .hint_text("/home/me/data/shop")
                                .desired_width(300.0),
                        )
                        .labelled_by(label.id);
                    let typed = PathBuf::from(self.path_text.trim());
                    let has_path = !self.path_text.trim().is_empty();
                    let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if ui
                        .add_enabled(has_path, egui::Button::new("Open"))
                        .clicked()
                        || (enter && has_path)
                    {
                        state.open_folder(typed.clone(), false);
                    }
                    if ui
                        .add_enabled(has_path, egui::Button::new("Create"))
                        .clicked()
                    {
                        state.open_folder(typed, true);
                    }
                });

                if let Some(opening) = &state.opening {
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("Opening {opening}…"));
                    });
                }
                if let Some(error) = &state.status.last_error {
                    ui.add_space(8.0);
                    ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {error}"));
                }

                ui.add_space(24.0);
                {
                    ui.label(RichText::new("Recent folders").strong());
                    if state.settings.recent_folders.is_empty() {
                        ui.label(RichText::new("Folders you open will be listed here.").weak());
                    }
                    for folder in state.settings.recent_folders.clone() {
                        let server = folder.to_str().is_some_and(crate::backend::is_server_uri);
                        let exists = server || folder.is_dir();
                        let text = folder.display().to_string();
                        let button =
                            egui::Button::new(RichText::new(&text).monospace()).frame(false);
                        let response = ui.add_enabled(exists, button);
                        let response = if exists {
                            response
                        } else {
                            response.on_disabled_hover_text("This folder no longer exists")
                        };
                        if response.clicked() {
                            super::top_bar::open_recent(state, folder);
                        }
                    }
                }
            });
        });
        action
    }
}
