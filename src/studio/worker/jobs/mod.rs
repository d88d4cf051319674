//! The dialogs' jobs on the worker thread: import (with its preview),
//! export, database backup and restore, and the collection and index
//! operations. The UI sends one [`ManageRequest`]; the worker answers with
//! [`ManageEvent::Progress`] while it runs and one finishing event.
//!
//! `request` is what a dialog sends and hears back (plain data), `run`
//! carries a request out, `transfer` reads and writes record files,
//! `compare` compares the folder with a backup.

mod compare;
mod request;
mod run;
mod transfer;

pub use compare::{Comparison, MAX_LISTED_DIFFERENCES};
pub use request::{
    CancelHandle, ExportJob, FileFormat, ImportJob, ImportMode, ImportPreview, JobProgress,
    ManageEvent, ManageRequest, Outcome, PreviewColumn,
};
pub use run::run;
pub use transfer::PREVIEW_RECORDS;
