//! Studio's worker: the one thread that owns the engine, so the UI thread
//! never calls it and never waits on it.
//!
//! - `thread`: the thread and its queue, and [`WorkerHandle`], the UI's end.
//! - `messages`: the [`Request`]s the UI sends and the [`Event`]s it gets back.
//! - `database`: the seam to the engine ([`Database`], [`Opener`]) and the
//!   plain data it answers with; `engine` implements it with `FluxDB`,
//!   `memory` (tests only) with an engine that fails on demand.
//! - `chart`: the Chart tab's series, of a filter's matches or a pipeline.
//! - `edit`: writing pending changes, bulk changes and pipelines.
//! - `jobs`: the dialogs' import, export, backup and collection operations.

pub mod chart;
pub mod database;
pub mod edit;
pub mod engine;
pub mod jobs;
#[cfg(test)]
pub(crate) mod memory;
pub mod messages;
#[cfg(feature = "mongodb")]
pub mod server;
pub mod thread;

pub use database::{
    CollectionSummary, Database, EditDatabase, ExplainSummary, FoundPage, LiveChanges, OpenMode,
    OpenedFolder, Opener, ServerExplain,
};
pub use engine::EngineOpener;
pub use messages::{Event, EventKind, LiveUpdate, Request, RequestId, RequestKind, Slot};
pub use thread::{Notify, SampleBuilder, WorkerHandle};
