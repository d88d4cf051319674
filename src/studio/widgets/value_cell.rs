//! One grid cell: a JSON value drawn by its type.
//!
//! Numbers are right-aligned, null dimmed, booleans coloured, and nested
//! objects and arrays shown as compact JSON that opens the expand view.
//! What a cell draws costs its width, not the value: a big value is a
//! prefix and its length (`state::folding`).

use egui::{Align, Color32, Layout, RichText, Ui};
use serde_json::Value;

use crate::studio::state::folding::{is_big, json_prefix, short_length, text_prefix};

/// The longest text a cell draws; the expand view shows the rest.
const MAX_CELL_CHARS: usize = 200;

/// Compact one-line JSON, cut at `max_chars` with an ellipsis (only the
/// part shown is serialized).
pub fn compact_json(value: &Value, max_chars: usize) -> String {
    let (text, cut) = json_prefix(value, max_chars * 4);
    truncate(&text, max_chars, cut)
}

fn truncate(text: &str, max_chars: usize, cut: bool) -> String {
    match text_prefix(text, max_chars) {
        (shown, true) => format!("{shown}…"),
        (shown, false) if cut => format!("{shown}…"),
        (shown, false) => shown.to_owned(),
    }
}

/// The text a cell shows (strings without quotes, one line), cut at
/// [`MAX_CELL_CHARS`]; the cell adds a big value's length beside it.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let (shown, cut) = text_prefix(s, MAX_CELL_CHARS);
            truncate(&shown.replace('\n', "\\n"), MAX_CELL_CHARS, cut)
        }
        Value::Null => "null".to_owned(),
        other => compact_json(other, MAX_CELL_CHARS),
    }
}

/// A big value's length as a cell shows it: "8.4 MB", "1,000,000 items".
pub fn cell_length(value: &Value) -> Option<String> {
    short_length(value).filter(|_| is_big(value))
}

/// Draws `value`, or nothing for a missing field. The label takes no
/// clicks: the table's cell does (selection, expand).
pub fn value_cell_ui(ui: &mut Ui, value: Option<&Value>) {
    let Some(value) = value else {
        return;
    };
    let dark = ui.visuals().dark_mode;
    let text = cell_text(value);
    let (rich, right_aligned) = match value {
        Value::Null => (RichText::new(text).italics().weak(), false),
        Value::Bool(_) => (RichText::new(text).color(literal_colour(dark)), false),
        Value::Number(_) => (
            RichText::new(text).monospace().color(number_colour(dark)),
            true,
        ),
        Value::String(_) => (RichText::new(text), false),
        Value::Array(_) | Value::Object(_) => (
            RichText::new(text)
                .monospace()
                .color(ui.visuals().weak_text_color()),
            false,
        ),
    };
    let label = egui::Label::new(rich).truncate().selectable(false);
    if let Some(length) = cell_length(value) {
        // The length at the right, always seen; the prefix cut before it.
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            ui.add(egui::Label::new(RichText::new(length).small().weak()).selectable(false));
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| ui.add(label));
        });
    } else if right_aligned {
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| ui.add(label));
    } else {
        ui.add(label);
    }
}

/// Whether a value opens the expand view.
pub fn is_nested(value: &Value) -> bool {
    value.is_object() || value.is_array()
}

fn number_colour(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xb5, 0xce, 0xa8)
    } else {
        Color32::from_rgb(0x09, 0x6b, 0x48)
    }
}

fn literal_colour(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x56, 0x9c, 0xd6)
    } else {
        Color32::from_rgb(0x00, 0x40, 0xc0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_show_strings_bare_and_nested_values_as_compact_json() {
        assert_eq!(cell_text(&json!("Ada")), "Ada");
        assert_eq!(cell_text(&json!(1.5)), "1.5");
        assert_eq!(cell_text(&json!(null)), "null");
        assert_eq!(cell_text(&json!({"a": [1, 2]})), r#"{"a":[1,2]}"#);
        assert_eq!(cell_text(&json!("two\nlines")), "two\\nlines");
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis_on_a_char_boundary() {
        assert_eq!(compact_json(&json!("éééé"), 3), "\"éé…");
        assert_eq!(compact_json(&json!([1]), 10), "[1]");
    }

    #[test]
    fn big_values_show_a_prefix_and_their_length() {
        let text = format!("start\n{}", "x".repeat(3_000_000));
        let cell = cell_text(&json!(text));
        assert!(
            cell.starts_with("start\\nxxx") && cell.ends_with('…'),
            "{cell}"
        );
        assert!(cell.len() < 220);
        assert_eq!(cell_length(&json!(text)).as_deref(), Some("3.0 MB"));
        let items = json!(vec![7; 1_000_000]);
        assert!(cell_text(&items).starts_with("[7,7,7"));
        assert_eq!(cell_length(&items).as_deref(), Some("1,000,000 items"));
        assert_eq!(cell_length(&json!("short")), None);
    }
}
