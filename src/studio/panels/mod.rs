//! One module per part of the window. Each draws from [`State`](super::state::State),
//! changes it through its actions, and returns what only the app can do
//! (dialogs, theme, clipboard) as an [`AppAction`].

pub mod action;
pub mod aggregate;
pub mod bulk;
pub mod cell_editor;
pub mod chart;
pub mod chart_plot;
pub mod edit_menu;
pub mod explain;
pub mod grid;
pub mod json_view;
pub mod pending;
pub mod query_bar;
pub mod record_editor;
pub mod schema;
pub mod sidebar;
pub mod start;
pub mod status_bar;
pub mod top_bar;
pub mod value_viewer;

pub use action::AppAction;
