//! Editing in Studio: pending changes staged in the UI and written in one
//! transaction, the cell and record editors' parsing, bulk changes by
//! filter and aggregation pipelines.
//!
//! `pending` and `value_type`/`record_text` are plain data; `state` adds the
//! editing actions and events to the UI model; `worker` and `backend` run
//! them on the engine.

pub mod pending;
pub mod record_text;
pub mod state;
pub mod value_type;
