//! The bottom line: matched count, query time, index used, worker activity
//! with Cancel, and the last error.

use egui::{Color32, RichText, Ui};

use crate::studio::format::{format_count, format_duration};
use crate::studio::state::{LiveStatus, State, Total};
use crate::studio::worker::ExplainSummary;

#[derive(Default)]
pub struct StatusBar;

impl StatusBar {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        ui.horizontal(|ui| {
            if let Some(live) = state.status.live.clone() {
                live_ui(ui, state, &live);
                ui.separator();
            }
            if let Some(view) = &state.current {
                let matched = match view.total {
                    Total::Known(n) => format!("{} matched", format_count(n)),
                    Total::Counting => "counting…".to_owned(),
                    Total::Unknown => "count unknown".to_owned(),
                };
                ui.label(RichText::new(format!("{}: {matched}", view.name)).strong());
                if let Some(time) = state.status.query_time {
                    ui.separator();
                    ui.label(format!("query {}", format_duration(time)))
                        .on_hover_text("Time the engine took for this page");
                }
                if let Some(explain) = &state.status.explain {
                    ui.separator();
                    explain_ui(ui, explain);
                }
            }
            if let Some(busy) = state.status.busy.clone() {
                ui.separator();
                ui.spinner();
                ui.label(busy);
                if ui.small_button("Cancel").clicked() {
                    state.cancel();
                }
            }
            if let Some(notice) = &state.status.notice {
                ui.separator();
                ui.label(RichText::new(notice).italics());
            }
            if let Some(error) = state.status.last_error.clone() {
                ui.separator();
                let colour = if ui.visuals().dark_mode {
                    Color32::from_rgb(0xff, 0x70, 0x70)
                } else {
                    Color32::from_rgb(0xb0, 0x00, 0x00)
                };
                ui.label(RichText::new(format!("⚠ {error}")).color(colour));
                if ui.small_button("Dismiss").clicked() {
                    state.dismiss_error();
                }
            }
        });
    }
}

/// How the page was found: the engine's index or scan and what it
/// examined, or a server's plan with the counts and time it gave.
fn explain_ui(ui: &mut Ui, explain: &ExplainSummary) {
    let examined = format!(
        "examined {} of {}",
        format_count(explain.examined),
        format_count(explain.total)
    );
    let Some(server) = &explain.server else {
        let index = match &explain.index {
            Some(index) => format!("index: {index}"),
            None => "full scan".to_owned(),
        };
        ui.label(format!("{index}, {examined}"))
            .on_hover_text("How the engine found this page");
        return;
    };
    let mut text = match &explain.index {
        Some(index) => format!("server plan: index {index}"),
        None => "server plan: full scan".to_owned(),
    };
    if server.counted {
        text.push_str(&format!(", {examined}"));
    }
    if let Some(time) = server.time {
        text.push_str(&format!(", {}", format_duration(time)));
    }
    let hover = if server.counted {
        "How the server found this page (its explain, the query run again)"
    } else {
        "How the server found this page (its explain; it gave no counts)"
    };
    ui.label(text).on_hover_text(hover);
}

/// A folder another program writes: Live (or Paused) with the changes seen
/// so far, and Open for writing once that program has closed the folder.
fn live_ui(ui: &mut Ui, state: &mut State, live: &LiveStatus) {
    let changes = match live.changes {
        1 => "1 change".to_owned(),
        n => format!("{} changes", format_count(n)),
    };
    if live.following {
        let green = match ui.visuals().dark_mode {
            true => Color32::from_rgb(0x60, 0xd0, 0x80),
            false => Color32::from_rgb(0x10, 0x80, 0x30),
        };
        // A dot that pulses would draw attention for nothing: a still one.
        let (dot, _) = ui.allocate_exact_size(egui::vec2(8.0, 8.0), egui::Sense::hover());
        ui.painter().circle_filled(dot.center(), 4.0, green);
        ui.label(RichText::new("Live").color(green).strong())
            .on_hover_text("Another program writes this folder: its commits show within a second");
        ui.label(changes);
        if ui
            .small_button("Pause")
            .on_hover_text("Hold the view still; changes are read again on Resume")
            .clicked()
        {
            state.set_following(false);
        }
    } else {
        ui.label(RichText::new("⏸ Paused").strong())
            .on_hover_text("The view is held still while the other program writes");
        ui.label(changes);
        if ui.small_button("Resume").clicked() {
            state.set_following(true);
        }
    }
    if live.writer_gone {
        ui.separator();
        ui.label(RichText::new("The other program closed the folder").strong());
        if ui
            .small_button("Open for writing")
            .on_hover_text("Open the folder again, this time to change it")
            .clicked()
        {
            state.open_for_writing();
        }
    }
}
