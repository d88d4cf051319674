//! What a panel asks of the app: the things only the app can do (the
//! native folder picker, the theme, the clipboard, its own windows, quit).

use crate::studio::settings::ThemeChoice;

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
