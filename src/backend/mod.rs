//! The seam between the command line (and copy) and a database, which is
//! either a folder kept by the embedded [`engine`](crate::engine) or a
//! MongoDB server (`crate::mongo`, feature `mongodb`): [`Backend`] is what
//! a command needs of either, so each command is written once.
//!
//! - `seam.rs`: the [`Backend`] trait.
//! - `folder.rs`: the engine's [`FluxDB`](crate::engine::FluxDB) as a backend.
//! - `location.rs`: what `--db` or a copy's side names ([`Location`]).
//! - `copy.rs`: [`copy_collection`], from any backend to any other.

mod copy;
mod folder;
mod location;
mod seam;

pub use copy::{COPY_BATCH, CopyReport, copy_collection};
pub use location::{Location, is_server_uri, redact};
pub use seam::{Backend, IndexDefinitions};
