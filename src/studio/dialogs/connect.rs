//! File → Connect to MongoDB…: a server's URI, Test (lists its databases,
//! on the worker: the window never waits), the database to open, Connect.
//! Errors (a refused port, a bad URI, authentication) go to the status bar.

use egui::RichText;

use crate::studio::state::State;

pub fn window_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.connect.take() else {
        return;
    };
    let mut open = true;
    let mut test = false;
    let mut connect = false;
    crate::studio::widgets::dialog_window(ctx, "Connect to MongoDB".to_owned())
        .id(egui::Id::unique("connect-dialog"))
        .open(&mut open)
        .default_width(460.0)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("URI");
                ui.add(
                    egui::TextEdit::singleline(&mut dialog.uri)
                        .hint_text("mongodb://HOST:PORT")
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
                let button = ui.add_enabled(
                    !dialog.testing && !dialog.uri.trim().is_empty(),
                    egui::Button::new("Test"),
                );
                test = button.clicked();
            });
            ui.label(
                RichText::new("A password in the URI is used to connect and never saved.").weak(),
            );
            if dialog.testing {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("connecting…");
                });
            }
            if let Some(tested) = &dialog.tested {
                ui.label(tested);
            }
            if !dialog.databases.is_empty() {
                ui.label("Databases on the server:");
                egui::ScrollArea::vertical()
                    .max_height(160.0)
                    .show(ui, |ui| {
                        for name in dialog.databases.clone() {
                            let chosen = dialog.database == name;
                            if ui.selectable_label(chosen, &name).clicked() {
                                dialog.database = name;
                            }
                        }
                    });
            }
            ui.horizontal(|ui| {
                let label = ui.label("Database");
                ui.add(
                    egui::TextEdit::singleline(&mut dialog.database)
                        .hint_text("shop")
                        .desired_width(200.0),
                )
                .labelled_by(label.id);
            });
            ui.separator();
            ui.horizontal(|ui| {
                let ready = dialog.target().is_some();
                connect = ui
                    .add_enabled(ready, egui::Button::new("Connect"))
                    .on_disabled_hover_text("Type a URI and choose a database")
                    .clicked();
            });
        });
    if !open {
        return;
    }
    state.connect = Some(dialog);
    if test {
        state.test_connection();
    }
    if connect {
        state.connect_to_server();
    }
}
