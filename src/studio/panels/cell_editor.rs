//! Editing one grid cell in place: a text field and the value's type,
//! floating over the cell so it has room. Enter stages, Esc cancels.

use egui::{Color32, Key, Ui};

use crate::studio::edit::value_type::ValueType;
use crate::studio::state::RowMark;
use crate::studio::state::edit_forms::CellEdit;

/// What the user did in the cell editor this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellOutcome {
    Editing,
    Commit,
    Cancel,
    /// A big value's "show all": edit it in the value viewer.
    ShowAll,
}

/// Draws the editor over the cell `ui` is in.
pub fn cell_editor_ui(
    ui: &mut Ui,
    cell: &mut CellEdit,
    types: &[ValueType],
    legacy: bool,
) -> CellOutcome {
    let at = ui.max_rect().left_top();
    let width = ui.max_rect().width().max(340.0);
    let mut outcome = CellOutcome::Editing;
    egui::Area::new(egui::Id::unique(("cell-editor", &cell.id, &cell.field)))
        .fixed_pos(at)
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_width(width);
                if let Some(folded) = &cell.folded {
                    outcome = folded_ui(ui, folded);
                    return;
                }
                ui.horizontal(|ui| {
                    let enabled = cell.ty != ValueType::Null;
                    let edit = ui.add_enabled(
                        enabled,
                        egui::TextEdit::singleline(&mut cell.text)
                            .id_salt("cell-editor-text")
                            .hint_text(format!("new value of {}", cell.field))
                            .desired_width(width - 170.0),
                    );
                    if cell.wants_focus {
                        edit.request_focus();
                        cell.wants_focus = false;
                    }
                    if edit.changed() {
                        cell.problem = None;
                    }
                    // The label before the choice, as in every other form.
                    let label = ui.label("type");
                    egui::ComboBox::from_id_salt("cell-editor-type")
                        .selected_text(cell.ty.name())
                        .width(70.0)
                        .show_ui(ui, |ui| {
                            for ty in types {
                                ui.selectable_value(&mut cell.ty, *ty, ty.name());
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    if ui
                        .small_button("Stage")
                        .on_hover_text("Stage (Enter)")
                        .clicked()
                    {
                        outcome = CellOutcome::Commit;
                    }
                    if ui
                        .small_button("Cancel edit")
                        .on_hover_text("Cancel (Esc)")
                        .clicked()
                    {
                        outcome = CellOutcome::Cancel;
                    }
                    let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                    if enter {
                        outcome = CellOutcome::Commit;
                    }
                });
                if let Some(problem) = &cell.problem {
                    ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {problem}"));
                }
                if legacy {
                    ui.label(
                        egui::RichText::new("Python 0.1 collection: every value is kept as text")
                            .small()
                            .weak(),
                    );
                }
            });
        });
    if ui.input(|i| i.key_pressed(Key::Escape)) {
        outcome = CellOutcome::Cancel;
    }
    outcome
}

/// A big value in place of the text field: its prefix and length, and
/// "show all", which opens the value viewer and its editor.
fn folded_ui(ui: &mut Ui, folded: &str) -> CellOutcome {
    let mut outcome = CellOutcome::Editing;
    ui.label(egui::RichText::new(folded).monospace());
    ui.horizontal(|ui| {
        ui.label(
            egui::RichText::new("Too long to edit in the cell:")
                .small()
                .weak(),
        );
        if crate::studio::widgets::json_tree::show_all_button(ui) {
            outcome = CellOutcome::ShowAll;
        }
        if ui.small_button("Cancel edit").clicked() {
            outcome = CellOutcome::Cancel;
        }
    });
    outcome
}

/// The background of a cell of a row with staged changes.
pub fn row_tint(mark: RowMark, changed_field: bool, dark: bool) -> Option<Color32> {
    let alpha = if dark { 60 } else { 45 };
    match mark {
        RowMark::Read => None,
        RowMark::Changed if changed_field => {
            Some(Color32::from_rgba_unmultiplied(230, 180, 30, alpha))
        }
        RowMark::Changed => Some(Color32::from_rgba_unmultiplied(230, 180, 30, alpha / 3)),
        RowMark::Deleted => Some(Color32::from_rgba_unmultiplied(220, 60, 60, alpha)),
        RowMark::New => Some(Color32::from_rgba_unmultiplied(60, 180, 90, alpha)),
    }
}
