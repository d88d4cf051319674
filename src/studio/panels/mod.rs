//! One module per part of the window. Each draws from [`State`](super::state::State),
//! changes it through its actions, and returns what only the app can do
//! (dialogs, theme, clipboard) as an [`AppAction`].

pub mod aggregate;
pub mod bulk;
pub mod cell_editor;
pub mod edit_menu;
pub mod grid;
pub mod pending;
pub mod query_bar;
pub mod record_editor;
pub mod sidebar;
pub mod start;
pub mod status_bar;
pub mod top_bar;

use super::settings::ThemeChoice;

/// What a panel asks of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum AppAction {
    /// Show the native folder picker; with `create` the folder becomes a new database.
    PickFolder {
        create: bool,
    },
    OpenSample,
    SetTheme(ThemeChoice),
    CopySelection,
    ShowShortcuts,
    ShowAbout,
    Quit,
}
