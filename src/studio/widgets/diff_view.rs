//! A record's field-by-field changes (`state::diff_rows`), one row a path: a
//! coloured dot for added, removed or changed, the path, the old value
//! struck through, an arrow, the new value, and both types when they
//! differ (`30` → `"30"` reads "number → string"). The pending changes,
//! the bulk preview, the conflict dialog and the backup comparison all
//! draw their changes with it.
//!
//! The dot and the arrow are painted, not typed: egui's fonts lack those
//! glyphs.

use egui::{Color32, RichText, Sense, Stroke, Ui, vec2};
use serde_json::Value;

use crate::engine::diff::{ChangeKind, FieldChange};
use crate::studio::state::diff_rows::{DiffRow, DiffRows, ShownValue};

pub fn added_colour() -> Color32 {
    Color32::from_rgb(60, 170, 90)
}

pub fn removed_colour() -> Color32 {
    Color32::from_rgb(210, 70, 70)
}

pub fn changed_colour() -> Color32 {
    Color32::from_rgb(210, 150, 20)
}

/// The colour of a kind of change.
pub fn kind_colour(kind: ChangeKind) -> Color32 {
    match kind {
        ChangeKind::Added => added_colour(),
        ChangeKind::Removed => removed_colour(),
        ChangeKind::Changed => changed_colour(),
    }
}

/// A big value's "show all" clicked in a diff: the row (its position in
/// [`DiffRows::rows`]) and which side (`true`: before).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowAll {
    pub row: usize,
    pub before: bool,
}

impl ShowAll {
    /// The viewer's title: the path and the side.
    pub fn title(&self, rows: &DiffRows) -> String {
        let path = rows.rows.get(self.row).map_or("", |r| r.dotted.as_str());
        let side = if self.before { "before" } else { "after" };
        format!("{path} ({side})")
    }

    /// The value clicked, from the changes the rows were made from.
    pub fn value<'a>(&self, rows: &DiffRows, changes: &'a [FieldChange]) -> Option<&'a Value> {
        let change = changes.get(rows.rows.get(self.row)?.index)?;
        if self.before {
            change.before.as_ref()
        } else {
            change.after.as_ref()
        }
    }
}

/// The rows, then how many more changes there are. A big value is shown
/// folded (a prefix and its length) with "show all"; returns the one clicked.
pub fn diff_view_ui(ui: &mut Ui, rows: &DiffRows) -> Option<ShowAll> {
    if rows.total == 0 {
        ui.label(RichText::new("no field differs").weak());
        return None;
    }
    let mut clicked = None;
    for (at, row) in rows.rows.iter().enumerate() {
        if let Some(before) = ui.push_id(at, |ui| change_row(ui, row)).inner {
            clicked = Some(ShowAll { row: at, before });
        }
    }
    if rows.total > rows.rows.len() {
        let more = rows.total - rows.rows.len();
        ui.label(
            RichText::new(format!(
                "… and {more} more {}",
                if more == 1 { "field" } else { "fields" }
            ))
            .weak(),
        );
    }
    clicked
}

/// One row; `Some(side)` when a "show all" was clicked (`true`: before).
fn change_row(ui: &mut Ui, row: &DiffRow) -> Option<bool> {
    let mut clicked = None;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        dot(ui, kind_colour(row.kind()));
        let path = if row.dotted.is_empty() {
            "(value)"
        } else {
            row.dotted.as_str()
        };
        ui.label(RichText::new(path).monospace().strong());
        match (&row.before, &row.after) {
            (Some(before), Some(after)) => {
                ui.label(
                    RichText::new(&before.text)
                        .monospace()
                        .strikethrough()
                        .color(removed_colour()),
                );
                show_all(ui, before, true, &mut clicked);
                arrow(ui);
                ui.label(RichText::new(&after.text).monospace().color(added_colour()));
                show_all(ui, after, false, &mut clicked);
                if let Some((from, to)) = row.type_change() {
                    ui.label(RichText::new(format!("({from}")).small());
                    arrow(ui);
                    ui.label(RichText::new(format!("{to})")).small());
                }
            }
            (None, Some(after)) => {
                ui.label(RichText::new("added").small().color(added_colour()));
                ui.label(RichText::new(&after.text).monospace());
                show_all(ui, after, false, &mut clicked);
            }
            (Some(before), None) => {
                ui.label(RichText::new("removed").small().color(removed_colour()));
                ui.label(RichText::new(&before.text).monospace().strikethrough());
                show_all(ui, before, true, &mut clicked);
            }
            (None, None) => {}
        }
    });
    clicked
}

/// "show all" after a big value.
fn show_all(ui: &mut Ui, value: &ShownValue, before: bool, clicked: &mut Option<bool>) {
    if value.big && super::json_tree::show_all_button(ui) {
        *clicked = Some(before);
    }
}

/// A small filled circle, as tall as a line of text.
fn dot(ui: &mut Ui, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(vec2(8.0, 14.0), Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, colour);
}

/// A right arrow between two values.
fn arrow(ui: &mut Ui) {
    let (rect, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
    let colour = ui.visuals().weak_text_color();
    ui.painter().arrow(
        rect.left_center() + vec2(1.0, 0.0),
        vec2(11.0, 0.0),
        Stroke::new(1.5, colour),
    );
}
