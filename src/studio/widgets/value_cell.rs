//! One grid cell: a JSON value drawn by its type.
//!
//! Numbers are right-aligned, null dimmed, booleans coloured, and nested
//! objects and arrays shown as compact JSON that opens the expand view.

use egui::{Align, Color32, Layout, RichText, Ui};
use serde_json::Value;

/// The longest text a cell draws; the expand view shows the rest.
const MAX_CELL_CHARS: usize = 200;

/// Compact one-line JSON, cut at `max_chars` with an ellipsis.
pub fn compact_json(value: &Value, max_chars: usize) -> String {
    let text = value.to_string();
    truncate(&text, max_chars)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The text a cell shows (strings without quotes, one line).
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => truncate(&s.replace('\n', "\\n"), MAX_CELL_CHARS),
        Value::Null => "null".to_owned(),
        other => compact_json(other, MAX_CELL_CHARS),
    }
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
    if right_aligned {
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
}
