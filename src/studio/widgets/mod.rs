//! Widgets shared by the panels: the JSON editor's colouring, value cells,
//! the JSON tree and the field-by-field diff of two records.

pub mod diff_view;
pub mod json_highlight;
pub mod json_tree;
pub mod value_cell;

/// A dialog window, opened centred near the top of the window: never
/// off-screen, and clear of the sidebar and the grid's first rows it may
/// refer to. Sized to what it holds (no empty area below).
pub fn dialog_window(
    ctx: &egui::Context,
    title: impl Into<egui::WidgetText>,
) -> egui::Window<'static> {
    let screen = ctx.content_rect();
    egui::Window::new(title)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(egui::pos2(screen.center().x, screen.top() + 120.0))
        .collapsible(false)
}
