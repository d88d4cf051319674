//! The grid's JSON view: the page as pretty, coloured JSON, one record
//! after another. Each record's text is made once per page, with its big
//! values folded (`state::folding`), and laid out once when it first comes
//! into view; a frame draws the records in view from their kept layouts.
//! Each folded value gets a "show all" button that opens the value viewer.

use std::sync::Arc;

use egui::{Galley, RichText, Ui};

use crate::studio::state::folding::{FoldedText, ValuePath, fold_record};
use crate::studio::state::{Page, State};
use crate::studio::widgets::json_highlight::layout_job;

const JSON_MARGIN: f32 = 6.0;
/// "show all" buttons under a record; past them, one for the whole record.
const FOLD_BUTTONS: usize = 8;

/// The JSON view's texts and layouts of the page on screen.
#[derive(Default)]
pub struct JsonView {
    request_id: Option<u64>,
    texts: Vec<FoldedText>,
    lines: Vec<usize>,
    galleys: Vec<Option<Arc<Galley>>>,
    /// The look the layouts were made for (dark mode, text size).
    style: Option<(bool, u32)>,
}

impl JsonView {
    fn update(&mut self, page: &Page, style: (bool, u32)) {
        let same_page =
            self.request_id == Some(page.request_id) && self.texts.len() == page.docs.len();
        if !same_page {
            self.texts = page.docs.iter().map(fold_record).collect();
            self.lines = self.texts.iter().map(FoldedText::lines).collect();
            self.request_id = Some(page.request_id);
        }
        if !same_page || self.style != Some(style) {
            self.galleys = vec![None; self.texts.len()];
            self.style = Some(style);
        }
    }

    /// Rows of buttons under a record: one a folded value, one for the rest.
    fn fold_rows(folds: usize) -> usize {
        folds.min(FOLD_BUTTONS) + usize::from(folds > FOLD_BUTTONS)
    }

    /// Only the records in view are drawn: each one's height is known from
    /// its line count and its buttons.
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        let Some(page) = state.current.as_ref().and_then(|view| view.page.as_ref()) else {
            return;
        };
        let dark = ui.visuals().dark_mode;
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        self.update(page, (dark, font.size.to_bits()));
        let line_height = ui.text_style_height(&egui::TextStyle::Monospace);
        let button_row = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
        let padding = 2.0 * JSON_MARGIN + 2.0;
        let gap = ui.spacing().item_spacing.y;
        let heights: Vec<f32> = self
            .lines
            .iter()
            .zip(&self.texts)
            .map(|(&lines, text)| {
                lines as f32 * line_height
                    + Self::fold_rows(text.folds.len()) as f32 * button_row
                    + padding
            })
            .collect();
        let total: f32 = heights.iter().map(|h| h + gap).sum();
        let mut show_all = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_viewport(ui, |ui, viewport| {
                let origin = ui.max_rect().min;
                let width = ui.available_width();
                ui.set_height(total);
                let mut top = 0.0;
                for (index, height) in heights.iter().enumerate() {
                    let bottom = top + height;
                    if bottom >= viewport.min.y && top <= viewport.max.y {
                        let rect = egui::Rect::from_min_size(
                            origin + egui::vec2(0.0, top),
                            egui::vec2(width, *height),
                        );
                        let galley = self.galleys[index]
                            .get_or_insert_with(|| {
                                let job =
                                    layout_job(&self.texts[index].text, font.clone(), dark, None);
                                ui.fonts_mut(|fonts| fonts.layout_job(job))
                            })
                            .clone();
                        let text = &self.texts[index];
                        ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
                            egui::Frame::group(ui.style())
                                .inner_margin(JSON_MARGIN)
                                .show(ui, |ui| {
                                    ui.set_width(ui.available_width());
                                    ui.add(egui::Label::new(galley).selectable(true));
                                    if let Some(path) = folds_ui(ui, index, text) {
                                        show_all = Some((index, path));
                                    }
                                });
                        });
                    }
                    top = bottom + gap;
                }
            });
        if let Some((row, path)) = show_all {
            state.open_value_viewer(row, &path);
        }
    }
}

/// A "show all" button for each folded value of a record; the path clicked.
pub fn folds_ui(ui: &mut Ui, record: usize, text: &FoldedText) -> Option<ValuePath> {
    let mut clicked = None;
    for (at, fold) in text.folds.iter().take(FOLD_BUTTONS).enumerate() {
        ui.horizontal(|ui| {
            let path = if fold.path.is_root() {
                "the record".to_owned()
            } else {
                fold.path.dotted()
            };
            ui.label(
                RichText::new(format!("{path}: {}", fold.length))
                    .monospace()
                    .weak(),
            );
            if ui
                .push_id((record, at), |ui| ui.small_button("show all"))
                .inner
                .on_hover_text("Open the whole value in the viewer (search, edit)")
                .clicked()
            {
                clicked = Some(fold.path.clone());
            }
        });
    }
    if text.folds.len() > FOLD_BUTTONS {
        ui.horizontal(|ui| {
            let more = text.folds.len() - FOLD_BUTTONS;
            ui.label(RichText::new(format!("{more} more folded values")).weak());
            if ui.small_button("show the whole record").clicked() {
                clicked = Some(ValuePath::default());
            }
        });
    }
    clicked
}
