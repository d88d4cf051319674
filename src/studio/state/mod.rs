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
//!   `outbox`: the requests to send.
//! - `connect_form`: File → Connect to MongoDB…'s data; `connect`: its actions.

mod backup_compare;
mod browse;
pub mod compare;
pub mod compression_choice;
mod connect;
pub mod connect_form;
mod copy_query;
pub mod dialogs;
mod edit_actions;
pub mod edit_forms;
pub mod editing;
mod events;
pub mod job_state;
mod live;
mod model;
mod outbox;
#[cfg(test)]
pub(crate) mod test_support;
pub mod view;

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
