//! A collapsible view of a JSON value, for nested cells. A frame draws
//! what is open and no more: an open array or object shows its first
//! [`TREE_CHILDREN`] entries, a long string its prefix, each with its length
//! and "show all" (the value viewer).

use egui::{CollapsingHeader, RichText, Ui};
use serde_json::Value;

use super::value_cell::cell_text;
use crate::studio::format::format_count;
use crate::studio::state::folding::{
    FOLD_STRING_BYTES, PREFIX_CHARS, PathStep, ValuePath, folded_line,
};

/// Entries of an open array or object drawn before "show all".
pub const TREE_CHILDREN: usize = 100;

/// Draws `value` as a tree under `label`; objects and arrays fold open.
/// Returns the path (within `value`) whose "show all" was clicked.
pub fn json_tree_ui(
    ui: &mut Ui,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    label: &str,
    value: &Value,
    open: bool,
) -> Option<ValuePath> {
    let mut clicked = None;
    ui.push_id(id_salt, |ui| {
        node_ui(ui, label, value, open, &ValuePath::default(), &mut clicked);
    });
    clicked
}

fn node_ui(
    ui: &mut Ui,
    label: &str,
    value: &Value,
    open: bool,
    path: &ValuePath,
    clicked: &mut Option<ValuePath>,
) {
    let depth = path.0.len();
    match value {
        Value::Object(map) => {
            let title = format!("{label} {{{}}}", map.len());
            CollapsingHeader::new(RichText::new(title).monospace())
                .id_salt((label, depth))
                .default_open(open)
                .show(ui, |ui| {
                    more_ui(ui, map.len(), "fields", path, clicked);
                    for (key, child) in map.iter().take(TREE_CHILDREN) {
                        let child_path = path.child(PathStep::Field(key.clone()));
                        node_ui(ui, key, child, false, &child_path, clicked);
                    }
                });
        }
        Value::Array(items) => {
            let title = format!("{label} [{}]", items.len());
            CollapsingHeader::new(RichText::new(title).monospace())
                .id_salt((label, depth))
                .default_open(open)
                .show(ui, |ui| {
                    more_ui(ui, items.len(), "items", path, clicked);
                    for (index, child) in items.iter().enumerate().take(TREE_CHILDREN) {
                        let child_path = path.child(PathStep::Index(index));
                        node_ui(ui, &index.to_string(), child, false, &child_path, clicked);
                    }
                });
        }
        scalar => {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{label}:")).monospace().strong());
                match scalar {
                    Value::String(s) if s.len() > FOLD_STRING_BYTES => {
                        ui.label(RichText::new(folded_line(scalar, PREFIX_CHARS)).monospace());
                        if show_all_button(ui) {
                            *clicked = Some(path.clone());
                        }
                    }
                    Value::String(s) => {
                        ui.label(RichText::new(format!("{s:?}")).monospace());
                    }
                    other => {
                        ui.label(RichText::new(cell_text(other)).monospace());
                    }
                }
            });
        }
    }
}

/// Above the first entries of a big container: how many are not drawn,
/// and "show all" (at the top, where it is seen without scrolling).
fn more_ui(ui: &mut Ui, len: usize, what: &str, path: &ValuePath, clicked: &mut Option<ValuePath>) {
    if len <= TREE_CHILDREN {
        return;
    }
    ui.horizontal(|ui| {
        let more = format_count(len - TREE_CHILDREN);
        let shown = format_count(TREE_CHILDREN);
        ui.label(RichText::new(format!("the first {shown}, then {more} more {what}")).weak());
        if show_all_button(ui) {
            *clicked = Some(path.clone());
        }
    });
}

/// "show all": opens the whole value in the viewer; true when clicked.
pub fn show_all_button(ui: &mut Ui) -> bool {
    ui.small_button("show all")
        .on_hover_text("Open the whole value in the viewer (search, edit)")
        .clicked()
}
