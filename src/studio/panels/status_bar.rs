//! The bottom line: matched count, query time, index used, worker activity
//! with Cancel, and the last error.

use egui::{Color32, RichText, Ui};

use crate::studio::format::{format_count, format_duration};
use crate::studio::state::{State, Total};

#[derive(Default)]
pub struct StatusBar;

impl StatusBar {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        ui.horizontal(|ui| {
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
                    let index = match &explain.index {
                        Some(index) => format!("index: {index}"),
                        None => "full scan".to_owned(),
                    };
                    ui.label(format!(
                        "{index}, examined {} of {}",
                        format_count(explain.examined),
                        format_count(explain.total)
                    ))
                    .on_hover_text("How the engine found this page");
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
