//! MongoDB servers (feature `mongodb`): the CLI and Studio open a
//! `mongodb://` or `mongodb+srv://` URI as they open a folder, through
//! the official `mongodb` driver. The engine never uses this module.
//!
//! - `server.rs`: [`MongoServer`], the connection and the URI's database
//!   (short timeouts, so an unreachable server is one quick clear error).
//! - `uri.rs`: passwords kept out of messages, database names checked.
//! - `convert.rs`: BSON ↔ JSON (relaxed Extended JSON; an ObjectId `_id`
//!   becomes its hex string). `docs/mongodb.md` lists every rule.
//! - `queries.rs`, `writes.rs`, `explain.rs`, `transfer.rs`: the
//!   operations, grouped as their names say.
//! - `transaction.rs`: multi-document transactions where the deployment
//!   runs them (a replica set, a sharded cluster), found out once.
//! - `changes.rs`: a collection's change stream (`fluxdb watch`).
//! - `backend.rs`: the server as a [`Backend`](crate::backend::Backend).
//! - `errors.rs`: the driver's errors as one short line each.

mod backend;
mod changes;
mod convert;
mod errors;
mod explain;
mod queries;
mod server;
mod transaction;
mod transfer;
mod uri;
mod writes;

pub use changes::{ChangeFeed, ServerChange, WatchPosition};
pub use convert::{bson_to_json, document_to_json, json_to_bson};
pub use explain::ServerPlan;
pub use server::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_SERVER_SELECTION_TIMEOUT, MongoServer};
pub use transaction::nothing_written;
pub use transfer::{INSERT_BATCH, ServerIndex};
pub use uri::validate_database_name;
