//! Editing's plain data, below the state and the worker: the pending
//! changes staged in the UI (and written by the worker in one
//! transaction), and the parsing of what the cell and record editors hold.
//!
//! `pending` is the staged changes with their undo history; `value_type`
//! reads a cell's text as a typed value; `record_text` reads the record
//! editor's JSON. The editing actions are the state's (`state::editing`),
//! the writes the worker's (`worker::edit`).

pub mod pending;
pub mod record_text;
pub mod value_type;
