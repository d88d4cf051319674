//! FluxDB: an embedded, file-based document database.
//!
//! A database is a folder; each collection is one `.fdb` file in it. The
//! [`engine`] is a library with no GUI dependency; [`cli`] is the `fluxdb`
//! command line over it, and `studio` (feature `studio`, on by default) is the
//! FluxDB Studio desktop app. `mongo` (feature `mongodb`, on by default)
//! reaches MongoDB servers; [`backend`] is the seam that lets the CLI run
//! on a folder or a server alike.

pub mod backend;
pub mod cli;
pub mod connect;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "mongodb")]
pub mod mongo;
#[cfg(feature = "studio")]
pub mod studio;

pub use engine::{Document, interchange};
pub use error::{Error, Result};
