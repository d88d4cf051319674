//! The result grid: pagination, the table (only visible rows are built) or
//! the JSON view, selection and the expand view of nested values.

use egui::{Align, Layout, RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use super::action::AppAction;
use super::cell_editor::{CellOutcome, cell_editor_ui, row_tint};
use super::json_view::JsonView;
use crate::studio::edit::value_type::ValueType;
use crate::studio::settings::SortDirection;
use crate::studio::state::folding::ValuePath;
use crate::studio::state::{ClickModifiers, RowMark, State, ViewMode};
use crate::studio::widgets::json_tree::json_tree_ui;
use crate::studio::widgets::value_cell::{is_nested, value_cell_ui};

const ROW_HEIGHT: f32 = 22.0;
const HEADER_HEIGHT: f32 = 24.0;

#[derive(Default)]
pub struct Grid {
    /// The "go to page" box, as typed.
    go_to_text: String,
    json: JsonView,
}

/// What the user did in the table this frame, applied once it is drawn.
#[derive(Default)]
struct TableInput {
    sort_by: Option<String>,
    clicked_row: Option<usize>,
    expand: Option<(usize, String)>,
    widths: Vec<f32>,
    copy: bool,
    /// A double-click on a plain value: edit it in place.
    edit_cell: Option<(usize, String)>,
    focus_cell: Option<(usize, String)>,
}

impl Grid {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) -> Option<AppAction> {
        if state.current.is_none() {
            ui.centered_and_justified(|ui| {
                let text = if state.collections.is_empty() {
                    "This folder has no collections yet"
                } else {
                    "Pick a collection on the left"
                };
                ui.label(RichText::new(text).weak());
            });
            return None;
        }
        self.pagination_ui(ui, state);
        ui.separator();
        let action = match state.view_mode {
            ViewMode::Table => self.table_ui(ui, state),
            ViewMode::Json => {
                self.json.ui(ui, state);
                None
            }
        };
        expand_window_ui(ui, state);
        action
    }

    fn pagination_ui(&mut self, ui: &mut Ui, state: &mut State) {
        let Some(view) = &state.current else {
            return;
        };
        let page_index = view.page_index;
        let loading = view.loading;
        let last = state.last_page_index();
        let has_next = state.has_next_page();
        let mut go_to = None;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut state.view_mode, ViewMode::Table, "Table");
            ui.selectable_value(&mut state.view_mode, ViewMode::Json, "JSON");
            ui.separator();
            if ui
                .add_enabled(page_index > 0, egui::Button::new("« First"))
                .clicked()
            {
                go_to = Some(0);
            }
            if ui
                .add_enabled(page_index > 0, egui::Button::new("‹ Prev"))
                .clicked()
            {
                go_to = Some(page_index.saturating_sub(1));
            }
            let page_text = match last {
                Some(last) => format!("Page {} of {}", page_index + 1, last + 1),
                None => format!("Page {}", page_index + 1),
            };
            ui.label(page_text);
            if ui
                .add_enabled(has_next, egui::Button::new("Next ›"))
                .clicked()
            {
                go_to = Some(page_index + 1);
            }
            let not_last = last.is_some_and(|last| page_index < last);
            let last_button = ui.add_enabled(not_last, egui::Button::new("Last »"));
            let last_button = if last.is_none() {
                last_button.on_disabled_hover_text("Waiting for the count")
            } else {
                last_button
            };
            if last_button.clicked() {
                go_to = last;
            }
            ui.separator();
            let label = ui.label("Go to page");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.go_to_text)
                        .hint_text("number")
                        .desired_width(60.0),
                )
                .labelled_by(label.id);
            let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let target = self
                .go_to_text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|p| *p > 0);
            if (ui
                .add_enabled(target.is_some(), egui::Button::new("Go"))
                .clicked()
                || entered)
                && let Some(target) = target
            {
                go_to = Some(target - 1);
                self.go_to_text.clear();
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                ui.label(RichText::new(state.range_label()).strong());
                if loading {
                    ui.spinner();
                }
            });
        });
        if let Some(index) = go_to {
            state.go_to_page(index);
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, state: &mut State) -> Option<AppAction> {
        let sort = state.column_sort();
        let view = state.current.as_ref()?;
        let Some(page) = &view.page else {
            match &view.page_error {
                Some(error) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {error}"));
                }
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Loading the first page…");
                    });
                }
            }
            return None;
        };
        let rows = state.grid_rows();
        if rows == 0 {
            ui.label(RichText::new("No records match this query").weak());
            return None;
        }
        let legacy = state.current_is_legacy();
        let types = ValueType::offered(legacy);
        let mut cell = state.edit.cell.clone();
        let mut cell_outcome = CellOutcome::Editing;
        let dark = ui.visuals().dark_mode;
        let columns = &page.columns;
        let mut input = TableInput::default();
        let modifiers = ui.input(|i| i.modifiers);
        let mut builder = TableBuilder::new(ui)
            .id_salt((&view.name, columns))
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .cell_layout(Layout::left_to_right(Align::Center))
            .auto_shrink([false, false])
            .min_scrolled_height(0.0);
        for (index, field) in columns.iter().enumerate() {
            let default = if field == "_id" { 160.0 } else { 120.0 };
            let width = state.column_width(field).unwrap_or(default);
            let column = if index + 1 == columns.len() {
                Column::remainder().at_least(width.min(120.0))
            } else {
                Column::initial(width).at_least(40.0)
            };
            builder = builder.column(column.clip(true));
        }
        builder
            .header(HEADER_HEIGHT, |mut header| {
                for field in columns {
                    header.col(|ui| {
                        let arrow = match &sort {
                            Some(s) if &s.field == field => match s.direction {
                                SortDirection::Ascending => " ⬆",
                                SortDirection::Descending => " ⬇",
                            },
                            _ => "",
                        };
                        let button =
                            egui::Button::new(RichText::new(format!("{field}{arrow}")).strong())
                                .frame(false);
                        if ui
                            .add(button)
                            .on_hover_text("Sort by this field (ascending, descending, off)")
                            .clicked()
                        {
                            input.sort_by = Some(field.clone());
                        }
                    });
                }
            })
            .body(|body| {
                input.widths = body.widths().to_vec();
                body.rows(ROW_HEIGHT, rows, |mut row| {
                    let index = row.index();
                    row.set_selected(view.selection.rows.contains(&index));
                    let Some((doc, mark)) = state.row_record(index) else {
                        return;
                    };
                    let read = page.docs.get(index);
                    for field in columns {
                        let value = doc.get(field);
                        // Compared only for a changed row, and by address first:
                        // a 16 MiB value is not compared every frame.
                        let changed = mark == RowMark::Changed
                            && read.is_none_or(|r| {
                                let before = r.get(field);
                                !matches!((before, value), (Some(a), Some(b)) if std::ptr::eq(a, b))
                                    && before != value
                            });
                        let editing = cell
                            .as_ref()
                            .is_some_and(|c| c.row == index && &c.field == field);
                        let (_, response) = row.col(|ui| {
                            if let Some(tint) = row_tint(mark, changed, dark) {
                                ui.painter().rect_filled(ui.max_rect(), 0.0, tint);
                            }
                            match cell.as_mut().filter(|_| editing) {
                                Some(open) => {
                                    cell_outcome = cell_editor_ui(ui, open, types, legacy);
                                }
                                None => value_cell_ui(ui, value),
                            }
                        });
                        if response.double_clicked() && value.is_some_and(is_nested) {
                            input.expand = Some((index, field.clone()));
                        } else if response.double_clicked() {
                            input.edit_cell = Some((index, field.clone()));
                        } else if response.clicked() {
                            input.clicked_row = Some(index);
                            input.focus_cell = Some((index, field.clone()));
                        }
                        response.context_menu(|ui| {
                            if ui.button("Copy selected as JSON  (Ctrl+C)").clicked() {
                                input.copy = true;
                                ui.close();
                            }
                        });
                    }
                });
            });
        state.edit.cell = cell;
        match cell_outcome {
            CellOutcome::Editing => {}
            CellOutcome::Commit => {
                state.commit_cell_edit();
            }
            CellOutcome::Cancel => state.edit.cancel_cell_edit(),
            CellOutcome::ShowAll => {
                if let Some(cell) = state.edit.cell.take() {
                    state.open_value_viewer(cell.row, &ValuePath::field(&cell.field));
                }
            }
        }
        self.apply(state, input, modifiers)
    }

    fn apply(
        &mut self,
        state: &mut State,
        input: TableInput,
        modifiers: egui::Modifiers,
    ) -> Option<AppAction> {
        let columns = state
            .current
            .as_ref()
            .and_then(|view| view.page.as_ref())
            .map(|page| page.columns.clone())
            .unwrap_or_default();
        for (field, width) in columns.iter().zip(&input.widths) {
            state.set_column_width(field, *width);
        }
        if let Some(view) = state.current.as_mut() {
            if let Some(row) = input.clicked_row {
                view.selection.click(
                    row,
                    ClickModifiers {
                        shift: modifiers.shift,
                        toggle: modifiers.command,
                    },
                );
            }
            if input.expand.is_some() {
                view.expanded = input.expand;
            }
        }
        if let Some(focus) = input.focus_cell {
            state.edit.focus = Some(focus);
        }
        if let Some((row, field)) = input.edit_cell {
            state.start_cell_edit(row, &field);
        }
        if let Some(field) = input.sort_by {
            state.sort_by_column(&field);
        }
        input.copy.then_some(AppAction::CopySelection)
    }
}

/// A window with the tree of a nested value that was double-clicked.
fn expand_window_ui(ui: &mut Ui, state: &mut State) {
    let Some(view) = state.current.as_mut() else {
        return;
    };
    let Some((row, field)) = view.expanded.clone() else {
        return;
    };
    let Some(doc) = view.page.as_ref().and_then(|page| page.docs.get(row)) else {
        view.expanded = None;
        return;
    };
    let id = doc
        .get("_id")
        .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_owned))
        .unwrap_or_default();
    let Some(value) = doc.get(&field) else {
        view.expanded = None;
        return;
    };
    let mut open = !ui.input(|i| i.key_pressed(egui::Key::Escape));
    let centre = ui.ctx().content_rect().center();
    let mut show_all = None;
    egui::Window::new(format!("{field} of {id}"))
        .id(egui::Id::unique("expand-view"))
        .open(&mut open)
        .pivot(egui::Align2::CENTER_CENTER)
        .default_pos(centre)
        .default_width(420.0)
        .resizable([true, false])
        .show(ui.ctx(), |ui| {
            // An inner scroll area that shrinks to its content: the window is as tall as
            // what it shows (up to a cap), with no empty space below.
            egui::ScrollArea::vertical()
                .id_salt("expand-scroll")
                .max_height(500.0)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    show_all = json_tree_ui(ui, (&id, &field), &field, value, true);
                });
        });
    // Esc closes it, as it cancels a cell edit.
    if !open || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        view.expanded = None;
    }
    if let Some(inner) = show_all {
        view.expanded = None;
        state.open_value_viewer(row, &ValuePath::field(&field).join(&inner));
    }
}
