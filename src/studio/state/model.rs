//! [`State`], everything the UI draws: the settings, the open folder and
//! its collections, the collection on screen, the query bar, the status
//! line, the editing half ([`EditState`]) and the dialogs ([`Dialogs`]).
//! Its actions are in `browse.rs` and `edit_actions.rs`, its handling of
//! the worker's events in `events.rs`.

use super::chart_tab::ChartTab;
use super::connect_form::ConnectDialog;
use super::dialogs::Dialogs;
use super::editing::EditState;
use super::outbox::{Outbox, Outgoing};
use super::schema_tab::SchemaTab;
use super::view::{CollectionEntry, CollectionView, FolderView, Status, ViewMode};
use crate::studio::query::{JsonProblem, QueryForm};
use crate::studio::settings::Settings;
use crate::studio::worker::{RequestId, RequestKind, Slot};

/// Everything the UI draws.
#[derive(Debug, Default)]
pub struct State {
    pub settings: Settings,
    pub folder: Option<FolderView>,
    /// The folder being opened, until the worker answers.
    pub opening: Option<String>,
    pub collections: Vec<CollectionEntry>,
    pub collection_filter: String,
    pub current: Option<CollectionView>,
    pub query: QueryForm,
    /// The query bar's JSON problem, refreshed as the user types.
    pub query_problem: Option<JsonProblem>,
    pub view_mode: ViewMode,
    pub status: Status,
    /// Pending changes and the editors (state::editing).
    pub edit: EditState,
    /// Import, export, backup and collection dialogs (state::dialogs).
    pub dialogs: Dialogs,
    /// The Schema tab's analysis (state::schema_tab).
    pub schema: SchemaTab,
    /// The Chart tab's picks and series (state::chart_tab).
    pub chart: ChartTab,
    /// File → Connect to MongoDB… (state::connect).
    pub connect: Option<ConnectDialog>,
    pub(super) outbox: Outbox,
    /// The collection to show again once the folder reopens (Open for
    /// writing keeps the user where they were).
    pub(super) reselect: Option<String>,
}

impl State {
    pub fn new(settings: Settings) -> State {
        State {
            settings,
            ..State::default()
        }
    }

    /// The messages the actions since the last call produced, for the worker.
    pub fn take_outgoing(&mut self) -> Vec<Outgoing> {
        self.outbox.take()
    }

    pub(crate) fn send(&mut self, kind: RequestKind) -> RequestId {
        self.outbox.send(kind)
    }

    pub(crate) fn is_latest(&self, slot: &Slot, id: RequestId) -> bool {
        self.outbox.is_latest(slot, id)
    }

    pub fn page_size(&self) -> usize {
        self.settings.valid_page_size()
    }

    /// Why write actions are off in this folder, if they are.
    pub fn read_only_reason(&self) -> Option<&'static str> {
        self.folder
            .as_ref()
            .filter(|f| f.read_only)
            .map(|_| "The folder is open read-only (another program holds its writer lock): nothing can be changed")
    }
}
