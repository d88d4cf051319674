//! The collection list: record counts as they arrive, format and indexed
//! fields, and a filter box.

use egui::{Align, Layout, RichText, Ui};

use crate::studio::dialogs::collection::{self, CollectionAction};
use crate::studio::format::format_count;
use crate::studio::state::State;

#[derive(Default)]
pub struct Sidebar;

impl Sidebar {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        ui.add_space(4.0);
        let read_only = state.read_only_reason();
        let mut action: Option<CollectionAction> = None;
        ui.horizontal(|ui| {
            ui.heading("Collections");
            let new = ui
                .add_enabled(read_only.is_none(), egui::Button::new("➕").small())
                .on_hover_text("New collection…");
            let new = match read_only {
                Some(why) => new.on_disabled_hover_text(why),
                None => new,
            };
            if new.clicked() {
                action = Some(CollectionAction::New);
            }
        });
        ui.add(
            egui::TextEdit::singleline(&mut state.collection_filter)
                .hint_text("Filter collections")
                .desired_width(f32::INFINITY),
        );
        ui.add_space(4.0);
        let selected = state.current.as_ref().map(|view| view.name.clone());
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if state.collections.is_empty() {
                    ui.label(RichText::new("No collections in this folder").weak());
                }
                for entry in state.visible_collections() {
                    let is_selected = selected.as_deref() == Some(entry.name.as_str());
                    let count = entry
                        .summary
                        .as_ref()
                        .map_or_else(|| "…".to_owned(), |s| format_count(s.records));
                    let response = ui
                        .horizontal(|ui| {
                            let response = ui.selectable_label(is_selected, &entry.name);
                            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                                ui.label(RichText::new(count).weak().monospace());
                            });
                            response
                        })
                        .inner;
                    if response.clicked() && !is_selected {
                        clicked = Some(entry.name.clone());
                    }
                    let legacy = entry.summary.as_ref().is_some_and(|s| s.legacy);
                    response.context_menu(|ui| {
                        if let Some(chosen) =
                            collection::context_menu_ui(ui, read_only, Some((&entry.name, legacy)))
                        {
                            action = Some(chosen);
                        }
                    });
                    if let Some(summary) = &entry.summary {
                        let mut details = summary.format.clone();
                        if !summary.legacy {
                            details.push_str(" · ");
                            details.push_str(&collection::compression_text(summary));
                        }
                        if !summary.indexed_fields.is_empty() {
                            details.push_str(" · indexed: ");
                            details.push_str(&summary.indexed_fields.join(", "));
                        }
                        ui.label(RichText::new(details).small().weak());
                    }
                    ui.add_space(2.0);
                }
            });
        if let Some(name) = clicked {
            state.select_collection(&name);
        }
        if let Some(action) = action {
            collection::apply_action(state, action);
        }
    }
}
