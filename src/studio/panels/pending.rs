//! The pending changes window (each change with its before and after,
//! revertible), the conflicts window after a write found records changed
//! on disk, and the question asked before leaving unwritten changes.

use egui::{RichText, Ui};
use serde_json::Value;

use crate::Document;
use crate::studio::edit::pending::{ChangeKind, PendingChange};
use crate::studio::state::GuardChoice;
use crate::studio::state::State;
use crate::studio::widgets::value_cell::compact_json;

const SHOWN_CHARS: usize = 80;

/// Each field that differs: (field, before, after), `None` for absent.
pub fn field_changes(
    before: &Document,
    after: &Document,
) -> Vec<(String, Option<Value>, Option<Value>)> {
    let mut fields: Vec<&String> = before.keys().collect();
    fields.extend(after.keys().filter(|k| !before.contains_key(*k)));
    fields
        .into_iter()
        .filter(|f| before.get(*f) != after.get(*f))
        .map(|f| (f.clone(), before.get(f).cloned(), after.get(f).cloned()))
        .collect()
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "(none)".to_owned(), |v| compact_json(v, SHOWN_CHARS))
}

/// One change's before and after.
fn change_ui(ui: &mut Ui, change: &PendingChange) {
    match (&change.before, &change.after) {
        (Some(before), Some(after)) => {
            for (field, old, new) in field_changes(before, after) {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{field}:")).strong());
                    ui.label(
                        RichText::new(shown(old.as_ref()))
                            .monospace()
                            .strikethrough(),
                    );
                    ui.label("->");
                    ui.label(RichText::new(shown(new.as_ref())).monospace());
                });
            }
        }
        (None, Some(after)) => {
            ui.label(RichText::new(compact_json(&Value::Object(after.clone()), 240)).monospace());
        }
        (Some(before), None) => {
            ui.label(
                RichText::new(compact_json(&Value::Object(before.clone()), 240))
                    .monospace()
                    .strikethrough(),
            );
        }
        (None, None) => {}
    }
}

pub fn pending_window_ui(ctx: &egui::Context, state: &mut State) {
    let mut open = state.edit.show_pending;
    let mut revert = None;
    let mut write = false;
    let mut revert_all = false;
    let can_write = state.folder.as_ref().is_some_and(|f| !f.read_only) && !state.edit.writing;
    crate::studio::widgets::dialog_window(ctx, "Pending changes")
        .open(&mut open)
        .default_width(520.0)
        .resizable([true, false])
        .show(ctx, |ui| {
            // An inner scroll area that shrinks to its content: the window is as tall as
            // what it shows (up to a cap), with no empty space below.
            egui::ScrollArea::vertical()
                .id_salt("pending-scroll")
                .max_height(420.0)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    if state.edit.pending.is_empty() {
                        ui.label(
                            RichText::new(
                                "Nothing is pending: edits are staged here until written",
                            )
                            .weak(),
                        );
                    }
                    for change in state.edit.pending.iter() {
                        ui.group(|ui| {
                            ui.set_width(ui.available_width());
                            ui.horizontal(|ui| {
                                let colour = match change.kind() {
                                    ChangeKind::Insert => egui::Color32::from_rgb(60, 170, 90),
                                    ChangeKind::Update => egui::Color32::from_rgb(210, 150, 20),
                                    ChangeKind::Delete => egui::Color32::from_rgb(210, 70, 70),
                                };
                                ui.label(
                                    RichText::new(change.kind().label()).color(colour).strong(),
                                );
                                ui.label(
                                    RichText::new(format!("{} / {}", change.collection, change.id))
                                        .monospace(),
                                );
                                ui.with_layout(
                                    egui::Layout::right_to_left(egui::Align::Center),
                                    |ui| {
                                        if ui
                                            .small_button("Revert")
                                            .on_hover_text(
                                                "Drop this change (Ctrl+Z brings it back)",
                                            )
                                            .clicked()
                                        {
                                            revert = Some((
                                                change.collection.clone(),
                                                change.id.clone(),
                                            ));
                                        }
                                    },
                                );
                            });
                            change_ui(ui, change);
                        });
                    }
                    ui.separator();
                    ui.horizontal(|ui| {
                        let has = !state.edit.pending.is_empty();
                        write = ui
                            .add_enabled(
                                has && can_write,
                                egui::Button::new("Write changes  (Ctrl+S)"),
                            )
                            .clicked();
                        revert_all = ui
                            .add_enabled(has, egui::Button::new("Revert all"))
                            .clicked();
                    });
                });
        });
    state.edit.show_pending = open;
    if let Some((collection, id)) = revert {
        state.edit.revert_change(&collection, &id);
    }
    if write {
        state.write_changes();
    }
    if revert_all {
        state.revert_all();
    }
}

/// After a write found records changed on disk: name them, offer reload or overwrite.
pub fn conflicts_window_ui(ctx: &egui::Context, state: &mut State) {
    if state.edit.conflicts.is_empty() {
        return;
    }
    let mut choice = None;
    egui::Modal::new(egui::Id::unique("write-conflicts")).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading("Records changed on disk");
        ui.label(
            "Nothing was written. These records changed since they were read, \
             so writing would overwrite someone else's change:",
        );
        for conflict in &state.edit.conflicts {
            let now = match &conflict.now {
                Some(doc) => compact_json(&Value::Object(doc.clone()), 120),
                None => "(deleted)".to_owned(),
            };
            ui.label(
                RichText::new(format!("{} / {}", conflict.collection, conflict.id))
                    .monospace()
                    .strong(),
            );
            ui.label(RichText::new(format!("now: {now}")).monospace().small());
        }
        ui.separator();
        ui.horizontal(|ui| {
            if ui
                .button("Reload those records")
                .on_hover_text("Drop your changes to them and show them as they are now")
                .clicked()
            {
                choice = Some(0);
            }
            if ui
                .button("Overwrite")
                .on_hover_text("Write your changes over what is on disk now")
                .clicked()
            {
                choice = Some(1);
            }
            if ui
                .button("Cancel")
                .on_hover_text("Keep everything staged")
                .clicked()
            {
                choice = Some(2);
            }
        });
    });
    match choice {
        Some(0) => state.reload_conflicts(),
        Some(1) => state.overwrite_conflicts(),
        Some(_) => state.edit.dismiss_conflicts(),
        None => {}
    }
}

/// "Write the pending changes first?" before a collection switch, a folder
/// change or closing the window.
pub fn guard_ui(ctx: &egui::Context, state: &mut State) {
    let Some(action) = state.edit.guard.clone() else {
        return;
    };
    let mut choice = None;
    let count = state.edit.pending.len();
    egui::Modal::new(egui::Id::unique("pending-guard")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading("Unwritten changes");
        ui.label(format!(
            "{count} pending {} not written yet. Write {} before {}?",
            if count == 1 {
                "change is"
            } else {
                "changes are"
            },
            if count == 1 { "it" } else { "them" },
            action.describe()
        ));
        ui.separator();
        ui.horizontal(|ui| {
            if ui.button("Write").clicked() {
                choice = Some(GuardChoice::Write);
            }
            if ui.button("Discard").clicked() {
                choice = Some(GuardChoice::Discard);
            }
            if ui.button("Cancel").clicked() {
                choice = Some(GuardChoice::Cancel);
            }
        });
    });
    if let Some(choice) = choice {
        state.resolve_guard(choice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Document {
        match value {
            Value::Object(map) => map,
            _ => Document::new(),
        }
    }

    #[test]
    fn field_changes_list_changed_added_and_removed_fields() {
        let changes = field_changes(
            &doc(json!({"_id": "a", "x": 1, "y": 2})),
            &doc(json!({"_id": "a", "x": 5, "z": 3})),
        );
        assert_eq!(
            changes,
            vec![
                ("x".into(), Some(json!(1)), Some(json!(5))),
                ("y".into(), Some(json!(2)), None),
                ("z".into(), None, Some(json!(3))),
            ]
        );
    }
}
