//! The sidebar's context menu and the dialogs it opens for one collection:
//! New collection (name and indexed fields), Rename, Clear (confirm), Drop
//! (type the name to confirm), Compression (rewrite with another codec);
//! Compact runs at once and reports what it reclaimed in the status line.

use egui::{RichText, Ui};

use super::job_ui::{error_colour, job_ui};
use crate::engine::Compression;
use crate::studio::format::format_bytes;
use crate::studio::state::State;
use crate::studio::state::compression_choice::{Codec, CompressionChoice};
use crate::studio::state::dialogs::{
    CompressionDialog, ExportDialog, ImportDialog, JobState, NameDialog,
};
use crate::studio::worker::CollectionSummary;
use crate::studio::worker::jobs::ManageRequest;

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
    Compression(String),
    CopyTo(String),
}

/// Why Compression… is off for a Python 0.1 collection.
const LEGACY_NOT_COMPRESSED: &str =
    "Python 0.1 collections are never compressed; migrate the folder first (fluxdb migrate)";

/// The menu of a sidebar row (`name`, and whether it is a Python 0.1
/// collection), or of the list (`None`).
pub fn context_menu_ui(
    ui: &mut Ui,
    read_only: Option<&'static str>,
    row: Option<(&str, bool)>,
) -> Option<CollectionAction> {
    let mut action = None;
    // `off`: why the item is disabled, shown on hover.
    let mut item = |ui: &mut Ui, text: &str, off: Option<&str>, chosen: CollectionAction| {
        let response = ui.add_enabled(off.is_none(), egui::Button::new(text));
        let response = match off {
            Some(why) => response.on_disabled_hover_text(why),
            None => response,
        };
        if response.clicked() {
            action = Some(chosen);
            ui.close();
        }
    };
    item(ui, "New collection…", read_only, CollectionAction::New);
    if let Some((name, legacy)) = row {
        let name = name.to_owned();
        item(
            ui,
            "Rename…",
            read_only,
            CollectionAction::Rename(name.clone()),
        );
        item(
            ui,
            "Clear…",
            read_only,
            CollectionAction::Clear(name.clone()),
        );
        item(ui, "Drop…", read_only, CollectionAction::Drop(name.clone()));
        ui.separator();
        item(ui, "Export…", None, CollectionAction::Export(name.clone()));
        item(ui, "Copy to…", None, CollectionAction::CopyTo(name.clone()));
        item(
            ui,
            "Import…",
            read_only,
            CollectionAction::Import(name.clone()),
        );
        item(
            ui,
            "Indexes…",
            None,
            CollectionAction::Indexes(name.clone()),
        );
        item(
            ui,
            "Compact",
            read_only,
            CollectionAction::Compact(name.clone()),
        );
        let compression_off = read_only.or(legacy.then_some(LEGACY_NOT_COMPRESSED));
        item(
            ui,
            "Compression…",
            compression_off,
            CollectionAction::Compression(name),
        );
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
        CollectionAction::CopyTo(name) => dialogs.copy_to = Some(NameDialog::on(&name)),
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
        CollectionAction::Compression(name) => {
            let current = summary_of(state, &name)
                .and_then(|s| s.compression.parse::<Compression>().ok())
                .unwrap_or_default();
            state.dialogs.compression = Some(CompressionDialog {
                collection: name,
                choice: CompressionChoice::of(current),
                job: JobState::Idle,
            });
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
    compression_ui(ctx, state);
    copy_to_ui(ctx, state);
}

/// Copy to…: the collection with its index definitions into another
/// database, a folder or a MongoDB server, with progress.
fn copy_to_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.dialogs.copy_to.take() else {
        return;
    };
    let title = format!("Copy {} to…", dialog.collection);
    let keep = small_window(ctx, &title, &mut dialog, |ui, dialog| {
        let mut close = false;
        ui.horizontal(|ui| {
            let label = ui.label("Destination");
            ui.add(
                egui::TextEdit::singleline(&mut dialog.text)
                    .hint_text("a folder, or mongodb://HOST:PORT/DATABASE")
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
        });
        ui.label(
            egui::RichText::new(
                "The collection there must be missing or empty. Into a folder the copy is all or nothing.",
            )
            .weak(),
        );
        ui.horizontal(|ui| {
            let destination = dialog.text.trim().to_owned();
            let enabled = !destination.is_empty() && !dialog.job.is_running();
            if ui.add_enabled(enabled, egui::Button::new("Copy")).clicked() {
                let id = state.send_manage(ManageRequest::CopyTo {
                    collection: dialog.collection.clone(),
                    destination: destination.into(),
                });
                dialog.job = JobState::running(id, None);
            }
            close = ui.button("Close").clicked();
        });
        close
    });
    if keep {
        state.dialogs.copy_to = Some(dialog);
    }
}

fn summary_of<'a>(state: &'a State, name: &str) -> Option<&'a CollectionSummary> {
    state
        .collections
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.summary.as_ref())
}

/// "zstd:3 · 2.8× smaller", "uncompressed", or the codec alone while the
/// collection is empty (no ratio yet).
pub fn compression_text(summary: &CollectionSummary) -> String {
    let codec = match summary.compression.as_str() {
        "none" => "uncompressed",
        codec => codec,
    };
    match summary.compression_ratio {
        Some(ratio) if ratio >= 1.0 => format!("{codec} · {ratio:.1}× smaller"),
        Some(ratio) => format!("{codec} · not smaller ({ratio:.2}×)"),
        None => codec.to_owned(),
    }
}

/// Rows of a dialog's grid: the codec radio buttons, and the zstd level
/// slider when zstd is picked. The hint goes below the grid
/// ([`compression_hint_ui`]), so the labels stay aligned with their rows.
fn compression_rows_ui(ui: &mut Ui, choice: &mut CompressionChoice) {
    ui.label("Compression");
    ui.horizontal(|ui| {
        ui.radio_value(&mut choice.codec, Codec::None, "None");
        ui.radio_value(&mut choice.codec, Codec::Lz4, "LZ4 (fast)");
        ui.radio_value(&mut choice.codec, Codec::Zstd, "zstd (strong)");
    });
    ui.end_row();
    if choice.codec == Codec::Zstd {
        let label = ui.label("zstd level");
        ui.add(egui::Slider::new(
            &mut choice.zstd_level,
            Compression::ZSTD_LEVELS,
        ))
        .labelled_by(label.id);
        ui.end_row();
    }
}

/// One line on the trade-off of the choice, wrapped to the dialog's width.
fn compression_hint_ui(ui: &mut Ui, hint: &str) {
    ui.add(egui::Label::new(RichText::new(hint).small().weak()).wrap());
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

/// Wide enough for a name or a few field names without scrolling.
const FIELD_WIDTH: f32 = 260.0;

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
    let legacy_folder = state.folder.as_ref().is_some_and(|f| f.legacy);
    let keep = small_window(ctx, "New collection", &mut dialog, |ui, dialog| {
        let mut close = false;
        egui::Grid::new("new-collection").show(ui, |ui| {
            let label = ui.label("Name");
            ui.add(
                egui::TextEdit::singleline(&mut dialog.text)
                    .hint_text("orders")
                    .desired_width(FIELD_WIDTH),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Indexed fields");
            ui.add(
                egui::TextEdit::singleline(&mut dialog.fields)
                    .hint_text("age, address.city")
                    .desired_width(FIELD_WIDTH),
            )
            .labelled_by(label.id);
            ui.end_row();
            if !legacy_folder {
                compression_rows_ui(ui, &mut dialog.compression);
            }
        });
        if legacy_folder {
            dialog.compression = CompressionChoice::default();
            compression_hint_ui(ui, LEGACY_NOT_COMPRESSED);
        } else {
            compression_hint_ui(ui, dialog.compression.hint());
        }
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
                    compression: dialog.compression.compression(),
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

/// Compression…: the collection's codec now, a new one, and Rewrite, which
/// runs on the worker and reports the file's size before and after.
fn compression_ui(ctx: &egui::Context, state: &mut State) {
    let Some(mut dialog) = state.dialogs.compression.take() else {
        return;
    };
    let summary = summary_of(state, &dialog.collection).cloned();
    let read_only = state.read_only_reason();
    let mut open = true;
    let mut close = false;
    crate::studio::widgets::dialog_window(ctx, format!("Compression of {}", dialog.collection))
        .id(egui::Id::unique("compression-dialog"))
        .open(&mut open)
        .resizable(false)
        .show(ctx, |ui| {
            let now = summary.as_ref().map_or_else(
                || "reading…".to_owned(),
                |s| format!("{} ({})", compression_text(s), format_bytes(s.file_bytes)),
            );
            egui::Grid::new("compression").show(ui, |ui| {
                ui.label("Now");
                ui.label(now);
                ui.end_row();
                compression_rows_ui(ui, &mut dialog.choice);
            });
            compression_hint_ui(ui, dialog.choice.hint());
            let chosen = dialog.choice.compression();
            let unchanged = summary
                .as_ref()
                .is_some_and(|s| s.compression == chosen.to_string());
            let off = read_only
                .or(summary
                    .as_ref()
                    .filter(|s| s.legacy)
                    .map(|_| LEGACY_NOT_COMPRESSED))
                .or(unchanged.then_some("The collection is stored this way already"));
            ui.horizontal(|ui| {
                let rewrite = ui
                    .add_enabled(
                        off.is_none() && !dialog.job.is_running(),
                        egui::Button::new("Rewrite"),
                    )
                    .on_hover_text(
                        "Rewrites the whole file; the collection stays readable until it is done",
                    );
                let rewrite = match off {
                    Some(why) => rewrite.on_disabled_hover_text(why),
                    None => rewrite,
                };
                if rewrite.clicked() {
                    let id = state.send_manage(ManageRequest::SetCompression {
                        name: dialog.collection.clone(),
                        compression: chosen,
                    });
                    dialog.job = JobState::running(id, None);
                }
                close = ui.button("Close").clicked();
            });
            job_ui(ui, &mut dialog.job);
        });
    if open && !close {
        state.dialogs.compression = Some(dialog);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(compression: &str, ratio: Option<f64>) -> CollectionSummary {
        CollectionSummary {
            name: "people".into(),
            format: "native".into(),
            legacy: false,
            records: 1,
            file_bytes: 10,
            indexed_fields: Vec::new(),
            compression: compression.into(),
            compression_ratio: ratio,
        }
    }

    #[test]
    fn compression_text_names_the_codec_and_how_much_smaller_the_file_is() {
        for (codec, ratio, text) in [
            ("none", None, "uncompressed"),
            ("lz4", None, "lz4"),
            ("zstd:3", Some(2.84), "zstd:3 · 2.8× smaller"),
            ("lz4", Some(0.93), "lz4 · not smaller (0.93×)"),
        ] {
            assert_eq!(compression_text(&summary(codec, ratio)), text);
        }
    }
}
