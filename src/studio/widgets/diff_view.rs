//! A record's field-by-field changes (`engine::diff`), one row a path: a
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
use crate::studio::state::folding::{folded_line, is_big};

/// The longest a value is shown before it is cut with "…".
const VALUE_CHARS: usize = 80;

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

/// A big value's "show all" clicked in a diff: a title for the viewer
/// (path and side) and the value.
pub type ShowAll<'a> = (String, &'a Value);

/// The changes, at most `limit` rows, then how many more there are. A big
/// value is shown folded (a prefix and its length) with "show all";
/// returns the one clicked.
pub fn diff_view_ui<'a>(
    ui: &mut Ui,
    changes: &'a [FieldChange],
    limit: usize,
) -> Option<ShowAll<'a>> {
    if changes.is_empty() {
        ui.label(RichText::new("no field differs").weak());
        return None;
    }
    let mut clicked = None;
    for (at, change) in changes.iter().take(limit).enumerate() {
        if let Some(show) = ui.push_id(at, |ui| change_row(ui, change)).inner {
            clicked = Some(show);
        }
    }
    if changes.len() > limit {
        let more = changes.len() - limit;
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

fn change_row<'a>(ui: &mut Ui, change: &'a FieldChange) -> Option<ShowAll<'a>> {
    let mut clicked = None;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        dot(ui, kind_colour(change.kind()));
        let path = if change.path.is_empty() {
            "(value)"
        } else {
            change.path.as_str()
        };
        ui.label(RichText::new(path).monospace().strong());
        match (&change.before, &change.after) {
            (Some(before), Some(after)) => {
                ui.label(
                    RichText::new(shown(before))
                        .monospace()
                        .strikethrough()
                        .color(removed_colour()),
                );
                show_all(ui, path, "before", before, &mut clicked);
                arrow(ui);
                ui.label(
                    RichText::new(shown(after))
                        .monospace()
                        .color(added_colour()),
                );
                show_all(ui, path, "after", after, &mut clicked);
                if let Some((from, to)) = change.type_change() {
                    ui.label(RichText::new(format!("({from}")).small());
                    arrow(ui);
                    ui.label(RichText::new(format!("{to})")).small());
                }
            }
            (None, Some(after)) => {
                ui.label(RichText::new("added").small().color(added_colour()));
                ui.label(RichText::new(shown(after)).monospace());
                show_all(ui, path, "added", after, &mut clicked);
            }
            (Some(before), None) => {
                ui.label(RichText::new("removed").small().color(removed_colour()));
                ui.label(RichText::new(shown(before)).monospace().strikethrough());
                show_all(ui, path, "removed", before, &mut clicked);
            }
            (None, None) => {}
        }
    });
    clicked
}

/// A value as a diff row shows it: compact JSON, a big one folded.
fn shown(value: &Value) -> String {
    folded_line(value, VALUE_CHARS)
}

/// "show all" after a big value.
fn show_all<'a>(
    ui: &mut Ui,
    path: &str,
    side: &str,
    value: &'a Value,
    clicked: &mut Option<ShowAll<'a>>,
) {
    if is_big(value) && super::json_tree::show_all_button(ui) {
        *clicked = Some((format!("{path} ({side})"), value));
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
