//! The value viewer window (`state::value_viewer`): a big value as rows of
//! text, of which a frame lays out only those in view; search with
//! previous/next; and, when the value can be edited, a page editor that
//! holds one page of rows at a time, then Save to stage the value.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, RichText, Ui};

use crate::studio::state::State;
use crate::studio::state::value_viewer::{PAGE_ROWS, ValueViewer};

/// What the user asked for this frame, done once the window is drawn.
#[derive(Default)]
struct ViewerInput {
    save: bool,
    close: bool,
}

pub fn value_viewer_window_ui(ctx: &egui::Context, state: &mut State) {
    if state.edit.viewer.is_none() {
        return;
    }
    state.step_value_viewer();
    let can_edit = state.can_edit();
    let Some(viewer) = state.edit.viewer.as_mut() else {
        return;
    };
    if !viewer.is_ready() {
        ctx.request_repaint();
    }
    let mut open = true;
    let mut input = ViewerInput::default();
    crate::studio::widgets::dialog_window(ctx, format!("Show all: {}", viewer.title))
        .id(egui::Id::unique("value-viewer"))
        .open(&mut open)
        .default_width(1060.0)
        .default_height(560.0)
        .resizable(true)
        .show(ctx, |ui| viewer_ui(ui, viewer, can_edit, &mut input));
    if input.save {
        state.save_value_viewer();
    }
    if !open || input.close {
        state.close_value_viewer();
    }
}

fn viewer_ui(ui: &mut Ui, viewer: &mut ValueViewer, can_edit: bool, input: &mut ViewerInput) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(&viewer.title).monospace().strong());
        ui.label(RichText::new(&viewer.length).weak());
        if viewer.target.is_none() {
            ui.label(RichText::new("read only").italics().weak());
        }
    });
    if !viewer.is_ready() {
        ui.add(egui::ProgressBar::new(viewer.progress()).text("Preparing the text…"));
        if let Some(problem) = &viewer.problem {
            ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {problem}"));
        }
        return;
    }
    search_ui(ui, viewer);
    ui.separator();
    let footer = 64.0;
    let first_visible = if viewer.page.is_some() {
        page_editor_ui(ui, viewer, footer);
        None
    } else {
        Some(rows_ui(ui, viewer, footer))
    };
    ui.separator();
    if let Some(problem) = &viewer.problem {
        ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {problem}"));
    } else if viewer.saved {
        ui.label(RichText::new("Staged: Write changes (Ctrl+S) writes it").weak());
    }
    ui.horizontal(|ui| {
        let editable = viewer.editable() && can_edit;
        if let Some(row) = first_visible
            && ui
                .add_enabled(editable, egui::Button::new("Edit this page"))
                .on_hover_text(format!(
                    "Edit the {PAGE_ROWS} rows from here in a text field"
                ))
                .on_disabled_hover_text("This value is read only here")
                .clicked()
        {
            viewer.edit_page_at(row);
        }
        let dirty = viewer.dirty || viewer.page.is_some();
        input.save = ui
            .add_enabled(editable && dirty, egui::Button::new("Save"))
            .on_hover_text("Stage the record with this value (Write changes writes it)")
            .clicked();
        let close = if viewer.dirty {
            "Drop the edits and close"
        } else {
            "Close"
        };
        input.close = ui.button(close).clicked();
    });
}

fn search_ui(ui: &mut Ui, viewer: &mut ValueViewer) {
    ui.horizontal(|ui| {
        let label = ui.label("Search");
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut viewer.search)
                    .hint_text("text to find")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Find").clicked() || entered {
            viewer.find();
        }
        if ui.button("Previous").clicked() {
            viewer.next_match(-1);
        }
        if ui.button("Next").clicked() {
            viewer.next_match(1);
        }
        if let Some(label) = viewer.match_label() {
            ui.label(RichText::new(label).weak());
        }
    });
}

/// The rows in view, numbered, with the search's matches marked; returns
/// the first row in view.
fn rows_ui(ui: &mut Ui, viewer: &mut ValueViewer, footer: f32) -> usize {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
    let spacing = ui.spacing().item_spacing.y;
    let mut area = egui::ScrollArea::both()
        .id_salt("viewer-rows")
        .auto_shrink([false, false])
        .max_height((ui.available_height() - footer).max(120.0));
    if let Some(row) = viewer.scroll_to_row.take() {
        area = area.vertical_scroll_offset(row as f32 * (row_height + spacing));
    }
    let digits = viewer.row_count().to_string().len();
    let current = viewer.current_match();
    let weak = ui.visuals().weak_text_color();
    let text = ui.visuals().text_color();
    let mut first = 0;
    area.show_rows(ui, row_height, viewer.row_count(), |ui, range| {
        first = range.start;
        for row in range {
            let mut job = LayoutJob::default();
            job.append(
                &format!("{:>digits$}  ", row + 1),
                0.0,
                TextFormat::simple(font.clone(), weak),
            );
            let line = viewer.row(row);
            let start = viewer.row_start(row);
            let mut at = 0;
            for range in viewer.matches_in_row(row) {
                job.append(
                    &line[at..range.start],
                    0.0,
                    TextFormat::simple(font.clone(), text),
                );
                let mut format = TextFormat::simple(font.clone(), Color32::BLACK);
                format.background = if current == Some(start + range.start) {
                    Color32::from_rgb(0xff, 0x9f, 0x1a)
                } else {
                    Color32::from_rgb(0xe8, 0xd0, 0x60)
                };
                job.append(&line[range.clone()], 0.0, format);
                at = range.end;
            }
            job.append(&line[at..], 0.0, TextFormat::simple(font.clone(), text));
            ui.add(egui::Label::new(job).extend());
        }
    });
    first
}

/// One page of rows in a text field, with its own buttons.
fn page_editor_ui(ui: &mut Ui, viewer: &mut ValueViewer, footer: f32) {
    let pages = viewer.page_count();
    let mut turn = 0;
    let mut apply = false;
    let mut cancel = false;
    if let Some(page) = viewer.page.as_mut() {
        ui.horizontal(|ui| {
            ui.label(format!(
                "Editing page {} of {pages} (rows {} to {})",
                page.number() + 1,
                page.first_row + 1,
                page.first_row + PAGE_ROWS
            ));
            if ui.button("Previous page").clicked() {
                turn = -1;
            }
            if ui.button("Next page").clicked() {
                turn = 1;
            }
            apply = ui
                .button("Apply page")
                .on_hover_text("Put this page back into the value (Save stages it)")
                .clicked();
            cancel = ui.button("Cancel page").clicked();
        });
        let label = ui.label(RichText::new("Page text").small().weak());
        egui::ScrollArea::vertical()
            .id_salt("viewer-page")
            .max_height((ui.available_height() - footer).max(120.0))
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut page.text)
                        .id_salt("viewer-page-text")
                        .code_editor()
                        .desired_width(f32::INFINITY)
                        .desired_rows(20),
                )
                .labelled_by(label.id);
            });
    }
    if turn != 0 {
        viewer.turn_page(turn);
    } else if apply {
        viewer.apply_page();
    } else if cancel {
        viewer.cancel_page();
    }
}
