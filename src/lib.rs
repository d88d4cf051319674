//! FluxDB: an embedded, file-based document database.
//!
//! A database is a folder; each collection is one `.fdb` file in it. The
//! [`engine`] is a library with no GUI dependency; [`cli`] is the `fluxdb`
//! command line over it, and `studio` (feature `studio`, on by default) is the
//! FluxDB Studio desktop app.

pub mod cli;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "studio")]
pub mod studio;

pub use engine::{Document, interchange};
pub use error::{Error, Result};
