//! File > Compare with backup…: a database or collection backup beside the
//! folder, per collection the records only in the folder, only in the
//! backup and those that differ, each with its diff; the ticked ones are
//! staged back as pending changes (nothing is written until Write).

use egui::{RichText, Ui};
use serde_json::Value;

use super::file_picker::{FilePicker, PickFor, PickRequest};
use super::job_ui::job_ui;
use crate::engine::{CollectionComparison, DiffStatus, RecordDiff};
use crate::studio::format::format_count;
use crate::studio::state::State;
use crate::studio::state::compare::CompareDialog;
use crate::studio::state::dialogs::JobState;
use crate::studio::state::diff_rows::rows_of;
use crate::studio::widgets::diff_view::{
    added_colour, changed_colour, diff_view_ui, removed_colour,
};
use crate::studio::worker::jobs::MAX_LISTED_DIFFERENCES;

/// Rows of one record's diff before "… and N more fields".
const SHOWN_FIELDS: usize = 20;
/// Lists this short open every record's diff at once.
const OPEN_ALL_UP_TO: usize = 8;

pub fn open_compare(state: &mut State) {
    state.dialogs.compare = Some(CompareDialog::default());
}

pub fn window_ui(ctx: &egui::Context, state: &mut State, picker: &mut FilePicker) {
    let Some(mut dialog) = state.dialogs.compare.take() else {
        return;
    };
    let mut open = true;
    let mut close = false;
    let mut restore = false;
    let mut show_all = None;
    crate::studio::widgets::dialog_window(ctx, "Compare with a backup")
        .open(&mut open)
        .default_width(720.0)
        // As tall as what it shows: the list arrives after the first frame.
        .resizable([true, false])
        .show(ctx, |ui| {
            ui.label(
                "Lists the records that differ between the folder and a database or \
                 collection backup. Nothing is changed: ticked records are staged as \
                 pending changes to review and write.",
            );
            ui.add_enabled_ui(!dialog.job.is_running(), |ui| {
                picker.path_ui(ui, &mut dialog.path, "/path/to/backup.fdb", || {
                    PickRequest {
                        target: PickFor::Compare,
                        save: false,
                        title: "Compare with",
                        filters: vec![("FluxDB backup", vec!["fdb"])],
                        suggested: None,
                    }
                });
                collection_ui(ui, state, &mut dialog);
            });
            ui.horizontal(|ui| {
                let ready = !dialog.path.trim().is_empty() && !dialog.job.is_running();
                if ui
                    .add_enabled(ready, egui::Button::new("Compare"))
                    .clicked()
                {
                    match dialog.start() {
                        Ok((request, cancel)) => {
                            let id = state.send_manage(request);
                            dialog.job = JobState::running(id, Some(cancel));
                        }
                        Err(why) => {
                            dialog.job = JobState::Failed(crate::studio::report::ErrorReport {
                                what: "comparing with the backup".to_owned(),
                                why,
                            });
                        }
                    }
                }
                close = ui.button("Close").clicked();
            });
            ui.separator();
            job_ui(ui, &mut dialog.job);
            if dialog.result.is_some() {
                restore = result_ui(ui, state.read_only_reason(), &mut dialog, &mut show_all);
            }
        });
    if let Some((title, value)) = show_all {
        state.open_detached_viewer(title, value);
    }
    if restore {
        let staged = state.stage_from_backup(&dialog.chosen());
        if staged > 0 {
            // The pending list takes over; a new comparison starts afresh.
            close = true;
        }
    }
    if open && !close {
        state.dialogs.compare = Some(dialog);
    }
}

/// Which collection to compare: all, or one of the folder's.
fn collection_ui(ui: &mut Ui, state: &State, dialog: &mut CompareDialog) {
    let shown = match dialog.collection.as_str() {
        "" => "All collections".to_owned(),
        name => name.to_owned(),
    };
    egui::ComboBox::from_label("Collection")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut dialog.collection, String::new(), "All collections");
            for entry in &state.collections {
                ui.selectable_value(
                    &mut dialog.collection,
                    entry.name.clone(),
                    entry.name.as_str(),
                );
            }
        })
        .response
        .on_hover_text(
            "A database backup: that collection only. A collection backup: the folder's \
             collection to compare it with (by default the one it was made from).",
        );
}

/// A big value's "show all" clicked in a diff: its title and the value.
type Shown = Option<(String, Value)>;

/// The summary, the list with its checkboxes and diffs, and Restore
/// selected; true when Restore selected was clicked.
fn result_ui(
    ui: &mut Ui,
    read_only: Option<&'static str>,
    dialog: &mut CompareDialog,
    show_all: &mut Shown,
) -> bool {
    let Some(result) = dialog.result.as_ref() else {
        return false;
    };
    for collection in &result.report.collections {
        summary_ui(ui, collection);
    }
    let listed = result.diffs.len();
    if result.unlisted > 0 {
        ui.label(
            RichText::new(format!(
                "Only the first {} differences are listed; {} more are counted above. \
                 Compare one collection at a time, or list them all with fluxdb diff.",
                format_count(MAX_LISTED_DIFFERENCES),
                format_count(result.unlisted as usize)
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    if listed == 0 {
        return false;
    }
    let mut restore = false;
    ui.horizontal(|ui| {
        if ui.button("Select all").clicked() {
            dialog.select_all();
        }
        if ui.button("Select none").clicked() {
            dialog.select_none();
        }
        let count = dialog.selected.len();
        let label = format!("Restore selected ({})", format_count(count));
        let button = ui
            .add_enabled(count > 0 && read_only.is_none(), egui::Button::new(label))
            .on_hover_text(
                "Stage the backup's version of each ticked record as a pending change: \
                 inserted, changed back, or deleted. Nothing is written until Write.",
            );
        let button = match read_only {
            Some(why) => button.on_disabled_hover_text(why),
            None => button.on_disabled_hover_text("Tick the records to take back"),
        };
        restore = button.clicked();
    });
    let open_all = listed <= OPEN_ALL_UP_TO;
    let mut toggled = None;
    // At least as tall as what it lists (up to the cap), or the window,
    // sized to last frame's content, would never grow to show the list.
    egui::ScrollArea::vertical()
        .id_salt("compare-list")
        .max_height(420.0)
        .min_scrolled_height(420.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (at, diff) in dialog.diffs().iter().enumerate() {
                let mut ticked = dialog.selected.contains(&at);
                if row_ui(ui, at, diff, &mut ticked, open_all, show_all) {
                    toggled = Some(at);
                }
            }
        });
    if let Some(at) = toggled {
        dialog.toggle(at);
    }
    restore
}

/// "people: 3 changed, 2 only in the folder, 1 only in the backup, 114 the same".
fn summary_ui(ui: &mut Ui, c: &CollectionComparison) {
    let mut parts = Vec::new();
    if !c.in_backup {
        parts.push("not in the backup".to_owned());
    }
    if !c.in_folder {
        parts.push("not in the folder".to_owned());
    }
    for (n, what) in [
        (c.changed, "changed"),
        (c.only_in_folder, "only in the folder"),
        (c.only_in_backup, "only in the backup"),
        (c.same, "the same"),
    ] {
        if n > 0 {
            parts.push(format!("{} {what}", format_count(n as usize)));
        }
    }
    if parts.is_empty() {
        parts.push("no records on either side".to_owned());
    }
    let colour = if c.differences() == 0 {
        ui.visuals().weak_text_color()
    } else {
        ui.visuals().text_color()
    };
    ui.label(RichText::new(format!("{}: {}", c.name, parts.join(", "))).color(colour));
}

/// One difference: its checkbox (named by collection and id), its status,
/// and its diff under a header; true when the checkbox was clicked.
fn row_ui(
    ui: &mut Ui,
    at: usize,
    diff: &RecordDiff,
    ticked: &mut bool,
    open: bool,
    show_all: &mut Shown,
) -> bool {
    let mut clicked = false;
    ui.horizontal(|ui| {
        clicked = ui
            .checkbox(ticked, format!("{} / {}", diff.collection, diff.id))
            .clicked();
        let (text, colour) = match diff.status {
            DiffStatus::Changed => ("changed", changed_colour()),
            DiffStatus::OnlyInFolder => ("only in the folder", removed_colour()),
            DiffStatus::OnlyInBackup => ("only in the backup", added_colour()),
        };
        ui.label(RichText::new(text).color(colour).strong());
    });
    let fields = diff.changes.len();
    let header = match diff.status {
        DiffStatus::Changed => format!(
            "{fields} {} (folder, then backup)",
            if fields == 1 { "field" } else { "fields" }
        ),
        DiffStatus::OnlyInFolder => "the folder's record (restoring deletes it)".to_owned(),
        DiffStatus::OnlyInBackup => "the backup's record (restoring inserts it)".to_owned(),
    };
    egui::CollapsingHeader::new(RichText::new(header).small())
        .id_salt(("compare-diff", at))
        .default_open(open)
        .show(ui, |ui| {
            let rows = rows_of(&diff.changes, SHOWN_FIELDS);
            if let Some(click) = diff_view_ui(ui, &rows)
                && let Some(value) = click.value(&rows, &diff.changes)
            {
                *show_all = Some((
                    format!("{} of {}", click.title(&rows), diff.id),
                    value.clone(),
                ));
            }
        });
    clicked
}
