//! The plain data every panel draws from, changed only by user actions and
//! worker events ([`State::apply`]). No egui, no threads: tests drive it
//! directly.
//!
//! Actions that need the engine put [`Outgoing`] messages in an outbox the
//! app hands to the worker; answers to anything but the newest request of
//! each [`Slot`](crate::studio::worker::Slot) are dropped on arrival.
//!
//! - `model`: [`State`] itself; `view`: the folder, grid and status data.
//! - `browse`: the folder and query actions; `events`: the worker's answers;
//!   `live`: following a folder another program writes.
//! - `editing`: [`EditState`], the editing half, with `edit_forms` (its
//!   plain data) and `edit_actions` (the state's side of editing).
//! - `dialogs`: what the dialogs hold (`compression_choice`: their codec
//!   picker; `job_state`: each one's job; `compare`: Compare with backup,
//!   whose chosen records `backup_compare` stages as pending changes);
//!   `outbox`: the requests to send; `schema_tab`: the Schema tab
//!   (`schema_actions`: the state's side of it); `chart_tab`: the Chart
//!   tab (`chart_actions`: the state's side, `chart_data`: its CSV and the
//!   filter a clicked bar runs).
//! - `diff_rows`: the rows a diff view draws, made without copying values.
//! - `folding`: big values shown folded (a prefix, the length);
//!   `value_viewer`: the viewer "show all" opens, `viewer_actions` its
//!   actions.
//! - `connect_form`: File → Connect to MongoDB…'s data; `connect`: its actions.

mod backup_compare;
mod browse;
mod chart_actions;
pub mod chart_data;
pub mod chart_tab;
pub mod compare;
pub mod compression_choice;
mod connect;
pub mod connect_form;
mod copy_query;
pub mod dialogs;
pub mod diff_rows;
mod edit_actions;
pub mod edit_forms;
pub mod editing;
mod events;
pub mod folding;
pub mod job_state;
mod live;
mod model;
mod outbox;
mod schema_actions;
pub mod schema_tab;
#[cfg(test)]
pub(crate) mod test_support;
pub mod value_viewer;
pub mod view;
mod viewer_actions;

pub use browse::sort_text;
pub use connect_form::ConnectDialog;
pub use edit_forms::{GuardChoice, Guarded, RowMark, Tab};
pub use editing::EditState;
pub use model::State;
pub use outbox::Outgoing;
pub use view::{
    ClickModifiers, CollectionEntry, CollectionView, FolderView, KeptView, LiveStatus, Page,
    Selection, Status, Total, ViewMode, columns_of,
};
