//! The Edit menu, the pending-changes count in the top bar, and the
//! editing shortcuts (Ctrl+S, Ctrl+Z, F2, Delete).

use egui::{Color32, Key, KeyboardShortcut, Modifiers, RichText, Ui};

use crate::studio::state::State;
use crate::studio::state::Tab;

pub const WRITE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
pub const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);

/// The Edit menu's entries.
pub fn edit_menu_ui(ui: &mut Ui, state: &mut State) {
    ui.menu_button("Edit", |ui| {
        let has_pending = !state.edit.pending.is_empty();
        let blocked = state.edit_blocked();
        let can_edit = state.can_edit();
        let why = blocked.unwrap_or("Open a collection first");
        if ui
            .add_enabled(
                has_pending && !state.edit.writing,
                egui::Button::new("Write changes  (Ctrl+S)"),
            )
            .clicked()
        {
            state.write_changes();
            ui.close();
        }
        if ui
            .add_enabled(has_pending, egui::Button::new("Revert changes"))
            .clicked()
        {
            state.revert_all();
            ui.close();
        }
        if ui
            .add_enabled(
                state.edit.pending.can_undo(),
                egui::Button::new("Undo last edit  (Ctrl+Z)"),
            )
            .clicked()
        {
            state.edit.undo_edit();
            ui.close();
        }
        if ui.button("Show pending changes").clicked() {
            state.edit.show_pending = true;
            ui.close();
        }
        ui.separator();
        for (label, run) in [
            ("New record", State::new_record as fn(&mut State)),
            ("Duplicate selected", State::duplicate_selected),
            ("Delete selected  (Del)", State::delete_selected),
        ] {
            if ui
                .add_enabled(can_edit, egui::Button::new(label))
                .on_disabled_hover_text(why)
                .clicked()
            {
                run(state);
                ui.close();
            }
        }
        ui.separator();
        if ui
            .add_enabled(can_edit, egui::Button::new("Update matching records…"))
            .on_disabled_hover_text(why)
            .clicked()
        {
            state.open_bulk(false);
            ui.close();
        }
        if ui
            .add_enabled(can_edit, egui::Button::new("Delete matching records…"))
            .on_disabled_hover_text(why)
            .clicked()
        {
            state.open_bulk(true);
            ui.close();
        }
        ui.separator();
        ui.checkbox(&mut state.edit.record.open, "Record editor panel");
    });
}

/// "3 pending" in the top bar; a click opens the list.
pub fn pending_count_ui(ui: &mut Ui, state: &mut State) {
    let count = state.edit.pending.len();
    if count == 0 {
        return;
    }
    ui.separator();
    let colour = Color32::from_rgb(0xd0, 0x90, 0x10);
    let text = if count == 1 {
        "1 pending change".to_owned()
    } else {
        format!("{count} pending changes")
    };
    if ui
        .button(RichText::new(text).color(colour).strong())
        .on_hover_text("Show the pending changes (Ctrl+S writes them)")
        .clicked()
    {
        state.edit.show_pending = true;
    }
}

/// Editing shortcuts, taken before the panels draw. Ctrl+Z in a text field
/// stays the field's own undo.
pub fn edit_shortcuts(ctx: &egui::Context, state: &mut State) {
    if ctx.input_mut(|i| i.consume_shortcut(&WRITE)) {
        state.write_changes();
    }
    if ctx.text_edit_focused() || state.edit.tab != Tab::Documents {
        return;
    }
    if ctx.input_mut(|i| i.consume_shortcut(&UNDO)) {
        state.edit.undo_edit();
    }
    if state.edit.cell.is_none() && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::F2)) {
        state.start_cell_edit_at_focus();
    }
    if state.edit.cell.is_none() && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Delete)) {
        state.delete_selected();
    }
}
