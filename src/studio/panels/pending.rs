//! The pending changes window (each change with its before and after,
//! revertible), the conflicts window after a write found records changed
//! on disk, how each change went after a write one by one (a server
//! without transactions), and the question asked before leaving unwritten
//! changes.

use std::sync::Arc;

use egui::{RichText, Ui};
use serde_json::Value;

use crate::studio::edit::pending::{ChangeKind, PendingChange, PendingChanges};
use crate::studio::state::GuardChoice;
use crate::studio::state::State;
use crate::studio::state::diff_rows::{DiffRows, diff_rows, rows_of};
use crate::studio::widgets::diff_view::{
    added_colour, changed_colour, diff_view_ui, removed_colour,
};
use crate::studio::worker::edit::{Conflict, Outcome};

/// Rows of one change's diff before "… and N more fields".
const SHOWN_FIELDS: usize = 12;

/// A value to open in the viewer: its title and the value.
type Shown = Option<(String, Value)>;

/// The pending changes' diff rows, made once per revision of the list
/// rather than every frame (and without copying values: `diff_rows`).
#[derive(Default)]
struct PendingDiffs {
    key: Option<(u64, usize)>,
    diffs: Vec<Arc<DiffRows>>,
}

fn pending_diffs(ctx: &egui::Context, pending: &PendingChanges) -> Vec<Arc<DiffRows>> {
    let id = egui::Id::unique("pending-diffs");
    let key = Some((pending.revision(), pending.len()));
    let kept = ctx.data(|d| d.get_temp::<Arc<PendingDiffs>>(id));
    if let Some(kept) = kept.filter(|kept| kept.key == key) {
        return kept.diffs.clone();
    }
    let diffs: Vec<Arc<DiffRows>> = pending
        .iter()
        .map(|change| {
            let rows = diff_rows(change.before.as_ref(), change.after.as_ref(), SHOWN_FIELDS);
            Arc::new(rows)
        })
        .collect();
    let kept = Arc::new(PendingDiffs {
        key,
        diffs: diffs.clone(),
    });
    ctx.data_mut(|d| d.insert_temp(id, kept));
    diffs
}

/// One change's fields, as the diff view draws them: what it changes, or
/// every field of a record it adds or deletes.
fn change_ui(ui: &mut Ui, change: &PendingChange, rows: &DiffRows) -> Shown {
    let click = diff_view_ui(ui, rows)?;
    let record = if click.before {
        change.before.as_ref()
    } else {
        change.after.as_ref()
    };
    let value = rows.rows.get(click.row)?.path.get_in(record?)?;
    Some((
        format!("{} of {}", click.title(rows), change.id),
        value.clone(),
    ))
}

pub fn pending_window_ui(ctx: &egui::Context, state: &mut State) {
    let mut open = state.edit.show_pending;
    let diffs = if open {
        pending_diffs(ctx, &state.edit.pending)
    } else {
        Vec::new()
    };
    let mut show_all: Shown = None;
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
                    for (change, changes) in state.edit.pending.iter().zip(&diffs) {
                        ui.group(|ui| {
                            ui.set_width(ui.available_width());
                            ui.horizontal(|ui| {
                                let colour = match change.kind() {
                                    ChangeKind::Insert => added_colour(),
                                    ChangeKind::Update => changed_colour(),
                                    ChangeKind::Delete => removed_colour(),
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
                            if let Some(shown) = change_ui(ui, change, changes) {
                                show_all = Some(shown);
                            }
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
    if let Some((title, value)) = show_all {
        state.open_detached_viewer(title, value);
    }
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
    let mut show_all: Shown = None;
    egui::Modal::new(egui::Id::unique("write-conflicts")).show(ctx, |ui| {
        ui.set_max_width(640.0);
        ui.heading("Records changed on disk");
        ui.label(
            "Nothing was written. These records changed since they were read, \
             so writing would overwrite someone else's change:",
        );
        egui::ScrollArea::vertical()
            .id_salt("conflicts-scroll")
            .max_height(460.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for conflict in &state.edit.conflicts {
                    ui.group(|ui| {
                        ui.set_width(ui.available_width());
                        if let Some(shown) = conflict_ui(ui, conflict) {
                            show_all = Some(shown);
                        }
                    });
                }
            });
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
    if let Some((title, value)) = show_all {
        state.open_detached_viewer(title, value);
    }
    match choice {
        Some(0) => state.reload_conflicts(),
        Some(1) => state.overwrite_conflicts(),
        Some(_) => state.edit.dismiss_conflicts(),
        None => {}
    }
}

/// After a write one by one in which some changes failed: how each went.
/// The failed ones stay staged, to fix and write again.
pub fn outcomes_window_ui(ctx: &egui::Context, state: &mut State) {
    if state.edit.outcomes.is_empty() {
        return;
    }
    let mut close = false;
    let mut show_pending = false;
    egui::Modal::new(egui::Id::unique("write-outcomes")).show(ctx, |ui| {
        ui.set_max_width(640.0);
        ui.heading("Written one by one");
        ui.label(
            "This server runs no transactions, so each change was written on its own. \
             Those written stay written; those that failed are still pending:",
        );
        egui::ScrollArea::vertical()
            .id_salt("outcomes-scroll")
            .max_height(460.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for outcome in &state.edit.outcomes {
                    ui.horizontal_wrapped(|ui| {
                        let (mark, colour) = match &outcome.outcome {
                            Outcome::Written => ("✔ written", added_colour()),
                            Outcome::Failed(_) => ("✖ failed", removed_colour()),
                            Outcome::NotTried => ("– not tried", changed_colour()),
                        };
                        ui.label(RichText::new(mark).color(colour).strong());
                        ui.label(RichText::new(outcome.kind.label()).weak());
                        ui.label(
                            RichText::new(format!("{} / {}", outcome.collection, outcome.id))
                                .monospace(),
                        );
                        match &outcome.outcome {
                            Outcome::Failed(why) => {
                                ui.label(why.as_str());
                            }
                            Outcome::NotTried => {
                                ui.label("the server could not be reached");
                            }
                            Outcome::Written => {}
                        }
                    });
                }
            });
        ui.separator();
        ui.horizontal(|ui| {
            show_pending = ui
                .button("Show pending changes")
                .on_hover_text("The changes not written, to fix and write again")
                .clicked();
            close = ui.button("Close").clicked();
        });
    });
    if show_pending {
        state.edit.show_pending = true;
    }
    if close || show_pending {
        state.edit.dismiss_outcomes();
    }
}

/// One conflict's three versions: what you changed and what changed on disk,
/// each from the version you started from.
fn conflict_ui(ui: &mut Ui, conflict: &Conflict) -> Shown {
    let mut shown = None;
    ui.label(
        RichText::new(format!("{} / {}", conflict.collection, conflict.id))
            .monospace()
            .strong(),
    );
    let sides = [
        (
            "Your change",
            &conflict.yours,
            "you delete it",
            &conflict.changes[0],
        ),
        (
            "On disk now",
            &conflict.now,
            "deleted on disk",
            &conflict.changes[1],
        ),
    ];
    for (heading, version, deleted, changes) in sides {
        ui.label(RichText::new(format!("{heading}, from the version you started from:")).small());
        ui.indent(heading, |ui| match version {
            None if conflict.read.is_some() => {
                ui.label(RichText::new(deleted).color(removed_colour()));
            }
            _ => {
                let rows = rows_of(changes, SHOWN_FIELDS);
                if let Some(click) = diff_view_ui(ui, &rows)
                    && let Some(value) = click.value(&rows, changes)
                {
                    let title = format!("{} of {}", click.title(&rows), conflict.id);
                    shown = Some((title, value.clone()));
                }
            }
        });
    }
    shown
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
