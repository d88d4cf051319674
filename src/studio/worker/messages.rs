//! The messages between the UI and the worker: a [`Request`] (an id and
//! what to do) goes to the worker, [`Event`]s come back. Each request has a
//! [`Slot`], the view its answer is for, so a newer request for a slot
//! supersedes an older one on both sides.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::chart::{ChartAnswer, ChartSource};
use super::database::{CollectionSummary, ExplainSummary, LiveChanges, OpenedFolder};
use super::edit::{EditEvent, EditRequest, EditSlot};
use super::jobs::{CancelHandle, ManageEvent, ManageRequest};
use crate::Document;
use crate::engine::chart::ChartSpec;
use crate::engine::schema::Schema;
use crate::studio::query::ParsedQuery;

pub type RequestId = u64;

/// A view an answer is for; a newer request for a slot supersedes older ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    Folder,
    Page,
    Count,
    Info(String),
    Edit(EditSlot),
    /// The dialogs' jobs: each runs; none supersedes another.
    Manage,
    /// Building a collection's indexes while idle; any newer request stops it.
    Warm,
    /// Following another program's writes, or not.
    Live,
    /// The Schema tab's analysis.
    Schema,
    /// The Chart tab's series.
    Chart,
    /// The Connect to MongoDB dialog's Test: the server's databases.
    Connect,
}

/// What the UI asks of the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestKind {
    /// Open a folder; with `create` a missing folder becomes a new database.
    Open {
        path: PathBuf,
        create: bool,
    },
    /// Open the sample database, creating it from the bundled data first.
    OpenSample {
        folder: PathBuf,
    },
    Close,
    Info {
        collection: String,
    },
    /// Records `skip + 1` to `skip + limit` of the query's result. The
    /// query is boxed: it is several JSON values, the other requests small.
    Page {
        collection: String,
        query: Box<ParsedQuery>,
        skip: usize,
        limit: usize,
    },
    Count {
        collection: String,
        filter: Value,
    },
    /// Writing pending changes, bulk changes and pipelines (worker::edit).
    Edit(EditRequest),
    /// Import, export, backup, collection and index operations (worker::jobs).
    Manage(ManageRequest),
    /// Build the collection's indexes now, so the first sort or filter on
    /// an indexed field does not pay for it; the lowest priority, and
    /// stopped (to be built on demand later) by any newer request.
    WarmIndexes {
        collection: String,
    },
    /// A read-only folder another program writes: follow its commits (the
    /// worker looks a few times a second while idle), or hold still.
    Follow {
        live: bool,
    },
    /// The exact schema of what `filter` matches (the Schema tab); stops
    /// when `cancel` fires or a newer analysis is asked for.
    Schema {
        collection: String,
        filter: Value,
        cancel: CancelHandle,
    },
    /// The series of a chart of `source` (with no `spec`, a pipeline's
    /// output fields only); stops when `cancel` fires or a newer chart is
    /// asked for.
    Chart {
        source: ChartSource,
        spec: Option<ChartSpec>,
        cancel: CancelHandle,
    },
    /// Connect to a MongoDB server and list its databases (the Connect
    /// dialog's Test); the open folder is left as it is.
    ListDatabases {
        uri: String,
    },
}

impl RequestKind {
    pub fn slot(&self) -> Slot {
        match self {
            RequestKind::Open { .. } | RequestKind::OpenSample { .. } | RequestKind::Close => {
                Slot::Folder
            }
            RequestKind::Info { collection } => Slot::Info(collection.clone()),
            RequestKind::Page { .. } => Slot::Page,
            RequestKind::Count { .. } => Slot::Count,
            RequestKind::Edit(request) => Slot::Edit(request.slot()),
            RequestKind::Manage(_) => Slot::Manage,
            RequestKind::WarmIndexes { .. } => Slot::Warm,
            RequestKind::Follow { .. } => Slot::Live,
            RequestKind::Schema { .. } => Slot::Schema,
            RequestKind::Chart { .. } => Slot::Chart,
            RequestKind::ListDatabases { .. } => Slot::Connect,
        }
    }

    /// What the worker is doing, for the status bar and error messages.
    pub fn describe(&self) -> String {
        match self {
            RequestKind::Open {
                path,
                create: false,
            } => format!("opening {}", path.display()),
            RequestKind::Open { path, create: true } => {
                format!("creating a database in {}", path.display())
            }
            RequestKind::OpenSample { .. } => "opening the sample database".to_owned(),
            RequestKind::Close => "closing the folder".to_owned(),
            RequestKind::Info { collection } => format!("reading {collection}'s details"),
            RequestKind::Page {
                collection, skip, ..
            } => {
                format!("querying {collection} (records from {})", skip + 1)
            }
            RequestKind::Count { collection, .. } => format!("counting {collection}"),
            RequestKind::Edit(request) => request.describe(),
            RequestKind::Manage(request) => request.describe(),
            RequestKind::WarmIndexes { collection } => {
                format!("building the indexes of {collection}")
            }
            RequestKind::Follow { live: true } => "following the folder's writer".to_owned(),
            RequestKind::Follow { live: false } => "pausing".to_owned(),
            RequestKind::Schema { collection, .. } => format!("analysing {collection}"),
            RequestKind::Chart { source, .. } => format!("charting {}", source.collection()),
            RequestKind::ListDatabases { uri } => {
                format!("connecting to {}", crate::backend::redact(uri))
            }
        }
    }

    /// Folder changes go first, pages before details, counts last: the first
    /// page must never wait behind a count of a million records.
    pub(super) fn priority(&self) -> u8 {
        match self.slot() {
            Slot::Folder | Slot::Live | Slot::Connect => 0,
            Slot::Page | Slot::Edit(_) | Slot::Manage => 1,
            Slot::Info(_) | Slot::Schema | Slot::Chart => 2,
            Slot::Count => 3,
            Slot::Warm => 4,
        }
    }
}

/// One look at a folder another program writes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveUpdate {
    pub changes: LiveChanges,
    /// Whether that program still holds the folder's writer lock.
    pub writer_present: bool,
    /// The collections now, when some appeared or went away.
    pub collections: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub kind: RequestKind,
}

/// What the worker tells the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// The worker began this request.
    Started {
        what: String,
    },
    Opened(OpenedFolder),
    Closed,
    Info(CollectionSummary),
    /// A dialog job's progress or result.
    Manage(ManageEvent),
    Page {
        collection: String,
        skip: usize,
        docs: Vec<Document>,
        elapsed: Duration,
        explain: Option<ExplainSummary>,
    },
    Count {
        collection: String,
        filter: Value,
        total: usize,
        elapsed: Duration,
    },
    Edit(EditEvent),
    /// The request failed; `why` is the engine's message.
    Failed {
        what: String,
        why: String,
    },
    /// Something the user should know that is not a failure.
    Notice(String),
    /// The collection's indexes are built.
    IndexesWarm {
        collection: String,
    },
    /// Nothing is queued or running.
    Idle,
    /// Following a read-only folder: what the writer committed since the
    /// last look, or that it closed the folder (or came back).
    Live(LiveUpdate),
    /// The worker follows the folder's writer now, or holds still.
    Following {
        live: bool,
    },
    /// How far the Schema tab's analysis has read: `(records, of total)`.
    SchemaProgress {
        read: usize,
        total: usize,
    },
    /// The Schema tab's analysis is done.
    Schema {
        schema: Box<Schema>,
        elapsed: Duration,
    },
    /// How far the Chart tab's series has read: `(records, of total)`.
    ChartProgress {
        read: usize,
        total: usize,
    },
    /// The Chart tab's series (or a pipeline's fields) are ready.
    Chart(Box<ChartAnswer>),
    /// The databases of the server a Connect dialog tested.
    Databases {
        uri: String,
        names: Vec<String>,
    },
    /// The worker thread ended (it is restarted on the next request).
    Stopped {
        why: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The request this answers; 0 for events about the worker itself.
    pub id: RequestId,
    pub kind: EventKind,
}
