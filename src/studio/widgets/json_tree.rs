//! A collapsible view of a JSON value, for nested cells and the JSON view.

use egui::{CollapsingHeader, RichText, Ui};
use serde_json::Value;

use super::value_cell::cell_text;

/// Draws `value` as a tree under `label`; objects and arrays fold open.
pub fn json_tree_ui(
    ui: &mut Ui,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    label: &str,
    value: &Value,
    open: bool,
) {
    ui.push_id(id_salt, |ui| node_ui(ui, label, value, open, 0));
}

fn node_ui(ui: &mut Ui, label: &str, value: &Value, open: bool, depth: usize) {
    match value {
        Value::Object(map) => {
            let title = format!("{label} {{{}}}", map.len());
            CollapsingHeader::new(RichText::new(title).monospace())
                .id_salt((label, depth))
                .default_open(open)
                .show(ui, |ui| {
                    for (key, child) in map {
                        node_ui(ui, key, child, false, depth + 1);
                    }
                });
        }
        Value::Array(items) => {
            let title = format!("{label} [{}]", items.len());
            CollapsingHeader::new(RichText::new(title).monospace())
                .id_salt((label, depth))
                .default_open(open)
                .show(ui, |ui| {
                    for (index, child) in items.iter().enumerate() {
                        node_ui(ui, &index.to_string(), child, false, depth + 1);
                    }
                });
        }
        scalar => {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{label}:")).monospace().strong());
                let text = match scalar {
                    Value::String(s) => format!("{s:?}"),
                    other => cell_text(other),
                };
                ui.label(RichText::new(text).monospace());
            });
        }
    }
}
